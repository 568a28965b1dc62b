"""The programme's figures equal a direct count, per municipality, typology, province and
position, on seed data; they come from a fixed number of grouped queries."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from community.models import Group, Member, Municipality, Region, Typology
from tests.conftest import approved_member
from tests.dashboard.conftest import seed_large, start_thread
from threads.dashboard import figures
from threads.dashboard.figures import month_starts, programme_overview
from threads.models import Thread

pytestmark = pytest.mark.django_db


def direct(where: Q, since: datetime) -> figures.Counts:
    """The four figures by plain counting, for members from the municipalities ``where``
    selects (a filter on ``municipality``)."""
    members = Member.objects.filter(status__in=["active", "suspended"]).filter(where)
    threads = Thread.objects.filter(hidden=False, author__in=Member.objects.filter(where))
    return figures.Counts(
        members=members.count(),
        active=members.filter(posts__created__gte=since).distinct().count(),
        threads=threads.count(),
        unanswered=threads.filter(kind="question", reply_count=0, accepted_post__isnull=True).count(),
    )


def test_every_municipalitys_figures_equal_a_direct_count(seeded):
    overview = programme_overview(region_ids=None)
    assert len(overview.rows) == 342
    since = overview.active_since
    wrong = []
    for row in overview.rows:
        expected = direct(Q(municipality__code=row.code), since)
        if row.counts != expected:
            wrong.append(f"{row.name}: {row.counts} != {expected}")
    assert not wrong, "\n".join(wrong)
    # The seed spreads members and threads widely: the comparison is not over zeros.
    assert sum(1 for row in overview.rows if row.counts.members) > 30
    assert sum(row.counts.active for row in overview.rows) > 20
    assert overview.total.counts.threads == Thread.objects.filter(hidden=False).count()
    assert overview.total.counts.unanswered > 0


def test_the_cases_that_do_not_count(seeded):
    """Pending, deactivated and staff accounts are not members; a suspended one is; a hidden
    thread is not counted; a member whose last post is older than 90 days is not active."""
    overview = programme_overview(region_ids=None)
    zwolle = overview.row("GM0193").counts
    assert Member.objects.filter(municipality__code="GM0193", status__in=["pending", "deactivated"]).count() == 2
    assert (
        zwolle.members == Member.objects.filter(municipality__code="GM0193", status__in=["active", "suspended"]).count()
    )
    assert Member.objects.filter(handle="sanne", status="suspended").exists()
    wim_threads = Thread.objects.filter(author__handle="wim")
    assert wim_threads.count() == 2 and wim_threads.filter(hidden=True).count() == 1
    schiermonnikoog = overview.row("GM0088").counts
    quiet = Member.objects.get(handle="stil")
    seeded_there = Member.objects.filter(municipality__code="GM0088").exclude(pk=quiet.pk)
    assert schiermonnikoog.members == 1 + seeded_there.count()
    assert schiermonnikoog.active == seeded_there.filter(posts__created__gte=overview.active_since).distinct().count()
    assert (
        overview.total.counts.members
        == Member.objects.filter(status__in=["active", "suspended"], municipality__isnull=False).count()
    )


def test_typology_province_and_position_figures_equal_a_direct_count(seeded):
    overview = programme_overview(region_ids=None)
    since = overview.active_since
    for group in overview.by_typology:
        typology = Typology.objects.get(slug=group.key)
        assert group.counts == direct(Q(municipality__typologies=typology), since), group.label
        assert group.municipalities == typology.municipalities.count()
        assert (
            group.taking_part
            == typology.municipalities.filter(members__status__in=["active", "suspended"]).distinct().count()
        )
    g40 = next(group for group in overview.by_typology if group.key == "g40")
    assert g40.municipalities == 41
    for group in overview.by_province:
        region = Region.objects.get(slug=group.key)
        assert group.counts == direct(Q(municipality__region=region), since), group.label
        assert group.municipalities == region.municipalities.count()
    assert sum(group.municipalities for group in overview.by_province) == 342
    for group in overview.by_position:
        assert group.counts == direct(Q(position=group.key, municipality__isnull=False), since), group.label
    assert [group.key for group in overview.by_position] == [value for value, _label in Member.Position.choices]


def test_not_on_board_lists_the_municipalities_without_a_member_largest_first(seeded):
    overview = programme_overview(region_ids=None)
    without = set(
        Municipality.objects.exclude(members__status__in=["active", "suspended"]).values_list("code", flat=True)
    )
    assert without, "the small seed leaves municipalities without members"
    listed = [row.code for group in overview.by_province for row in group.not_on_board]
    assert sorted(listed) == sorted(without)
    for group in overview.by_typology:
        rows = group.not_on_board
        assert {row.code for row in rows} == without & set(
            Municipality.objects.filter(typologies__slug=group.key).values_list("code", flat=True)
        )
        assert [row.population for row in rows] == sorted((row.population for row in rows), reverse=True)
        assert group.population_not_on_board == sum(row.population for row in rows)


def test_an_ambassadors_scope_holds_only_their_province(seeded):
    zuid_holland = Region.objects.get(slug="zuid-holland")
    overview = programme_overview(region_ids=frozenset({zuid_holland.pk}))
    assert len(overview.rows) == 50
    assert {row.province.slug for row in overview.rows} == {"zuid-holland"}
    assert [group.key for group in overview.by_province] == ["zuid-holland"]
    assert overview.total.counts == direct(Q(municipality__region=zuid_holland), overview.active_since)
    g40 = next(group for group in overview.by_typology if group.key == "g40")
    assert g40.municipalities == Municipality.objects.filter(region=zuid_holland, typologies__slug="g40").count()


def test_the_months_count_new_members_municipalities_taking_part_and_threads(dutch_data, staff, monkeypatch):
    now = timezone.make_aware(datetime(2026, 6, 15, 12, 0))
    starts = month_starts(now)
    assert starts[0].isoformat() == "2025-07-01" and starts[-1].isoformat() == "2026-06-01" and len(starts) == 12
    amsterdam = Municipality.objects.get(code="GM0363")
    delft = Municipality.objects.get(code="GM0503")
    early = approved_member(amsterdam, handle="vroeg")
    march = approved_member(amsterdam, handle="maart")
    may = approved_member(delft, handle="mei")
    Member.objects.filter(pk=early.pk).update(approved_at=timezone.make_aware(datetime(2025, 1, 10)))
    Member.objects.filter(pk=march.pk).update(
        approved_at=timezone.make_aware(datetime(2026, 3, 1, 0, 30))
    )  # Amsterdam time
    Member.objects.filter(pk=may.pk).update(approved_at=timezone.make_aware(datetime(2026, 5, 31, 23, 30)))
    plein = Group.objects.get(slug="het-plein")
    thread = start_thread(march, plein, "In april")
    Thread.objects.filter(pk=thread.pk).update(created=timezone.make_aware(datetime(2026, 4, 2)))
    months = {row.month.strftime("%Y-%m"): row for row in programme_overview(region_ids=None, now=now).by_month}
    assert list(months) == [start.strftime("%Y-%m") for start in starts]
    assert {key: row.joined for key, row in months.items() if row.joined} == {"2026-03": 1, "2026-05": 1}
    assert months["2025-07"].taking_part == 1  # Amsterdam, since January 2025
    assert months["2026-04"].taking_part == 1
    assert months["2026-05"].taking_part == 2  # Delft from 31 May
    assert {key: row.threads for key, row in months.items() if row.threads} == {"2026-04": 1}


def test_unanswered_means_what_the_unanswered_list_means(seeded):
    assert Thread.objects.filter(figures.UNANSWERED).count() == Thread.objects.unanswered_questions().count()


@pytest.mark.parametrize("scale", [1, 10])
def test_the_figures_take_eight_queries_however_many_members_and_threads(dutch_data, scale, django_assert_num_queries):
    """Municipalities, typologies, typology links; members and threads grouped per
    municipality and position; new members and threads per month, and each municipality's
    first approval. No query per municipality, typology, member or month (the N+1 this
    guards); the same eight with ten times more members and threads."""
    seed_large(
        "--members",
        str(60 * scale),
        "--threads",
        str(40 * scale),
        "--posts",
        str(500 * scale),
        "--big-thread-posts",
        "60",
        "--bodies",
        "60",
    )
    with django_assert_num_queries(8):
        overview = programme_overview(region_ids=None)
    assert overview.total.counts.members == 60 * scale
    assert overview.total.counts.threads == 40 * scale
