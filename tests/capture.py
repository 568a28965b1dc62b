"""Capture the domain signals about access (community.signals) that actions send."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from community import signals


@contextmanager
def access_signals() -> Iterator[list[tuple[str, int]]]:
    """``with access_signals() as calls:`` — each ``member_access_changed`` sent adds
    ("member", member id), each ``group_access_changed`` ("group", group id), in order.
    Every signal must be sent with ``sender=None``."""
    calls: list[tuple[str, int]] = []

    def on_member(sender: object, member: object, **kwargs: object) -> None:
        assert sender is None
        calls.append(("member", member.pk))

    def on_group(sender: object, group: object, **kwargs: object) -> None:
        assert sender is None
        calls.append(("group", group.pk))

    signals.member_access_changed.connect(on_member, weak=False, dispatch_uid="tests.capture.member")
    signals.group_access_changed.connect(on_group, weak=False, dispatch_uid="tests.capture.group")
    try:
        yield calls
    finally:
        signals.member_access_changed.disconnect(dispatch_uid="tests.capture.member")
        signals.group_access_changed.disconnect(dispatch_uid="tests.capture.group")
