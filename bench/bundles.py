"""Coalesced e-mail: replies queue one bundle per member and thread; the worker renders and
sends them when the window closes.

    .venv/bin/python bench/bundles.py [--database sqlite|postgres] [--pg-database NAME]
                                      [--members 2000] [--threads 40] [--replies 3] [--batch-size 50]

In a database of its own (``var/bundles-bench.sqlite3``, or the PostgreSQL database named),
migrated and emptied of earlier bench rows: ``--members`` members with a verified address who
want posts in watched threads at once (bundled, the default mode), each watching one of
``--threads`` threads; then ``--replies`` replies per thread through the real action (the
first queues a bundle for every watcher, the later ones join it), timed. Then the window is
closed (the rows are made due) and the outbox is delivered in this process, by
``deliver_mail --once`` in its own process, batch after batch (claim, render, send,
record), to an aiosmtpd sink on 127.0.0.1 in this process that counts messages and
duplicate Message-IDs. Prints the time per phase, mails per second and the worker's peak
resident memory (flat memory: the batches
should not grow it: the worker's peak is that of a few batches).
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != _HERE]

import argparse  # noqa: E402
import resource  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SQLITE_PATH = ROOT / "var" / "bundles-bench.sqlite3"
DOMAIN = "bundles-bench.samenleven.nl"


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Sink:
    def __init__(self) -> None:
        self.count = 0
        self.ids: set[bytes] = set()
        self.duplicates = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        start = content.find(b"Message-ID:")
        message_id = content[start : content.find(b">", start) + 1] if start >= 0 else b""
        with self.lock:
            self.count += 1
            self.duplicates += message_id in self.ids
            self.ids.add(message_id)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-database", default="samenleven_bundles_bench")
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=40)
    parser.add_argument("--replies", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=50)
    options = parser.parse_args()

    port = free_port()
    if options.database == "postgres":
        url = f"postgres://postgres@127.0.0.1:5432/{options.pg_database}"
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"CREATE DATABASE {options.pg_database}"],
            capture_output=True,
        )
    else:
        SQLITE_PATH.parent.mkdir(exist_ok=True)
        url = f"sqlite:///{SQLITE_PATH}"
    os.environ.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "HTTPS": "0",
            "DATABASE_URL": url,
            "EMAIL_URL": f"smtp://127.0.0.1:{port}?timeout=10",
            "SITE_URL": "https://samenleven.example.nl",
            "LOG_LEVEL": "WARNING",
            "RATE_LIMITS": "0",
            "DJANGO_SETTINGS_MODULE": "community.settings",
        }
    )
    os.environ.pop("REDIS_URL", None)
    for args in (["migrate", "--noinput"], ["import_municipalities"]):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)

    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from aiosmtpd.controller import Controller
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from community.models import Group, Member, Membership, Municipality
    from notifications.models import EmailPreference, Notification, OutboxMessage, Watch
    from threads import actions
    from threads.models import Theme, Thread

    # Start from nothing of an earlier run.
    earlier = list(Member.objects.filter(email__endswith=f"@{DOMAIN}").values_list("pk", flat=True))
    OutboxMessage.objects.filter(recipient_id__in=earlier).delete()
    Notification.objects.filter(recipient_id__in=earlier).delete()
    Thread.objects.filter(author_id__in=earlier).delete()
    Member.objects.filter(pk__in=earlier).delete()
    municipality = Municipality.objects.get(code="GM0518")
    plein = Group.objects.get(slug="het-plein")
    password = make_password("samenleven-bench")
    now = timezone.now()
    members = Member.objects.bulk_create(
        [
            Member(
                email=f"lid-{n:05d}@{DOMAIN}",
                handle=f"bundel_{n:05d}",
                name=f"Lid {n}",
                municipality=municipality,
                status="active",
                email_verified_at=now,
                approved_at=now,
                password=password,
            )  # fmt: skip
            for n in range(options.members + options.threads)
        ],
        batch_size=500,
    )
    members = list(Member.objects.filter(email__endswith=f"@{DOMAIN}").order_by("email"))
    Membership.objects.bulk_create([Membership(member=m, group=plein) for m in members], ignore_conflicts=True)
    authors, readers = members[: options.threads], members[options.threads :]
    EmailPreference.objects.bulk_create(
        [EmailPreference(member=m, kinds={"posted": "immediately"}) for m in readers], batch_size=500
    )
    themes = list(Theme.objects.all()[:1]) or actions.ensure_themes(["bench"])
    threads = [
        actions.create_thread(
            author=author,
            group=plein,
            title=f"Bundel-onderwerp {n}",
            kind="question",
            body="Wie leest mee?",
            themes=themes,
        )  # fmt: skip
        for n, author in enumerate(authors)
    ]
    Watch.objects.bulk_create(
        [Watch(member=m, thread=threads[n % len(threads)], level=3) for n, m in enumerate(readers)], batch_size=500
    )

    started = time.perf_counter()
    for round_ in range(options.replies):
        for n, thread in enumerate(threads):
            actions.reply_to_thread(
                author=authors[(n + 1) % len(authors)], thread=thread, body=f"Reactie {round_} in onderwerp {n}"
            )
    queue_seconds = time.perf_counter() - started
    replies = options.replies * len(threads)
    reader_ids = [m.pk for m in readers]
    bundles = OutboxMessage.objects.filter(kind="thread_bundle", recipient_id__in=reader_ids, status="queued")
    expected = bundles.count()
    bundles.update(next_attempt_at=timezone.now())  # the window closes

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    started = time.perf_counter()
    try:
        # As in production: the worker process (render, send, record), batch after batch.
        subprocess.run(
            [sys.executable, "manage.py", "deliver_mail", "--once", "--batch-size", str(options.batch_size)],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deliver_seconds = time.perf_counter() - started
    finally:
        controller.stop()
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    sent = OutboxMessage.objects.filter(kind="thread_bundle", recipient_id__in=reader_ids, status="sent").count()
    print(f"\n{options.database}: {len(readers)} watchers, {len(threads)} threads, {replies} replies\n")
    print("| what | figure |")
    print("|---|---|")
    print(
        f"| replies (queue and join bundles) | {queue_seconds:.1f} s, {queue_seconds / replies * 1000:.0f} ms per reply |"
    )
    print(f"| bundles queued (one per watcher and thread) | {expected} |")
    print(f"| render and send to the sink | {deliver_seconds:.1f} s = {sink.count / deliver_seconds:.0f} mails/s |")
    print(f"| accepted by the sink, duplicates, rows sent | {sink.count}, {sink.duplicates}, {sent} |")
    print(f"| worker peak memory (batches of {options.batch_size}) | {worker_peak:.0f} MiB |")


if __name__ == "__main__":
    main()
