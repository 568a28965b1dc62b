"""Finding handelingsperspectieven for the search page's own section.

What is searched: the current version of published perspectives (not superseded), its
title, summary, sections, typologies, themes and sources; never the quoted examples (a
quote from a closed group must not make a perspective turn up for a word only that
group could read). The query is parsed as for threads (``threads.search.query``: the same
words, phrases, ``or``, ``-word``, stop words and synonyms). PostgreSQL matches with the ``dutch``
configuration (``samenleven``: ``dutch`` with accents folded) on the version's search vector (GIN index, migration 0002) and ranks;
SQLite looks for every term as whole words in the version's plain text, newest first.

Of the search filters, the theme applies, a typology group means perspectives for that
typology, and the period means published in it; filters that describe posts (kind,
solved, author, region, municipality, another group) leave no perspectives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone
from django.utils.safestring import SafeString

from community.models import Member
from community.permissions import is_participant
from threads.perspectives.models import Perspective
from threads.querysets import TOP_PERIODS
from threads.search import Filters, load_synonyms, parse_query
from threads.search.fallback import term_condition
from threads.search.marks import excerpt, highlight

LIMIT = 10


@dataclass(frozen=True)
class PerspectiveHit:
    perspective: Perspective
    title: SafeString
    snippet: SafeString


def _scoped(filters: Filters):
    perspectives = Perspective.objects.published()
    if (
        filters.kind
        or filters.solved
        or filters.author is not None
        or filters.region is not None
        or filters.municipality is not None
    ):
        return None
    if filters.group is not None:
        if filters.group.typology_id is None:
            return None
        perspectives = perspectives.for_typologies([filters.group.typology_id])
    if filters.theme is not None:
        perspectives = perspectives.with_theme(filters.theme.pk)
    days = TOP_PERIODS.get(filters.period) if filters.period else None
    if days is not None:
        perspectives = perspectives.filter(current_version__published_at__gte=timezone.now() - timedelta(days=days))
    return perspectives


def search_perspectives(
    *, member: Member, text: str, filters: Filters | None = None, limit: int = LIMIT
) -> list[PerspectiveHit]:
    """The best published perspectives for what the member typed: two queries (the
    synonyms and the search), none when there is nothing to search for."""
    filters = filters if filters is not None else Filters()
    if not is_participant(member):
        return []
    perspectives = _scoped(filters)
    if perspectives is None:
        return []
    query = parse_query(text, load_synonyms())
    if not query.is_searchable:
        return []
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchRank

        from threads.search.engine import tsquery

        match = tsquery(query)
        found = (
            perspectives.filter(current_version__search_vector=match)
            .annotate(rank=SearchRank(F("current_version__search_vector"), match))
            .order_by("-rank", "-current_version__published_at", "-pk")
        )
    else:
        condition = Q()
        for term in query.terms:
            holds = term_condition(term, text="current_version__text", title=None)
            condition &= ~holds if term.excluded else holds
        found = perspectives.filter(condition).order_by("-current_version__published_at", "-pk")
    pattern = query.pattern
    return [
        PerspectiveHit(
            perspective=perspective,
            title=highlight(perspective.current_version.title, pattern),
            snippet=highlight(excerpt(perspective.current_version.summary, pattern), pattern),
        )
        for perspective in found.select_related("current_version")[:limit]
    ]
