"""A Redis outage costs the live features and the shared counters, never reading,
posting or logging in: the cache logs and misses, counting goes on in the process,
and sessions come from the database.

Redis is "down" here by pointing the cache and the channel layer at a port where nothing
listens, so these tests need no Redis and run everywhere. One test starts a redis-server
of its own to stop and start it again.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache import cache, caches
from django.test import override_settings
from django.urls import reverse

from community import throttle
from community.models import Group, Session
from community.performance.cache import SharedPoolRedisCache
from tests.factories import PASSWORD
from tests.needs import missing
from threads import actions
from threads.models import Post, Thread

pytestmark = pytest.mark.django_db
CLOSED = "redis://127.0.0.1:1/0"


def redis_settings(url: str) -> dict:
    """The cache and channel layer settings of production (community/settings.py), at ``url``."""
    from community.settings import redis_caches, redis_channel_layers

    return {
        "CACHES": redis_caches(url, key_prefix="outage-test"),
        "CHANNEL_LAYERS": redis_channel_layers(url, prefix="outage-test"),
    }


@pytest.fixture
def redis_down():
    """Cache and channel layer at a closed port, as when Redis is stopped."""
    with override_settings(**redis_settings(CLOSED)):
        client = caches["default"]._cache  # shared by the process: no outage and no counts from another test
        client.reset()
        yield
        client.reset()


@pytest.fixture
def thread(member, dutch_data) -> Thread:
    themes = actions.ensure_themes(["wonen"])
    return actions.create_thread(
        author=member,
        group=Group.objects.get(slug="het-plein"),
        title="Huisvesting van arbeidsmigranten",
        kind=Thread.Kind.QUESTION,
        body="Hoe pakken jullie dit aan?",
        themes=themes,
    )


def log_in(client, member):
    return client.post(reverse("login"), {"username": member.email, "password": PASSWORD})


def test_with_redis_down_a_member_logs_in_reads_replies_and_sees_notifications(client, member, thread, redis_down):
    response = log_in(client, member)
    assert response.status_code == 302, response.content[:300]
    assert Session.objects.filter(member=member).count() == 1

    assert client.get(reverse("home")).status_code == 200
    assert client.get(thread.get_absolute_url()).status_code == 200
    response = client.post(reverse("reply", args=[thread.pk]), {"body": "Bij ons met een balie op locatie."})
    assert response.status_code == 302
    assert Post.objects.filter(thread=thread, body="Bij ons met een balie op locatie.").exists()
    assert client.get(reverse("notifications")).status_code == 200
    assert client.get(thread.get_absolute_url() + "?page=1").status_code == 200

    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(member=member).exists()
    assert client.get(reverse("notifications")).status_code == 302  # to the login page


def test_with_redis_down_the_health_check_says_the_channel_layer_is_down(client, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "channel_layer": "error"}


@override_settings(
    LOGIN_THROTTLE={"per_address_and_ip": 3, "per_address": 50, "per_ip": 100, "warn_after": 10, "window_seconds": 600}
)
def test_with_redis_down_failed_logins_are_still_limited(client, member, redis_down):
    for _attempt in range(3):
        assert log_in_with(client, member.email, "fout").status_code == 200
    response = log_in(client, member)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors().as_data()[0].code == "throttled"
    assert not Session.objects.filter(member=member).exists()


def log_in_with(client, email: str, password: str):
    return client.post(reverse("login"), {"username": email, "password": password})


def test_with_redis_down_the_rate_limit_on_replies_still_holds(client, login, member, thread, redis_down, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "post": {"new": {"count": 2, "window_seconds": 600}, "established": {"count": 2, "window_seconds": 600}},
    }
    login(member)
    statuses = [
        client.post(reverse("reply", args=[thread.pk]), {"body": f"Reactie {number}"}).status_code
        for number in range(3)
    ]
    assert statuses == [302, 302, 429]


def test_the_cache_misses_and_reports_failure_without_raising_when_redis_is_down(redis_down):
    started = time.monotonic()
    assert cache.get("a") is None and cache.get("a", 7) == 7
    assert cache.set("a", "text") is False
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert cache.get_many(["a", "b"]) == {}
    assert cache.delete("a") is False
    assert cache.delete_many(["a", "b"]) is None
    assert cache.touch("a") is False
    assert cache.has_key("c") is False
    assert cache.get_or_set("d", "fresh") == "fresh"
    assert cache.clear() is False
    assert time.monotonic() - started < 1  # a refused connection costs milliseconds


def test_counters_count_in_the_process_while_redis_is_down(redis_down):
    assert throttle.hit("login-address", "a@example.nl", window_seconds=60) == 1
    assert throttle.hit("login-address", "a@example.nl", window_seconds=60) == 2
    assert throttle.count("login-address", "a@example.nl") == 2
    throttle.unhit("login-address", "a@example.nl")
    assert throttle.count("login-address", "a@example.nl") == 1
    cache.delete(throttle._key("login-address", "a@example.nl"))
    assert throttle.count("login-address", "a@example.nl") == 0
    with pytest.raises(ValueError):
        cache.incr("never-added")


def test_an_outage_is_logged_once_not_for_every_operation(redis_down, caplog):
    with caplog.at_level(logging.WARNING, logger="community.performance.cache"):
        for number in range(50):
            cache.get(f"key-{number}")
            cache.set(f"key-{number}", number)
    assert len([record for record in caplog.records if record.name == "community.performance.cache"]) == 1


def test_after_a_failure_the_cache_waits_before_trying_redis_again(redis_down, monkeypatch):
    """A Redis that does not answer (rather than refusing) would cost a timeout on every
    call; after one failure the cache serves without it for a moment."""
    client = caches["default"]._cache
    cache.get("a")
    attempts = []
    monkeypatch.setattr(client, "get_client", lambda *args, **kwargs: attempts.append(1) or pytest.fail("tried Redis"))
    for _number in range(20):
        assert cache.get("a") is None
    assert attempts == []


def test_the_wait_before_the_next_try_doubles_while_redis_stays_away_up_to_five_seconds(monkeypatch):
    from community.performance import cache as module

    now = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: now[0])
    circuit = module.Circuit(retry_seconds=1.0, max_retry_seconds=5.0)
    waits = []
    for _try in range(5):
        circuit.trip(ConnectionError("refused"))
        waits.append(circuit.open_until - now[0])
        now[0] = circuit.open_until
        assert not circuit.is_open
    assert waits == [1.0, 2.0, 4.0, 5.0, 5.0]
    circuit.reset()  # Redis answered
    circuit.trip(ConnectionError("refused"))
    assert circuit.open_until - now[0] == 1.0 and circuit.is_open


def test_a_redis_that_does_not_answer_costs_one_short_timeout_then_nothing():
    """A Redis that accepts connections but never answers (hung, or a half-open network):
    the read timeout is short, and after it the cache leaves Redis alone for a moment."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshakes; nobody ever reads or answers
        with override_settings(**redis_settings(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")):
            client = caches["default"]._cache
            client.reset()
            started = time.monotonic()
            assert cache.get("a", "missed") == "missed"
            first = time.monotonic() - started
            started = time.monotonic()
            for _number in range(100):
                assert cache.get("a") is None
            rest = time.monotonic() - started
            client.reset()
    assert 0.4 <= first < 1.5
    assert rest < 0.1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    pytest.fail("redis-server did not start")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(10)


def test_a_redis_stopped_and_started_again_is_used_again_without_a_restart(settings):
    if shutil.which("redis-server") is None:
        missing("redis", "needs the redis-server program to stop and start a Redis of its own")
    port = free_port()
    server = start_redis(port)
    try:
        with override_settings(**redis_settings(f"redis://127.0.0.1:{port}/0")):
            client = caches["default"]._cache
            client.reset()
            client.circuit.retry_seconds = 0.2
            cache.set("kept", "before")
            assert throttle.hit("login-ip", "10.0.0.1", window_seconds=60) == 1
            assert cache.get("kept") == "before"

            stop(server)  # pooled connections now meet a closed socket
            assert cache.get("kept") is None
            assert cache.set("kept", "during") is False
            assert throttle.hit("login-ip", "10.0.0.1", window_seconds=60) == 1  # counted in the process
            assert throttle.hit("login-ip", "10.0.0.1", window_seconds=60) == 2

            server = start_redis(port)
            time.sleep(0.3)
            assert cache.set("kept", "after") is None
            assert cache.get("kept") == "after"
            assert throttle.hit("login-ip", "10.0.0.2", window_seconds=60) == 1
            assert throttle.hit("login-ip", "10.0.0.2", window_seconds=60) == 2
            assert SharedPoolRedisCache is type(caches["default"])
            client.reset()
    finally:
        stop(server)
