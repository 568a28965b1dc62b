"""Daily and weekly digests: what happened in a member's world in the period that just ended.

One run (``manage.py send_digests --frequency daily|weekly``) covers one period:
yesterday for the daily digest, last Monday to Sunday for the weekly one, in
the site's time zone. It works in three steps:

1. **Candidates** (``notifications.email.candidates``), once per run, whoever the members: the new threads of the
   period, the replies most marked "nuttig" in it, and which municipality has
   which typologies. A handful of queries, bounded by ``DIGEST["candidates"]``.
2. **Batches** of members who want this digest and have no ledger row for the
   period yet, in primary-key order. For a batch, a fixed number of bulk
   queries loads their memberships (their ``roles``), watch levels and the
   notifications they put in the digest; each digest is then chosen and
   rendered in Python, with the permission functions of ``threads.permissions``
   (the rules of ``Thread.objects.visible_to``) on the prefilled roles, so the
   number of queries does not grow with the number of members.
3. **One transaction per batch** inserts a ledger row per member (unique per
   member, frequency and period; ``ON CONFLICT DO NOTHING``), reads back which
   of them this run inserted, and queues the digests of those members only. A
   concurrent run blocks on the same ledger keys until this transaction ends
   and then finds them taken; a run that crashes loses only its open batch,
   and the next run resumes with the members who have no ledger row.

Empty digests are not sent (their ledger row says ``empty``).
"""

from __future__ import annotations

import heapq
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from community.models import Member
from community.permissions import bulk_load_roles
from notifications.email import meetings as digest_meetings
from notifications.email import outbox
from notifications.email.candidates import (
    Candidates,
    Period,
    PerspectiveItem,
    ReplyItem,
    ThreadItem,
    load_candidates,
    option,
    period_ending,
    perspective_order,
    question_order,
    reply_order,
    thread_order,
)
from notifications.email.immediate import address
from notifications.email.preferences import DEFAULT_DIGEST, Delivery, email_kinds, settings_of
from notifications.email.unsubscribe import DIGEST as DIGEST_SCOPE
from notifications.email.unsubscribe import list_headers, list_id, unsubscribe_url
from notifications.models import DigestLedger, EmailPreference, Notification, OutboxMessage, Watch
from notifications.texts import describe, target_url
from threads.permissions import can_read_thread

Frequency = DigestLedger.Frequency


# --- Step 2: a batch of members --------------------------------------------------------------------


@dataclass
class Scope:
    """Where a member looks: their groups and watched groups and themes, less what they muted."""

    groups: frozenset[int] = frozenset()
    themes: frozenset[int] = frozenset()
    muted_groups: frozenset[int] = frozenset()
    muted_themes: frozenset[int] = frozenset()
    muted_threads: frozenset[int] = frozenset()


def recipients(period: Period) -> Any:
    """Members who want this digest, may read the forum, have a verified address,
    and have no ledger row for the period yet; in primary-key order."""
    wants = Q(email_preference__digest=period.frequency) & ~Q(email_preference__mode=EmailPreference.Mode.NEVER)
    if period.frequency == DEFAULT_DIGEST:
        wants |= Q(email_preference__isnull=True)
    done = DigestLedger.objects.filter(member=OuterRef("pk"), frequency=period.frequency, period_start=period.start)
    return (
        Member.objects.participating()
        .filter(wants, email_verified_at__isnull=False)
        .exclude(Exists(done))
        .select_related("email_preference")
        .order_by("pk")
    )


def bulk_scopes(members: Sequence[Member]) -> dict[int, Scope]:
    """Each member's scope from their roles (prefilled) and watch levels, in one query."""
    watched_groups: dict[int, set[int]] = defaultdict(set)
    watched_themes: dict[int, set[int]] = defaultdict(set)
    muted: dict[str, dict[int, set[int]]] = {
        "group": defaultdict(set),
        "theme": defaultdict(set),
        "thread": defaultdict(set),
    }
    rows = (
        Watch.objects.filter(member_id__in=[m.pk for m in members])
        .filter(Q(thread__isnull=True) | Q(level=Watch.Level.MUTED))
        .values_list("member_id", "thread_id", "group_id", "theme_id", "level")
    )
    for member_id, thread_id, group_id, theme_id, level in rows:
        if level == Watch.Level.MUTED:
            target = "thread" if thread_id else "group" if group_id else "theme"
            muted[target][member_id].add(thread_id or group_id or theme_id)
        elif level >= Watch.Level.TRACKING:
            if group_id:
                watched_groups[member_id].add(group_id)
            elif theme_id:
                watched_themes[member_id].add(theme_id)
    return {
        m.pk: Scope(
            groups=frozenset((m.roles.group_ids | watched_groups[m.pk]) - muted["group"][m.pk]),
            themes=frozenset(watched_themes[m.pk] - muted["theme"][m.pk]),
            muted_groups=frozenset(muted["group"][m.pk]),
            muted_themes=frozenset(muted["theme"][m.pk]),
            muted_threads=frozenset(muted["thread"][m.pk]),
        )
        for m in members
    }


def bulk_digest_notifications(members: Sequence[Member], period: Period) -> dict[int, list[Notification]]:
    """Unread notifications of the period whose kind each member put in the digest, in one query."""
    wanted = {m.pk: {k for k in email_kinds() if settings_of(m).delivery(k) == Delivery.DIGEST} for m in members}
    kinds = set().union(*wanted.values()) if wanted else set()
    found: dict[int, list[Notification]] = defaultdict(list)
    if not kinds:
        return found
    rows = Notification.objects.filter(
        recipient_id__in=[m.pk for m in members],
        kind__in=kinds,
        created__gte=period.start_at,
        created__lt=period.end_at,
        read_at__isnull=True,
    ).order_by("-id")
    limit = option("notifications")
    for notification in rows:
        mine = found[notification.recipient_id]
        if notification.kind in wanted[notification.recipient_id] and len(mine) < limit:
            mine.append(notification)
    return found


@dataclass
class Digest:
    member: Member
    period: Period
    questions: list[ThreadItem] = field(default_factory=list)
    threads: list[ThreadItem] = field(default_factory=list)
    replies: list[ReplyItem] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    perspectives: list[PerspectiveItem] = field(default_factory=list)
    meetings: list[tuple[Any, str | None]] = field(default_factory=list)  # (MeetingItem, registration status)

    @property
    def is_empty(self) -> bool:
        return not (
            self.questions or self.threads or self.replies or self.notifications or self.perspectives or self.meetings
        )


def first_readable(
    sources: list[list[Any]], *, order: Callable[[Any], Any], limit: int, accept: Callable[[Any], bool]
) -> list[Any]:
    """The first ``limit`` accepted items of sorted lists merged, each item once.
    Stops as soon as it has them: the cost is a few items, not the whole period."""
    chosen: list[Any] = []
    seen: set[int] = set()
    for item in heapq.merge(*sources, key=order):
        if id(item) in seen:
            continue
        seen.add(id(item))
        if accept(item):
            chosen.append(item)
            if len(chosen) == limit:
                break
    return chosen


def build_digest(
    member: Member, candidates: Candidates, scope: Scope, notifications: list[Notification], period: Period
) -> Digest:
    """Choose what goes into one member's digest. No queries: ``member.roles`` is prefilled,
    and ``threads.permissions.can_read_thread`` decides, as for every page."""

    def allowed(item: ThreadItem) -> bool:
        thread = item.thread
        return (
            thread.pk not in scope.muted_threads
            and thread.group_id not in scope.muted_groups
            and not (item.theme_ids & scope.muted_themes)
            and can_read_thread(member, thread)
        )

    digest = Digest(member=member, period=period, notifications=notifications)
    typologies = candidates.typologies.get(member.municipality_id or 0, frozenset())
    digest.questions = first_readable(
        [candidates.questions_by_typology[t] for t in typologies if t in candidates.questions_by_typology],
        order=question_order,
        limit=option("questions"),
        accept=lambda item: item.thread.author_id != member.pk and allowed(item),
    )
    shown = {item.thread.pk for item in digest.questions}
    digest.threads = first_readable(
        [candidates.threads_by_group[g] for g in scope.groups if g in candidates.threads_by_group]
        + [candidates.threads_by_theme[t] for t in scope.themes if t in candidates.threads_by_theme],
        order=thread_order,
        limit=option("threads"),
        accept=lambda item: item.thread.pk not in shown and item.thread.author_id != member.pk and allowed(item),
    )
    digest.replies = first_readable(
        [candidates.replies_by_group[g] for g in scope.groups if g in candidates.replies_by_group]
        + [candidates.replies_by_theme[t] for t in scope.themes if t in candidates.replies_by_theme],
        order=reply_order,
        limit=option("replies"),
        accept=lambda reply: reply.post.author_id != member.pk and allowed(reply.item),
    )
    # Handelingsperspectieven for the typologies of the member's municipality (every member reads them).
    digest.perspectives = first_readable(
        [candidates.perspectives_by_typology[t] for t in typologies if t in candidates.perspectives_by_typology],
        order=perspective_order,
        limit=option("perspectives"),
        accept=lambda item: True,
    )
    return digest


@dataclass(frozen=True)
class Snippet:
    html: str
    text: str


def snippet(candidates: Candidates, section: str, item: ThreadItem | ReplyItem | PerspectiveItem) -> Snippet:
    """One item of a digest section in the active language, rendered once per run."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    key = (language, section, id(item))
    found = candidates.snippets.get(key)
    if found is None:
        context = {"section": section, "item": item}
        found = candidates.snippets[key] = Snippet(
            html=render_to_string("emails/digest_item.html", context),
            text=render_to_string("emails/digest_item.txt", context).strip("\n"),
        )
    return found


def render_digest(digest: Digest, candidates: Candidates) -> OutboxMessage:
    """The digest as an outbox row (not saved), in the member's language."""
    member, period = digest.member, digest.period
    unsubscribe = unsubscribe_url(member.pk, DIGEST_SCOPE)
    with translation.override(member.language or settings.LANGUAGE_CODE):
        count = (
            len(digest.questions)
            + len(digest.threads)
            + len(digest.replies)
            + len(digest.notifications)
            + len(digest.perspectives)
            + len(digest.meetings)
        )
        if period.frequency == Frequency.DAILY:
            subject = ngettext(
                "Your daily Samenleven digest: %(count)d item", "Your daily Samenleven digest: %(count)d items", count
            ) % {"count": count}
        else:
            subject = ngettext(
                "Your weekly Samenleven digest: %(count)d item", "Your weekly Samenleven digest: %(count)d items", count
            ) % {"count": count}
        context = {
            "member": member,
            "period": period,
            "questions": [snippet(candidates, "question", item) for item in digest.questions],
            "threads": [snippet(candidates, "thread", item) for item in digest.threads],
            "replies": [snippet(candidates, "reply", reply) for reply in digest.replies],
            "perspectives": [snippet(candidates, "perspective", item) for item in digest.perspectives],
            "is_daily": period.frequency == Frequency.DAILY,
            "notifications": [
                {"text": describe(n), "url": settings.SITE_URL + target_url(n)} for n in digest.notifications
            ],
            "meetings": [digest_meetings.as_context(item, status) for item, status in digest.meetings],
            "preferences_link": settings.SITE_URL + reverse("email_settings"),
            "unsubscribe_link": unsubscribe,
            "site_url": settings.SITE_URL,
            "site_name": settings.SITE_NAME,
        }
        text = render_to_string("emails/digest.txt", context)
        html = render_to_string("emails/digest.html", context)
    return outbox.new_message(
        to=address(member),
        kind=f"digest_{period.frequency}",
        subject=subject,
        text=text,
        html=html,
        headers={
            **list_headers(unsubscribe),
            "List-Id": list_id(f"digest-{period.frequency}"),
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "Precedence": "bulk",
        },
        recipient_id=member.pk,
    )


# --- Step 3: the ledger and the outbox, one transaction per batch -----------------------------------


@dataclass
class Report:
    period: Period
    queued: int = 0
    empty: int = 0
    taken: int = 0  # members another run had done (or was doing)
    batches: int = 0

    def add(self, other: Report) -> None:
        self.queued += other.queued
        self.empty += other.empty
        self.taken += other.taken
        self.batches += other.batches


def process_batch(members: Sequence[Member], *, period: Period, candidates: Candidates, run: str) -> Report:
    """Build, then claim in the ledger and queue, the digests of one batch."""
    report = Report(period=period, batches=1)
    bulk_load_roles(members)
    scopes = bulk_scopes(members)
    notifications = bulk_digest_notifications(members, period)
    meetings = digest_meetings.for_batch(members, candidates, period)
    built: list[tuple[Member, OutboxMessage | None]] = []
    for member in members:
        digest = build_digest(member, candidates, scopes[member.pk], notifications.get(member.pk, []), period)
        digest.meetings = meetings.get(member.pk, [])
        built.append((member, None if digest.is_empty else render_digest(digest, candidates)))

    with transaction.atomic():
        DigestLedger.objects.bulk_create(
            [
                DigestLedger(
                    member_id=member.pk,
                    frequency=period.frequency,
                    period_start=period.start,
                    period_end=period.last_day,
                    status=DigestLedger.Status.QUEUED if message is not None else DigestLedger.Status.EMPTY,
                    run=run,
                )
                for member, message in built
            ],
            ignore_conflicts=True,
        )
        # Ours are the rows with this run's token; the others belong to a run that got there first.
        ours = dict(
            DigestLedger.objects.filter(
                member_id__in=[m.pk for m, _message in built],
                frequency=period.frequency,
                period_start=period.start,
                run=run,
            ).values_list("member_id", "pk")
        )
        messages = [message for member, message in built if message is not None and member.pk in ours]
        queued = outbox.bulk_queue(messages)
        if queued:
            DigestLedger.objects.bulk_update(
                [DigestLedger(pk=ours[message.recipient_id], message_id=message.pk) for message in queued], ["message"]
            )
    report.queued = len(messages)
    report.empty = sum(1 for member, message in built if message is None and member.pk in ours)
    report.taken = len(built) - len(ours)
    return report


def send_digests(
    *,
    frequency: str,
    today: date | None = None,
    batch_size: int | None = None,
    progress: Callable[[Report], None] | None = None,
) -> Report:
    """Build and queue the digests of the period that just ended, batch by batch."""
    period = period_ending(frequency, today)
    size = batch_size or option("batch_size")
    run = uuid.uuid4().hex
    candidates = load_candidates(period)
    report = Report(period=period)
    last_pk = 0
    while True:
        members = list(recipients(period).filter(pk__gt=last_pk)[:size])
        if not members:
            break
        last_pk = members[-1].pk
        batch = process_batch(members, period=period, candidates=candidates, run=run)
        report.add(batch)
        if progress is not None:
            progress(report)
    return report


__all__ = [
    "Candidates",
    "Digest",
    "Period",
    "Report",
    "build_digest",
    "load_candidates",
    "period_ending",
    "process_batch",
    "render_digest",
    "send_digests",
]
