"""A small in-process LRU map for values whose key names their content.

Entries are never invalidated, only forgotten when the map is full: it is for keys that
change whenever the value would (a digest of a fragment's content, a member's
``cache_version``), so an entry can be out of use but never wrong.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping
from typing import Any


class Recent:
    """The ``size`` entries used last (the least recently used go first). Thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def get_many(self, keys: Iterable[Hashable]) -> dict[Hashable, Any]:
        found = {}
        with self._lock:
            for key in keys:
                value = self._items.get(key)
                if value is not None:
                    self._items.move_to_end(key)
                    found[key] = value
        return found

    def set(self, key: Hashable, value: Any) -> None:
        self.set_many({key: value})

    def set_many(self, values: Mapping[Hashable, Any]) -> None:
        with self._lock:
            for key, value in values.items():
                self._items[key] = value
                self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


#: Every Recent made through ``recent()``, so that tests can start with all of them empty.
_all: list[Recent] = []


def recent(size: int) -> Recent:
    made = Recent(size)
    _all.append(made)
    return made


def clear_all() -> None:
    for made in _all:
        made.clear()
