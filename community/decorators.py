"""Marks on views that the access middleware reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

View = TypeVar("View", bound=Callable)


def account_page(view: View) -> View:
    """A page that members who are not (yet) allowed into the forum may see:
    their own account, the explanation of their status, logging out."""
    view.account_page = True
    return view
