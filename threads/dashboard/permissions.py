"""Who sees the programme's view, and of which provinces.

Staff see the whole country and may narrow it to one province; an ambassador sees the
provinces whose regional group they moderate, one at a time. Everybody else gets the same
404 as for a page that does not exist, as does a province the viewer may not see.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from community.models import Member, Region
from community.permissions import can_view_programme_view, is_participant


@dataclass(frozen=True)
class Scope:
    """What a viewer sees: ``region`` (None: the whole country) and the provinces they may pick."""

    region: Region | None
    choices: tuple[Region, ...]
    #: The viewer may see the whole country (staff).
    national: bool

    @property
    def region_ids(self) -> frozenset[int] | None:
        return None if self.region is None else frozenset({self.region.pk})


def can_view_dashboard(member: Member | None) -> bool:
    return can_view_programme_view(member)


def visible_region_ids(member: Member) -> frozenset[int] | None:
    """The provinces whose figures the member sees; None means all (staff)."""
    if member.is_staff:
        return None
    return member.roles.ambassador_region_ids


def can_see_province(member: Member, region: Region) -> bool:
    if not can_view_dashboard(member):
        return False
    visible = visible_region_ids(member)
    return visible is None or region.pk in visible


def access_scope(member: Member, province: str | None) -> Scope:
    """The viewer's scope for ``?province=<slug>`` (empty: the whole country for staff, the
    first of their provinces for an ambassador), or 404."""
    if not can_view_dashboard(member):
        raise Http404
    visible = visible_region_ids(member)
    regions = Region.objects.filter(kind=Region.Kind.PROVINCE).order_by("name")
    if visible is not None:
        regions = regions.filter(pk__in=visible)
    choices = tuple(regions)
    if not choices:
        raise Http404
    if province:
        region = next((region for region in choices if region.slug == province), None)
        if region is None:
            raise Http404
    else:
        region = None if visible is None else choices[0]
    return Scope(region=region, choices=choices, national=visible is None)


def can_see_origins(member: Member | None) -> bool:
    """Where a typology group's members come from: for every member who may see the group's
    page (its members are listed there already)."""
    return is_participant(member)
