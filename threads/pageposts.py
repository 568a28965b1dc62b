"""The thread and the posts of one thread page, read with plain SQL.

A thread page shows its posts from one cached fragment (``ThreadPostsFragment``, made of a
``PostFragment`` per post) whose fields are everything those posts show: the key and the
template's context in one. To make them, each request needs the page's posts as plain
values: their text, counts and flags, their authors, and whether this member marked them.
Read through the ORM as model objects (post, author, municipality), twenty posts cost about
ten times as much as the SQL itself; so they are read with one hand-written query whose
columns are listed once (``post_row``). The thread, its group and the member's read position come in one more
(``community/performance/rows.py`` says why).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, ClassVar

from django.db import connection
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from markupsafe import Markup

from community.models import Group, Member, Municipality
from community.performance.fragments import Fragment, placeholder, render_declared
from community.performance.jinja import Words, url
from community.performance.rows import Column, Columns, RowSpec
from threads.models import POSTS_PER_PAGE, Mark, Post, PostState, ReadState, Thread, post_url
from threads.querysets import theme_list, themes_column


@cache
def post_row() -> RowSpec:
    """What a thread page reads of each post and its author: the one list the SQL, the
    values and their conversion are made from."""
    return RowSpec(
        Column("pk", "p.id"), Column("number", "p.number"), Column("html", "p.html"),
        Column("created", "p.created", Post), Column("edited_at", "p.edited_at", Post), Column("useful_count", "p.useful_count"),
        Column("deleted_at", "p.deleted_at", Post), Column("hidden", "p.hidden", Post), Column("hidden_reason", "p.hidden_reason"),
        Column("author_id", "p.author_id"), Column("author_handle", "a.handle"), Column("author_name", "a.name"),
        Column("author_position", "a.position"), Column("author_deleted_at", "a.deleted_at", Member, "deleted_at"),
        Column("municipality_id", "a.municipality_id"), Column("municipality_name", "m.name"),
    )  # fmt: skip


class _PostShown(PostState):
    """What the values of a post mean, for the permission checks and the template."""

    __slots__ = ()

    @property
    def is_former_member(self) -> bool:
        return self.author_id is None or self.author_deleted_at is not None

    @property
    def author_url(self) -> str:
        return "" if self.is_former_member else url("member", self.author_handle)

    @property
    def position_label(self) -> str:
        return str(POSITIONS.get(self.author_position, ""))


POSITIONS = dict(Member.Position.choices)

#: A post and its author as a thread page shows them (plain values, frozen).
PostValues = post_row().dataclass("PostValues", bases=(_PostShown,), namespace={"__module__": __name__})


def _sql(also_one: bool) -> str:
    q = connection.ops.quote_name
    post, member, municipality, mark = (q(model._meta.db_table) for model in (Post, Member, Municipality, Mark))
    # The range comes through the (thread, number) unique index; with ``also_one`` one more
    # post by id (the accepted answer, shown on page 1 wherever it is in the thread).
    where = "p.thread_id = %s AND ((p.number >= %s AND p.number <= %s) OR p.id = %s)" if also_one else (
        "p.thread_id = %s AND p.number >= %s AND p.number <= %s"
    )  # fmt: skip
    return (
        f"SELECT {post_row().select}, EXISTS (SELECT 1 FROM {mark} k WHERE k.post_id = p.id AND k.member_id = %s)"
        f" FROM {post} p LEFT JOIN {member} a ON a.id = p.author_id LEFT JOIN {municipality} m ON m.id = a.municipality_id"
        f" WHERE {where} ORDER BY p.number LIMIT %s"
    )


class PagePost:
    """One post of a thread page: its values, whether this member marked it, the thread,
    and what the view works out for the member (their rights, whether it is new to them).
    Reads the values' fields as its own (``pk``, ``author_id``, ``is_visible`` ...), which is
    what the permission checks read."""

    __slots__ = ("values", "is_marked", "thread", "can", "is_unread", "can_see")

    def __init__(self, values: Any, thread: Thread, *, is_marked: bool) -> None:
        self.values, self.thread, self.is_marked = values, thread, is_marked

    def __getattr__(self, name: str) -> Any:
        return getattr(self.values, name)

    @property
    def thread_id(self) -> int:
        return self.thread.pk

    def to_wire(self) -> list[Any]:
        """The post's values as plain JSON and msgpack types, for a live event: what
        ``from_wire`` makes a ``PagePost`` again in the receiving process."""
        return [
            value.isoformat() if isinstance(value, datetime) else value for value in dataclasses.astuple(self.values)
        ]

    @classmethod
    def from_wire(cls, values: Sequence[Any], thread: Thread, *, is_marked: bool) -> PagePost:
        times = {"created", "edited_at", "deleted_at", "author_deleted_at"}
        converted = [
            datetime.fromisoformat(value) if name in times and value is not None else value
            for name, value in zip(post_row().names, values, strict=True)
        ]
        return cls(PostValues(*converted), thread, is_marked=is_marked)

    def fragment(self, *, can_reply: bool) -> PostFragment:
        """The post as ``threads/_post.jinja`` shows it to this member."""
        return PostFragment(
            post=self.values, is_marked=self.is_marked, can=PostRights(**self.can), is_unread=self.is_unread,
            is_accepted=self.pk == self.thread.accepted_post_id, thread_id=self.thread.pk, can_reply=can_reply,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class PostRights:
    """What the member may do with a post (``threads.permissions.post_rights``)."""

    see: bool
    edit: bool
    delete: bool
    mark: bool
    accept: bool
    quote: bool
    flag: bool
    hide: bool
    unhide: bool


#: The words of ``threads/_post.jinja``.
POST_WORDS = Words(
    link_to_post=_("Link to post %(number)s"), edited=_("edited"), deleted=_("This post has been deleted."),
    hidden=_("Hidden by a moderator."), useful=_("Useful"),
    useful_count=ngettext_lazy("%(counter)s × useful", "%(counter)s × useful", "counter"), quote=_("Quote"),
    accept=_("Accept as answer"), edit=_("Edit"), delete=_("Delete"), flag=_("Flag"),
    flag_label=_("Flag post %(number)s for the moderators"), hide=_("Hide"), show_again=_("Show again"),
    new=_("new"), new_since=_(": written since your last visit"), reply_to=_("Reply to this post"),
    reply_to_label=_("Reply to post %(number)s"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PostFragment(Fragment):
    """``threads/_post.jinja``: one post as a member sees it, on the page and live."""

    template_name: ClassVar[str] = "threads/_post.jinja"

    post: Any  # PostValues
    is_marked: bool
    can: PostRights
    is_unread: bool
    is_accepted: bool
    thread_id: int
    can_reply: bool

    def context(self) -> dict[str, Any]:
        return {"f": self, "words": POST_WORDS.current()}


@dataclass(frozen=True, slots=True)
class AcceptedFragment:
    """The accepted answer under the opening post (part of ``ThreadPostsFragment``)."""

    post: Any  # PostValues
    can_see: bool
    thread_id: int

    @property
    def url(self) -> str:
        return post_url(self.thread_id, self.post.number)


#: The words of ``threads/_thread_posts.jinja``.
THREAD_POSTS_WORDS = Words(
    posts=_("Posts"), accepted=_("Accepted answer"), go_to_answer=_("Go to the answer in the thread"),
    not_the_answer=_("This is not the answer after all"), closed=_("This thread is closed; it takes no new replies."),
    pages=_("Pages of this thread"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ThreadPostsFragment(Fragment):
    """``threads/_thread_posts.jinja``: the posts of one page of a thread, the accepted
    answer, the page links and the reply form, for members with the same rights."""

    template_name: ClassVar[str] = "threads/_thread_posts.jinja"

    thread_id: int
    locked: bool
    page: int
    page_count: int
    page_links: tuple[int | None, ...]
    can_reply: bool
    can_unaccept: bool
    posts: tuple[PostFragment, ...]
    accepted: AcceptedFragment | None

    @property
    def has_next_page(self) -> bool:
        return self.page < self.page_count

    def context(self) -> dict[str, Any]:
        # The posts inside, each a fragment of its own (rendered in one batch; they keep
        # their placeholders until the page's are put in), and the reply form.
        posts = render_declared(None, self.posts)
        reply = ReplyFragment.for_thread(self.thread_id) if self.can_reply else ""
        pager = ""
        if self.page_count > 1:
            pager = render_to_string(
                "_pager.html",
                {"number": self.page, "has_next": self.has_next_page, "links": self.page_links, "label": THREAD_POSTS_WORDS.pages},
            )  # fmt: skip
        return {
            "f": self, "rows": tuple(zip(self.posts, posts, strict=True)), "reply_html": Markup(reply),
            "pager_html": Markup(pager), "per_page": POSTS_PER_PAGE, "words": THREAD_POSTS_WORDS.current(),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReplyFragment(Fragment):
    """``threads/_reply.html``: the empty reply form, the same for every member who may reply
    and for every thread: one fragment per language, rendered once per process. Which thread
    it answers is put in by ``for_thread`` (the form's address and the draft's thread), inside
    the enclosing page of posts, which is cached per thread anyway; rendering a form's fields
    through Django's form templates was the dearest part of a thread page seen for the first
    time."""

    template_name: ClassVar[str] = "threads/_reply.html"

    #: Stand for the thread in the shared form (``for_thread`` puts it in).
    ACTION: ClassVar[str] = placeholder("reply-action")
    THREAD: ClassVar[str] = placeholder("reply-thread")

    def context(self) -> dict[str, Any]:
        from threads.forms import ReplyForm

        # An empty form, the same for everyone; its key is new on every page (filled in on
        # the way out: ``REQUEST_KEY``).
        return {
            "f": self, "action": self.ACTION, "thread": self.THREAD,
            "reply_form": ReplyForm(initial={"request_key": placeholder(REQUEST_KEY)}),
        }  # fmt: skip

    @classmethod
    def for_thread(cls, thread_id: int) -> str:
        """The form's HTML, answering thread ``thread_id`` (its request key still a placeholder)."""
        [html] = render_declared(None, [cls()])
        return html.replace(cls.ACTION, escape(url("reply", thread_id))).replace(cls.THREAD, str(thread_id))


#: The name of the reply form's key (``threads.forms.RequestKeyField``) among the values a
#: thread page fills into its cached fragments.
REQUEST_KEY = "request_key"


def page_posts(
    thread: Thread, member: Member, first: int, last: int, also: int | None = None
) -> tuple[list[PagePost], PagePost | None]:
    """Posts ``first..last`` of the thread (by number) and, when ``also`` is a post id,
    that post of the thread too, wherever it is: ``(posts, also_post)``. One query."""
    count = max(0, last - first + 1)
    params: list = [member.pk, thread.pk, first, last]
    if also is not None:
        params.append(also)
    params.append(count + (1 if also is not None else 0))
    with connection.cursor() as cursor:
        cursor.execute(_sql(also is not None), params)
        rows = [
            PagePost(PostValues.make(row), thread, is_marked=bool(row[-1])) for row in cursor.fetchall()
        ]  # EXISTS: 0/1 on SQLite
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
