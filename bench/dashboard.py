"""Dashboard benchmark: how fast ``/dashboard/`` answers over the large seed.

    .venv/bin/python bench/dashboard.py [--repeat 30] [--duration 10] [--no-http]

Uses a PostgreSQL database of its own, ``samenleven_dashboard_bench`` (or ``DATABASE_URL``), so
that it neither changes the schema under the other benchmarks nor loses its data to
``bench/http.py --fresh``. Prepares it when needed: creates it, migrates, and when the large
seed is missing runs import_municipalities and seed_large with its defaults (deterministic: the
same data as ``samenleven_bench``; a few minutes). An existing seed is reused, never dropped.
It adds two accounts if they are missing: ``bench-staff@bench.samenleven.nl`` (programme team)
and ``bench-ambassador@bench.samenleven.nl`` (ambassador of Zuid-Holland), password
``samenleven-bench``.

Measured, per page (the whole country as staff, another measure and sort order, one province,
an ambassador's view, the CSV export):

1. in this process, through Django's test client with ``DEBUG=0``: ``--repeat`` timed requests
   after two warm-ups (middleware, session, the view, the template), p50, p95 and max, and the
   number of queries;
2. over HTTP (unless ``--no-http``): one daphne process as deployed (``DEBUG=0``), logged in
   through the login form, ``wrk -t1 -c1 -d<duration>s --latency``: one request at a time, the
   time a member waits for the page; the CPU the daphne process used per request meanwhile
   (what the page costs, whatever else runs). Also the very first request after the process
   started (the map's geometry is made then, once per process) and the page's size, plain
   and gzipped.

The load average is printed before and after every page, and, over HTTP, the share of the CPU
other work used just before: other work on the machine slows everything down, and the figures
mean little without it (``--quiet 0.3`` waits, at most ``--quiet-wait`` seconds, until other
work uses less than 30%). Redis: set ``REDIS_URL`` (and
``CACHE_KEY_PREFIX``) for the cache and sessions as in production; without it the site uses its
in-process cache. Goal (dashboard issue): the page answers in under 150 ms on this data.
See bench/README.md, section "The programme's view".
"""

from __future__ import annotations

# This folder holds bench/http.py: keep it off sys.path before anything imports ``http``
# (the standard library's), or that finds the script.
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [path for path in sys.path if os.path.abspath(path or os.getcwd()) != _HERE]

import argparse  # noqa: E402
import gzip  # noqa: E402
import http.client  # noqa: E402
import importlib.util  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

ROOT = Path(_HERE).parent
sys.path.insert(0, str(ROOT))
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "samenleven_dashboard_bench"
STAFF_EMAIL = "bench-staff@bench.samenleven.nl"
AMBASSADOR_EMAIL = "bench-ambassador@bench.samenleven.nl"
GOAL_MS = 150.0

# (name, who, path)
PAGES = [
    ("whole country, members", "staff", "/dashboard/"),
    ("whole country, active members, sorted by threads", "staff", "/dashboard/?measure=active&sort=-threads"),
    (
        "one province (Zuid-Holland), unanswered questions",
        "staff",
        "/dashboard/?province=zuid-holland&measure=unanswered",
    ),
    ("ambassador of Zuid-Holland", "ambassador", "/dashboard/"),
    ("CSV export, every municipality", "staff", "/dashboard/export.csv"),
]


def _bench_http():
    """bench/http.py's process and wrk helpers (the file is a script named like a stdlib module)."""
    spec = importlib.util.spec_from_file_location("bench_http", Path(_HERE) / "http.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_http"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def environment() -> dict[str, str]:
    """Production-like settings: DEBUG off (no query log, cached templates), plain HTTP."""
    values = {
        "DATABASE_URL": f"{PG_SERVER}/{PG_DATABASE}",
        "DJANGO_SETTINGS_MODULE": "community.settings",
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "STATIC_ROOT": str(ROOT / "var" / "bench-dashboard-static"),
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": "console://",
    }
    for name, value in values.items():
        os.environ.setdefault(name, value)
    return dict(os.environ)


def ensure_database() -> None:
    """Create the benchmark's own database when it does not exist yet (nothing else is touched)."""
    import psycopg

    if os.environ["DATABASE_URL"] != f"{PG_SERVER}/{PG_DATABASE}":
        return
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DATABASE]).fetchone() is None:
            print(f"Creating the database {PG_DATABASE}", flush=True)
            connection.execute(f'CREATE DATABASE "{PG_DATABASE}"')


def prepare() -> None:
    """Migrate and seed when needed; an existing large seed is reused as it is."""
    from django.core.management import call_command
    from django.db import connection

    from threads.management.commands.seed_large import BIG_TITLE_PREFIX
    from threads.models import Thread

    call_command("migrate", "--noinput", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    if not Thread.objects.filter(title__startswith=BIG_TITLE_PREFIX).exists():
        if connection.vendor != "postgresql":
            raise SystemExit(
                "No large seed in this SQLite database; seeding one here is not done for you (run seed_large)."
            )
        print("The large seed is missing: running import_municipalities and seed_large (minutes)...", flush=True)
        call_command("import_municipalities", verbosity=0)
        call_command("seed_large")
    accounts()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")


def accounts() -> None:
    """The programme team's bench account and an ambassador of Zuid-Holland, if missing."""
    from django.utils import timezone

    from community import actions
    from community.models import Group, Member, Municipality
    from threads.management.commands.seed_large import BENCH_PASSWORD

    staff = Member.objects.filter(email=STAFF_EMAIL).first()
    if staff is None:
        staff = Member.objects.create_user(
            STAFF_EMAIL, BENCH_PASSWORD, name="Programmateam (bench)", handle="bench_staff", is_staff=True,
            status=Member.Status.ACTIVE, email_verified_at=timezone.now(), approved_at=timezone.now(),
        )  # fmt: skip
    if not Member.objects.filter(email=AMBASSADOR_EMAIL).exists():
        ambassador = Member.objects.create_user(
            AMBASSADOR_EMAIL, BENCH_PASSWORD, name="Ambassadeur (bench)", handle="bench_ambassador",
            municipality=Municipality.objects.get(code="GM0503"), status=Member.Status.PENDING, email_verified_at=timezone.now(),
        )  # fmt: skip
        actions.approve_member(actor=staff, member=ambassador)
        actions.make_moderator(member=ambassador, group=Group.objects.get(slug="zuid-holland"), actor=staff)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def in_process(repeat: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from community.models import Member

    clients = {}
    for who, email in (("staff", STAFF_EMAIL), ("ambassador", AMBASSADOR_EMAIL)):
        client = Client()
        client.force_login(Member.objects.get(email=email), backend="community.auth.EmailBackend")
        clients[who] = client
    results = []
    for name, who, path in PAGES:
        client = clients[who]
        before = load()
        for _ in range(2):
            assert client.get(path).status_code == 200, path
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        queries = len(captured)  # now: the next request empties the log
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, path
        results.append(
            {
                "page": name, "path": path, "queries": queries, "p50": statistics.median(times),
                "p95": percentile(times, 0.95), "max": max(times), "load before": before, "load after": load(),
            }
        )  # fmt: skip
        print(
            f"  in process: {name}: p50 {results[-1]['p50']:.1f} ms, load {before} -> {results[-1]['load after']}",
            flush=True,
        )
    return results


def log_in(port: int, email: str, password: str) -> dict[str, str]:
    from http.cookies import SimpleCookie

    def cookies_of(response, into: dict[str, str]) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                into[key] = morsel.value

    cookies: dict[str, str] = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    page = response.read().decode()
    cookies_of(response, cookies)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urlencode({"csrfmiddlewaretoken": token, "username": email, "password": password})
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    response = conn.getresponse()
    response.read()
    cookies_of(response, cookies)
    conn.close()
    if response.status != 302 or "sessionid" not in cookies:
        raise SystemExit(f"login as {email} failed: {response.status}")
    return {key: cookies[key] for key in ("sessionid", "csrftoken")}


def fetch(port: int, path: str, cookies: dict[str, str]) -> tuple[int, bytes, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return response.status, body, elapsed


def over_http(env: dict[str, str], duration: int, quiet: float, quiet_wait: float) -> tuple[list[dict], float]:
    bench_http = _bench_http()
    from threads.management.commands.seed_large import BENCH_PASSWORD

    procs = bench_http.Processes()
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
            [(port, proc)] = bench_http.start_daphne(procs, env, Path(tmp), 1, proxy_headers=False)
            cookies = {
                "staff": log_in(port, STAFF_EMAIL, BENCH_PASSWORD),
                "ambassador": log_in(port, AMBASSADOR_EMAIL, BENCH_PASSWORD),
            }
            status, _body, first = fetch(port, PAGES[0][2], cookies["staff"])
            assert status == 200
            tick = 1000 / os.sysconf("SC_CLK_TCK")
            for name, who, path in PAGES:
                busy = bench_http.wait_for_quiet(quiet, quiet_wait) if quiet < 1 else bench_http.background_busy()
                before = load()
                status, body, _elapsed = fetch(port, path, cookies[who])
                assert status == 200, (path, status)
                for _ in range(3):
                    fetch(port, path, cookies[who])
                ticks = bench_http.ticks_by_pid([proc.pid])
                wrk, _output = bench_http.run_wrk(
                    f"http://127.0.0.1:{port}{path}", cookies[who], threads=1, connections=1, duration=duration
                )
                cpu = bench_http.ticks_since(ticks, [proc.pid]) * tick / max(1, wrk["requests"])
                if wrk["errors"]:
                    raise SystemExit(f"{path}: {wrk['errors']} errors")
                results.append(
                    {
                        "page": name, "path": path, "mean": wrk["mean"], "p50": wrk["p50"], "p99": wrk["p99"], "requests": wrk["requests"],
                        "bytes": len(body), "gzip": len(gzip.compress(body)), "load before": before, "load after": load(),
                        "cpu": cpu, "busy": busy,
                    }
                )  # fmt: skip
                print(
                    f"  over HTTP: {name}: p50 {wrk['p50']:.1f} ms, load {before} -> {results[-1]['load after']}",
                    flush=True,
                )
    finally:
        procs.stop_all()
    return results, first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeat", type=int, default=30, help="timed requests per page in process (after two warm-ups)"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page over HTTP")
    parser.add_argument("--no-http", action="store_true", help="only the in-process measurement")
    parser.add_argument(
        "--quiet", type=float, default=1.0, metavar="SHARE",
        help="over HTTP, before each page wait until other work uses less than this share of the CPU (e.g. 0.3; 1: do not wait)",
    )  # fmt: skip
    parser.add_argument("--quiet-wait", type=float, default=60, help="seconds to wait for --quiet at most")
    args = parser.parse_args()

    env = environment()
    import django

    django.setup()
    ensure_database()
    prepare()

    from django.db import connection

    from community.models import Member
    from threads.models import Post, Thread

    print(
        f"Dashboard benchmark on {connection.vendor} ({connection.settings_dict['NAME']}): {Member.objects.count():,} members, "
        f"{Thread.objects.count():,} threads, {Post.objects.count():,} posts; {os.cpu_count()} CPUs; "
        f"load average (1/5/15 min) {load()}; cache {'Redis' if os.environ.get('REDIS_URL') else 'in process'}\n",
        flush=True,
    )
    local = in_process(args.repeat)
    remote, first = ([], 0.0) if args.no_http else over_http(env, args.duration, args.quiet, args.quiet_wait)

    print("\n### In process (Django test client, DEBUG=0)\n")
    print("| page | queries | p50 ms | p95 ms | max ms | load average before → after |")
    print("|---|---:|---:|---:|---:|---|")
    for row in local:
        print(
            f"| {row['page']} | {row['queries']} | {row['p50']:.1f} | {row['p95']:.1f} | {row['max']:.1f} | {row['load before']} → {row['load after']} |"
        )
    if remote:
        print(f"\n### Over HTTP (one daphne, wrk -t1 -c1 -d{args.duration}s)\n")
        print(
            "| page | requests | mean ms | p50 ms | p99 ms | app CPU ms/request | bytes | gzipped | other work on the CPU before | load average before → after | under 150 ms? |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
        for row in remote:
            verdict = "yes" if row["p99"] < GOAL_MS else ("p50 yes, p99 no" if row["p50"] < GOAL_MS else "no")
            print(
                f"| {row['page']} | {row['requests']} | {row['mean']:.1f} | {row['p50']:.1f} | {row['p99']:.1f} | {row['cpu']:.1f} | {row['bytes']:,} | "
                f"{row['gzip']:,} | {row['busy']:.0%} | {row['load before']} → {row['load after']} | {verdict} |"
            )
        print(f"\nFirst request after the process started (the geometry is made then): {first:.0f} ms")
    print(f"Load average at the end: {load()} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
