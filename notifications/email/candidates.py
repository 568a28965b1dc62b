"""The material of a digest period, loaded once per run for all members.

``period_ending`` says which period a run covers; ``load_candidates`` reads the
period's new threads and most-marked replies and which municipality has which
typologies (four queries), and indexes them the ways members look at them: by
group, by theme, and unanswered questions by typology; and the handelingsperspectieven
published in the period, by the typologies they are for (two more queries). Every index
list is sorted in the order a digest shows it. Used by ``notifications.email.digests``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.text import Truncator

from community.models import MunicipalityTypology
from notifications.models import DigestLedger
from threads.models import Post, Thread, ThreadTheme

if TYPE_CHECKING:
    from notifications.email.digests import Snippet

Frequency = DigestLedger.Frequency
EXCERPT_WORDS = 40


def option(name: str) -> int:
    defaults = {
        "batch_size": 500,
        "candidates": 2000,
        "threads": 8,
        "replies": 5,
        "questions": 5,
        "notifications": 15,
        "perspectives": 5,
    }
    return int(getattr(settings, "DIGEST", {}).get(name, defaults[name]))


# --- The period -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    frequency: str
    start: date
    end: date  # the first day after the period

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=timezone.get_default_timezone())

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.end, time.min, tzinfo=timezone.get_default_timezone())

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


def period_ending(frequency: str, today: date | None = None) -> Period:
    """The period that ended most recently before ``today`` (default: today, local time):
    yesterday, or last Monday to Sunday."""
    if frequency not in Frequency.values:
        raise ValueError(f"Unknown digest frequency: {frequency!r}")
    today = today or timezone.localdate()
    if frequency == Frequency.DAILY:
        return Period(frequency, today - timedelta(days=1), today)
    end = today - timedelta(days=today.weekday())
    return Period(frequency, end - timedelta(days=7), end)


# --- Step 1: the candidates of a period ---------------------------------------------------------


@dataclass
class ThreadItem:
    thread: Thread
    theme_ids: frozenset[int]
    url: str
    group: str
    municipality: str
    municipality_id: int | None
    author: str

    @property
    def is_unanswered_question(self) -> bool:
        thread = self.thread
        return thread.kind == Thread.Kind.QUESTION and thread.reply_count == 0 and thread.accepted_post_id is None

    @property
    def activity(self) -> int:
        return self.thread.reply_count + self.thread.useful_count


@dataclass
class ReplyItem:
    post: Post
    item: ThreadItem  # its thread
    marks: int  # "nuttig" marks received in the period
    url: str
    excerpt: str
    author: str
    municipality: str

    @property
    def thread(self) -> Thread:
        return self.post.thread


@dataclass
class PerspectiveItem:
    """A handelingsperspectief published (first or again) in the period, still current."""

    perspective_id: int
    title: str
    summary: str
    url: str
    number: int  # of the version: 1 is new, later ones are updates
    published_at: datetime
    typology_ids: frozenset[int]

    @property
    def is_new(self) -> bool:
        return self.number == 1


@dataclass
class Candidates:
    """The period's material, indexed the ways members look at it. Every list is
    sorted in the order a digest shows it, so a member's sections are the first
    few readable items of a merge of a handful of lists."""

    threads: list[ThreadItem] = field(default_factory=list)
    replies: list[ReplyItem] = field(default_factory=list)
    typologies: dict[int, frozenset[int]] = field(default_factory=dict)  # municipality -> typologies
    threads_by_group: dict[int, list[ThreadItem]] = field(default_factory=lambda: defaultdict(list))
    threads_by_theme: dict[int, list[ThreadItem]] = field(default_factory=lambda: defaultdict(list))
    replies_by_group: dict[int, list[ReplyItem]] = field(default_factory=lambda: defaultdict(list))
    replies_by_theme: dict[int, list[ReplyItem]] = field(default_factory=lambda: defaultdict(list))
    # Unanswered questions by the typologies of the asker's municipality, newest first.
    questions_by_typology: dict[int, list[ThreadItem]] = field(default_factory=lambda: defaultdict(list))
    # Handelingsperspectieven published in the period, by the typologies they are for, newest first.
    perspectives_by_typology: dict[int, list[PerspectiveItem]] = field(default_factory=lambda: defaultdict(list))
    # Each item rendered once per language and section, shared by every digest that shows it.
    snippets: dict[tuple[str, str, int], Snippet] = field(default_factory=dict)


def thread_order(item: ThreadItem) -> tuple[int, int]:
    """Most active first, then newest."""
    return (-item.activity, -item.thread.pk)


def reply_order(reply: ReplyItem) -> tuple[int, int]:
    """Most marked in the period first, then newest."""
    return (-reply.marks, -reply.post.pk)


def question_order(item: ThreadItem) -> tuple[int]:
    return (-item.thread.pk,)


def perspective_order(item: PerspectiveItem) -> tuple[float, int]:
    """Newest publication first."""
    return (-item.published_at.timestamp(), -item.perspective_id)


def load_perspectives(period: Period, candidates: Candidates) -> None:
    """Handelingsperspectieven whose current version was published in the period (new ones
    and updates), by typology: two queries (the versions, their typologies)."""
    from threads.perspectives.models import Perspective

    perspectives = (
        Perspective.objects.published()
        .filter(current_version__published_at__gte=period.start_at, current_version__published_at__lt=period.end_at)
        .select_related("current_version")
        .prefetch_related("current_version__typologies")
        .order_by("-current_version__published_at", "-pk")[: option("candidates")]
    )
    for perspective in perspectives:
        version = perspective.current_version
        item = PerspectiveItem(
            perspective_id=perspective.pk,
            title=version.title,
            summary=Truncator(version.summary).words(EXCERPT_WORDS),
            url=settings.SITE_URL + perspective.get_absolute_url(),
            number=version.number,
            published_at=version.published_at,
            typology_ids=frozenset(t.pk for t in version.typologies.all()),
        )
        for typology_id in item.typology_ids:
            candidates.perspectives_by_typology[typology_id].append(item)


def _thread_item(thread: Thread, theme_ids: frozenset[int]) -> ThreadItem:
    author = thread.author
    municipality = author.municipality if author is not None else None
    return ThreadItem(
        thread=thread,
        theme_ids=theme_ids,
        url=settings.SITE_URL + thread.get_absolute_url(),
        group=thread.group.name,
        municipality=municipality.name if municipality is not None else "",
        municipality_id=municipality.pk if municipality is not None else None,
        author=author.name if author is not None else "",
    )


def load_candidates(period: Period) -> Candidates:
    """Everything a digest of this period may show, for all members at once (seven queries:
    five for threads and replies, two for handelingsperspectieven)."""
    limit = option("candidates")
    window = Q(created__gte=period.start_at, created__lt=period.end_at)
    threads = list(
        Thread.objects.filter(window, hidden=False)
        .select_related("group", "author__municipality")
        .order_by("-created", "-id")[:limit]
    )
    # Replies (not opening posts) by the "nuttig" marks they received in the period.
    replies = list(
        Post.objects.filter(
            marks__created__gte=period.start_at,
            marks__created__lt=period.end_at,
            number__gt=1,
            hidden=False,
            deleted_at__isnull=True,
            thread__hidden=False,
        )
        .annotate(period_marks=Count("marks"))
        .select_related("thread__group", "thread__author__municipality", "author__municipality")
        .order_by("-period_marks", "-id")[:limit]
    )
    thread_ids = {t.pk for t in threads} | {p.thread_id for p in replies}
    themes: dict[int, set[int]] = defaultdict(set)
    for thread_id, theme_id in ThreadTheme.objects.filter(content_object_id__in=thread_ids).values_list(
        "content_object_id", "tag_id"
    ):
        themes[thread_id].add(theme_id)
    typologies: dict[int, set[int]] = defaultdict(set)
    for municipality_id, typology_id in MunicipalityTypology.objects.values_list("municipality_id", "typology_id"):
        typologies[municipality_id].add(typology_id)

    candidates = Candidates(typologies={m: frozenset(t) for m, t in typologies.items()})
    items: dict[int, ThreadItem] = {}
    for thread in threads:
        item = items[thread.pk] = _thread_item(thread, frozenset(themes.get(thread.pk, ())))
        candidates.threads.append(item)
        candidates.threads_by_group[thread.group_id].append(item)
        for theme_id in item.theme_ids:
            candidates.threads_by_theme[theme_id].append(item)
        if item.is_unanswered_question and item.municipality_id is not None:
            for typology_id in candidates.typologies.get(item.municipality_id, ()):
                candidates.questions_by_typology[typology_id].append(item)
    for post in replies:
        item = items.get(post.thread_id) or _thread_item(post.thread, frozenset(themes.get(post.thread_id, ())))
        author = post.author
        reply = ReplyItem(
            post=post,
            item=item,
            marks=post.period_marks,
            url=settings.SITE_URL + post.get_absolute_url(),
            excerpt=Truncator(post.text).words(EXCERPT_WORDS),
            author=author.name if author is not None else "",
            municipality=author.municipality.name if author is not None and author.municipality else "",
        )
        candidates.replies.append(reply)
        candidates.replies_by_group[post.thread.group_id].append(reply)
        for theme_id in item.theme_ids:
            candidates.replies_by_theme[theme_id].append(reply)
    for index, order in (
        (candidates.threads_by_group, thread_order),
        (candidates.threads_by_theme, thread_order),
        (candidates.replies_by_group, reply_order),
        (candidates.replies_by_theme, reply_order),
        (candidates.questions_by_typology, question_order),
    ):
        for rows in index.values():
            rows.sort(key=order)
    load_perspectives(period, candidates)
    return candidates
