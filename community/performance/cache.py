"""The Redis cache backend: one connection pool per process, and a site that keeps
working while Redis is away.

One pool per process. Django keeps cache backends per async context, and under ASGI
every request is a context of its own: with the stock backend each request made a new
client, a new connection pool and so a new connection to Redis (with its handshake) and
dropped it afterwards. Here every backend instance with the same servers and options
shares one client, whose pools are thread-safe, so connections are reused across
requests; and the client keeps its redis-py client objects instead of building one (with
its table of ~170 response callbacks) for every cache call.

A Redis outage costs what lives only in Redis, never a page. ``SharedPoolRedisCache``
catches every Redis error: a read misses (returns the default), a write or delete reports
failure (``False``, or the keys ``set_many`` could not set) without raising. Counting
(``add``, ``incr``, ``decr``, and ``get`` of what was counted) goes on in a process-local
store meanwhile, so the login throttle and the rate limits hold per process. After a
connection error or timeout the client leaves Redis alone for ``retry_seconds`` (1 s;
twice as long after every further failed try, up to ``max_retry_seconds``, 5 s), since a
Redis that does not answer would otherwise cost a timeout on every call; then it tries
again, and when Redis answers it is used again, without a restart. The outage is logged
once per ``log_seconds`` (60) per process, with the number of failed calls, and its end
once. The three may be set in the cache's OPTIONS, next to redis-py's connection options.

``StrictRedisCache`` is the same backend without the fallbacks, for callers that must
know whether the cache took a write (the session store, community/sessions.py); it
raises ``redis.exceptions.ConnectionError`` at once while the client waits to retry.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

logger = logging.getLogger(__name__)

_clients: dict[tuple[Any, ...], ResilientRedisCacheClient] = {}
_lock = threading.Lock()

#: Errors that mean Redis is unreachable (refused, reset, timed out, still loading).
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


class ThrottledLog:
    """Log a recurring failure at most once per ``every`` seconds, with the number of
    failures since the previous line, and its end once."""

    def __init__(self, log: logging.Logger, what: str, every: float) -> None:
        self.log = log
        self.what = what
        self.every = every
        self.failures = 0
        self.since: float | None = None
        self.last_logged = float("-inf")
        self._lock = threading.Lock()

    def failed(self, error: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            self.failures += 1
            if self.since is None:
                self.since = now
            if now - self.last_logged < self.every:
                return
            failures, self.failures, self.last_logged = self.failures, 0, now
        self.log.warning("%s failed (%d failed calls since the last report; the last: %s)", self.what, failures, error)

    def succeeded(self) -> None:
        if self.since is None:
            return
        with self._lock:
            if self.since is None:
                return
            seconds, failures = time.monotonic() - self.since, self.failures
            self.since, self.failures, self.last_logged = None, 0, float("-inf")
        self.log.warning("%s works again after %.1f s (%d more failed calls)", self.what, seconds, failures)


class Circuit:
    """After an unreachable Redis, wait ``retry_seconds`` before the next try, twice as long
    after each try that fails too, at most ``max_retry_seconds``: a Redis that does not
    answer costs a timeout that often, one that refuses costs nothing either way."""

    def __init__(self, retry_seconds: float, max_retry_seconds: float) -> None:
        self.retry_seconds = retry_seconds
        self.max_retry_seconds = max_retry_seconds
        self.failures = 0
        self.open_until = 0.0
        self.last_error: BaseException | None = None

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self, error: BaseException) -> None:
        self.last_error = error
        self.failures += 1
        wait = min(self.max_retry_seconds, self.retry_seconds * 2 ** min(self.failures - 1, 16))
        self.open_until = time.monotonic() + wait

    def reset(self) -> None:
        self.failures = 0
        self.open_until = 0.0


class ResilientRedisCacheClient(RedisCacheClient):
    """The shared client of a process, with its circuit, its outage log and the
    process-local store that counts while Redis is away."""

    def __init__(
        self,
        *args: Any,
        retry_seconds: float = 1.0,
        max_retry_seconds: float = 5.0,
        log_seconds: float = 60.0,
        **kwargs: Any,
    ) -> None:
        # One retry on a connection error, none on a timeout: a pooled connection that Redis
        # closed (it restarted) is replaced at once instead of failing a call, and a Redis
        # that does not answer costs one timeout, not two.
        kwargs.setdefault("retry", Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)))
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self.circuit = Circuit(retry_seconds, max_retry_seconds)
        self.outage = ThrottledLog(logger, "Redis cache", log_seconds)
        self.local = LocMemCache(
            f"community.performance.cache.local:{id(self)}", {"TIMEOUT": None, "OPTIONS": {"MAX_ENTRIES": 100_000}}
        )

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Around every call: refuse at once while the circuit is open; open it when
        Redis is unreachable; note the end of an outage."""
        if self.circuit.is_open:
            raise RedisConnectionError(f"not trying Redis again yet; it failed a moment ago: {self.circuit.last_error}")
        try:
            yield
        except UNREACHABLE as error:
            self.circuit.trip(error)
            raise
        if self.circuit.failures:
            self.circuit.reset()
        self.outage.succeeded()

    def reset(self) -> None:
        """Forget an outage: close the circuit, restart the log, drop the local counts."""
        self.circuit.reset()
        self.outage = ThrottledLog(logger, "Redis cache", self.outage.every)
        self.local.clear()


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: StrictRedisCache, *args: Any, **kwargs: Any) -> Any:
        with self._cache.guard():
            return method(self, *args, **kwargs)

    return call


class StrictRedisCache(RedisCache):
    """One shared client per process and its circuit; Redis errors are raised."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._server = server
        self._params = params
        self._class = ResilientRedisCacheClient

    @cached_property
    def _cache(self) -> ResilientRedisCacheClient:
        key = (self._class, tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
        return client

    add = _guarded(RedisCache.add)
    get = _guarded(RedisCache.get)
    set = _guarded(RedisCache.set)
    touch = _guarded(RedisCache.touch)
    delete = _guarded(RedisCache.delete)
    get_many = _guarded(RedisCache.get_many)
    has_key = _guarded(RedisCache.has_key)
    incr = _guarded(RedisCache.incr)
    set_many = _guarded(RedisCache.set_many)
    delete_many = _guarded(RedisCache.delete_many)
    clear = _guarded(RedisCache.clear)


class SharedPoolRedisCache(StrictRedisCache):
    """The site's cache: logs and misses when Redis fails, and counts in the process."""

    @cached_property
    def strict(self) -> StrictRedisCache:
        """The same cache (same client, same circuit), raising Redis errors."""
        return StrictRedisCache(self._server, self._params)

    def _failed(self, error: RedisError) -> None:
        self._cache.outage.failed(error)

    @property
    def _local(self) -> LocMemCache:
        return self._cache.local

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except RedisError as error:
            self._failed(error)
            if type(value) is not int:
                return False
            return self._local.add(key, value, self._local_timeout(timeout), version)  # a counter starts

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except RedisError as error:
            self._failed(error)
            return self._local.get(key, default, version)  # what was counted meanwhile

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool | None:
        try:
            return super().set(key, value, timeout, version)
        except RedisError as error:
            self._failed(error)
            if type(value) is int:  # a counter (re)started
                self._local.set(key, value, self._local_timeout(timeout), version)
            return False

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        try:
            return super().touch(key, timeout, version)
        except RedisError as error:
            self._failed(error)
            return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        self._local.delete(key, version)
        try:
            return super().delete(key, version)
        except RedisError as error:
            self._failed(error)
            return False

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except RedisError as error:
            self._failed(error)
            return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except RedisError as error:
            self._failed(error)
            return self._local.has_key(key, version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            self._failed(error)
            return self._local.incr(key, delta, version)  # ValueError when not counted here

    def set_many(self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list[Any]:
        try:
            return super().set_many(data, timeout, version)
        except RedisError as error:
            self._failed(error)
            return list(data)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._local.delete_many(keys, version)
        try:
            super().delete_many(keys, version)
        except RedisError as error:
            self._failed(error)

    def clear(self) -> bool:
        self._local.clear()
        try:
            return super().clear()
        except RedisError as error:
            self._failed(error)
            return False

    def _local_timeout(self, timeout: Any) -> Any:
        return self.default_timeout if timeout is DEFAULT_TIMEOUT else timeout
