"""Member-written Markdown to safe HTML: the one seam every post body passes through.

Bodies are rendered once, at write time, and the HTML is stored and later marked safe, so this
module is the only thing standing between a member's keyboard and every other member's browser.
It is built as two independent walls:

1. markdown-it-py parses CommonMark with raw HTML *disabled*, so whatever HTML a member types is
   escaped and shown as text, and only this module's renderer produces markup. Links are checked
   by the same URL rule at parse time, so a rejected link never becomes a link at all.
2. bleach then re-parses that output and keeps only an explicit allowlist of elements and
   attribute values, *stripping* anything else (not escaping it into visible text). Nothing the
   renderer emits should ever be stripped; the strip is there for the day a renderer rule or a
   library upgrade emits something unexpected, so that the failure is invisible markup rather
   than an executable payload or a page full of tag soup.

Decisions worth knowing when reading the output:

- Headings are demoted by two levels (``#`` becomes ``<h3>``, ``######`` stays ``<h6>``): the
  thread page owns ``<h1>`` (the thread title) and ``<h2>`` (per-post landmarks), and a post must
  not break the page outline that screen reader users navigate by.
- Images are never embedded. ``![alt](https://...)`` becomes a link to the image whose text is the
  alt text (or the URL when there is none). Embedding would let any member make every reader's
  browser contact a third-party server (tracking pixels, IP leaks) and would fight the content
  security policy; a link keeps the information and costs nothing.
- Table alignment, which markdown-it emits as ``style``, becomes a class (``align-left``,
  ``align-center``, ``align-right``) so that no ``style`` attribute is ever allowed.
- Every link gets ``rel="nofollow ugc noopener"``, set by a filter on the sanitised token stream,
  so it holds for any ``<a>`` whatever produced it.
- ``[quote=post:ID]...[/quote]`` blocks are resolved through ``find_posts``; the attribution line
  is translated with ``gettext`` in the language active at render time (the caller decides which
  language that is, since the HTML is stored).

This module deliberately imports no Django model: callers pass bulk lookup functions in, which
keeps it testable without a database and makes the "no N+1" rule structural (each lookup is
called at most once per render).
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import bleach
from bleach.html5lib_shim import Filter
from django.utils.translation import gettext
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

__all__ = [
    "MentionTarget",
    "QuoteSource",
    "Rendered",
    "render_markdown",
    "render_title",
]


@dataclass(frozen=True)
class Rendered:
    """The result of rendering one post body.

    ``mentioned_handles`` holds only handles the member mentioned in their own words: mentions
    inside a ``[quote]`` are linked but not reported, because the quoted post already notified
    those members. ``quoted_post_ids`` holds only ids that ``find_posts`` resolved (posts the
    author may quote), so a caller can notify their authors without re-checking access.
    ``text`` leaves quoted material out for the same reason: it is someone else's text, already
    indexed with their post, and it would crowd out the author's own words in e-mail excerpts.
    """

    html: str
    text: str
    mentioned_handles: frozenset[str]
    quoted_post_ids: tuple[int, ...]


@dataclass(frozen=True)
class MentionTarget:
    handle: str
    url: str
    name: str


@dataclass(frozen=True)
class QuoteSource:
    post_id: int
    author_name: str
    url: str


FindMembers = Callable[[set[str]], dict[str, MentionTarget]]
FindPosts = Callable[[set[int]], dict[int, QuoteSource]]

#: Quotes nested deeper than this render as plain, unattributed blockquotes (their ids are not
#: looked up or reported): a reply quoting a quote is still readable, deeper chains are noise.
MAX_QUOTE_DEPTH = 2

#: markdown-it's own recursion guard (lists, blockquotes, quotes, brackets). Content nested
#: deeper is dropped, which bounds recursion and output for inputs like 10,000 ">".
MAX_NESTING = 20

_REL = "nofollow ugc noopener"
_ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
_ALIGN_CLASSES = frozenset({"align-left", "align-center", "align-right"})
_DEMOTED_HEADING = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6", "h5": "h6", "h6": "h6"}

_ALLOWED_TAGS = frozenset(
    {
        "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
        "h3", "h4", "h5", "h6", "hr", "a", "table", "thead", "tbody", "tr", "th", "td", "cite",
    }
)  # fmt: skip

# Removed before parsing: C0/C1 controls except tab and newlines, and lone surrogates (which
# cannot be encoded as UTF-8, so they would break the database write or the e-mail later).
_SOURCE_JUNK_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

# What browsers ignore inside a URL (or that could hide a scheme from a naive check).
_URL_IGNORED_RE = re.compile(r"[\x00-\x20\x7f-\xa0\s`]+")
# Refused anywhere in a normalised attribute value, not only as its scheme. A relative URL or a
# title that merely *contains* one of these is harmless to browsers, but refusing them means no
# downstream consumer (a script copying a title into an href, a mail client, a feed reader) can
# be tricked either. The price is that the rare honest URL containing e.g. "Wikidata:" is not
# linked (it stays readable as typed).
_DANGEROUS_VALUE_RE = re.compile(r"javascript:|vbscript:|data:|<script")
_CODE_CLASS_RE = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
_ALIGN_STYLE_RE = re.compile(r"text-align:\s*(left|center|right)\s*;?")

# Handles as defined for members. A word character before "@" means an e-mail address
# ("a@b.nl"); the look-behind also refuses "/", ".", "+" and "-" so that URL paths
# ("mastodon.social/@fatima") and address-like fragments stay text. ASCII classes rather than
# IGNORECASE, because Unicode case folding would let "K" (the Kelvin sign) match [a-z].
_MENTION_RE = re.compile(r"(?<![\w@./+-])@([A-Za-z0-9](?:[A-Za-z0-9_]{1,28}[A-Za-z0-9])?)(?![A-Za-z0-9_@])")

# [quote] openers are matched at the start of a line, closers at its end; several may be
# stacked ("[quote=post:1][quote=post:2]", "[/quote][/quote]"). Ids are capped at 18 digits so
# they always fit a 64-bit primary key lookup.
_QUOTE_OPEN_RE = re.compile(r"\[quote(?:=post:([0-9]{1,18}))?\][ \t]*", re.IGNORECASE)
_QUOTE_CLOSE = "[/quote]"

# Keys in markdown-it's per-render `env`.
_ENV_QUOTE_DEPTH = "samenleven_quote_depth"
_ENV_QUOTE_ENDS = "samenleven_quote_ends"
_ENV_POSTS = "samenleven_posts"

# Token meta keys set while walking the stream.
_META_MENTIONS = "samenleven_mentions"
_META_IN_LINK = "samenleven_in_link"

_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def render_markdown(
    source: str,
    *,
    find_members: FindMembers = lambda handles: {},
    find_posts: FindPosts = lambda ids: {},
) -> Rendered:
    """Render a post body to sanitised HTML plus the facts the caller needs to act on.

    Never raises for any ``str`` input; exceptions from the lookups are the caller's own and
    propagate. Each lookup is called at most once, and not at all when the body has nothing to
    look up.
    """
    md = _parser()
    env: dict[str, Any] = {}
    tokens = md.parse(_clean_source(source), env)

    found = _walk_tokens(tokens)
    members = find_members(set(found.all_handles)) if found.all_handles else {}
    wanted_posts = set(found.post_ids)
    posts = find_posts(wanted_posts) if wanted_posts else {}

    for inline in found.inlines_with_mentions:
        inline.children = _link_mentions(inline.children or [], members)

    env[_ENV_POSTS] = posts
    raw_html = md.renderer.render(tokens, md.options, env)

    return Rendered(
        html=_cleaner().clean(raw_html),
        text=_plain_text(tokens),
        mentioned_handles=frozenset(h for h in found.own_handles if h in members),
        quoted_post_ids=tuple(dict.fromkeys(i for i in found.post_ids if i in posts)),
    )


def render_title(title: str) -> str:
    """Normalise a thread title to one clean line of plain text.

    No HTML handling here on purpose: titles are escaped by the templates like any other text,
    and escaping twice would show "&amp;" to readers. Bidirectional controls are removed as
    well as control characters, because an unbalanced right-to-left override in a title would
    garble the rest of the line in every list it appears in.
    """
    kept = []
    for char in title:
        if char.isspace():
            kept.append(" ")
        elif char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
            continue
        else:
            kept.append(char)
    return " ".join("".join(kept).split())


# --- parsing ------------------------------------------------------------------------------


def _clean_source(source: str) -> str:
    return _SOURCE_JUNK_RE.sub("", source.replace("\r\n", "\n").replace("\r", "\n"))


def _is_safe_url(url: str) -> bool:
    """Allow http, https and mailto, plus site-relative ("/...") and fragment ("#...") URLs.

    Anything else, including scheme-less relative paths like "www.example.nl", is refused: a
    strict allowlist on the scheme is the only check that survives the many ways browsers
    forgive odd spellings ("java\\tscript:", entities, control characters).
    """
    normalized = _URL_IGNORED_RE.sub("", html.unescape(url)).lower()
    if not normalized or _DANGEROUS_VALUE_RE.search(normalized):
        return False
    if normalized[0] in "/#":
        return True
    scheme, colon, _ = normalized.partition(":")
    return bool(colon) and scheme in _ALLOWED_SCHEMES


def _is_safe_text_attribute(value: str) -> bool:
    normalized = _URL_IGNORED_RE.sub("", html.unescape(value)).lower()
    return not _DANGEROUS_VALUE_RE.search(normalized)


def _quote_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """Block rule for ``[quote=post:ID] ... [/quote]``, which may span lines and nest.

    The inner range is tokenised by the normal block parser (so quoted Markdown is real
    Markdown), by narrowing the first and last line to the text between the markers, the same
    trick markdown-it's own blockquote rule uses. An opener without a matching closer is not a
    quote and stays visible as text.
    """
    if state.is_code_block(start_line):
        return False
    begin = state.bMarks[start_line] + state.tShift[start_line]
    opener = _QUOTE_OPEN_RE.match(state.src, begin, state.eMarks[start_line])
    if opener is None:
        return False
    end = _find_quote_end(state, start_line, end_line)
    if end is None:
        return False
    if silent:
        return True
    close_line, close_pos = end

    depth = state.env.get(_ENV_QUOTE_DEPTH, 0) + 1
    post_id = int(opener.group(1)) if opener.group(1) and depth <= MAX_QUOTE_DEPTH else None
    token = state.push("samenleven_quote_open", "blockquote", 1)
    token.meta = {"post_id": post_id}
    token.map = [start_line, close_line + 1]

    saved_begin = state.bMarks[start_line]
    saved_shift = state.tShift[start_line]
    saved_count = state.sCount[start_line]
    saved_end = state.eMarks[close_line]
    saved_line_max = state.lineMax
    try:
        state.eMarks[close_line] = close_pos
        state.bMarks[start_line] = opener.end()
        state.tShift[start_line] = 0
        state.sCount[start_line] = state.blkIndent
        # Hard stop at the closer so a paragraph inside cannot lazily continue past it.
        state.lineMax = close_line + 1
        state.env[_ENV_QUOTE_DEPTH] = depth
        state.md.block.tokenize(state, start_line, close_line + 1)
    finally:
        state.env[_ENV_QUOTE_DEPTH] = depth - 1
        state.lineMax = saved_line_max
        state.eMarks[close_line] = saved_end
        state.bMarks[start_line] = saved_begin
        state.tShift[start_line] = saved_shift
        state.sCount[start_line] = saved_count

    state.push("samenleven_quote_close", "blockquote", -1)
    state.line = close_line + 1
    return True


def _find_quote_end(state: StateBlock, start_line: int, end_line: int) -> tuple[int, int] | None:
    """Find where the quote opened at the start of ``start_line`` closes: (line, offset) or None.

    One forward scan with a stack pairs every opener it passes, and the results are cached in
    ``env``. Without the cache, a body of thousands of unclosed openers would rescan the rest
    of the text for each of them (quadratic); with it, each line is scanned once per container
    context, and contexts are bounded by the nesting limit.
    """
    ends: dict[tuple[int, ...], tuple[int, int] | None] = state.env.setdefault(_ENV_QUOTE_ENDS, {})
    context = (end_line, state.eMarks[end_line - 1])
    key = (start_line, state.bMarks[start_line] + state.tShift[start_line], *context)
    if key in ends:
        return _verified_end(state, ends[key], end_line)

    src = state.src
    open_keys: list[tuple[int, ...]] = []
    for line in range(start_line, end_line):
        begin = state.bMarks[line] + state.tShift[line]
        line_end = state.eMarks[line]
        if begin >= line_end:
            continue
        if line > start_line and state.sCount[line] < state.blkIndent:
            break  # left the list item or blockquote this quote started in
        pos = begin
        if line == start_line or state.sCount[line] - state.blkIndent < 4:
            while (opener := _QUOTE_OPEN_RE.match(src, pos, line_end)) is not None:
                open_keys.append((line, pos, *context))
                pos = opener.end()
        for close_pos in _closers_at_line_end(src, pos, line_end):
            ends[open_keys.pop()] = (line, close_pos)
            if not open_keys:
                break
        if not open_keys:
            break
    for unclosed in open_keys:
        ends[unclosed] = None
    return _verified_end(state, ends.get(key), end_line)


def _closers_at_line_end(src: str, begin: int, end: int) -> list[int]:
    """Offsets of the ``[/quote]`` run that ends the line, innermost (leftmost) first.

    Scanned backwards by hand rather than with a ``...$`` regex, whose search would retry at
    every "[" of a long run of closers (quadratic).
    """
    found: list[int] = []
    size = len(_QUOTE_CLOSE)
    while True:
        while end > begin and src[end - 1] in " \t":
            end -= 1
        if end - begin < size or src[end - size : end].lower() != _QUOTE_CLOSE:
            break
        end -= size
        found.append(end)
    found.reverse()
    return found


def _verified_end(state: StateBlock, end: tuple[int, int] | None, end_line: int) -> tuple[int, int] | None:
    """Re-check a cached closer against the current line bounds, which nested rules narrow."""
    if end is None:
        return None
    line, pos = end
    if line >= end_line or pos + len(_QUOTE_CLOSE) > state.eMarks[line]:
        return None
    if state.src[pos : pos + len(_QUOTE_CLOSE)].lower() != _QUOTE_CLOSE:
        return None
    return end


# --- walking the token stream -------------------------------------------------------------


@dataclass
class _Found:
    """What one walk over the token stream needs looked up, and where to apply the answers."""

    all_handles: set[str]
    own_handles: set[str]
    post_ids: list[int]
    inlines_with_mentions: list[Token]


def _walk_tokens(tokens: Sequence[Token]) -> _Found:
    """One pass that rewrites what the allowlist would reject and collects what to look up.

    Rewriting here (heading levels, table alignment) rather than in bleach keeps the sanitiser
    a pure allowlist: it never has to translate anything, only keep or drop.
    """
    found = _Found(set(), set(), [], [])
    quote_depth = 0
    for token in tokens:
        kind = token.type
        if kind == "samenleven_quote_open":
            quote_depth += 1
            if token.meta.get("post_id") is not None:
                found.post_ids.append(token.meta["post_id"])
        elif kind == "samenleven_quote_close":
            quote_depth -= 1
        elif kind in ("heading_open", "heading_close"):
            token.tag = _DEMOTED_HEADING.get(token.tag, "h6")
        elif kind in ("th_open", "td_open"):
            _alignment_to_class(token)
        elif kind == "inline" and token.children:
            handles = _mark_mention_candidates(token.children)
            if handles:
                found.inlines_with_mentions.append(token)
                found.all_handles |= handles
                if quote_depth == 0:
                    found.own_handles |= handles
    return found


def _alignment_to_class(token: Token) -> None:
    style = token.attrGet("style")
    if style is None:
        return
    token.attrs.pop("style", None)
    match = _ALIGN_STYLE_RE.fullmatch(str(style).strip())
    if match:
        token.attrSet("class", f"align-{match.group(1)}")


def _mark_mention_candidates(children: list[Token]) -> set[str]:
    """Collect lowercase handles from text outside links; mark the tokens that hold them.

    Code spans are separate token types and never looked at; images keep their alt text in
    their own children, which are not walked; autolinks (including e-mail autolinks) are links.
    """
    handles: set[str] = set()
    link_depth = 0
    for child in children:
        if child.type == "link_open":
            link_depth += 1
        elif child.type == "link_close":
            link_depth = max(0, link_depth - 1)
        elif child.type == "image":
            if link_depth:
                child.meta[_META_IN_LINK] = True
        elif child.type == "text" and not link_depth and "@" in child.content:
            in_token = {m.group(1).lower() for m in _MENTION_RE.finditer(child.content)}
            if in_token:
                child.meta[_META_MENTIONS] = True
                handles |= in_token
    return handles


def _link_mentions(children: list[Token], members: dict[str, MentionTarget]) -> list[Token]:
    """Split marked text tokens into text and real link tokens for resolved handles."""
    result: list[Token] = []
    for child in children:
        if not child.meta.get(_META_MENTIONS):
            result.append(child)
            continue
        text = child.content
        last = 0
        for match in _MENTION_RE.finditer(text):
            target = members.get(match.group(1).lower())
            if target is None:
                continue
            if match.start() > last:
                result.append(Token("text", "", 0, content=text[last : match.start()]))
            result.append(Token("link_open", "a", 1, attrs={"href": target.url, "class": "mention"}))
            result.append(Token("text", "", 0, content=f"@{target.handle}"))
            result.append(Token("link_close", "a", -1))
            last = match.end()
        if last < len(text):
            result.append(Token("text", "", 0, content=text[last:]))
    return result


def _plain_text(tokens: Sequence[Token]) -> str:
    """Text from the token stream rather than from the HTML, so nothing has to be unescaped."""
    parts: list[str] = []
    quote_depth = 0
    for token in tokens:
        if token.type == "samenleven_quote_open":
            quote_depth += 1
        elif token.type == "samenleven_quote_close":
            quote_depth -= 1
        elif quote_depth:
            continue
        elif token.type == "inline":
            parts.extend(_inline_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
        parts.append(" ")  # every block boundary separates words
    return " ".join("".join(parts).split())


def _inline_text(children: Sequence[Token]) -> Iterator[str]:
    for child in children:
        if child.type in ("text", "code_inline"):
            yield child.content
        elif child.type in ("softbreak", "hardbreak"):
            yield " "
        elif child.type == "image":
            yield from _inline_text(child.children or [])


# --- rendering ----------------------------------------------------------------------------


def _escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def _render_image(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    """Render an image as a link to it (see the module docstring for why images never embed)."""
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children, options, env)
    src = str(token.attrGet("src") or "")
    if token.meta.get(_META_IN_LINK) or not _is_safe_url(src):
        return _escape(alt)  # a link inside a link is invalid HTML; keep the words
    title = token.attrGet("title")
    title_attr = f' title="{_escape(title)}"' if title else ""
    return f'<a href="{_escape(src)}"{title_attr}>{_escape(alt or src)}</a>'


def _render_quote_open(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    source: QuoteSource | None = env.get(_ENV_POSTS, {}).get(tokens[idx].meta.get("post_id"))
    if source is None:
        return "<blockquote>\n"
    url = _escape(source.url)
    author = f'<a href="{url}">{_escape(source.author_name)}</a>'
    # The translated sentence is escaped before the (already escaped) link goes in, so a
    # translation can move the name around but can never inject markup.
    header = _escape(gettext("%(name)s wrote:")).replace("%(name)s", author)
    return f'<blockquote class="quote" cite="{url}">\n<p class="quote__source">{header}</p>\n'


def _render_quote_close(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    return "</blockquote>\n"


def _build_parser() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {
            "html": False,
            "linkify": False,
            "typographer": False,
            "xhtmlOut": False,
            "maxNesting": MAX_NESTING,
        },
    )
    md.enable(["table", "strikethrough"])
    # The same rule as the sanitiser, so a refused URL never becomes a link in the first place
    # (it stays readable as the Markdown the member typed).
    md.validateLink = _is_safe_url
    md.block.ruler.before(
        "table",
        "samenleven_quote",
        _quote_block,
        {"alt": ["paragraph", "reference", "blockquote", "list"]},
    )
    md.add_render_rule("image", _render_image)
    md.add_render_rule("samenleven_quote_open", _render_quote_open)
    md.add_render_rule("samenleven_quote_close", _render_quote_close)
    return md


# --- sanitising ---------------------------------------------------------------------------


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    """Allow an attribute only on the element that needs it, and only with a value we emit."""
    if name == "href" and tag == "a" or name == "cite" and tag == "blockquote":
        return _is_safe_url(value)
    if name == "title" and tag == "a":
        return _is_safe_text_attribute(value)
    if name == "rel" and tag == "a":
        return True  # overwritten by _RelFilter anyway
    if name == "class":
        if tag == "a":
            return value == "mention"
        if tag == "blockquote":
            return value == "quote"
        if tag == "p":
            return value == "quote__source"
        if tag in ("th", "td"):
            return value in _ALIGN_CLASSES
        if tag == "code":
            return _CODE_CLASS_RE.fullmatch(value) is not None
        return False
    if name == "start" and tag == "ol":
        return re.fullmatch(r"[0-9]{1,9}", value) is not None
    return False


class _RelFilter(Filter):
    """Give every surviving link the same rel, whatever produced it."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            if token["type"] == "StartTag" and token["name"] == "a":
                token["data"][(None, "rel")] = _REL
            yield token


def _build_cleaner() -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=_ALLOWED_TAGS,
        attributes=_allow_attribute,
        protocols=_ALLOWED_SCHEMES,
        strip=True,
        strip_comments=True,
        filters=[_RelFilter],
    )


# bleach's Cleaner keeps parser state and is documented as not thread-safe; ASGI serves sync
# code from a thread pool, so each thread gets its own parser and cleaner.
_local = threading.local()


def _parser() -> MarkdownIt:
    md: MarkdownIt | None = getattr(_local, "parser", None)
    if md is None:
        md = _local.parser = _build_parser()
    return md


def _cleaner() -> bleach.Cleaner:
    cleaner: bleach.Cleaner | None = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = _build_cleaner()
    return cleaner
