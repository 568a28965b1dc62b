"""What an e-mail about a meeting says beside its headline: when and where, and, only for
members who may see it (registered members and organisers), the webinar's join link.

Decided when the e-mail is written, for the whole batch in two queries (the meetings with
their organisers, the recipients' registrations): an invitation never carries the link,
a reminder or a freed seat does.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from community.meetings.models import Meeting, Registration
from community.meetings.permissions import can_see_join_link
from notifications.models import Notification


def bulk_meeting_context(notifications: Sequence[Notification]) -> tuple[dict[int, Meeting], dict[tuple[int, int], Registration]]:
    ids = {n.meeting_id for n in notifications if n.meeting_id is not None}
    if not ids:
        return {}, {}
    meetings = {m.pk: m for m in Meeting.objects.filter(pk__in=ids).prefetch_related("organisers")}
    registrations = {
        (r.meeting_id, r.member_id): r
        for r in Registration.objects.filter(meeting_id__in=ids, member_id__in={n.recipient_id for n in notifications})
    }
    return meetings, registrations


def meeting_excerpt(meeting: Meeting, member, registration: Registration | None) -> str:  # type: ignore[no-untyped-def]
    """In the active language (the caller sets the member's)."""
    start = timezone.localtime(meeting.starts_at)
    lines = [_("When: %(when)s") % {"when": date_format(start, "l j F Y, H:i")}]
    if meeting.is_on_location:
        place = ", ".join(part for part in (meeting.location_name, meeting.address) if part)
        lines.append(_("Where: %(place)s") % {"place": place})
    if meeting.is_online:
        if can_see_join_link(member, meeting, registration):
            lines.append(_("Join online: %(link)s") % {"link": meeting.join_url})
        else:
            lines.append(_("Online: the join link is on the meeting's page once you are registered."))
    return "\n".join(lines)
