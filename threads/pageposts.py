"""The thread and the posts of one thread page, read with plain SQL.

A thread page shows its posts from one cached fragment whose key is made of everything
those posts show (``threads/views/posts.py``). To make that key, each request needs the
page's posts as plain values: their text, counts and flags, their authors, and whether
this member marked them. Read through the ORM as model objects (post, author,
municipality), twenty posts cost about ten times as much as the SQL itself; so they are
read with one hand-written query, and made into model objects only when the fragment has
to be rendered. The thread, its group and the member's read position come in one more
(``community/rows.py`` says why).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection

from community.members import member_from_values
from community.models import Group, Member, Municipality
from community.rows import Columns, from_database
from threads.models import Mark, Post, PostState, ReadState, Thread
from threads.querysets import theme_list, themes_column


def _sql(also_one: bool) -> str:
    q = connection.ops.quote_name
    post, member, municipality, mark = (q(model._meta.db_table) for model in (Post, Member, Municipality, Mark))
    # The range comes through the (thread, number) unique index; with ``also_one`` one more
    # post by id (the accepted answer, shown on page 1 wherever it is in the thread).
    where = "p.thread_id = %s AND ((p.number >= %s AND p.number <= %s) OR p.id = %s)" if also_one else (
        "p.thread_id = %s AND p.number >= %s AND p.number <= %s"
    )  # fmt: skip
    return (
        "SELECT p.id, p.number, p.html, p.created, p.edited_at, p.useful_count, p.deleted_at, p.hidden, p.hidden_reason,"
        " p.author_id, a.handle, a.name, a.position, a.deleted_at, a.municipality_id, m.name,"
        f" EXISTS (SELECT 1 FROM {mark} k WHERE k.post_id = p.id AND k.member_id = %s)"
        f" FROM {post} p LEFT JOIN {member} a ON a.id = p.author_id LEFT JOIN {municipality} m ON m.id = a.municipality_id"
        f" WHERE {where} ORDER BY p.number LIMIT %s"
    )


class PagePost(PostState):
    """One post of a thread page as plain values, with what the permission checks read
    (``pk``, ``author_id``, ``is_deleted``, ``is_visible``, ``thread`` ...)."""

    __slots__ = (
        "pk", "number", "html", "created", "edited_at", "useful_count", "deleted_at", "hidden", "hidden_reason",
        "author_id", "author_handle", "author_name", "author_position", "author_deleted_at", "municipality_id",
        "municipality_name", "is_marked", "thread",
        # Set by the view: the member's rights on the post, and whether it is new to them.
        "can", "is_unread", "can_see",
    )  # fmt: skip

    def __init__(self, row: tuple, thread: Thread) -> None:
        (
            self.pk, self.number, self.html, created, edited_at, self.useful_count, deleted_at, hidden,
            self.hidden_reason, self.author_id, self.author_handle, self.author_name, self.author_position,
            author_deleted_at, self.municipality_id, self.municipality_name, is_marked,
        ) = row  # fmt: skip
        field = Post._meta.get_field
        self.created, self.edited_at = from_database(field("created"), created), from_database(field("edited_at"), edited_at)
        self.deleted_at, self.hidden = from_database(field("deleted_at"), deleted_at), from_database(field("hidden"), hidden)
        self.author_deleted_at = from_database(Member._meta.get_field("deleted_at"), author_deleted_at)
        self.is_marked = bool(is_marked)  # EXISTS: 0 or 1 on SQLite
        self.thread = thread

    @property
    def thread_id(self) -> int:
        return self.thread.pk

    #: The positions of the times among the values (``to_wire`` writes them as text).
    _TIMES = ("created", "edited_at", "deleted_at", "author_deleted_at")

    def to_wire(self) -> list[Any]:
        """The post's values as plain JSON and msgpack types, for a live event: what
        ``from_wire`` makes a ``PagePost`` again in the receiving process."""
        values = [getattr(self, name) for name in _WIRE]
        return [value.isoformat() if isinstance(value, datetime) else value for value in values]

    @classmethod
    def from_wire(cls, values: Sequence[Any], thread: Thread, *, is_marked: bool) -> PagePost:
        post = cls.__new__(cls)
        for name, value in zip(_WIRE, values, strict=True):
            setattr(post, name, datetime.fromisoformat(value) if name in cls._TIMES and value is not None else value)
        post.is_marked, post.thread = is_marked, thread
        return post

    def shown(self) -> tuple:
        """Every value of the post and its author that a page shows."""
        return (
            self.pk, self.number, self.html, self.created, self.edited_at, self.useful_count, self.deleted_at,
            self.hidden, self.hidden_reason, self.is_marked, self.author_id, self.author_handle, self.author_name,
            self.author_position, self.author_deleted_at is not None, self.municipality_name,
        )  # fmt: skip

    def as_post(self) -> Post:
        """A ``Post`` (not saved) with its author and their municipality, for the templates."""
        post = Post(
            id=self.pk, thread_id=self.thread.pk, number=self.number, author_id=self.author_id, html=self.html,
            created=self.created, edited_at=self.edited_at, useful_count=self.useful_count,
            deleted_at=self.deleted_at, hidden=self.hidden, hidden_reason=self.hidden_reason,
        )  # fmt: skip
        post.thread = self.thread
        post.author = None if self.author_id is None else member_from_values(
            self.author_id, self.municipality_id, self.municipality_name, handle=self.author_handle,
            name=self.author_name, position=self.author_position, deleted_at=self.author_deleted_at,
        )  # fmt: skip
        post.is_marked = self.is_marked
        return post


def post_shown(post: PagePost, thread: Thread) -> tuple:
    """Everything ``threads/_post.html`` shows of a post for this member, but the page's
    ``can.reply``: the post's values, their rights on it, whether it is new to them and
    whether it is the accepted answer."""
    return (post.shown(), tuple(post.can.values()), post.is_unread, post.pk == thread.accepted_post_id)


#: The values of a post that travel in live events (all but the viewer's own mark).
_WIRE = (
    "pk", "number", "html", "created", "edited_at", "useful_count", "deleted_at", "hidden", "hidden_reason",
    "author_id", "author_handle", "author_name", "author_position", "author_deleted_at", "municipality_id",
    "municipality_name",
)  # fmt: skip


def page_posts(thread: Thread, member: Member, first: int, last: int, also: int | None = None) -> tuple[list[PagePost], PagePost | None]:
    """Posts ``first..last`` of the thread (by number) and, when ``also`` is a post id,
    that post of the thread too, wherever it is: ``(posts, also_post)``. One query."""
    count = max(0, last - first + 1)
    params: list = [member.pk, thread.pk, first, last]
    if also is not None:
        params.append(also)
    params.append(count + (1 if also is not None else 0))
    with connection.cursor() as cursor:
        cursor.execute(_sql(also is not None), params)
        rows = [PagePost(row, thread) for row in cursor.fetchall()]
    found = next((post for post in rows if post.pk == also), None) if also is not None else None
    return [post for post in rows if first <= post.number <= last], found


@cache
def _thread_columns() -> tuple[Columns, Columns]:
    return Columns(Thread, "t"), Columns(Group, "g")


def page_thread(member: Member, pk: int) -> Thread | None:
    """The thread with its group, ``last_read_number`` (the member's read position, None
    if never opened) and ``theme_list``, in one query; None if there is no such thread."""
    thread_columns, group_columns = _thread_columns()
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {thread_columns.sql}, {group_columns.sql},"
            f" (SELECT r.last_read_number FROM {q(ReadState._meta.db_table)} r WHERE r.thread_id = t.id AND r.member_id = %s),"
            f" {themes_column('t.id')}"
            f" FROM {thread_columns.table} JOIN {group_columns.table} ON g.id = t.group_id WHERE t.id = %s",
            [member.pk, pk],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(thread_columns)
    thread = thread_columns.make(row[:split])
    thread.group = group_columns.make(row[split:-2])
    thread.last_read_number, thread.theme_list = row[-2], theme_list(row[-1])
    return thread
