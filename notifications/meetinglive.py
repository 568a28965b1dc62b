"""The live Q&A of a meeting over the socket: what its events carry, and how each socket
decides what its member may see of them. The same rules as for threads (``live.py``):
access is re-decided, not remembered.

- A socket joins ``meeting.<id>`` (``groups.meeting_group``) after the check of
  ``groups.may_join_meeting_group``: registered members and organisers only. It remembers
  the meeting's ``access_version`` at that decision and whether its member was registered.
- Every event carries the meeting's facts, read after the commit: its ``access_version``
  (which moves whenever somebody stops being allowed in: a registration cancelled, an
  organiser removed), its organisers and its end. A socket that decided at another version
  decides again (one query) before it forwards anything; a member who may no longer follow
  the meeting gets only ``meeting.unavailable`` and the socket leaves the group. The member
  whose registration ended is also told at once (``meeting.access`` on their own group).
- Questions travel as values, not HTML: each socket renders the question for its member
  (in their language; the asker's name only where ``can_see_asker`` allows; the organisers'
  buttons only for organisers; their own vote pressed), sharing renders through
  ``community.performance.fragments.recent_fragments``. A hidden question reaches only organisers and
  its asker; the others hear ``meeting.question_removed``.
- Votes are counts. In a busy webinar many arrive each second, so a process sends the votes
  of one meeting at most every ``MEETING_VOTE_WINDOW`` seconds (default 0.1) as one
  ``meeting.vote`` event with the fresh counts of the questions voted on: every vote is seen
  (the count that includes it), and 300 sockets get a few messages a second instead of one
  per vote. ``0`` sends each vote on its own, after its commit.
- The join link of a webinar travels inside the server only; a socket adds it to the event
  for members who may see it (``can_see_join_link``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import DatabaseError, close_old_connections, transaction
from django.utils import translation

from community.meetings import permissions
from community.meetings.fragments import QuestionFragment
from community.meetings.models import Meeting, Question, Registration, Vote
from community.models import Member, Municipality
from community.performance.fragments import CSRF_PLACEHOLDER, render_in_process
from notifications import push
from notifications.groups import may_join_meeting_group, meeting_group

logger = logging.getLogger(__name__)

#: The question's fields a question event carries (``question_values``).
WIRE = (
    "id", "meeting_id", "text", "anonymous", "author_id", "status", "vote_count", "hidden", "hidden_reason",
    "merged_into_id", "author__name", "author__deleted_at", "author__municipality_id", "author__municipality__name",
)  # fmt: skip


def vote_window() -> float:
    return settings.MEETING_VOTE_WINDOW


# --- Publishing (in the process that made the change) ------------------------------------


def meeting_facts(meeting_id: int) -> dict[str, Any] | None:
    """What decides who may follow the meeting, as the database holds it now (two queries)."""
    row = Meeting.objects.filter(pk=meeting_id).values_list("access_version", "ends_at").first()
    if row is None:
        return None
    organisers = sorted(
        Meeting.organisers.through.objects.filter(meeting_id=meeting_id).values_list("member_id", flat=True)
    )
    return {"id": meeting_id, "access": row[0], "ends_at": row[1].timestamp(), "organisers": organisers}


def _send(meeting_id: int, build) -> None:
    try:
        facts = meeting_facts(meeting_id)
        message = build(facts) if facts is not None else None
    except DatabaseError:
        logger.exception("Could not read meeting %s for its live event", meeting_id)
        return
    if message is not None:
        push.send_message([meeting_group(meeting_id)], message)


def publish_question_event(question_id: int, meeting_id: int, event_type: str) -> None:
    """Once the transaction commits: the question as it is then, for every socket to render."""

    def build(facts: dict[str, Any]) -> dict[str, Any] | None:
        row = Question.objects.filter(pk=question_id).values_list(*WIRE).first()
        if row is None:
            return None
        voters = list(Vote.objects.filter(question_id=question_id).values_list("member_id", flat=True))
        event = {"type": event_type, "meeting": meeting_id, "question": question_id}
        return {"type": "meeting.event", "meeting": facts, "event": event, "question": list(row), "voted_by": voters}

    transaction.on_commit(lambda: _send(meeting_id, build))


def publish_join_link(meeting_id: int) -> None:
    """Once the transaction commits: the webinar's (new) join link, for those who may see it."""

    def build(facts: dict[str, Any]) -> dict[str, Any]:
        row = Meeting.objects.filter(pk=meeting_id).values_list("join_url", "kind").first()
        event = {"type": "meeting.join_link", "meeting": meeting_id}
        return {"type": "meeting.event", "meeting": facts, "event": event, "join_url": row[0], "kind": row[1]}

    transaction.on_commit(lambda: _send(meeting_id, build))


def vote_messages(pending: dict[int, set[int]]) -> list[tuple[int, dict[str, Any]]]:
    """One ``meeting.vote`` message per meeting with the current counts of these questions."""
    messages = []
    for meeting_id, question_ids in pending.items():
        try:
            facts = meeting_facts(meeting_id)
            if facts is None:
                continue
            counts = sorted(Question.objects.filter(pk__in=question_ids).values_list("id", "vote_count"))
        except DatabaseError:
            logger.exception("Could not read the votes of meeting %s", meeting_id)
            continue
        event = {"type": "meeting.vote", "meeting": meeting_id, "votes": [list(pair) for pair in counts]}
        messages.append((meeting_id, {"type": "meeting.event", "meeting": facts, "event": event}))
    return messages


def send_votes(pending: dict[int, set[int]]) -> None:
    for meeting_id, message in vote_messages(pending):
        push.send_message([meeting_group(meeting_id)], message)


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the server (daphne, or a test's) when this thread runs on its
    behalf, as a request's thread does (``sync_to_async``); None in a command or a plain
    thread, which have none that lives on."""
    from asgiref.sync import SyncToAsync

    local = SyncToAsync.threadlocal
    if getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(local, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


class VoteBatch:
    """The votes of this process not sent yet, by meeting, sent together every window.

    The batch is sent from the server's own event loop, as every socket's messages are: the
    channel layer keeps its connection (Redis) and its queues (in memory) there. Counting
    the votes is done in a worker thread (the database is not used from an event loop).
    Without a server loop (a management command) each vote is sent at once.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: dict[int, set[int]] = defaultdict(set)
        self.scheduled_on: asyncio.AbstractEventLoop | None = None

    def add(self, meeting_id: int, question_id: int) -> None:
        window = vote_window()
        loop = _server_loop()
        if window <= 0 or loop is None:
            send_votes({meeting_id: {question_id}})
            return
        with self.lock:
            self.pending[meeting_id].add(question_id)
            if self.scheduled_on is loop:
                return
            self.scheduled_on = loop
        loop.call_soon_threadsafe(lambda: loop.call_later(window, lambda: loop.create_task(self.flush())))

    async def flush(self) -> None:
        with self.lock:
            pending, self.pending, self.scheduled_on = self.pending, defaultdict(set), None
        if not pending:
            return
        messages = await sync_to_async(self._count, thread_sensitive=False)(pending)
        layer = get_channel_layer()
        for meeting_id, message in messages:
            try:
                await layer.group_send(meeting_group(meeting_id), message)
            except Exception:
                logger.exception("Could not publish the votes of meeting %s", meeting_id)

    @staticmethod
    def _count(pending: dict[int, set[int]]) -> list[tuple[int, dict[str, Any]]]:
        close_old_connections()
        try:
            return vote_messages(pending)
        finally:
            close_old_connections()


votes = VoteBatch()


def publish_vote(meeting_id: int, question_id: int) -> None:
    """Once the transaction commits, the question's fresh count goes out with the next batch."""
    transaction.on_commit(lambda: votes.add(meeting_id, question_id))


def access_changed(meeting_id: int, member_id: int) -> None:
    """Once the transaction commits, the member's own sockets decide again whether they may
    follow the meeting (their registration changed)."""
    from notifications.groups import member_group

    push.on_commit_send([member_group(member_id)], {"type": "meeting.access", "meeting": meeting_id})


# --- Deciding (in each consumer) --------------------------------------------------------


def decide(member: Any, meeting_id: Any) -> tuple[int, bool] | None:
    """May the member follow the meeting live now? ``(access_version, registered)`` or None."""
    if not isinstance(meeting_id, int) or isinstance(meeting_id, bool):
        return None
    meeting = Meeting.objects.filter(pk=meeting_id).prefetch_related("organisers").first()
    if meeting is None:
        return None
    registration = Registration.objects.filter(meeting=meeting, member_id=member.pk).first()
    if not may_join_meeting_group(member, meeting, registration):
        return None
    return meeting.access_version, permissions.is_registered(registration)


def meeting_from_facts(facts: dict[str, Any]) -> Meeting:
    meeting = Meeting(
        id=facts["id"], ends_at=datetime.fromtimestamp(facts["ends_at"], tz=UTC), access_version=facts["access"]
    )
    meeting.__dict__["organiser_ids"] = frozenset(facts["organisers"])
    return meeting


def for_viewer(member: Any, message: dict[str, Any], language: str, *, registered: bool) -> dict[str, Any] | None:
    """What the member's socket gets of a meeting event; None when they may not follow the
    meeting (any more). No queries: the member's roles are loaded."""
    facts = message["meeting"]
    if not member.is_participant:
        return None
    organiser = member.is_staff or member.pk in facts["organisers"]
    if not (organiser or registered):
        return None
    event = message["event"]
    kind = event["type"]
    if kind == "meeting.vote":
        return event
    meeting = meeting_from_facts(facts)
    if kind == "meeting.join_link":
        meeting.join_url, meeting.kind = message["join_url"], message["kind"]
        registration = Registration(status="registered") if registered else None
        return {
            **event,
            "join_url": message["join_url"] if permissions.can_see_join_link(member, meeting, registration) else None,
        }
    if "question" in message:
        question = question_from_values(message["question"])
        if not question.is_listed and not (organiser or question.author_id == member.pk):
            return {"type": "meeting.question_removed", "meeting": facts["id"], "question": question.pk}
        voted = member.pk in message["voted_by"]
        html = render_question(
            member, meeting, question, language, registered=registered, organiser=organiser, voted=voted
        )
        return {
            **event,
            "status": question.status,
            "votes": question.vote_count,
            "listed": question.is_listed,
            "html": html,
        }
    return event


def question_from_values(values: list[Any]) -> Question:
    row = dict(zip(WIRE, values, strict=True))
    question = Question(**{name: row[name] for name in WIRE if "__" not in name})
    if row["author_id"] is not None:
        author = Member(
            id=row["author_id"],
            name=row["author__name"],
            deleted_at=row["author__deleted_at"],
            municipality_id=row["author__municipality_id"],
        )
        author.municipality = (
            Municipality(id=row["author__municipality_id"], name=row["author__municipality__name"])
            if row["author__municipality_id"]
            else None
        )
        question.author = author
    return question


def render_question(
    member: Any, meeting: Meeting, question: Question, language: str, *, registered: bool, organiser: bool, voted: bool
) -> str:
    """``meetings/_question.html`` for this member, as on the live page (the same fragment).
    The CSRF token is left empty: the page's script puts in the page's own token."""
    registration = Registration(status="registered") if registered else None
    fragment = QuestionFragment.of(
        question, can_vote=permissions.can_vote(member, question, registration, meeting), can_moderate=organiser,
        can_see_asker=permissions.can_see_asker(member, question, meeting), voted=voted, page="live",
    )  # fmt: skip
    with translation.override(language):
        return render_in_process(fragment).replace(CSRF_PLACEHOLDER, "")
