"""Cached HTML fragments, addressed by what they show.

The parts of a page that repeat (a post on a thread page, a row of a thread list) are
rendered from a small template each. Rendering them is most of the work of those pages,
and most of the time the same fragment was rendered before: for another member with the
same rights, or for the same member a minute ago.

Each fragment's cache key is a digest of everything it shows: the caller passes those
values (the post's text, counts and flags, the author's name and municipality, the
viewer's rights on it ...), and the key also covers the template's source, the project's
other templates, the translation catalogues and the active language. A key therefore never needs
invalidating: when anything shown changes, the key changes, and the old entry ages out.
What differs per request, such as the CSRF token in the forms or the address to return
to, is rendered as a placeholder and put in on the way out.

Because a key names its content, each process also keeps the fragments it used last in
memory, in front of the shared cache: a page whose fragments are all there makes no
cache round trip at all.

A fragment may contain other fragments (a thread page's posts are one fragment made of a
fragment per post): while an enclosing fragment is rendered, the fragments inside it keep
their placeholders, so that the enclosing one is cached without any request's values, and
they are put in when the enclosing fragment goes out.

When the cache is unreachable the fragments are rendered as if nothing were cached: the
page gets slower, never wrong or broken.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import logging
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache as memoize
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template import Context
from django.template.loader import get_template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from community.performance import jinja
from community.performance.recent import recent

logger = logging.getLogger(__name__)

#: Seconds a fragment stays cached after it was rendered.
TIMEOUT = 60 * 60 * 24

#: Stands for the CSRF token in cached fragments. Form input cannot contain NUL (Django's
#: form fields refuse it, Markdown turns it into U+FFFD), so no member text can forge it.
CSRF_PLACEHOLDER = "\x00csrf-token\x00"


def _site_files() -> list[Path]:
    folders = [Path(folder) for engine in settings.TEMPLATES for folder in engine.get("DIRS", [])]
    templates = sorted(file for folder in folders for file in [*folder.rglob("*.html"), *folder.rglob("*.jinja")])
    catalogues = sorted(file for folder in settings.LOCALE_PATHS for file in Path(folder).glob("*/LC_MESSAGES/*.mo"))
    # Fragments hold {% static %} addresses: with hashed names, a new stylesheet is a new address.
    manifest_name = getattr(staticfiles_storage, "manifest_name", None)
    manifest = [Path(staticfiles_storage.path(manifest_name))] if manifest_name else []
    return templates + catalogues + [path for path in manifest if path.exists()]


@memoize
def _site_digest() -> str:
    """Of the project's templates (a fragment's template may include others), the
    translation catalogues and the static files' manifest: a deploy that changes any of
    them starts with fresh keys."""
    digest = hashlib.blake2b(digest_size=8)
    for path in _site_files():
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _site_stamp() -> str:
    """With DEBUG on, files change while the process runs: their sizes and times, cheaply."""
    stats = [(str(path), path.stat()) for path in _site_files()]
    return repr([(name, stat.st_mtime_ns, stat.st_size) for name, stat in stats])


_template_digests: dict[str, str] = {}


def _template_digest(template_name: str) -> str:
    """Of the template's source and the site's templates and catalogues; once per process
    unless DEBUG is on (templates are then read again on every use, and may have changed)."""
    if not settings.DEBUG and template_name in _template_digests:
        return _template_digests[template_name]
    source = _template(template_name).source
    site = _site_stamp() if settings.DEBUG else _site_digest()
    digest = hashlib.blake2b(f"{source}\x00{site}".encode(), digest_size=8).hexdigest()
    _template_digests[template_name] = digest
    return digest


def fragment_keys(template_name: str, shown: Iterable[Hashable]) -> list[str]:
    """The cache keys of fragments of ``template_name`` that show each of ``shown``."""
    prefix = f"fragment:{_template_digest(template_name)}:{get_language()}:"
    return [prefix + hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest() for values in shown]


def fragment_key(template_name: str, shown: Hashable) -> str:
    """The cache key of a fragment of ``template_name`` that shows ``shown``."""
    return fragment_keys(template_name, [shown])[0]


#: About 3 KB each: some 15 MB per process at most.
recent_fragments = recent(5000)


#: The ``fill`` of the fragment being rendered, while one is: fragments inside it leave
#: their placeholders for it to fill.
_enclosing_fill: ContextVar[Mapping[str, str] | None] = ContextVar("enclosing_fill", default=None)


def placeholder(name: str) -> str:
    """Stands for a per-request value in cached fragments. Form input cannot contain NUL,
    so no member text can forge one."""
    return f"\x00{name}\x00"


def _csrf_token(request: HttpRequest) -> str:
    """One masked token for all fragments of a request (masking one costs some 32 random
    choices; any masked form of the secret is valid)."""
    secret = request.META.get("CSRF_COOKIE")
    known = getattr(request, "_fragments_csrf_token", None)
    if known is not None and known[0] == secret and secret is not None:
        return known[1]
    token = get_token(request)
    request._fragments_csrf_token = (request.META.get("CSRF_COOKIE"), token)  # the secret after rotate_token() differs
    return token


def cached_fragments(
    request: HttpRequest,
    template_name: str,
    entries: Sequence[tuple[Hashable, Callable[[dict[str, str]], str]]],
    *,
    fill: Mapping[str, str],
) -> list[SafeString]:
    """Render one fragment per entry, from the cache where it was rendered before.

    Each entry is ``(shown, render)``: ``shown`` is every value the fragment depends on
    (its ``repr`` is hashed: a declared ``Fragment``, or the values of a ``{% fragment %}``
    block), ``render`` gets the placeholders (``csrf_token`` and the ``fill`` names) to
    render with, and returns the HTML. ``template_name`` is the template the fragments come
    from (its source is in their keys). ``fill`` names values that differ per request: the
    template sees a placeholder, and the fragment gets the value, HTML-escaped, on the way out."""
    enclosing = _enclosing_fill.get()
    if enclosing is not None and any(enclosing.get(name) != value for name, value in fill.items()):
        # Cached inside the enclosing fragment, this one is not rendered when that one is
        # found: only the enclosing fragment's values are put in then.
        raise ValueError(f"{template_name}: a fragment inside another may only fill what the enclosing one fills")
    keys = fragment_keys(template_name, [shown for shown, _render in entries])
    found = recent_fragments.get_many(keys)
    wanted = [key for key in keys if key not in found]
    if wanted:
        try:
            shared = cache.get_many(wanted)
        except Exception:
            logger.warning("Fragment cache unreachable; rendering without it", exc_info=True)
            shared = {}
        recent_fragments.set_many(shared)
        found.update(shared)
    rendered: dict[str, str] = {}
    html = []
    for key, (_shown, render) in zip(keys, entries, strict=True):
        fragment = found.get(key)
        if fragment is None:
            fragment = rendered.get(key)
        if fragment is None:
            token = _enclosing_fill.set(fill)
            try:
                fragment = rendered[key] = render(
                    {**{name: placeholder(name) for name in fill}, "csrf_token": CSRF_PLACEHOLDER}
                )
            finally:
                _enclosing_fill.reset(token)
        html.append(fragment)
    if rendered:
        recent_fragments.set_many(rendered)
        pending = _pending_writes.get()
        if pending is None:
            _store(rendered)
        else:
            pending.update(rendered)
    if enclosing is not None:
        return [mark_safe(fragment) for fragment in html]
    if any(CSRF_PLACEHOLDER in fragment for fragment in html):
        token = _csrf_token(request)
        html = [fragment.replace(CSRF_PLACEHOLDER, token) for fragment in html]
    for name, value in fill.items():
        filled = escape(value.replace("\x00", ""))  # a value cannot smuggle in a placeholder
        html = [fragment.replace(placeholder(name), filled) for fragment in html]
    return [mark_safe(fragment) for fragment in html]


def _store(rendered: dict[str, str]) -> None:
    try:
        cache.set_many(rendered, TIMEOUT)
    except Exception:
        logger.warning("Fragment cache unreachable; fragments not stored", exc_info=True)


#: The fragments rendered during the current request and not stored yet (``writes_batched``).
_pending_writes: ContextVar[dict[str, str] | None] = ContextVar("pending_fragment_writes", default=None)


@contextmanager
def writes_batched() -> Iterator[None]:
    """Store the fragments rendered inside the block in the shared cache in one round trip, at
    its end, rather than one per batch rendered (a thread page seen for the first time renders
    three or four: its heading, its posts, the page of posts). Meanwhile they are in this
    process's memory (``recent_fragments``), where the rest of the block finds them."""
    pending: dict[str, str] = {}
    token = _pending_writes.set(pending)
    try:
        yield
    finally:
        _pending_writes.reset(token)
        if pending:
            _store(pending)


class FragmentWritesMiddleware:
    """Every request's fragments stored in one round trip (``writes_batched``)."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        with writes_batched():
            return self.get_response(request)


# --- Declared fragments: one object is both the template's context and its key -------------


class FragmentLookupError(Exception):
    """A fragment's template looked up a value that is not among those it declares: its
    key would not cover it, and the cached HTML would show another request's value."""


class KeyedContext(Context):
    """The context a fragment is rendered with: only its declared values (and the per-request
    placeholders). With ``settings.FRAGMENTS_STRICT`` (on in the tests) a lookup of anything
    else raises ``FragmentLookupError`` instead of rendering as empty."""

    def __init__(self, values: dict[str, Any], *, origin: str) -> None:
        super().__init__(values, autoescape=True)
        self.origin = origin

    def __getitem__(self, key: str) -> Any:
        try:
            return super().__getitem__(key)
        except KeyError:
            if getattr(settings, "FRAGMENTS_STRICT", False):
                raise FragmentLookupError(f"{self.origin} looks up {key!r}, which it does not declare") from None
            raise

    def new(self, values: dict[str, Any] | None = None) -> Context:
        """An ``{% include ... only %}`` inside the fragment sees only what is handed to it,
        taken from the declared values: a plain context (its optional names may be missing)."""
        context = Context(values or {}, autoescape=self.autoescape, use_l10n=self.use_l10n, use_tz=self.use_tz)
        context.template, context.render_context = self.template, self.render_context
        return context


class Fragment:
    """A cached fragment, declared once: a frozen dataclass (``@dataclass(frozen=True,
    slots=True)``) whose fields are everything its template shows, as plain values (numbers,
    text, times, tuples of them, and other such dataclasses). The template sees the object
    as ``f`` and nothing else (``KeyedContext``); its ``repr``, which names every field, is
    the key. So nothing can be shown that the key does not cover."""

    __slots__ = ()
    template_name: ClassVar[str]

    def context(self) -> dict[str, Any]:
        return {"f": self}


def render_declared(
    request: HttpRequest | None, fragments: Sequence[Fragment], *, fill: Mapping[str, str] | None = None
) -> list[SafeString]:
    """The HTML of each fragment (all of one class), from the cache where it was rendered
    before (``cached_fragments``)."""
    if not fragments:
        return []
    template_name = type(fragments[0]).template_name
    template = _template(template_name)
    if getattr(settings, "FRAGMENTS_STRICT", False):
        for fragment in fragments:
            problem = plain_values_problem(fragment)
            if problem:
                raise FragmentLookupError(f"{template_name}: {problem}")

    def renderer(fragment: Fragment) -> Callable[[dict[str, str]], str]:
        return lambda placeholders: _render(template, template_name, {**fragment.context(), **placeholders})

    return cached_fragments(
        request, template_name, [(fragment, renderer(fragment)) for fragment in fragments], fill=fill or {}
    )


def render_in_process(fragment: Fragment) -> str:
    """One fragment's HTML from this process's memory, or rendered into it, never from the
    shared cache (for a socket's event loop, which must not wait on the network); the CSRF
    token is left as ``CSRF_PLACEHOLDER``."""
    template_name = type(fragment).template_name
    key = fragment_key(template_name, fragment)
    html = recent_fragments.get(key)
    if html is None:
        html = _render(_template(template_name), template_name, {**fragment.context(), "csrf_token": CSRF_PLACEHOLDER})
        recent_fragments.set(key, html)
    return html


def _template(template_name: str) -> Any:
    """The compiled template: Jinja2 for ``.jinja`` names (``jinja.py``), else Django's."""
    if jinja.is_jinja(template_name):
        return jinja.get_template(template_name)
    return get_template(template_name).template


def _render(template: Any, template_name: str, values: dict[str, Any]) -> str:
    if jinja.is_jinja(template_name):
        return str(template.render(values))
    return str(template.render(KeyedContext(values, origin=template_name)))


PLAIN_TYPES = (str, int, float, bool, type(None), datetime.datetime, datetime.date)


def plain_values_problem(value: Any, path: str = "f") -> str | None:
    """Where ``value`` holds something other than plain values (a model object, a dict, a
    queryset ...), whose attributes a template could read past the key; None if nowhere."""
    if isinstance(value, PLAIN_TYPES):
        return None
    if isinstance(value, tuple):
        for index, item in enumerate(value):
            problem = plain_values_problem(item, f"{path}[{index}]")
            if problem:
                return problem
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and type(value).__dataclass_params__.frozen:
        for item in dataclasses.fields(value):
            problem = plain_values_problem(getattr(value, item.name), f"{path}.{item.name}")
            if problem:
                return problem
        return None
    return f"{path} is a {type(value).__name__}, not a plain value"
