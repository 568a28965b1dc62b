"""The ASGI handler's reusable request threads and the shared Redis client."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.testing import ApplicationCommunicator

from community.performance.cache import SharedPoolRedisCache
from community.performance.handlers import PooledThreadsASGIHandler
from tests.community import handler_urls


async def get(application, path: str) -> int:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
    }  # fmt: skip
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(timeout=10)
    await communicator.receive_output(timeout=10)  # the body
    await communicator.wait(timeout=10)
    return start["status"]


@pytest.fixture
def record_view(settings):
    settings.ROOT_URLCONF = "tests.community.handler_urls"
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.MIDDLEWARE = []
    handler_urls.state.update(running=0, most=0, threads=[])
    return handler_urls.state


@pytest.fixture
def handlers():
    """Make handlers; afterwards their threads' database connections are closed."""
    made = []

    def make(threads: int) -> PooledThreadsASGIHandler:
        made.append(PooledThreadsASGIHandler(threads=threads))
        return made[-1]

    yield make
    for handler in made:
        handler.close()


@pytest.mark.django_db(transaction=True)
async def test_requests_share_a_fixed_set_of_threads(record_view, handlers):
    """Twelve requests at once on a handler with three threads: never more than three in
    Django at a time, and only three threads ever, reused by the next batch (the stock
    handler starts a thread per request)."""
    application = handlers(3)
    statuses = await asyncio.gather(*(get(application, "/record/") for _ in range(12)))
    assert statuses == [200] * 12
    assert record_view["most"] == 3
    first_batch = set(record_view["threads"])
    assert len(first_batch) == 3
    await asyncio.gather(*(get(application, "/record/") for _ in range(6)))
    assert set(record_view["threads"]) == first_batch


@pytest.mark.django_db(transaction=True)
async def test_one_thread_serves_requests_one_after_another(record_view, handlers):
    application = handlers(1)
    await asyncio.gather(*(get(application, "/record/") for _ in range(4)))
    assert record_view["most"] == 1
    assert len(set(record_view["threads"])) == 1


@pytest.mark.django_db(transaction=True)
async def test_work_a_request_hands_over_runs_after_its_answer_in_order(record_view, handlers):
    """A reply's live events to a thousand sockets wait until the member who replied has
    the answer, then go in the order they were handed over."""
    from community.performance.handlers import after_the_answer

    record_view.update(order=[])
    application = handlers(1)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": "/hand-over/", "raw_path": b"/hand-over/", "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
    }  # fmt: skip
    communicator = record_view["communicator"] = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    await communicator.wait(timeout=10)
    for _ in range(50):
        if len(record_view["order"]) == 3:
            break
        await asyncio.sleep(0.01)
    # Each piece of work found the answer's start and body sent already.
    assert record_view["order"] == ["view", ("first", 2), ("second", 2)]
    assert (await communicator.receive_output(timeout=1))["status"] == 200
    assert record_view["handed_over"] is True
    assert after_the_answer(lambda: None) is False, "outside a request the caller does it itself"


def test_at_least_one_thread():
    with pytest.raises(ValueError):
        PooledThreadsASGIHandler(threads=0)


def test_the_site_uses_the_pooled_handler(settings):
    from community.asgi import django_application

    assert isinstance(django_application, PooledThreadsASGIHandler)
    assert django_application.threads == settings.HTTP_THREADS


def test_redis_cache_instances_share_one_client():
    """Django makes a cache backend per request context under ASGI; they must share one
    client (and so its connection pool), or every request opens a Redis connection."""
    one = SharedPoolRedisCache("redis://127.0.0.1:6379/15", {"KEY_PREFIX": "a"})
    two = SharedPoolRedisCache("redis://127.0.0.1:6379/15", {"KEY_PREFIX": "b"})
    other = SharedPoolRedisCache("redis://127.0.0.1:6379/14", {})
    assert one._cache is two._cache
    assert one._cache is not other._cache


def test_what_the_site_loads_at_start_is_kept_out_of_full_garbage_collections():
    """Full collections scanned all of Django and the apps and stopped a process for up to
    100 ms under load; what is loaded at start is frozen (``gc.freeze``)."""
    import gc

    import community.asgi

    assert gc.get_freeze_count() > 10_000


def test_what_the_first_requests_made_is_frozen_after_the_warm_up(monkeypatch):
    """The templates, resolvers and caches the first requests fill live as long as the
    process: after ``warm_up`` requests they are frozen too, once."""
    import gc
    import io

    from django.core import signals
    from django.db import close_old_connections

    from community.performance.handlers import PooledThreadsASGIHandler

    # As Django's test client does: this thread's connection (left open by an earlier test in
    # the same process) belongs to the test database and is not this handler's to close.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    handler = PooledThreadsASGIHandler(threads=1)
    handler.warm_up = 3
    freezes = []
    monkeypatch.setattr(gc, "freeze", lambda: freezes.append(1))
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/healthz",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
    }
    try:
        for served in range(1, 6):
            handler._respond(scope, io.BytesIO())
            assert len(freezes) == (1 if served >= 3 else 0)
    finally:
        handler.close()
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
