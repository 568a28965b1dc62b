"""Live Q&A of a webinar: N connected participants, votes coming in, every participant sees every vote.

    .venv/bin/python bench/live_qa.py [--participants 300] [--rate 30] [--duration 60] [--database sqlite|postgres]

Starts its own Redis (``redis-server`` on a free port, no persistence) unless ``--redis URL``
is given (then with a channel prefix of its own), and one daphne process (DEBUG=0) with the
Redis channel layer on 127.0.0.1. Prepares a webinar with N registered participants and 30
questions, opens N authenticated WebSockets from one asyncio process that all follow the
meeting's live Q&A (``meeting.watch``), then casts ``--rate`` votes per second for
``--duration`` seconds over HTTP (the vote form's JSON answer, as the live page sends it),
each vote by another participant on another question, and measures:

1. per vote and participant, the time from sending the vote request until that participant
   saw a count for the question that includes the vote (p50/p99/max over all N x votes);
2. that every participant saw every vote (the final counts equal the votes cast);
3. the vote requests' own durations;
4. the server's CPU (user + system seconds of the daphne process over the voting time) and
   the machine's load average before and after.

Bounded: every wait has a timeout, the vote phase is --duration seconds, and everything it
starts (daphne, redis-server) is stopped by PID.
"""

from __future__ import annotations

import os
import sys

# bench/http.py would shadow the standard library's http package for scripts in this folder.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != _HERE]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import bisect  # noqa: E402
import json  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgres://postgres@127.0.0.1:5432/samenleven_liveqa"
SQLITE_PATH = ROOT / "var" / "live_qa.sqlite3"
TIMEOUT = 60
QUESTIONS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(database: str, redis_url: str, prefix: str) -> dict[str, str]:
    if database == "postgres":
        database_url = PG_URL
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
        "CHANNEL_PREFIX": prefix,
        "CACHE_KEY_PREFIX": prefix,
        "EMAIL_URL": "console://",
        "RATE_LIMITS": "0",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "community.settings",
    }


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


PREPARE = r"""
import sys
from datetime import timedelta
import django
django.setup()
from importlib import import_module
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db.models import F
from django.utils import timezone
from community.meetings import actions
from community.meetings.models import Meeting, Question, Registration, Vote
from community.models import Member, Municipality
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore

count, questions = int(sys.argv[1]), int(sys.argv[2])
municipality = Municipality.objects.get(code="GM0518")
password = make_password("samenleven-bench")
existing = set(Member.objects.filter(email__startswith="liveqa-").values_list("email", flat=True))
Member.objects.bulk_create([
    Member(email=f"liveqa-{n:05d}@bench.samenleven.nl", handle=f"liveqa_{n:05d}", name=f"Deelnemer {n}",
           municipality=municipality, status="active", email_verified_at=timezone.now(), approved_at=timezone.now(),
           password=password, is_staff=(n == 0))
    for n in range(count + 1) if f"liveqa-{n:05d}@bench.samenleven.nl" not in existing
], batch_size=500)
members = list(Member.objects.filter(email__startswith="liveqa-").order_by("email")[: count + 1])
organiser, participants = members[0], members[1:]
Meeting.objects.filter(title="Bench webinar").delete()
start = timezone.now() + timedelta(minutes=5)
meeting = actions.create_meeting(actor=organiser, title="Bench webinar", description="Live vragen.", kind="online",
                                 starts_at=start, ends_at=start + timedelta(hours=3), join_url="https://webinar.example.nl/b",
                                 themes=["wonen"])
Registration.objects.bulk_create([Registration(meeting=meeting, member=m, status="registered", registered_at=timezone.now()) for m in participants])
Meeting.objects.filter(pk=meeting.pk).update(registered_count=len(participants))
made = [actions.ask_question(author=organiser, meeting=meeting, text=f"Vraag {n + 1} over huisvesting?") for n in range(questions)]
cookies = []
for member in participants:
    session = SessionStore()
    session["_auth_user_id"] = str(member.pk)
    session["_auth_user_backend"] = "community.auth.EmailBackend"
    session["_auth_user_hash"] = member.get_session_auth_hash()
    session.create()
    cookies.append(session.session_key)
print(meeting.pk)
print(" ".join(str(q.pk) for q in made))
print(" ".join(cookies))
"""


def prepare(env: dict[str, str], participants: int) -> tuple[int, list[int], list[str]]:
    output = subprocess.run(
        [sys.executable, "-c", PREPARE, str(participants), str(QUESTIONS)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    lines = output.stdout.strip().splitlines()
    return int(lines[0]), [int(x) for x in lines[1].split()], lines[2].split()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class Participant:
    """One browser tab on the live page: the counts it has seen, with when."""

    def __init__(self, session: str) -> None:
        self.session = session
        self.seen: dict[int, tuple[list[int], list[float]]] = {}  # question -> (counts, times), counts rising

    def record(self, votes: list[list[int]], now: float) -> None:
        for question, count in votes:
            counts, times = self.seen.setdefault(question, ([], []))
            if not counts or count > counts[-1]:
                counts.append(count)
                times.append(now)

    def saw_at(self, question: int, count: int) -> float | None:
        counts, times = self.seen.get(question, ([], []))
        index = bisect.bisect_left(counts, count)
        return times[index] if index < len(times) else None


def cast_vote(port: int, session: str, question: int) -> tuple[int, float]:
    """One vote as the live page sends it; returns (the question's count after it, seconds)."""
    token = secrets.token_hex(16)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/meetings/questions/{question}/vote/",
        data=b"from=live",
        headers={
            "Cookie": f"sessionid={session}; csrftoken={token}", "X-CSRFToken": token, "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )  # fmt: skip
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        data = json.loads(response.read())
    assert data["voted"], data
    return data["votes"], time.perf_counter() - started


async def run(
    port: int,
    meeting_id: int,
    question_ids: list[int],
    sessions: list[str],
    rate: float,
    duration: float,
    server_pid: int,
    spy: str = "",
):
    import websockets

    participants = [Participant(session) for session in sessions]
    ready = 0
    all_ready = asyncio.Event()
    stop = asyncio.Event()

    async def client(participant: Participant) -> None:
        nonlocal ready
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/ws/", additional_headers={"Cookie": f"sessionid={participant.session}"},
            origin=f"http://127.0.0.1:{port}", open_timeout=TIMEOUT, max_queue=None,
        ) as ws:  # fmt: skip
            json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))  # session.ready
            await ws.send(json.dumps({"type": "meeting.watch", "meeting": meeting_id}))
            while json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))["type"] != "meeting.watching":
                pass
            ready += 1
            if ready == len(participants):
                all_ready.set()
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 1)
                except TimeoutError:
                    continue
                now = time.perf_counter()
                event = json.loads(raw)
                if event["type"] == "meeting.vote":
                    participant.record(event["votes"], now)

    tasks = []
    for index, participant in enumerate(participants):
        tasks.append(asyncio.create_task(client(participant)))
        if index % 25 == 24:
            await asyncio.sleep(0.25)  # connect in waves (the listen backlog)
    await asyncio.wait_for(all_ready.wait(), TIMEOUT * 2)
    await asyncio.sleep(1)

    # Vote k: participant k mod N on question (k + k // N) mod Q: never twice the same pair.
    total = int(rate * duration)
    votes: list[tuple[int, int, float]] = []  # (question, count after, sent at)
    durations: list[float] = []
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=16)
    load_before = os.getloadavg()
    cpu_before, started = cpu_seconds(server_pid), time.perf_counter()
    profiler = None
    if spy:  # where the server's time goes while votes come in (py-spy's collapsed stacks)
        profiler = subprocess.Popen(
            [str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(server_pid), "-d", str(int(duration)), "-f", "raw", "-o", spy, "-r", "50"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    async def one(k: int) -> None:
        question = question_ids[(k + k // len(sessions)) % len(question_ids)]
        sent = time.perf_counter()
        count, seconds = await loop.run_in_executor(pool, cast_vote, port, sessions[k % len(sessions)], question)
        votes.append((question, count, sent))
        durations.append(seconds)

    pending = []
    for k in range(total):
        delay = started + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(asyncio.create_task(one(k)))
    await asyncio.wait_for(asyncio.gather(*pending), TIMEOUT)
    voting_seconds = time.perf_counter() - started
    cpu_voting = cpu_seconds(server_pid) - cpu_before
    if profiler is not None:
        try:
            profiler.wait(timeout=30)
        except subprocess.TimeoutExpired:
            profiler.kill()
            profiler.wait()
    # Until every participant has seen every vote (bounded).
    deadline = time.perf_counter() + 20
    while time.perf_counter() < deadline and not all(
        p.saw_at(q, c) is not None for p in participants for q, c, _s in votes[-50:]
    ):
        await asyncio.sleep(0.2)
    load_after = os.getloadavg()
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), TIMEOUT)
    pool.shutdown()

    latencies, missed = [], 0
    for participant in participants:
        for question, count, sent in votes:
            seen = participant.saw_at(question, count)
            if seen is None:
                missed += 1
            else:
                latencies.append(max(0.0, seen - sent))
    return {
        "votes": len(votes), "voting_seconds": voting_seconds, "latencies": latencies, "missed": missed,
        "pairs": len(votes) * len(participants), "durations": durations,
        "cpu": cpu_voting / voting_seconds, "load_before": load_before, "load_after": load_after,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--rate", type=float, default=30.0, help="votes per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of voting")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--redis", default="", help="use this Redis (default: start a private redis-server)")
    parser.add_argument("--py-spy", default="", help="record the server with py-spy (collapsed stacks) into this file")
    options = parser.parse_args()
    if options.participants * QUESTIONS < options.rate * options.duration:
        raise SystemExit("more votes than (participant, question) pairs")

    started: list[subprocess.Popen] = []
    try:
        if options.redis:
            redis_url, prefix = options.redis, f"liveqa-{os.getpid()}"
        else:
            redis_port = free_port()
            started.append(subprocess.Popen(
                ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))  # fmt: skip
            redis_url, prefix = f"redis://127.0.0.1:{redis_port}/0", "liveqa"
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", redis_port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit("redis-server did not start") from None
                    time.sleep(0.1)
        env = environment(options.database, redis_url, prefix)
        if options.database == "postgres":
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", "CREATE DATABASE samenleven_liveqa"],
                capture_output=True,
            )
        manage(env, "migrate", "--noinput")
        manage(env, "import_municipalities")
        manage(env, "collectstatic", "--noinput")
        meeting_id, question_ids, sessions = prepare(env, options.participants)

        port = free_port()
        env["SITE_URL"] = f"http://127.0.0.1:{port}"  # the socket's origin check
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "community.asgi:application"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open("/tmp/live-qa-daphne.log", "w"),
        )  # fmt: skip
        started.append(server)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("daphne did not start") from None
                time.sleep(0.2)
        result = asyncio.run(
            run(port, meeting_id, question_ids, sessions, options.rate, options.duration, server.pid, options.py_spy)
        )
    finally:
        for process in reversed(started):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    latencies, durations = result["latencies"], result["durations"]
    print(
        f"\n{options.participants} participants, {result['votes']} votes in {result['voting_seconds']:.1f} s "
        f"({result['votes'] / result['voting_seconds']:.1f}/s), one daphne, Redis channel layer, {options.database}\n"
    )
    print(
        "| seen | p50 to see a vote | p99 | max | vote request p50 / p99 | server CPU | load average before → after |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {len(latencies)}/{result['pairs']} | {percentile(latencies, 0.5) * 1000:.0f} ms | {percentile(latencies, 0.99) * 1000:.0f} ms | "
        f"{max(latencies) * 1000:.0f} ms | {percentile(durations, 0.5) * 1000:.0f} / {percentile(durations, 0.99) * 1000:.0f} ms | "
        f"{result['cpu'] * 100:.0f}% of a core | {result['load_before'][0]:.1f} → {result['load_after'][0]:.1f} |"
    )
    if result["missed"]:
        print(f"\n{result['missed']} (participant, vote) pairs were never seen.")


if __name__ == "__main__":
    main()
