"""Experiment for bench/http.py --app-concurrency N: the site's ASGI application with at most N
HTTP requests inside Django at a time per process; the others wait in the event loop.

Django's ASGI handler runs every request's synchronous code in a thread of its own
(asgiref ThreadSensitiveContext), so 16 concurrent requests are 16 Python threads fighting
for one GIL. This wrapper measures what a limit would give; it is not part of the site.
WebSocket connections pass through unlimited.
"""

from __future__ import annotations

import asyncio
import os

from community.asgi import application as site

LIMIT = int(os.environ.get("BENCH_APP_CONCURRENCY", "2"))
_semaphore: asyncio.Semaphore | None = None


async def application(scope, receive, send):  # type: ignore[no-untyped-def]
    global _semaphore
    if scope["type"] != "http":
        return await site(scope, receive, send)
    if _semaphore is None:
        _semaphore = asyncio.Semaphore(LIMIT)
    async with _semaphore:
        return await site(scope, receive, send)
