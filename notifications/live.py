"""What live events carry: HTML fragments of posts (the same template as the
thread page, without the viewer's own buttons: the socket does not know who will
receive it), and the moderation queue counts."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from notifications import push
from notifications.groups import moderation_group
from threads.models import Post

logger = logging.getLogger(__name__)


def post_fragment(post: Post) -> dict[str, Any]:
    """``html`` holds the fragment in every interface language; the browser picks its own."""
    post.can = {"see": post.is_visible}
    post.is_unread = True
    html = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            html[language] = render_to_string("threads/_post.html", {"post": post, "thread": post.thread})
    return {"post": post.pk, "number": post.number, "html": html}


# --- Moderation queue counts ------------------------------------------------------


class _SendQueueCounts:
    """The on-commit callback of one transaction: the groups whose queues it changed."""

    def __init__(self) -> None:
        self.group_ids: set[int] = set()

    def __call__(self) -> None:
        _send_queue_counts(self.group_ids)


def queue_counts_changed(group_ids: Iterable[int | None]) -> None:
    """Once the transaction commits, send the moderators of these groups the fresh
    counts of their queues (``moderation.counts``, one event per group).

    Counted after the commit, so the numbers are what the database says then; the
    groups of one transaction share one callback, so they are counted and sent once
    however many steps of the action touched them. A rolled-back transaction takes
    its callback with it and sends nothing.
    """
    ids = {group_id for group_id in group_ids if group_id is not None}
    if not ids:
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        current = set(connection.savepoint_ids)
        for savepoints, callback, *_rest in connection.run_on_commit:
            # The callback of this action: registered in this block or one around it,
            # or in a block nested in this one that has finished.
            if isinstance(callback, _SendQueueCounts) and (savepoints <= current or current <= savepoints):
                callback.group_ids |= ids
                return
    callback = _SendQueueCounts()
    callback.group_ids |= ids
    transaction.on_commit(callback)


def _send_queue_counts(group_ids: set[int]) -> None:
    from threads.querysets import queue_counts

    try:
        counts = queue_counts(group_ids)
    except DatabaseError:
        logger.exception("Could not count the moderation queues of groups %s", sorted(group_ids))
        return
    for group_id in sorted(group_ids):
        numbers = counts.get(group_id, {"flags": 0, "hidden": 0, "signups": 0})
        push.send_now([moderation_group(group_id)], {"type": "moderation.counts", "group": group_id, **numbers})
