"""Where the time of one page goes: py-spy on the daphne process under wrk load, or pyinstrument
in-process.

    .venv/bin/python bench/profile.py [--database postgres|sqlite] [--page first|middle|last|/path/]
                                      [--mode pyspy|pyinstrument] [--duration 10] [--connections 16]

``pyspy`` (default): starts one daphne process (DEBUG=0, like bench/http.py --topology single),
logs in as the bench member, runs wrk against the page and samples the process with
``py-spy record`` meanwhile. Every sample is put in the category of its innermost recognisable
frame (template rendering, ORM, database driver, session, auth, middleware, URL routing, view
code, Django request handling, daphne/Twisted/asgiref); prints the shares, the top functions by
own time and the top functions by total time. Needs py-spy (``.venv/bin/pip install py-spy``).

``pyinstrument``: renders the page ``--requests`` times in this process with the test Client
(no server, so no ASGI overhead) and prints pyinstrument's call tree.

``split``: no profiler, only clocks: renders each benchmark page ``--requests`` times in this
process and splits the time of a request into middleware (session, auth, language, CSRF, ...),
view code, template rendering and SQL (time in the driver's execute, fetch included).

The bench database must exist: run bench/http.py once first (it migrates and seeds).
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != _HERE]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_http", os.path.join(_HERE, "http.py"))
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_http"] = bench
_spec.loader.exec_module(bench)

PY_SPY = shutil.which("py-spy", path=str(bench.VENV_BIN)) or shutil.which("py-spy")

# Innermost matching frame decides the category (checked from the leaf towards the root).
# Matched against the frame's file name as py-spy prints it (relative to sys.path, e.g.
# "psycopg/connection.py", "threads/views/posts.py", "threading.py"). A sample goes to the
# category of its innermost matching frame; helpers (django/utils, asgiref's Local, the
# standard library) match nothing, so their time goes to whoever called them.
CATEGORIES = [
    ("database: driver and waiting for the server", ("psycopg/", "psycopg_binary/", "psycopg_pool/", "sqlite3/")),
    ("ORM (SQL compiling, model objects)", ("django/db/",)),
    ("template rendering", ("django/template/", "django/templatetags/", "templatetags/", "django/forms/")),
    ("sessions", ("django/contrib/sessions/", "community/sessions.py", "django/core/signing.py", "django/core/cache/", "redis/")),
    ("auth", ("django/contrib/auth/",)),
    ("messages", ("django/contrib/messages/",)),
    ("middleware", ("django/middleware/", "csp/", "whitenoise/", "community/middleware.py", "django/utils/cache.py")),
    ("URL routing / reverse", ("django/urls/",)),
    ("i18n (gettext, activate)", ("django/utils/translation/", "gettext.py")),
    ("view and app code", ("threads/", "community/", "notifications/")),
    ("Django request/response handling", ("django/core/handlers/", "django/http/", "django/dispatch/", "django/core/signals")),
    ("ASGI server: daphne, Twisted, asgiref, asyncio, threads", (
        "daphne/", "twisted/", "asgiref/sync.py", "asgiref/current_thread_executor.py", "asyncio/", "channels/",
        "autobahn/", "txaio/", "concurrent/futures/", "threading.py", "selectors.py",
    )),
]  # fmt: skip
# Cross-cutting costs, counted inclusively (a sample counts when any frame matches).
INCLUSIVE = [
    ("asgiref Local lookups (translation, URL state, DB connections under ASGI)", "asgiref/local.py"),
    ("reverse() / {% url %}", "django/urls/base.py"),
    ("gettext / {% translate %}", "django/utils/translation/"),
    ("request.user lazy proxy (SimpleLazyObject)", "LazyObject"),
    ("date formatting", "django/utils/dateformat.py"),
    ("{% csrf_token %}", "django/middleware/csrf.py"),
]


def filename(frame: str) -> str:
    match = re.search(r"\(([^()]*?)(?::\d+)?\)$", frame)
    return match.group(1) if match else frame


def category(frames: list[str]) -> str:
    for frame in reversed(frames):
        name = filename(frame)
        for label, needles in CATEGORIES:
            if any(name.startswith(n) or f"/{n}" in name for n in needles):
                return label
    return "other (stdlib, django/utils at top level, ...)"


def parse_raw(path: Path) -> list[tuple[list[str], int]]:
    samples = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples.append((stack.split(";"), int(count)))
    return samples


def short(frame: str) -> str:
    frame = re.sub(r"\(/.*?/site-packages/", "(", frame)
    return frame.replace(str(bench.ROOT) + "/", "")


APP_FRAMES = (
    "threads/",
    "community/",
    "django/db/models/query.py",
    "django/contrib/",
    "django/shortcuts",
    "django/middleware",
)


def report_pyspy(samples: list[tuple[list[str], int]], rps: float, processes: int) -> str:
    total = sum(n for _f, n in samples) or 1
    by_category: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, n in samples:
        # frames[0] is the thread ("Thread 123 (active)"), the rest root -> leaf
        body = [f for f in frames[1:] if f]
        by_category[category(body)] += n
        if body:
            own[short(body[-1])] += n
        for frame in set(body):
            inclusive[short(frame)] += n
    lines = [f"{total} samples; {rps:.0f} req/s during the recording ({processes} daphne process).", ""]
    lines += ["| where | share of samples |", "|---|---|"]
    lines += [f"| {name} | {n / total * 100:.1f}% |" for name, n in by_category.most_common()]
    lines += ["", "| cross-cutting (inclusive) | share of samples |", "|---|---|"]
    for label, needle in INCLUSIVE:
        hits = sum(n for frames, n in samples if any(needle in f for f in frames[1:]))
        lines.append(f"| {label} | {hits / total * 100:.1f}% |")
    lines += ["", "Top functions by own time:", ""]
    lines += [f"  {n / total * 100:5.1f}%  {frame}" for frame, n in own.most_common(25)]
    lines += ["", "Top app/Django functions by total time:", ""]
    shown = 0
    for frame, n in inclusive.most_common(400):
        if any(s in frame for s in APP_FRAMES):
            lines.append(f"  {n / total * 100:5.1f}%  {frame}")
            shown += 1
            if shown == 30:
                break
    return "\n".join(lines)


def split(args: argparse.Namespace, big) -> None:
    """Where a request's time goes, by clocks only (no profiler overhead)."""
    from django.core.handlers.base import BaseHandler
    from django.db import connection
    from django.template.backends.django import Template
    from django.test import Client

    from community.models import Member

    clock = {"view": 0.0, "template": 0.0, "sql": 0.0, "sql_view": 0.0, "sql_template": 0.0, "queries": 0}
    where = ["middleware"]
    original_get_response, original_render = BaseHandler._get_response, Template.render

    def timed_get_response(self, request):
        started = time.perf_counter()
        where[0] = "view"
        try:
            return original_get_response(self, request)
        finally:
            where[0] = "middleware"
            clock["view"] += time.perf_counter() - started

    def timed_render(self, *a, **kw):
        started = time.perf_counter()
        outer, where[0] = where[0], "template"
        try:
            return original_render(self, *a, **kw)
        finally:
            where[0] = outer
            clock["template"] += time.perf_counter() - started

    def timed_sql(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            clock["sql"] += spent
            clock["queries"] += 1
            if where[0] == "view":
                clock["sql_view"] += spent
            elif where[0] == "template":
                clock["sql_template"] += spent

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(Member.objects.get(email=bench.LOGIN_EMAIL), backend="community.auth.EmailBackend")
    base = big.get_absolute_url()
    paths = [f"{base}?page=1", f"{base}?page={max(1, big.page_count // 2)}", f"{base}?page={big.page_count}",
             "/groups/het-plein/", "/", "/unread/", "/latest/"]  # fmt: skip
    print(f"{args.requests} requests per page, in-process (test Client, no server), {args.database}; ms per request:")
    print()
    print(
        "| page | total | middleware, session, auth (no SQL) | view code (no SQL) | template (no SQL) | SQL | queries |"
    )
    print("|---|---|---|---|---|---|---|")
    BaseHandler._get_response, Template.render = timed_get_response, timed_render
    try:
        with connection.execute_wrapper(timed_sql):
            for path in paths:
                bench.wait_for_quiet(0.15, 60)
                for _ in range(5):
                    assert client.get(path).status_code == 200, path
                for key in clock:
                    clock[key] = 0
                started = time.perf_counter()
                for _ in range(args.requests):
                    client.get(path)
                n = args.requests
                total = (time.perf_counter() - started) / n * 1000
                view, template, sql = (clock[k] / n * 1000 for k in ("view", "template", "sql"))
                sql_view, sql_template = clock["sql_view"] / n * 1000, clock["sql_template"] / n * 1000
                sql_middleware = sql - sql_view - sql_template
                print(
                    f"| `{path}` | {total:.1f} | {total - view - sql_middleware:.1f} | {view - template - sql_view:.1f} "
                    f"| {template - sql_template:.1f} | {sql:.1f} | {clock['queries'] / n:.0f} |"
                )
    finally:
        BaseHandler._get_response, Template.render = original_get_response, original_render
    print()
    print("SQL: time in the database driver's execute (round trip, server time, fetching rows), wherever it ran.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument(
        "--page", default="first", help="first, middle, last (of the big thread) or a path such as /latest/"
    )
    parser.add_argument("--mode", choices=["pyspy", "pyinstrument", "split"], default="pyspy")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load while sampling (pyspy, max 60)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--requests", type=int, default=200, help="requests to profile (pyinstrument)")
    parser.add_argument(
        "--db-pool", action="store_true", help="PostgreSQL: Django's psycopg pool instead of CONN_MAX_AGE"
    )
    parser.add_argument("--conn-max-age", type=int, default=60, help="see bench/http.py --conn-max-age")
    parser.add_argument("--http-threads", type=int, help="see bench/http.py --http-threads")
    parser.add_argument(
        "--gil", action="store_true", help="py-spy --gil: only samples holding the GIL (Python CPU time)"
    )
    parser.add_argument("--raw", type=Path, help="keep py-spy's collapsed stacks in this file")
    args = parser.parse_args()
    if not 3 <= args.duration <= 60:
        parser.error("--duration must be between 3 and 60 seconds")

    env = bench.bench_env(
        args.database, db_pool=args.db_pool, conn_max_age=args.conn_max_age, http_threads=args.http_threads
    )
    bench.django_setup(env)
    from threads.management.commands.seed_large import BIG_TITLE_PREFIX
    from threads.models import Thread

    big = Thread.objects.get(title__startswith=BIG_TITLE_PREFIX)
    pages = {"first": 1, "middle": max(1, big.page_count // 2), "last": big.page_count}
    path = f"{big.get_absolute_url()}?page={pages[args.page]}" if args.page in pages else args.page

    if args.mode == "split":
        split(args, big)
        return

    if args.mode == "pyinstrument":
        from django.test import Client
        from pyinstrument import Profiler

        from community.models import Member

        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(Member.objects.get(email=bench.LOGIN_EMAIL), backend="community.auth.EmailBackend")
        for _ in range(5):
            assert client.get(path).status_code == 200
        profiler = Profiler(interval=0.0005)
        started = time.perf_counter()
        with profiler:
            for _ in range(args.requests):
                client.get(path)
        elapsed = time.perf_counter() - started
        print(
            f"{args.requests} requests of {path} in {elapsed:.2f}s: {elapsed / args.requests * 1000:.2f} ms each (in-process, profiled)"
        )
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return

    if PY_SPY is None:
        raise SystemExit("py-spy is missing: .venv/bin/pip install py-spy")
    procs = bench.Processes()
    tmp = Path(tempfile.mkdtemp(prefix="samenleven-profile-"))
    try:
        ((port, daphne),) = bench.start_daphne(procs, env, tmp, 1, proxy_headers=False)
        cookies = bench.login(port)
        status, _body = bench.fetch(port, path, cookies)
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}")
        url = f"http://127.0.0.1:{port}{path}"
        watch = args.database == "postgres"
        bench.run_wrk(url, cookies, threads=2, connections=args.connections, duration=2, watch_pg=watch)  # warm-up
        raw = args.raw or tmp / "pyspy.txt"
        spy = subprocess.Popen(
            [PY_SPY, "record", "--pid", str(daphne.pid), "--duration", f"{int(args.duration)}", "--rate", str(args.rate),
             "--format", "raw", "--output", str(raw)] + (["--gil"] if args.gil else []),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            time.sleep(0.5)
            result, _out = bench.run_wrk(
                url, cookies, threads=2, connections=args.connections, duration=args.duration - 1, watch_pg=watch
            )
            output, _ = spy.communicate(timeout=args.duration + 30)
        finally:
            if spy.poll() is None:
                spy.terminate()
                spy.wait(timeout=10)
        if not raw.exists():
            raise SystemExit(f"py-spy wrote nothing:\n{output}")
        print(f"profile of GET {path} on {args.database}, one daphne process, {args.connections} connections:")
        print(report_pyspy(parse_raw(raw), result.get("rps", 0), 1))
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
