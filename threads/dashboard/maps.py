"""The maps as inline SVG: the programme's map of every municipality and the small maps on
municipality and group pages. The geometry is made once per process (``geometry.py``); a
request only wraps the cached paths in links, titles and colour classes.

The colour scale is viridis in six classes (colour-blind safe, light to dark as the figure
grows; Nathaniel Smith and Stéfan van der Walt's map for matplotlib). The classes double:
1, 2–3, 4–7, 8–15, 16–31, 32 or more. Fixed classes, not quantiles, so that a colour means the
same figure on every visit and for every province; doubling, because the figures range from
one member in a village to hundreds in a city. A municipality with none is hatched grey, which
is not on the scale at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape  # the standard library's: Django's adds a lazy-text wrapper per call

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from threads.dashboard.geometry import MAP, SMALL, Box, geometry

#: Viridis, six classes, light (few) to dark (many). Also in static/css/site.css (.scale-N).
COLOURS = ("#fde725", "#7ad151", "#22a884", "#2a788e", "#414487", "#440154")
CLASSES = len(COLOURS)


def scale_class(value: int) -> int:
    """0 for none, then 1 (1), 2 (2–3), 3 (4–7), 4 (8–15), 5 (16–31), 6 (32 or more)."""
    if value <= 0:
        return 0
    return min(CLASSES, value.bit_length())


@dataclass(frozen=True)
class LegendEntry:
    scale: int
    label: str


def legend() -> list[LegendEntry]:
    entries = [LegendEntry(0, _("none"))]
    for scale in range(1, CLASSES + 1):
        low, high = 2 ** (scale - 1), 2**scale - 1
        if scale == CLASSES:
            label = _("%(low)s or more") % {"low": low}
        elif low == high:
            label = str(low)
        else:
            label = f"{low}–{high}"
        entries.append(LegendEntry(scale, label))
    return entries


@dataclass(frozen=True)
class Area:
    """A municipality as the map shows it."""

    code: str
    label: str  # name and figure: the link's accessible name and the tooltip
    scale: int | str  # a scale class (0-6) or a named class ("self", "similar")
    href: str | None = None


def _hatch(pattern_id: str, size: float) -> str:
    return (
        f'<defs><pattern id="{pattern_id}" patternUnits="userSpaceOnUse" width="{size:g}" height="{size:g}">'
        f'<rect class="map__none-ground" width="{size:g}" height="{size:g}"/>'
        f'<path class="map__none-line" stroke-width="{size / 6:.2g}" d="M0 {size:g}L{size:g} 0M{-size / 2:g} {size / 2:g}L{size / 2:g} {-size / 2:g}M{size / 2:g} {1.5 * size:g}L{1.5 * size:g} {size / 2:g}"/></pattern></defs>'
    )


def _area(area: Area, d: str, pattern_id: str) -> str:
    """A link (or a plain shape) with its title; "none" is filled with the map's own hatch
    pattern (an attribute: the pattern's id differs per map)."""
    title = escape(area.label)
    css = f"scale-{area.scale}"
    fill = f' fill="url(#{pattern_id})"' if area.scale == 0 else ""
    if area.href:
        return f'<a href="{escape(area.href)}" class="{css}"{fill}><title>{title}</title><path d="{d}"/></a>'
    return f'<path class="{css}"{fill} d="{d}"><title>{title}</title></path>'


def programme_map(areas: Iterable[Area], *, province: str | None, title: str, description: str) -> SafeString:
    """Every municipality in ``areas`` as a link coloured by its class; the provinces' borders
    over them. With a province, the view is that province's box (the areas are its own)."""
    geo = geometry(MAP)
    box: Box = geo.provinces[province].box if province else geo.box
    hatch = max(box.height, box.width) / 120
    shapes = "".join(_area(area, geo.shapes[area.code].d, "map-none") for area in areas)
    borders = geo.provinces[province].outline if province else geo.borders
    view_box = geo.view_box(province)
    _x, _y, width, height = view_box.split()
    # width and height give the map its shape; the stylesheet scales it to the page.
    return mark_safe(
        f'<svg class="map" viewBox="{view_box}" width="{width}" height="{height}" aria-labelledby="map-title" aria-describedby="map-desc"'
        f' data-map xmlns="http://www.w3.org/2000/svg">'
        f'<title id="map-title">{escape(title)}</title><desc id="map-desc">{escape(description)}</desc>'
        f"{_hatch('map-none', hatch)}"
        f'<g class="map__areas">{shapes}</g>'
        f'<path class="map__borders" d="{borders}"/></svg>'
    )


def small_map(areas: Iterable[Area], *, map_id: str, title: str, description: str) -> SafeString:
    """The country (provinces in grey) with a few municipalities coloured and marked by a
    circle (a small municipality is a few pixels on a small map). Linked areas make a map a
    reader tabs through; without links it is one image with a title and description."""
    geo = geometry(SMALL)
    areas = list(areas)
    land = "".join(f'<path d="{province.area}"/>' for province in geo.provinces.values())
    shapes = "".join(_area(area, geo.shapes[area.code].d, f"{map_id}-none") for area in areas)
    # A ring around named areas ("self", "similar"): some municipalities are a pixel or two here.
    markers = "".join(
        f'<circle class="marker marker--{area.scale}" cx="{geo.shapes[area.code].centre[0]}" cy="{geo.shapes[area.code].centre[1]}" r="6"/>'
        for area in areas
        if isinstance(area.scale, str)
    )
    linked = any(area.href for area in areas)
    role = "" if linked else ' role="img"'
    return mark_safe(
        f'<svg class="small-map" viewBox="{geo.view_box()}"{role} aria-labelledby="{map_id}-title" aria-describedby="{map_id}-desc"'
        f'{" data-map" if linked else ""} xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{map_id}-title">{escape(title)}</title><desc id="{map_id}-desc">{escape(description)}</desc>'
        f"{_hatch(f'{map_id}-none', 4)}"
        f'<g class="small-map__land" aria-hidden="true">{land}</g>'
        f'<g class="small-map__areas">{shapes}</g>'
        f'<g class="small-map__markers" aria-hidden="true">{markers}</g></svg>'
    )
