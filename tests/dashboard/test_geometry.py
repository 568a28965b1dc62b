"""The map's geometry: decoded, projected and simplified from the TopoJSON, once per process."""

from __future__ import annotations

import csv
import json
import re

import pytest

from threads.dashboard import geometry as geo_module
from threads.dashboard.geometry import MAP, SMALL, decode_arcs, geometry, simplify

CODES = [row["code"] for row in csv.DictReader(geo_module.MUNICIPALITIES_CSV.open(encoding="utf-8"))]
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def absolute_points(d: str) -> list[tuple[int, int]]:
    """The points of path data written as ``geometry.path_data`` writes it: ``M x y`` then
    relative ``l`` steps, ``z``; parsed independently of that code."""
    points = []
    for part in re.findall(r"M[^M]+", d):
        move, _, steps = part.partition("l")
        x, y = (int(n) for n in NUMBER.findall(move))
        points.append((x, y))
        numbers = [int(n) for n in NUMBER.findall(steps)]
        assert len(numbers) % 2 == 0, f"an odd number of coordinates in {part[:60]}"
        for dx, dy in zip(numbers[::2], numbers[1::2], strict=True):
            x, y = x + dx, y + dy
            points.append((x, y))
    return points


def test_every_municipality_has_a_shape_with_its_cbs_code():
    shapes = geometry(MAP).shapes
    assert len(CODES) == 342
    assert sorted(shapes) == sorted(CODES)
    assert all(re.fullmatch(r"(M-?\d+ -?\d+l[-\d ]+z?)+", shape.d) for shape in shapes.values())


def test_the_geometry_is_made_once_per_process():
    assert geometry(MAP) is geometry(MAP)
    assert geometry(SMALL) is not geometry(MAP)


def test_the_projection_keeps_the_countrys_shape():
    """Equirectangular around 52°: the Netherlands is about 0.85 times as wide as it is tall
    (266 by 312 km from the bounding box in the data's README)."""
    box = geometry(MAP).box
    assert box.height == pytest.approx(2000, abs=2)
    assert box.width / box.height == pytest.approx(0.85, abs=0.02)
    topology = json.loads(geo_module.TOPOJSON.read_text(encoding="utf-8"))
    points = [point for arc in decode_arcs(topology) for point in arc]
    assert min(lon for lon, _ in points) == pytest.approx(3.358, abs=0.01)
    assert max(lat for _, lat in points) == pytest.approx(53.555, abs=0.01)


def test_every_shape_lies_inside_the_view_box():
    geo = geometry(MAP)
    x0, y0, width, height = (int(n) for n in geo.view_box().split())
    assert width > 0 and height > 0
    for code, shape in geo.shapes.items():
        for x, y in absolute_points(shape.d):
            assert x0 <= x <= x0 + width and y0 <= y <= y0 + height, code
        assert shape.box.x0 >= x0 and shape.box.y1 <= y0 + height


def test_neighbours_still_share_their_border_after_simplification():
    """A border is one arc, simplified once: both neighbours draw the same points along it."""
    shapes = geometry(MAP).shapes
    for a, b in [
        ("GM0518", "GM0603"),
        ("GM0363", "GM0362"),
        ("GM0034", "GM0995"),
    ]:  # Den Haag/Rijswijk, Amsterdam/Amstelveen, Almere/Lelystad
        shared = set(absolute_points(shapes[a].d)) & set(absolute_points(shapes[b].d))
        assert len(shared) >= 3, (a, b)


def test_province_outlines_come_from_the_borders_between_provinces():
    geo = geometry(MAP)
    assert len(geo.provinces) == 12
    utrecht = geo.provinces["utrecht"]
    outline = set(absolute_points(utrecht.outline))
    # The border between Utrecht (the city) and De Bilt lies inside the province.
    between = set(absolute_points(geo.shapes["GM0344"].d)) & set(absolute_points(geo.shapes["GM0310"].d))
    assert len(between) >= 3 and not between & outline
    # The border with Gelderland is both provinces' outline, and the country's border.
    shared = outline & set(absolute_points(geo.provinces["gelderland"].outline))
    assert len(shared) > 50
    assert shared <= set(absolute_points(geo.borders))
    # The area of a province closes into rings.
    assert utrecht.area.count("M") == utrecht.area.count("z") >= 1


def test_simplification_keeps_the_ends_and_drops_only_small_bends():
    line = [(0.0, 0.0), (1.0, 0.1), (2.0, 0.0), (3.0, 5.0), (4.0, 0.0)]
    assert simplify(line, 1.0) == [(0.0, 0.0), (2.0, 0.0), (3.0, 5.0), (4.0, 0.0)]
    assert simplify(line, 100.0) == [(0.0, 0.0), (4.0, 0.0)]
    ring = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.01), (0.0, 1.0), (0.0, 0.0)]
    assert len(simplify(ring, 1000.0)) == 4  # a closed ring stays a triangle at least


def test_the_maps_are_small():
    """The path data of all 342 municipalities, the province borders and the small map's
    provinces: small enough for a page under 150 KB compressed (test_pages measures it)."""
    big, small = geometry(MAP), geometry(SMALL)
    assert sum(len(shape.d) for shape in big.shapes.values()) + len(big.borders) < 90_000
    assert sum(len(province.area) for province in small.provinces.values()) < 10_000
