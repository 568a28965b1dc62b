"""The fault suite: a mixed load for 60 s while processes, Redis, PostgreSQL and SMTP fail.

    .venv/bin/python bench/faults.py [--duration 60] [--workers 6] [--drain 150] [--base-port 8300]

Starts, on 127.0.0.1 only and on ports from ``--base-port`` (default 8300..8399): a PostgreSQL
cluster of its own (initdb in a temporary folder, as the postgres user when run as root), a
redis-server of its own, an SMTP server of its own (aiosmtpd, in this process), two daphne
processes (DEBUG=0, HTTP_THREADS=1) behind nginx as deploy/nginx has it (least_conn, the
WebSocket on /ws/, X-Request-ID), and the mail worker (``deliver_mail``; restarted when it
exits, as systemd would). Seeds members with ``seed_large`` and gives each load member two
threads of their own, so that every reply notifies a member whose socket is watched.

The load (``--workers`` members, each one HTTP client through nginx and one WebSocket that
behaves as static/js/live.js does: reconnect with jittered backoff, then catch up from
/notifications/since/<id>/): thread pages, lists, the notification list, replies with a unique
token (acknowledged = answered with the redirect to the new post), "nuttig" marks; every reply
notifies the thread's author and queues an e-mail to them (replies are sent at once by default).

The faults, at fixed seconds of the load: kill -9 one daphne and start it again; stop Redis and
start a new one; stop PostgreSQL and start it again; stop the SMTP server and start it again.
After the load it waits up to ``--drain`` seconds for the outbox to empty, then reports:
requests and statuses (5xx split into the site's "database unreachable" page and others, and
when), acknowledged replies against stored ones (missing, duplicated), notifications against
replies, e-mails queued against delivered (missing, duplicated), sockets that reconnected and
how long after each fault's repair every socket had caught up, time to recover per fault, and
``manage.py check_consistency`` on the database afterwards. Stops everything it started, by
PID, also on Ctrl-C and errors, and removes its PostgreSQL cluster. See bench/README.md.
"""

from __future__ import annotations

# bench/ holds http.py: keep the folder off sys.path so that ``import http`` finds the standard library.
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))  # the project's folder: bench.harness

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from email import message_from_bytes  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.harness import Browser, Processes, port_open, wait_for_port  # noqa: E402

ROOT = Path(_HERE).parent
VENV_BIN = Path(sys.executable).parent
TOKEN = "Storingsproef-reactie"
SEED = ["--members", "40", "--threads", "30", "--posts", "400", "--big-thread-posts", "40", "--bodies", "30"]
MIX = {"thread": 34, "list": 14, "notifications": 12, "reply": 28, "useful": 12}


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


# --- Processes ----------------------------------------------------------------------------------


class Postgres:
    """A throwaway cluster of this script's own, in its temporary folder."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder / "pg", port
        self.log = folder / "postgres.log"
        versions = sorted(
            Path("/usr/lib/postgresql").iterdir(), key=lambda p: [int(x) for x in re.findall(r"\d+", p.name)]
        )
        self.bin = versions[-1] / "bin"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def run(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True, timeout=120)

    def create(self) -> None:
        self.folder.mkdir()
        self.log.touch()
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
            shutil.chown(self.log, "postgres", "postgres")
        self.run(str(self.bin / "initdb"), "-D", str(self.folder), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with open(self.folder / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.folder}'\n"
                "max_connections = 60\nshared_buffers = 128MB\n"
            )

    def start(self) -> float:
        started = time.monotonic()
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.folder), "-l", str(self.log), "-w", "-t", "60", "start")
        return time.monotonic() - started

    def stop(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.folder), "-m", "fast", "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.folder / "postmaster.pid").exists()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/samenleven"


class Smtp:
    """An SMTP server in this process that records every Message-ID it accepts; stopped and
    started again for the SMTP fault."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler
        message = message_from_bytes(envelope.content)
        with self.lock:
            self.received[(message.get("Message-ID") or "").strip("<> ")] += 1
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
    log_format timed '$msec $status $request_method $uri $upstream_addr request_id=$request_id';
    access_log {tmp}/nginx-access.log timed;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    map $http_upgrade $samenleven_connection_upgrade {{ default upgrade; "" close; }}
    upstream samenleven {{
        least_conn;
        server 127.0.0.1:{daphne1} max_fails=1 fail_timeout=5s;
        server 127.0.0.1:{daphne2} max_fails=1 fail_timeout=5s;
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 2m;
        location /static/ {{ alias {static}/; }}
        error_page 502 504 /50x.html;
        location = /50x.html {{ root {root}/deploy/nginx; internal; }}
        location /ws/ {{
            proxy_pass http://samenleven;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $samenleven_connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Request-ID $request_id;
            proxy_read_timeout 1h;
            proxy_buffering off;
        }}
        location / {{
            proxy_pass http://samenleven;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Request-ID $request_id;
            proxy_connect_timeout 5s;
            proxy_read_timeout 60s;
            proxy_next_upstream error timeout http_502;
            proxy_next_upstream_tries 2;
            location ~ ^/(t/[0-9]+/reply|groups/[^/]+/new|posts/[0-9]+/useful)/$ {{
                proxy_pass http://samenleven;
                proxy_next_upstream error timeout http_502 non_idempotent;
            }}
        }}
    }}
}}
"""


# --- The site -----------------------------------------------------------------------------------


def site_env(database_url: str, redis_port: int, smtp_port: int, site_port: int, static: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "EMAIL_URL", "VAR_DIR", "DATABASE_URL", "SAMENLEVEN_REQUIRE"):
        env.pop(name, None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "community.settings",
            "DEBUG": "0",
            "SECRET_KEY": "fault-suite-only-secret-key-not-for-production-0123456789abcdef",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": f"http://127.0.0.1:{site_port}",
            "HTTPS": "0",
            "DATABASE_URL": database_url,
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}?timeout=5",
            "STATIC_ROOT": str(static),
            "HTTP_THREADS": "1",
            "TRUSTED_PROXIES": "1",
            "RATE_LIMITS": "0",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "json",
            # Replies to you are mailed together after a quiet window (10 minutes by
            # default): 5 s here, so that the mail goes out within the drain.
            "EMAIL_WINDOW_SECONDS": "5",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "manage.py", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    if check and result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    shown = " ".join(args) if args[0] != "shell" else "shell (the load's members and threads)"
    log(f"manage.py {shown} ({time.monotonic() - started:.1f}s)")
    return result


PREPARE = """
import json
from community.models import Group, Member
from threads import actions
from threads.models import Theme, Thread
theme = Theme.objects.order_by("pk").first()
members = list(Member.objects.filter(email__endswith="@bench.samenleven.nl", is_active=True).order_by("email")[:WORKERS])
plein = Group.objects.get(slug="het-plein")
own = {}
for member in members:
    threads = [actions.create_thread(author=member, group=plein, title=f"Storingsproef {member.handle} {n}",
               kind=Thread.Kind.EXPERIENCE, body="Een onderwerp voor de storingsproef.", themes=[theme]) for n in (1, 2)]
    own[member.email] = [(t.pk, t.posts.get(number=1).pk) for t in threads]
print("PREPARED " + json.dumps({"members": [m.email for m in members], "own": own}))
"""


# --- Clients ------------------------------------------------------------------------------------


@dataclass
class Result:
    at: float  # monotonic, when it was sent
    kind: str
    status: int  # 0: no answer
    friendly: bool  # the "database unreachable" page
    done: float = 0.0  # monotonic, when the answer came (or did not): what the windows below count


@dataclass
class Shared:
    results: list[Result] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)  # tokens of replies answered with the redirect
    attempted: int = 0
    learned: dict[str, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))  # email -> id -> when
    connects: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    closes: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    catch_ups: dict[str, list[tuple[float, bool]]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)


stopping = threading.Event()


def load_worker(
    port: int, email: str, own: dict[str, list], start: float, duration: float, shared: Shared, seed: int
) -> None:
    rng = random.Random(seed)
    browser = Browser(port, email)
    while browser.log_in() != 302 or not browser.logged_in:
        if stopping.is_set() or time.monotonic() - start > duration:
            return
        time.sleep(0.5)
    others = [pair for other, pairs in own.items() if other != email for pair in pairs]
    marked: dict[int, bool] = {}
    kinds, weights = list(MIX), list(MIX.values())
    while time.monotonic() - start < duration and not stopping.is_set():
        kind = rng.choices(kinds, weights)[0]
        thread_id, opening_post = rng.choice(others)
        at = time.monotonic()
        if kind == "thread":
            status, text = browser.request("GET", f"/t/{thread_id}/")
        elif kind == "list":
            status, text = browser.request("GET", rng.choice(["/", "/latest/", "/groups/het-plein/"]))
        elif kind == "notifications":
            status, text = browser.request("GET", "/notifications/")
        elif kind == "useful":
            # As the button does: it asks for the state it offers (marked or not).
            wanted = "0" if marked.get(opening_post) else "1"
            status, text = browser.request("POST", f"/posts/{opening_post}/useful/", {"useful": wanted})
            if status == 302:
                marked[opening_post] = wanted == "1"
        else:
            token = f"{TOKEN} {uuid.uuid4().hex}"
            with shared.lock:
                shared.attempted += 1
            # As the reply form does: a key of its own (a new one with every form shown).
            form = {"body": f"{token}: zo doen wij het.", "request_key": str(uuid.uuid4())}
            status, text = browser.request("POST", f"/t/{thread_id}/reply/", form)
            if status == 302 and f"/t/{thread_id}/" in browser.location:
                with shared.lock:
                    shared.acknowledged.append(token)
        friendly = status >= 500 and "even niet bereikbaar" in text
        with shared.lock:
            shared.results.append(Result(at, kind, status, friendly, time.monotonic()))
        if kind != "reply" and status == 302 and browser.location.startswith("/accounts/login/"):
            browser.log_in()


def socket_worker(port: int, email: str, cookie_source: Browser, shared: Shared, until: threading.Event) -> None:
    """A tab with live.js: one socket, reconnect with jittered backoff, catch up after a reconnect."""
    from websockets.exceptions import WebSocketException
    from websockets.sync.client import connect

    rng = random.Random(hash(email))
    attempts = 0
    last_id: int | None = None
    learned = shared.learned[email]

    def catch_up() -> None:
        nonlocal last_id
        if last_id is None:
            return
        status, text = cookie_source.request("GET", f"/notifications/since/{last_id}/")
        ok = status == 200
        if ok:
            data = json.loads(text)
            now = time.monotonic()
            for item in data["notifications"]:
                learned.setdefault(item["id"], now)
                last_id = max(last_id, item["id"])
        with shared.lock:
            shared.catch_ups[email].append((time.monotonic(), ok))

    while not until.is_set():
        cookie = "; ".join(f"{k}={v}" for k, v in cookie_source.cookies.items())
        try:
            with connect(
                f"ws://127.0.0.1:{port}/ws/",
                additional_headers={"Cookie": cookie},
                origin=f"http://127.0.0.1:{port}",
                open_timeout=5,
                close_timeout=1,
            ) as ws:
                was_reconnect = attempts > 0
                attempts = 0
                with shared.lock:
                    shared.connects[email].append(time.monotonic())
                if was_reconnect:
                    catch_up()
                try:
                    while not until.is_set():
                        try:
                            raw = ws.recv(timeout=0.5)
                        except TimeoutError:
                            continue
                        event = json.loads(raw)
                        if event.get("type") == "session.ready" and last_id is None:
                            last_id = event.get("last_notification") or 0
                        elif event.get("type") == "notification.created":
                            learned.setdefault(event["id"], time.monotonic())
                            last_id = max(last_id or 0, event["id"])
                except (OSError, WebSocketException):
                    pass
                if until.is_set():
                    return
                with shared.lock:
                    shared.closes[email].append(time.monotonic())
        except (OSError, WebSocketException, TimeoutError):
            pass  # could not connect
        attempts += 1
        # live.js: full jitter, 1 s * 2^attempts, at most 30 s.
        delay = rng.random() * min(30.0, 2.0 ** min(attempts, 5))
        until.wait(delay)


# --- The run ------------------------------------------------------------------------------------


@dataclass
class Fault:
    name: str
    started: float = 0.0  # monotonic
    repaired: float = 0.0  # when the repair was done (the component is up again)
    up_seconds: float = 0.0  # how long the repair took until the component answered
    notes: list[str] = field(default_factory=list)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--drain", type=float, default=150, help="seconds to wait for the outbox after the load")
    parser.add_argument("--base-port", type=int, default=8300)
    args = parser.parse_args()
    if not (1 <= args.duration <= 600 and 1 <= args.workers <= 30 and 0 <= args.drain <= 600):
        raise SystemExit("--duration 1..600, --workers 1..30, --drain 0..600")
    base = args.base_port
    ports = {
        "nginx": base,
        "daphne1": base + 1,
        "daphne2": base + 2,
        "smtp": base + 25,
        "postgres": base + 32,
        "redis": base + 79,
    }
    busy = [f"{name} {port}" for name, port in ports.items() if port_open(port)]
    if busy:
        raise SystemExit(f"ports in use: {', '.join(busy)}")
    tmp = Path(tempfile.mkdtemp(prefix="samenleven-faults-"))
    os.chmod(tmp, 0o755)
    procs = Processes()
    postgres = Postgres(tmp, ports["postgres"])
    smtp = Smtp(ports["smtp"])
    sockets_stop = threading.Event()

    def interrupted(signum, frame):
        stopping.set()
        sockets_stop.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        log(f"working folder {tmp}")
        postgres.create()
        postgres.start()
        subprocess.run(
            [
                str(postgres.bin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(postgres.port),
                "-U",
                "postgres",
                "samenleven",
            ],
            check=True,
            timeout=60,
        )
        smtp.start()
        redis_log = tmp / "redis.log"

        def start_redis() -> subprocess.Popen:
            proc = procs.start(
                "redis-server",
                [
                    "redis-server",
                    "--port",
                    str(ports["redis"]),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                log=redis_log,
            )
            wait_for_port(ports["redis"], proc, redis_log)
            return proc

        redis = start_redis()
        static = tmp / "static"
        env = site_env(postgres.url, ports["redis"], ports["smtp"], ports["nginx"], static)
        manage(env, "migrate", "--noinput")
        manage(env, "import_municipalities")
        manage(env, "seed_large", *SEED)
        manage(env, "collectstatic", "--noinput")
        out = manage(env, "shell", "-c", PREPARE.replace("WORKERS", str(args.workers))).stdout
        prepared = json.loads(out.split("PREPARED ", 1)[1])
        members, own = (
            prepared["members"],
            {email: [tuple(p) for p in pairs] for email, pairs in prepared["own"].items()},
        )

        def start_daphne(number: int) -> subprocess.Popen:
            port = ports[f"daphne{number}"]
            log_path = tmp / f"daphne-{number}.log"
            proc = procs.start(
                f"daphne {number}",
                [
                    str(VENV_BIN / "daphne"),
                    "--proxy-headers",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "community.asgi:application",
                ],
                env=env,
                log=log_path,
            )
            wait_for_port(port, proc, log_path)
            return proc

        daphnes = {1: start_daphne(1), 2: start_daphne(2)}
        (tmp / "nginx.conf").write_text(
            NGINX_CONF.format(
                tmp=tmp,
                root=ROOT,
                port=ports["nginx"],
                daphne1=ports["daphne1"],
                daphne2=ports["daphne2"],
                static=static,
            )
        )
        nginx_log = tmp / "nginx-error.log"
        nginx = procs.start(
            "nginx",
            ["nginx", "-c", str(tmp / "nginx.conf"), "-p", str(tmp), "-e", str(nginx_log)],
            log=tmp / "nginx.out",
        )
        wait_for_port(ports["nginx"], nginx, nginx_log)

        mail_log = tmp / "mail-worker.log"
        mail = {
            "proc": procs.start("mail worker", [sys.executable, "manage.py", "deliver_mail"], env=env, log=mail_log),
            "restarts": 0,
        }

        def keep_mail_worker() -> None:
            while not sockets_stop.is_set():
                if mail["proc"].poll() is not None:
                    mail["restarts"] += 1
                    mail["proc"] = procs.start(
                        "mail worker", [sys.executable, "manage.py", "deliver_mail"], env=env, log=mail_log
                    )
                sockets_stop.wait(1)

        threading.Thread(target=keep_mail_worker, daemon=True).start()

        shared = Shared()
        socket_browsers = [Browser(ports["nginx"], email) for email in members]
        for browser in socket_browsers:
            if browser.log_in() != 302 or not browser.logged_in:
                raise SystemExit(f"{browser.email} could not log in")
        socket_threads = [
            threading.Thread(target=socket_worker, args=(ports["nginx"], b.email, b, shared, sockets_stop), daemon=True)
            for b in socket_browsers
        ]
        for thread in socket_threads:
            thread.start()
        time.sleep(2)
        start = time.monotonic()
        log(f"load: {args.workers} members for {args.duration:.0f}s")
        workers = [
            threading.Thread(
                target=load_worker, args=(ports["nginx"], email, own, start, args.duration, shared, n), daemon=True
            )
            for n, email in enumerate(members)
        ]
        for worker in workers:
            worker.start()

        def at(second: float) -> None:
            delay = start + second * args.duration / 60 - time.monotonic()
            if delay > 0:
                time.sleep(delay)

        faults: list[Fault] = []

        at(8)
        fault = Fault("kill -9 daphne 1, start it again")
        fault.started = time.monotonic()
        daphnes[1].kill()
        daphnes[1].wait()
        at(11)
        begun = time.monotonic()
        daphnes[1] = start_daphne(1)
        fault.repaired = time.monotonic()
        fault.up_seconds = fault.repaired - begun
        faults.append(fault)
        log("daphne 1 killed and started again")

        at(20)
        fault = Fault("stop Redis, start a new one")
        fault.started = time.monotonic()
        redis.send_signal(signal.SIGTERM)
        redis.wait(timeout=10)
        at(26)
        begun = time.monotonic()
        redis = start_redis()
        fault.repaired = time.monotonic()
        fault.up_seconds = fault.repaired - begun
        faults.append(fault)
        log("Redis stopped and started again")

        at(34)
        fault = Fault("stop PostgreSQL, start it again")
        fault.started = time.monotonic()
        postgres.stop()
        at(38)
        begun = time.monotonic()
        postgres.start()
        fault.repaired = time.monotonic()
        fault.up_seconds = fault.repaired - begun
        faults.append(fault)
        log("PostgreSQL stopped and started again")

        at(46)
        fault = Fault("stop the SMTP server, start it again")
        fault.started = time.monotonic()
        smtp.stop()
        at(52)
        begun = time.monotonic()
        smtp.start()
        fault.repaired = time.monotonic()
        fault.up_seconds = fault.repaired - begun
        faults.append(fault)
        log("SMTP stopped and started again")

        for worker in workers:
            worker.join(timeout=args.duration + 60)
        load_end = time.monotonic()
        log("load over; waiting for the outbox to empty and the sockets to settle")

        import psycopg

        def outbox_waiting() -> int:
            with psycopg.connect(postgres.url) as conn:
                return conn.execute(
                    "SELECT count(*) FROM notifications_outboxmessage WHERE status IN ('queued', 'sending')"
                ).fetchone()[0]

        drained_at = None
        while time.monotonic() - load_end < args.drain:
            if outbox_waiting() == 0:
                drained_at = time.monotonic()
                break
            time.sleep(1)
        time.sleep(3)  # the last live events
        sockets_stop.set()
        for thread in socket_threads:
            thread.join(timeout=10)

        report = build_report(
            args, shared, faults, postgres, smtp, start, load_end, drained_at, mail["restarts"], env, tmp
        )
        print(report)
        (tmp / "report.md").write_text(report)
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        stopping.set()
        sockets_stop.set()
        procs.stop_all()
        smtp.stop()
        if postgres.running():
            try:
                postgres.stop()
            except subprocess.SubprocessError:
                print("PostgreSQL did not stop cleanly", file=sys.stderr)
        keep = tmp / "kept"
        for name in ("report.md", "daphne-1.log", "daphne-2.log", "mail-worker.log", "nginx-error.log", "postgres.log"):
            if (tmp / name).exists():
                keep.mkdir(exist_ok=True)
                shutil.copy(tmp / name, keep / name)
        for entry in tmp.iterdir():  # the cluster, the static files, the rest of the logs
            if entry == keep:
                continue
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        log(f"stopped everything; logs and report in {keep}")


# --- Report -------------------------------------------------------------------------------------


def in_the_dead_process(tmp: Path) -> str:
    """From nginx's error log: the requests whose process closed the connection before it
    answered (each was then sent to the other process, or answered 502 if it could not be)."""
    path = tmp / "nginx-error.log"
    text = path.read_text(errors="replace") if path.exists() else ""
    requests = re.findall(
        r'upstream prematurely closed connection while reading response header.*?request: "(\w+) (\S+)', text
    )
    if not requests:
        return "none"
    kinds = Counter(f"{method} {re.sub(r'[0-9]+', 'N', path)}" for method, path in requests)
    return f"{len(requests)} (" + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())) + ")"


def build_report(args, shared: Shared, faults: list[Fault], postgres: Postgres, smtp: Smtp, start: float,
                 load_end: float, drained_at: float | None, mail_restarts: int, env: dict[str, str], tmp: Path) -> str:  # fmt: skip
    import psycopg

    with psycopg.connect(postgres.url) as conn:
        stored = Counter(
            row[0].split(":")[0]
            for row in conn.execute("SELECT body FROM threads_post WHERE body LIKE %s", [f"{TOKEN} %"]).fetchall()
        )
        # Every reply notifies the thread's author (another member). Replies to one thread
        # that arrive while its notification is unread join it (one notification that
        # counts them, from its first post to ``last_number``): each reply must be covered
        # by exactly one notification of its thread's author.
        covered = conn.execute(
            """SELECT count(*), count(*) FILTER (WHERE covering > 0), count(*) FILTER (WHERE covering = 0),
                      count(*) FILTER (WHERE covering > 1)
               FROM (SELECT (SELECT count(*) FROM notifications_notification n
                             JOIN threads_post first ON first.id = n.post_id
                             WHERE n.recipient_id = t.author_id AND n.thread_id = t.id
                               AND first.number <= p.number AND p.number <= coalesce(n.last_number, first.number)
                            ) AS covering
                     FROM threads_post p JOIN threads_thread t ON t.id = p.thread_id
                     WHERE p.body LIKE %s AND p.author_id <> t.author_id) AS replies""",
            [f"{TOKEN} %"],
        ).fetchone()
        notified, doubled_notifications = covered[:3], covered[3]
        outbox = dict(conn.execute("SELECT status, count(*) FROM notifications_outboxmessage GROUP BY 1").fetchall())
        queued_ids = [row[0] for row in conn.execute("SELECT message_id FROM notifications_outboxmessage").fetchall()]
        # Every notification of a watched member, with when it was made (seconds on this clock).
        epoch_offset = time.time() - time.monotonic()
        emails = list(shared.learned)
        rows = conn.execute(
            """SELECT m.email, n.id, extract(epoch FROM n.created) FROM notifications_notification n
               JOIN community_member m ON m.id = n.recipient_id WHERE m.email = ANY(%s)""",
            [emails],
        ).fetchall()
    consistency = manage(env, "check_consistency", check=False)

    acknowledged = shared.acknowledged
    last_line = (consistency.stdout.strip().splitlines() or ["?"])[-1]
    missing_posts = [token for token in acknowledged if stored[token] == 0]
    duplicated_posts = sum(1 for count in stored.values() if count > 1)
    stored_not_acknowledged = sum(1 for token in stored if token not in set(acknowledged))
    received = smtp.received
    queued_set = {mid.strip("<> ") for mid in queued_ids}
    missing_mail = [mid for mid in queued_set if received[mid] == 0]
    duplicated_mail = sum(1 for count in received.values() if count > 1)
    unknown_mail = sum(1 for mid in received if mid not in queued_set)

    results = shared.results
    statuses = Counter(r.status for r in results)
    five = [r for r in results if r.status >= 500 or r.status == 0]
    pg = next(f for f in faults if f.name.startswith("stop PostgreSQL"))
    in_pg_window = [r for r in five if pg.started <= r.done <= pg.repaired + 5]
    drained = f"after {drained_at - load_end:.0f} s" if drained_at else f"not within {args.drain:.0f} s"
    lines = [
        f"Load {args.duration:.0f} s, {args.workers} members (each an HTTP client and a WebSocket) through nginx to two daphne processes; "
        f"drain up to {args.drain:.0f} s. Load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.",
        "",
        "| requests | 2xx/3xx | 4xx | 5xx (with a friendly page) | no answer | 5xx or no answer outside the PostgreSQL window |",
        "|---|---|---|---|---|---|",
        f"| {len(results)} | {sum(c for s, c in statuses.items() if 200 <= s < 400)} | {sum(c for s, c in statuses.items() if 400 <= s < 500)} "
        f"| {sum(1 for r in results if r.status >= 500)} ({sum(1 for r in results if r.friendly)}) | {statuses[0]} "
        f"| {len(five) - len(in_pg_window)} |",
        "",
        "| replies tried | acknowledged | stored | acknowledged but missing | duplicated | stored, not acknowledged |",
        "|---|---|---|---|---|---|",
        f"| {shared.attempted} | {len(acknowledged)} | {sum(stored.values())} | {len(missing_posts)} | {duplicated_posts} | {stored_not_acknowledged} |",
        "",
        "| replies that notify | in a notification | in none | in two or more |",
        "|---|---|---|---|",
        f"| {notified[0]} | {notified[1]} | {notified[2]} | {doubled_notifications} |",
        "",
        "| e-mails queued | delivered (distinct) | missing | duplicated | unknown | outbox at the end | outbox empty after the load | mail worker restarts |",
        "|---|---|---|---|---|---|---|---|",
        f"| {len(queued_ids)} | {len(received)} | {len(missing_mail)} | {duplicated_mail} | {unknown_mail} | "
        f"{', '.join(f'{k} {v}' for k, v in sorted(outbox.items()))} | "
        f"{drained} | {mail_restarts} |",
        "",
    ]
    # Sockets: when each notification reached its member's socket (live or by catch-up), counted
    # from when it was made or, if made during a fault, from that fault's repair.
    made: dict[str, dict[int, float]] = defaultdict(dict)
    for email, nid, epoch in rows:
        made[email][nid] = float(epoch) - epoch_offset
    never = sum(1 for email in made for nid in made[email] if nid not in shared.learned[email])
    lines += [
        "| fault | down (s) | component up after repair (s) | 5xx / no answer (fault to repair + 10 s) | sockets closed | reconnected | "
        "notifications made in it | slowest to reach its socket after repair (s) | reached within 10 s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for number, fault in enumerate(faults):
        # What happened from the fault until 10 s after its repair (or the next fault).
        until = min(fault.repaired + 10, faults[number + 1].started if number + 1 < len(faults) else float("inf"))
        window = [r for r in five if fault.started <= r.done <= until]
        closed = sum(1 for email in shared.closes for t in shared.closes[email] if fault.started <= t <= until)
        reconnected = sum(1 for email in shared.connects for t in shared.connects[email] if fault.started <= t <= until)
        lags = []
        late = 0
        count = 0
        for email in made:
            for nid, created in made[email].items():
                if fault.started <= created <= fault.repaired:
                    count += 1
                    learned = shared.learned[email].get(nid)
                    lag = (learned - fault.repaired) if learned is not None else float("inf")
                    lags.append(max(lag, 0.0))
                    late += lag > 10
        slowest = max(lags) if lags else 0.0
        lines.append(
            f"| {fault.name} | {fault.repaired - fault.started - fault.up_seconds:.1f} | {fault.up_seconds:.1f} | {len(window)} | "
            f"{closed} | {reconnected} | {count} | {'never' if slowest == float('inf') else f'{slowest:.1f}'} | {count - late}/{count} |"
        )
    in_faults = [(f.started, f.repaired) for f in faults]
    outside = [
        (learned - created) if (learned := shared.learned[email].get(nid)) is not None else float("inf")
        for email in made
        for nid, created in made[email].items()
        if not any(a <= created <= b for a, b in in_faults)
    ]
    lines += [
        "",
        f"Notifications to the watched members: {sum(len(v) for v in made.values())}; reached their socket: "
        f"{sum(len(v) for v in made.values()) - never}; never: {never}. Outside the faults: p50 "
        f"{percentile([x for x in outside if x != float('inf')], 0.5) * 1000:.0f} ms, p99 "
        f"{percentile([x for x in outside if x != float('inf')], 0.99) * 1000:.0f} ms, never {sum(1 for x in outside if x == float('inf'))}.",
        f"Catch-ups after a reconnect: {sum(len(v) for v in shared.catch_ups.values())} "
        f"({sum(1 for v in shared.catch_ups.values() for _, ok in v if not ok)} failed).",
        "",
        "Requests a process had when it died, that nginx sent on to the other one: " + in_the_dead_process(tmp),
        "",
        "5xx and no answers outside the PostgreSQL window, by kind of request: "
        + (
            ", ".join(f"{k} {c}" for k, c in sorted(Counter(r.kind for r in five if r not in in_pg_window).items()))
            or "none"
        ),
        "",
        "5xx and no answers, by the second of the load in which they were answered: "
        + (", ".join(f"{s}s: {c}" for s, c in sorted(Counter(int(r.done - start) for r in five).items())) or "none"),
        "",
        f"check_consistency afterwards (exit {consistency.returncode}): {last_line}",
    ]
    if missing_posts:
        lines.append(f"Missing acknowledged replies (first 5): {missing_posts[:5]}")
    if missing_mail:
        lines.append(f"Undelivered e-mails (first 5): {missing_mail[:5]}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
