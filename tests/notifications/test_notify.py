"""Who gets told what, exactly once, and what is pushed after commit."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.models import Group, Member
from notifications import actions as notification_actions
from notifications import live
from notifications.models import Notification, Watch
from tests.conftest import approved_member, assert_queries, steady_queries
from tests.threads.conftest import make_thread
from threads import actions
from threads.models import Theme

pytestmark = pytest.mark.django_db


def kinds_for(member, *, signup=False):
    """The kinds of a member's notifications, oldest first; the fixtures' own
    sign-up approvals are left out unless asked for."""
    rows = Notification.objects.filter(recipient=member).order_by("id")
    if not signup:
        rows = rows.exclude(kind__startswith="signup")
    return list(rows.values_list("kind", flat=True))


def unread(member):
    """The bell count, less the unread sign-up approvals the fixtures made."""
    approvals = Notification.objects.filter(recipient=member, kind__startswith="signup", read_at__isnull=True).count()
    return Member.objects.get(pk=member.pk).unread_notifications - approvals


def test_a_reply_tells_the_thread_author_and_the_watchers_once_each(
    question, colleague, outsider, member, django_capture_on_commit_callbacks, published
):
    notification_actions.set_watch_level(member=outsider, thread=question, level=Watch.Level.WATCHING)
    with django_capture_on_commit_callbacks(execute=True):
        post = actions.reply_to_thread(author=colleague, thread=question, body="Een antwoord")
    assert kinds_for(member) == ["replied"]
    assert kinds_for(outsider) == ["posted"]
    assert kinds_for(colleague) == []
    assert unread(member) == 1
    events = [(groups, event["type"]) for groups, event in published]
    # The personal notifications (in member id order), then the thread's own event.
    assert events == [([f"member.{pk}"], "notification.created") for pk in sorted([member.pk, outsider.pk])] + [
        ([f"thread.{question.pk}"], "thread.post_created")
    ]
    to_member = next(event for groups, event in published if groups == [f"member.{member.pk}"])
    assert to_member["unread"] == Member.objects.get(pk=member.pk).unread_notifications and to_member["url"] == reverse(
        "post_permalink", args=[post.pk]
    )
    assert "Thijs Willems" in to_member["text"]
    message = next(message for groups, message in published.messages if message["type"] == "thread.event")
    assert message["event"] == {"type": "thread.post_created", "thread": question.pk}
    for_outsider = json.loads(live.for_viewer(Member.objects.get(pk=outsider.pk), message, "en"))
    assert for_outsider["number"] == 2 and "Een antwoord" in for_outsider["html"] and "Useful" in for_outsider["html"]
    for_author = json.loads(live.for_viewer(Member.objects.get(pk=colleague.pk), message, "nl"))
    assert "Bewerken" in for_author["html"] and "Nuttig" not in for_author["html"]


def test_the_defaults_watch_started_threads_and_track_replied_ones(question, answer, member, colleague):
    assert Watch.objects.get(member=member, thread=question).level == Watch.Level.WATCHING
    assert Watch.objects.get(member=colleague, thread=question).level == Watch.Level.TRACKING


def test_one_event_gives_one_notification_of_the_most_specific_kind(
    question, answer, member, colleague, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        actions.reply_to_thread(
            author=member, thread=question, body=f"[quote=post:{answer.pk}]\nbalie\n[/quote]\n\nDank @thijs!"
        )
    assert kinds_for(colleague) == ["quoted"]


def test_a_mention_reaches_a_member_who_does_not_watch(question, outsider, colleague):
    actions.reply_to_thread(author=colleague, thread=question, body="Misschien weet @iris dit?")
    assert kinds_for(outsider) == ["mentioned"]


def test_muting_wins_over_everything(question, colleague, member, outsider):
    notification_actions.set_watch_level(member=member, thread=question, level=Watch.Level.MUTED)
    notification_actions.set_watch_level(member=outsider, group=question.group, level=Watch.Level.MUTED)
    actions.reply_to_thread(author=colleague, thread=question, body="Hallo @fatima en @iris")
    assert kinds_for(member) == [] and kinds_for(outsider) == []


def test_muting_a_theme_silences_its_threads(question, colleague, member):
    notification_actions.set_watch_level(member=member, theme=Theme.objects.get(slug="wonen"), level=Watch.Level.MUTED)
    actions.reply_to_thread(author=colleague, thread=question, body="Reactie")
    assert kinds_for(member) == []


def test_nobody_is_told_about_what_they_may_not_read(member, colleague, outsider, themes):
    regional = make_thread(member, Group.objects.get(slug="zuid-holland"))
    notification_actions.set_watch_level(member=outsider, thread=regional, level=Watch.Level.WATCHING)
    actions.reply_to_thread(author=colleague, thread=regional, body="Vraag voor @iris")
    assert kinds_for(outsider) == []
    assert kinds_for(member) == ["replied"]


def test_pending_members_are_not_notified(question, colleague, pending_member):
    actions.reply_to_thread(author=colleague, thread=question, body=f"Hoi @{pending_member.handle}")
    assert kinds_for(pending_member) == []


def test_new_threads_in_watched_groups_and_themes(member, colleague, outsider, plein, themes):
    notification_actions.set_watch_level(member=colleague, group=plein, level=Watch.Level.WATCHING)
    notification_actions.set_watch_level(member=outsider, theme=themes[0], level=Watch.Level.WATCHING)
    actions.create_thread(
        author=member,
        group=plein,
        title="Nieuw onderwerp over wonen",
        kind="question",
        body="Tekst",
        themes=[themes[0]],
    )
    assert kinds_for(colleague) == ["new_thread"]
    assert kinds_for(outsider) == ["new_thread"]
    assert kinds_for(member) == []


def test_watching_a_group_means_hearing_every_post(question, colleague, outsider, plein):
    notification_actions.set_watch_level(member=outsider, group=plein, level=Watch.Level.WATCHING)
    actions.reply_to_thread(author=colleague, thread=question, body="Reactie")
    assert kinds_for(outsider) == ["posted"]
    notification_actions.set_watch_level(member=outsider, thread=question, level=Watch.Level.NORMAL)
    actions.reply_to_thread(author=colleague, thread=question, body="Nog een")
    assert kinds_for(outsider) == ["posted"]


def test_an_accepted_answer_tells_its_author_and_the_asker(question, answer, member, colleague, staff):
    actions.accept_answer(actor=staff, thread=question, post=answer)
    assert kinds_for(colleague) == ["answer_accepted"]
    assert kinds_for(member)[-1] == "answer_accepted"


def test_nuttig_marks_are_batched_into_one_fresh_notification_per_post(answer, member, outsider, colleague):
    actions.mark_useful(member=member, post=answer)
    first = Notification.objects.get(recipient=colleague, kind="useful")
    actions.mark_useful(member=outsider, post=answer)
    rows = Notification.objects.filter(recipient=colleague, kind="useful")
    assert rows.count() == 1
    assert rows.get().count == 2 and rows.get().pk > first.pk and rows.get().read_at is None
    assert unread(colleague) == 1


def test_sign_up_decisions_are_notifications_too(pending_member, ambassador, pending_from_almere, staff):
    from community import actions as community_actions

    community_actions.approve_member(actor=ambassador, member=pending_member)
    community_actions.reject_member(actor=staff, member=pending_from_almere, reason="Geen gemeente")
    assert kinds_for(pending_member, signup=True) == ["signup_approved"]
    assert kinds_for(pending_from_almere, signup=True) == ["signup_rejected"]


def test_a_rolled_back_reply_leaves_no_notification_and_publishes_nothing(
    question, colleague, member, django_capture_on_commit_callbacks, published
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        actions.reply_to_thread(author=colleague, thread=question, body="Teruggedraaid")
        raise RuntimeError
    assert published == []
    assert kinds_for(member) == []
    assert unread(member) == 0


def test_reading_notifications_keeps_the_unread_count_right(client, login, question, colleague, member):
    # Mentions: each its own notification (replies would join one group).
    for number in range(3):
        actions.reply_to_thread(author=colleague, thread=question, body=f"Reactie {number}, @fatima")
    assert unread(member) == 3
    login(member)
    first = Notification.objects.filter(recipient=member).first()
    response = client.post(reverse("open_notification", args=[first.pk]))
    assert response.status_code == 302 and response.url == reverse("post_permalink", args=[first.post_id])
    client.post(reverse("open_notification", args=[first.pk]))
    assert unread(member) == 2
    client.post(reverse("mark_all_read"))
    assert unread(member) == 0 and not Notification.objects.filter(recipient=member, read_at__isnull=True).exists()


def test_nobody_opens_someone_elses_notification(client, login, question, colleague, member, outsider):
    actions.reply_to_thread(author=colleague, thread=question, body="Reactie")
    login(outsider)
    notification = Notification.objects.get(recipient=member, kind="replied")
    assert client.post(reverse("open_notification", args=[notification.pk])).status_code == 404
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_catch_up_returns_what_was_missed_after_an_id(client, login, question, colleague, member):
    actions.reply_to_thread(author=colleague, thread=question, body="Een")
    seen = Notification.objects.get(recipient=member, kind="replied").pk
    actions.reply_to_thread(author=colleague, thread=question, body="Twee, @fatima")
    actions.reply_to_thread(author=colleague, thread=question, body="Drie, @fatima")
    login(member)
    data = client.get(reverse("notifications_since", args=[seen])).json()
    assert [n["id"] for n in data["notifications"]] == sorted(
        Notification.objects.filter(pk__gt=seen, recipient=member).values_list("pk", flat=True)
    )
    assert len(data["notifications"]) == 2 and data["unread"] == Member.objects.get(pk=member.pk).unread_notifications
    login(colleague)
    theirs = client.get(reverse("notifications_since", args=[0])).json()["notifications"]
    assert [n["kind"] for n in theirs] == ["signup_approved"]


def test_the_notification_list_shows_unread_first(client, login, question, colleague, member):
    for number in range(3):
        actions.reply_to_thread(author=colleague, thread=question, body=f"Reactie {number}, @fatima")
    for oldest in Notification.objects.filter(recipient=member).order_by("id")[:2]:
        notification_actions.mark_notification_read(member=member, notification=oldest)
    login(member)
    rows = client.get(reverse("notifications")).context["notifications"]
    assert [row.is_read for row in rows] == [False, False, True, True]
    assert [row.kind for row in rows][-1] == "signup_approved"


def test_notification_list_queries_stay_constant_with_ten_times_more_notifications(
    client, login, question, colleague, member
):
    """Guards against a query per notification (actor, thread or post lookups for the text and link)."""
    login(member)
    for number in range(2):
        actions.reply_to_thread(author=colleague, thread=question, body=f"Reactie {number}")
    assert_queries(steady_queries(client, reverse("notifications")), 2, "the notifications with few")
    for number in range(25):
        actions.reply_to_thread(author=colleague, thread=question, body=f"Meer {number}")
    assert_queries(steady_queries(client, reverse("notifications")), 2, "the notifications with ten times more")


def test_watch_levels_are_set_from_the_pages(client, login, question, member, plein, themes):
    login(member)
    client.post(reverse("set_watch", args=["thread", question.pk]), {"level": Watch.Level.MUTED, "next": "/latest/"})
    client.post(reverse("set_watch", args=["group", plein.pk]), {"level": Watch.Level.WATCHING})
    client.post(reverse("set_watch", args=["theme", themes[0].pk]), {"level": Watch.Level.TRACKING})
    assert Watch.objects.get(member=member, thread=question).level == Watch.Level.MUTED
    assert Watch.objects.get(member=member, group=plein).level == Watch.Level.WATCHING
    assert Watch.objects.get(member=member, theme=themes[0]).level == Watch.Level.TRACKING
    assert client.post(reverse("set_watch", args=["thread", question.pk]), {"level": "9"}).status_code == 404
    page = client.get(question.get_absolute_url() + "?page=1").content.decode()
    assert 'value="0" selected' in page


def test_a_member_cannot_watch_a_thread_they_may_not_read(client, login, member, outsider, themes):
    regional = make_thread(member, Group.objects.get(slug="zuid-holland"))
    login(outsider)
    assert (
        client.post(reverse("set_watch", args=["thread", regional.pk]), {"level": Watch.Level.WATCHING}).status_code
        == 404
    )
    assert not Watch.objects.filter(member=outsider).exists()


def test_a_reply_succeeds_while_the_channel_layer_is_down(
    client, login, question, colleague, member, settings, django_capture_on_commit_callbacks
):
    """Rows first, pushes second: with nothing listening at the layer's port the
    reply is saved, the notification exists and the member gets a normal answer."""
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    channel_layers.backends.clear()
    try:
        login(colleague)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("reply", args=[question.pk]), {"body": "Terwijl de laag plat ligt"})
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 302
    assert question.posts.filter(body="Terwijl de laag plat ligt").exists()
    assert kinds_for(member) == ["replied"]


def test_many_recipients_are_written_in_one_statement_each_row_with_its_own_id(question, colleague, municipality):
    """The rows of many recipients go in at once; each notification gets the id of its own
    row (on PostgreSQL one INSERT whose text and parameters do not grow with the rows)."""
    readers = [approved_member(municipality, name=f"Lezer {n}", handle=f"lezer_{n}") for n in range(12)]
    kinds = ["posted", "replied", "mentioned"]

    def notify(members) -> tuple[list[Notification], list[dict]]:
        recipients = {m.pk: {kinds[n % 3]} for n, m in enumerate(members)}
        with CaptureQueriesContext(connection) as captured:
            made = notification_actions.notify_about_thread(
                recipients=recipients, thread=question, post=None, actor=colleague
            )
        for notification in made:  # (a later reply replaces the grouped ones)
            row = Notification.objects.get(pk=notification.pk)
            assert (row.recipient_id, row.kind) == (notification.recipient_id, notification.kind)
        inserts = [
            q for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "notifications_notification"')
        ]
        return made, inserts

    few, few_inserts = notify(readers[:3])
    many, many_inserts = notify(readers)
    assert len(few) == 3 and len(many) == 12
    assert len(few_inserts) == len(many_inserts) == 1
    if connection.vendor == "postgresql":  # an array per column, not a placeholder per value
        assert "FROM unnest(" in many_inserts[0]["sql"] and "WITH ORDINALITY" in many_inserts[0]["sql"]
