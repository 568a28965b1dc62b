"""Every write of the meetings app.

Keyword-only, atomic, returning what changed. Authorisation is checked by the caller
(view, command); the rules of the domain (capacity, deadlines, one vote per member and
question) are enforced here with DomainError. Each action sends its domain signal from
inside its transaction (``community/meetings/signals.py``).

Seats: every action that hands out or frees a seat first locks the meeting's row
(``select_for_update``), so two members asking for the last seat at once are served one
after the other: exactly one gets it, the other goes on the waiting list. SQLite
serialises writers anyway (IMMEDIATE transactions).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from community.actions import write_log_entry
from community.errors import DomainError
from community.meetings import signals
from community.meetings.models import CalendarFeed, Invitation, Meeting, Question, Registration, Reminder, Vote
from community.models import Group, Member, ModerationLogEntry, Region, Typology

MAX_THEMES = 5
MAX_QUESTION_LENGTH = 1000
#: Changing these moves the calendar SEQUENCE: calendar programs then update the event.
CALENDAR_FIELDS = ("title", "description", "kind", "location_name", "address", "join_url", "starts_at", "ends_at")
EDITABLE_FIELDS = (*CALENDAR_FIELDS, "registration_deadline", "capacity")


def _clean_details(fields: dict) -> dict:
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
        Member.objects.participants()
        .filter(is_active=True, memberships__group__in=list(groups))
        .exclude(pk__in=Invitation.objects.filter(meeting=meeting).values("member_id"))
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    Invitation.objects.bulk_create(
        [Invitation(meeting=meeting, member_id=member_id, invited_by=actor, created=now) for member_id in sorted(candidates)],
        ignore_conflicts=True,
    )
    # Ours: the rows written now (a concurrent invitation of the same member keeps its own).
    invited = set(Invitation.objects.filter(meeting=meeting, member_id__in=candidates, created=now).values_list("member_id", flat=True))
    if invited:
        signals.meeting_invited.send(sender=None, meeting=meeting, member_ids=invited, actor=actor)
    return invited


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
    signals.registration_changed.send(sender=None, meeting=locked, member=member, registration=registration, actor=member)
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
    signals.registration_changed.send(sender=None, meeting=locked, member=member, registration=registration, actor=actor or member)
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
    Reminder.objects.bulk_create([Reminder(meeting=meeting, member_id=member_id, run=run) for member_id in due], ignore_conflicts=True)
    ours = sorted(Reminder.objects.filter(meeting=meeting, run=run).values_list("member_id", flat=True))
    if ours:
        signals.meeting_reminder_due.send(sender=None, meeting=meeting, member_ids=ours)
    return len(ours)


# --- Questions and votes ---------------------------------------------------------------


@transaction.atomic
def ask_question(*, author: Member, meeting: Meeting, text: str, anonymous: bool = False) -> Question:
    text = text.strip()
    if not text:
        raise DomainError(_("Write your question first."))
    if len(text) > MAX_QUESTION_LENGTH:
        raise DomainError(_("A question can be at most %(limit)d characters long.") % {"limit": MAX_QUESTION_LENGTH})
    if timezone.now() >= meeting.ends_at:
        raise DomainError(_("This meeting is over; it takes no more questions."))
    question = Question.objects.create(meeting=meeting, author=author, text=text, anonymous=anonymous)
    signals.question_added.send(sender=None, question=question)
    return question


@transaction.atomic
def toggle_vote(*, member: Member, question: Question) -> tuple[bool, int]:
    """Vote for a question, or take the vote back. Returns (voted now, the question's votes)."""
    current = Question.objects.filter(pk=question.pk).values("hidden", "merged_into_id", "status", "author_id").first()
    if current is None or current["hidden"] or current["merged_into_id"] is not None:
        raise DomainError(_("This question is no longer open for votes."))
    if current["status"] == Question.Status.ANSWERED:
        raise DomainError(_("This question has been answered."))
    if current["author_id"] == member.pk:
        raise DomainError(_("You cannot vote for your own question."))
    deleted, _rows = Vote.objects.filter(question_id=question.pk, member=member).delete()
    if deleted:
        Question.objects.filter(pk=question.pk).update(vote_count=F("vote_count") - 1)
        voted = False
    else:
        Vote.objects.create(question_id=question.pk, member=member)
        Question.objects.filter(pk=question.pk).update(vote_count=F("vote_count") + 1)
        voted = True
    question.vote_count = Question.objects.filter(pk=question.pk).values_list("vote_count", flat=True).get()
    signals.question_voted.send(sender=None, question=question, member=member, voted=voted)
    return voted, question.vote_count


def _change(question: Question, actor: Member, change: str, **fields: object) -> Question:
    for name, value in fields.items():
        setattr(question, name, value)
    question.save(update_fields=list(fields))
    signals.question_changed.send(sender=None, question=question, actor=actor, change=change)
    return question


def _locked_question(question: Question) -> Question:
    locked = Question.objects.select_for_update().get(pk=question.pk)
    if locked.merged_into_id is not None:
        raise DomainError(_("This question was merged into another one."))
    return locked


@transaction.atomic
def select_question(*, actor: Member, question: Question, selected: bool = True) -> Question:
    """Mark a question "will be discussed" (or take the mark away)."""
    question = _locked_question(question)
    if question.status in (Question.Status.ANSWERING, Question.Status.ANSWERED):
        raise DomainError(_("This question is being answered or has been answered."))
    status = Question.Status.SELECTED if selected else Question.Status.OPEN
    return _change(question, actor, "selected" if selected else "unselected", status=status)


@transaction.atomic
def start_answering(*, actor: Member, question: Question) -> Question:
    """"Now answering": the question the speakers take up now. The one answered before it
    (if any) is marked answered."""
    question = _locked_question(question)
    if question.hidden:
        raise DomainError(_("A hidden question cannot be answered."))
    for previous in Question.objects.select_for_update().filter(meeting_id=question.meeting_id, status=Question.Status.ANSWERING).exclude(pk=question.pk):
        _change(previous, actor, "answered", status=Question.Status.ANSWERED, answered_at=timezone.now())
    return _change(question, actor, "answering", status=Question.Status.ANSWERING)


@transaction.atomic
def mark_answered(*, actor: Member, question: Question) -> Question:
    question = _locked_question(question)
    return _change(question, actor, "answered", status=Question.Status.ANSWERED, answered_at=timezone.now())


@transaction.atomic
def merge_question(*, actor: Member, question: Question, into: Question) -> Question:
    """Merge a duplicate into another question of the same meeting: its votes (and its
    asker's support) go to that question, which shows them from then on."""
    if question.pk == into.pk or question.meeting_id != into.meeting_id:
        raise DomainError(_("Choose another question of this meeting."))
    question = _locked_question(question)
    into = _locked_question(into)
    if into.hidden:
        raise DomainError(_("Choose a question that is not hidden."))
    voters = set(Vote.objects.filter(question=question).values_list("member_id", flat=True))
    if question.author_id:
        voters.add(question.author_id)
    voters -= set(Vote.objects.filter(question=into).values_list("member_id", flat=True))
    voters.discard(into.author_id)
    Vote.objects.bulk_create([Vote(question=into, member_id=member_id) for member_id in sorted(voters)], ignore_conflicts=True)
    into.vote_count = into.votes.count()
    into.save(update_fields=["vote_count"])
    if question.status == Question.Status.SELECTED and into.status == Question.Status.OPEN:
        _change(into, actor, "selected", status=Question.Status.SELECTED)
    _change(question, actor, "merged", merged_into=into)
    signals.question_voted.send(sender=None, question=into, member=actor, voted=True)
    return into


@transaction.atomic
def hide_question(*, actor: Member, question: Question, reason: str) -> Question:
    """Moderation as for posts (SPEC F6): hidden from other members with a reason the
    asker is told, logged in the moderation log."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give a reason: the member is told why."))
    question = Question.objects.select_for_update(of=("self",)).select_related("meeting", "author").get(pk=question.pk)
    if question.hidden:
        raise DomainError(_("This question is already hidden."))
    question.hidden, question.hidden_reason = True, reason
    question.save(update_fields=["hidden", "hidden_reason"])
    write_log_entry(
        actor=actor, action=ModerationLogEntry.Action.HIDE_QUESTION, member=question.author, target=question,
        label=f"{question.meeting.title}: {question.text[:200]}", reason=reason,
    )  # fmt: skip
    signals.question_hidden.send(sender=None, question=question, actor=actor, reason=reason)
    return question


@transaction.atomic
def unhide_question(*, actor: Member, question: Question) -> Question:
    question = Question.objects.select_for_update(of=("self",)).select_related("meeting", "author").get(pk=question.pk)
    if not question.hidden:
        raise DomainError(_("This question is not hidden."))
    question.hidden, question.hidden_reason = False, ""
    question.save(update_fields=["hidden", "hidden_reason"])
    write_log_entry(
        actor=actor, action=ModerationLogEntry.Action.UNHIDE_QUESTION, member=question.author, target=question,
        label=f"{question.meeting.title}: {question.text[:200]}",
    )  # fmt: skip
    signals.question_changed.send(sender=None, question=question, actor=actor, change="unhidden")
    return question


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
    fields = {"report_html": html}
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


# --- Account deletion ------------------------------------------------------------------------


def release_seats_of(member: Member) -> None:
    """The member's seats and waiting-list places for meetings still to come end (so the
    waiting list moves); their calendar feed goes. Past registrations stay (who came)."""
    upcoming = Registration.objects.current().filter(member=member, meeting__starts_at__gt=timezone.now()).select_related("meeting")
    for registration in upcoming:
        cancel_registration(member=member, meeting=registration.meeting)
    CalendarFeed.objects.filter(member=member).delete()
