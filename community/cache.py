"""The Redis cache backend with one connection pool per process.

Django keeps cache backends per async context, and under ASGI every request is a
context of its own: with the stock backend each request made a new client, a new
connection pool and so a new connection to Redis (with its handshake) and dropped it
afterwards. Here every backend instance with the same servers and options shares one
client, whose pools are thread-safe, so connections are reused across requests; and
the client keeps its redis-py client objects instead of building one (with its table
of ~170 response callbacks) for every cache call.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple[Any, ...], RedisCacheClient] = {}
_lock = threading.Lock()


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    @cached_property
    def _cache(self) -> RedisCacheClient:
        key = (self._class, tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
        return client
