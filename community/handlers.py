"""Django's ASGI handler on a fixed set of reusable request threads.

Django's own handler runs the synchronous part of every request (middleware, view,
template) in a new thread: it creates a one-thread executor per request. Under load
that means a thread started per request, as many Python threads as open requests
fighting for one interpreter lock, and, because Django keeps database connections
per thread, a database connection per request.

This handler keeps ``threads`` one-thread executors and gives each request one of
them for its whole life (asgiref's ``ThreadSensitiveContext(executor=...)``); a
request that finds them all busy waits in the event loop. Threads, and with them the
database connections (``CONN_MAX_AGE``), are reused across requests, and at most
``threads`` requests run Python code at a time, which on a CPU-bound page is faster
than many: fewer switches, no lock convoy, shorter queues at the database.

WebSocket consumers do not pass through here (see ``community/asgi.py``).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler
from django.db import connections


class PooledThreadsASGIHandler(ASGIHandler):
    def __init__(self, threads: int) -> None:
        super().__init__()
        if threads < 1:
            raise ValueError("an ASGI handler needs at least one request thread")
        self.threads = threads
        self._executors = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"request-{i + 1}") for i in range(threads)]
        self._free: asyncio.Queue[ThreadPoolExecutor] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _queue(self) -> asyncio.Queue[ThreadPoolExecutor]:
        """The free executors, made in the running loop (a server may start a new loop, tests do)."""
        loop = asyncio.get_running_loop()
        if self._free is None or self._loop is not loop:
            self._free = asyncio.Queue()
            for executor in self._executors:
                self._free.put_nowait(executor)
            self._loop = loop
        return self._free

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        free = self._queue()
        executor = await free.get()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            free.put_nowait(executor)

    def close(self) -> None:
        """Close the database connections each request thread holds and stop the threads."""
        for executor in self._executors:
            executor.submit(connections.close_all).result()
            executor.shutdown()
