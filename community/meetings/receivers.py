"""The meetings app's part of a member's privacy rights (community.signals): what it holds
about a member for their data export, and what goes when they delete their account."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from community import signals as community_signals
from community.meetings.models import Invitation, Question, Registration, Vote


@receiver(community_signals.collect_personal_data, dispatch_uid="meetings.export")
def export_meetings_data(sender: Any, member, **kwargs: Any) -> dict[str, Any]:
    return {
        "meeting_registrations": [
            {
                "meeting": r.meeting_id, "title": r.meeting.title, "status": r.status, "asked_for_a_seat": r.requested_at,
                "got_a_seat": r.registered_at, "cancelled": r.cancelled_at, "came": r.attended,
            }
            for r in Registration.objects.filter(member=member).select_related("meeting").order_by("requested_at", "pk")
        ],
        "meeting_invitations": [
            {"meeting": i.meeting_id, "title": i.meeting.title, "invited": i.created}
            for i in Invitation.objects.filter(member=member).select_related("meeting").order_by("created", "pk")
        ],
        # Anonymous questions are the member's own: the export says which were asked anonymously.
        "meeting_questions": [
            {
                "meeting": q.meeting_id, "title": q.meeting.title, "question": q.text, "anonymous": q.anonymous,
                "status": q.status, "votes": q.vote_count, "hidden": q.hidden, "hidden_reason": q.hidden_reason, "asked": q.created,
            }
            for q in Question.objects.filter(author=member).select_related("meeting").order_by("created", "pk")
        ],
        "meeting_votes": [
            {"question": v.question_id, "meeting": v.question.meeting_id, "voted": v.created}
            for v in Vote.objects.filter(member=member).select_related("question").order_by("created", "pk")
        ],
    }  # fmt: skip


@receiver(community_signals.account_deleted, dispatch_uid="meetings.erase")
def erase_meetings_data(sender: Any, member, former, **kwargs: Any) -> None:
    """Seats for meetings to come are given up (the waiting list moves) and the calendar
    feed goes; questions stay, shown as asked by "former member", without the name in them."""
    from community.meetings.actions import release_seats_of

    release_seats_of(member)
    Invitation.objects.filter(member=member).delete()
    for question in Question.objects.filter(author=member):
        scrubbed = former.scrub(question.text)
        if scrubbed != question.text:
            Question.objects.filter(pk=question.pk).update(text=scrubbed)
