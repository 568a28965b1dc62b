"""Demo content that apps above ``threads`` add to ``manage.py seed_demo``.

``seed_demo`` lives in threads (the demo accounts and threads), yet an app above it, such
as handelingsperspectieven, has demo content of its own that builds on those threads.
Rather than threads importing that app, the app registers a seeder in its
``AppConfig.ready()``, as with ``threads.blocks``; ``seed_demo`` runs every seeder after
its own threads, in order. A seeder is ``(accounts: dict[handle, Member]) -> str``, is
idempotent, and returns a line for the command's output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Seeder = Callable[[dict[str, Any]], str]

_seeders: dict[str, tuple[int, Seeder]] = {}


def register(name: str, seeder: Seeder, *, order: int = 100) -> None:
    """Add (or replace, by name) a seeder."""
    _seeders[name] = (order, seeder)


def seeders() -> list[Seeder]:
    return [seeder for _name, (_order, seeder) in sorted(_seeders.items(), key=lambda item: (item[1][0], item[0]))]
