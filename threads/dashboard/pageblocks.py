"""Small maps on pages that ``threads`` serves, registered as blocks (``threads/blocks.py``):

- the municipality page: the municipality and its similar municipalities;
- a typology group's page: where its members come from.

Each renders its own template and makes its own queries (none for the similar municipalities,
which the page passes; two for a group's origins; ``tests/dashboard/test_blocks.py`` counts
them).
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.models import Group, Municipality
from community.similarity import Similar
from threads.dashboard import figures
from threads.dashboard.maps import Area, legend, scale_class, small_map
from threads.dashboard.permissions import can_see_origins

#: Municipalities named in the list beside the origins map (the map shows them all).
ORIGINS_LISTED = 10


def similar_map(request, *, municipality: Municipality, similar: list[Similar], **context) -> str | None:
    """The municipality and its similar municipalities (the page found them already, with
    ``community.similarity.similar_municipalities``): no query."""
    if not can_see_origins(request.user):
        return None
    areas = [
        Area(
            code=item.municipality.code,
            label=_("%(name)s: similar municipality") % {"name": item.municipality.name},
            scale="similar",
            href=item.municipality.get_absolute_url(),
        )
        for item in similar
    ]
    areas.append(
        Area(code=municipality.code, label=_("%(name)s: this municipality") % {"name": municipality.name}, scale="self")
    )
    names = ", ".join(item.municipality.name for item in similar)
    svg = small_map(
        areas,
        map_id="similar-map",
        title=_("Map: %(name)s and similar municipalities") % {"name": municipality.name},
        description=(
            _("%(name)s is marked dark blue; the similar municipalities (%(names)s) orange.")
            % {"name": municipality.name, "names": names}
            if similar
            else _("%(name)s is marked dark blue; no similar municipalities were found.") % {"name": municipality.name}
        ),
    )
    return render_to_string(
        "dashboard/_similar_map.html", {"map": svg, "municipality": municipality, "peers": similar}, request=request
    )


def group_origins(request, *, group: Group, **context) -> str | None:
    if group.kind != Group.Kind.TYPOLOGY or not can_see_origins(request.user):
        return None
    origins = figures.group_origins(group)
    areas = [
        Area(
            code=code,
            label=ngettext("%(name)s: %(count)s member", "%(name)s: %(count)s members", n) % {"name": name, "count": n},
            scale=scale_class(n),
        )
        for code, name, n in origins.ranked
    ]
    areas.extend(
        Area(code=code, label=_("%(name)s: no member yet") % {"name": name}, scale=0)
        for code, name in sorted(origins.in_typology.items())
        if code not in origins.counts
    )
    ranked = origins.ranked
    svg = small_map(
        areas,
        map_id="origins-map",
        title=_("Map: where the members of %(group)s come from") % {"group": group.name},
        description=_(
            "Municipalities with members in this group are coloured by their number of members, from light (few) "
            "to dark (many); municipalities of this typology without a member yet are hatched grey. The list beside "
            "the map names the municipalities with the most members."
        ),
    )
    return render_to_string(
        "dashboard/_origins.html",
        {
            "map": svg,
            "group": group,
            "origins": origins,
            "listed": ranked[:ORIGINS_LISTED],
            "others": len(ranked) - min(len(ranked), ORIGINS_LISTED),
            "legend": legend(),
        },
        request=request,
    )
