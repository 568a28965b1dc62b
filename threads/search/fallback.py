"""The search on SQLite (and any database without full-text search): every term must
occur, and no excluded term, as whole words with their plural and verb endings
(``query.word_pattern``), accents folded, in the post's text or, for the opening post,
in the thread's title. Newest first, without ranking; snippets cut and highlighted in
Python (``marks``).

The matching runs in SQL as ``samenleven_matches(pattern, text)``, a function that
``register_functions`` gives every SQLite connection: the pattern (built from what was
typed, escaped) is a parameter, the text is folded as ``query.fold`` does.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, F, Func, Max, Q, QuerySet, Value

from threads.models import Post
from threads.search.hits import Hit, page_posts
from threads.search.marks import excerpt, highlight
from threads.search.query import ParsedQuery, Term, fold

FUNCTION = "samenleven_matches"


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def matches(pattern: str | None, text: str | None) -> bool:
    """Whether the folded ``text`` holds the pattern (SQL: ``samenleven_matches``)."""
    if pattern is None or text is None:
        return False
    return _compiled(pattern).search(fold(text)) is not None


def register_functions(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: the matching function on every SQLite connection."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(FUNCTION, 2, matches, deterministic=True)


class Matches(Func):
    function = FUNCTION
    output_field = BooleanField()


def term_condition(term: Term, text: str = "text", title: str | None = "thread__title") -> Q:
    """A post holds the term: in its text, or (opening posts) in the thread's title."""
    pattern = Value(term.pattern.pattern)
    condition = Q(Matches(pattern, F(text)))
    if title is not None:
        condition |= Q(number=1) & Q(Matches(pattern, F(title)))
    return condition


def fallback_page(posts: QuerySet[Post], query: ParsedQuery, *, offset: int, limit: int) -> tuple[list[Hit], int, bool]:
    condition = Q()
    for term in query.terms:
        condition &= ~term_condition(term) if term.excluded else term_condition(term)
    # The newest matching post of each thread (ids grow with time), newest first, with
    # the number of threads from a window function, as on PostgreSQL: no second query.
    per_thread = posts.filter(condition).values("thread_id").annotate(hit=Max("id")).order_by()
    try:
        sql, params = per_thread.query.sql_with_params()
    except EmptyResultSet:  # a filter that nothing can pass
        return [], 0, False
    with connection.cursor() as cursor:  # what was typed is in the parameters only
        cursor.execute(
            f"SELECT hit, count(*) OVER () FROM ({sql}) AS per_thread ORDER BY hit DESC LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        rows = cursor.fetchall()
    if not rows:
        return [], 0, False
    ids, total = [row[0] for row in rows], rows[0][1]
    pattern = query.pattern
    hits = [
        Hit(
            post=post,
            title=highlight(post.thread.title, pattern),
            snippet=highlight(excerpt(post.text, pattern), pattern),
        )
        for post in page_posts(ids)
    ]
    return hits, total, False
