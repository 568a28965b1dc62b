"""Reads of meetings, registrations and questions: chainable QuerySet methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.db import models
from django.db.models import Prefetch, Q
from django.utils import timezone

if TYPE_CHECKING:
    from collections.abc import Iterable

    from community.meetings.models import Meeting, Question, Registration  # noqa: F401  (the querysets' type parameters)
    from community.models import Member


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def upcoming(self) -> Self:
        """Not yet over, soonest first."""
        return self.filter(ends_at__gt=timezone.now()).order_by("starts_at", "id")

    def past(self) -> Self:
        """Over, most recent first."""
        return self.filter(ends_at__lte=timezone.now()).order_by("-starts_at", "-id")

    def for_audience(self, *, typology_ids: Iterable[int], region_id: int | None) -> Self:
        """Meetings for these typologies or this province, and those for everybody
        (no typology and no province chosen)."""
        everybody = Q(typologies__isnull=True, regions__isnull=True)
        return self.filter(everybody | Q(typologies__in=list(typology_ids)) | Q(regions=region_id)).distinct()

    def for_member(self, member: Member) -> Self:
        """Meetings for the member's municipality (its typologies and province), for
        everybody, or that the member registered for, was invited to or organises."""
        municipality = member.municipality
        typology_ids = [t.pk for t in municipality.typologies.all()] if municipality is not None else []
        region_id = municipality.region_id if municipality is not None else None
        everybody = Q(typologies__isnull=True, regions__isnull=True)
        mine = (
            Q(registrations__member=member, registrations__status__in=["registered", "waiting"])
            | Q(invitations__member=member)
            | Q(organisers=member)
        )
        return self.filter(everybody | Q(typologies__in=typology_ids) | Q(regions=region_id) | mine).distinct()

    def with_list_data(self) -> Self:
        """What a list row shows: typologies and provinces in two queries for the whole list."""
        from community.models import Region, Typology

        return self.prefetch_related(
            Prefetch("typologies", queryset=Typology.objects.order_by("name_nl")),
            Prefetch("regions", queryset=Region.objects.order_by("name")),
        )

    def with_page_data(self) -> Self:
        """The meeting page: list data and the organisers (with their municipality)."""
        from community.models import Member

        return self.with_list_data().prefetch_related(
            Prefetch("organisers", queryset=Member.objects.select_related("municipality").order_by("name"))
        )

    def search(self, text: str) -> Self:
        words = [word for word in text.split() if len(word) > 1][:8]
        if not words:
            return self.none()
        query = Q()
        for word in words:
            query &= Q(title__icontains=word) | Q(description__icontains=word) | Q(location_name__icontains=word)
        return self.filter(query)


class RegistrationQuerySet(models.QuerySet["Registration"]):
    def active(self) -> Self:
        return self.filter(status="registered")

    def waiting(self) -> Self:
        """The waiting list, in the order it is served."""
        return self.filter(status="waiting").order_by("requested_at", "id")

    def current(self) -> Self:
        """Registered or on the waiting list."""
        return self.filter(status__in=["registered", "waiting"])


class QuestionQuerySet(models.QuerySet["Question"]):
    def listed(self) -> Self:
        """Shown in the list: not hidden, not merged into another question."""
        return self.filter(hidden=False, merged_into__isnull=True)

    def visible_to(self, member: Member, *, is_organiser: bool) -> Self:
        """Organisers see hidden questions too (to restore them); authors see their own."""
        if is_organiser:
            return self.filter(merged_into__isnull=True)
        return self.filter(Q(hidden=False) | Q(author=member), merged_into__isnull=True)

    def in_order(self) -> Self:
        """Now answering first, then the rest by votes (answered last), oldest first among equals."""
        answering_first = models.Case(
            models.When(status="answering", then=0), models.When(status="answered", then=2), default=1
        )
        return self.order_by(answering_first, "-vote_count", "created", "id")

    def with_list_data(self) -> Self:
        return self.select_related("author__municipality")
