"""Reads of handelingsperspectieven, as chainable QuerySet methods."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Self

from django.db import models
from django.db.models import Exists, OuterRef, Prefetch

from community.permissions import is_participant

if TYPE_CHECKING:
    from community.models import Member
    from threads.perspectives.models import Perspective, Suggestion  # noqa: F401  (the querysets' type parameters)


class PerspectiveQuerySet(models.QuerySet["Perspective"]):
    def published(self) -> Self:
        """Perspectives with a version members read, not superseded by another."""
        return self.filter(current_version__isnull=False).exclude(status="superseded")

    def public(self) -> Self:
        return self.published().filter(is_public=True)

    def readable_by(self, member: Member | None) -> Self:
        """Approved members read every published perspective; everyone else the public ones."""
        return self.published() if is_participant(member) else self.public()

    def for_typologies(self, typology_ids: Iterable[int]) -> Self:
        """Whose current version is for one of these typologies."""
        from threads.perspectives.models import PerspectiveVersion

        ids = list(typology_ids)
        if not ids:
            return self.none()
        return self.filter(
            Exists(
                PerspectiveVersion.typologies.through.objects.filter(
                    perspectiveversion_id=OuterRef("current_version_id"), typology_id__in=ids
                )
            )
        )

    def with_theme(self, theme_id: int) -> Self:
        from threads.perspectives.models import PerspectiveVersion

        return self.filter(
            Exists(
                PerspectiveVersion.themes.through.objects.filter(
                    perspectiveversion_id=OuterRef("current_version_id"), theme_id=theme_id
                )
            )
        )

    def citing_thread(self, thread_id: int) -> Self:
        """Whose current version has an example from this thread."""
        from threads.perspectives.models import PerspectiveVersion

        return self.filter(
            Exists(
                PerspectiveVersion.citations.through.objects.filter(
                    perspectiveversion_id=OuterRef("current_version_id"), citation__thread_id=thread_id
                )
            )
        )

    def newest_first(self) -> Self:
        return self.order_by("-current_version__published_at", "-pk")

    def with_list_data(self) -> Self:
        """The current version with its typologies and themes: three queries for any list."""
        from community.models import Typology
        from threads.models import Theme

        return self.select_related("current_version").prefetch_related(
            Prefetch("current_version__typologies", queryset=Typology.objects.order_by("name_nl")),
            Prefetch("current_version__themes", queryset=Theme.objects.order_by("name")),
        )


class SuggestionQuerySet(models.QuerySet["Suggestion"]):
    def open(self) -> Self:
        return self.filter(status="open")

    def with_queue_data(self) -> Self:
        return self.select_related("thread__group", "member__municipality")
