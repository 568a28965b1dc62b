"""The working copy of a perspective as one document: what a revision stores, and what
changed between two revisions, section by section, word by word (``threads.diffs``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from threads.diffs import DiffStats, word_diff

if TYPE_CHECKING:
    from threads.perspectives.models import Perspective

#: The sections of a perspective, in the order the page shows them.
SECTIONS: list[tuple[str, Promise]] = [
    ("title", _("Title")),
    ("summary", _("Summary")),
    ("situation", _("The situation it is for")),
    ("dilemmas", _("Dilemmas")),
    ("options", _("Options and their trade-offs")),
    ("typologies", _("Typologies")),
    ("themes", _("Themes")),
    ("examples", _("Examples")),
    ("sources", _("Sources")),
]


def citation_line(citation) -> str:
    """An example as one line of a revision (in the site's language, like the rest of the
    stored document): where, when and which post, and the editor's note.

    Not the quoted text, nor the thread's title: every editor reads the revisions, and the
    post may be in a group some of them may not read. The working copy's page shows each
    editor the quote when they may read it (``citations``)."""
    from community.models import Member

    position = Member.Position(citation.position).label if citation.position in Member.Position.values else ""
    parts = [
        citation.municipality_name or "?",
        str(position),
        f"{citation.posted_at:%Y-%m-%d}",
        gettext("post %(number)s") % {"number": citation.post_id},
    ]
    if citation.name_consent:
        parts.append(gettext("name shown in public versions"))
    line = " · ".join(part for part in parts if part)
    return line + (f" ({' '.join(citation.note.split())})" if citation.note else "")


def snapshot(perspective: Perspective) -> dict[str, Any]:
    """The whole working copy, JSON-ready (four queries: typologies, themes, examples, sources)."""
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "title": perspective.title,
            "summary": perspective.summary,
            "situation": perspective.situation,
            "dilemmas": perspective.dilemmas,
            "options": perspective.options,
            "typologies": [typology.name for typology in perspective.typologies.order_by("name_nl")],
            "themes": [theme.name for theme in perspective.themes.order_by("name")],
            "examples": [
                citation_line(c)
                for c in perspective.citations.filter(removed_at__isnull=True).order_by("created", "pk")
            ],
            "sources": [
                source.as_line()
                for source in perspective.sources.filter(removed_at__isnull=True).order_by("created", "pk")
            ],
        }


def section_text(content: dict[str, Any], name: str) -> str:
    value = content.get(name, "")
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return str(value or "")


@dataclass(frozen=True)
class SectionChange:
    name: str
    label: str
    html: SafeString
    stats: DiffStats


def compare(before: dict[str, Any] | None, after: dict[str, Any]) -> list[SectionChange]:
    """The sections that differ, each as the new text with <del>/<ins> marks."""
    changes = []
    for name, label in SECTIONS:
        old, new = section_text(before or {}, name), section_text(after, name)
        if old == new:
            continue
        html, stats = word_diff(old, new)
        changes.append(SectionChange(name=name, label=str(label), html=html, stats=stats))
    return changes


#: What search looks in. Not the examples: a quote from a closed group must not make a
#: perspective turn up for a word that only that group's members could have read.
SEARCHED = ("title", "summary", "situation", "dilemmas", "options", "typologies", "themes", "sources")


def plain_text(content: dict[str, Any]) -> str:
    """The searched sections as plain text (SQLite's search reads it)."""
    return "\n\n".join(section_text(content, name) for name in SEARCHED)
