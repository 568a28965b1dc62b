"""Immediate e-mails for new notifications: who gets one, for which kinds, in bulk."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community.models import Member
from notifications import actions as notification_actions
from notifications.email import actions as email_actions
from notifications.email.preferences import Delivery, Frequency, Mode, bulk_settings
from notifications.models import OutboxMessage, Watch
from tests.conftest import approved_member
from threads import actions

pytestmark = pytest.mark.django_db


def forum_mail(member) -> list[str]:
    """The kinds of the notification e-mails queued for a member (sign-up mail left out)."""
    return list(
        OutboxMessage.objects.filter(recipient=member)
        .exclude(kind__startswith="signup")
        .exclude(kind="verify_email")
        .order_by("id")
        .values_list("kind", flat=True)
    )


def test_the_defaults_are_mentions_quotes_and_replies_at_once_the_rest_in_a_weekly_digest(member):
    settings = bulk_settings([member.pk])[member.pk]
    assert settings.digest == Frequency.WEEKLY
    choices = settings.as_choices()
    assert {"quoted", "mentioned", "replied"} <= {
        kind for kind, delivery in choices.items() if delivery == Delivery.IMMEDIATELY
    }
    assert {"posted", "new_thread", "answer_accepted", "useful"} <= {
        kind for kind, delivery in choices.items() if delivery == Delivery.DIGEST
    }
    assert "signup_approved" not in choices


def test_a_reply_to_your_thread_is_e_mailed_at_once_a_post_in_a_watched_thread_is_not(
    question, member, colleague, outsider
):
    notification_actions.set_watch_level(member=outsider, thread=question, level=Watch.Level.WATCHING)
    actions.reply_to_thread(author=colleague, thread=question, body="Een antwoord")
    # Bundled (the default): the reply waits in the member's bundle of the thread.
    assert forum_mail(member) == ["thread_bundle"]
    assert forum_mail(outsider) == []  # "posted" goes to the digest by default


def test_a_member_who_chose_never_gets_no_e_mail_and_one_who_chose_immediately_does(
    question, member, colleague, outsider
):
    email_actions.set_email_preferences(member=member, kinds={"replied": Delivery.NEVER}, digest=Frequency.WEEKLY)
    email_actions.set_email_preferences(member=outsider, kinds={"posted": Delivery.IMMEDIATELY}, digest=Frequency.OFF)
    notification_actions.set_watch_level(member=outsider, thread=question, level=Watch.Level.WATCHING)
    actions.reply_to_thread(author=colleague, thread=question, body="Een antwoord")
    assert forum_mail(member) == []
    assert forum_mail(outsider) == ["thread_bundle"]


def test_members_without_forum_access_or_a_verified_address_get_no_forum_e_mail(question, member, colleague):
    Member.objects.filter(pk=member.pk).update(email_verified_at=None)
    actions.reply_to_thread(author=colleague, thread=question, body="Hoi @fatima")
    assert forum_mail(member) == []


def test_nuttig_marks_give_at_most_one_e_mail_per_post_and_day(answer, member, colleague, outsider):
    email_actions.set_email_preferences(
        member=colleague, kinds={"useful": Delivery.IMMEDIATELY}, digest=Frequency.WEEKLY
    )
    actions.mark_useful(member=member, post=answer)
    actions.mark_useful(member=outsider, post=answer)
    assert forum_mail(colleague) == ["useful"]


def test_queueing_e_mail_for_a_reply_costs_the_same_queries_for_ten_times_more_watchers(
    question, colleague, municipality
):
    """Guards against an N+1 over recipients in bulk_queue_notification_emails
    (preferences, insert; nothing is rendered in the request). Direct mail: a row each."""

    def watchers(count: int) -> None:
        for n in range(count):
            watcher = approved_member(municipality, name=f"Kijker {n}", handle=f"kijker_{Member.objects.count()}_{n}")
            email_actions.set_email_preferences(
                member=watcher, kinds={"posted": Delivery.IMMEDIATELY}, digest=Frequency.WEEKLY, mode=Mode.DIRECT
            )
            notification_actions.set_watch_level(member=watcher, thread=question, level=Watch.Level.WATCHING)

    def reply_queries() -> int:
        before = OutboxMessage.objects.filter(kind="posted").count()
        with CaptureQueriesContext(connection) as queries:
            actions.reply_to_thread(author=colleague, thread=question, body="Nieuws voor iedereen")
        assert (
            OutboxMessage.objects.filter(kind="posted").count() - before
            == Watch.objects.filter(thread=question, level=Watch.Level.WATCHING).exclude(member=question.author).count()
        )
        return len(queries)

    watchers(2)
    reply_queries()  # the replier's first reply also writes their own default watch level
    few = reply_queries()
    watchers(18)
    reply_queries()  # the new watchers' first notification of the thread starts their group
    many = reply_queries()
    assert many == few


def test_queueing_bundles_costs_the_same_queries_for_ten_times_more_watchers(question, colleague, municipality):
    """Guards against an N+1 over the members' bundles: the first reply queues one bundle per
    watcher, later replies join them (the inserts skip the queued ones), in constant queries."""

    def watchers(count: int) -> None:
        for n in range(count):
            watcher = approved_member(municipality, name=f"Lezer {n}", handle=f"lezer_{Member.objects.count()}_{n}")
            email_actions.set_email_preferences(
                member=watcher, kinds={"posted": Delivery.IMMEDIATELY}, digest=Frequency.WEEKLY
            )
            notification_actions.set_watch_level(member=watcher, thread=question, level=Watch.Level.WATCHING)

    def reply_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            actions.reply_to_thread(author=colleague, thread=question, body="Nieuws voor iedereen")
        return len(queries)

    watchers(2)
    reply_queries()
    few = reply_queries()
    watchers(18)
    reply_queries()
    many = reply_queries()
    assert many == few
    watching = Watch.objects.filter(thread=question, level=Watch.Level.WATCHING).exclude(member=question.author)
    assert OutboxMessage.objects.filter(kind="thread_bundle", status="queued").count() == watching.count() + 1
