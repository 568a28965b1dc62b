"""The map of the Netherlands as SVG path data, made once per process from the TopoJSON.

``community/data/gemeenten.topo.json`` holds the 342 municipalities of 2023 (CBS/Kadaster,
WGS 84 longitude and latitude, quantised, see ``community/data/README.md``). Here, without a
GIS library:

1. **Decode** the arcs: the file is quantised, so each arc is a list of integer steps that add
   up to positions on a grid; ``transform`` turns a grid position into degrees.
2. **Project** once, equirectangular around 52° north: ``x = (lon - west) * cos 52°``,
   ``y = north - lat``, both scaled so that the country is a fixed number of units tall. At this
   latitude and size the distortion is well under one percent, less than the generalisation of
   the boundaries themselves; an RD projection would not draw visibly differently.
3. **Simplify** each arc with Visvalingam–Whyatt: drop the point whose triangle with its
   neighbours is smallest until every remaining triangle is at least ``tolerance`` square units.
   Arcs are shared by neighbouring municipalities and keep their end points, so neighbours
   still touch after simplification: the same simplified arc draws both sides of a border.
4. **Round** to whole units and write each shape as one SVG path of relative steps
   (``M x y l dx dy ... z``), with ``fill-rule: evenodd`` for holes (Baarle-Nassau).

Province outlines come from the same arcs: an arc used once by the municipalities of a
province is on that province's border (an arc used twice lies between two of its
municipalities). The province of each municipality is read from ``gemeenten.csv``, the file
``import_municipalities`` reads, so that the geometry needs no query.

``geometry(detail)`` is cached per process (``functools.cache``): about a quarter of a second
the first time, then free. Two levels of detail: ``MAP`` for the programme's map, ``SMALL`` for
the small maps on municipality and group pages.
"""

from __future__ import annotations

import csv
import heapq
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import community

DATA = Path(community.__file__).resolve().parent / "data"
TOPOJSON = DATA / "gemeenten.topo.json"
MUNICIPALITIES_CSV = DATA / "gemeenten.csv"
PROVINCES_CSV = DATA / "provinces.csv"

#: Standard parallel of the equirectangular projection: the middle of the country.
PARALLEL = 52.0
MAP = "map"
SMALL = "small"
#: Per level of detail: units from the northernmost to the southernmost point, and the
#: Visvalingam tolerance in square units. The map (2,000 units: 156 m per unit) stays sharp
#: when it shows one province; the small maps (400 units) are drawn a few hundred pixels tall.
DETAIL = {MAP: (2000, 4.0), SMALL: (400, 2.0)}
#: Units of empty border around the drawing.
MARGIN = 4

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def padded(self, margin: float) -> Box:
        return Box(self.x0 - margin, self.y0 - margin, self.x1 + margin, self.y1 + margin)

    def view_box(self) -> str:
        """The ``viewBox`` attribute: x, y, width and height, in whole units."""
        x0, y0 = math.floor(self.x0), math.floor(self.y0)
        return f"{x0} {y0} {math.ceil(self.x1) - x0} {math.ceil(self.y1) - y0}"

    @staticmethod
    def around(points) -> Box:
        xs, ys = zip(*points, strict=True)
        return Box(min(xs), min(ys), max(xs), max(ys))


@dataclass(frozen=True)
class Shape:
    """One municipality: its path, bounding box and a point inside for a marker."""

    code: str
    province: str  # the province's slug
    d: str
    box: Box
    centre: tuple[int, int]


@dataclass(frozen=True)
class Province:
    slug: str
    #: The filled area (closed rings), for the background of the small maps.
    area: str
    #: The border only (open lines, one per arc), to draw over the municipalities.
    outline: str
    box: Box


@dataclass(frozen=True)
class Geometry:
    detail: str
    #: Municipalities by CBS code, in the order of the data file.
    shapes: dict[str, Shape]
    provinces: dict[str, Province]
    #: Every province border once (arcs between two provinces and the country's border).
    borders: str
    box: Box

    def view_box(self, province: str | None = None) -> str:
        box = self.provinces[province].box if province else self.box
        return box.padded(MARGIN).view_box()


# --- Reading the data -----------------------------------------------------------------------------


def municipality_provinces() -> dict[str, str]:
    """CBS code -> province slug, from the data files ``import_municipalities`` reads."""
    with PROVINCES_CSV.open(encoding="utf-8") as handle:
        slug_of = {row["name"]: row["slug"] for row in csv.DictReader(handle)}
    with MUNICIPALITIES_CSV.open(encoding="utf-8") as handle:
        return {row["code"]: slug_of[row["province"]] for row in csv.DictReader(handle)}


def decode_arcs(topology: dict) -> list[list[Point]]:
    """Every arc as longitude/latitude points (the quantised steps added up and scaled)."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        if transform is None:
            arcs.append([(float(x), float(y)) for x, y, *_ in arc])
            continue
        (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
        x = y = 0
        points = []
        for dx, dy, *_ in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def polygons_of(geometry: dict) -> list[list[list[int]]]:
    """A Polygon or MultiPolygon as a list of polygons, each a list of rings of arc indexes."""
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    raise ValueError(f"unexpected geometry type {geometry['type']!r}")


def arc_id(index: int) -> int:
    """TopoJSON writes an arc taken backwards as its one's complement (~i)."""
    return index if index >= 0 else ~index


# --- Projection and simplification --------------------------------------------------------------


def projector(arcs: list[list[Point]], used: set[int], height: int):
    """The equirectangular projection, scaled so that the used arcs are ``height`` units tall."""
    points = [point for i in used for point in arcs[i]]
    west = min(lon for lon, _lat in points)
    north = max(lat for _lon, lat in points)
    south = min(lat for _lon, lat in points)
    scale = height / (north - south)
    factor = math.cos(math.radians(PARALLEL)) * scale

    def project(point: Point) -> Point:
        lon, lat = point
        return ((lon - west) * factor, (north - lat) * scale)

    return project


def triangle_area(a: Point, b: Point, c: Point) -> float:
    return abs((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])) / 2


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Visvalingam–Whyatt: remove the point with the smallest effective area until each is at
    least ``tolerance``. End points stay (they join the neighbouring arcs); a closed arc keeps
    at least four points (a triangle), an open one at least its two ends."""
    n = len(points)
    closed = n > 3 and points[0] == points[-1]
    keep_at_least = 4 if closed else 2
    if n <= keep_at_least:
        return list(points)
    previous = list(range(-1, n - 1))
    following = list(range(1, n + 1))
    areas = [math.inf] * n
    heap = []
    for i in range(1, n - 1):
        areas[i] = triangle_area(points[i - 1], points[i], points[i + 1])
        heapq.heappush(heap, (areas[i], i))
    removed = [False] * n
    remaining = n
    floor = 0.0  # a point's area never counts as less than that of one removed before it
    while heap and remaining > keep_at_least:
        area, i = heapq.heappop(heap)
        if removed[i] or area != areas[i]:
            continue  # an outdated entry
        if area >= tolerance:
            break
        floor = max(floor, area)
        removed[i] = True
        remaining -= 1
        before, after = previous[i], following[i]
        following[before] = after
        previous[after] = before
        for j in (before, after):
            if 0 < j < n - 1:
                areas[j] = max(floor, triangle_area(points[previous[j]], points[j], points[following[j]]))
                heapq.heappush(heap, (areas[j], j))
    return [point for i, point in enumerate(points) if not removed[i]]


def rounded(points: list[Point]) -> list[tuple[int, int]]:
    """Whole units, without repeated points."""
    out: list[tuple[int, int]] = []
    for x, y in points:
        point = (round(x), round(y))
        if not out or out[-1] != point:
            out.append(point)
    return out


# --- Paths ------------------------------------------------------------------------------------------


def ring_points(ring: list[int], arcs: dict[int, list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """The points of a ring of arc indexes, each arc's first point dropped after the first arc
    (it is the previous arc's last)."""
    points: list[tuple[int, int]] = []
    for index in ring:
        arc = arcs[arc_id(index)]
        if index < 0:
            arc = arc[::-1]
        points.extend(arc if not points else arc[1:])
    return points


def path_data(lines: list[list[tuple[int, int]]], *, closed: bool) -> str:
    """``M x y l dx dy ...`` per line (``z`` when closed): relative steps are short."""
    parts = []
    for line in lines:
        if len(line) < (3 if closed else 2):
            continue
        x, y = line[0]
        steps = []
        # A closed line's last point repeats its first: "z" draws that step.
        for nx, ny in line[1:-1] if closed and line[-1] == line[0] else line[1:]:
            steps.append(f"{nx - x} {ny - y}")
            x, y = nx, ny
        parts.append(f"M{line[0][0]} {line[0][1]}l{' '.join(steps)}{'z' if closed else ''}")
    return "".join(parts).replace(" -", "-")


def polygon_area(points: list[tuple[int, int]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True)) / 2


def inside_point(points: list[tuple[int, int]]) -> tuple[int, int]:
    """A point for a marker: the centroid of the ring, or, when that falls outside a concave
    ring, the middle of the widest stretch of the horizontal line through it."""
    area = polygon_area(points)
    if abs(area) < 1e-9:
        xs, ys = zip(*points, strict=True)
        return (round(sum(xs) / len(xs)), round(sum(ys) / len(ys)))
    cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    cx, cy = cx / (6 * area), cy / (6 * area)
    crossings = sorted(
        x0 + (cy - y0) * (x1 - x0) / (y1 - y0)
        for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True)
        if (y0 <= cy < y1) or (y1 <= cy < y0)
    )
    spans = list(zip(crossings[::2], crossings[1::2], strict=False))
    if spans and not any(a <= cx <= b for a, b in spans):
        a, b = max(spans, key=lambda span: span[1] - span[0])
        cx = (a + b) / 2
    return (round(cx), round(cy))


def stitch(directed: list[list[tuple[int, int]]]) -> list[list[tuple[int, int]]]:
    """Join lines that end where another starts into closed rings (a province's border arcs,
    each taken in the direction its municipality's ring takes it)."""
    starting: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, line in enumerate(directed):
        starting[line[0]].append(i)
    used = [False] * len(directed)
    rings = []
    for first in range(len(directed)):
        if used[first]:
            continue
        used[first] = True
        ring = list(directed[first])
        while ring[-1] != ring[0]:
            candidates = [i for i in starting.get(ring[-1], []) if not used[i]]
            if not candidates:
                break  # an open end: kept as it is, drawn closed
            used[candidates[0]] = True
            ring.extend(directed[candidates[0]][1:])
        rings.append(ring)
    return rings


# --- The geometry -------------------------------------------------------------------------------


@cache
def geometry(detail: str = MAP) -> Geometry:
    """Shapes and province outlines at this level of detail (``MAP`` or ``SMALL``)."""
    height, tolerance = DETAIL[detail]
    topology = json.loads(TOPOJSON.read_text(encoding="utf-8"))
    features = topology["objects"]["gm_features"]["geometries"]
    arcs_lonlat = decode_arcs(topology)
    used = {arc_id(i) for feature in features for polygon in polygons_of(feature) for ring in polygon for i in ring}
    project = projector(arcs_lonlat, used, height)
    arcs = {i: rounded(simplify([project(p) for p in arcs_lonlat[i]], tolerance)) for i in sorted(used)}

    province_of = municipality_provinces()
    shapes: dict[str, Shape] = {}
    uses: dict[str, Counter] = defaultdict(Counter)  # province -> arc id -> times used
    direction: dict[tuple[str, int], bool] = {}  # (province, arc id) -> taken forwards
    everywhere: Counter = Counter()
    owners: dict[int, set[str]] = defaultdict(set)
    for feature in features:
        code = feature["properties"]["code"]
        province = province_of[code]
        rings = []
        for polygon in polygons_of(feature):
            for ring in polygon:
                rings.append(ring_points(ring, arcs))
                for index in ring:
                    uses[province][arc_id(index)] += 1
                    direction[(province, arc_id(index))] = index >= 0
                    everywhere[arc_id(index)] += 1
                    owners[arc_id(index)].add(province)
        largest = max(rings, key=lambda ring: abs(polygon_area(ring)))
        shapes[code] = Shape(
            code=code,
            province=province,
            d=path_data(rings, closed=True),
            box=Box.around([point for ring in rings for point in ring]),
            centre=inside_point(largest),
        )

    provinces = {}
    for province, counted in sorted(uses.items()):
        border = [i for i, times in counted.items() if times == 1]
        directed = [arcs[i] if direction[(province, i)] else arcs[i][::-1] for i in border]
        provinces[province] = Province(
            slug=province,
            area=path_data(stitch(directed), closed=True),
            outline=path_data([arcs[i] for i in sorted(border)], closed=False),
            box=Box.around([point for i in border for point in arcs[i]]),
        )
    # Between two provinces, or on the country's border (used by one municipality only).
    borders = [arcs[i] for i in sorted(used) if everywhere[i] == 1 or len(owners[i]) > 1]
    return Geometry(
        detail=detail,
        shapes=shapes,
        provinces=provinces,
        borders=path_data(borders, closed=False),
        box=Box.around([point for line in borders for point in line]),
    )
