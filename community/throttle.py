"""Counting attempts in the cache (Redis in production, so limits hold across processes)."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def _key(scope: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"throttle:{scope}:{digest}"


def count(scope: str, value: str) -> int:
    return int(cache.get(_key(scope, value), 0))


def hit(scope: str, value: str, *, window_seconds: int) -> int:
    """Count one attempt; the window starts at the first attempt."""
    key = _key(scope, value)
    if cache.add(key, 1, timeout=window_seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        return 1


def reset(scope: str, value: str) -> None:
    cache.delete(_key(scope, value))


def client_ip(request) -> str:  # type: ignore[no-untyped-def]
    """The client's address; behind a proxy, the proxy must set REMOTE_ADDR correctly."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"
