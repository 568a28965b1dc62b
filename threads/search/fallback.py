"""The search on SQLite (and any database without full-text search): every term must
occur, case-insensitively (LIKE), in the post's text or, for the opening post, in the
thread's title. Newest first, without ranking; snippets cut and highlighted in Python."""

from __future__ import annotations

import re

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Max, Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from threads.models import Post
from threads.search.hits import Hit, page_posts
from threads.search.query import ParsedQuery, Words, singular

SNIPPET_CHARACTERS = 240


def _needle(words: Words) -> str:
    """What LIKE looks for: the phrase as typed, a single word in its singular form
    (arbeidsmigranten -> arbeidsmigrant, which also finds the plural)."""
    return singular(words[0]) if len(words) == 1 else " ".join(words)


def fallback_page(posts: QuerySet[Post], query: ParsedQuery, *, offset: int, limit: int) -> tuple[list[Hit], int, bool]:
    condition = Q()
    for term in query.terms:
        either = Q()
        for words in term.alternatives:
            needle = _needle(words)
            either |= Q(text__icontains=needle) | Q(number=1, thread__title__icontains=needle)
        condition &= either
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
    needles = [_needle(words) for words in query.alternatives]
    hits = [
        Hit(
            post=post,
            title=highlight(post.thread.title, needles),
            snippet=highlight(excerpt(post.text, needles), needles),
        )
        for post in page_posts(ids)
    ]
    return hits, total, False


def _pattern(needles: list[str]) -> re.Pattern[str] | None:
    needles = sorted({needle for needle in needles if needle}, key=len, reverse=True)
    if not needles:
        return None
    # The whole word that contains the match (student -> studenten).
    return re.compile(r"[^\W_]*(?:" + "|".join(re.escape(needle) for needle in needles) + r")[^\W_]*", re.IGNORECASE)


def excerpt(text: str, needles: list[str], length: int = SNIPPET_CHARACTERS) -> str:
    """About ``length`` characters of ``text`` around the first match, cut at spaces."""
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    pattern = _pattern(needles)
    found = pattern.search(text) if pattern else None
    start = max(0, (found.start() if found else 0) - length // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + length // 2 else end
    return ("… " if start else "") + text[start:end] + (" …" if end < len(text) else "")


def highlight(text: str, needles: list[str]) -> SafeString:
    """``text`` escaped, with every word that contains a needle in <mark>."""
    pattern = _pattern(needles)
    if pattern is None:
        return escape(text)
    parts, position = [], 0
    for found in pattern.finditer(text):
        parts.append(escape(text[position : found.start()]))
        parts.append(f"<mark>{escape(found.group())}</mark>")
        position = found.end()
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # every part is escaped
