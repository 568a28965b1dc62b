"""One way to show a list of threads: visible to the member, with what a row
needs in a fixed number of queries, paged by indexed ordering without COUNT."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from threads.models import Thread

THREADS_PER_PAGE = 30


@dataclass
class ThreadPage:
    threads: list[Thread]
    number: int
    has_next: bool

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


def thread_page(request: HttpRequest, threads: QuerySet[Thread], *, per_page: int = THREADS_PER_PAGE) -> ThreadPage:
    """Fetch one page (plus one row to know whether there is a next page)."""
    member = request.user
    number = page_number(request)
    start = (number - 1) * per_page
    rows = list(threads.visible_to(member).with_list_data().with_read_state(member)[start : start + per_page + 1])
    for thread in rows:
        last_read = thread.last_read_number
        thread.is_new = last_read is None
        thread.unread_count = 0 if last_read is None else max(0, thread.last_post_number - last_read)
    return ThreadPage(threads=rows[:per_page], number=number, has_next=len(rows) > per_page)
