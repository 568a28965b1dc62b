"""HTTP benchmark of the logged-in thread pages and lists, with wrk.

    .venv/bin/python bench/http.py [--database sqlite|postgres] [--topology single|nginx]
                                   [--duration 10] [--connections 16]
    .venv/bin/python bench/http.py --cold 400 [--database sqlite|postgres]

Starts the site with DEBUG=0 on 127.0.0.1 (one daphne process, or nginx in front of two),
prepares the bench database (migrate, import_municipalities, seed_large, collectstatic), logs in
as a seeded member and runs wrk against each page as that member. Prints one Markdown table.
Everything it starts is stopped at the end (also on Ctrl-C and on errors), by PID. Bounded:
``len(URLS) * (warm-up + duration + single-duration)`` seconds of load, wrk stops by itself.

With ``--cold N`` it measures what a member meets who opens many threads a few times each:
the cache's Redis database is emptied, one application process is started, and N distinct
thread pages, drawn at random across the whole seed (random thread, random page), are asked
for one at a time; each page is the first of its kind the process and the cache have seen.
Then the same N pages again, warm. Prints the latency percentiles of both passes.

See bench/README.md for what is measured and the goals.
"""

from __future__ import annotations

# This file is called http.py (the documented name): keep its folder off sys.path so that
# ``import http`` (urllib, Django) finds the standard library, not this script.
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != _HERE]
assert "http" not in sys.modules or "bench" not in (getattr(sys.modules["http"], "__file__", "") or "")
sys.path.insert(0, os.path.dirname(_HERE))  # the project's folder: bench.harness

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import http.client  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from http.cookies import SimpleCookie  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from bench.harness import Processes, free_port  # noqa: E402

ROOT = Path(_HERE).parent
VENV_BIN = Path(sys.executable).parent
DAPHNE = VENV_BIN / "daphne"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PG_URL = "postgres://postgres@127.0.0.1:5432/samenleven_bench"
SQLITE_PATH = ROOT / "var" / "bench.sqlite3"
STATIC_ROOT = ROOT / "var" / "bench-static"
LOGIN_EMAIL = "bench-0001@bench.samenleven.nl"
LOGIN_PASSWORD = "samenleven-bench"

# Goals (threads issue), for PostgreSQL: requests/s at 16 connections.
GOAL_NGINX_THREAD, GOAL_NGINX_LIST, GOAL_SINGLE_THREAD, GOAL_P99_MS = 200, 250, 120, 150


@dataclass
class Target:
    name: str
    path: str
    kind: str  # "thread" or "list"
    queries: str = ""
    size: int = 0
    wrk16: dict = field(default_factory=dict)
    wrk1: dict = field(default_factory=dict)
    cpu: dict = field(default_factory=dict)


# --- Processes ----------------------------------------------------------------------------------


def wait_for_http(port: int, path: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(
                f"process {proc.pid} exited ({proc.returncode}); its log {log}:\n{log.read_text()[-3000:]}"
            )
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"nothing answered on port {port} within {timeout}s; log {log}:\n{log.read_text()[-3000:]}")


def ticks_by_pid(pids: list[int]) -> dict[int, int]:
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[pid] = int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return found


def cpu_ticks(pids: list[int]) -> int:
    return sum(ticks_by_pid(pids).values())


def ticks_since(before: dict[int, int], now: list[int]) -> int:
    """CPU ticks used since ``before`` by the processes ``now``: all of theirs for those started
    meanwhile; processes that ended meanwhile are left out (their time is lost with them)."""
    after = ticks_by_pid(now)
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items())


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes (all of them: other databases' work counts too)."""
    found = subprocess.run(["pgrep", "-u", "postgres"], capture_output=True, text=True, check=False).stdout.split()
    return [int(pid) for pid in found]


def pg_sessions() -> int | None:
    """Connections ever opened to the bench database (PostgreSQL 14+), to see connection reuse."""
    import psycopg

    try:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            row = conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = 'samenleven_bench'").fetchone()
    except psycopg.Error:
        return None
    return int(row[0]) if row else None


def machine_ticks() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values), idle


def background_busy(seconds: float = 1.0) -> float:
    """Share of the machine's CPU busy while this benchmark is idle (other work on the machine)."""
    total_before, idle_before = machine_ticks()
    time.sleep(seconds)
    total_after, idle_after = machine_ticks()
    return 1 - (idle_after - idle_before) / max(1, total_after - total_before)


def wait_for_quiet(limit: float, max_wait: float) -> float:
    """Wait (at most ``max_wait`` seconds) until other work uses less than ``limit`` of the CPU."""
    deadline = time.monotonic() + max_wait
    busy = background_busy()
    while busy > limit and time.monotonic() < deadline:
        busy = background_busy(2.0)
    return busy


# --- Setup ----------------------------------------------------------------------------------------


def bench_env(
    database: str, *, db_pool: bool = False, conn_max_age: int = 60, http_threads: int | None = None
) -> dict[str, str]:
    """The environment of the site under test. ``db_pool`` (PostgreSQL): Django's psycopg
    connection pool (OPTIONS "pool", given in the URL's query string) instead of CONN_MAX_AGE.
    ``http_threads``: the site's HTTP_THREADS (None: the site's default)."""
    if database == "postgres":
        url = PG_URL + ("?pool=true" if db_pool else "")
    else:
        url = f"sqlite:///{SQLITE_PATH}"
    env = dict(os.environ)
    for name in ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "EMAIL_URL", "VAR_DIR"):
        env.pop(name, None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "community.settings",
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "HTTPS": "0",
            "DATABASE_URL": url,
            "CONN_MAX_AGE": "0" if db_pool else str(conn_max_age),
            "REDIS_URL": "redis://127.0.0.1:6379/13",  # a database of its own: test suites flush theirs
            "CACHE_KEY_PREFIX": "samenleven-bench",
            "CHANNEL_PREFIX": "samenleven-bench",
            "EMAIL_URL": "console://",
            "STATIC_ROOT": str(STATIC_ROOT),
            "LOG_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    if http_threads is not None:
        env["HTTP_THREADS"] = str(http_threads)
    return env


def ensure_postgres_database(*, fresh: bool = False) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if fresh:
            print("dropping database samenleven_bench (--fresh)")
            conn.execute("DROP DATABASE IF EXISTS samenleven_bench WITH (FORCE)")
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = 'samenleven_bench'").fetchone() is None:
            print("creating database samenleven_bench")
            conn.execute("CREATE DATABASE samenleven_bench")


def manage(env: dict[str, str], *args: str, quiet: bool = False) -> str:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "manage.py", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    if not quiet:
        print(f"manage.py {' '.join(args)} ({time.monotonic() - started:.1f}s)")
        for line in result.stdout.strip().splitlines():
            print(f"    {line}")
    return result.stdout


def prepare(database: str, env: dict[str, str], seed_args: list[str], *, fresh: bool = False) -> None:
    if database == "postgres":
        ensure_postgres_database(fresh=fresh)
    else:
        SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        if fresh:
            print(f"removing {SQLITE_PATH} (--fresh)")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    manage(env, "migrate", "--noinput", quiet=True)
    manage(env, "import_municipalities", quiet=True)
    manage(env, "seed_large", *seed_args)
    manage(env, "collectstatic", "--noinput", quiet=True)
    if database == "postgres":
        vacuum_postgres_database()


def vacuum_postgres_database() -> None:
    """Put the database in the state autovacuum keeps a live one in: earlier runs leave
    dead rows (read states written again), and where autovacuum is off (a test machine's
    server may run without it) the visibility map would stay empty, so that index-only scans
    read the table and the planner prices them so."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        autovacuum = conn.execute("SHOW autovacuum").fetchone()[0]
        conn.execute("VACUUM (ANALYZE)")
    print(
        f"VACUUM (ANALYZE) samenleven_bench ({time.monotonic() - started:.1f}s; the server's autovacuum is {autovacuum})"
    )


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def check_database_options(database: str) -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if database == "sqlite":
        options = db.get("OPTIONS", {})
        from django.db import connection

        with connection.cursor() as cursor:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if "init_command" not in options:
            print(
                "WARNING: DATABASE_URL=sqlite:... lost the SQLite OPTIONS of community/settings.py "
                "(dj-database-url keeps only the URL's query string): no busy_timeout, no IMMEDIATE transactions.",
                file=sys.stderr,
            )
        return f"sqlite OPTIONS {options!r}, journal_mode={mode}, CONN_MAX_AGE={db.get('CONN_MAX_AGE')}"
    options = db.get("OPTIONS", {})
    pool = options.get("pool")
    prepared = options.get("server_side_binding") is True and options.get("prepare_threshold") is not None
    return (
        f"postgresql CONN_MAX_AGE={db.get('CONN_MAX_AGE')}, CONN_HEALTH_CHECKS={db.get('CONN_HEALTH_CHECKS')}"
        + f", prepared statements {'on (prepare_threshold ' + str(options['prepare_threshold']) + ')' if prepared else 'off'}"
        + (f", OPTIONS pool={pool!r} (psycopg_pool)" if pool else "")
        + "; VACUUM (ANALYZE) before the run"
    )


def targets() -> list[Target]:
    from threads.management.commands.seed_large import BIG_TITLE_PREFIX
    from threads.models import Thread

    big = Thread.objects.get(title__startswith=BIG_TITLE_PREFIX)
    base = big.get_absolute_url()
    middle = max(1, big.page_count // 2)
    return [
        Target("thread, first page", f"{base}?page=1", "thread"),
        Target(f"thread, page {middle}", f"{base}?page={middle}", "thread"),
        Target(f"thread, last page ({big.page_count})", f"{base}?page={big.page_count}", "thread"),
        Target("group: Het Plein", "/groups/het-plein/", "list"),
        Target("home", "/", "list"),
        Target("unread", "/unread/", "list"),
        Target("latest", "/latest/", "list"),
    ]


def login(port: int) -> dict[str, str]:
    """GET the login form for the CSRF cookie, POST the credentials, keep the cookies."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    page = response.read().decode()
    cookies = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        for name, morsel in SimpleCookie(header).items():
            cookies[name] = morsel.value
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if response.status != 200 or "csrftoken" not in cookies or token is None:
        raise SystemExit(f"GET /accounts/login/ answered {response.status} without a CSRF cookie or token")
    body = urlencode({"csrfmiddlewaretoken": token.group(1), "username": LOGIN_EMAIL, "password": LOGIN_PASSWORD})
    conn.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_header(cookies)},
    )
    response = conn.getresponse()
    response.read()
    for header in response.headers.get_all("Set-Cookie") or []:
        for name, morsel in SimpleCookie(header).items():
            cookies[name] = morsel.value
    conn.close()
    if response.status != 302 or "sessionid" not in cookies:
        raise SystemExit(f"login as {LOGIN_EMAIL} failed: {response.status}, cookies {sorted(cookies)}")
    return {name: cookies[name] for name in ("sessionid", "csrftoken")}


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def fetch(port: int, path: str, cookies: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie_header(cookies)})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def count_queries(all_targets: list[Target], cookies: dict[str, str]) -> None:
    """Queries and writes per page, in this process with the test Client and the same session.

    The bench member's read position in the big thread is removed first, so the first visit of
    each thread page shows the read-state write; the second visit shows the steady state that wrk
    measures (the position is then at the last page)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from community.models import Member
    from threads.management.commands.seed_large import BIG_TITLE_PREFIX
    from threads.models import ReadState, Thread

    member = Member.objects.get(email=LOGIN_EMAIL)
    big = Thread.objects.get(title__startswith=BIG_TITLE_PREFIX)
    ReadState.objects.filter(member=member, thread=big).delete()
    client = Client(HTTP_HOST="127.0.0.1")
    for name, value in cookies.items():
        client.cookies[name] = value

    def visit(path: str) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"in-process GET {path} answered {response.status_code}")
        writes = sum(
            1
            for q in ctx.captured_queries
            if q["sql"].lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE", "REPLACE"}
        )
        return len(ctx.captured_queries), writes

    for target in all_targets:
        first = visit(target.path)
        again = visit(target.path)
        if first == again:
            target.queries = f"{first[0]} ({first[1]} w)"
        else:
            target.queries = f"{first[0]} ({first[1]} w), then {again[0]} ({again[1]} w)"
    connection.close()


# --- wrk ----------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(text)
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict:
    result: dict = {"errors": 0, "non2xx": 0, "socket": ""}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", output):
        result["rps"] = float(m.group(1))
    if m := re.search(r"^\s+Latency\s+(\S+)", output, re.M):
        result["mean"] = _ms(m.group(1))
    for pct in ("50", "75", "90", "99"):
        if m := re.search(rf"^\s+{pct}%\s+(\S+)", output, re.M):
            result[f"p{pct}"] = _ms(m.group(1))
    if m := re.search(r"(\d+) requests in ([\d.]+\w+)", output):
        result["requests"] = int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        result["socket"] = m.group(0)
        result["errors"] += sum(int(g) for g in m.groups())
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        result["non2xx"] = int(m.group(1))
        result["errors"] += int(m.group(1))
    return result


# Stop a run that opens database connections without bound (see --conn-max-age): the PostgreSQL
# server is shared, and max_connections (100) exhausted makes everybody's connections fail.
PG_CONNECTION_LIMIT = 70


def pg_connections() -> int:
    import psycopg

    try:
        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True, connect_timeout=2
        ) as conn:
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = 'samenleven_bench'").fetchone()
    except psycopg.Error:
        return -1
    return int(row[0])


def run_wrk(
    url: str, cookies: dict[str, str], *, threads: int, connections: int, duration: int, watch_pg: bool = False
) -> tuple[dict, str]:
    """wrk takes whole seconds. ``watch_pg``: stop wrk when the bench database has more than
    PG_CONNECTION_LIMIT connections open."""
    args = [
        WRK, f"-t{threads}", f"-c{connections}", f"-d{max(1, int(duration))}s", "--latency", "--timeout", "5s",
        "-H", f"Cookie: {cookie_header(cookies)}", url,
    ]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + duration + 60
    leaked = 0
    try:
        while proc.poll() is None:
            if time.monotonic() > deadline:
                raise SystemExit("wrk did not stop")
            if watch_pg:
                leaked = pg_connections()
                if leaked > PG_CONNECTION_LIMIT:
                    proc.terminate()
                    break
            time.sleep(0.5)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if leaked > PG_CONNECTION_LIMIT:
        raise SystemExit(
            f"stopped: {leaked} connections open to samenleven_bench (limit {PG_CONNECTION_LIMIT}); the application "
            "opens a database connection per request and keeps it (CONN_MAX_AGE > 0 under ASGI). "
            "Use --conn-max-age 0 or --db-pool."
        )
    if proc.returncode != 0:
        raise SystemExit(f"wrk failed ({proc.returncode}): {stdout[-2000:]} {stderr[-2000:]}")
    return parse_wrk(stdout), stdout


# --- Topologies -----------------------------------------------------------------------------------


def start_daphne(
    procs: Processes,
    env: dict[str, str],
    tmp: Path,
    count: int,
    *,
    proxy_headers: bool,
    server: str = "daphne",
) -> list[tuple[int, subprocess.Popen]]:
    """Start ``count`` application processes on free ports and wait until they answer.

    ``server`` is daphne (as deployed); uvicorn and gunicorn (WSGI, bench/wsgi_app.py, one sync
    worker per process) are experiments and must be importable (see bench/README.md).
    """
    started = []
    app = "community.asgi:application"
    for i in range(count):
        port = free_port()
        if server == "daphne":
            args = [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "-v", "0"]
            if proxy_headers:
                args.append("--proxy-headers")
            args.append(app)
        elif server == "uvicorn":
            args = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                    "--log-level", "warning", "--lifespan", "off"]  # fmt: skip
            if proxy_headers:
                args += ["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]
        elif server == "gunicorn":
            args = [sys.executable, "-m", "gunicorn", "bench.wsgi_app:application", "-b", f"127.0.0.1:{port}", "-w", "1",
                    "--log-level", "warning", "--forwarded-allow-ips", "127.0.0.1"]  # fmt: skip
        else:
            raise ValueError(server)
        log = tmp / f"{server}-{i + 1}.log"
        proc = procs.start(f"{server} {i + 1}", args, env=env, log=log)
        started.append((port, proc, log))
    for port, proc, log in started:
        wait_for_http(port, "/healthz", proc, log)
    return [(port, proc) for port, proc, _log in started]


def start_nginx(procs: Processes, tmp: Path, upstreams: list[int]) -> tuple[int, subprocess.Popen]:
    port = free_port()
    template = (Path(_HERE) / "nginx.conf.template").read_text()
    conf = template.format(
        prefix=tmp,
        port=port,
        static_root=f"{STATIC_ROOT}/",
        upstream_servers="\n        ".join(f"server 127.0.0.1:{p};" for p in upstreams),
    )
    conf_path = tmp / "nginx.conf"
    conf_path.write_text(conf)
    os.chmod(tmp, 0o755)  # nginx workers (user nobody) read nothing here, but keep it traversable
    log = tmp / "nginx.log"
    check = subprocess.run(
        [NGINX, "-t", "-q", "-c", str(conf_path), "-p", str(tmp), "-e", str(tmp / "error.log")],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        raise SystemExit(f"nginx -t failed:\n{check.stderr}")
    proc = procs.start(
        "nginx",
        [NGINX, "-c", str(conf_path), "-p", str(tmp), "-e", str(tmp / "error.log")],
        env=dict(os.environ),
        log=log,
    )
    wait_for_http(port, "/healthz", proc, log)
    return port, proc


def with_children(pids: list[int]) -> list[int]:
    """The processes and their direct children (gunicorn's and nginx's workers)."""
    found = list(pids)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) in pids:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return found


def nginx_pids(master: subprocess.Popen) -> list[int]:
    pids = [master.pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master.pid:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return pids


# --- Report -----------------------------------------------------------------------------------------


def goal_for(target: Target, topology: str) -> float:
    if topology == "single":
        return GOAL_SINGLE_THREAD if target.kind == "thread" else 0
    return GOAL_NGINX_THREAD if target.kind == "thread" else GOAL_NGINX_LIST


def table(all_targets: list[Target], args: argparse.Namespace) -> str:
    goals = args.database == "postgres"
    head = [
        "page", f"req/s ({args.connections} conn)", "p50 ms", "p99 ms", "1 conn: mean / p50 ms", "errors",
        "queries (writes)", "bytes", "app CPU ms/request", "CPU: app / nginx / machine", "background CPU before",
    ]  # fmt: skip
    if args.database == "postgres":
        head += ["PostgreSQL CPU ms/request", "new DB connections per request"]
    if goals:
        head.append("goal")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for t in all_targets:
        w16, w1 = t.wrk16, t.wrk1
        errors = w16.get("errors", 0) + w1.get("errors", 0)
        row = [
            f"`{t.path}`" if t.kind == "list" else f"{t.name}",
            f"{w16.get('rps', 0):.0f}",
            f"{w16.get('p50', 0):.0f}",
            f"{w16.get('p99', 0):.0f}",
            f"{w1.get('mean', 0):.1f} / {w1.get('p50', 0):.1f}",
            str(errors),
            t.queries,
            str(t.size),
            f"{t.cpu['app'] * 1000 / w16['rps']:.1f}" if w16.get("rps") and "app" in t.cpu else "",
            t.cpu.get("text", ""),
            t.cpu.get("background", ""),
        ]
        if args.database == "postgres":
            row.append(f"{t.cpu['db'] * 1000 / w16['rps']:.1f}" if w16.get("rps") and "db" in t.cpu else "")
            row.append(t.cpu.get("connections", "?"))
        if goals:
            wanted = goal_for(t, args.topology)
            ok = (
                w16.get("rps", 0) >= wanted
                and errors == 0
                and (args.topology == "single" or w16.get("p99", 1e9) < GOAL_P99_MS)
            )
            if args.topology == "single" and not wanted:
                row.append("—")
            else:
                row.append(
                    ("✓ " if ok else "✗ ")
                    + f"≥{wanted:g}/s"
                    + ("" if args.topology == "single" else f", p99<{GOAL_P99_MS} ms")
                )
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def git_revision() -> str:
    if os.environ.get("BENCH_REVISION"):
        return os.environ["BENCH_REVISION"]
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"
    return (rev or "unknown") + (" with uncommitted changes" if dirty else "")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


# --- Cold mode ------------------------------------------------------------------------------------


def empty_cache(env: dict[str, str]) -> None:
    """Empty the site's cache database (the bench's own Redis database, never another)."""
    import redis

    url = env["REDIS_URL"]
    client = redis.Redis.from_url(url)
    keys = client.dbsize()
    client.flushdb()
    client.close()
    print(f"emptied the cache ({url}: {keys} keys)")


def cold_paths(count: int, *, seed: int, exclude: set[str]) -> list[str]:
    """``count`` distinct thread pages the bench member may read, drawn at random across the
    whole seed: a random thread, then a random page of it."""
    import random

    from community.models import Member
    from threads.models import Thread

    member = Member.objects.get(email=LOGIN_EMAIL)
    threads = list(Thread.objects.visible_to(member).only("pk", "slug", "last_post_number"))
    if not threads:
        raise SystemExit(f"{LOGIN_EMAIL} may read no thread")
    rng = random.Random(seed)
    chosen: list[str] = []
    seen = set(exclude)
    for _attempt in range(count * 50):
        if len(chosen) == count:
            break
        thread = rng.choice(threads)
        path = f"{thread.get_absolute_url()}?page={rng.randint(1, thread.page_count)}"
        if path not in seen:
            seen.add(path)
            chosen.append(path)
    return chosen


def timed_pass(port: int, paths: list[str], cookies: dict[str, str], pids: list[int]) -> dict:
    """Ask for each path once, one request at a time on one kept-alive connection."""
    hz = os.sysconf("SC_CLK_TCK")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie_header(cookies)}
    times: list[float] = []
    before = cpu_ticks(pids)
    for path in paths:
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status}, not 200")
    cpu_ms = (cpu_ticks(pids) - before) / hz * 1000 / len(paths)
    conn.close()
    ordered = sorted(times)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "n": len(times),
        "p50": pct(0.50),
        "p90": pct(0.90),
        "p99": pct(0.99),
        "mean": sum(times) / len(times),
        "max": ordered[-1],
        "cpu": cpu_ms,
    }


def run_cold(args: argparse.Namespace, env: dict[str, str], db_note: str) -> str:
    from threads.management.commands.seed_large import BIG_TITLE_PREFIX
    from threads.models import Thread

    empty_cache(env)
    procs = Processes(grace=10)
    tmp = Path(tempfile.mkdtemp(prefix="samenleven-bench-"))
    try:
        ((port, daphne),) = start_daphne(procs, env, tmp, 1, proxy_headers=False, server=args.server)
        pids = with_children([daphne.pid])
        cookies = login(port)
        # The process's first requests import and compile what every page needs; they warm
        # the code, not the cache of the pages measured (which are never these).
        big = Thread.objects.get(title__startswith=BIG_TITLE_PREFIX)
        warm_up = [f"{big.get_absolute_url()}?page=1", "/", "/latest/"]
        for path in warm_up:
            for _ in range(3):
                fetch(port, path, cookies)
        paths = cold_paths(args.cold, seed=args.cold_seed, exclude=set(warm_up))
        background = wait_for_quiet(args.quiet / 100, args.quiet_wait)
        cold = timed_pass(port, paths, cookies, pids)
        warm = timed_pass(port, paths, cookies, pids)
    finally:
        procs.stop_all()
        if not args.keep_logs:
            shutil.rmtree(tmp, ignore_errors=True)
    rows = [
        "| pass | pages | p50 ms | p90 ms | p99 ms | mean ms | max ms | app CPU ms/page |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, result in (("cold (first visit, cache emptied)", cold), ("warm (the same pages again)", warm)):
        rows.append(
            f"| {name} | {result['n']} | {result['p50']:.1f} | {result['p90']:.1f} | {result['p99']:.1f} "
            f"| {result['mean']:.1f} | {result['max']:.1f} | {result['cpu']:.1f} |"
        )
    return "\n".join(
        [
            "",
            f"### {args.database}, cold thread pages (one {args.server} process, one request at a time)",
            "",
            f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {os.cpu_count()} cores ({cpu_model()}), "
            f"{platform.python_implementation()} {platform.python_version()}, revision {git_revision()}. "
            f"{args.cold} distinct pages drawn with seed {args.cold_seed}; other work used {background * 100:.0f}% "
            f"of the CPU just before; load average {os.getloadavg()[0]:.2f}. Logged in as {LOGIN_EMAIL}. {db_note}.",
            "",
            "\n".join(rows),
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--topology", choices=["single", "nginx"], default="nginx")
    parser.add_argument(
        "--duration", type=int, default=10, help="seconds of wrk per page at --connections (default 10)"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--single-duration", type=int, default=4, help="seconds of wrk per page at 1 connection (default 4)"
    )
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load per page before measuring (default 2)")
    parser.add_argument(
        "--db-pool", action="store_true",
        help="PostgreSQL: use Django's psycopg connection pool (DATABASE_URL ?pool=true, CONN_MAX_AGE=0; needs psycopg[pool])",
    )  # fmt: skip
    parser.add_argument(
        "--conn-max-age", type=int, default=60,
        help=f"CONN_MAX_AGE of the site (default 60; a run stops when more than {PG_CONNECTION_LIMIT} connections are open)",
    )  # fmt: skip
    parser.add_argument(
        "--http-threads", type=int,
        help="HTTP_THREADS of the site (default: 1 with --topology nginx, a process per core as the README deploys it;"
        " the site's default with one process)",
    )  # fmt: skip
    parser.add_argument(
        "--no-prepared-statements",
        action="store_true",
        help="PostgreSQL: DATABASE_PREPARED_STATEMENTS=0 (plan every query again)",
    )
    parser.add_argument(
        "--server", choices=["daphne", "uvicorn", "gunicorn"], default="daphne",
        help="experiment: the application server (daphne as deployed; uvicorn, or gunicorn serving WSGI)",
    )  # fmt: skip
    parser.add_argument(
        "--quiet", type=float, default=15, help="wait until other work uses less than this %% of the CPU (default 15)"
    )
    parser.add_argument(
        "--quiet-wait", type=float, default=90, help="but wait at most this many seconds per page (default 90)"
    )
    parser.add_argument("--only", help="measure only the pages whose name or path contains this text")
    parser.add_argument("--fresh", action="store_true", help="drop the bench database first and seed it again")
    parser.add_argument("--seed-args", default="", help="extra arguments for seed_large, e.g. '--posts 20000'")
    parser.add_argument("--markdown", type=Path, help="also append the report to this file")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary folder with the server logs")
    parser.add_argument(
        "--cold", type=int, metavar="N",
        help="cold mode: empty the cache, then N distinct random thread pages once each, then again warm",
    )  # fmt: skip
    parser.add_argument("--cold-seed", type=int, default=1, help="the random seed of --cold's pages (default 1)")
    args = parser.parse_args()
    for name, value in (("duration", args.duration), ("single-duration", args.single_duration)):
        if not 1 <= value <= 120:
            parser.error(f"--{name} must be between 1 and 120 (whole) seconds")
    if not 1 <= args.connections <= 512:
        parser.error("--connections must be between 1 and 512")

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    if args.db_pool and args.database != "postgres":
        parser.error("--db-pool is for PostgreSQL")
    if args.http_threads is None and args.topology == "nginx":
        args.http_threads = 1  # as deployed: a process per core, one request thread each (README, "Deploying")
    env = bench_env(args.database, db_pool=args.db_pool, conn_max_age=args.conn_max_age, http_threads=args.http_threads)
    if args.no_prepared_statements:
        env["DATABASE_PREPARED_STATEMENTS"] = "0"
    prepare(args.database, env, args.seed_args.split(), fresh=args.fresh)
    django_setup(env)
    db_note = check_database_options(args.database)
    print(db_note)
    if args.cold:
        if not 1 <= args.cold <= 5000:
            parser.error("--cold must be between 1 and 5000 pages")
        report = run_cold(args, env, db_note)
        print(report)
        if args.markdown:
            with open(args.markdown, "a") as handle:
                handle.write(report + "\n")
        return
    all_targets = targets()
    if args.only:
        all_targets = [t for t in all_targets if args.only in t.name or args.only in t.path]

    procs = Processes(grace=10)
    tmp = Path(tempfile.mkdtemp(prefix="samenleven-bench-"))
    try:
        if args.topology == "single":
            ((port, daphne),) = start_daphne(procs, env, tmp, 1, proxy_headers=False, server=args.server)
            app_pids, nginx_pid_list = [daphne.pid], []
        else:
            daphnes = start_daphne(procs, env, tmp, 2, proxy_headers=True, server=args.server)
            port, nginx = start_nginx(procs, tmp, [p for p, _proc in daphnes])
            app_pids, nginx_pid_list = [proc.pid for _p, proc in daphnes], nginx_pids(nginx)
        app_pids = with_children(app_pids)
        print(f"serving on http://127.0.0.1:{port}/ ({args.topology}; logs in {tmp})")
        cookies = login(port)
        count_queries(all_targets, cookies)
        for target in all_targets:
            status, body = fetch(port, target.path, cookies)
            if status != 200:
                raise SystemExit(f"GET {target.path} as {LOGIN_EMAIL} answered {status}, not 200")
            target.size = len(body)
        # Static files through the front server, once (nginx serves them itself).
        css = re.search(rb'href="(/static/[^"]+\.css)"', body)
        if css:
            status, _css = fetch(port, css.group(1).decode(), cookies)
            print(f"static {css.group(1).decode()}: {status}")

        hz = os.sysconf("SC_CLK_TCK")
        watch_pg = args.database == "postgres"
        for target in all_targets:
            url = f"http://127.0.0.1:{port}{target.path}"
            if args.warmup > 0:
                run_wrk(
                    url,
                    cookies,
                    threads=args.wrk_threads,
                    connections=args.connections,
                    duration=args.warmup,
                    watch_pg=watch_pg,
                )
            background = wait_for_quiet(args.quiet / 100, args.quiet_wait)
            sessions_before = pg_sessions() if args.database == "postgres" else None
            app_before, nginx_before, (total_before, idle_before) = (
                cpu_ticks(app_pids),
                cpu_ticks(nginx_pid_list),
                machine_ticks(),
            )
            db_before = ticks_by_pid(postgres_pids() if args.database == "postgres" else [])
            started = time.monotonic()
            target.wrk16, raw16 = run_wrk(
                url,
                cookies,
                threads=args.wrk_threads,
                connections=args.connections,
                duration=args.duration,
                watch_pg=watch_pg,
            )
            elapsed = time.monotonic() - started
            total_after, idle_after = machine_ticks()
            app_cpu = (cpu_ticks(app_pids) - app_before) / hz / elapsed
            nginx_cpu = (cpu_ticks(nginx_pid_list) - nginx_before) / hz / elapsed
            db_cpu = ticks_since(db_before, postgres_pids() if args.database == "postgres" else []) / hz / elapsed
            busy = 1 - (idle_after - idle_before) / max(1, total_after - total_before)
            target.cpu = {
                "text": f"{app_cpu * 100:.0f}% / {nginx_cpu * 100:.0f}% / {busy * 100:.0f}%",
                "app": app_cpu,
                "db": db_cpu,
                "background": f"{background * 100:.0f}%",
            }
            if sessions_before is not None and target.wrk16.get("requests"):
                opened = (pg_sessions() or sessions_before) - sessions_before
                target.cpu["connections"] = f"{opened / target.wrk16['requests']:.2f}"
            target.wrk1, raw1 = run_wrk(
                url, cookies, threads=1, connections=1, duration=args.single_duration, watch_pg=watch_pg
            )
            print(
                f"{target.name:<28} {target.wrk16.get('rps', 0):7.1f} req/s  p50 {target.wrk16.get('p50', 0):6.1f} ms  "
                f"p99 {target.wrk16.get('p99', 0):6.1f} ms  1 conn {target.wrk1.get('mean', 0):5.1f} ms  "
                f"errors {target.wrk16.get('errors', 0) + target.wrk1.get('errors', 0)}  cpu {target.cpu['text']}"
                f"  app cpu/request {target.cpu['app'] * 1000 / max(target.wrk16.get('rps', 0), 0.001):.1f} ms"
                f"  db cpu/request {target.cpu['db'] * 1000 / max(target.wrk16.get('rps', 0), 0.001):.1f} ms"
                f"  db connections/request {target.cpu.get('connections', '-')}",
                flush=True,
            )
            if target.wrk16.get("errors") or target.wrk1.get("errors"):
                print(raw16, raw1, sep="\n")
    finally:
        procs.stop_all()
        if not args.keep_logs:
            shutil.rmtree(tmp, ignore_errors=True)

    report = "\n".join(
        [
            "",
            f"### {args.database}, {args.topology} "
            + (
                f"(one {args.server} process)"
                if args.topology == "single"
                else f"(nginx + two {args.server} processes)"
            )
            + (", psycopg pool" if args.db_pool else "")
            + (f", HTTP_THREADS={args.http_threads}" if args.http_threads else ""),
            "",
            f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {os.cpu_count()} cores ({cpu_model()}), "
            f"{platform.python_implementation()} {platform.python_version()}, revision {git_revision()}. "
            f"wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration:g}s after {args.warmup:g}s warm-up; "
            f"1 conn: wrk -t1 -c1 -d{args.single_duration:g}s. Logged in as {LOGIN_EMAIL}. {db_note}."
            + (f" Experiment: {args.server} instead of daphne." if args.server != "daphne" else ""),
            "",
            table(all_targets, args),
            "",
        ]
    )
    print(report)
    if args.markdown:
        with open(args.markdown, "a") as handle:
            handle.write(report + "\n")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted; everything started was stopped", file=sys.stderr)
        sys.exit(130)
