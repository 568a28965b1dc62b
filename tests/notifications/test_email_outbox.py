"""The durable outbox and the mail worker, against a real SMTP server.

The server is aiosmtpd on 127.0.0.1 and a random port, in the test process;
the worker uses Django's SMTP backend, configured as EMAIL_URL would.
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from community import actions as community_actions
from notifications.email import outbox
from notifications.models import OutboxMessage
from tests.factories import MemberFactory
from threads import actions

ROOT = Path(__file__).resolve().parents[2]
SITE = "https://samenleven.example.nl"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it receives; ``refuse`` answers 550
    for those addresses, ``fail_every`` answers ``fail_code`` (451, try again
    later, unless told otherwise) to every n-th message, ``drop_after`` hangs
    up after that many messages."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()
        self.fail_every = 0
        self.fail_code = "451 4.3.0 Try again later"
        self.drop_after = 0  # close the connection instead of answering the DATA after this many messages
        self._count = 0
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self._count += 1
            if self.drop_after and self._count > self.drop_after:
                server.transport.close()
                return "421 4.3.0 Closing"
            if self.fail_every and self._count % self.fail_every == 0:
                return self.fail_code
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.messages.append(
                email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
            )
        return "250 Message accepted"

    def message_ids(self) -> list[str]:
        return [message["Message-ID"].strip() for message in self.messages]

    def to(self, address: str) -> list[Message]:
        return [m for m, (_from, rcpt) in zip(self.messages, self.envelopes, strict=False) if address in rcpt]

    def get(self, message_id: str) -> Message:
        [message] = [m for m in self.messages if m["Message-ID"].strip() == message_id]
        return message


class SMTPServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def use_smtp(settings, port: int) -> None:
    """The settings EMAIL_URL=smtp://127.0.0.1:<port> gives (pytest-django's default is locmem)."""
    from community.settings import parse_email_url

    for name, value in parse_email_url(f"smtp://127.0.0.1:{port}?timeout=5").items():
        setattr(settings, name, value)
    settings.SITE_URL = SITE


@pytest.fixture
def smtp(settings):
    """A running SMTP server; ``smtp.inbox`` is what arrived."""
    server = SMTPServer(free_port())
    server.start()
    use_smtp(settings, server.port)
    yield server
    server.stop()


@pytest.fixture
def smtp_down(settings):
    """A port where nothing listens yet; ``.start()`` brings the server up."""
    server = SMTPServer(free_port())
    use_smtp(settings, server.port)
    yield server
    server.stop()


@pytest.fixture
def clock(monkeypatch):
    """``clock.advance(seconds)`` moves timezone.now() forward."""

    class Clock:
        offset = timedelta()
        real_now = staticmethod(timezone.now)

        def advance(self, seconds: float) -> None:
            self.offset += timedelta(seconds=seconds)

    moved = Clock()
    monkeypatch.setattr(timezone, "now", lambda: moved.real_now() + moved.offset)
    return moved


@pytest.fixture
def reader(db):
    """Noor: a member made without the sign-up flow, so no e-mail of her own is queued."""
    return MemberFactory(name="Noor Jansen", handle="noor")


@pytest.fixture
def other_reader(db):
    return MemberFactory(name="Bas Visser", handle="bas")


def deliver() -> None:
    call_command("deliver_mail", "--once", stdout=open(os.devnull, "w"))


def queue(count: int, member, *, kind: str = "mentioned") -> list[OutboxMessage]:
    return outbox.bulk_queue(
        [
            outbox.new_message(
                to=f"{member.name} <{member.email}>",
                kind=kind,
                subject=f"Bericht {n}",
                text=f"Tekst {n}",
                html=f"<p>Tekst {n}</p>",
                recipient_id=member.pk,
            )
            for n in range(count)
        ]
    )


def text_and_html(message: Message) -> tuple[str, str]:
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        for part in message.walk()
        if not part.is_multipart()
    }
    return parts["text/plain"], parts["text/html"]


# --- Immediate e-mail over SMTP ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_mention_arrives_over_smtp_with_the_right_headers_parts_and_links(smtp, question, member, colleague, clock):
    post = actions.reply_to_thread(author=colleague, thread=question, body="Wat denk jij, @fatima?")
    row = OutboxMessage.objects.get(recipient=member, kind="mentioned")
    assert row.status == OutboxMessage.Status.QUEUED

    clock.advance(outbox.option("window_seconds") + 1)  # a mention waits the window too
    deliver()

    message = smtp.inbox.get(row.message_id)
    assert smtp.inbox.envelopes[smtp.inbox.messages.index(message)][1] == [member.email]
    assert message["Message-ID"].strip() == row.message_id
    assert message["To"] == f"{member.name} <{member.email}>"
    assert message.get_content_type() == "multipart/alternative"
    assert "Thijs Willems" in message["Subject"] and question.title in message["Subject"]
    unsubscribe = str(message["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith(f"<{SITE}/unsubscribe/") and unsubscribe.endswith("/>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    text, html = text_and_html(message)
    post_link = SITE + reverse("post_permalink", args=[post.pk])
    for body in (text, html):
        assert post_link in body
        assert f"{SITE}/settings/" in body
        assert unsubscribe[1:-1] in body
        assert "Wat denk jij" in body
    assert "Hallo Fatima el Amrani" in text  # her language, Dutch
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT and row.attempts == 1 and row.sent_at is not None


@pytest.mark.django_db
def test_the_e_mail_is_in_the_members_language(smtp, question, member, colleague, clock):
    community_actions.set_language(member=member, language="en")
    actions.reply_to_thread(author=colleague, thread=question, body="Hi @fatima")
    clock.advance(outbox.option("window_seconds") + 1)
    deliver()
    message = smtp.inbox.get(OutboxMessage.objects.get(recipient=member, kind="mentioned").message_id)
    text, _html = text_and_html(message)
    assert "Hello Fatima el Amrani" in text
    assert "View the post" in text


@pytest.mark.django_db
def test_a_rolled_back_action_leaves_no_e_mail(question, colleague, member):
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.reply_to_thread(author=colleague, thread=question, body="Hoi @fatima")
        assert OutboxMessage.objects.filter(recipient=member, kind="mentioned").exists()
        raise RuntimeError("the action fails after the notification was written")
    assert not OutboxMessage.objects.filter(recipient=member, kind="mentioned").exists()


# --- Retries, backoff and giving up ------------------------------------------------------------


@pytest.mark.django_db
def test_smtp_down_then_up_nothing_is_lost_and_every_message_arrives_exactly_once(smtp_down, reader, clock):
    rows = queue(3, reader)
    base = outbox.option("backoff_seconds")

    deliver()  # nothing listens on the port
    first = list(OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]))
    now = timezone.now()
    for row in first:
        assert row.status == OutboxMessage.Status.QUEUED and row.attempts == 1
        assert "refused" in row.last_error.lower() or "errno" in row.last_error.lower()
        assert base * 0.99 <= (row.next_attempt_at - now).total_seconds() <= base * 1.11

    deliver()  # not due yet: no attempt
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}

    clock.advance(base * 1.2)
    deliver()  # due, still down: the delay doubles
    now = timezone.now()
    for row in OutboxMessage.objects.all():
        assert row.attempts == 2
        assert base * 2 * 0.99 <= (row.next_attempt_at - now).total_seconds() <= base * 2 * 1.11

    smtp_down.start()
    deliver()  # up, but the rows wait for their time
    assert smtp_down.inbox.messages == []
    clock.advance(base * 2.5)
    deliver()
    deliver()
    assert sorted(smtp_down.inbox.message_ids()) == sorted(r.message_id for r in rows)
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("sent", 3)}


@pytest.mark.django_db
def test_after_the_last_attempt_the_message_fails_and_the_admin_shows_the_error(
    smtp_down, reader, staff, settings, clock, client, login
):
    settings.OUTBOX = {**settings.OUTBOX, "max_attempts": 2}
    [row] = queue(1, reader)
    deliver()
    clock.advance(3600)
    deliver()
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.FAILED and row.attempts == 2 and row.last_error
    clock.advance(24 * 3600)
    deliver()
    row.refresh_from_db()
    assert row.attempts == 2, "a failed message is not tried again by itself"

    login(staff)
    changelist = reverse("admin:notifications_outboxmessage_changelist")
    page = client.get(changelist, {"status__exact": "failed"}).content.decode()
    assert "Bericht 0" in page and "ConnectionRefusedError" in page
    assert client.get(reverse("admin:notifications_outboxmessage_change", args=[row.pk])).status_code == 200

    smtp_down.start()
    client.post(changelist, {"action": "retry_selected", "_selected_action": [row.pk]})
    deliver()
    assert smtp_down.inbox.message_ids() == [row.message_id]


@pytest.mark.django_db
def test_a_refused_address_fails_at_once_and_the_rest_of_the_batch_still_goes(smtp, reader, other_reader):
    smtp.inbox.refuse = {other_reader.email}
    refused = queue(1, other_reader)[0]
    accepted = queue(2, reader)
    deliver()
    refused.refresh_from_db()
    assert refused.status == OutboxMessage.Status.FAILED and refused.attempts == 1 and "550" in refused.last_error
    assert sorted(smtp.inbox.message_ids()) == sorted(r.message_id for r in accepted)


@pytest.mark.django_db
def test_a_temporary_refusal_is_retried_later(smtp, reader, clock):
    smtp.inbox.fail_every = 1
    [row] = queue(1, reader)
    deliver()
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.QUEUED and row.attempts == 1 and "451" in row.last_error
    smtp.inbox.fail_every = 0
    clock.advance(outbox.option("backoff_seconds") * 1.2)
    deliver()
    assert smtp.inbox.message_ids() == [row.message_id]


# --- Claims ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_two_workers_claim_different_rows_and_a_crashed_workers_claim_returns(reader, clock):
    rows = queue(6, reader)
    first = outbox.claim(worker="a", limit=4)
    second = outbox.claim(worker="b", limit=4)
    assert len(first) == 4 and len(second) == 2
    assert not {r.pk for r in first} & {r.pk for r in second}
    assert outbox.claim(worker="c", limit=10) == []
    clock.advance(outbox.option("lease_seconds") + 1)  # a and b died without a word
    assert sorted(r.pk for r in outbox.claim(worker="c", limit=10)) == sorted(r.pk for r in rows)


@pytest.mark.django_db
def test_a_worker_whose_claim_was_taken_over_does_not_mark_the_row(reader, clock):
    [row] = queue(1, reader)
    outbox.claim(worker="a", limit=1)
    clock.advance(outbox.option("lease_seconds") + 1)
    outbox.claim(worker="b", limit=1)
    outbox.mark_sent([row], "a")
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENDING and row.claimed_by == "b"


@pytest.mark.django_db
@pytest.mark.parametrize("lost_after", [1, 3])
def test_a_worker_that_lost_the_database_mid_batch_records_and_gives_back_at_once_when_it_returns(
    smtp, reader, monkeypatch, lost_after
):
    """The database goes away while the worker sends: what the SMTP server accepted is
    recorded as sent when it is back (never sent again), what was claimed but not sent
    goes back to the queue at once (not after the 15-minute lease)."""
    from django.db import OperationalError

    rows = queue(3, reader)
    claimed = outbox.claim(worker="w1", limit=3)
    real_mark_sent = outbox.mark_sent

    def database_gone(sent_rows, worker):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(outbox, "MARK_EVERY", lost_after)
    monkeypatch.setattr(outbox, "mark_sent", database_gone)
    with pytest.raises(OperationalError):
        outbox.send_claimed(claimed, worker="w1")
    assert len(smtp.inbox.messages) == lost_after
    monkeypatch.setattr(outbox, "mark_sent", real_mark_sent)

    assert outbox.recover_claims("w1") == (lost_after, 3 - lost_after)
    statuses = dict(OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", "status"))
    assert sorted(statuses.values()) == sorted(["sent"] * lost_after + ["queued"] * (3 - lost_after))
    deliver()
    assert sorted(m["Message-ID"] for m in smtp.inbox.messages) == sorted({r.message_id for r in rows})
    assert outbox.recover_claims("w1") == (0, 0)


@pytest.mark.django_db
def test_the_worker_loop_recovers_its_claims_once_the_database_is_back(monkeypatch):
    from django.db import OperationalError

    from notifications.management.commands.deliver_mail import Command

    command = Command()
    looks, recovered = [], []

    def has_due():
        looks.append(1)
        if len(looks) == 1:
            raise OperationalError("the database is restarting")
        command.stopping = True
        return False

    monkeypatch.setattr(outbox, "has_due", has_due)
    monkeypatch.setattr(outbox, "recover_claims", lambda worker: recovered.append(worker) or (0, 0))
    monkeypatch.setattr(Command, "_sleep", lambda self, seconds: None)
    command.stopping = False
    command._run({"once": False, "batch_size": None, "interval": 0.01, "verbosity": 1})
    assert len(looks) == 2 and len(recovered) == 1, "given back once, after the outage"


# --- Account e-mail goes through the outbox too --------------------------------------------------


@pytest.mark.django_db
def test_sign_up_mail_is_a_row_first_and_is_sent_right_after_the_commit(
    municipality, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sara = community_actions.register_member(
            name="Sara Bouzid",
            email="sara@example.nl",
            password="een-lang-wachtwoord",
            municipality=municipality,
            position="other",
        )
    row = OutboxMessage.objects.get(recipient=sara)
    assert row.kind == "verify_email" and row.status == OutboxMessage.Status.SENT
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [row.message_id]


@pytest.mark.django_db
def test_sign_up_succeeds_while_smtp_is_down_and_the_worker_sends_the_link_later(
    smtp_down, municipality, django_capture_on_commit_callbacks, clock
):
    with django_capture_on_commit_callbacks(execute=True):
        sara = community_actions.register_member(
            name="Sara Bouzid",
            email="sara@example.nl",
            password="een-lang-wachtwoord",
            municipality=municipality,
            position="other",
        )
    row = OutboxMessage.objects.get(recipient=sara)
    assert row.status == OutboxMessage.Status.QUEUED and row.attempts == 1
    smtp_down.start()
    clock.advance(outbox.option("backoff_seconds") * 1.2)
    deliver()
    [message] = smtp_down.inbox.to("sara@example.nl")
    assert "/accounts/verify/" in text_and_html(message)[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "Vries, Jan de",
        "Jan de Vries; gemeente Delft",
        "Wethouder: Jan",
        "jan@delft",
        "Jan <de> Vries",
        'Jan "JJ" de Vries',
        "Zoë, van der Berg",
    ],
)
def test_a_member_whose_name_holds_address_specials_gets_the_verification_mail_addressed_to_her_name(
    smtp, municipality, django_capture_on_commit_callbacks, name
):
    with django_capture_on_commit_callbacks(execute=True):
        jan = community_actions.register_member(
            name=name,
            email="jan@example.nl",
            password="een-lang-wachtwoord",
            municipality=municipality,
            position="other",
        )
    row = OutboxMessage.objects.get(recipient=jan)
    assert row.status == OutboxMessage.Status.SENT, row.last_error
    [message] = smtp.inbox.to("jan@example.nl")
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == (name, "jan@example.nl")
    assert "/accounts/verify/" in text_and_html(message)[0]


def poisoned(member, *, name: str, to: str = "", headers: dict[str, str] | None = None) -> OutboxMessage:
    return outbox.new_message(
        to=to or f"{member.name} <{member.email}>",
        kind="mentioned",
        subject=name,
        text="Tekst",
        recipient_id=member.pk,
        headers=headers,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "poison",
    [
        {"to": "Vries, Jan de <jan@example.nl>"},  # queued before names were quoted
        {"to": "Jan <jan@example.nl>, Piet <piet@example.nl>"},
        {"to": "Jan <jan@" + "a" * 70 + ".nl>"},  # a domain label IDNA cannot encode
        {"headers": {"X-Samenleven": "een\nregel"}},
    ],
    ids=["unquoted-name", "two-addresses", "domain-label-too-long", "header-with-a-line-break"],
)
def test_one_message_that_cannot_be_sent_fails_alone_and_the_nine_others_go_in_the_same_run(
    smtp, reader, poison, clock
):
    rows = outbox.bulk_queue(
        [
            outbox.new_message(
                to=f"{reader.name} <{reader.email}>",
                kind="mentioned",
                subject=f"Bericht {n}",
                text="Tekst",
                recipient_id=reader.pk,
            )
            for n in range(4)
        ]
        + [poisoned(reader, name="Vergiftigd", **poison)]
        + [
            outbox.new_message(
                to=f"{reader.name} <{reader.email}>",
                kind="mentioned",
                subject=f"Bericht {n}",
                text="Tekst",
                recipient_id=reader.pk,
            )
            for n in range(4, 9)
        ]
    )
    bad = rows[4]
    deliver()
    bad.refresh_from_db()
    assert bad.status == OutboxMessage.Status.FAILED and bad.attempts == 1 and bad.last_error
    good = [r for r in rows if r.pk != bad.pk]
    assert sorted(smtp.inbox.message_ids()) == sorted(r.message_id for r in good)
    assert set(OutboxMessage.objects.filter(pk__in=[r.pk for r in good]).values_list("status", "attempts")) == {
        ("sent", 1)
    }
    clock.advance(24 * 3600)
    deliver()
    bad.refresh_from_db()
    assert bad.attempts == 1 and len(smtp.inbox.messages) == 9, "a message that cannot be sent is not tried again"


@pytest.mark.django_db
def test_a_5xx_answer_to_one_messages_data_fails_that_message_alone(smtp, reader):
    rows = queue(10, reader)
    smtp.inbox.fail_every = 3
    smtp.inbox.fail_code = "554 5.6.0 Message content rejected"
    deliver()
    statuses = dict(OutboxMessage.objects.values_list("pk", "status"))
    failed = [r for r in rows if statuses[r.pk] == "failed"]
    assert len(failed) == 3 and all("554" in OutboxMessage.objects.get(pk=r.pk).last_error for r in failed)
    assert len(smtp.inbox.messages) == 7 and list(statuses.values()).count("sent") == 7


@pytest.mark.django_db
def test_a_dropped_connection_puts_the_rest_of_the_batch_back_with_backoff(smtp, reader):
    rows = queue(5, reader)
    smtp.inbox.drop_after = 2
    deliver()
    statuses = [OutboxMessage.objects.get(pk=r.pk) for r in rows]
    assert [r.status for r in statuses].count("sent") == 2
    waiting = [r for r in statuses if r.status != "sent"]
    assert len(waiting) == 3
    for row in waiting:
        assert row.status == OutboxMessage.Status.QUEUED and row.attempts == 1 and row.next_attempt_at > timezone.now()


# --- Several worker processes at once ----------------------------------------------------------


def database_url() -> str:
    from tests.notifications.test_processes import database_url as test_database_url

    return test_database_url()


@pytest.mark.django_db(transaction=True)
def test_three_worker_processes_send_every_row_exactly_once_through_temporary_failures(settings, reader):
    """Real processes on the test database (SQLite file or PostgreSQL), one SMTP
    server that answers "451 try again later" to every fourth message of the first round."""
    server = SMTPServer(free_port())
    server.start()
    server.inbox.fail_every = 4
    try:
        rows = queue(60, reader)
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "EMAIL_URL": f"smtp://127.0.0.1:{server.port}?timeout=5",
            "SITE_URL": SITE,
        }
        env.pop("REDIS_URL", None)
        for _round in range(3):
            workers = [
                subprocess.Popen(
                    [sys.executable, "manage.py", "deliver_mail", "--once", "--batch-size", "4"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                for _ in range(3)
            ]
            for worker in workers:
                _out, err = worker.communicate(timeout=120)
                assert worker.returncode == 0, err.decode()[-2000:]
            if not OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).exists():
                break
            # The server is well again (each round starts three processes: seconds each), and
            # the retries' time has come (the processes keep their own clocks).
            server.inbox.fail_every = 0
            OutboxMessage.objects.filter(status=OutboxMessage.Status.QUEUED).update(next_attempt_at=timezone.now())
        ids = server.inbox.message_ids()
        assert len(ids) == len(set(ids)) == 60
        assert set(ids) == {r.message_id for r in rows}
        assert OutboxMessage.objects.filter(attempts__gt=1).exists(), "some messages were retried"
        assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_the_worker_stops_cleanly_on_sigterm():
    """On the test database, already migrated (a fresh one would cost a migrate of its own)."""
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": "console://",
    }
    env.pop("REDIS_URL", None)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "deliver_mail", "--interval", "0.2"], cwd=ROOT, env=env, stderr=subprocess.PIPE
    )
    try:
        # Wait for the worker to say it started (its SIGTERM handler is in place by then),
        # however slow the machine is, rather than a fixed time.
        seen = b""
        deadline = time.monotonic() + 120
        while b"started" not in seen and time.monotonic() < deadline and worker.poll() is None:
            seen += worker.stderr.readline()
        assert worker.poll() is None and b"started" in seen, seen.decode()[-2000:]
        worker.terminate()
        assert worker.wait(timeout=15) == 0
    finally:
        if worker.poll() is None:
            worker.kill()


@pytest.mark.django_db
def test_sent_rows_are_pruned_after_the_keeping_time_and_queued_ones_never(reader, clock):
    rows = queue(3, reader)
    outbox.mark_sent(outbox.claim(worker="a", limit=2), "a")
    clock.advance(31 * 24 * 3600)
    assert outbox.prune_sent() == 2
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [rows[2].pk]
