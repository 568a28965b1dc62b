"""Daily and weekly digests: what is in them, what never is, and exactly one per member and period."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community.models import Group, Member, Municipality
from notifications import actions as notification_actions
from notifications.email import actions as email_actions
from notifications.email import digests
from notifications.email.digests import period_ending, send_digests
from notifications.models import DigestLedger, OutboxMessage, Watch
from tests.conftest import approved_member
from tests.notifications.test_email_outbox import SITE, deliver, smtp, text_and_html
from tests.threads.conftest import make_thread
from threads import actions
from threads.models import Theme, Thread

ROOT = Path(__file__).resolve().parents[2]


def this_week_ends() -> date:
    """The Monday after today: a weekly run on that day covers this week, so what the test writes now."""
    today = timezone.localdate()
    return today + timedelta(days=7 - today.weekday())


def weekly(**kwargs) -> digests.Report:
    return send_digests(frequency="weekly", today=this_week_ends(), **kwargs)


def digest_of(member) -> OutboxMessage | None:
    return OutboxMessage.objects.filter(recipient=member, kind__startswith="digest").first()


def digests_per_member() -> dict[int, int]:
    counts: dict[int, int] = {}
    for recipient_id in OutboxMessage.objects.filter(kind__startswith="digest").values_list("recipient_id", flat=True):
        counts[recipient_id] = counts.get(recipient_id, 0) + 1
    return counts


# --- The period ----------------------------------------------------------------------------------


def test_the_period_is_the_one_that_just_ended():
    monday, wednesday = date(2025, 3, 10), date(2025, 3, 12)
    day = period_ending("daily", wednesday)
    assert (day.start, day.end, day.last_day) == (date(2025, 3, 11), wednesday, date(2025, 3, 11))
    week = period_ending("weekly", wednesday)
    assert (week.start, week.last_day) == (date(2025, 3, 3), date(2025, 3, 9))
    assert period_ending("weekly", monday) == week
    # Midnight in Amsterdam, also across the change to summer time (30 March 2025).
    spring = period_ending("weekly", date(2025, 4, 1))
    assert spring.start_at.isoformat() == "2025-03-24T00:00:00+01:00"
    assert spring.end_at.isoformat() == "2025-03-31T00:00:00+02:00"


# --- What is in a digest, and what never is ----------------------------------------------------------


@pytest.fixture
def sanne(dutch_data, staff):
    """Sanne from Amsterdam (Noord-Holland): a G4 and expat municipality, like 's-Gravenhage."""
    return approved_member(Municipality.objects.get(code="GM0363"), name="Sanne de Vries", handle="sanne")


@pytest.fixture
def week(member, colleague, outsider, sanne, plein, themes):
    """A week on the forum, seen from Fatima in 's-Gravenhage."""
    werk = Theme.objects.get(slug="werk")
    notification_actions.set_watch_level(member=member, theme=werk, level=Watch.Level.WATCHING)
    similar = make_thread(sanne, plein, title="Hoe vinden expats een huisarts?", kind="question")
    regional = make_thread(
        sanne,
        Group.objects.get(slug="noord-holland"),
        title="Alleen voor Noord-Holland: vraag over opvang",
        kind="question",
    )
    elsewhere = actions.create_thread(
        author=outsider,
        group=Group.objects.get(slug="limburg"),
        title="Limburgse werkgevers en taalles",
        kind="experience",
        body="Tekst",
        themes=[werk],
    )
    plein_thread = make_thread(outsider, plein, title="Ervaring met een buurtcoach")
    useful = actions.reply_to_thread(
        author=colleague, thread=plein_thread, body="Bij ons werkt een **spreekuur** in de bibliotheek goed."
    )
    actions.mark_useful(member=sanne, post=useful)
    own = make_thread(member, plein, title="Mijn eigen onderwerp over taal")
    muted = make_thread(colleague, plein, title="Een onderwerp dat Fatima dempte")
    notification_actions.set_watch_level(member=member, thread=muted, level=Watch.Level.MUTED)
    hidden = make_thread(colleague, plein, title="Een verborgen onderwerp")
    Thread.objects.filter(pk=hidden.pk).update(hidden=True)  # as a moderator would
    return {
        "similar": similar,
        "regional": regional,
        "elsewhere": elsewhere,
        "plein": plein_thread,
        "useful": useful,
        "own": own,
        "muted": muted,
        "hidden": hidden,
    }


def test_a_weekly_digest_has_new_threads_useful_replies_and_questions_from_similar_municipalities(
    week, member, settings
):
    settings.SITE_URL = SITE
    weekly()
    row = digest_of(member)
    assert row is not None and row.kind == "digest_weekly"
    for body in (row.text, row.html):
        assert "Hoe vinden expats een huisarts?" in body and "Amsterdam" in body  # an open question from a G4 city
        assert "Ervaring met een buurtcoach" in body and "Het Plein" in body  # a new thread in her group
        assert "spreekuur" in body and "Westland" in body  # the reply marked useful, with its municipality
        assert SITE + week["similar"].get_absolute_url() in body
        assert SITE + week["useful"].get_absolute_url() in body
        assert f"{SITE}/settings/" in body
    text = row.text
    assert text.index("Hoe vinden expats") < text.index("Ervaring met een buurtcoach")


def test_a_digest_never_shows_what_the_member_may_not_read_muted_or_wrote_herself(week, member):
    weekly()
    row = digest_of(member)
    for title in (
        "Alleen voor Noord-Holland",  # a regional group she is not in
        "Limburgse werkgevers",  # in a theme she watches, but in a group she may not read
        "Mijn eigen onderwerp",  # her own
        "Fatima dempte",  # muted
        "Een verborgen onderwerp",  # hidden by a moderator
    ):
        assert title not in row.text and title not in row.html, title


def test_the_digest_is_in_the_members_language(week, member):
    from community.actions import set_language

    set_language(member=member, language="en")
    weekly()
    assert "Hello Fatima el Amrani" in digest_of(member).text
    assert "Open questions from municipalities like yours" in digest_of(member).text


def test_notifications_put_in_the_digest_appear_in_it(question, member, colleague, outsider):
    notification_actions.set_watch_level(member=outsider, thread=question, level=Watch.Level.WATCHING)
    actions.reply_to_thread(author=colleague, thread=question, body="Een antwoord voor iedereen")
    weekly()
    text = digest_of(outsider).text
    assert "Thijs Willems" in text and question.title in text


def test_empty_digests_are_not_sent_but_recorded(member, staff):
    report = weekly()
    assert digest_of(staff) is None and digest_of(member) is None
    assert DigestLedger.objects.get(member=staff).status == DigestLedger.Status.EMPTY
    assert report.queued == 0 and report.empty >= 2


def test_members_get_only_the_digest_they_chose(week, member, colleague, sanne, outsider):
    email_actions.set_email_preferences(member=colleague, kinds={}, digest="daily")
    email_actions.set_email_preferences(member=sanne, kinds={}, digest="off")
    weekly()
    assert digest_of(member) is not None
    assert digest_of(colleague) is None and digest_of(sanne) is None
    assert not DigestLedger.objects.filter(member__in=[colleague, sanne]).exists()
    send_digests(frequency="daily", today=timezone.localdate() + timedelta(days=1))
    assert digest_of(colleague).kind == "digest_daily"


def test_pending_suspended_and_unverified_members_get_no_digest(week, pending_member, member):
    Member.objects.filter(pk=member.pk).update(status="suspended", suspended_until=timezone.now() + timedelta(days=3))
    weekly()
    assert digest_of(member) is None and digest_of(pending_member) is None


def test_a_second_run_for_the_same_period_sends_nothing(week, member):
    first = weekly()
    second = weekly()
    assert first.queued >= 1 and second.queued == 0 and second.batches == 0
    assert set(digests_per_member().values()) == {1}


def test_a_run_that_crashed_halfway_resumes_with_the_members_it_had_not_reached(week, member, monkeypatch):
    real_render = digests.render_digest
    calls = []

    def crash_on_the_third(digest, candidates):
        calls.append(digest.member.pk)
        if len(calls) == 3:
            raise RuntimeError("the process was killed")
        return real_render(digest, candidates)

    monkeypatch.setattr(digests, "render_digest", crash_on_the_third)
    with pytest.raises(RuntimeError):
        weekly(batch_size=2)
    before = digests_per_member()
    assert 1 <= len(before) < 3 and set(before.values()) == {1}
    # The batch that crashed wrote nothing: the member being built has no ledger row.
    assert not DigestLedger.objects.filter(member_id=calls[-1]).exists()

    monkeypatch.setattr(digests, "render_digest", real_render)
    report = weekly(batch_size=2)
    after = digests_per_member()
    assert set(after.values()) == {1}, "nobody got a second digest"
    assert report.queued == len(after) - len(before) and set(before) < set(after)
    assert calls[-1] in after


def test_a_digest_batch_costs_the_same_queries_with_ten_times_more_members(
    member, colleague, outsider, plein, themes, municipality
):
    """Guards against an N+1 over members in a batch: roles (Membership), watch
    levels, preferences, notifications and the ledger are loaded in bulk."""
    make_thread(outsider, plein, title="Nieuw op Het Plein deze week", posts=1, repliers=[colleague])

    def run() -> tuple[int, digests.Report]:
        DigestLedger.objects.all().delete()
        OutboxMessage.objects.filter(kind__startswith="digest").delete()
        with CaptureQueriesContext(connection) as queries:
            report = weekly(batch_size=1000)
        return len(queries), report

    def add_members(count: int) -> None:
        for n in range(count):
            handle = f"lid_{Member.objects.count()}_{n}"
            approved_member(municipality, name=f"Lid {handle}", handle=handle)

    add_members(3)
    few, few_report = run()
    add_members(27)
    many, many_report = run()
    assert many_report.queued >= few_report.queued + 27 and many_report.batches == few_report.batches == 1
    assert many == few, f"{few} queries for {few_report.queued} digests, {many} for {many_report.queued}"
    assert few <= 20


# --- Delivered -----------------------------------------------------------------------------------


def test_the_delivered_digest_has_the_unsubscribe_headers_and_both_parts(week, member, smtp):
    weekly()
    row = digest_of(member)
    deliver()
    message = smtp.inbox.get(row.message_id)
    unsubscribe = str(message["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith(f"<{SITE}/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Precedence"] == "bulk" and message["Auto-Submitted"] == "auto-generated"
    text, html = text_and_html(message)
    assert unsubscribe[1:-1] in text and unsubscribe[1:-1] in html
    assert "Hoe vinden expats een huisarts?" in html

    # The one-click POST a mail program sends stops the digest.
    path = unsubscribe[1:-1].removeprefix(SITE)
    from django.test import Client

    assert Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert (
        not digests.recipients(period_ending("weekly", this_week_ends() + timedelta(days=7)))
        .filter(pk=member.pk)
        .exists()
    )


# --- Two runs at once -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_send_digests_processes_at_once_give_exactly_one_digest_per_member(dutch_data, staff, plein, themes):
    """Real processes on the test database. Both are held at their first ledger
    insert (a table lock the test holds) until both wait there, so that they
    really race for the same members; then every member has one digest."""
    from tests.needs import need_postgres
    from tests.notifications.test_processes import database_url

    need_postgres()
    import psycopg

    municipality = Municipality.objects.get(code="GM0518")
    members = [approved_member(municipality, name=f"Lid {n}", handle=f"race_{n}") for n in range(24)]
    make_thread(members[0], plein, title="Een onderwerp voor iedereen in deze week")
    today = this_week_ends().isoformat()
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": database_url(), "EMAIL_URL": "console://"}
    env.pop("REDIS_URL", None)
    command = [
        sys.executable,
        "manage.py",
        "send_digests",
        "--frequency",
        "weekly",
        "--date",
        today,
        "--batch-size",
        "5",
    ]

    db = connection.settings_dict
    lock = psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )
    processes = []
    try:
        lock.execute("LOCK TABLE notifications_digestledger IN SHARE MODE")  # lets reads through, holds inserts
        processes = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        deadline = time.monotonic() + 60
        while True:
            waiting = lock.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'notifications_digestledger' AND NOT l.granted"
            ).fetchone()[0]
            if waiting == 2:
                break
            assert all(p.poll() is None for p in processes), [p.communicate()[1].decode()[-2000:] for p in processes]
            assert time.monotonic() < deadline, "the processes did not both reach the ledger"
            time.sleep(0.1)
        lock.commit()
        outputs = []
        for process in processes:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err.decode()[-2000:]
            outputs.append(out.decode())
    finally:
        lock.close()
        for process in processes:
            if process.poll() is None:
                process.kill()

    counts = digests_per_member()
    assert set(counts.values()) == {1}
    assert {m.pk for m in members[1:]} <= set(counts)
    # They raced for the first batch: the one that lost found those members taken.
    taken = [int(re.search(r"(\d+) done by another run", out).group(1)) for out in outputs]
    assert max(taken) >= 5, outputs
