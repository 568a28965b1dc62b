"""The programme's tables, once: the page renders them and the CSV export writes them, from the
same rows, so that the export is the table (``tests/dashboard/test_pages.py`` compares them).

A table is columns (with a stable ``key``: the CSV header) and rows of cells; a cell has a
value (text or a whole number) and, on the page, maybe a link.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape  # the standard library's: Django's adds a lazy-text wrapper per call
from io import StringIO

from django.urls import reverse
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from threads.dashboard.figures import GroupRow, MonthRow, MunicipalityRow, Overview

#: The measures the map can show, as ``?measure=`` values, with their names.
MEASURE_NAMES = {
    "members": gettext_lazy("members"),
    "active": gettext_lazy("active members"),
    "threads": gettext_lazy("threads started"),
    "unanswered": gettext_lazy("unanswered questions"),
}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = False
    #: Names the row (``<th scope="row">``): the municipality, typology, province, ...
    row_header: bool = False
    #: Sort by this column with ``?sort=<key>`` (or ``-<key>``: the other way round).
    sortable: bool = False


@dataclass(frozen=True)
class Cell:
    value: str | int
    href: str | None = None


@dataclass(frozen=True)
class Header:
    column: Column
    #: A link that sorts the table by this column (or the other way round), and how the
    #: table is sorted by it now ("ascending", "descending"; None: not by this column).
    href: str | None = None
    sorted: str | None = None


@dataclass
class Table:
    name: str  # the ``?table=`` of its export
    caption: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    headers: list[Header] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.headers:
            self.headers = [Header(column) for column in self.columns]

    def add(self, cells: list[Cell]) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.name}: {len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(cells)

    def body_html(self) -> SafeString:
        """The rows as HTML (``<tr>`` ... ``</tr>``): in Python, because the template engine
        took longer over the 342 rows of eight cells than the rest of the page together."""
        opening = [
            ('<th scope="row">', "</th>")
            if column.row_header
            else ('<td class="numeric">' if column.numeric else "<td>", "</td>")
            for column in self.columns
        ]
        parts = []
        for row in self.rows:
            parts.append("<tr>")
            for (start, end), cell in zip(opening, row, strict=True):
                text = escape(cell.value) if isinstance(cell.value, str) else str(cell.value)
                if cell.href:
                    text = f'<a href="{escape(cell.href)}">{text}</a>'
                parts.append(f"{start}{text}{end}")
            parts.append("</tr>\n")
        return mark_safe("".join(parts))

    def sortable_by(self, sort: str, link: Callable[[str], str]) -> Table:
        """Headers that sort the table: a sorted column's link turns the order round; another
        column sorts text A to Z and figures from high to low first."""
        key, descending = sort.lstrip("-"), sort.startswith("-")
        headers = []
        for column in self.columns:
            if not column.sortable:
                headers.append(Header(column))
                continue
            if column.key == key:
                following = column.key if descending else f"-{column.key}"
                headers.append(Header(column, link(following), "descending" if descending else "ascending"))
            else:
                headers.append(Header(column, link(f"-{column.key}" if column.numeric else column.key)))
        self.headers = headers
        return self

    def csv(self) -> str:
        out = StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([column.key for column in self.columns])
        for row in self.rows:
            writer.writerow([_safe_for_spreadsheets(cell.value) for cell in row])
        return out.getvalue()


def _safe_for_spreadsheets(value: str | int) -> str | int:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP's
    advice on CSV injection); numbers stay numbers."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def figure_columns() -> list[Column]:
    return [
        Column("members", _("Members"), numeric=True, sortable=True),
        Column("active_members", _("Active members"), numeric=True, sortable=True),
        Column("threads", _("Threads"), numeric=True, sortable=True),
        Column("unanswered_questions", _("Unanswered questions"), numeric=True, sortable=True),
    ]


def figure_cells(counts) -> list[Cell]:
    return [Cell(counts.members), Cell(counts.active), Cell(counts.threads), Cell(counts.unanswered)]


# --- Sorting the municipalities ---------------------------------------------------------------

SORT_KEYS: dict[str, Callable[[MunicipalityRow], object]] = {
    "code": lambda row: row.code,
    "name": lambda row: row.name.lower(),
    "province": lambda row: row.province.name,
    "members": lambda row: row.counts.members,
    "active_members": lambda row: row.counts.active,
    "threads": lambda row: row.counts.threads,
    "unanswered_questions": lambda row: row.counts.unanswered,
}
SORTS = [key for name in SORT_KEYS for key in (name, f"-{name}")]
DEFAULT_SORT = "name"


def sorted_rows(rows: Iterable[MunicipalityRow], sort: str) -> list[MunicipalityRow]:
    """By the column, then by name: ``-`` in front sorts from high to low."""
    key = SORT_KEYS[sort.lstrip("-")]
    by_name = sorted(rows, key=lambda row: (row.name.lower(), row.code))
    return sorted(by_name, key=key, reverse=sort.startswith("-"))


# --- The tables ---------------------------------------------------------------------------------


def municipality_table(overview: Overview, sort: str) -> Table:
    table = Table(
        "municipalities",
        _("Per municipality"),
        [
            Column("code", _("CBS code"), sortable=True),
            Column("name", _("Municipality"), sortable=True, row_header=True),
            Column("province", _("Province"), sortable=True),
            Column("typologies", _("Typologies")),
            *figure_columns(),
        ],
    )
    for row in sorted_rows(overview.rows, sort):
        table.add(
            [
                Cell(row.code),
                Cell(row.name, row.url),
                Cell(row.province.name),
                Cell(", ".join(typology.name for typology in row.typologies)),
                *figure_cells(row.counts),
            ]
        )
    return table


def _participation_columns(first: Column) -> list[Column]:
    return [
        first,
        Column("municipalities", _("Municipalities"), numeric=True),
        Column("taking_part", _("Taking part"), numeric=True),
        Column("share_percent", _("Share (%)"), numeric=True),
        *figure_columns(),
    ]


def _participation_cells(group: GroupRow, href: str | None = None) -> list[Cell]:
    return [
        Cell(group.label, href),
        Cell(group.municipalities),
        Cell(group.taking_part),
        Cell(group.share),
        *figure_cells(group.counts),
    ]


def typology_table(overview: Overview) -> Table:
    table = Table(
        "typologies", _("Per typology"), _participation_columns(Column("typology", _("Typology"), row_header=True))
    )
    for group in overview.by_typology:
        table.add(_participation_cells(group, reverse("group", args=[group.key])))
    return table


def province_table(overview: Overview) -> Table:
    table = Table(
        "provinces", _("Per province"), _participation_columns(Column("province", _("Province"), row_header=True))
    )
    for group in overview.by_province:
        table.add(_participation_cells(group))
    return table


def position_table(overview: Overview) -> Table:
    table = Table(
        "positions", _("Per position"), [Column("position", _("Position"), row_header=True), *figure_columns()]
    )
    for group in overview.by_position:
        table.add([Cell(group.label), *figure_cells(group.counts)])
    return table


def month_table(months: list[MonthRow]) -> Table:
    table = Table(
        "months",
        _("Per month"),
        [
            Column("month", _("Month"), row_header=True),
            Column("members_approved", _("New members"), numeric=True),
            Column("municipalities_taking_part", _("Municipalities taking part (end of month)"), numeric=True),
            Column("threads_started", _("Threads started"), numeric=True),
        ],
    )
    for month in months:
        table.add(
            [Cell(month.month.strftime("%Y-%m")), Cell(month.joined), Cell(month.taking_part), Cell(month.threads)]
        )
    return table


def not_on_board_table(name: str, caption: str, first: str, groups: list[GroupRow]) -> Table:
    table = Table(
        name,
        caption,
        [
            Column(first, _("Typology") if first == "typology" else _("Province")),
            Column("code", _("CBS code")),
            Column("name", _("Municipality"), row_header=True),
            Column("population", _("Population"), numeric=True),
        ],
    )
    for group in groups:
        for row in group.not_on_board:
            table.add([Cell(group.label), Cell(row.code), Cell(row.name, row.url), Cell(row.population)])
    return table


def not_on_board_html(group: GroupRow) -> SafeString:
    """The list of a typology's or province's municipalities without a member, largest first
    (the rows of its export), in Python for the same reason as ``Table.body_html``; the
    population with the language's thousands separator."""
    separator = get_format("THOUSAND_SEPARATOR")
    items = "".join(
        f'<li><a href="{escape(row.url)}">{escape(row.name)}</a> <span class="muted">{f"{row.population:,}".replace(",", separator)}</span></li>'
        for row in group.not_on_board
    )
    return mark_safe(f'<ul class="missing__list">{items}</ul>')


def all_tables(overview: Overview, sort: str, *, only: str | None = None) -> dict[str, Table]:
    """Every table of the page by its export name (``only``: just that one, for an export)."""
    builders: dict[str, Callable[[], Table]] = {
        "municipalities": lambda: municipality_table(overview, sort),
        "typologies": lambda: typology_table(overview),
        "provinces": lambda: province_table(overview),
        "positions": lambda: position_table(overview),
        "months": lambda: month_table(overview.by_month),
        "not-on-board-typologies": lambda: not_on_board_table(
            "not-on-board-typologies", _("Not yet on board, per typology"), "typology", overview.by_typology
        ),
        "not-on-board-provinces": lambda: not_on_board_table(
            "not-on-board-provinces", _("Not yet on board, per province"), "province", overview.by_province
        ),
    }
    return {name: build() for name, build in builders.items() if only is None or name == only}


TABLE_NAMES = (
    "municipalities",
    "typologies",
    "provinces",
    "positions",
    "months",
    "not-on-board-typologies",
    "not-on-board-provinces",
)
