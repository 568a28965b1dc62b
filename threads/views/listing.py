"""One way to show a list of threads: visible to the member, with what a row
needs in a fixed number of queries, paged by indexed ordering without COUNT."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.safestring import SafeString, mark_safe

from community.performance.fragments import render_declared
from threads.listrows import ListedThread, list_rows
from threads.models import Thread

THREADS_PER_PAGE = 30


@dataclass
class ThreadPage:
    threads: list[ListedThread]
    number: int
    has_next: bool
    #: The rows' ``threads/_thread_row.html``, one after the other.
    rows_html: SafeString

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    if not raw.isdigit() or int(raw) < 1 or int(raw) > 10_000:
        raise Http404
    return int(raw)


def thread_page(
    request: HttpRequest,
    make_threads: Callable[[], QuerySet[Thread]],
    *,
    key: Hashable = None,
    per_page: int = THREADS_PER_PAGE,
    hide_group: bool = False,
) -> ThreadPage:
    """Fetch one page (plus one row to know whether there is a next page) of the list
    ``make_threads()`` and render its rows (``rows_html``) from cached fragments.
    ``key`` names the list, so that its statement is kept (``threads.listrows.list_rows``).
    ``hide_group``: the rows leave out the group (on the group's own page)."""
    member = request.user
    number = page_number(request)
    rows = list_rows(
        lambda: make_threads().visible_to(member), member, (number - 1) * per_page, per_page + 1,
        key=None if key is None else ("thread_page", key),
    )  # fmt: skip
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    rows_html = mark_safe("\n".join(render_declared(request, [row.fragment(hide_group=hide_group) for row in rows])))
    return ThreadPage(threads=rows, number=number, has_next=has_next, rows_html=rows_html)
