"""The durable outbox: every e-mail is a row first, sent by a worker second.

Queueing writes the row in the caller's transaction, so an e-mail exists
exactly when the change that caused it was committed. A worker (``manage.py
deliver_mail``, any number of them on any number of machines) *claims* due
rows: on PostgreSQL with ``SELECT ... FOR UPDATE SKIP LOCKED`` and a status
change to ``sending`` with a lease, committed before any SMTP traffic; on
SQLite the immediate write transaction serialises claims. A claimed row
belongs to one worker until its lease runs out, so two workers never send the
same row. A failure is written at once: a failed attempt with exponential
backoff, and after ``max_attempts`` attempts (or a permanent 5xx refusal)
``failed`` with the error, for the admin. Successes are written in small
groups (one commit per group, not per message).

Failures are judged per message. One that is this message's own (a refusal of
its sender, recipient or content; an address or header that cannot be
encoded) counts against that message alone, and the batch goes on: permanent
(5xx, or cannot be encoded) fails it at once, a 4xx retries it with backoff.
Only a lost connection (or a 421) puts the rest of the batch back too.

A worker that is killed between the SMTP server accepting messages and their
rows being marked sent will send those few again once the lease runs out:
at-least-once is the best any SMTP client can promise. Ordinary SMTP failures
(server down, refused, disconnected, timed out) never lead to a second copy.
"""

from __future__ import annotations

import email.errors
import logging
import os
import random
import secrets
import smtplib
import socket
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from notifications.email.unsubscribe import mail_domain
from notifications.models import OutboxMessage

logger = logging.getLogger(__name__)
Status = OutboxMessage.Status
MAX_ERROR_LENGTH = 2000
MARK_EVERY, MARK_SECONDS = 20, 1.0  # sent rows are recorded in groups this size, or this often


def option(name: str) -> Any:
    defaults = {
        "batch_size": 50,
        "poll_seconds": 2,
        "max_attempts": 8,
        "backoff_seconds": 60,
        "backoff_max_seconds": 6 * 3600,
        "lease_seconds": 900,
        "keep_sent_days": 30,
        "window_seconds": 600,
    }
    return getattr(settings, "OUTBOX", {}).get(name, defaults[name])


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# --- Queueing ---------------------------------------------------------------------------


def make_message_id() -> str:
    """A globally unique Message-ID, short enough that the header is not folded."""
    return f"<{base36(time.time_ns() // 1000)}.{secrets.token_hex(6)}@{mail_domain()}>"


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while number:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
    return text or "0"


def new_message(
    *,
    to: str,
    kind: str,
    subject: str,
    text: str,
    html: str = "",
    headers: dict[str, str] | None = None,
    recipient_id: int | None = None,
    key: str | None = None,
    from_email: str = "",
    bundle: str | None = None,
) -> OutboxMessage:
    """An unsaved outbox row with its own, stable Message-ID (kept over retries)."""
    return OutboxMessage(
        recipient_id=recipient_id,
        to=to,
        from_email=from_email,
        kind=kind,
        key=key,
        bundle=bundle,
        message_id=make_message_id(),
        subject=" ".join(subject.split())[:400],
        text=text,
        html=html,
        headers=dict(headers or {}),
    )


def bulk_queue(messages: Sequence[OutboxMessage], *, skip_duplicates: bool = False) -> list[OutboxMessage]:
    """Insert rows in one query. ``skip_duplicates`` quietly leaves out a row
    whose idempotency key is queued already (the returned rows have no pk then)."""
    if not messages:
        return []
    return OutboxMessage.objects.bulk_create(messages, ignore_conflicts=skip_duplicates)


def queue_email_message(
    message: EmailMessage, *, kind: str, recipient_id: int | None = None, send_on_commit: bool = False
) -> OutboxMessage:
    """Store a rendered Django e-mail (one row per recipient address).

    ``send_on_commit`` tries to deliver it in this process right after the
    transaction commits (for sign-up mail a member is waiting for); when that
    fails, the row stays queued for the worker.
    """
    html = ""
    for content, mimetype in getattr(message, "alternatives", []) or []:
        if mimetype == "text/html":
            html = str(content)
    rows = [
        new_message(
            to=address,
            kind=kind,
            subject=str(message.subject),
            text=str(message.body),
            html=html,
            headers={
                **({"Reply-To": ", ".join(message.reply_to)} if message.reply_to else {}),
                **{str(k): str(v) for k, v in (message.extra_headers or {}).items()},
            },
            recipient_id=recipient_id,
            from_email=message.from_email if message.from_email != settings.DEFAULT_FROM_EMAIL else "",
        )
        for address in message.to
    ]
    rows = bulk_queue(rows)
    if send_on_commit:
        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: deliver_now(ids))
    return rows[0]


# --- Claiming and sending ---------------------------------------------------------------


def due(now: datetime) -> Q:
    """Queued rows whose time has come, and rows whose worker's claim ran out."""
    return Q(status__in=[Status.QUEUED, Status.SENDING], next_attempt_at__lte=now) & (
        Q(status=Status.QUEUED) | Q(locked_until__lt=now)
    )


def has_due(now: datetime | None = None) -> bool:
    """A cheap look without a transaction, so that an idle worker does not take write locks."""
    return OutboxMessage.objects.filter(due(now or timezone.now())).exists()


def claim(*, worker: str, limit: int, ids: Iterable[int] | None = None) -> list[OutboxMessage]:
    """Take up to ``limit`` due rows for this worker, committed before returning.

    PostgreSQL: rows another worker is claiming at this moment are skipped, not
    waited for (SKIP LOCKED); the status change makes the claim outlive the
    transaction. SQLite: the transaction takes the write lock at BEGIN
    (transaction_mode IMMEDIATE), so claims are serial.
    """
    now = timezone.now()
    with transaction.atomic():
        rows = OutboxMessage.objects.filter(due(now)).order_by("next_attempt_at", "id")
        if ids is not None:
            rows = rows.filter(pk__in=list(ids))
        if db_connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        claimed = list(rows[:limit])
        if claimed:
            lease_until = now + timedelta(seconds=option("lease_seconds"))
            OutboxMessage.objects.filter(pk__in=[row.pk for row in claimed]).update(
                status=Status.SENDING, locked_until=lease_until, claimed_by=worker[:120]
            )
            for row in claimed:
                row.status, row.locked_until, row.claimed_by = Status.SENDING, lease_until, worker[:120]
    return claimed


def as_email(row: OutboxMessage, connection: Any = None) -> EmailMultiAlternatives:
    headers = {**row.headers, "Message-ID": row.message_id}
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.text,
        from_email=row.from_email or settings.DEFAULT_FROM_EMAIL,
        to=[row.to],
        headers=headers,
        connection=connection,
    )
    if row.html:
        message.attach_alternative(row.html, "text/html")
    return message


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8, ... times the base delay after the 1st, 2nd, 3rd, ... failure, capped,
    with up to 10% jitter so that many rows do not all return at the same second."""
    seconds = min(option("backoff_seconds") * 2 ** max(attempts - 1, 0), option("backoff_max_seconds"))
    return timedelta(seconds=seconds * (1 + random.random() * 0.1))


# The server refused this message (its sender, a recipient or its content) and
# said so: the connection is still good for the next message.
REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
# The message cannot be built or encoded as it is (an address that does not
# parse or holds two, a domain IDNA cannot encode, a header with a line break,
# a charset that cannot hold a character, or a feature the server lacks, such
# as SMTPUTF8): no server and no later attempt will take it.
UNSENDABLE = (ValueError, TypeError, LookupError, email.errors.MessageError, smtplib.SMTPNotSupportedError)


def is_permanent(error: BaseException) -> bool:
    """Trying this message again will not help: a 5xx answer about it, or it cannot be encoded."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(code >= 500 for code, _msg in error.recipients.values())
    if isinstance(error, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        return error.smtp_code >= 500
    return isinstance(error, UNSENDABLE)


def is_about_the_message(error: BaseException) -> bool:
    """The failure is this message's own; the connection is good for the next one.

    Anything that is not a network or SMTP session error (OSError, which
    includes every smtplib error but the refusals above) came from building,
    encoding or handing over this one message. Only a lost or broken
    connection, or a 4xx that is not about one message (421), puts the rest
    of the batch back.
    """
    return isinstance(error, (*REFUSALS, *UNSENDABLE)) or not isinstance(error, OSError)


def reset(backend: SMTPBackend) -> None:
    """Leave no half-begun SMTP transaction behind for the next message (smtplib
    resets after a refusal itself). A dead connection shows at the next send."""
    try:
        if backend.connection is not None:
            backend.connection.rset()
    except (OSError, smtplib.SMTPException):
        logger.debug("RSET after a failed message did not succeed", exc_info=True)


def describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH] or type(error).__name__


def render_due(rows: Sequence[OutboxMessage], worker: str) -> list[OutboxMessage]:
    """Render the claimed rows stored as content (``notifications.email.rendering``), in
    bulk, and write what they say, so that a retry sends the same e-mail; rows that turn
    out to hold nothing new for the member are marked skipped and not sent."""
    from notifications.email import rendering

    pending = [row for row in rows if row.content and not row.text]
    if not pending:
        return list(rows)
    rendered = rendering.render_rows(pending)
    skipped = [row for row in pending if row.pk not in rendered]
    if skipped:
        still_claimed(worker, [row.pk for row in skipped]).update(
            status=Status.SKIPPED, locked_until=None, sent_at=timezone.now()
        )
    for row in pending:
        if row.pk in rendered:
            row.subject, row.text, row.html, row.headers = rendered[row.pk]
    if rendered:
        fields = ["subject", "text", "html", "headers"]
        OutboxMessage.objects.bulk_update([row for row in pending if row.pk in rendered], fields)
    return [row for row in rows if row.pk not in {r.pk for r in skipped}]


def still_claimed(worker: str, ids: Iterable[int] | None = None) -> QuerySet[OutboxMessage]:
    """The rows (of ``ids``, or all) that this worker's claim still holds: what it may
    write the outcome of. A row whose lease ran out and that another worker took is not."""
    rows = OutboxMessage.objects.filter(status=Status.SENDING, claimed_by=worker[:120])
    return rows if ids is None else rows.filter(pk__in=list(ids))


def mark_sent(rows: Sequence[OutboxMessage], worker: str) -> None:
    """Record rows the SMTP server accepted (only while this worker's claim holds)."""
    if rows:
        _record_sent(still_claimed(worker, [r.pk for r in rows]))


def _record_sent(rows: QuerySet[OutboxMessage]) -> int:
    return rows.update(
        status=Status.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, locked_until=None, last_error=""
    )


def mark_failed_attempt(rows: Sequence[OutboxMessage], worker: str, error: BaseException) -> None:
    """One more failed attempt: back to the queue with backoff, or failed for good.

    A bundle goes back without its bundle key (``BACK_IN_THE_QUEUE``)."""
    if not rows:
        return
    now = timezone.now()
    text = describe_error(error)
    permanent = is_permanent(error)
    by_attempts: dict[int, list[int]] = {}
    for row in rows:
        by_attempts.setdefault(row.attempts + 1, []).append(row.pk)
    for attempts, ids in by_attempts.items():
        gives_up = permanent or attempts >= option("max_attempts")
        still_claimed(worker, ids).update(
            status=Status.FAILED if gives_up else Status.QUEUED,
            **BACK_IN_THE_QUEUE,
            attempts=attempts,
            next_attempt_at=now if gives_up else now + backoff(attempts),
            last_error=text,
        )
    logger.warning("E-mail not sent (%d messages, %s): %s", len(rows), "permanent" if permanent else "will retry", text)


def release(rows: Sequence[OutboxMessage], worker: str) -> None:
    """Give unsent claims back at once (shutting down, lease nearly over); no attempt is counted."""
    if rows:
        still_claimed(worker, [r.pk for r in rows]).update(status=Status.QUEUED, **BACK_IN_THE_QUEUE)


#: What a claimed row gives up when it goes back to the queue: its lease, and its bundle
#: key. Once claimed, a bundle takes no more posts (they start a new bundle, which may be
#: queued by now: two queued rows may not share a key), and what it was rendered with is
#: what it sends; a post that joined it now would never be sent. It is an e-mail of its own
#: from here on, and the thread's later posts go in the other bundle.
BACK_IN_THE_QUEUE: dict[str, Any] = {"locked_until": None, "bundle": None}


@dataclass
class Delivery:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: Delivery) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.failed += other.failed
        self.errors += other.errors


def send_claimed(rows: Sequence[OutboxMessage], *, worker: str, should_stop: Any = None) -> Delivery:
    """Send claimed rows over one connection of the configured e-mail backend.

    A failure is written at once. Successes are written in small groups (every
    ``MARK_EVERY`` messages or ``MARK_SECONDS``, and before anything else is
    written), one commit instead of one per message: a worker killed in between
    may send those few again, which ordinary SMTP failures never cause.
    """
    result = Delivery(claimed=len(rows))
    if not rows:
        return result
    rows = render_due(rows, worker)
    if not rows:
        return result
    # Stop well before the lease runs out, so that no other worker takes over a row still being sent.
    deadline = time.monotonic() + option("lease_seconds") * 0.8
    backend = get_connection(fail_silently=False)
    # SMTP: one connection for the whole batch. Other backends (the developer's
    # file folder, the console) get a fresh connection, so one file per message.
    keep_open = isinstance(backend, SMTPBackend)
    if keep_open:
        try:
            backend.open()
        except Exception as error:
            mark_failed_attempt(rows, worker, error)
            result.failed = len(rows)
            result.errors.append(describe_error(error))
            return result
    accepted: list[OutboxMessage] = []
    marked_at = time.monotonic()

    def flush() -> None:
        nonlocal marked_at
        mark_sent(accepted, worker)
        accepted.clear()
        marked_at = time.monotonic()

    try:
        for index, row in enumerate(rows):
            if time.monotonic() > deadline or (should_stop is not None and should_stop()):
                flush()
                release(rows[index:], worker)
                break
            try:
                connection = backend if keep_open else get_connection(fail_silently=False)
                message = as_email(row, connection)
                if not message.recipients():
                    raise ValueError("the message has no recipient address")
                sent = connection.send_messages([message])
                if not sent:
                    raise smtplib.SMTPException("the e-mail backend did not send the message")
            except Exception as error:
                flush()
                result.errors.append(describe_error(error))
                if is_about_the_message(error):
                    mark_failed_attempt([row], worker, error)
                    result.failed += 1
                    if keep_open and not isinstance(error, REFUSALS):
                        reset(backend)
                    continue
                # The connection is gone: this row and the rest try again later.
                mark_failed_attempt(rows[index:], worker, error)
                result.failed += len(rows) - index
                break
            accepted.append(row)
            result.sent += 1
            if len(accepted) >= MARK_EVERY or time.monotonic() - marked_at > MARK_SECONDS:
                flush()
        flush()
    finally:
        if accepted:  # an unexpected error above: still record what the server accepted
            try:
                flush()
            except Exception:
                # The database went away: remembered, recorded when it is back (``recover_claims``).
                unrecorded.setdefault(worker, set()).update(row.pk for row in accepted)
                logger.exception("Could not record %d sent e-mails yet", len(accepted))
        try:
            backend.close()
        except Exception:
            logger.debug("Closing the e-mail connection failed", exc_info=True)
    return result


#: Per worker, the rows the SMTP server accepted while the database could not be told.
unrecorded: dict[str, set[int]] = {}


def recover_claims(worker: str) -> tuple[int, int]:
    """After the database was away: record what this worker sent meanwhile, and give back
    what it had claimed and not sent, at once rather than when the lease ends (15 minutes).
    Returns (recorded as sent, given back). Raises while the database is still away."""
    with transaction.atomic():
        recorded = _record_sent(still_claimed(worker, sorted(unrecorded.get(worker, ()))))
        released = still_claimed(worker).update(status=Status.QUEUED, **BACK_IN_THE_QUEUE)
    unrecorded.pop(worker, None)
    return recorded, released


def deliver_due(*, worker: str, batch_size: int | None = None, should_stop: Any = None) -> Delivery:
    """Claim and send one batch of due rows."""
    rows = claim(worker=worker, limit=batch_size or option("batch_size"))
    return send_claimed(rows, worker=worker, should_stop=should_stop)


def deliver_now(ids: Sequence[int]) -> Delivery:
    """Send these rows from this process now (after the commit that queued them).
    Never raises: whatever is not sent stays queued for the worker."""
    worker = worker_name()
    try:
        return send_claimed(claim(worker=worker, limit=len(ids), ids=ids), worker=worker)
    except Exception:
        logger.exception("Sending e-mail %s right away failed; the worker will retry", list(ids))
        return Delivery()


# --- Housekeeping (admin actions and the worker) -------------------------------------------


def retry(ids: Iterable[int]) -> int:
    """Queue failed (or queued) rows again at once, with a fresh count of attempts."""
    return OutboxMessage.objects.filter(pk__in=list(ids), status__in=[Status.FAILED, Status.QUEUED]).update(
        status=Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), locked_until=None
    )


def prune_sent(*, older_than_days: int | None = None, chunk: int = 1000) -> int:
    """Delete sent (and skipped) rows older than ``keep_sent_days``, in chunks (never the whole
    table in memory)."""
    from notifications.models import DigestLedger

    days = option("keep_sent_days") if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    while True:
        ids = list(
            OutboxMessage.objects.filter(status__in=[Status.SENT, Status.SKIPPED], sent_at__lt=cutoff).values_list(
                "pk", flat=True
            )[:chunk]
        )
        if not ids:
            return deleted
        with transaction.atomic():
            DigestLedger.objects.filter(message_id__in=ids).update(message=None)
            count, _rows = OutboxMessage.objects.filter(pk__in=ids).only("pk").delete()
        deleted += count
