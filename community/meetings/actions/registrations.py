"""Seats and the waiting list, who came, the day-before reminders.

Every action that hands out or frees a seat first locks the meeting's row
(``select_for_update``), so two members asking for the last seat at once are served one
after the other: exactly one gets it, the other goes on the waiting list. SQLite
serialises writers anyway (IMMEDIATE transactions).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import DomainError
from community.meetings import signals
from community.meetings.models import CalendarFeed, Meeting, Registration, Reminder
from community.models import Member

# --- Registration and the waiting list ---------------------------------------------------


def _lock(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


@transaction.atomic
def register(*, member: Member, meeting: Meeting) -> Registration:
    """Take a seat, or a place on the waiting list when the meeting is full.

    Locks the meeting's row first: concurrent registrations for the last seat are
    decided one after the other (see the module's docstring).
    """
    locked = _lock(meeting)
    now = timezone.now()
    if now >= locked.closes_at or now >= locked.ends_at:
        raise DomainError(_("Registration for this meeting has closed."))
    registration = Registration.objects.filter(meeting=locked, member=member).first()
    if registration is not None and registration.status != Registration.Status.CANCELLED:
        raise DomainError(_("You are already registered for this meeting."))
    has_seat = locked.capacity is None or locked.registered_count < locked.capacity
    status = Registration.Status.REGISTERED if has_seat else Registration.Status.WAITING
    if registration is None:
        registration = Registration(meeting=locked, member=member)
    registration.status = status
    registration.requested_at = now
    registration.registered_at = now if has_seat else None
    registration.cancelled_at = None
    registration.save()
    counter = "registered_count" if has_seat else "waiting_count"
    Meeting.objects.filter(pk=locked.pk).update(**{counter: F(counter) + 1})
    _refresh_counts(meeting)
    signals.registration_changed.send(
        sender=None, meeting=locked, member=member, registration=registration, actor=member
    )
    return registration


@transaction.atomic
def cancel_registration(*, member: Member, meeting: Meeting, actor: Member | None = None) -> Registration:
    """Give up a seat (or a place on the waiting list). A freed seat goes to the first
    member on the waiting list, who is told. The member stops following the meeting live."""
    locked = _lock(meeting)
    registration = Registration.objects.filter(meeting=locked, member=member).first()
    if registration is None or registration.status == Registration.Status.CANCELLED:
        raise DomainError(_("You are not registered for this meeting."))
    had_seat = registration.status == Registration.Status.REGISTERED
    registration.status = Registration.Status.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at"])
    counter = "registered_count" if had_seat else "waiting_count"
    Meeting.objects.filter(pk=locked.pk).update(**{counter: F(counter) - 1, "access_version": F("access_version") + 1})
    locked.refresh_from_db()
    signals.registration_changed.send(
        sender=None, meeting=locked, member=member, registration=registration, actor=actor or member
    )
    if had_seat:
        _fill_seats(locked)
    _refresh_counts(meeting)
    return registration


def _fill_seats(meeting: Meeting) -> list[Registration]:
    """Move members up from the waiting list while there are seats (the meeting's row is
    locked by the caller, or locked here). Each of them is told."""
    locked = _lock(meeting)
    promoted = []
    free = None if locked.capacity is None else locked.capacity - locked.registered_count
    queue = Registration.objects.waiting().filter(meeting=locked).select_related("member")
    if free is not None:
        queue = queue[: max(0, free)]
    now = timezone.now()
    for registration in queue:
        registration.status = Registration.Status.REGISTERED
        registration.registered_at = now
        registration.save(update_fields=["status", "registered_at"])
        promoted.append(registration)
    if promoted:
        Meeting.objects.filter(pk=locked.pk).update(
            registered_count=F("registered_count") + len(promoted), waiting_count=F("waiting_count") - len(promoted)
        )
        locked.refresh_from_db()
    for registration in promoted:
        signals.registration_promoted.send(sender=None, meeting=locked, registration=registration, was_waiting=True)
        signals.registration_changed.send(
            sender=None, meeting=locked, member=registration.member, registration=registration, actor=None
        )
    _refresh_counts(meeting)
    return promoted


def _refresh_counts(meeting: Meeting) -> None:
    """The caller's instance shows the counts as they are now."""
    row = Meeting.objects.filter(pk=meeting.pk).values("registered_count", "waiting_count", "access_version").first()
    if row:
        for name, value in row.items():
            setattr(meeting, name, value)


@transaction.atomic
def record_attendance(*, actor: Member, meeting: Meeting, member_ids: Iterable[int]) -> int:
    """Say who came: these registered members did, the other registered members did not."""
    came = set(member_ids)
    registrations = Registration.objects.filter(meeting=meeting, status=Registration.Status.REGISTERED)
    registrations.filter(member_id__in=came).update(attended=True)
    registrations.exclude(member_id__in=came).update(attended=False)
    return registrations.filter(attended=True).count()


# --- Reminders -----------------------------------------------------------------------------


def reminder_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Meetings that start from now to the end of tomorrow (site time zone) are due for
    their day-before reminder; running the command late still reminds today's meetings."""
    now = now or timezone.now()
    tomorrow = timezone.localtime(now).date() + timedelta(days=1)
    end = timezone.make_aware(datetime.combine(tomorrow + timedelta(days=1), datetime.min.time()))
    return now, end


def send_reminders(*, now: datetime | None = None) -> int:
    """Send the day-before reminder to every registered member of the meetings due for it
    who has not had it: a ledger row per meeting and member (unique) is written in the
    transaction that sends it, so re-runs and concurrent runs send nothing twice. Returns
    how many reminders this run sent."""
    start, end = reminder_window(now)
    sent = 0
    for meeting in Meeting.objects.filter(starts_at__gt=start, starts_at__lt=end).order_by("starts_at", "pk"):
        sent += _remind(meeting)
    return sent


@transaction.atomic
def _remind(meeting: Meeting) -> int:
    run = uuid.uuid4().hex
    due = list(
        Registration.objects.active()
        .filter(meeting=meeting)
        .exclude(member_id__in=Reminder.objects.filter(meeting=meeting).values("member_id"))
        .values_list("member_id", flat=True)
    )
    if not due:
        return 0
    Reminder.objects.bulk_create(
        [Reminder(meeting=meeting, member_id=member_id, run=run) for member_id in due], ignore_conflicts=True
    )
    ours = sorted(Reminder.objects.filter(meeting=meeting, run=run).values_list("member_id", flat=True))
    if ours:
        signals.meeting_reminder_due.send(sender=None, meeting=meeting, member_ids=ours)
    return len(ours)


# --- Account deletion ------------------------------------------------------------------------


def release_seats_of(member: Member) -> None:
    """The member's seats and waiting-list places for meetings still to come end (so the
    waiting list moves); their calendar feed goes. Past registrations stay (who came)."""
    upcoming = (
        Registration.objects.current()
        .filter(member=member, meeting__starts_at__gt=timezone.now())
        .select_related("meeting")
    )
    for registration in upcoming:
        cancel_registration(member=member, meeting=registration.meeting)
    CalendarFeed.objects.filter(member=member).delete()
