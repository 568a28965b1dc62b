"""Meetings themselves: creating and changing them, invitations, the report, the calendar feed."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import DomainError
from community.meetings import signals
from community.meetings.actions.registrations import _fill_seats
from community.meetings.models import CalendarFeed, Invitation, Meeting
from community.models import Group, Member, Region, Typology

MAX_THEMES = 5
#: Changing these moves the calendar SEQUENCE: calendar programs then update the event.
CALENDAR_FIELDS = ("title", "description", "kind", "location_name", "address", "join_url", "starts_at", "ends_at")
EDITABLE_FIELDS = (*CALENDAR_FIELDS, "registration_deadline", "capacity")


def _clean_details(fields: dict[str, Any]) -> dict[str, Any]:
    """Check the details of a meeting; the cleaned values."""
    fields = dict(fields)
    fields["title"] = (fields.get("title") or "").strip()
    fields["description"] = (fields.get("description") or "").strip()
    for name in ("location_name", "address", "join_url"):
        fields[name] = (fields.get(name) or "").strip()
    if len(fields["title"]) < 5:
        raise DomainError(_("Give the meeting a title of at least 5 characters."))
    if not fields["description"]:
        raise DomainError(_("Describe what the meeting is about."))
    if fields.get("kind") not in Meeting.Kind.values:
        raise DomainError(_("Choose what kind of meeting this is."))
    starts_at, ends_at = fields.get("starts_at"), fields.get("ends_at")
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        raise DomainError(_("The meeting must end after it starts."))
    deadline = fields.get("registration_deadline")
    if deadline is not None and deadline > starts_at:
        raise DomainError(_("Registration must close before the meeting starts."))
    if fields["kind"] in (Meeting.Kind.LOCATION, Meeting.Kind.HYBRID) and not fields["address"]:
        raise DomainError(_("Give the address of the location."))
    if fields["kind"] == Meeting.Kind.LOCATION:
        fields["join_url"] = ""
    if fields["join_url"] and not fields["join_url"].startswith("https://"):
        raise DomainError(_("The join link must start with https://."))
    capacity = fields.get("capacity")
    if capacity is not None and capacity < 1:
        raise DomainError(_("A meeting has at least one seat, or no limit."))
    return fields


def _clean_themes(themes: Sequence[str]) -> list[str]:
    themes = list(dict.fromkeys(slug.strip() for slug in themes if slug and slug.strip()))
    if not 1 <= len(themes) <= MAX_THEMES:
        raise DomainError(_("Choose between %(min)d and %(max)d themes.") % {"min": 1, "max": MAX_THEMES})
    return themes


@transaction.atomic
def create_meeting(
    *,
    actor: Member,
    title: str,
    description: str,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    themes: Sequence[str],
    location_name: str = "",
    address: str = "",
    join_url: str = "",
    registration_deadline: datetime | None = None,
    capacity: int | None = None,
    typologies: Iterable[Typology] = (),
    regions: Iterable[Region] = (),
    organisers: Iterable[Member] = (),
) -> Meeting:
    """A new meeting; whoever creates it is one of its organisers."""
    fields = _clean_details(
        {
            "title": title, "description": description, "kind": kind, "location_name": location_name, "address": address,
            "join_url": join_url, "starts_at": starts_at, "ends_at": ends_at,
            "registration_deadline": registration_deadline, "capacity": capacity,
        }
    )  # fmt: skip
    meeting = Meeting.objects.create(**fields, themes=_clean_themes(themes), created_by=actor)
    meeting.typologies.set(list(typologies))
    meeting.regions.set(list(regions))
    meeting.organisers.set({actor, *organisers})
    return meeting


@transaction.atomic
def update_meeting(
    *,
    actor: Member,
    meeting: Meeting,
    themes: Sequence[str] | None = None,
    typologies: Iterable[Typology] | None = None,
    regions: Iterable[Region] | None = None,
    organisers: Iterable[Member] | None = None,
    **details: object,
) -> Meeting:
    """Change a meeting's details. A change of time, place or link moves the calendar
    SEQUENCE; more seats move members up from the waiting list; organisers who are no
    longer organisers stop following the meeting live."""
    unknown = set(details) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    fields = _clean_details({name: details.get(name, getattr(meeting, name)) for name in EDITABLE_FIELDS})
    changed = [name for name in EDITABLE_FIELDS if fields[name] != getattr(meeting, name)]
    for name in changed:
        setattr(meeting, name, fields[name])
    update = [*changed, "updated"]
    if themes is not None:
        cleaned = _clean_themes(themes)
        if cleaned != meeting.themes:
            meeting.themes = cleaned
            update.append("themes")
            changed.append("themes")
    if any(name in CALENDAR_FIELDS for name in changed):
        meeting.sequence = F("sequence") + 1
        update.append("sequence")
    if organisers is not None:
        new = {m.pk for m in organisers} | {actor.pk} if not actor.is_staff else {m.pk for m in organisers}
        old = set(meeting.organisers.values_list("pk", flat=True))
        if new != old:
            if not new:
                raise DomainError(_("A meeting needs at least one organiser."))
            meeting.organisers.set(list(Member.objects.filter(pk__in=new)))
            changed.append("organisers")
            if old - new:
                meeting.access_version = F("access_version") + 1
                update.append("access_version")
    meeting.updated = timezone.now()
    meeting.save(update_fields=update)
    if typologies is not None:
        meeting.typologies.set(list(typologies))
    if regions is not None:
        meeting.regions.set(list(regions))
    meeting.refresh_from_db()
    meeting.__dict__.pop("organiser_ids", None)
    if "capacity" in changed:
        _fill_seats(meeting)
    signals.meeting_changed.send(sender=None, meeting=meeting, actor=actor, changed=changed)
    return meeting


# --- Invitations ---------------------------------------------------------------------


@transaction.atomic
def invite_groups(*, actor: Member, meeting: Meeting, groups: Sequence[Group]) -> set[int]:
    """Invite the members of these typology or regional groups who may take part and were
    not invited yet: each hears once (one notification and, by their preferences, one
    e-mail). Returns the ids of the members invited now."""
    if meeting.is_past:
        raise DomainError(_("This meeting is over."))
    if not groups:
        raise DomainError(_("Choose the groups to invite."))
    if any(group.kind not in (Group.Kind.TYPOLOGY, Group.Kind.REGION) for group in groups):
        raise DomainError(_("Invite typology groups and regional groups."))
    candidates = set(
        Member.objects.approved()
        .filter(is_active=True, memberships__group__in=list(groups))
        .exclude(pk__in=Invitation.objects.filter(meeting=meeting).values("member_id"))
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    Invitation.objects.bulk_create(
        [
            Invitation(meeting=meeting, member_id=member_id, invited_by=actor, created=now)
            for member_id in sorted(candidates)
        ],
        ignore_conflicts=True,
    )
    # Ours: the rows written now (a concurrent invitation of the same member keeps its own).
    invited = set(
        Invitation.objects.filter(meeting=meeting, member_id__in=candidates, created=now).values_list(
            "member_id", flat=True
        )
    )
    if invited:
        signals.meeting_invited.send(sender=None, meeting=meeting, member_ids=invited, actor=actor)
    return invited


# --- The report ----------------------------------------------------------------------------


@transaction.atomic
def publish_report(*, actor: Member, meeting: Meeting, report: str, group: Group) -> Meeting:
    """Publish (or correct) the report, in Markdown. The first publication opens the
    follow-up thread in ``group``: ``threads`` receives ``report_published``, renders the
    Markdown to safe HTML and opens the thread, and hands both back through
    ``attach_report``, all in this transaction."""
    report = report.strip()
    if not report:
        raise DomainError(_("Write the report first."))
    if meeting.starts_at > timezone.now():
        raise DomainError(_("The report can be published once the meeting has started."))
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    first = meeting.report_published_at is None
    meeting.report = report
    if first:
        meeting.report_published_at = timezone.now()
    meeting.updated = timezone.now()
    meeting.save(update_fields=["report", "report_published_at", "updated"])
    signals.report_published.send(sender=None, meeting=meeting, actor=actor, group_id=group.pk, first=first)
    meeting.refresh_from_db()
    return meeting


@transaction.atomic
def attach_report(*, meeting: Meeting, html: str, thread_id: int | None = None) -> Meeting:
    """Store the report's HTML, made safe by whoever renders it (``threads``), and the id of
    its follow-up thread. Called by the receiver of ``report_published``."""
    fields: dict[str, Any] = {"report_html": html}
    if thread_id is not None:
        fields["report_thread_id"] = thread_id
    Meeting.objects.filter(pk=meeting.pk).update(**fields)
    for name, value in fields.items():
        setattr(meeting, name, value)
    return meeting


# --- The personal calendar feed ---------------------------------------------------------


@transaction.atomic
def renew_calendar_feed(*, member: Member) -> CalendarFeed:
    """A new link for the member's calendar feed; the old link stops working at once."""
    feed, _created = CalendarFeed.objects.update_or_create(
        member=member, defaults={"key": secrets.token_urlsafe(24), "created": timezone.now()}
    )
    return feed


def calendar_feed_of(member: Member) -> CalendarFeed:
    """The member's feed, made on first use."""
    feed = CalendarFeed.objects.filter(member=member).first()
    return feed or renew_calendar_feed(member=member)
