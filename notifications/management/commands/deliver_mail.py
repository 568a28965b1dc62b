"""``manage.py deliver_mail``: the e-mail worker.

Sends what is due in the outbox over the configured e-mail backend (EMAIL_URL),
retrying failures with exponential backoff. Runs until stopped (SIGTERM or
Ctrl-C finish the message at hand, give the rest of the batch back and exit);
``--once`` sends everything that is due now and exits (for cron). Any number
of workers may run on any number of machines: each row is claimed by one.
"""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections

from notifications.email import outbox

logger = logging.getLogger("notifications.email.worker")
PRUNE_EVERY_SECONDS = 3600


class Command(BaseCommand):
    help = "Send the e-mail in the outbox (a long-running worker; --once for cron)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Send what is due now, then exit.")
        parser.add_argument(
            "--batch-size", type=int, default=None, help="Rows claimed at a time (default: settings.OUTBOX)."
        )
        parser.add_argument(
            "--interval", type=float, default=None, help="Seconds between looks when idle (default: settings.OUTBOX)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stopping = False
        previous = {signum: signal.signal(signum, self._stop) for signum in (signal.SIGTERM, signal.SIGINT)}
        try:
            self._run(options)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _run(self, options: dict[str, Any]) -> None:
        worker = outbox.worker_name()
        interval = options["interval"] if options["interval"] is not None else outbox.option("poll_seconds")
        batch_size = options["batch_size"] or outbox.option("batch_size")
        total = outbox.Delivery()
        last_prune = 0.0
        if not options["once"]:
            logger.info("Mail worker %s started", worker)
        outage = False
        while not self.stopping:
            result = outbox.Delivery()
            try:
                if outage:
                    recorded, released = outbox.recover_claims(worker)
                    outage = False
                    logger.info(
                        "Mail worker %s: the database is back; %d sent e-mails recorded, %d claims given back",
                        worker, recorded, released,
                    )  # fmt: skip
                if time.monotonic() - last_prune > PRUNE_EVERY_SECONDS:
                    outbox.prune_sent()
                    last_prune = time.monotonic()
                if outbox.has_due():
                    result = outbox.deliver_due(worker=worker, batch_size=batch_size, should_stop=lambda: self.stopping)
            except DatabaseError:
                if options["once"]:
                    raise
                # The database is away for a moment: once it is back, what this worker sent
                # meanwhile is recorded and what it claimed but did not send goes back.
                outage = True
                logger.exception("Mail worker %s: database error; trying again shortly", worker)
                close_old_connections()
                self._sleep(interval * 5)
                continue
            total.add(result)
            if result.sent or result.failed:
                logger.info("Mail worker %s: %d sent, %d failed", worker, result.sent, result.failed)
            if result.claimed:
                continue  # more may be due: look again at once
            if options["once"]:
                break
            close_old_connections()  # a long-running process must not keep a dead connection
            self._sleep(interval)
        if options["once"] or options["verbosity"] >= 2:
            self.stdout.write(f"{total.sent} sent, {total.failed} failed")

    def _stop(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, seconds))
