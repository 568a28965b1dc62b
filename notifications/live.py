"""What live events carry, and how each socket decides what its member may see of them.

Access is re-decided, not remembered. A socket joins a thread's channel group after the
thread page's own read check, but what it may read can change while it stays open: the
thread is hidden or moved into a closed group, the group is closed, the member leaves it,
is demoted, suspended or logged out. So:

- Every event on a thread's group carries the thread's facts as the database holds them
  just after the change was committed (its group and whether that group is open to every
  member, hidden, locked, kind, asker, accepted answer), read after the commit. Before it
  forwards anything, each consumer decides again with ``threads.permissions`` whether its
  member may read the thread, on those facts and on the member's roles. A member who may
  not gets nothing of the event: only a ``thread.hidden`` (or ``thread.unavailable``)
  hint, and the socket leaves the thread's group.
- Whatever changes what a member may read (``community.signals.member_access_changed``,
  ``sessions_ended``, a logout) sends a control message to the sockets it concerns; a
  consumer handles one message at a time, so it reloads the member and their roles before
  it forwards the next event, and leaves the groups it may no longer be in.
- Posts travel as values, not as finished HTML: each consumer renders the post for its own
  member, with that member's buttons (edit, quote, nuttig, flag, hide, accept) and in their
  language, from the same template and fragment keys as the thread page. Rendering is
  shared: a process renders each distinct (post, rights, language) once
  (``community.performance.fragments.recent_fragments``), so a thousand sockets cost a handful of
  renders. A hidden post's text reaches only those who may see it (moderators, its author).

The alternative, a hint and a permission-checked fetch per socket, would make one reply in
a thread that a thousand members have open a thousand HTTP requests.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, transaction
from django.utils import translation

from community.models import Group
from community.performance.fragments import CSRF_PLACEHOLDER, render_in_process
from community.performance.recent import recent
from notifications import push
from notifications.groups import moderation_group, thread_group
from threads import permissions
from threads.models import Mark, Thread
from threads.pageposts import PagePost, page_posts

logger = logging.getLogger(__name__)

#: The thread's fields every thread event carries (``thread_facts``).
FACTS = ("id", "group_id", "group__read_access", "hidden", "locked", "kind", "author_id", "accepted_post_id")


# --- Publishing (in the process that made the change) ------------------------------


def thread_facts(thread_id: int) -> dict[str, Any] | None:
    """The thread's facts that decide who may read it and what its posts offer, as the
    database holds them now. One query; None when the thread is gone."""
    row = Thread.objects.filter(pk=thread_id).values_list(*FACTS).first()
    return None if row is None else dict(zip(FACTS, row, strict=True))


def publish_thread_event(thread_id: int, event: dict[str, Any] | None, *, post_id: int | None = None) -> None:
    """Once the transaction commits, send ``event`` to the sockets following the thread,
    with the thread's facts read then; with ``post_id``, the post's values too, for each
    socket to render (the event's ``html``). ``event`` None re-decides the sockets' access
    and sends nothing else."""

    def send() -> None:
        try:
            message = thread_message(thread_id, event, post_id=post_id)
        except DatabaseError:
            logger.exception("Could not read thread %s for its live event", thread_id)
            return
        if message is not None:
            push.send_message([thread_group(thread_id)], message)

    transaction.on_commit(send)


def publish_group_access(group_id: int) -> None:
    """Once the transaction commits, have every socket following a thread of the group
    decide again whether it may read it (the facts of all its threads in one query)."""

    def send() -> None:
        try:
            rows = list(Thread.objects.filter(group_id=group_id).values_list(*FACTS))
        except DatabaseError:
            logger.exception("Could not read the threads of group %s", group_id)
            return
        for row in rows:
            facts = dict(zip(FACTS, row, strict=True))
            push.send_message([thread_group(facts["id"])], {"type": "thread.event", "thread": facts, "event": None})

    transaction.on_commit(send)


def thread_message(
    thread_id: int, event: dict[str, Any] | None, *, post_id: int | None = None
) -> dict[str, Any] | None:
    """The channel-layer message of a thread event (``LiveConsumer.thread_event``)."""
    facts = thread_facts(thread_id)
    if facts is None:
        return None
    # ``serial`` names this message in every process that receives it: the sockets of a
    # process share what they work out from it (``_shared``).
    message: dict[str, Any] = {"type": "thread.event", "serial": uuid.uuid4().hex, "thread": facts, "event": event}
    if post_id is not None:
        thread = thread_from_facts(facts)
        posts, found = page_posts(thread, AnonymousUser(), 0, -1, also=post_id)
        if found is None:
            return None
        message["post"] = found.to_wire()
        # Who marked it "nuttig": each viewer's button shows their own mark. Stays in the
        # server: the consumer sends its member only the rendered post.
        message["marked_by"] = (
            list(Mark.objects.filter(post_id=post_id).values_list("member_id", flat=True)) if found.useful_count else []
        )
    return message


# --- Deciding (in each consumer) ---------------------------------------------------------


def thread_from_facts(facts: dict[str, Any]) -> Thread:
    thread = Thread(
        id=facts["id"], group_id=facts["group_id"], hidden=facts["hidden"], locked=facts["locked"], kind=facts["kind"],
        author_id=facts["author_id"], accepted_post_id=facts["accepted_post_id"],
    )  # fmt: skip
    thread.group = Group(id=facts["group_id"], read_access=facts["group__read_access"])
    return thread


class _Shared:
    """What the sockets of one process share of one message: the thread and the post made
    from its values, and the JSON each distinct viewer gets (by their rights on the post,
    whether they may reply, their language and whether they marked it). A thousand sockets
    following a thread then cost a few renders and serialisations, not a thousand."""

    __slots__ = ("thread", "post_values", "texts")

    def __init__(self, message: dict[str, Any]) -> None:
        self.thread = thread_from_facts(message["thread"])
        self.post_values = (
            PagePost.from_wire(message["post"], self.thread, is_marked=False).values if "post" in message else None
        )
        self.texts: dict[tuple[Any, ...], str] = {}


#: By message serial: the last messages this process handled.
_shared = recent(64)


def _shared_of(message: dict[str, Any]) -> _Shared:
    serial = message.get("serial")
    shared = _shared.get(serial) if serial else None
    if shared is None:
        shared = _Shared(message)
        if serial:
            _shared.set(serial, shared)
    return shared


def for_viewer(member: Any, message: dict[str, Any], language: str) -> dict[str, Any] | str | None:
    """What the member's socket gets of a thread event: None when they may not read the
    thread (any more); an empty dict for a message that only re-decides access; the event;
    or, for an event with a post, the JSON text of the event with the post rendered for them.
    No queries: the member's roles are loaded. Decided for each socket, worked out once per
    distinct viewer (``_Shared``)."""
    shared = _shared_of(message)
    thread = shared.thread
    if not permissions.can_read_thread(member, thread):
        return None
    event = message["event"]
    if event is None:
        return {}
    if shared.post_values is None:
        return event
    post = PagePost(shared.post_values, thread, is_marked=member.pk in message["marked_by"])
    post.can = permissions.post_rights(member, thread, post)
    can_reply = permissions.can_reply(member, thread)
    key = (tuple(post.can.values()), can_reply, language, post.is_marked)
    text = shared.texts.get(key)
    if text is None:
        html = render_post(post, thread, language, event, can_reply=can_reply)
        text = shared.texts[key] = json.dumps({**event, "post": post.pk, "number": post.number, "html": html})
    return text


def render_post(post: PagePost, thread: Thread, language: str, event: dict[str, Any], *, can_reply: bool) -> str:
    """``threads/_post.html`` for a member (their rights in ``post.can``), as on the thread
    page (the same fragment: a page and a live post share the rendering). The CSRF token is
    left empty: the page's script puts in the page's own token."""
    post.is_unread = event["type"] == "thread.post_created"
    with translation.override(language):
        return render_in_process(post.fragment(can_reply=can_reply)).replace(CSRF_PLACEHOLDER, "")


def readable_thread_ids(member: Any, thread_ids: Iterable[int]) -> set[int]:
    """Of these threads, those the member may read now (one query)."""
    ids = list(thread_ids)
    if not ids:
        return set()
    rows = Thread.objects.filter(pk__in=ids).values_list(*FACTS)
    return {
        row[0]
        for row in rows
        if permissions.can_read_thread(member, thread_from_facts(dict(zip(FACTS, row, strict=True))))
    }


def language_of(member: Any) -> str:
    return member.language or settings.LANGUAGE_CODE


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
        event = {"type": "moderation.counts", "group": group_id, **numbers}
        push.send_message([moderation_group(group_id)], {"type": "moderation.event", "group": group_id, "event": event})
