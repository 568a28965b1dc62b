"""Coalesced e-mail: replies to one thread wait a window in one queued bundle per member
and thread, and arrive as one e-mail with every post of the window, without what the
member read on the site meanwhile; a mention has its own e-mail. Time is moved with the
``clock`` fixture (timezone.now), the SMTP server is the aiosmtpd one of the outbox tests."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.urls import reverse
from django.utils import timezone

from community.models import Member, Municipality
from notifications.email import actions as email_actions
from notifications.email import outbox
from notifications.email.preferences import Frequency, Mode
from notifications.models import OutboxMessage
from tests.conftest import approved_member
from tests.notifications.test_email_outbox import (
    ROOT,
    SITE,
    SMTPServer,
    clock,
    database_url,
    deliver,
    free_port,
    smtp,
    smtp_down,
    text_and_html,
)
from threads import actions

Status = OutboxMessage.Status


@pytest.fixture
def repliers(dutch_data, staff):
    return [
        approved_member(Municipality.objects.get(code=code), name=f"Lid {n}", handle=f"lid{n}")
        for n, code in enumerate(("GM0518", "GM1783", "GM0363"))
    ]


def about_the_forum(member):
    """The member's outbox rows about notifications (approval and verification mail left out)."""
    return OutboxMessage.objects.filter(recipient=member, kind__in=["thread_bundle", "mentioned", "replied"])


def window() -> int:
    return outbox.option("window_seconds")


def to(member, inbox):
    """The e-mails about the forum that reached the member, in order."""
    ids = set(about_the_forum(member).values_list("message_id", flat=True))
    return [m for m in inbox.messages if m["Message-ID"].strip() in ids]


def reply_three_times(question, repliers):
    return [
        actions.reply_to_thread(author=repliers[n], thread=question, body=f"Reactie nummer {n} over de balie")
        for n in range(3)
    ]


@pytest.mark.django_db
def test_replies_within_the_window_arrive_as_exactly_one_e_mail_with_all_of_them(
    smtp, question, member, repliers, clock
):
    posts = reply_three_times(question, repliers)
    [bundle] = about_the_forum(member)
    assert (bundle.kind, bundle.status, bundle.text) == ("thread_bundle", Status.QUEUED, "")
    deliver()
    assert to(member, smtp.inbox) == [], "the window is still open"
    clock.advance(window() + 1)
    deliver()
    [message] = to(member, smtp.inbox)
    assert question.title in message["Subject"] and "3 nieuwe reacties" in message["Subject"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(message["List-Unsubscribe"]).strip().startswith(f"<{SITE}/unsubscribe/")
    text, html = text_and_html(message)
    for body in (text, html):
        for n, post in enumerate(posts):
            assert f"Reactie nummer {n} over de balie" in body
            assert SITE + reverse("post_permalink", args=[post.pk]) in body
    deliver()
    assert len(to(member, smtp.inbox)) == 1
    bundle.refresh_from_db()
    assert bundle.status == Status.SENT and bundle.subject in str(message["Subject"])


@pytest.mark.django_db
def test_nothing_is_sent_when_the_member_read_the_thread_before_the_window_closed(
    smtp, question, member, repliers, clock
):
    reply_three_times(question, repliers)
    question.refresh_from_db()
    actions.mark_read(
        member=Member.objects.get(pk=member.pk), thread=question, number=question.last_post_number, known=1
    )
    clock.advance(window() + 1)
    deliver()
    assert to(member, smtp.inbox) == []
    assert about_the_forum(member).get().status == Status.SKIPPED
    clock.advance(outbox.option("keep_sent_days") * 86400 + 1)
    outbox.prune_sent()
    assert not about_the_forum(member).exists(), "skipped rows are pruned like sent ones"


@pytest.mark.django_db
def test_what_was_read_is_left_out_and_later_posts_start_a_new_bundle(smtp, question, member, repliers, clock):
    actions.reply_to_thread(author=repliers[0], thread=question, body="Eerste, al gelezen")
    question.refresh_from_db()
    actions.mark_read(member=Member.objects.get(pk=member.pk), thread=question, number=2, known=1)
    actions.reply_to_thread(author=repliers[1], thread=question, body="Tweede, nog niet gelezen")
    clock.advance(window() + 1)
    deliver()
    [message] = to(member, smtp.inbox)
    text, _html = text_and_html(message)
    assert "Tweede, nog niet gelezen" in text and "Eerste, al gelezen" not in text
    actions.reply_to_thread(author=repliers[2], thread=question, body="Derde, na de e-mail")
    assert about_the_forum(member).filter(status=Status.QUEUED).count() == 1
    clock.advance(window() + 1)
    deliver()
    assert len(to(member, smtp.inbox)) == 2
    text, _html = text_and_html(to(member, smtp.inbox)[1])
    assert "Derde, na de e-mail" in text and "Tweede" not in text


@pytest.mark.django_db
def test_a_mention_among_the_replies_comes_in_its_own_e_mail(smtp, question, member, repliers, clock):
    actions.reply_to_thread(author=repliers[0], thread=question, body="Gewone reactie")
    actions.reply_to_thread(author=repliers[1], thread=question, body="Wat vind jij, @fatima?")
    actions.reply_to_thread(author=repliers[2], thread=question, body="Nog een gewone reactie")
    clock.advance(window() + 1)
    deliver()
    messages = to(member, smtp.inbox)
    assert len(messages) == 2
    bundle = next(m for m in messages if "nieuwe reacties" in m["Subject"])
    mention = next(m for m in messages if m is not bundle)
    assert "noemde je" in mention["Subject"] or "Lid 1" in mention["Subject"]
    text, _html = text_and_html(bundle)
    assert "Gewone reactie" in text and "Nog een gewone reactie" in text and "Wat vind jij" not in text


@pytest.mark.django_db
def test_direct_sends_each_reply_at_once_and_summary_or_never_sends_none(smtp, question, member, repliers, clock):
    email_actions.set_email_preferences(member=member, kinds={}, digest=Frequency.WEEKLY, mode=Mode.DIRECT)
    reply_three_times(question, repliers)
    deliver()
    assert len(to(member, smtp.inbox)) == 3
    for mode in (Mode.SUMMARY, Mode.NEVER):
        email_actions.set_email_preferences(member=member, kinds={}, digest=Frequency.WEEKLY, mode=mode)
        reply_three_times(question, repliers)
    clock.advance(window() + 1)
    deliver()
    assert len(to(member, smtp.inbox)) == 3


@pytest.mark.django_db
def test_smtp_down_during_the_window_the_e_mail_arrives_once_after_recovery(
    smtp_down, question, member, repliers, clock
):
    reply_three_times(question, repliers)
    clock.advance(window() + 1)
    deliver()  # nothing listens
    bundle = about_the_forum(member).get()
    assert bundle.status == Status.QUEUED and bundle.attempts == 1
    rendered = bundle.text
    assert "Reactie nummer 2" in rendered, "rendered once, kept for the retry"
    smtp_down.start()
    clock.advance(outbox.option("backoff_seconds") * 1.2)
    deliver()
    deliver()
    assert len(to(member, smtp_down.inbox)) == 1
    text, _html = text_and_html(to(member, smtp_down.inbox)[0])
    assert "Reactie nummer 2" in text
    bundle.refresh_from_db()
    assert (bundle.status, bundle.attempts, bundle.text) == (Status.SENT, 2, rendered)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_send_the_bundle_exactly_once(settings, dutch_data, staff, question, member, repliers):
    """Two ``deliver_mail`` processes on the test database at the same moment."""
    server = SMTPServer(free_port())
    server.start()
    try:
        reply_three_times(question, repliers)
        OutboxMessage.objects.filter(status=Status.QUEUED).update(next_attempt_at=timezone.now())
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "EMAIL_URL": f"smtp://127.0.0.1:{server.port}?timeout=5",
            "SITE_URL": SITE,
        }
        env.pop("REDIS_URL", None)
        workers = [
            subprocess.Popen(
                [sys.executable, "manage.py", "deliver_mail", "--once", "--batch-size", "1"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        for worker in workers:
            _out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err.decode()[-2000:]
        mine = to(member, server.inbox)
        assert len(mine) == 1
        ids = server.inbox.message_ids()
        assert len(ids) == len(set(ids))
        assert about_the_forum(member).get().status == Status.SENT
    finally:
        server.stop()


@pytest.mark.django_db
def test_a_reply_after_a_failed_send_is_mailed_too_in_an_e_mail_of_its_own(
    smtp_down, question, member, repliers, clock
):
    """The failed bundle keeps what it was rendered with; the later reply cannot join it
    (it would never be sent) and starts a new bundle."""
    reply_three_times(question, repliers)
    clock.advance(window() + 1)
    deliver()  # nothing listens
    later = actions.reply_to_thread(author=repliers[0], thread=question, body="Een latere reactie over de balie")
    assert about_the_forum(member).filter(status=Status.QUEUED).count() == 2
    smtp_down.start()
    clock.advance(outbox.option("backoff_seconds") * 1.2 + window())
    deliver()
    deliver()
    texts = [text_and_html(message)[0] for message in to(member, smtp_down.inbox)]
    assert len(texts) == 2
    assert sum("Reactie nummer 2" in text for text in texts) == 1
    assert sum("Een latere reactie" in text for text in texts) == 1, later


@pytest.mark.django_db
@pytest.mark.parametrize("back", ["failed", "released"])
def test_a_claimed_bundle_goes_back_to_the_queue_beside_the_bundle_started_meanwhile(
    question, member, repliers, clock, back
):
    """A reply while the bundle is being sent starts a new queued bundle; the claimed one
    going back (a failed attempt, or given back at shutdown) must not collide with it."""
    reply_three_times(question, repliers)
    clock.advance(window() + 1)
    claimed = [row for row in outbox.claim(worker="w1", limit=10) if row.kind == "thread_bundle"]
    assert claimed
    actions.reply_to_thread(author=repliers[1], thread=question, body="Terwijl de mail verstuurd wordt")
    if back == "failed":
        outbox.mark_failed_attempt(claimed, "w1", ConnectionRefusedError("SMTP weg"))
    else:
        outbox.release(claimed, "w1")
    queued = about_the_forum(member).filter(status=Status.QUEUED)
    assert queued.count() == 2
    assert set(queued.values_list("bundle", flat=True)) == {None, f"{member.pk}/{question.pk}"}
