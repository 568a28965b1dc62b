"""The rows of a thread list, read with plain SQL.

Which threads a list shows, and in what order, stays with the QuerySets
(``threads/querysets.py``: visibility, unread, per group, top ...); they are compiled into
a query of thread ids. What a row shows of those threads (the thread's columns, its group,
its author and their municipality, the member's read position, its themes) is read by
one hand-written query by those ids: a page of 30 rows as model objects costs about three
times as much CPU as the whole list query takes with plain rows. Model objects are made
only as a frozen ``ListRow`` of plain values, whose columns are listed once (``list_row``),
and shown through ``ThreadRowFragment``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from community.models import Group, Member, Municipality
from community.performance.fragments import Fragment
from community.performance.jinja import Words
from community.performance.recent import recent
from community.performance.rows import Column, RowSpec, among
from threads.models import ReadState, Thread
from threads.querysets import theme_list, themes_column


@cache
def list_row() -> RowSpec:
    """What a list row reads of a thread, its group and author: the one list the SQL, the
    values and their conversion are made from. The member's read position and the themes
    follow in two more columns (``list_rows``)."""
    return RowSpec(
        Column("pk", "t.id"), Column("title", "t.title"), Column("slug", "t.slug"), Column("kind", "t.kind"),
        Column("pinned", "t.pinned", Thread), Column("locked", "t.locked", Thread), Column("hidden", "t.hidden", Thread),
        Column("accepted_post_id", "t.accepted_post_id"), Column("reply_count", "t.reply_count"),
        Column("last_post_number", "t.last_post_number"), Column("last_activity_at", "t.last_activity_at", Thread),
        Column("group_id", "t.group_id"), Column("group_name", "g.name"), Column("group_slug", "g.slug"),
        Column("author_id", "t.author_id"), Column("author_name", "a.name"),
        Column("author_deleted_at", "a.deleted_at", Member, "deleted_at"), Column("municipality_id", "a.municipality_id"),
        Column("municipality_name", "m.name"),
    )  # fmt: skip


class _RowShown:
    """What the values of a list row mean, for the row's template."""

    __slots__ = ()

    @property
    def url(self) -> str:
        return Thread(id=self.pk, slug=self.slug).get_absolute_url()

    @property
    def group_url(self) -> str:
        return reverse("group", args=[self.group_slug])

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, self.kind))

    @property
    def is_former_member(self) -> bool:
        return self.author_id is None or self.author_deleted_at is not None


KINDS = dict(Thread.Kind.choices)

#: A thread as one row of a list shows it to a member (plain values, frozen), with its themes.
ListRow = list_row().dataclass("ListRow", bases=(_RowShown,), namespace={"__module__": __name__})


#: The words of ``threads/_thread_row.jinja``.
ROW_WORDS = Words(
    solved=_("solved"), pinned=_("pinned"), closed=_("closed"), hidden=_("hidden"), replies=_("Replies"),
    last_activity=_("Last activity"), unread=_("Unread"), new=_("new"),
    unread_count=ngettext_lazy("%(counter)s unread", "%(counter)s unread", "counter"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ThreadRowFragment(Fragment):
    """``threads/_thread_row.jinja``: one thread of a list."""

    template_name: ClassVar[str] = "threads/_thread_row.jinja"

    row: Any  # ListRow
    themes: tuple[tuple[str, str], ...]
    hide_group: bool
    #: What is new to the member: never opened, or the posts since their read position (not
    #: the position itself, so that members who are as far behind share the fragment).
    is_new: bool
    unread_count: int

    def context(self) -> dict[str, Any]:
        return {"f": self, "words": ROW_WORDS.current()}


@dataclass(frozen=True, slots=True)
class ListedThread:
    """A row of a list: the thread's values, its themes and the member's read position."""

    row: Any  # ListRow
    themes: tuple[tuple[str, str], ...]
    last_read_number: int | None

    @property
    def pk(self) -> int:
        return self.row.pk

    def fragment(self, *, hide_group: bool) -> ThreadRowFragment:
        is_new = self.last_read_number is None
        unread = 0 if is_new else max(0, self.row.last_post_number - self.last_read_number)
        return ThreadRowFragment(
            row=self.row, themes=self.themes, hide_group=hide_group, is_new=is_new, unread_count=unread
        )


#: Compiled list statements by the list, the member's version of their roles and the
#: window (see ``list_rows``).
_statements = recent(5000)


def list_rows(
    make_threads: Callable[[], QuerySet[Thread]], member: Member, start: int, count: int, *, key: Hashable = None
) -> list[ListedThread]:
    """Rows ``start .. start + count - 1`` of the list ``make_threads()``, in its order. Two queries: the list's thread ids, then what the rows show of them.

    Two plain statements rather than one with the ids as a subquery: PostgreSQL planned the
    combined statement anew on every request (its generic plan looked dearer than the custom
    ones), and planning it took longer than running it; the rows statement now has one
    text and one plan whatever the list.

    With a ``key``, the ids statement is made once per list, member and version of their
    roles, and kept in memory: building and compiling the QuerySet costs more CPU than the
    database spends on it. ``key`` must name everything the QuerySet depends on besides the
    member's roles, id, staff flag, standing and municipality (the list, and its group or
    theme ...); lists that depend on the time (such as "top of this week") have none.
    """
    memo_key = None
    if key is not None:
        memo_key = (
            key, member.pk, member.cache_version, member.is_staff, member.is_participant, member.municipality_id,
            start, count, connection.vendor,
        )  # fmt: skip
    statement = None if memo_key is None else _statements.get(memo_key)
    if statement is None:
        statement = _ids_statement(make_threads(), start, count)
        if memo_key is not None:
            _statements.set(memo_key, statement)
    sql, params = statement
    if sql is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [pk for (pk,) in cursor.fetchall()]
        if not ids:
            return []
        cursor.execute(*_rows_statement(ids, member))
        rows = {row[0]: ListedThread(ListRow.make(row), theme_list(row[-1]), row[-2]) for row in cursor.fetchall()}
    return [rows[pk] for pk in ids if pk in rows]


def _ids_statement(threads: QuerySet[Thread], start: int, count: int) -> tuple[str | None, tuple]:
    """The SQL and parameters of the list's thread ids, in its order; ``(None, ())`` when
    the list is empty for certain."""
    if not threads.query.order_by:
        raise ValueError("a thread list needs an ordering")
    try:
        sql, params = threads.values_list("pk", flat=True)[start : start + count].query.sql_with_params()
    except EmptyResultSet:
        return None, ()
    return sql, tuple(params)


def _rows_statement(ids: list[int], member: Member) -> tuple[str, list]:
    q = connection.ops.quote_name
    thread, group, member_table, municipality, read = (
        q(model._meta.db_table) for model in (Thread, Group, Member, Municipality, ReadState)
    )
    picked, picked_params = among("t.id", ids)
    sql = (
        f"SELECT {list_row().select},"
        f" (SELECT r.last_read_number FROM {read} r WHERE r.thread_id = t.id AND r.member_id = %s), {themes_column('t.id')}"
        f" FROM {thread} t JOIN {group} g ON g.id = t.group_id LEFT JOIN {member_table} a ON a.id = t.author_id"
        f" LEFT JOIN {municipality} m ON m.id = a.municipality_id WHERE {picked}"
    )
    return sql, [member.pk, *picked_params]
