"""Sign-up reviewers who hear about it: the programme team's shared mailbox for provinces
without an ambassador, and the daily reminder of sign-ups left waiting.

A new verified sign-up is a ``pending_member`` notification for its province's ambassadors,
or for the programme team's members where the province has none (``actions.moderators_for``);
those notifications are e-mailed at once by default. Here: the e-mail to ``SUPPORT_EMAIL``
beside them, and the reminder (``manage.py remind_pending_signups``), both outbox rows with
an idempotency key, so that a second run of the same day queues nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from community.emails import member_address
from community.models import Group, Member, Membership
from notifications.email import outbox
from notifications.models import OutboxMessage

WAITING_WORKING_DAYS = 2


def working_days_before(moment: datetime, days: int) -> datetime:
    """The moment ``days`` working days (Monday to Friday) before ``moment``."""
    day = timezone.localtime(moment)
    left = days
    while left:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def queue_team_mail(*, applicant: Member) -> None:
    """Tell the programme team's mailbox of a sign-up from a province without an ambassador."""
    context = {
        "applicant": applicant,
        "municipality": applicant.municipality.name if applicant.municipality_id else "",
        "link": settings.SITE_URL + reverse("moderation") + "?queue=signups",
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string("emails/signup_pending_team_subject.txt", context).split())
        text = render_to_string("emails/signup_pending_team.txt", context)
    outbox.bulk_queue(
        [
            outbox.new_message(
                to=settings.SUPPORT_EMAIL,
                kind="signup_pending",
                subject=subject,
                text=text,
                key=f"signup_pending/{applicant.pk}",
            )  # fmt: skip
        ],
        skip_duplicates=True,
    )


def waiting_signups(now: datetime | None = None) -> list[Member]:
    """Verified sign-ups that have waited more than two working days for a decision."""
    cutoff = working_days_before(now or timezone.now(), WAITING_WORKING_DAYS)
    return list(
        Member.objects.filter(status=Member.Status.PENDING, is_active=True, email_verified_at__lt=cutoff)
        .select_related("municipality__region")
        .order_by("email_verified_at", "pk")
    )


def queue_reminders(*, today: date | None = None, now: datetime | None = None) -> int:
    """One reminder e-mail per reviewer with the sign-ups waiting for them: an ambassador
    those of their province, the programme team's members and mailbox all of them (they
    decide where a province has no ambassador). One run per day: a second queues nothing.
    Returns how many reminders were queued."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    waiting = waiting_signups(now)
    if not waiting:
        return 0
    by_region: dict[int | None, list[Member]] = defaultdict(list)
    for applicant in waiting:
        by_region[applicant.municipality.region_id if applicant.municipality_id else None].append(applicant)
    regional = {
        g.region_id: g.pk
        for g in Group.objects.filter(kind=Group.Kind.REGION, region_id__in=[r for r in by_region if r])
    }
    reviewers: dict[int, list[Member]] = defaultdict(list)
    for member_id, group_id in (
        Member.objects.participating()
        .filter(memberships__group_id__in=regional.values(), memberships__role=Membership.Role.MODERATOR)
        .values_list("pk", "memberships__group_id")
    ):
        region_id = next(r for r, g in regional.items() if g == group_id)
        reviewers[member_id] += by_region[region_id]
    team = list(
        Member.objects.participating()
        .filter(is_staff=True, email_verified_at__isnull=False)
        .values_list("pk", flat=True)
    )
    for member_id in team:
        reviewers[member_id] = waiting
    members = {m.pk: m for m in Member.objects.filter(pk__in=reviewers, email_verified_at__isnull=False)}
    rows = [
        _reminder(to=member_address(member), language=member.language, name=member.name, applicants=applicants,
                  key=f"signup_reminder/{today.isoformat()}/{member.pk}", recipient_id=member.pk, now=now)
        for member_id, applicants in reviewers.items()
        if (member := members.get(member_id)) is not None
    ]  # fmt: skip
    rows.append(
        _reminder(to=settings.SUPPORT_EMAIL, language=settings.LANGUAGE_CODE, name="", applicants=waiting,
                  key=f"signup_reminder/{today.isoformat()}/team", recipient_id=None, now=now)
    )  # fmt: skip
    done = set(OutboxMessage.objects.filter(key__in=[row.key for row in rows]).values_list("key", flat=True))
    rows = [row for row in rows if row.key not in done]
    outbox.bulk_queue(rows, skip_duplicates=True)  # a run at the same moment: the keys keep it once
    return len(rows)


def _reminder(
    *,
    to: str,
    language: str,
    name: str,
    applicants: Iterable[Member],
    key: str,
    recipient_id: int | None,
    now: datetime,
):
    items = [
        {
            "name": applicant.name,
            "municipality": applicant.municipality.name if applicant.municipality_id else "",
            "since": timezone.localtime(applicant.email_verified_at or now),
            "days": (timezone.localdate(now) - timezone.localdate(applicant.email_verified_at or now)).days,
        }
        for applicant in applicants
    ]
    context = {
        "name": name,
        "applicants": items,
        "link": settings.SITE_URL + reverse("moderation") + "?queue=signups",
        "site_name": settings.SITE_NAME,
    }
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string("emails/signup_reminder_subject.txt", context).split())
        text = render_to_string("emails/signup_reminder.txt", context)
    return outbox.new_message(
        to=to, kind="signup_reminder", subject=subject, text=text, key=key, recipient_id=recipient_id
    )
