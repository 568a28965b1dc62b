"""The programme's figures: per municipality, typology, province, position and month.

Every figure comes from a few grouped queries, whatever the number of members, threads or
posts (``tests/dashboard/test_figures.py`` holds the count):

1.-3. the municipalities in scope with their province, the typologies, the links between them
   (plain values: no model instance per municipality),
4. members per municipality and position: how many, how many were active,
5. threads per municipality and position of their author: how many, how many are unanswered
   questions,
6.-8. per month of the last ``MONTHS``: members approved, threads started, and the first
   approval per municipality (for the municipalities taking part at the end of each month).

The totals per typology, province and position are added up here from those rows.

What the figures mean (the page says the same):

- **members**: approved accounts (active or suspended; ``Member.objects.approved()``)
  from the municipality. Staff accounts without a municipality count nowhere.
- **active members**: members who *wrote* something (started a thread or replied, whether or
  not the post was later hidden or deleted) in the last ``ACTIVE_DAYS`` days. Not "logged in":
  a session lasts weeks, so a login says little, and writing is what the programme asks of
  its members. Read from the index of posts by author and date, one probe per member, so it
  does not grow with the number of posts.
- **threads**: threads started by a member from the municipality, not hidden by a moderator.
- **unanswered questions**: of those, questions without a reply and without an accepted answer
  (``ThreadQuerySet.unanswered_questions``).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache, cached_property

from django.db.models import Count, Exists, Min, OuterRef, Q
from django.db.models.functions import Coalesce, TruncMonth
from django.urls import reverse
from django.utils import timezone

from community.models import Member, Municipality, MunicipalityTypology, Typology
from threads.models import Post, Thread

ACTIVE_DAYS = 90
MONTHS = 12
PARTICIPANT_STATUSES = (Member.Status.ACTIVE, Member.Status.SUSPENDED)
MEASURES = ("members", "active", "threads", "unanswered")
#: ``ThreadQuerySet.unanswered_questions`` as a condition, to count them beside all threads in
#: the same grouped query (a test holds the two equal).
UNANSWERED = Q(kind=Thread.Kind.QUESTION, reply_count=0, accepted_post__isnull=True)


@dataclass
class Counts:
    members: int = 0
    active: int = 0
    threads: int = 0
    unanswered: int = 0

    def add(self, other: Counts) -> None:
        self.members += other.members
        self.active += other.active
        self.threads += other.threads
        self.unanswered += other.unanswered

    def get(self, measure: str) -> int:
        if measure not in MEASURES:
            raise ValueError(f"unknown measure {measure!r}")
        return getattr(self, measure)


@dataclass(frozen=True)
class Province:
    pk: int
    slug: str
    name: str


@dataclass
class MunicipalityRow:
    """A municipality as plain values (no model instances: 342 of them on every view)."""

    pk: int
    code: str
    name: str
    population: int
    province: Province
    typologies: list[Typology] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)

    @property
    def url(self) -> str:
        return municipality_url(self.code)

    @property
    def takes_part(self) -> bool:
        return self.counts.members > 0


def municipality_url(code: str) -> str:
    """``/municipalities/<code>/`` without a ``reverse()`` per row."""
    return _url_pattern().replace("GM0000", code)


@cache
def _url_pattern() -> str:
    return reverse("municipality", args=["GM0000"])


@dataclass
class GroupRow:
    """A typology, province or position (or all of them: the totals), and its figures."""

    key: str
    label: str
    counts: Counts = field(default_factory=Counts)
    municipality_rows: list[MunicipalityRow] = field(default_factory=list)

    @property
    def municipalities(self) -> int:
        return len(self.municipality_rows)

    # Cached: read after the overview is complete (by the page, the tables and the export).
    @cached_property
    def taking_part(self) -> int:
        return sum(1 for row in self.municipality_rows if row.takes_part)

    @property
    def share(self) -> int:
        """Municipalities taking part, in whole percent."""
        return round(100 * self.taking_part / self.municipalities) if self.municipalities else 0

    @property
    def population(self) -> int:
        return sum(row.population for row in self.municipality_rows)

    @cached_property
    def not_on_board(self) -> list[MunicipalityRow]:
        """Municipalities without a member, the largest first: where to go knocking."""
        return sorted(
            (row for row in self.municipality_rows if not row.takes_part), key=lambda row: (-row.population, row.name)
        )

    @property
    def population_not_on_board(self) -> int:
        return sum(row.population for row in self.not_on_board)


@dataclass(frozen=True)
class MonthRow:
    month: date
    joined: int  # members approved in the month
    taking_part: int  # municipalities with a member approved by the end of the month
    threads: int  # threads started in the month


@dataclass
class Overview:
    rows: list[MunicipalityRow]
    total: GroupRow
    by_typology: list[GroupRow]
    by_province: list[GroupRow]
    by_position: list[GroupRow]
    by_month: list[MonthRow]
    active_since: datetime

    def row(self, code: str) -> MunicipalityRow:
        return next(row for row in self.rows if row.code == code)


def active_since(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=ACTIVE_DAYS)


def posted_between(begin: datetime, end: datetime | None) -> Exists:
    """The member (the outer query's row) wrote a post from ``begin`` (until ``end``): one
    probe of the posts-by-author index (``post_by_author``: author, created) per member, so
    the cost follows the number of members, not of posts."""
    posts = Post.objects.filter(author_id=OuterRef("pk"), created__gte=begin)
    if end is not None:
        posts = posts.filter(created__lt=end)
    return Exists(posts)


def municipality_rows(region_ids: frozenset[int] | None) -> list[MunicipalityRow]:
    """The municipalities in scope by name, with province and typologies: three small queries
    of plain values (municipalities with their province, typology links, typologies)."""
    municipalities = Municipality.objects.order_by("name", "code")
    links = MunicipalityTypology.objects.order_by()
    if region_ids is not None:
        municipalities = municipalities.filter(region_id__in=region_ids)
        links = links.filter(municipality__region_id__in=region_ids)
    provinces: dict[int, Province] = {}
    rows = []
    for pk, code, name, population, region_id, region_slug, region_name in municipalities.values_list(
        "pk", "code", "name", "population", "region_id", "region__slug", "region__name"
    ):
        province = provinces.get(region_id) or provinces.setdefault(
            region_id, Province(region_id, region_slug, region_name)
        )
        rows.append(MunicipalityRow(pk=pk, code=code, name=name, population=population, province=province))
    by_id = {row.pk: row for row in rows}
    typologies = {typology.pk: typology for typology in Typology.objects.order_by("name_nl")}
    order = list(typologies)
    for municipality_id, typology_id in links.values_list("municipality_id", "typology_id"):
        by_id[municipality_id].typologies.append(typologies[typology_id])
    for row in rows:
        row.typologies.sort(key=lambda typology: order.index(typology.pk))
    return rows


def programme_overview(*, region_ids: frozenset[int] | None, now: datetime | None = None) -> Overview:
    """The figures for the municipalities of these provinces (None: the whole country)."""
    now = now or timezone.now()
    since = active_since(now)
    members = Member.objects.approved().filter(municipality__isnull=False)
    threads = Thread.objects.filter(hidden=False, author__municipality__isnull=False)
    if region_ids is not None:
        members = members.filter(municipality__region_id__in=region_ids)
        threads = threads.filter(author__municipality__region_id__in=region_ids)

    rows = municipality_rows(region_ids)
    by_id = {row.pk: row for row in rows}
    positions = {value: GroupRow(key=value, label=str(label)) for value, label in Member.Position.choices}

    def position_row(position: str) -> GroupRow:
        """The position's row (one that is no longer a choice gets a row of its own)."""
        return positions.get(position) or positions.setdefault(position, GroupRow(key=position, label=position))

    member_counts = (
        members.values_list("municipality_id", "position")
        .annotate(n=Count("pk"), active=Count("pk", filter=Q(posted_between(since, None))))
        .order_by()
    )
    for municipality_id, position, n, active in member_counts:
        counts = Counts(members=n, active=active)
        by_id[municipality_id].counts.add(counts)
        position_row(position).counts.add(counts)

    thread_counts = (
        threads.values_list("author__municipality_id", "author__position")
        .annotate(n=Count("pk"), unanswered=Count("pk", filter=UNANSWERED))
        .order_by()
    )
    for municipality_id, position, n, unanswered in thread_counts:
        counts = Counts(threads=n, unanswered=unanswered)
        by_id[municipality_id].counts.add(counts)
        position_row(position).counts.add(counts)

    total = GroupRow(key="all", label="", municipality_rows=rows)
    typologies: dict[int, GroupRow] = {}
    provinces: dict[int, GroupRow] = {}
    for row in rows:
        total.counts.add(row.counts)
        region = row.province
        province = provinces.setdefault(region.pk, GroupRow(key=region.slug, label=region.name))
        province.municipality_rows.append(row)
        province.counts.add(row.counts)
        for typology in row.typologies:
            group = typologies.setdefault(typology.pk, GroupRow(key=typology.slug, label=typology.name))
            group.municipality_rows.append(row)
            group.counts.add(row.counts)

    return Overview(
        rows=rows,
        total=total,
        by_typology=sorted(typologies.values(), key=lambda group: group.label.lower()),
        by_province=sorted(provinces.values(), key=lambda group: group.label),
        by_position=list(positions.values()),
        by_month=months(members=members, threads=threads, now=now),
        active_since=since,
    )


def month_starts(now: datetime, count: int = MONTHS) -> list[date]:
    """The first days of the last ``count`` months, this one last (in the site's time zone)."""
    local = timezone.localtime(now)
    year, month = local.year, local.month
    starts = []
    for _ in range(count):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def month_bounds(starts: list[date]) -> list[tuple[datetime, datetime]]:
    """Each month as [first moment, first moment of the next), aware, in the site's time zone."""
    following = date(starts[-1].year + starts[-1].month // 12, starts[-1].month % 12 + 1, 1)
    moments = [timezone.make_aware(datetime.combine(day, time.min)) for day in [*starts, following]]
    return list(zip(moments, moments[1:], strict=False))


def months(*, members, threads, now: datetime) -> list[MonthRow]:
    """Per month of the last ``MONTHS``: members approved, municipalities taking part at the
    end of the month (with a member, still counted, approved by then) and threads started.
    Three small grouped queries on the same members and threads as the rest of the page: per
    month (at most twelve rows), and the first approval per municipality (at most 342)."""
    starts = month_starts(now)
    first = timezone.make_aware(datetime.combine(starts[0], time.min))

    def per_month(queryset, field_name: str) -> dict[date, int]:
        found = (
            queryset.filter(**{f"{field_name}__gte": first})
            .annotate(month=TruncMonth(field_name))
            .values_list("month")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {_as_date(month): n for month, n in found}

    joined = per_month(members, "approved_at")
    started = per_month(threads, "created")
    firsts = sorted(
        members.values_list("municipality_id")
        .annotate(first=Min(Coalesce("approved_at", "date_joined")))
        .order_by()
        .values_list("first", flat=True)
    )
    ends = [end for _begin, end in month_bounds(starts)]
    return [
        MonthRow(
            month=start,
            joined=joined.get(start, 0),
            taking_part=bisect_left(firsts, end),
            threads=started.get(start, 0),
        )
        for start, end in zip(starts, ends, strict=True)
    ]


def _as_date(value: date | datetime) -> date:
    """A truncated month as the database gives it: a date, or a datetime at its start (aware
    in the site's time zone, or naive on backends without time zones)."""
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


@dataclass(frozen=True)
class Origins:
    """Where a group's members come from: members per municipality, most first."""

    counts: dict[str, int]  # CBS code -> members
    names: dict[str, str]  # CBS code -> name
    in_typology: dict[str, str]  # the typology's municipalities: CBS code -> name

    @property
    def ranked(self) -> list[tuple[str, str, int]]:
        return sorted(
            ((code, self.names[code], n) for code, n in self.counts.items()), key=lambda item: (-item[2], item[1])
        )

    @property
    def typology_taking_part(self) -> int:
        return sum(1 for code in self.in_typology if self.counts.get(code))


def group_origins(group) -> Origins:
    """Members of a (typology) group per municipality, in one grouped query, and the
    typology's municipalities in a second."""
    found = (
        Member.objects.approved()
        .filter(memberships__group=group, municipality__isnull=False)
        .values_list("municipality__code", "municipality__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts, names = {}, {}
    for code, name, n in found:
        counts[code] = n
        names[code] = name
    in_typology: dict[str, str] = {}
    if group.typology_id is not None:
        in_typology = dict(Municipality.objects.filter(typologies=group.typology_id).values_list("code", "name"))
    return Origins(counts=counts, names=names, in_typology=in_typology)
