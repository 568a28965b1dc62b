"""Suite benchmark: how long ``make test`` takes against the suite of an earlier revision,
on the same machine, run in turn.

    .venv/bin/python bench/suite.py [--baseline 3ecaa62] [--rounds 2] [--only current] [--parts]

The suite's speed goal is a ratio on one machine: ``make test`` at most half the time the
baseline revision's suite takes. Both are measured here, alternately (baseline, current,
baseline, current, ...), because a shared two-core machine's speed drifts by a tenth to a half
within minutes: two runs taken an hour apart compare the machine, not the code.

- **The current suite** is ``make test PYTEST_ARGS=-q`` in this checkout: what a developer and CI
  run (a process per core, the browser tests in one of them).
- **The baseline suite** is the baseline revision checked out in a temporary git worktree, run
  with this checkout's virtualenv as its ``make test`` ran it then: ``python -m pytest -q`` in
  one process (its Makefile's ``install`` step is skipped: it would install that revision's
  pins into the shared virtualenv). The default, 3ecaa62, is the suite as it was before the
  test database was shared per process, the live server shared by the browser tests and the
  tests spread over the cores. The worktree is removed afterwards.

``--parts`` runs the current suite's two parts instead, each alone in one process: the browser
tests (``tests/browser``) and the rest. Together with the busy CPU it shows where the suite's
work is: a part that keeps fewer than two cores busy alone leaves room beside it.

Each run reports the time pytest reports, the tests it ran, and the CPU the whole machine used
meanwhile (from ``/proc/stat``, so Chromium's processes count too: process accounting misses
them), as CPU-seconds and as the cores kept busy on average. Before each run a pure-Python loop
(ten million additions) is timed: it says how fast the machine was just then. The environment is
passed through: with ``DATABASE_URL`` and ``REDIS_URL`` set both suites run on PostgreSQL and
Redis. Every run is bounded (``--timeout``, default 30 minutes) and its output kept in
``var/bench/suite/``. See bench/README.md, section "The test suite".
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
LOGS = ROOT / "var" / "bench" / "suite"
DEFAULT_BASELINE = "3ecaa62"
GOAL = 0.5  # the current suite's time, as a share of the baseline's
# pytest's last line: "1886 passed, 65 skipped in 160.62s (0:02:40)" (colours and "=" stripped).
SUMMARY = re.compile(r"^=*\s*(?P<counts>(?:\d+ \w+,? ?)+) in (?P<seconds>[\d.]+)s")
LOOP = "import time; t = time.perf_counter(); s = 0\nfor i in range(10_000_000): s += i\nprint(time.perf_counter() - t)"


@dataclass
class Run:
    suite: str  # "baseline", "current", or a part of the current suite
    round: int
    revision: str
    counts: str
    seconds: float
    wall: float
    busy_cpu: float | None
    loop: float
    returncode: int

    @property
    def label(self) -> str:
        return f"{self.suite} {self.round}"

    @property
    def cores_busy(self) -> float | None:
        return None if self.busy_cpu is None else self.busy_cpu / self.wall


def busy_cpu_seconds() -> float | None:
    """CPU time the whole machine has spent on work since it started (user, nice, system, irq,
    softirq; not idle, I/O wait or steal), or None where there is no ``/proc/stat``."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:8]]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def loop_seconds(python: Path) -> float:
    return float(subprocess.run([str(python), "-c", LOOP], capture_output=True, text=True, check=True).stdout)


def parse_summary(output: str) -> tuple[str, float]:
    """The counts and seconds of pytest's last summary line."""
    for line in reversed(output.splitlines()):
        match = SUMMARY.match(re.sub(r"\x1b\[[0-9;]*m", "", line).strip())
        if match:
            return match["counts"].strip().rstrip(","), float(match["seconds"])
    raise ValueError("no pytest summary line in the output")


def run_suite(suite: str, round_number: int, revision: str, args: list[str], cwd: Path, timeout: float) -> Run:
    loop = loop_seconds(VENV / "bin" / "python")
    log = LOGS / f"{re.sub(r'[^a-z0-9]+', '-', suite)}-{round_number}.log"
    before, started = busy_cpu_seconds(), time.monotonic()
    with open(log, "w") as handle:
        # A session of its own: on a timeout the whole run stops (pytest's worker processes,
        # Chromium, the live server), not only the process started here.
        process = subprocess.Popen(
            args, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            returncode = -1
    wall, after = time.monotonic() - started, busy_cpu_seconds()
    try:
        counts, seconds = parse_summary(log.read_text(errors="replace"))
    except ValueError:
        counts, seconds = "no summary (see the log)", wall
    busy = None if before is None or after is None else after - before
    run = Run(suite, round_number, revision, counts, seconds, wall, busy, loop, returncode)
    print(table([run]).splitlines()[-1], flush=True)
    return run


def current_runs(parts: bool) -> list[tuple[str, list[str]]]:
    """What ``make test`` runs, whole, or (``parts``) its browser tests and the rest apart."""
    if not parts:
        return [("current", ["make", "test", "PYTEST_ARGS=-q"])]
    one_process = ["make", "test", "TEST_PROCESSES=0"]
    return [
        ("current, browser tests", [*one_process, "PYTEST_ARGS=-q tests/browser"]),
        ("current, the rest", [*one_process, "PYTEST_ARGS=-q --ignore=tests/browser"]),
    ]


def revision_of(ref: str, cwd: Path = ROOT) -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", ref], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def table(runs: list[Run]) -> str:
    lines = [
        "| run | revision | tests | time | busy CPU | cores busy | loop |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for run in runs:
        busy = "n/a" if run.busy_cpu is None else f"{run.busy_cpu:.0f} CPU-s"
        cores = "n/a" if run.cores_busy is None else f"{run.cores_busy:.2f}"
        failed = "" if run.returncode == 0 else f" (exit {run.returncode})"
        lines.append(
            f"| {run.label} | {run.revision} | {run.counts}{failed} | {run.seconds:.1f} s | {busy} | {cores} "
            f"| {run.loop:.2f} s |"
        )
    return "\n".join(lines)


def summary(runs: list[Run]) -> str:
    # A run that failed or was stopped says nothing about the suite's speed.
    passed = [run for run in runs if run.returncode == 0]
    baseline = [run.seconds for run in passed if run.suite == "baseline"]
    current = [run.seconds for run in passed if run.suite == "current"]
    if not baseline or not current:
        return "No ratio: a run failed or was stopped (see its log)." if len(passed) < len(runs) else ""
    ratio = statistics.mean(current) / statistics.mean(baseline)
    verdict = "met" if ratio <= GOAL else "missed"
    return (
        f"Mean time: baseline {statistics.mean(baseline):.1f} s, current {statistics.mean(current):.1f} s; "
        f"current / baseline = {ratio:.2f} (goal: at most {GOAL}): {verdict}."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="the revision to compare with")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each suite, taken in turn")
    parser.add_argument("--only", choices=["current", "baseline"], help="run one of the two suites only")
    parser.add_argument("--parts", action="store_true", help="the current suite's browser tests and the rest, apart")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds a run may take")
    options = parser.parse_args()

    if not (VENV / "bin" / "python").exists():
        print("No virtualenv in .venv: run `make install` first.", file=sys.stderr)
        return 2
    LOGS.mkdir(parents=True, exist_ok=True)
    with_baseline, with_current = options.only != "current", options.only != "baseline"
    current_revision = revision_of("HEAD")
    worktree = Path(tempfile.mkdtemp(prefix="samenleven-baseline-")) if with_baseline else None
    runs: list[Run] = []
    try:
        if worktree is not None:
            subprocess.run(
                ["git", "worktree", "add", "--detach", "--quiet", str(worktree), options.baseline],
                cwd=ROOT,
                check=True,
            )
            (worktree / ".venv").symlink_to(VENV)
            baseline_revision = revision_of("HEAD", worktree)
        for round_number in range(1, options.rounds + 1):
            if worktree is not None:
                args = [str(VENV / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
                runs.append(run_suite("baseline", round_number, baseline_revision, args, worktree, options.timeout))
            if with_current:
                for suite, args in current_runs(options.parts):
                    runs.append(run_suite(suite, round_number, current_revision, args, ROOT, options.timeout))
    finally:
        if worktree is not None:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False)
            shutil.rmtree(worktree, ignore_errors=True)
            subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=False)

    print()
    print(table(runs))
    print()
    print(summary(runs))
    print(f"Logs: {LOGS}")
    return 0 if all(run.returncode == 0 for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
