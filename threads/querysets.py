"""Reads of threads and posts, as chainable QuerySet methods."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Self

from django.db import connection, models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

if TYPE_CHECKING:
    from typing import Any

    from django.db.models import QuerySet

    from community.models import Member, Region
    from threads.models import Flag, Post, Theme, Thread  # noqa: F401  (the querysets' type parameters)

TOP_PERIODS = {"week": 7, "month": 31, "year": 365, "all": None}


def moderated_group_ids(member: Member) -> frozenset[int] | None:
    """The groups whose threads the member moderates; None means all (staff)."""
    return None if member.is_staff else member.roles.moderated_group_ids


class ThreadQuerySet(models.QuerySet["Thread"]):
    def moderated_by(self, member: Member) -> Self:
        ids = moderated_group_ids(member)
        return self if ids is None else self.filter(group_id__in=ids)

    def visible_to(self, member: Member) -> Self:
        """Threads the member may read (``threads.permissions.readable_threads_q``)."""
        from threads.permissions import readable_threads_q

        if not member.is_authenticated or not member.is_participant:
            return self.none()
        return self.filter(readable_threads_q(member))

    def in_groups_of(self, member: Member) -> Self:
        return self.filter(group_id__in=member.roles.group_ids)

    def newest_first(self) -> Self:
        return self.order_by("-last_activity_at", "-id")

    def for_group_page(self) -> Self:
        return self.order_by("-pinned", "-last_activity_at", "-id")

    def unread_by(self, member: Member) -> Self:
        """Threads the member has opened before and that have new posts since."""
        from threads.models import ReadState

        return self.filter(
            Exists(
                ReadState.objects.filter(
                    thread=OuterRef("pk"), member_id=member.pk, last_read_number__lt=OuterRef("last_post_number")
                )
            )
        )

    def unanswered_questions(self) -> Self:
        return self.filter(kind="question", reply_count=0, accepted_post__isnull=True)

    def top(self, period: str) -> Self:
        """Most "nuttig" marks received by the thread's posts; within a period,
        only threads started in it."""
        days = TOP_PERIODS.get(period)
        threads = self.filter(useful_count__gt=0)
        if days is not None:
            threads = threads.filter(created__gte=timezone.now() - timedelta(days=days))
        return threads.order_by("-useful_count", "-last_activity_at", "-id")

    def with_theme(self, theme: Theme) -> Self:
        return self.filter(theme_links__tag=theme)

    def from_region(self, region: Region) -> Self:
        """Started by members from municipalities in this region."""
        return self.filter(author__municipality__region=region)

    def from_municipalities_like(self, member: Member) -> Self:
        """Started by members from municipalities that share a typology with the member's."""
        from community.models import MunicipalityTypology

        if member.municipality_id is None:
            return self.none()
        typologies = MunicipalityTypology.objects.filter(municipality_id=member.municipality_id).values("typology_id")
        similar = MunicipalityTypology.objects.filter(typology_id__in=typologies).values("municipality_id")
        return self.filter(author__municipality_id__in=similar)


def themes_column(thread_id: str) -> str:
    """SQL for a column of the themes of the thread whose id is ``thread_id`` (an SQL
    expression of the enclosing query), for the hand-written reads of lists and the thread
    page; ``theme_list()`` reads its value. Plain SQL in the same statement: taggit's
    prefetch builds a manager per thread, and even a second plain query cost a round trip
    on every page that shows threads."""
    from threads.models import Theme, ThreadTheme

    q = connection.ops.quote_name
    link, theme = q(ThreadTheme._meta.db_table), q(Theme._meta.db_table)
    joined = f"FROM {link} tl JOIN {theme} tt ON tt.id = tl.tag_id WHERE tl.content_object_id = {thread_id}"
    if connection.vendor == "postgresql":
        return f"(SELECT json_agg(json_build_array(tt.name, tt.slug, tt.id) ORDER BY tt.name, tt.id) {joined})"
    return f"(SELECT json_group_array(json_array(tt.name, tt.slug, tt.id)) {joined})"


def theme_list(value: str | list[tuple[str, str, int]] | None) -> tuple[tuple[str, str], ...]:
    """``[(name, slug), ...]`` by name from a ``themes_column()`` value (PostgreSQL gives
    the JSON parsed, SQLite as text and in no particular order: sorted here, by name as
    SQLite compares text, then id)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = sorted(json.loads(value), key=lambda theme: (theme[0], theme[2]))
    return tuple((name, slug) for name, slug, _id in value)


class PostQuerySet(models.QuerySet["Post"]):
    def moderated_by(self, member: Member) -> Self:
        ids = moderated_group_ids(member)
        return self if ids is None else self.filter(thread__group_id__in=ids)

    def hidden_for_review(self) -> Self:
        """Hidden by a moderator or by flags, and not deleted: the "hidden" queue."""
        return self.filter(hidden=True, deleted_at__isnull=True)

    def flagged(self) -> Self:
        """Posts with open flags, not deleted, with ``open_flags`` and ``first_flagged``:
        the flag queue, oldest first."""
        from threads.models import Flag

        open_flags = Q(flags__status=Flag.Status.OPEN)
        return (
            self.filter(deleted_at__isnull=True)
            .filter(Exists(Flag.objects.filter(post=OuterRef("pk"), status=Flag.Status.OPEN)))
            .annotate(
                open_flags=models.Count("flags", filter=open_flags),
                first_flagged=models.Min("flags__created", filter=open_flags),
            )
            .order_by("first_flagged", "pk")
        )

    def with_queue_data(self) -> Self:
        return self.select_related("thread__group", "author__municipality")


class FlagQuerySet(models.QuerySet["Flag"]):
    def open(self) -> Self:
        return self.filter(status="open", post__deleted_at__isnull=True)

    def moderated_by(self, member: Member) -> Self:
        ids = moderated_group_ids(member)
        return self if ids is None else self.filter(post__thread__group_id__in=ids)


def queue_counts(group_ids: Iterable[int] | None = None) -> dict[int | None, dict[str, int]]:
    """Open flags, hidden posts and threads, and sign-ups waiting, per group, in four
    queries however many rows: ``{group id: {"flags": n, "hidden": n, "signups": n}}``.

    ``group_ids`` limits the groups (None: all, for staff). Sign-ups count for the
    regional group of their province; sign-ups from a province without a regional
    group count under the key None (staff see them).
    """
    from community.models import Member
    from threads.models import Flag, Post, Thread

    counts: dict[int | None, dict[str, int]] = {}

    def add(rows: Iterable[tuple[int | None, int]], kind: str) -> None:
        for group_id, number in rows:
            counts.setdefault(group_id, {"flags": 0, "hidden": 0, "signups": 0})[kind] += number

    def scoped(queryset: QuerySet[Any], field: str) -> QuerySet[Any]:
        return queryset if group_ids is None else queryset.filter(**{f"{field}__in": list(group_ids)})

    count = models.Count("pk")
    add(
        scoped(Flag.objects.open(), "post__thread__group_id")
        .values_list("post__thread__group_id")
        .annotate(n=count)
        .order_by(),
        "flags",
    )
    add(
        scoped(Post.objects.hidden_for_review(), "thread__group_id")
        .values_list("thread__group_id")
        .annotate(n=count)
        .order_by(),
        "hidden",
    )
    add(
        scoped(Thread.objects.filter(hidden=True), "group_id").values_list("group_id").annotate(n=count).order_by(),
        "hidden",
    )
    add(
        scoped(Member.objects.pending_review(), "municipality__region__group")
        .values_list("municipality__region__group")
        .annotate(n=count)
        .order_by(),
        "signups",
    )
    return counts
