"""Word diffs between two versions of a text, as safe HTML.

One place for "what changed": the revisions of a handelingsperspectief show it, and the
revisions of posts can use it as well. The texts are compared word by word (with the
spaces and punctuation between them kept as tokens of their own), so a changed word is
marked as a whole and the result reads as the text itself. Everything is escaped;
the only markup added is ``<del>`` for what was removed and ``<ins>`` for what was added.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# A word (letters, digits, hyphens and apostrophes inside it), a run of white space, or
# any other single character (punctuation): concatenated, the tokens are the text again.
TOKEN = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*|\s+|.", re.DOTALL)


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text or "")


@dataclass(frozen=True)
class DiffStats:
    added: int  # words
    removed: int  # words

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def _words(parts: list[str]) -> int:
    return sum(1 for part in parts if part[:1].isalnum())


def word_diff(old: str, new: str) -> tuple[SafeString, DiffStats]:
    """``new`` as HTML with the words removed since ``old`` in ``<del>`` and the added
    ones in ``<ins>``, and how many words each."""
    before, after = tokens(old), tokens(new)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    html: list[str] = []
    added = removed = 0
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        if operation == "equal":
            html.append(escape("".join(after[j1:j2])))
            continue
        if operation in ("delete", "replace"):
            html.append(f"<del>{escape(''.join(before[i1:i2]))}</del>")
            removed += _words(before[i1:i2])
        if operation in ("insert", "replace"):
            html.append(f"<ins>{escape(''.join(after[j1:j2]))}</ins>")
            added += _words(after[j1:j2])
    return mark_safe("".join(html)), DiffStats(added=added, removed=removed)  # every part escaped above
