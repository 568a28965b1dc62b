"""The rows of a thread list, read with plain SQL.

Which threads a list shows, and in what order, stays with the QuerySets
(``threads/querysets.py``: visibility, unread, per group, top ...); they are compiled into
a query of thread ids. What a row shows of those threads (the thread's columns, its group,
its author and their municipality, the member's read position, its themes) is read by
one hand-written query by those ids: a page of 30 rows as model objects costs about three
times as much CPU as the whole list query takes with plain rows. Model objects are made
only when a row's fragment has to be rendered (``ListRow.as_thread``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from community.members import member_from_values
from community.models import Group, Member, Municipality
from community.recent import recent
from community.rows import among, from_database
from threads.models import ReadState, Thread
from threads.querysets import theme_list, themes_column


class ListRow:
    """One thread of a list as plain values (``pk``, ``title`` ... as on ``Thread``)."""

    __slots__ = (
        "pk", "title", "slug", "kind", "pinned", "locked", "hidden", "accepted_post_id", "reply_count",
        "last_post_number", "last_activity_at", "group_id", "group_name", "group_slug", "author_id", "author_name",
        "author_deleted_at", "municipality_id", "municipality_name", "last_read_number", "theme_list",
        # What is new to the member.
        "is_new", "unread_count",
    )  # fmt: skip

    def __init__(self, row: tuple) -> None:
        (
            self.pk, self.title, self.slug, self.kind, pinned, locked, hidden, self.accepted_post_id,
            self.reply_count, self.last_post_number, last_activity_at, self.group_id, self.group_name,
            self.group_slug, self.author_id, self.author_name, author_deleted_at, self.municipality_id,
            self.municipality_name, self.last_read_number, themes,
        ) = row  # fmt: skip
        field = Thread._meta.get_field
        self.pinned, self.locked = from_database(field("pinned"), pinned), from_database(field("locked"), locked)
        self.hidden, self.last_activity_at = from_database(field("hidden"), hidden), from_database(field("last_activity_at"), last_activity_at)
        self.author_deleted_at = from_database(Member._meta.get_field("deleted_at"), author_deleted_at)
        self.theme_list = theme_list(themes)
        # New: never opened; else the posts since the member's read position.
        self.is_new = self.last_read_number is None
        self.unread_count = 0 if self.is_new else max(0, self.last_post_number - self.last_read_number)

    def get_absolute_url(self) -> str:
        return Thread(id=self.pk, slug=self.slug).get_absolute_url()

    def as_thread(self) -> Thread:
        """A ``Thread`` (not saved) with its group, author and municipality, for the templates."""
        thread = Thread(
            id=self.pk, title=self.title, slug=self.slug, kind=self.kind, pinned=self.pinned, locked=self.locked,
            hidden=self.hidden, accepted_post_id=self.accepted_post_id, reply_count=self.reply_count,
            last_post_number=self.last_post_number, last_activity_at=self.last_activity_at, group_id=self.group_id,
            author_id=self.author_id,
        )  # fmt: skip
        thread.group = Group(id=self.group_id, name=self.group_name, slug=self.group_slug)
        thread.author = None if self.author_id is None else member_from_values(
            self.author_id, self.municipality_id, self.municipality_name, name=self.author_name,
            deleted_at=self.author_deleted_at,
        )  # fmt: skip
        for name in ("theme_list", "is_new", "unread_count", "last_read_number"):
            setattr(thread, name, getattr(self, name))
        return thread


#: Compiled list statements by the list, the member's version of their roles and the
#: window (see ``list_rows``).
_statements = recent(5000)


def list_rows(
    make_threads: Callable[[], QuerySet[Thread]], member: Member, start: int, count: int, *, key: Hashable = None
) -> list[ListRow]:
    """Rows ``start .. start + count - 1`` of the list ``make_threads()``, in its order. Two
    queries: the list's thread ids, then what the rows show of them.

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
        rows = {row[0]: ListRow(row) for row in cursor.fetchall()}
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
        "SELECT t.id, t.title, t.slug, t.kind, t.pinned, t.locked, t.hidden, t.accepted_post_id, t.reply_count,"
        " t.last_post_number, t.last_activity_at, t.group_id, g.name, g.slug, t.author_id, a.name, a.deleted_at,"
        " a.municipality_id, m.name,"
        f" (SELECT r.last_read_number FROM {read} r WHERE r.thread_id = t.id AND r.member_id = %s), {themes_column('t.id')}"
        f" FROM {thread} t JOIN {group} g ON g.id = t.group_id LEFT JOIN {member_table} a ON a.id = t.author_id"
        f" LEFT JOIN {municipality} m ON m.id = a.municipality_id WHERE {picked}"
    )
    return sql, [member.pk, *picked_params]
