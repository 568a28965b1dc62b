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
LETTER = re.compile(r"[^\W_]")


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
    phrase stands."""
    text = text or ""
    if not any(len(words) > 1 for words in query.alternatives):  # every mark is a searched word
        return mark_safe(escape(text).replace(start, "<mark>").replace(stop, "</mark>"))  # escaped first
    spans = list(re.finditer(re.escape(start) + "(.*?)" + re.escape(stop), text, re.DOTALL))
    keep = [True] * len(spans)
    phrases = tuple(words for words in query.alternatives if len(words) > 1)
    if phrases and spans:
        keep = [False] * len(spans)
        runs: list[list[int]] = []
        for index, span in enumerate(spans):
            joined = runs and not LETTER.search(text, spans[runs[-1][-1]].end(), span.start())
            if joined:
                runs[-1].append(index)
            else:
                runs.append([index])
        for run in runs:
            words = [fold(spans[index].group(1)) for index in run]
            for phrase in phrases:
                whole = whole_words((phrase,))
                for first in range(len(run) - len(phrase) + 1):
                    if whole.fullmatch(" ".join(words[first : first + len(phrase)])):
                        for index in run[first : first + len(phrase)]:
                            keep[index] = True
        phrase_words = whole_words(tuple((word,) for phrase in phrases for word in phrase))
        single = tuple(words for words in query.alternatives if len(words) == 1)
        singles = whole_words(single) if single else None
        for index, span in enumerate(spans):
            word = fold(span.group(1))
            if not keep[index] and (not phrase_words.fullmatch(word) or (singles and singles.fullmatch(word))):
                keep[index] = True  # marked for a single word that was searched for
    parts, position = [], 0
    for index, span in enumerate(spans):
        parts.append(escape(text[position : span.start()]))
        marked = escape(span.group(1))
        parts.append(f"<mark>{marked}</mark>" if keep[index] else marked)
        position = span.end()
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # every part is escaped
