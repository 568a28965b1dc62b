"""Blocks that apps above ``threads`` add to the pages ``threads`` serves.

Dependencies run one way (STYLE.md): ``community <- threads <- threads.perspectives <-
notifications``. The home, group, municipality, search and thread pages are served here, yet an
app above (handelingsperspectieven, the programme's map) has something to show on them.
Rather than ``threads`` importing those apps, each registers a block in its
``AppConfig.ready()``; the page renders whatever is registered, in order.

A block is a function ``(request, **context) -> str | None``: the HTML to show (rendered
by the app's own template, so already safe) or None to show nothing. It does its own
permission checks and counts its own queries (its tests assert them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

#: The pages that take blocks, and the context each one passes to its blocks.
PAGES = {
    "home": "member",
    "group": "group",
    "municipality": "municipality, similar (its similar municipalities, as community.similarity found them)",
    "search": "query (the cleaned search text), filters",
    "thread": "thread (one the member may read)",
}


@dataclass(frozen=True)
class Block:
    page: str
    name: str
    render: Callable[..., str | None]
    order: int = 100


_registry: dict[str, list[Block]] = {page: [] for page in PAGES}


def register(page: str, name: str, render: Callable[..., str | None], *, order: int = 100) -> None:
    """Add (or replace, by name) a block on ``page``."""
    if page not in PAGES:
        raise ValueError(f"No page {page!r} takes blocks; pages: {', '.join(PAGES)}")
    blocks = [block for block in _registry[page] if block.name != name]
    blocks.append(Block(page, name, render, order))
    _registry[page] = sorted(blocks, key=lambda block: (block.order, block.name))


def render_blocks(page: str, request: HttpRequest, **context: Any) -> list[SafeString]:
    """The HTML of every block registered on ``page`` that has something to show."""
    shown = []
    for block in _registry[page]:
        html = block.render(request, **context)
        if html:
            shown.append(mark_safe(html))
    return shown
