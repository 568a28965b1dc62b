"""Which municipalities are in the same situation as this one, and why.

All 342 municipalities fit in memory: one query with their typologies, then a
score per candidate. Shared typologies weigh most, then a comparable population
(within a factor 1.5), then the same province.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from community.models import Municipality, Typology

COMPARABLE_POPULATION_FACTOR = 1.5


@dataclass(frozen=True)
class Similar:
    municipality: Municipality
    shared_typologies: tuple[Typology, ...]
    comparable_population: bool
    same_province: bool

    @property
    def score(self) -> int:
        return 3 * len(self.shared_typologies) + 2 * self.comparable_population + self.same_province

    @property
    def reason(self) -> str:
        """One sentence saying why, in the active language."""
        parts = []
        if self.shared_typologies:
            names = ", ".join(t.name for t in self.shared_typologies)
            parts.append(_("also %(typologies)s") % {"typologies": names})
        if self.comparable_population:
            parts.append(
                _("a comparable population (%(population)s)")
                % {"population": number_format(self.municipality.population, force_grouping=True)}
            )
        if self.same_province:
            parts.append(_("also in %(province)s") % {"province": self.municipality.region.name})
        sentence = "; ".join(parts) + "." if parts else ""
        return sentence[:1].upper() + sentence[1:]


def is_comparable_population(a: int, b: int) -> bool:
    small, large = sorted((max(a, 1), max(b, 1)))
    return large / small <= COMPARABLE_POPULATION_FACTOR


def similar_municipalities(municipality: Municipality, *, limit: int = 6) -> list[Similar]:
    """The municipalities most like this one, best first; ties go to the closest population."""
    own_typologies = {t.pk for t in municipality.typologies.all()}
    candidates = Municipality.objects.exclude(pk=municipality.pk).with_typologies()
    found = []
    for other in candidates:
        shared = tuple(t for t in other.typologies.all() if t.pk in own_typologies)
        similar = Similar(
            municipality=other,
            shared_typologies=shared,
            comparable_population=is_comparable_population(municipality.population, other.population),
            same_province=other.region_id == municipality.region_id,
        )
        # Only a shared typology, or a comparable size close by, makes a peer.
        if shared or (similar.comparable_population and similar.same_province):
            found.append(similar)
    found.sort(key=lambda s: (-s.score, abs(s.municipality.population - municipality.population)))
    return found[:limit]
