"""The only place channel group names are made, each beside the rule that says who may join it."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community.meetings.models import Meeting, Registration
    from community.models import Member
    from threads.models import Thread


def member_group(member_id: int) -> str:
    """A member's personal stream: only that member's own sockets join it."""
    return f"member.{member_id}"


def members_group() -> str:
    """Every logged-in socket. Carries only batches of personal events keyed by member
    (``push.publish_to_members``), of which each socket sends on its own member's alone."""
    return "members"


def session_group(session_key: str) -> str:
    """The sockets of one browser session (one login), to close them when it ends; only
    sockets opened with that session's cookie join it. Named by a digest, so the session
    key itself never travels through the channel layer."""
    return "session." + hashlib.blake2b(session_key.encode(), digest_size=16).hexdigest()


def thread_group(thread_id: int) -> str:
    """Live changes to one thread: joined only after the thread page's own read check."""
    return f"thread.{thread_id}"


def may_join_thread_group(member: Member, thread: Thread) -> bool:
    from threads.permissions import can_read_thread

    return can_read_thread(member, thread)


def moderation_group(group_id: int) -> str:
    """Queue counts of one group's moderation: for its moderators and staff."""
    return f"moderation.{group_id}"


def may_join_moderation_group(member: Member, group_id: int) -> bool:
    from community.permissions import may_moderate

    return may_moderate(member, "watch_queue", group_id=group_id)


def meeting_group(meeting_id: int) -> str:
    """The live Q&A of one meeting: new questions, votes, "now answering", "answered"."""
    return f"meeting.{meeting_id}"


def may_join_meeting_group(member: Member, meeting: Meeting, registration: Registration | None) -> bool:
    """Registered members and the meeting's organisers (and the programme team), never
    anyone else (``community.meetings.permissions.can_follow_live``)."""
    from community.meetings.permissions import can_follow_live

    return can_follow_live(member, meeting, registration)
