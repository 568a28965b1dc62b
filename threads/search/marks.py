"""Highlighting: whole words, accents folded, phrases only where the whole phrase stands.

On SQLite the hits' titles and snippets are marked here (``highlight``, ``excerpt``);
on PostgreSQL ``ts_headline`` chooses the snippet and marks what matches, and
``headline`` turns its markers into ``<mark>``. ``ts_headline`` marks every word of a
phrase wherever it stands (a search for "den haag" would mark "den" in "van den
Bosch"): a word that only belongs to a phrase keeps its mark only where the whole
phrase stands. Everything else is escaped.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from threads.search.query import ParsedQuery, fold, fold_with_origins, whole_words

SNIPPET_CHARACTERS = 240


def _matches(text: str, pattern: re.Pattern[str] | None) -> list[tuple[int, int]]:
    """Where the pattern matches the folded text, as (start, end) in ``text`` itself."""
    if pattern is None or not text:
        return []
    folded, origins = fold_with_origins(text)
    return [(origins[found.start()], origins[found.end() - 1] + 1) for found in pattern.finditer(folded) if found.end()]


def highlight(text: str, pattern: re.Pattern[str] | None) -> SafeString:
    """``text`` escaped, with every whole-word match of the pattern in <mark>."""
    parts, position = [], 0
    for start, end in _matches(text, pattern):
        parts.append(escape(text[position:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # every part is escaped


def excerpt(text: str, pattern: re.Pattern[str] | None, length: int = SNIPPET_CHARACTERS) -> str:
    """About ``length`` characters of ``text`` around the first match, cut at spaces."""
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    found = _matches(text, pattern)
    start = max(0, (found[0][0] if found else 0) - length // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + length // 2 else end
    return ("… " if start else "") + text[start:end] + (" …" if end < len(text) else "")


def headline(text: str, start: str, stop: str, query: ParsedQuery) -> SafeString:
    """A ``ts_headline`` with the markers ``start``/``stop`` (random letters and digits)
    as escaped HTML with <mark>, keeping a phrase's words marked only where the whole
    phrase stands (found in the headline's text as the search without PostgreSQL finds
    it: the words in order, whole, with only spaces or punctuation between them)."""
    text = text or ""
    phrases = tuple(words for words in query.alternatives if len(words) > 1)
    if not phrases:  # every mark is a word that was searched for
        return mark_safe(escape(text).replace(start, "<mark>").replace(stop, "</mark>"))  # escaped first
    # The text without markers, and where the marked words stand in it.
    plain: list[str] = []
    marked: list[tuple[int, int]] = []
    length = position = 0
    for span in re.finditer(re.escape(start) + "(.*?)" + re.escape(stop), text, re.DOTALL):
        plain.append(text[position : span.start()])
        length += span.start() - position
        plain.append(span.group(1))
        marked.append((length, length + len(span.group(1))))
        length += len(span.group(1))
        position = span.end()
    plain.append(text[position:])
    whole = "".join(plain)
    regions = _matches(whole, whole_words(phrases))
    phrase_words = whole_words(tuple((word,) for phrase in phrases for word in phrase))
    single = tuple(words for words in query.alternatives if len(words) == 1)
    singles = whole_words(single) if single else None
    parts, position = [], 0
    for first, last in marked:
        word = fold(whole[first:last])
        keep = (
            any(begin <= first and last <= end for begin, end in regions)
            or not phrase_words.fullmatch(word)  # marked for a word searched for alone
            or (singles is not None and singles.fullmatch(word) is not None)
        )
        parts.append(escape(whole[position:first]))
        parts.append(f"<mark>{escape(whole[first:last])}</mark>" if keep else escape(whole[first:last]))
        position = last
    parts.append(escape(whole[position:]))
    return mark_safe("".join(parts))  # every part is escaped
