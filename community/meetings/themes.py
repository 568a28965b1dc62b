"""The themes a meeting can be for.

Themes belong to ``threads`` (django-taggit tags), which this app must not import. The
threads app hands over a function that lists them (``provide``, in its AppConfig.ready);
meetings store the chosen slugs.
"""

from __future__ import annotations

from collections.abc import Callable

_provider: Callable[[], list[tuple[str, str]]] = lambda: []  # noqa: E731


def provide(provider: Callable[[], list[tuple[str, str]]]) -> None:
    """``provider()`` returns ``[(slug, name), ...]`` of every theme, in display order."""
    global _provider
    _provider = provider


def theme_choices() -> list[tuple[str, str]]:
    return list(_provider())


def theme_names(slugs: list[str]) -> list[str]:
    names = dict(theme_choices())
    return [names.get(slug, slug) for slug in slugs]
