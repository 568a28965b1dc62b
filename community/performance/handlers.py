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

Each request also crosses from the event loop to its thread once, not once per
middleware. Django's handler builds the middleware chain in async mode; every
middleware that can run both ways then runs its ``process_request`` and
``process_response`` through ``sync_to_async``, and a synchronous middleware in the
chain hands back to the event loop with ``async_to_sync``: some ten hand-offs per request,
each a thread switch and a copy of the context. Here the chain is built in sync mode,
as under WSGI, and a request's synchronous work (the ``request_started`` signal, the
request object, the middleware, the view, closing a response that is not streamed and
with it ``request_finished``) runs in one call on the request's thread; the event loop
only reads the body and sends the response.

After its first ``warm_up`` requests a process freezes what it has made so far (``gc.freeze``,
as ``community/asgi.py`` does at start): the compiled templates, URL resolvers, translation
catalogues and caches filled by the first requests live as long as the process, and every
full garbage collection scanned them all, stopping the process for 60-70 ms under load.

What a request hands to the event loop to do after it (``after_the_answer``: the live
events of a reply to a thousand sockets) waits until the request's answer has gone out,
and then goes in the order it was handed over: the event loop would otherwise deliver
first and answer the member who replied a second later.

WebSocket consumers do not pass through here (see ``community/asgi.py``).
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.db import connections
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

logger = logging.getLogger(__name__)

#: The work the current request handed over for after its answer (see the module's docstring).
_after: ContextVar[list[Callable[[], Awaitable[None]]] | None] = ContextVar("after_the_answer", default=None)


def after_the_answer(work: Callable[[], Awaitable[None]]) -> bool:
    """Have the event loop run ``work()`` once the current request's answer has been sent,
    after the work handed over before it. False outside a request served by this handler
    (a command, a test client, a socket): then the caller does the work itself."""
    pending = _after.get()
    if pending is None:
        return False
    pending.append(work)
    return True


async def _run_in_order(works: list[Callable[[], Awaitable[None]]]) -> None:
    for work in works:
        try:
            await work()
        except Exception:
            logger.exception("Work handed over by a request failed")


class PooledThreadsASGIHandler(ASGIHandler):
    #: Requests after which what the process has made so far is frozen (see above).
    warm_up = 500

    def __init__(self, threads: int) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        if threads < 1:
            raise ValueError("an ASGI handler needs at least one request thread")
        self.threads = threads
        self._executors = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"request-{i + 1}") for i in range(threads)
        ]
        self._free: asyncio.Queue[ThreadPoolExecutor] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._served = itertools.count(1)

    def _queue(self) -> asyncio.Queue[ThreadPoolExecutor]:
        """The free executors, made in the running loop (a server may start a new loop, tests do)."""
        loop = asyncio.get_running_loop()
        if self._free is None or self._loop is not loop:
            self._free = asyncio.Queue()
            for executor in self._executors:
                self._free.put_nowait(executor)
            self._loop = loop
        return self._free

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        free = self._queue()
        executor = await free.get()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            free.put_nowait(executor)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        works: list[Callable[[], Awaitable[None]]] = []
        token = _after.set(works)  # the request's thread runs in a copy of this context
        try:
            response = await sync_to_async(self._respond, thread_sensitive=True)(scope, body_file)
        finally:
            _after.reset(token)
        try:
            await self.send_response(response, send)
        except asyncio.CancelledError:
            pass  # the client went away while the response was being sent
        finally:
            if works:
                # Its own task: the request's thread is free for the next request meanwhile.
                asyncio.ensure_future(_run_in_order(works))
            if response.streaming:
                await sync_to_async(response.close, thread_sensitive=True)()
            body_file.close()

    def _respond(self, scope, body_file) -> HttpResponseBase:
        """A request's synchronous part, on its thread: as Django's WSGI handler does it."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            error_response.close()
            return error_response
        response = self.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if not response.streaming:
            # The content is complete: close now (request_finished, database connections
            # returned) rather than in one more hand-off after sending.
            response.close()
        if next(self._served) == self.warm_up:
            gc.collect()
            gc.freeze()
        return response

    def close(self) -> None:
        """Close the database connections each request thread holds and stop the threads."""
        for executor in self._executors:
            executor.submit(connections.close_all).result()
            executor.shutdown()
