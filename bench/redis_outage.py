"""What a Redis outage costs: a mixed load for 60 s, with Redis stopped at 20 s and started at 40 s.

    .venv/bin/python bench/redis_outage.py [--database sqlite|postgres] [--workers 6]
                                           [--duration 60] [--stop-at 20] [--start-at 40]

Starts, on 127.0.0.1 only: a redis-server of its own on a free port (never the shared one),
and two daphne processes (DEBUG=0, HTTP_THREADS=1, as the README deploys them, without nginx:
the client sends its requests to the two round-robin) on a fresh SQLite file
(var/outage.sqlite3) or PostgreSQL database (samenleven_outage), seeded with
``import_municipalities`` and a small ``seed_large``. Then ``--workers`` client threads, each
logged in as a member of its own, run a mixed load as fast as the site answers: thread pages,
lists, the notifications page, replies, fresh logins (a new session each), and /healthz.
Redis is stopped with SIGTERM to its PID at ``--stop-at`` seconds and a new redis-server
(empty: it saves nothing) is started on the same port at ``--start-at``.

Prints per phase (before, during and after the outage) the requests, the status counts, the
p50 and p99 latency, the 5xx outside /healthz (the goal: none), the redirects to the login
page (a member whose session was lost; the goal: none) and /healthz's answers, and per kind
of request; and counts what the daphne processes logged. Everything it started is
stopped by PID at the end, also on Ctrl-C, SIGTERM and errors. See bench/README.md.
"""

from __future__ import annotations

# bench/ holds http.py: keep the folder off sys.path so that ``import http`` finds the standard library.
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))  # the project's folder: bench.harness

import argparse  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.harness import Browser, Processes, free_port, wait_for_port  # noqa: E402

ROOT = Path(_HERE).parent
VENV_BIN = Path(sys.executable).parent
DAPHNE = VENV_BIN / "daphne"
REDIS_SERVER = "redis-server"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_NAME = "samenleven_outage"
SQLITE_PATH = ROOT / "var" / "outage.sqlite3"
STATIC_ROOT = ROOT / "var" / "outage-static"
SEED = [
    "--members",
    "60",
    "--threads",
    "40",
    "--posts",
    "800",
    "--big-thread-posts",
    "80",
    "--bodies",
    "40",
    "--readers",
    "10",
]
#: Kinds of request and how often each is chosen.
MIX = {"thread": 38, "list": 15, "notifications": 17, "reply": 18, "login": 6, "healthz": 6}
PHASES = ("before", "during", "after")


# --- Processes ----------------------------------------------------------------------------------


def start_redis(procs: Processes, port: int, log: Path) -> subprocess.Popen:
    args = [
        REDIS_SERVER,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
    ]
    proc = procs.start("redis-server", args, env=dict(os.environ), log=log)
    wait_for_port(port, proc, log)
    return proc


# --- The site -----------------------------------------------------------------------------------


def site_env(database: str, redis_port: int) -> dict[str, str]:
    url = f"postgres://postgres@127.0.0.1:5432/{PG_NAME}" if database == "postgres" else f"sqlite:///{SQLITE_PATH}"
    env = dict(os.environ)
    for name in ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "EMAIL_URL", "VAR_DIR", "DATABASE_URL"):
        env.pop(name, None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "community.settings",
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "HTTPS": "0",
            "DATABASE_URL": url,
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "CACHE_KEY_PREFIX": "samenleven-outage",
            "CHANNEL_PREFIX": "samenleven-outage",
            "EMAIL_URL": "console://",
            "STATIC_ROOT": str(STATIC_ROOT),
            "HTTP_THREADS": "1",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "plain",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "manage.py", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    print(f"  manage.py {' '.join(args)} ({time.monotonic() - started:.1f}s)")
    return result.stdout


def fresh_database(database: str) -> None:
    if database == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_NAME}")
    else:
        SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)


def prepare(database: str, env: dict[str, str]) -> dict[str, list]:
    """A fresh database with a few members and threads; returns what the load uses."""
    fresh_database(database)
    manage(env, "migrate", "--noinput")
    manage(env, "import_municipalities")
    manage(env, "seed_large", *SEED)
    manage(env, "collectstatic", "--noinput")
    script = (
        "from threads.models import Thread; from community.models import Member\n"
        "print('THREADS', ' '.join(str(pk) for pk in Thread.objects.filter(group__slug='het-plein', hidden=False, locked=False).values_list('pk', flat=True)))\n"
        "print('MEMBERS', ' '.join(Member.objects.filter(email__endswith='@bench.samenleven.nl', is_active=True)"
        ".order_by('email').values_list('email', flat=True)))\n"
    )
    out = manage(env, "shell", "-c", script)
    found = {line.split(" ", 1)[0]: line.split(" ", 1)[1].split() for line in out.splitlines() if " " in line}
    return {"threads": [int(pk) for pk in found["THREADS"]], "members": found["MEMBERS"]}


def start_daphnes(procs: Processes, env: dict[str, str], tmp: Path) -> list[tuple[int, subprocess.Popen, Path]]:
    started = []
    for number in (1, 2):
        port = free_port()
        log = tmp / f"daphne-{number}.log"
        proc = procs.start(
            f"daphne {number}",
            [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "community.asgi:application"],
            env=env,
            log=log,
        )
        started.append((port, proc, log))
    for port, proc, log in started:
        wait_for_port(port, proc, log)
    return started


# --- The load -------------------------------------------------------------------------------------


@dataclass
class Result:
    started: float  # seconds since the load started
    kind: str
    status: int  # 0: no answer (connection refused or reset, timeout)
    seconds: float
    to_login: bool  # redirected to the login page: the member's session was lost


#: Set on Ctrl-C: the workers stop sending, so that the servers can stop.
stopping = threading.Event()


def worker(
    browser: Browser, threads: list[int], start: float, duration: float, results: list[Result], seed: int
) -> None:
    rng = random.Random(seed)
    kinds, weights = list(MIX), list(MIX.values())
    browser.log_in()
    while (now := time.monotonic()) - start < duration and not stopping.is_set():
        kind = rng.choices(kinds, weights)[0]
        thread = rng.choice(threads)
        if kind == "thread":
            status, _ = browser.request("GET", f"/t/{thread}/?page=1")
        elif kind == "list":
            status, _ = browser.request("GET", rng.choice(["/", "/latest/", "/groups/het-plein/"]))
        elif kind == "notifications":
            status, _ = browser.request("GET", "/notifications/")
        elif kind == "reply":
            status, _ = browser.request(
                "POST", f"/t/{thread}/reply/", {"body": f"Een reactie tijdens de meting, {rng.randrange(10**6)}."}
            )
        elif kind == "login":
            status = browser.log_in()
        else:
            status, _ = browser.request("GET", "/healthz")
        to_login = status == 302 and browser.location.startswith("/accounts/login/")
        results.append(Result(now - start, kind, status, time.monotonic() - now, to_login))
    browser.close()


# --- Report ---------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def phase_of(result: Result, stop_at: float, start_at: float) -> str:
    return "before" if result.started < stop_at else "during" if result.started < start_at else "after"


def statuses(results: list[Result]) -> str:
    counts = Counter("302 to login" if result.to_login else str(result.status or "no answer") for result in results)
    return ", ".join(f"{status}: {count}" for status, count in sorted(counts.items()))


def report(results: list[Result], args: argparse.Namespace, logs: dict[str, str], note: str) -> str:
    by_phase: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_phase[phase_of(result, args.stop_at, args.start_at)].append(result)
    lines = [
        f"{note}",
        "",
        "| phase | requests | statuses (all) | p50 ms | p99 ms | 5xx outside /healthz | sent to log in | no answer | /healthz |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for phase in PHASES:
        rows = by_phase[phase]
        pages = [result for result in rows if result.kind != "healthz"]
        health = [result for result in rows if result.kind == "healthz"]
        failures = sum(1 for result in pages if result.status >= 500)
        lines.append(
            f"| {phase} | {len(rows)} | {statuses(rows)} | {percentile([r.seconds for r in pages], 0.5) * 1000:.0f} "
            f"| {percentile([r.seconds for r in pages], 0.99) * 1000:.0f} | {failures} | {sum(1 for r in pages if r.to_login)} "
            f"| {sum(1 for r in pages if r.status == 0)} | {statuses(health)} |"
        )
    lines += ["", "| kind | " + " | ".join(PHASES) + " |", "|---|" + "---|" * len(PHASES)]
    for kind in MIX:
        cells = []
        for phase in PHASES:
            rows = [result for result in by_phase[phase] if result.kind == kind]
            cells.append(
                f"{len(rows)}: {statuses(rows)}; p50 {percentile([r.seconds for r in rows], 0.5) * 1000:.0f} ms"
                if rows
                else "-"
            )
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines += ["", "What the daphne processes logged (lines):", ""]
    for name, text in logs.items():
        found = Counter()
        for line in text.splitlines():
            for label, pattern in (
                ("Redis cache failed", "community.performance.cache Redis cache failed"),
                ("Redis cache works again", "community.performance.cache Redis cache works again"),
                ("session cache failed", "community.sessions The session cache failed"),
                ("session cache works again", "community.sessions The session cache works again"),
                ("could not publish (live events)", "Could not publish"),
                ("channel layer receive task", "Unexpected exception in receive task"),
                ("health check: channel layer", "Health check: channel layer unreachable"),
                ("errors (django.request ERROR)", "ERROR django.request"),
                ("tracebacks", "Traceback (most recent call last)"),
            ):
                if pattern in line:
                    found[label] += 1
        lines.append(f"- {name}: " + (", ".join(f"{label} {count}" for label, count in found.items()) or "nothing"))
    return "\n".join(lines)


# --- Main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=6, help="client threads, each a member of its own (default 6)")
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument(
        "--stop-at", type=float, default=20, help="stop Redis (SIGTERM) after this many seconds (default 20)"
    )
    parser.add_argument(
        "--start-at", type=float, default=40, help="start Redis again after this many seconds (default 40)"
    )
    parser.add_argument("--markdown", type=Path, help="also append the report to this file")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary folder with the server logs")
    args = parser.parse_args()
    if not 0 < args.stop_at < args.start_at < args.duration <= 120:
        parser.error("need 0 < --stop-at < --start-at < --duration <= 120")
    if not 1 <= args.workers <= 32:
        parser.error("--workers must be between 1 and 32")

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    procs = Processes(grace=10)
    tmp = Path(tempfile.mkdtemp(prefix="redis-outage-"))
    workers: list[threading.Thread] = []
    try:
        redis_port = free_port()
        redis = start_redis(procs, redis_port, tmp / "redis-1.log")
        env = site_env(args.database, redis_port)
        print(f"preparing the {args.database} database (fresh)")
        data = prepare(args.database, env)
        daphnes = start_daphnes(procs, env, tmp)
        ports = [port for port, _proc, _log in daphnes]
        members = data["members"][: args.workers]
        print(
            f"redis-server pid {redis.pid} on port {redis_port}; daphne pids {[proc.pid for _p, proc, _l in daphnes]} on ports {ports}"
        )
        print(
            f"load: {args.workers} workers for {args.duration:.0f}s; Redis stopped at {args.stop_at:.0f}s, started at {args.start_at:.0f}s"
        )

        results: list[Result] = []
        load_before = os.getloadavg()[0]
        start = time.monotonic()
        workers += [
            threading.Thread(
                target=worker,
                args=(Browser(ports, email), data["threads"], start, args.duration, results, number),
                daemon=True,
            )
            for number, email in enumerate(members)
        ]
        for thread in workers:
            thread.start()
        time.sleep(max(0.0, start + args.stop_at - time.monotonic()))
        procs.stop(redis)
        print(f"  {time.monotonic() - start:5.1f}s Redis (pid {redis.pid}) stopped")
        time.sleep(max(0.0, start + args.start_at - time.monotonic()))
        redis = start_redis(procs, redis_port, tmp / "redis-2.log")
        print(f"  {time.monotonic() - start:5.1f}s Redis started again (pid {redis.pid})")
        for thread in workers:
            thread.join(timeout=args.duration + 60)
        load_after = os.getloadavg()[0]
        logs = {
            f"daphne {number}": log.read_text(errors="replace") for number, (_port, _proc, log) in enumerate(daphnes, 1)
        }
        versions = subprocess.run([REDIS_SERVER, "--version"], capture_output=True, text=True).stdout.split(" ")[2]
        note = (
            f"`{args.database}`, {args.workers} workers, {args.duration:.0f} s, Redis stopped at {args.stop_at:.0f} s and "
            f"started at {args.start_at:.0f} s (Redis {versions.removeprefix('v=')}, two daphne, HTTP_THREADS=1, DEBUG=0; "
            f"load average of the machine {load_before:.1f} before, {load_after:.1f} after, on {os.cpu_count()} cores)"
        )
        text = report(results, args, logs, note)
        print()
        print(text)
        if args.markdown:
            with open(args.markdown, "a") as handle:
                handle.write(text + "\n\n")
        failures = sum(1 for result in results if result.kind != "healthz" and result.status >= 500)
        print(f"\n5xx outside /healthz: {failures}")
    except KeyboardInterrupt:
        print("interrupted; stopping everything this script started", file=sys.stderr)
    finally:
        stopping.set()
        deadline = time.monotonic() + 10
        for thread in workers:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        procs.stop_all()
        if args.keep_logs:
            print(f"logs kept in {tmp}")
        else:
            for path in tmp.iterdir():
                path.unlink()
            tmp.rmdir()


if __name__ == "__main__":
    main()
