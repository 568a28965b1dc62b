"""Jinja2 for the fragments every thread page and list renders many of.

A thread page shows twenty posts; when their fragments are not cached (members open many
threads a few times each), rendering them was most of the page's time: Django's template
language resolves every variable and runs every tag through Python objects, about 0.4 ms a
post. Jinja2 compiles a template to Python code, about a fifth of that. So the fragments
rendered by the dozen (a post, the page of posts, a list row) are Jinja2 templates
(``templates/**/*.jinja``); everything else stays in Django's language.

They are declared fragments like the others (``fragments.Fragment``): the template sees the
object as ``f`` and what its ``context()`` adds, nothing else. Jinja2's ``StrictUndefined``
makes a lookup of anything else an error where ``settings.FRAGMENTS_STRICT`` is on (the
tests, development), as ``KeyedContext`` does for Django templates.

Words: a fragment's template takes its interface text from a ``Words`` object made in
Python with ``gettext_lazy`` (``make messages`` finds them there), not from the template.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import iri_to_uri
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import get_language, override
from markupsafe import Markup

#: Stand in for the one argument of a URL when it is reversed once (a number, or a slug).
_SENTINELS = {int: 987654321, str: "sentinel-987654321"}


@cache
def _url_parts(name: str, kind: type) -> tuple[str, str]:
    sentinel = _SENTINELS[kind]
    before, _sentinel, after = reverse(name, args=[sentinel]).partition(str(sentinel))
    return before, after


def url(name: str, value: int | str) -> str:
    """``reverse(name, args=[value])`` for a URL with one number or slug, without resolving it
    each time (reversing was a tenth of a post's rendering)."""
    kind = int if isinstance(value, int) else str
    before, after = _url_parts(name, kind)
    return f"{before}{value}{after}" if kind is int else f"{before}{iri_to_uri(value)}{after}"


def format_date(value: Any, format_name: str) -> str:
    """Django's ``date`` filter: an aware time is shown in the site's time zone
    (Europe/Amsterdam), as Django's templates convert it before formatting. The formats
    this site uses are compiled once per language (``_compiled_format``); Django's own
    formatter, at about 40 microseconds a time, was a tenth of a post's rendering. Also what
    ``{% when %}`` / ``when()`` writes, in both template engines."""
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return format_local(value, format_name)


def format_local(value: Any, format_name: str, language: str | None = None) -> str:
    """``format_date`` of a time already in the site's time zone, in ``language`` (default:
    the active one)."""
    compiled = _compiled_format(language or get_language(), format_name)
    return compiled(value) if compiled is not None else date_format(value, format_name)


#: The format characters ``_compiled_format`` knows, as Django's ``dateformat`` reads them;
#: month names come from ``django.utils.dates`` in the language being compiled for.
_PARTS: dict[str, Callable[[Any, dict[str, list[str]]], str]] = {
    "j": lambda d, names: str(d.day),
    "d": lambda d, names: f"{d.day:02d}",
    "n": lambda d, names: str(d.month),
    "m": lambda d, names: f"{d.month:02d}",
    "Y": lambda d, names: str(d.year),
    "H": lambda d, names: f"{d.hour:02d}",
    "G": lambda d, names: str(d.hour),
    "i": lambda d, names: f"{d.minute:02d}",
    "b": lambda d, names: names["b"][d.month],
    "M": lambda d, names: names["M"][d.month],
    "F": lambda d, names: names["F"][d.month],
    "l": lambda d, names: names["l"][d.weekday()],
}


@cache
def _compiled_format(language: str | None, format_name: str) -> Callable[[Any], str] | None:
    """The named format (``community/formats``) of ``language`` as one function, or None
    when it uses a character ``_PARTS`` does not know (then Django formats it)."""
    from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS
    from django.utils.formats import get_format
    from django.utils.translation import override

    with override(language):
        fmt = get_format(format_name)
        names = {
            "b": [""] + [str(MONTHS_3[month]) for month in range(1, 13)],
            "M": [""] + [str(MONTHS_3[month]).title() for month in range(1, 13)],
            "F": [""] + [str(MONTHS[month]) for month in range(1, 13)],
            "l": [str(WEEKDAYS[day]) for day in range(7)],
        }
    steps: list[Callable[[Any], str]] = []
    escaped = False
    for char in fmt:
        if escaped or not char.isalpha():
            if char == "\\" and not escaped:
                escaped = True
                continue
            steps.append(lambda d, text=char: text)
            escaped = False
        elif char in _PARTS:
            steps.append(lambda d, part=_PARTS[char]: part(d, names))
        else:
            return None
    return lambda d: "".join(step(d) for step in steps)


def _iso(value: Any) -> str:
    return "" if value is None else value.isoformat()


class _Template:
    """What ``fragments`` needs of a template: its source (for the keys) and ``render``."""

    def __init__(self, template: jinja2.Template, source: str) -> None:
        self.template, self.source = template, source

    def render(self, context: dict[str, Any]) -> str:
        return self.template.render(context)


@cache
def environment(strict: bool) -> jinja2.Environment:
    folders = [str(folder) for engine in settings.TEMPLATES for folder in engine.get("DIRS", [])]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        autoescape=True,
        undefined=jinja2.StrictUndefined if strict else jinja2.Undefined,
        auto_reload=settings.DEBUG,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(date=format_date, iso=_iso, capitalize_first=capfirst)
    env.globals.update(url=url, byline=_byline(), when=_when(), theme_url=lambda slug: url("theme", slug))
    return env


def _byline() -> Callable[..., Markup]:
    from community.templatetags.site import byline

    return lambda **values: Markup(byline(**values))


def _when() -> Callable[..., Markup]:
    from community.templatetags.site import when

    return lambda value, format_name="DATETIME_FORMAT": Markup(when(value, format_name))


def get_template(name: str) -> _Template:
    env = environment(bool(getattr(settings, "FRAGMENTS_STRICT", False)))
    source, _filename, _uptodate = env.loader.get_source(env, name)  # type: ignore[union-attr]
    return _Template(env.get_template(name), source)


def is_jinja(name: str) -> bool:
    return name.endswith(".jinja")


def template_files() -> list[Path]:
    folders = [Path(folder) for engine in settings.TEMPLATES for folder in engine.get("DIRS", [])]
    return sorted(file for folder in folders for file in folder.rglob("*.jinja"))


class Words:
    """A fragment's interface text, made once with ``gettext_lazy``: ``words.useful`` is the
    text in the active language.

    A fragment's context hands its template ``words.current()``: the texts of the active
    language (``_Texts``: ``.useful``; ``.format("link_to_post", number=3)`` fills in
    ``%(number)s``; ``.count("useful_count", n)`` picks the plural of an ``ngettext_lazy``),
    each translated once per process and then read as a plain attribute (a post
    reads a dozen of them, and resolving a lazy translation, or even asking which language
    is active, each time was a tenth of its rendering). The catalogues do not change while
    a process runs."""

    def __init__(self, **texts: Any) -> None:
        self._texts = texts
        self._languages: dict[str | None, _Texts] = {}

    def current(self) -> _Texts:
        language = get_language()
        texts = self._languages.get(language)
        if texts is None:
            texts = self._languages.setdefault(language, _Texts(self._texts, language))
        return texts

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.current(), name)


class _Texts:
    """The texts of one ``Words`` in one language: translated on first use, then kept as
    attributes of this object."""

    def __init__(self, texts: dict[str, Any], language: str | None) -> None:
        self._lazy, self._language = texts, language

    def __getattr__(self, name: str) -> str:
        # Only for a text not read yet: afterwards it is an attribute of its own.
        if name.startswith("_") or name not in self._lazy:
            raise AttributeError(name)
        with override(self._language):
            text = str(self._lazy[name])
        setattr(self, name, text)
        return text

    def format(self, name: str, **values: Any) -> str:
        return getattr(self, name) % values

    def count(self, name: str, number: int) -> str:
        return self._lazy[name] % {"counter": number}  # read while this language is active
