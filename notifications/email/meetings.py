"""What an e-mail about a meeting says beside its headline: when and where, and, only for
members who may see it (registered members and organisers), the webinar's join link.

Decided when the e-mail is written, for the whole batch in two queries (the meetings with
their organisers, the recipients' registrations): an invitation never carries the link,
a reminder or a freed seat does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from community.meetings.models import Meeting, Registration
from community.meetings.permissions import can_see_join_link
from notifications.models import Notification


def bulk_meeting_context(
    notifications: Sequence[Notification],
) -> tuple[dict[int, Meeting], dict[tuple[int, int], Registration]]:
    ids = {n.meeting_id for n in notifications if n.meeting_id is not None}
    if not ids:
        return {}, {}
    meetings = {m.pk: m for m in Meeting.objects.filter(pk__in=ids).prefetch_related("organisers")}
    registrations = {
        (r.meeting_id, r.member_id): r
        for r in Registration.objects.filter(meeting_id__in=ids, member_id__in={n.recipient_id for n in notifications})
    }
    return meetings, registrations


def meeting_excerpt(meeting: Meeting, member, registration: Registration | None) -> str:
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


# --- The digest's meetings section -----------------------------------------------------------
# The meetings coming up in the weeks after the period, loaded once per run (three queries),
# matched to each member in Python: those for their municipality's typologies or province, for
# everybody, and those they registered for (one query per batch). No join links here.

DIGEST_DAYS = 21
DIGEST_MEETINGS = 5


@dataclass
class MeetingItem:
    meeting: Meeting
    typology_ids: frozenset[int]
    region_ids: frozenset[int]

    def is_for(self, typology_ids: frozenset[int], region_id: int | None) -> bool:
        if not self.typology_ids and not self.region_ids:
            return True
        return bool(self.typology_ids & typology_ids) or region_id in self.region_ids


def load_items(period) -> list[MeetingItem]:
    start = period.end_at
    meetings = Meeting.objects.filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=DIGEST_DAYS)).order_by(
        "starts_at", "pk"
    )
    return [
        MeetingItem(m, frozenset(t.pk for t in m.typologies.all()), frozenset(r.pk for r in m.regions.all()))
        for m in meetings.prefetch_related("typologies", "regions")[:200]
    ]


def for_batch(members, candidates, period) -> dict[int, list[tuple[MeetingItem, str | None]]]:
    """Each member's meetings for the digest, with their registration status."""
    items = getattr(candidates, "meetings", None)
    if items is None:
        items = candidates.meetings = load_items(period)
    if not items:
        return {}
    statuses = {
        (member_id, meeting_id): status
        for member_id, meeting_id, status in Registration.objects.current()
        .filter(member_id__in=[m.pk for m in members], meeting_id__in=[item.meeting.pk for item in items])
        .values_list("member_id", "meeting_id", "status")
    }
    from community.models import Municipality

    regions = dict(
        Municipality.objects.filter(pk__in={m.municipality_id for m in members if m.municipality_id}).values_list(
            "pk", "region_id"
        )
    )
    chosen: dict[int, list[tuple[MeetingItem, str | None]]] = {}
    for member in members:
        typologies = candidates.typologies.get(member.municipality_id or 0, frozenset())
        region_id = regions.get(member.municipality_id)
        mine = [
            (item, statuses.get((member.pk, item.meeting.pk)))
            for item in items
            if (member.pk, item.meeting.pk) in statuses or item.is_for(typologies, region_id)
        ]
        if mine:
            chosen[member.pk] = mine[:DIGEST_MEETINGS]
    return chosen


def as_context(item: MeetingItem, status: str | None) -> dict[str, str]:
    """In the active language (the digest sets the member's)."""
    from django.conf import settings

    meeting = item.meeting
    where = meeting.location_name or (_("online") if meeting.kind == Meeting.Kind.ONLINE else meeting.address)
    return {
        "title": meeting.title,
        "url": settings.SITE_URL + meeting.get_absolute_url(),
        "when": date_format(timezone.localtime(meeting.starts_at), "l j F Y, H:i"),
        "where": where,
        "status": {"registered": _("you are registered"), "waiting": _("you are on the waiting list")}.get(
            status or "", ""
        ),
    }
