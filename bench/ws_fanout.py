"""WebSocket fan-out: one reply, N connected members.

    .venv/bin/python bench/ws_fanout.py [--clients 1000] [--database sqlite|postgres] [--pg-database NAME]

Starts one daphne process (DEBUG=0) with the Redis channel layer on 127.0.0.1,
creates N bench members with sessions, connects N authenticated WebSockets that
all watch one thread, then posts one reply over HTTP (from a process of its own) and measures:

1. the reply request's duration;
2. per client, the time from sending the reply until its ``thread.post_created``
   event arrived (p50/p99/max);
3. the same for the personal ``notification.created`` events, with all N members
   watching the thread (so every one of them gets a notification row and a push);
4. the server's resident memory per open connection.

Before the measured reply of case 3, one reply that notifies everyone warms that path (the
first in a process loads what notifying needs), as on a server that has been running.
The server's log goes to FANOUT_LOG (default /tmp/fanout-daphne.log) at FANOUT_LOG_LEVEL
(default WARNING; INFO adds each request with its duration and queries).

Bounded: connections and waits time out (60 s), everything started is stopped by PID.
Needs Redis at REDIS_URL (default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import os
import sys

# bench/http.py would shadow the standard library's http package for scripts in this folder.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != _HERE]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
from http.cookiejar import CookieJar  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgres://postgres@127.0.0.1:5432/samenleven_fanout"
SQLITE_PATH = ROOT / "var" / "fanout.sqlite3"
PASSWORD = "samenleven-bench"
TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(database: str, redis_url: str, pg_url: str = PG_URL) -> dict[str, str]:
    if database == "postgres":
        database_url = pg_url
    else:
        SQLITE_PATH.parent.mkdir(exist_ok=True)
        database_url = f"sqlite:///{SQLITE_PATH}"
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "HTTPS": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CHANNEL_PREFIX": "samenleven-fanout",
        "CACHE_KEY_PREFIX": "samenleven-fanout",
        "EMAIL_URL": "console://",
        "RATE_LIMITS": "0",  # one member replies run after run
        "LOG_LEVEL": os.environ.get("FANOUT_LOG_LEVEL", "WARNING"),
        "DJANGO_SETTINGS_MODULE": "community.settings",
    }


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


PREPARE = r"""
import sys
import django
django.setup()
from django.contrib.auth.hashers import make_password
from community.sessions import SessionStore
from django.utils import timezone
from community.models import Group, Member, Membership, Municipality
from notifications.models import Watch
from threads import actions
from threads.models import Theme, Thread

count = int(sys.argv[1])
municipality = Municipality.objects.get(code="GM0518")
plein = Group.objects.get(slug="het-plein")
password = make_password("samenleven-bench")
existing = set(Member.objects.filter(email__startswith="fanout-").values_list("email", flat=True))
new = [
    Member(email=f"fanout-{n:05d}@bench.samenleven.nl", handle=f"fanout_{n:05d}", name=f"Fanout {n}",
           municipality=municipality, status="active", email_verified_at=timezone.now(), approved_at=timezone.now(),
           password=password)
    for n in range(count + 1) if f"fanout-{n:05d}@bench.samenleven.nl" not in existing
]
Member.objects.bulk_create(new, batch_size=500)
members = list(Member.objects.filter(email__startswith="fanout-").order_by("email")[: count + 1])
Membership.objects.bulk_create([Membership(member=m, group=plein) for m in members], ignore_conflicts=True)
poster, listeners = members[0], members[1:]
thread = Thread.objects.filter(title="Fan-out onderwerp").first()
if thread is None:
    thread = actions.create_thread(author=poster, group=plein, title="Fan-out onderwerp", kind="question",
                                   body="Wie leest er mee?", themes=list(Theme.objects.all()[:1]))
Watch.objects.filter(thread=thread).exclude(member=poster).delete()
cookies = []
for member in listeners:
    session = SessionStore()
    session["_auth_user_id"] = str(member.pk)
    session["_auth_user_backend"] = "community.auth.EmailBackend"
    session["_auth_user_hash"] = member.get_session_auth_hash()
    session.create()
    cookies.append(session.session_key)
print(thread.pk)
print(poster.email)
print(" ".join(str(m.pk) for m in listeners))
print(" ".join(cookies))
"""


def prepare(env: dict[str, str], clients: int) -> tuple[int, str, list[int], list[str]]:
    output = subprocess.run(
        [sys.executable, "-c", PREPARE, str(clients)], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    lines = output.stdout.strip().splitlines()
    return int(lines[0]), lines[1], [int(x) for x in lines[2].split()], lines[3].split()


SET_WATCHING = r"""
import sys
import django
django.setup()
from notifications.models import Watch
thread, ids = int(sys.argv[1]), [int(x) for x in sys.argv[2].split()]
Watch.objects.filter(thread_id=thread, member_id__in=ids).delete()
Watch.objects.bulk_create([Watch(member_id=i, thread_id=thread, level=3) for i in ids], batch_size=1000)
"""


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def log_in(port: int, email: str):
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"http://127.0.0.1:{port}/accounts/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token}).encode()
    opener.open(urllib.request.Request(f"http://127.0.0.1:{port}/accounts/login/", data=data), timeout=10).read()
    return opener


# The reply is posted from a process of its own: in this one, the 1,000 clients' event loop
# holds the interpreter lock while the events arrive, and the reply's answer would be read late.
REPLY = r"""
import re, sys, time, urllib.error, urllib.parse, urllib.request
port, thread_id, text, cookie = sys.argv[1:5]
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
opener = urllib.request.build_opener(NoRedirect())
opener.addheaders = [("Cookie", cookie)]
page = opener.open(f"http://127.0.0.1:{port}/t/{thread_id}/?page=1", timeout=30).read().decode()
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
form = re.search(r'name="request_key" value="([^"]+)"', page)
data = {"body": text, "csrfmiddlewaretoken": token, **({"request_key": form.group(1)} if form else {})}
request = urllib.request.Request(f"http://127.0.0.1:{port}/t/{thread_id}/reply/", data=urllib.parse.urlencode(data).encode())
wall, started = time.time(), time.perf_counter()
try:
    opener.open(request, timeout=60)
except urllib.error.HTTPError as error:
    if error.code != 302:
        raise
print(wall, time.perf_counter() - started)
"""


def post_reply(opener, port: int, thread_id: int, text: str) -> tuple[float, float]:
    """(when the reply was sent, by the wall clock; how long its request took)."""
    cookie = "; ".join(f"{c.name}={c.value}" for handler in opener.handlers if hasattr(handler, "cookiejar")
                       for c in handler.cookiejar)  # fmt: skip
    output = subprocess.run(
        [sys.executable, "-c", REPLY, str(port), str(thread_id), text, cookie],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    return float(output[0]), float(output[1])


async def run_clients(
    port: int, thread_id: int, sessions: list[str], trigger, wanted: str, on_connected=lambda: None
) -> tuple[list[float], float]:
    import websockets

    ready = 0
    arrivals: list[float] = []
    start_event = asyncio.Event()
    all_connected = asyncio.Event()

    async def connect(session: str):
        # On a loaded machine the server may drop a handshake (its listen backlog overflows
        # while it cannot accept fast enough): try again, it does not change what is measured.
        for attempt in range(6):
            try:
                return await websockets.connect(
                    f"ws://127.0.0.1:{port}/ws/",
                    additional_headers={"Cookie": f"sessionid={session}"},
                    origin=f"http://127.0.0.1:{port}",
                    open_timeout=TIMEOUT,
                    max_queue=None,
                )
            except (OSError, websockets.exceptions.InvalidMessage, websockets.exceptions.InvalidHandshake):
                retries["count"] += 1
                await asyncio.sleep(0.5 * (attempt + 1))
        raise SystemExit("a WebSocket could not connect after 6 attempts")

    retries = {"count": 0}

    async def client(session: str) -> None:
        nonlocal ready
        async with await connect(session) as ws:
            json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))  # session.ready
            await ws.send(json.dumps({"type": "thread.watch", "thread": thread_id}))
            while json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))["type"] != "thread.watching":
                pass
            ready += 1
            if ready == len(sessions):
                all_connected.set()
            await start_event.wait()
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                if event["type"] == wanted:
                    arrivals.append(time.time())
                    return

    tasks = []
    for index, session in enumerate(sessions):
        tasks.append(asyncio.create_task(client(session)))
        if index % 25 == 24:
            await asyncio.sleep(0.25)  # connect in waves, not all at once (the listen backlog)
    await asyncio.wait_for(all_connected.wait(), TIMEOUT * 4)
    if retries["count"]:
        print(f"({retries['count']} handshakes had to be tried again)", flush=True)
    on_connected()
    start_event.set()
    sent_wall, request_seconds = await asyncio.to_thread(trigger)
    await asyncio.wait_for(asyncio.gather(*tasks), TIMEOUT)
    return [arrived - sent_wall for arrived in arrivals], request_seconds


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--pg-database", default="samenleven_fanout", help="the PostgreSQL database to use")
    options = parser.parse_args()

    env = environment(options.database, options.redis, PG_URL.rsplit("/", 1)[0] + "/" + options.pg_database)
    if options.database == "postgres":
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"CREATE DATABASE {options.pg_database}"],
            capture_output=True,
        )
    manage(env, "migrate", "--noinput")
    manage(env, "import_municipalities")
    manage(env, "collectstatic", "--noinput")
    thread_id, poster_email, listener_ids, sessions = prepare(env, options.clients)

    port = free_port()
    env["SITE_URL"] = f"http://127.0.0.1:{port}"  # the socket's origin check compares the whole origin
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "community.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("FANOUT_LOG", "/tmp/fanout-daphne.log"), "w"),
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("daphne did not start") from None
                time.sleep(0.2)
        poster = log_in(port, poster_email)
        idle_kb = rss_kb(server.pid)

        # 1. Thread stream: nobody watches the thread at the notification level.
        subprocess.run([sys.executable, "-c", SET_WATCHING, str(thread_id), ""], cwd=ROOT, env=env, check=True)
        memory = {}
        arrivals, request_seconds = asyncio.run(
            run_clients(
                port,
                thread_id,
                sessions,
                lambda: post_reply(poster, port, thread_id, "Reactie voor iedereen"),
                "thread.post_created",
                on_connected=lambda: memory.setdefault("connected", rss_kb(server.pid)),
            )
        )
        connected_kb = memory["connected"]
        thread_row = (request_seconds, arrivals)

        # 2. Personal notifications: all N members watch the thread.
        subprocess.run(
            [sys.executable, "-c", SET_WATCHING, str(thread_id), " ".join(map(str, listener_ids))],
            cwd=ROOT,
            env=env,
            check=True,
        )
        # The first reply that notifies anyone in a new process also loads what notifying
        # needs (e-mail preferences, wordings, templates): one before the measured one, as a
        # server that has been running has done. The measured one joins the notifications it
        # made (nobody has read them): a busy thread.
        post_reply(poster, port, thread_id, "Eerste reactie met meldingen")
        arrivals, request_seconds = asyncio.run(
            run_clients(
                port,
                thread_id,
                sessions,
                lambda: post_reply(poster, port, thread_id, "Reactie met meldingen"),
                "notification.created",
            )
        )
        notification_row = (request_seconds, arrivals)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()

    print(f"\n{options.clients} WebSocket clients, one daphne process, Redis channel layer, {options.database}\n")
    print("| event | reply request | p50 delivery | p99 delivery | max delivery | received |")
    print("|---|---|---|---|---|---|")
    for name, (request_seconds, arrivals) in (
        ("thread.post_created", thread_row),
        ("notification.created", notification_row),
    ):
        print(
            f"| {name} | {request_seconds * 1000:.0f} ms | {percentile(arrivals, 0.5) * 1000:.0f} ms | "
            f"{percentile(arrivals, 0.99) * 1000:.0f} ms | {max(arrivals) * 1000:.0f} ms | {len(arrivals)}/{options.clients} |"
        )
    per_connection = (connected_kb - idle_kb) / max(1, options.clients)
    print(
        f"\nServer memory: {idle_kb / 1024:.0f} MiB idle, {connected_kb / 1024:.0f} MiB with {options.clients} connections "
        f"({per_connection:.1f} KiB per connection)."
    )


if __name__ == "__main__":
    main()
