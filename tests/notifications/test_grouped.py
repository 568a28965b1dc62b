"""Grouped notifications and "read means read": one unread notification per thread and
kind that keeps counting, mentions on their own, and reading the thread reads them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from community.models import Member, Municipality
from notifications import actions as notification_actions
from notifications.models import Notification, Watch
from notifications.texts import describe, target_url
from tests.conftest import approved_member, assert_queries
from threads import actions
from threads.models import Post

pytestmark = pytest.mark.django_db

CITIES = ("GM0518", "GM1783", "GM0363", "GM0599", "GM0344")


@pytest.fixture
def repliers(dutch_data, staff):
    """Five members from five municipalities."""
    return [
        approved_member(Municipality.objects.get(code=code), name=f"Lid {n}", handle=f"lid{n}")
        for n, code in enumerate(CITIES)
    ]


def about_the_thread(member, thread):
    return list(Notification.objects.filter(recipient=member, thread=thread).order_by("id"))


def bell(member) -> int:
    return Member.objects.get(pk=member.pk).unread_notifications


def test_twenty_replies_by_five_members_make_one_notification_that_counts_them(
    question, member, repliers, django_capture_on_commit_callbacks, published
):
    notification_actions.mark_all_read(member=member)
    posts = []
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(20):
            posts.append(actions.reply_to_thread(author=repliers[n % 5], thread=question, body=f"Reactie {n}"))
    [group] = about_the_thread(member, question)
    assert (group.kind, group.count, group.read_at) == ("replied", 20, None)
    assert group.post_id == posts[0].pk and group.last_number == posts[-1].number
    assert bell(member) == 1
    with translation.override("nl"):
        assert describe(group) == "20 nieuwe reacties in “Hoe registreren jullie arbeidsmigranten?”"
    with translation.override("en"):
        assert describe(group) == "20 new replies in “Hoe registreren jullie arbeidsmigranten?”"
    # The link leads to the first unread post.
    assert target_url(group) == reverse("post_permalink", args=[posts[0].pk])
    # Each reply's event updates the group in place: the bell stays at one.
    events = [event for groups, event in published if groups == [f"member.{member.pk}"]]
    assert [event["unread"] for event in events] == [1] * 20
    assert "replaces" not in events[0]
    assert [event["replaces"] for event in events[1:]] == [event["id"] for event in events[:-1]]
    assert events[-1]["id"] == group.pk and events[-1]["text"] == describe(group)


def test_a_mention_among_the_replies_stays_its_own_notification(question, member, repliers):
    notification_actions.mark_all_read(member=member)
    for n in range(20):
        body = "Wat denk jij, @fatima?" if n == 7 else f"Reactie {n}"
        actions.reply_to_thread(author=repliers[n % 5], thread=question, body=body)
    rows = about_the_thread(member, question)
    assert sorted((row.kind, row.count) for row in rows) == [("mentioned", 1), ("replied", 19)]
    mention = next(row for row in rows if row.kind == "mentioned")
    assert Post.objects.get(pk=mention.post_id).number == 9
    assert bell(member) == 2


def test_a_watcher_gets_one_group_of_posts_and_a_new_group_after_reading(question, member, outsider, repliers):
    notification_actions.set_watch_level(member=outsider, thread=question, level=Watch.Level.WATCHING)
    for n in range(3):
        actions.reply_to_thread(author=repliers[n], thread=question, body=f"Reactie {n}")
    [group] = about_the_thread(outsider, question)
    assert (group.kind, group.count) == ("posted", 3)
    question.refresh_from_db()
    actions.mark_read(
        member=Member.objects.get(pk=outsider.pk), thread=question, number=question.last_post_number, known=1
    )
    actions.reply_to_thread(author=repliers[3], thread=question, body="Nog een")
    first, second = about_the_thread(outsider, question)
    assert first.read_at is not None and (second.count, second.read_at) == (1, None)


def test_reading_the_thread_to_the_end_marks_its_notifications_read_in_every_tab(
    client, login, question, member, repliers, django_capture_on_commit_callbacks, published
):
    notification_actions.mark_all_read(member=member)
    for n in range(20):
        body = "Wat denk jij, @fatima?" if n == 3 else f"Reactie {n}"
        actions.reply_to_thread(author=repliers[n % 5], thread=question, body=body)
    assert bell(member) == 2
    login(member)
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(question.get_absolute_url() + "?page=1")
    assert response.status_code == 200
    # Page 1 shows posts 1-20: the mention (post 5) is read, the replies up to 21 are not yet.
    assert sorted((row.kind, row.read_at is None) for row in about_the_thread(member, question)) == [
        ("mentioned", False),
        ("replied", True),
    ]
    assert bell(member) == 1
    assert published == [([f"member.{member.pk}"], {"type": "notification.read", "unread": 1})]
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.get(question.get_absolute_url() + "?page=2")
    assert all(row.read_at is not None for row in about_the_thread(member, question))
    assert bell(member) == 0
    assert published == [([f"member.{member.pk}"], {"type": "notification.read", "unread": 0})]


def test_reading_part_of_a_group_leaves_it_unread(client, login, question, member, repliers):
    notification_actions.mark_all_read(member=member)
    for n in range(25):
        actions.reply_to_thread(author=repliers[n % 5], thread=question, body=f"Reactie {n}")
    login(member)
    client.get(question.get_absolute_url() + "?page=1")
    [group] = about_the_thread(member, question)
    assert group.read_at is None and bell(member) == 1


def test_replying_reads_what_came_before(question, member, repliers):
    notification_actions.mark_all_read(member=member)
    actions.reply_to_thread(author=repliers[0], thread=question, body="Een vraag aan jou")
    assert bell(member) == 1
    actions.reply_to_thread(author=Member.objects.get(pk=member.pk), thread=question, body="Mijn antwoord")
    assert bell(member) == 0


def test_a_thread_view_with_nothing_to_mark_runs_no_query_for_it(client, login, question, member, repliers):
    """The first view of new posts writes the read position and nothing else when the member's
    unread count is zero (exactly the queries of the page before notifications were read with
    it: the member, the thread with read position and themes, the posts, the upsert, and the
    first view's roles and watch-level lookups)."""
    for n in range(3):
        actions.reply_to_thread(author=repliers[n], thread=question, body=f"Reactie {n}")
    notification_actions.mark_all_read(member=member)
    login(member)
    url = question.get_absolute_url() + "?page=1"
    client.get(url)
    actions.reply_to_thread(author=repliers[4], thread=question, body="Nieuw")
    notification_actions.mark_all_read(member=member)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    queries = [query["sql"] for query in captured]
    assert not [sql for sql in queries if "notifications_notification" in sql]
    assert_queries(queries, 4, "a thread view that moves the read position with nothing to mark")
