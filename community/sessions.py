"""The session engine (``SESSION_ENGINE = "community.sessions"``).

Django's cached_db store, with two changes:

- Sessions are rows of ``community.Session``, which has the member logged in on them
  (filled from ``_auth_user_id`` on every save), so that ``end_sessions`` finds a
  member's sessions through an index.
- The cache is a copy, never a requirement: every cache call in load, save, delete and
  exists may fail (Redis stopped, unreachable, full) and the store then reads and writes
  the database alone, logging the failure at most once a minute. A member keeps reading,
  posting and logging in and out while Redis is away.

A cache that fails to take a write or a delete may keep an old copy of the session (a
partitioned Redis comes back with its data): a logged-out session would come back to
life. The store remembers, per process, the sessions whose copy it could not update,
reads those from the database, and deletes the copies as soon as the cache answers again
(trying at most once a second). The copies are shared, so that serves every process; but
until this process next touches a session after the cache is back, another process may
still read an old copy. A Redis restarted without its data holds none.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.core.cache import BaseCache, caches
from django.utils import timezone

from community.performance.cache import ThrottledLog

logger = logging.getLogger(__name__)

#: Seconds between tries to delete the copies the cache missed, while it keeps failing.
RETRY_SECONDS = 1.0

_failures = ThrottledLog(logger, "The session cache", 60)
_missed: set[str] = set()  # cache keys whose copy may be older than the database
_missed_lock = threading.Lock()
_next_retry = 0.0
_FAILED = object()


def _strict(cache: BaseCache) -> BaseCache:
    """The cache's raising variant, when it has one (community.performance.cache.SharedPoolRedisCache
    reports failures instead of raising them; here a failure must be known)."""
    return getattr(cache, "strict", cache)


def _try(cache: BaseCache, call: Callable[[BaseCache], Any]) -> Any:
    try:
        result = call(_strict(cache))
    except Exception as error:
        _failures.failed(error)
        return _FAILED
    _failures.succeeded()
    return result


def _missed_copies(keys: Iterable[str]) -> None:
    with _missed_lock:
        _missed.update(keys)


def _delete_missed_copies(cache: BaseCache) -> None:
    """Delete the copies this process could not update, once the cache answers."""
    global _next_retry
    if not _missed or time.monotonic() < _next_retry:
        return
    _next_retry = time.monotonic() + RETRY_SECONDS
    with _missed_lock:
        keys = list(_missed)
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        if _try(cache, lambda strict, chunk=chunk: strict.delete_many(chunk)) is _FAILED:
            return
        with _missed_lock:
            _missed.difference_update(chunk)


def forget_cached(session_keys: Iterable[str], cache: BaseCache | None = None) -> None:
    """Remove the cached copies of sessions deleted from the database; a copy the cache
    could not delete now is deleted when it answers again."""
    cache = cache if cache is not None else caches[settings.SESSION_CACHE_ALIAS]
    keys = [SessionStore.cache_key_prefix + key for key in session_keys]
    if keys and _try(cache, lambda strict: strict.delete_many(keys)) is _FAILED:
        _missed_copies(keys)


def sessions_of(member_id: int) -> list[str]:
    """The keys of the member's stored sessions that have not expired (through the index)."""
    from community.models import Session

    return list(
        Session.objects.filter(member_id=member_id, expire_date__gt=timezone.now())
        .order_by("expire_date")
        .values_list("session_key", flat=True)
    )


def member_id_of(data: dict[str, Any]) -> int | None:
    """The member logged in on a session, from its data (``_auth_user_id``)."""
    try:
        return int(data[SESSION_KEY])
    except (KeyError, TypeError, ValueError):
        return None


class SessionStore(cached_db.SessionStore):
    """Cached, database-backed sessions that record their member and survive the cache."""

    @classmethod
    def get_model_class(cls):
        from community.models import Session

        return Session

    def create_model_instance(self, data: dict[str, Any]):
        session = super().create_model_instance(data)
        session.member_id = member_id_of(data)
        return session

    def load(self) -> dict[str, Any]:
        _delete_missed_copies(self._cache)
        key = self.cache_key
        data = None
        if key not in _missed:
            data = _try(self._cache, lambda strict: strict.get(key))
            data = None if data is _FAILED else data
        if data is None:
            stored = self._get_session_from_db()
            if not stored:
                return {}
            data = self.decode(stored.session_data)
            # A copy the cache does not take here is no older than before: nothing to remember.
            self._copy_to_cache(key, data, self.get_expiry_age(expiry=stored.expire_date), remember=False)
        return data

    def exists(self, session_key: str | None) -> bool:
        if session_key:
            cached = _try(self._cache, lambda strict: strict.has_key(self.cache_key_prefix + session_key))
            if cached is True:
                return True
        return DBStore.exists(self, session_key)

    def save(self, must_create: bool = False) -> None:
        DBStore.save(self, must_create)
        _delete_missed_copies(self._cache)
        self._copy_to_cache(self.cache_key, self._session, self.get_expiry_age())

    def delete(self, session_key: str | None = None) -> None:
        DBStore.delete(self, session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        forget_cached([session_key], self._cache)

    def _copy_to_cache(self, key: str, data: dict[str, Any], timeout: int, *, remember: bool = True) -> None:
        if _try(self._cache, lambda strict: strict.set(key, data, timeout)) is _FAILED:
            if remember:
                _missed_copies([key])
        elif key in _missed:
            with _missed_lock:
                _missed.discard(key)

    # The async variants (Django's own skip parts of the above): the same, on a thread.
    async def aload(self) -> dict[str, Any]:
        return await sync_to_async(self.load)()

    async def aexists(self, session_key: str | None) -> bool:
        return await sync_to_async(self.exists)(session_key)

    async def asave(self, must_create: bool = False) -> None:
        await sync_to_async(self.save)(must_create)

    async def adelete(self, session_key: str | None = None) -> None:
        await sync_to_async(self.delete)(session_key)
