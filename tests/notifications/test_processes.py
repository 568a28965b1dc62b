"""Two real daphne processes sharing Redis: a member connected to one sees a
reply posted through the other."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database, as the server processes must reach it."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


@pytest.fixture
def two_servers(member):
    """Two daphne processes on one Redis and the test database."""
    from tests.needs import need_redis

    redis_url = need_redis()
    ports = [free_port(), free_port()]
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CHANNEL_PREFIX": f"samenleven-processes-{os.getpid()}",
        "CACHE_KEY_PREFIX": f"samenleven-processes-{os.getpid()}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_URL": "console://",
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "community.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    try:
        deadline = time.monotonic() + 30
        for port in ports:
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("daphne did not start") from None
                    time.sleep(0.2)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def log_in(port: int, email: str) -> urllib.request.OpenerDirector:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"http://127.0.0.1:{port}/accounts/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/accounts/login/",
        data=data,
        headers={"Referer": f"http://127.0.0.1:{port}/accounts/login/"},
    )
    opener.open(request, timeout=10).read()
    opener.cookies = {cookie.name: cookie.value for cookie in jar}
    return opener


def with_server_password(*members) -> None:
    """The tests hash passwords with a fast hasher the servers do not know."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    for member in members:
        type(member).objects.filter(pk=member.pk).update(
            password=hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
        )


def test_a_reply_posted_through_one_process_reaches_a_socket_on_the_other(two_servers, question, member, colleague):
    import websockets

    with_server_password(member, colleague)

    first, second = two_servers
    fatima = log_in(first, member.email)
    thijs = log_in(second, colleague.email)
    cookie = f"{settings.SESSION_COOKIE_NAME}={fatima.cookies[settings.SESSION_COOKIE_NAME]}"

    async def scenario() -> list[dict]:
        async with websockets.connect(
            f"ws://127.0.0.1:{first}/ws/", additional_headers={"Cookie": cookie}, origin=f"http://127.0.0.1:{first}"
        ) as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "session.ready"
            await ws.send(json.dumps({"type": "thread.watch", "thread": question.pk}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "thread.watching"
            page = await asyncio.to_thread(
                lambda: thijs.open(f"http://127.0.0.1:{second}/t/{question.pk}/?page=1", timeout=10).read().decode()
            )
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            body = urllib.parse.urlencode({"body": "Via het andere proces", "csrfmiddlewaretoken": token}).encode()
            request = urllib.request.Request(
                f"http://127.0.0.1:{second}/t/{question.pk}/reply/",
                data=body,
                headers={"Referer": f"http://127.0.0.1:{second}/t/{question.pk}/"},
            )
            response = await asyncio.to_thread(lambda: thijs.open(request, timeout=10))
            assert response.status == 200 and f"/t/{question.pk}/" in response.url
            return [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(2)]

    events = asyncio.run(scenario())
    assert sorted(event["type"] for event in events) == ["notification.created", "thread.post_created"]
    live = next(event for event in events if event["type"] == "thread.post_created")
    assert "Via het andere proces" in live["html"]
    assert question.posts.filter(body="Via het andere proces", author=colleague).exists()
