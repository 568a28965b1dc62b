"""``/dashboard/`` and ``/dashboard/export.csv``: who sees what, the map, the sortable table,
the exports equal to the tables, the page's weight and its query budget."""

from __future__ import annotations

import csv
import gzip
import io
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from community.models import Member, Municipality, Region
from tests.conftest import approved_member
from tests.dashboard.conftest import seed_large
from tests.dashboard.test_geometry import CODES, absolute_points
from threads.dashboard.figures import programme_overview
from threads.dashboard.tables import TABLE_NAMES

pytestmark = pytest.mark.django_db

AREA = re.compile(
    r'<a href="/municipalities/(GM\d{4})/" class="scale-(\d)"(?: fill="url\(#map-none\)")?><title>([^<]*)</title><path d="([^"]+)"/></a>'
)


class Tables(HTMLParser):
    """Every ``<table id=...>``: its rows as lists of cell texts (header row included)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("id", ""), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
        elif tag == "span" and self._cell is not None and "sort-mark" in (dict(attrs).get("class") or ""):
            self._cell.append("\0")  # the sort arrow is decoration, cut below

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self._table[-1].append("".join(self._cell).split("\0")[0].strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str, name: str) -> list[list[str]]:
    return Tables(html).tables[f"{name}-table"]


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="samenleven-')
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


# --- Who sees it ------------------------------------------------------------------------------


def test_members_get_the_same_404_as_for_a_missing_page(client, login, member):
    login(member)
    assert client.get("/dashboard/").status_code == 404
    assert client.get("/dashboard/export.csv").status_code == 404
    assert client.get("/dashboard/?province=zuid-holland").status_code == 404


def test_visitors_are_asked_to_log_in(client, dutch_data):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_staff_see_the_whole_country_and_may_choose_a_province(client, login, staff):
    login(staff)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert len(AREA.findall(response.content.decode())) == 342
    response = client.get("/dashboard/?province=limburg")
    assert response.status_code == 200
    assert {code for code, *_ in AREA.findall(response.content.decode())} == set(
        Municipality.objects.filter(region__slug="limburg").values_list("code", flat=True)
    )
    assert client.get("/dashboard/?province=atlantis").status_code == 404


def test_an_ambassador_sees_only_their_provinces_detail(client, login, ambassador, flevoland_ambassador):
    login(ambassador)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    zuid_holland = set(Municipality.objects.filter(region__slug="zuid-holland").values_list("code", flat=True))
    assert {code for code, *_ in AREA.findall(html)} == zuid_holland
    assert {row[0] for row in table_rows(html, "municipalities")[1:]} == zuid_holland
    assert [row[0] for row in table_rows(html, "provinces")[1:]] == ["Zuid-Holland"]
    assert "Almere" not in html
    for path in (
        "/dashboard/?province=flevoland",
        "/dashboard/export.csv?province=flevoland",
        "/dashboard/?province=atlantis",
    ):
        assert client.get(path).status_code == 404, path
    rows = csv_rows(client.get("/dashboard/export.csv"))
    assert {row[0] for row in rows[1:]} == zuid_holland
    assert {row[2] for row in rows[1:]} == {"Zuid-Holland"}


def test_the_header_links_the_dashboard_for_staff_and_ambassadors_only(client, login, member, ambassador, staff):
    def header(person: Member) -> str:
        login(person)
        page = client.get("/latest/").content.decode()
        return page[page.index('<header class="site-header">') : page.index("</header>")]

    assert 'href="/dashboard/"' not in header(member)
    assert 'href="/dashboard/"' in header(ambassador)
    assert 'href="/dashboard/"' in header(staff)
    login(staff)
    page = client.get("/dashboard/").content.decode()
    assert 'href="/dashboard/" aria-current="page"' in page


# --- The map and the table -------------------------------------------------------------------


def test_the_map_has_342_linked_shapes_with_the_right_codes_and_a_valid_view_box(client, login, staff, seeded):
    login(staff)
    html = client.get("/dashboard/").content.decode()
    svg = html[html.index('<svg class="map"') : html.index("</svg>", html.index('<svg class="map"'))]
    areas = AREA.findall(svg)
    assert sorted(code for code, *_ in areas) == sorted(CODES)
    x0, y0, width, height = (int(n) for n in re.search(r'viewBox="(-?\d+) (-?\d+) (\d+) (\d+)"', svg).groups())
    assert 1000 < width < height
    for code, _scale, _title, d in areas:
        assert all(x0 <= x <= x0 + width and y0 <= y <= y0 + height for x, y in absolute_points(d)), code
    assert '<title id="map-title">' in svg and '<desc id="map-desc">' in svg
    assert 'aria-labelledby="map-title"' in svg and 'aria-describedby="map-desc"' in svg
    # Every shape a link, none focusable otherwise.
    assert svg.count("<path d=") == 342 and "tabindex" not in svg


def test_each_shape_shows_the_name_and_figure_and_is_coloured_by_its_class(client, login, staff, seeded):
    login(staff)
    overview = programme_overview(region_ids=None)
    for measure, word in [("members", "leden"), ("threads", "onderwerpen"), ("unanswered", "onbeantwoorde vragen")]:
        html = client.get(f"/dashboard/?measure={measure}").content.decode()
        by_code = {code: (int(scale), title) for code, scale, title, _d in AREA.findall(html)}
        for row in overview.rows:
            value = row.counts.get(measure)
            scale, title = by_code[row.code]
            assert scale == (0 if value == 0 else min(6, value.bit_length())), row.name
            assert title.startswith(f"{row.name.replace(chr(39), '&#x27;')}: {value} "), title
        assert any(title.endswith(word) for _scale, title in by_code.values()), word
    zero = next(row for row in overview.rows if row.counts.members == 0)
    html = client.get("/dashboard/").content.decode()
    assert f'<a href="/municipalities/{zero.code}/" class="scale-0" fill="url(#map-none)">' in html


def test_the_page_renders_without_javascript(client, login, staff, seeded):
    """Everything is in the HTML: the map, the legend, the table and the forms; the script
    only adds the caption beside the map."""
    login(staff)
    html = client.get("/dashboard/").content.decode()
    assert "<svg" in html and "<noscript" not in html
    assert html.count('class="swatch scale-') == 7
    assert len(table_rows(html, "municipalities")) == 343
    assert 'action="/dashboard/" aria-label=' in html and 'method="get"' in html


def test_the_table_sorts_by_a_column_through_the_address(client, login, staff, seeded):
    login(staff)
    html = client.get("/dashboard/?sort=-members").content.decode()
    rows = table_rows(html, "municipalities")
    assert rows[0][:2] == ["CBS-code", "Gemeente"]
    members = [int(row[4]) for row in rows[1:]]
    assert members == sorted(members, reverse=True)
    assert 'aria-sort="descending"><a href="?sort=members#municipalities">Leden' in html
    assert '<a href="?sort=-threads#municipalities">Onderwerpen' in html  # figures sort high to low first
    names = [
        row[1]
        for row in table_rows(client.get("/dashboard/?sort=name&province=utrecht").content.decode(), "municipalities")[
            1:
        ]
    ]
    assert names == sorted(names, key=str.lower) and len(names) == 26
    html = client.get("/dashboard/?measure=threads&province=utrecht").content.decode()
    assert '<a href="?province=utrecht&amp;measure=threads&amp;sort=-members#municipalities">' in html


def test_bad_choices_are_explained_and_the_page_still_shows(client, login, staff):
    login(staff)
    response = client.get("/dashboard/?measure=popularity&sort=shoe-size")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Kies een van de cijfers in de lijst." in html
    assert "De tabel kan niet zo gesorteerd worden" in html
    assert len(AREA.findall(html)) == 342
    response = client.get("/dashboard/export.csv?table=everything")
    assert response.status_code == 400 and "Er is geen tabel everything" in response.content.decode()


# --- Exports ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_every_export_equals_its_table(client, login, staff, seeded, name):
    login(staff)
    html = client.get("/dashboard/?sort=-threads").content.decode()
    exported = csv_rows(client.get(f"/dashboard/export.csv?table={name}&sort=-threads"))
    if name.startswith("not-on-board"):
        # On the page as a list per typology or province, largest first.
        group_kind = name.removeprefix("not-on-board-")
        overview = programme_overview(region_ids=None)
        groups = overview.by_typology if group_kind == "typologies" else overview.by_province
        assert exported[1:] == [
            [group.label, row.code, row.name, str(row.population)] for group in groups for row in group.not_on_board
        ]
        for row in exported[1:]:
            assert f'<a href="/municipalities/{row[1]}/">{row[2].replace(chr(39), "&#x27;")}</a>' in html
        assert len(exported) > 1
        return
    shown = table_rows(html, name)
    assert exported[1:] == shown[1:]
    assert len(exported[0]) == len(shown[0])


def test_the_municipality_export_has_one_row_per_municipality_with_the_promised_columns(client, login, staff, seeded):
    login(staff)
    rows = csv_rows(client.get("/dashboard/export.csv"))
    assert rows[0] == [
        "code",
        "name",
        "province",
        "typologies",
        "members",
        "active_members",
        "threads",
        "unanswered_questions",
    ]
    assert len(rows) == 343 and sorted(row[0] for row in rows[1:]) == sorted(CODES)
    the_hague = next(row for row in rows if row[0] == "GM0518")
    assert the_hague[1:3] == ["'s-Gravenhage", "Zuid-Holland"]
    assert "Expatgemeenten" in the_hague[3]
    row = programme_overview(region_ids=None).row("GM0518").counts
    assert the_hague[4:] == [str(row.members), str(row.active), str(row.threads), str(row.unanswered)]


def test_an_export_never_lets_a_spreadsheet_run_a_formula(client, login, staff):
    from community.models import Typology

    Typology.objects.filter(slug="g4").update(name_nl='=HYPERLINK("http://example.com")')
    login(staff)
    rows = csv_rows(client.get("/dashboard/export.csv?table=typologies"))
    assert [row[0] for row in rows if "HYPERLINK" in row[0]] == ['\'=HYPERLINK("http://example.com")']


# --- Weight and queries -----------------------------------------------------------------------


def test_the_page_weighs_under_150_kb_compressed(client, login, staff, seeded):
    login(staff)
    body = client.get("/dashboard/").content
    assert len(gzip.compress(body)) < 150_000, len(gzip.compress(body))


def page_queries(client, url: str) -> list[str]:
    from tests.conftest import steady_queries

    return steady_queries(client, url)


@pytest.mark.parametrize("scale", [1, 10])
def test_the_page_takes_the_same_queries_with_ten_times_more_members_and_threads(
    client, login, staff, ambassador, dutch_data, scale, django_assert_num_queries
):
    """The member (the session is in the cache), the provinces the viewer may see, then the
    figures' eight grouped queries: nothing per municipality, member, thread or month (the
    N+1 this guards). The same for an ambassador, whose figures are those of one province,
    and for the CSV export."""
    seed_large(
        "--members",
        str(60 * scale),
        "--threads",
        str(40 * scale),
        "--posts",
        str(400 * scale),
        "--big-thread-posts",
        "60",
        "--bodies",
        "60",
    )
    for person in (staff, ambassador):
        login(person)
        client.get("/dashboard/")
        with django_assert_num_queries(10):
            response = client.get("/dashboard/")
        assert response.status_code == 200
        with django_assert_num_queries(10):
            assert client.get("/dashboard/export.csv").status_code == 200
    assert Member.objects.filter(status="active").count() >= 60 * scale
