"""Capturing live events: what the actions publish, in order, after commit."""

from __future__ import annotations

import pytest

from notifications import push
from tests.threads.conftest import answer, colleague, outsider, plein, question, themes  # noqa: F401  (shared fixtures)


@pytest.fixture
def published(monkeypatch):
    """The events sent to the channel layer: a list of (groups, event)."""
    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(push, "send_now", lambda groups, event: sent.append((groups, event)))
    return sent
