"""``manage.py send_digests --frequency daily|weekly``: queue the digests of the period that just ended.

Run it from cron or a systemd timer once a day (daily) and once a week (weekly,
on Monday); the mail worker sends what it queues. Running it again, or twice
at the same time, is harmless: the ledger lets every member have one digest
per period. A run that was interrupted continues where it stopped.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notifications.email.digests import Report, send_digests
from notifications.models import DigestLedger


class Command(BaseCommand):
    help = "Queue the daily or weekly digests of the period that just ended."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--frequency", required=True, choices=DigestLedger.Frequency.values)
        parser.add_argument(
            "--date",
            help="Run as on this day (YYYY-MM-DD, site time zone): the period is the one that ended before it. Default: today.",
        )
        parser.add_argument(
            "--batch-size", type=int, default=None, help="Members per batch (default: settings.DIGEST)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["date"]:
            try:
                today = date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(f"--date must look like 2025-01-31, not {options['date']!r}") from error
        if options["batch_size"] is not None and options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        started = time.monotonic()

        def progress(report: Report) -> None:
            if options["verbosity"] >= 2:
                self.stdout.write(f"  batch {report.batches}: {report.queued} queued, {report.empty} empty so far")

        report = send_digests(
            frequency=options["frequency"], today=today, batch_size=options["batch_size"], progress=progress
        )
        period = report.period
        self.stdout.write(
            f"{period.frequency} digest {period.start}..{period.last_day}: {report.queued} queued, "
            f"{report.empty} empty (not sent), {report.taken} done by another run, "
            f"{report.batches} batches in {time.monotonic() - started:.1f} s"
        )
