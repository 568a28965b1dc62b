"""Digest benchmark: 10,000 members, one week of realistic activity, every weekly digest built,
queued and handed to a local SMTP sink.

    .venv/bin/python bench/digest.py [--database postgres|sqlite] [--members 10000]
                                     [--batch-size 500] [--workers 1] [--reseed]

Phases, each in its own process so that its memory is its own:

1. ``seed`` (once; ``--reseed`` starts over): a separate database (PostgreSQL
   ``samenleven_digest_bench`` or ``var/digest-bench.sqlite3``), migrated, with the real
   municipalities and ``--members`` members spread over them by population, in the groups
   approval puts them in, some watching or muting themes and groups, some preferring a daily
   digest or none. In the week of 3-9 March 2025: 300 new threads (a few hidden), 1,500
   replies, 2,000 "nuttig" marks and 15,000 notifications, written with ``bulk_create``.
2. ``build``: ``send_digests --frequency weekly`` for that week (ledger and digest rows of an
   earlier run are deleted first). Measures the wall time, the queries of every batch and the
   resident memory after every batch (VmRSS) and at its peak (VmHWM).
3. ``deliver``: ``deliver_mail --once`` (``--workers`` processes at once) against an aiosmtpd
   sink on 127.0.0.1 in this process, until every digest is accepted. Measures the wall time
   and each worker's peak memory.
4. ``concurrent``: as in production, the workers (``deliver_mail``, long-running) are already
   up when the build starts; timed from the start of the build to the last digest accepted.

Prints one Markdown table. Goal (digest issue): at least 100 digests per second from the
start of the build to the last digest accepted by the sink, with memory that stays flat. The
machine should be otherwise idle: the figures are wall times on a 2-core machine.
"""

from __future__ import annotations

# bench/ holds http.py: keep this folder off sys.path so that ``import http`` finds the standard library.
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != _HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "samenleven_digest_bench"
SQLITE_PATH = ROOT / "var" / "digest-bench.sqlite3"
BENCH_DOMAIN = "digest-bench.samenleven.nl"
RUN_DAY = "2025-03-10"  # a Monday: the weekly run covers 3-9 March 2025
GOAL_PER_SECOND = 100


def database_url(kind: str) -> str:
    return f"{PG_SERVER}/{PG_NAME}" if kind == "postgres" else f"sqlite:///{SQLITE_PATH}"


def child_env(kind: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL", "EMAIL_URL"}}
    env.update(
        # Production settings: with DEBUG on, Django would keep every (large) INSERT in memory.
        DEBUG="0",
        SECRET_KEY="digest-benchmark-only-" + "x" * 40,
        ALLOWED_HOSTS="localhost",
        HTTPS="0",
        DATABASE_URL=database_url(kind),
        DJANGO_SETTINGS_MODULE="community.settings",
        SITE_URL="https://samenleven.example.nl",
        LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def rss_kib(field: str = "VmRSS") -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- Phase 1: seed -----------------------------------------------------------------------------------


def phase_seed(members: int, seed: int = 2025) -> dict:
    setup_django()
    from datetime import datetime, timedelta

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from community.models import Group, Member, Membership, Municipality, MunicipalityTypology
    from notifications.email.digests import period_ending
    from notifications.models import EmailPreference, Notification, Watch
    from threads.models import Mark, Post, Theme, Thread, ThreadTheme

    call_command("migrate", verbosity=0, interactive=False)
    if Member.objects.filter(email__endswith="@" + BENCH_DOMAIN).exists():
        return {"seeded": False, "members": Member.objects.filter(email__endswith="@" + BENCH_DOMAIN).count()}
    call_command("import_municipalities", verbosity=0, stdout=open(os.devnull, "w"))
    rng = random.Random(seed)
    started = time.monotonic()
    period = period_ending("weekly", datetime.fromisoformat(RUN_DAY).date())
    span = (period.end_at - period.start_at).total_seconds()

    def in_period() -> datetime:
        return period.start_at + timedelta(seconds=rng.random() * span)

    municipalities = list(Municipality.objects.all())
    weights = [m.population for m in municipalities]
    typologies: dict[int, list[int]] = {}
    for municipality_id, typology_id in MunicipalityTypology.objects.values_list("municipality_id", "typology_id"):
        typologies.setdefault(municipality_id, []).append(typology_id)
    plaza = Group.objects.get(kind="plaza")
    region_group = {g.region_id: g.pk for g in Group.objects.filter(kind="region")}
    typology_group = {g.typology_id: g.pk for g in Group.objects.filter(kind="typology")}
    theme_ids = list(Theme.objects.values_list("pk", flat=True))
    password = make_password("samenleven-bench")
    now = timezone.now()

    with transaction.atomic():
        rows = []
        for index in range(1, members + 1):
            municipality = rng.choices(municipalities, weights)[0]
            rows.append(
                Member(
                    email=f"digest-{index:05d}@{BENCH_DOMAIN}",
                    handle=f"digest_{index:05d}",
                    name=f"Lid {index:05d} uit {municipality.name}",
                    municipality=municipality,
                    position="beleidsmedewerker",
                    status="active",
                    language="en" if rng.random() < 0.1 else "nl",
                    email_verified_at=now,
                    approved_at=now,
                    password=password,
                )
            )
        Member.objects.bulk_create(rows, batch_size=2000)
        people = list(Member.objects.filter(email__endswith="@" + BENCH_DOMAIN).values_list("pk", "municipality_id"))
        in_group: dict[int, list[int]] = {}
        memberships = []
        by_pk = {m.pk: m for m in municipalities}
        for member_id, municipality_id in people:
            groups = {plaza.pk, region_group[by_pk[municipality_id].region_id]}
            groups.update(typology_group[t] for t in typologies.get(municipality_id, []) if t in typology_group)
            for group_id in groups:
                memberships.append(Membership(member_id=member_id, group_id=group_id))
                in_group.setdefault(group_id, []).append(member_id)
        Membership.objects.bulk_create(memberships, batch_size=5000)

        watches, preferences = [], []
        group_ids = list(in_group)
        for member_id, _municipality_id in people:
            draw = rng.random()
            if draw < 0.15:
                watches.append(Watch(member_id=member_id, theme_id=rng.choice(theme_ids), level=Watch.Level.WATCHING))
            elif draw < 0.20:
                watches.append(Watch(member_id=member_id, group_id=rng.choice(group_ids), level=Watch.Level.TRACKING))
            elif draw < 0.23:
                watches.append(Watch(member_id=member_id, group_id=rng.choice(group_ids), level=Watch.Level.MUTED))
            draw = rng.random()
            if draw < 0.15:
                preferences.append(EmailPreference(member_id=member_id, digest="daily"))
            elif draw < 0.20:
                preferences.append(EmailPreference(member_id=member_id, digest="off"))
            elif draw < 0.30:
                preferences.append(
                    EmailPreference(member_id=member_id, digest="weekly", kinds={"posted": "immediately"})
                )
        Watch.objects.bulk_create(watches, batch_size=5000, ignore_conflicts=True)
        EmailPreference.objects.bulk_create(preferences, batch_size=5000)

        # One week of activity.
        weighted_groups = [g for g in group_ids for _ in range(30 if g == plaza.pk else 1)]
        threads = []
        for number in range(300):
            group_id = rng.choice(weighted_groups)
            created = in_period()
            threads.append(
                Thread(
                    group_id=group_id,
                    title=f"Onderwerp {number}: hoe pakken jullie {rng.choice(['huisvesting', 'taallessen', 'werk', 'inburgering', 'zorg'])} aan?",
                    slug=f"onderwerp-{number}",
                    kind=rng.choice(["question", "question", "experience", "dilemma"]),
                    author_id=rng.choice(in_group[group_id]),
                    created=created,
                    last_activity_at=created,
                    last_post_number=1,
                    hidden=rng.random() < 0.02,
                )
            )
        Thread.objects.bulk_create(threads)
        threads = list(Thread.objects.filter(created__gte=period.start_at, created__lt=period.end_at))
        ThreadTheme.objects.bulk_create(
            [
                ThreadTheme(content_object_id=t.pk, tag_id=theme_id)
                for t in threads
                for theme_id in rng.sample(theme_ids, 2)
            ]
        )
        body = "Bij ons werkt een vast spreekuur in de bibliotheek goed; de gemeente en de bibliotheek delen de kosten."
        posts = [
            Post(
                thread=t,
                number=1,
                author_id=t.author_id,
                body=body,
                html=f"<p>{body}</p>",
                text=body,
                created=t.created,
            )
            for t in threads
        ]
        for _ in range(1500):
            thread = rng.choice(threads)
            thread.last_post_number += 1
            thread.reply_count += 1
            created = in_period()
            thread.last_activity_at = max(thread.last_activity_at, created)
            posts.append(
                Post(
                    thread=thread,
                    number=thread.last_post_number,
                    author_id=rng.choice(in_group[thread.group_id]),
                    body=body,
                    html=f"<p>{body}</p>",
                    text=body,
                    created=created,
                )
            )
        Post.objects.bulk_create(posts, batch_size=2000)
        replies = list(
            Post.objects.filter(thread__in=threads, number__gt=1).values_list("pk", "author_id", "thread_id")
        )
        marks, seen = [], set()
        useful: dict[int, int] = {}
        for _ in range(2000):
            post_id, author_id, thread_id = rng.choice(replies)
            marker = rng.choice(people)[0]
            if marker == author_id or (post_id, marker) in seen:
                continue
            seen.add((post_id, marker))
            marks.append(Mark(post_id=post_id, member_id=marker, created=in_period()))
            useful[post_id] = useful.get(post_id, 0) + 1
        Mark.objects.bulk_create(marks, batch_size=5000)
        for post_id, count in useful.items():
            Post.objects.filter(pk=post_id).update(useful_count=count)
        Thread.objects.bulk_update(threads, ["last_post_number", "reply_count", "last_activity_at"], batch_size=500)

        notifications = []
        for _ in range(15000):
            thread = rng.choice(threads)
            notifications.append(
                Notification(
                    recipient_id=rng.choice(in_group[thread.group_id]),
                    kind=rng.choice(["posted", "new_thread", "useful", "answer_accepted"]),
                    actor_name="Een collega",
                    thread=thread,
                    title=thread.title,
                    created=in_period(),
                )
            )
        Notification.objects.bulk_create(notifications, batch_size=5000)
    return {
        "seeded": True,
        "members": len(people),
        "threads": len(threads),
        "posts": len(posts),
        "marks": len(marks),
        "seconds": round(time.monotonic() - started, 1),
    }


# --- Phase 2: build ----------------------------------------------------------------------------------


def phase_build(batch_size: int) -> dict:
    setup_django()
    from datetime import date

    from django.db import connection
    from django.db.models import Avg
    from django.db.models.functions import Length

    from notifications.email import digests
    from notifications.models import DigestLedger, OutboxMessage

    with connection.cursor() as cursor:  # the rows of an earlier run, without loading them
        cursor.execute(f"DELETE FROM {DigestLedger._meta.db_table}")
        cursor.execute(f"DELETE FROM {OutboxMessage._meta.db_table}")
    counted = {"queries": 0}

    def count(execute, sql, params, many, context):
        counted["queries"] += 1
        return execute(sql, params, many, context)

    batches: list[dict] = []
    last = {"queries": 0, "time": time.monotonic()}

    def progress(report: digests.Report) -> None:
        now = time.monotonic()
        batches.append(
            {
                "queries": counted["queries"] - last["queries"],
                "seconds": round(now - last["time"], 3),
                "rss_kib": rss_kib(),
            }
        )
        last.update(queries=counted["queries"], time=now)

    rss_before = rss_kib()
    started = time.monotonic()
    with connection.execute_wrapper(count):
        last["queries"] = 0
        report = digests.send_digests(
            frequency="weekly", today=date.fromisoformat(RUN_DAY), batch_size=batch_size, progress=progress
        )
    seconds = time.monotonic() - started
    return {
        "queued": report.queued,
        "empty": report.empty,
        "batches": report.batches,
        "seconds": round(seconds, 2),
        "queries": counted["queries"],
        "queries_per_batch": sorted({b["queries"] for b in batches}),
        "rss_start_kib": rss_before,
        "rss_by_batch_kib": [b["rss_kib"] for b in batches],
        "peak_kib": rss_kib("VmHWM"),
        "bytes_queued": OutboxMessage.objects.filter(kind="digest_weekly").aggregate(
            size=Avg(Length("text") + Length("html"))
        )["size"]
        or 0,
    }


# --- Phase 3: deliver --------------------------------------------------------------------------------


class Sink:
    """An SMTP server that accepts and counts (and does nothing else)."""

    def __init__(self) -> None:
        self.count = 0
        self.ids: set[str] = set()
        self.duplicates = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        start = content.find(b"Message-ID:")
        message_id = content[start : content.find(b">", start) + 1] if start >= 0 else b""
        with self.lock:
            self.count += 1
            if message_id in self.ids:
                self.duplicates += 1
            self.ids.add(message_id)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def phase_deliver(kind: str, workers: int, expected: int) -> dict:
    from aiosmtpd.controller import Controller

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = child_env(kind, EMAIL_URL=f"smtp://127.0.0.1:{port}?timeout=30")
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", "deliver_mail", "--once", "--batch-size", "100"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    peaks = []
    for process in processes:
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        peaks.append(usage.ru_maxrss)
    seconds = time.monotonic() - started
    controller.stop()
    return {
        "sent": sink.count,
        "duplicates": sink.duplicates,
        "expected": expected,
        "seconds": round(seconds, 2),
        "peak_kib": peaks,
        "codes": [p.returncode for p in processes],
    }


def phase_concurrent(kind: str, workers: int, batch_size: int) -> dict:
    """As in production: the workers already run while ``send_digests`` queues, so sending
    starts with the first committed batch. Timed from the start of the build to the last
    digest accepted by the sink."""
    from aiosmtpd.controller import Controller

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = child_env(kind, EMAIL_URL=f"smtp://127.0.0.1:{port}?timeout=30")
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", "deliver_mail", "--interval", "0.2", "--batch-size", "100"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        time.sleep(3)  # the workers are up and idle before the clock starts
        started = time.monotonic()
        build = run_phase(kind, "build", str(batch_size))
        deadline = time.monotonic() + 900
        while sink.count < build["queued"] and time.monotonic() < deadline:
            time.sleep(0.05)
        seconds = time.monotonic() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        controller.stop()
    return {
        "queued": build["queued"],
        "sent": sink.count,
        "duplicates": sink.duplicates,
        "seconds": round(seconds, 2),
        "build_seconds": build["seconds"],
    }


# --- Orchestration -----------------------------------------------------------------------------------


def run_phase(kind: str, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--phase", *args], cwd=ROOT, env=child_env(kind), capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"phase {args[0]} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def prepare_database(kind: str, reseed: bool) -> None:
    if kind == "postgres":
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_NAME]).fetchone()
            if exists and reseed:
                conn.execute(f'DROP DATABASE "{PG_NAME}"')
                exists = None
            if not exists:
                conn.execute(f'CREATE DATABASE "{PG_NAME}"')
    else:
        SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        if reseed:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()

    if options.phase:
        name, *rest = options.phase
        if name == "seed":
            result = phase_seed(int(rest[0]))
        else:
            result = phase_build(int(rest[0]))
        print(json.dumps(result))
        return

    kind = options.database
    prepare_database(kind, options.reseed)
    seeded = run_phase(kind, "seed", str(options.members))
    print(f"seed: {seeded}", file=sys.stderr)
    build = run_phase(kind, "build", str(options.batch_size))
    print(f"build: {build}", file=sys.stderr)
    deliver = phase_deliver(kind, options.workers, build["queued"])
    print(f"deliver: {deliver}", file=sys.stderr)

    together = phase_concurrent(kind, options.workers, options.batch_size)
    print(f"concurrent: {together}", file=sys.stderr)

    total = build["seconds"] + deliver["seconds"]
    rss = build["rss_by_batch_kib"]
    rows = [
        ("members", f"{seeded['members']:,}"),
        ("digests queued (empty, not sent)", f"{build['queued']:,} ({build['empty']:,})"),
        ("average digest size (text + HTML)", f"{build['bytes_queued'] / 1024:.1f} KiB"),
        ("build and queue", f"{build['seconds']:.1f} s = {build['queued'] / build['seconds']:.0f} digests/s"),
        (
            "batches of " + str(options.batch_size),
            f"{build['batches']}, queries per batch {build['queries_per_batch']}, {build['queries']} in all",
        ),
        (
            "build memory (RSS after first / last batch, peak)",
            f"{rss[0] // 1024} / {rss[-1] // 1024} MiB, peak {build['peak_kib'] // 1024} MiB" if rss else "-",
        ),
        (
            f"deliver to the SMTP sink ({options.workers} worker{'s' if options.workers > 1 else ''})",
            f"{deliver['seconds']:.1f} s = {deliver['sent'] / deliver['seconds']:.0f} digests/s",
        ),
        ("accepted by the sink (duplicates)", f"{deliver['sent']:,} of {build['queued']:,} ({deliver['duplicates']})"),
        ("worker peak memory", ", ".join(f"{peak // 1024} MiB" for peak in deliver["peak_kib"])),
        (
            "end to end, one after the other (build, then deliver)",
            f"{total:.1f} s = {build['queued'] / total:.0f} digests/s",
        ),
        (
            "end to end, worker running during the build (as in production)",
            f"{together['seconds']:.1f} s = {together['sent'] / together['seconds']:.0f} digests/s (goal {GOAL_PER_SECOND}); "
            f"{together['sent']:,} of {together['queued']:,} accepted, {together['duplicates']} duplicates",
        ),
    ]
    print(f"\n### Digest benchmark ({kind}, {os.cpu_count()} CPUs)\n")
    print("| what | measured |\n|---|---|")
    for label, value in rows:
        print(f"| {label} | {value} |")


if __name__ == "__main__":
    main()
