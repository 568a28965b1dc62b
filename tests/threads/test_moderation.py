"""Moderation of threads and posts: each action, flags and their review, the
thread page's controls, the queues and the log, with their query budgets."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from django.urls import reverse
from django.utils import timezone

from community import actions as community_actions
from community.errors import DomainError
from community.models import Group, ModerationLogEntry, Municipality
from notifications.models import Notification
from tests.conftest import approved_member, assert_page_queries, assert_queries, steady_queries
from tests.factories import GroupFactory, MemberFactory
from tests.threads.conftest import make_thread
from threads import actions
from threads.models import Flag, Post, PostRevision, Thread

pytestmark = pytest.mark.django_db

Action = ModerationLogEntry.Action


@pytest.fixture
def regional(member, colleague, themes) -> Thread:
    """Fatima's thread in the regional group of Zuid-Holland, with a reply of hers."""
    return make_thread(member, Group.objects.get(slug="zuid-holland"), title="Huisvesting van statushouders", posts=1)


@pytest.fixture
def reply(regional) -> Post:
    return regional.posts.get(number=2)


@pytest.fixture
def flaggers(dutch_data, staff):
    """Three members from Zuid-Holland, who can read the regional group."""
    return [
        approved_member(Municipality.objects.get(code=code), name=name, handle=handle)
        for code, name, handle in (
            ("GM0599", "Anouk Jansen", "anouk"),
            ("GM0546", "Bas de Boer", "bas"),
            ("GM1783", "Celine Peters", "celine"),
        )
    ]


def notifications_of(member, kind=None):
    rows = Notification.objects.filter(recipient=member).exclude(kind__startswith="signup").order_by("id")
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows)


def last_log():
    return ModerationLogEntry.objects.order_by("-id").first()


# --- Threads ---------------------------------------------------------------------


def test_pinning_puts_a_thread_first_in_its_group_and_is_logged(regional, member, ambassador, themes):
    newer = make_thread(member, regional.group, title="Een nieuwer onderwerp")
    actions.pin_thread(actor=ambassador, thread=regional)
    assert list(Thread.objects.filter(group=regional.group).for_group_page())[0] == regional
    entry = last_log()
    assert (entry.actor, entry.action, entry.target_member, entry.target_type, entry.target_id, entry.group) == (
        ambassador,
        Action.PIN_THREAD,
        member,
        "thread",
        regional.pk,
        regional.group,
    )
    assert entry.target_label == regional.title
    actions.unpin_thread(actor=ambassador, thread=regional)
    assert list(Thread.objects.filter(group=regional.group).for_group_page())[0] == newer
    assert last_log().action == Action.UNPIN_THREAD
    # Pinning twice changes nothing and logs nothing.
    count = ModerationLogEntry.objects.count()
    actions.unpin_thread(actor=ambassador, thread=regional)
    assert ModerationLogEntry.objects.count() == count


def test_closing_a_thread_needs_a_reason_tells_the_author_and_stops_replies(regional, member, colleague, ambassador):
    with pytest.raises(DomainError):
        actions.lock_thread(actor=ambassador, thread=regional, reason="  ")
    actions.lock_thread(actor=ambassador, thread=regional, reason="Alles is gezegd.")
    assert Thread.objects.get(pk=regional.pk).locked
    [notification] = notifications_of(member, Notification.Kind.THREAD_LOCKED)
    assert (
        notification.detail == "Alles is gezegd."
        and notification.thread_id == regional.pk
        and notification.actor == ambassador
    )
    with pytest.raises(DomainError):
        actions.reply_to_thread(author=colleague, thread=regional, body="Nog één ding")
    assert last_log().reason == "Alles is gezegd."
    actions.unlock_thread(actor=ambassador, thread=regional)
    assert actions.reply_to_thread(author=colleague, thread=regional, body="Nog één ding").number == 3


def test_a_hidden_thread_is_for_moderators_only_and_the_author_is_told(
    client, login, regional, member, colleague, ambassador
):
    actions.hide_thread(actor=ambassador, thread=regional, reason="Namen van inwoners genoemd.")
    assert notifications_of(member, Notification.Kind.THREAD_HIDDEN)[0].detail == "Namen van inwoners genoemd."
    login(colleague)
    assert client.get(regional.get_absolute_url() + "?page=1").status_code == 404
    login(ambassador)
    body = client.get(regional.get_absolute_url() + "?page=1").content.decode()
    assert "Namen van inwoners genoemd." in body
    actions.unhide_thread(actor=ambassador, thread=regional)
    login(colleague)
    assert client.get(regional.get_absolute_url() + "?page=1").status_code == 200


def test_a_moved_thread_keeps_its_links_notifications_and_watchers(
    client, login, regional, member, colleague, staff, django_capture_on_commit_callbacks, published
):
    """Moving changes only the group: the URL, the notifications pointing to it and
    the watchers stay; the author is told where it went; both groups' queues are recounted."""
    earlier = actions.reply_to_thread(author=colleague, thread=regional, body="Eerdere reactie")
    old_notification = Notification.objects.get(recipient=member, post=earlier)
    plein = Group.objects.get(slug="het-plein")
    with django_capture_on_commit_callbacks(execute=True):
        actions.move_thread(actor=staff, thread=regional, group=plein, reason="Voor iedereen interessant.")
    regional.refresh_from_db()
    assert regional.group == plein
    [moved] = notifications_of(member, Notification.Kind.THREAD_MOVED)
    assert moved.detail == "Het Plein: Voor iedereen interessant."
    counts = sorted(event["group"] for _groups, event in published if event["type"] == "moderation.counts")
    assert counts == sorted([plein.pk, Group.objects.get(slug="zuid-holland").pk])
    login(member)
    response = client.post(reverse("open_notification", args=[old_notification.pk]), follow=True)
    assert response.status_code == 200 and "Eerdere reactie" in response.content.decode()
    actions.reply_to_thread(author=colleague, thread=regional, body="Na de verhuizing")
    assert Notification.objects.filter(recipient=member, kind="replied").count() == 2
    entry = last_log()
    assert entry.action == Action.MOVE_THREAD and "Regio Zuid-Holland → Het Plein" in entry.target_label
    with pytest.raises(DomainError):
        actions.move_thread(actor=staff, thread=regional, group=plein)


def test_the_move_form_offers_an_ambassador_the_groups_they_may_move_to(client, login, regional, ambassador):
    """An ambassador moderates one group, their province's: the form offers Het Plein (open to
    every member) and the groups they belong to, never a closed group they are not in."""
    closed = GroupFactory(slug="besloten", name="Besloten groep", read_access=Group.ReadAccess.MEMBERS)
    plein = Group.objects.get(slug="het-plein")
    login(ambassador)
    offered = list(client.get(reverse("move_thread", args=[regional.pk])).context["form"].fields["group"].queryset)
    assert plein in offered and closed not in offered
    assert all(group.slug != "zuid-holland" for group in offered)
    response = client.post(reverse("move_thread", args=[regional.pk]), {"group": closed.pk})
    assert response.status_code == 200 and "group" in response.context["form"].errors
    assert Thread.objects.get(pk=regional.pk).group.slug == "zuid-holland"
    response = client.post(reverse("move_thread", args=[regional.pk]), {"group": plein.pk, "reason": "Voor iedereen."})
    assert response.status_code == 302
    assert Thread.objects.get(pk=regional.pk).group.slug == "het-plein"


# --- Posts -----------------------------------------------------------------------


def test_a_hidden_post_shows_a_placeholder_to_members_and_the_post_with_reason_to_moderators_and_author(
    client, login, regional, reply, member, colleague, ambassador
):
    login(ambassador)
    response = client.post(reverse("hide_post", args=[reply.pk]), {"reason": "Telefoonnummer van een inwoner."})
    assert response.status_code == 302
    [notification] = notifications_of(member, Notification.Kind.POST_HIDDEN)
    assert notification.detail == "Telefoonnummer van een inwoner." and notification.post_id == reply.pk
    url = regional.get_absolute_url() + "?page=1"
    login(colleague)
    body = client.get(url).content.decode()
    assert "Reactie 2." not in body and "Verborgen door een moderator" in body
    for who in (ambassador, member):
        login(who)
        body = client.get(url).content.decode()
        assert "Reactie 2." in body and "Telefoonnummer van een inwoner." in body
    login(ambassador)
    client.post(reverse("unhide_post", args=[reply.pk]))
    login(colleague)
    assert "Reactie 2." in client.get(url).content.decode()
    assert [e.action for e in ModerationLogEntry.objects.filter(target_type="post").order_by("id")] == [
        Action.HIDE_POST,
        Action.UNHIDE_POST,
    ]


def test_a_hide_without_reason_is_refused_and_keeps_the_form(client, login, reply, ambassador):
    login(ambassador)
    response = client.post(reverse("hide_post", args=[reply.pk]), {"reason": ""})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    assert not Post.objects.get(pk=reply.pk).hidden


def test_a_moderator_edit_keeps_the_revision_marked_and_logs_the_reason(client, login, reply, member, ambassador):
    login(ambassador)
    form = client.get(reverse("edit_post", args=[reply.pk])).context["form"]
    assert "reason" in form.fields
    client.post(
        reverse("edit_post", args=[reply.pk]), {"body": "Zonder telefoonnummer.", "reason": "Privacy van een inwoner."}
    )
    revision = PostRevision.objects.get(post=reply)
    assert revision.by_moderator and revision.editor == ambassador and revision.body == "Reactie 2."
    entry = last_log()
    assert (entry.action, entry.actor, entry.target_member, entry.reason) == (
        Action.EDIT_POST,
        ambassador,
        member,
        "Privacy van een inwoner.",
    )
    login(member)
    assert "reason" not in client.get(reverse("edit_post", args=[reply.pk])).context["form"].fields


def test_the_thread_page_shows_moderation_controls_only_to_moderators_and_flag_buttons_to_others(
    client, login, regional, reply, colleague, ambassador, member
):
    url = regional.get_absolute_url() + "?page=1"
    login(colleague)
    body = client.get(url).content.decode()
    assert reverse("flag_post", args=[reply.pk]) in body
    assert reverse("lock_thread", args=[regional.pk]) not in body and reverse("hide_post", args=[reply.pk]) not in body
    login(member)
    assert reverse("flag_post", args=[reply.pk]) not in client.get(url).content.decode()  # her own post
    login(ambassador)
    body = client.get(url).content.decode()
    for name in ("lock_thread", "hide_thread", "pin_thread", "move_thread"):
        assert reverse(name, args=[regional.pk]) in body
    assert reverse("hide_post", args=[reply.pk]) in body


# --- Flags -----------------------------------------------------------------------


def test_a_member_flags_a_post_once_and_its_moderators_hear_of_it(regional, reply, colleague, ambassador, staff):
    flag = actions.flag_post(member=colleague, post=reply, reason="spam")
    assert flag.status == Flag.Status.OPEN
    with pytest.raises(DomainError):
        actions.flag_post(member=colleague, post=reply, reason="inappropriate")
    [notification] = notifications_of(ambassador, Notification.Kind.NEW_FLAG)
    assert notification.actor == colleague and notification.post_id == reply.pk
    assert notifications_of(staff, Notification.Kind.NEW_FLAG) == []  # the group has its own moderator


def test_flags_in_a_group_without_moderators_go_to_the_programme_team(question, answer, member, staff):
    actions.flag_post(member=member, post=answer, reason="other", text="Dit is een advertentie voor een bureau.")
    assert [n.kind for n in notifications_of(staff)] == [Notification.Kind.NEW_FLAG]


def test_flag_rules(regional, reply, member, colleague):
    with pytest.raises(DomainError):
        actions.flag_post(member=member, post=reply, reason="spam")  # her own post
    with pytest.raises(DomainError):
        actions.flag_post(member=colleague, post=reply, reason="other", text=" ")
    with pytest.raises(DomainError):
        actions.flag_post(member=colleague, post=reply, reason="rude")
    assert not Flag.objects.exists()


def test_three_flags_from_different_members_hide_the_post_until_a_moderator_decides(
    regional, reply, member, flaggers, colleague, ambassador, django_capture_on_commit_callbacks, published
):
    first, second, third = flaggers
    actions.flag_post(member=first, post=reply, reason="spam")
    actions.flag_post(member=second, post=reply, reason="off_topic")
    assert not Post.objects.get(pk=reply.pk).hidden
    with django_capture_on_commit_callbacks(execute=True):
        actions.flag_post(member=third, post=reply, reason="other", text="Reclame voor een bureau")
    hidden = Post.objects.get(pk=reply.pk)
    assert hidden.hidden and "3" in hidden.hidden_reason
    entry = last_log()
    assert (entry.actor, entry.action, entry.target_member) == (None, Action.AUTO_HIDE_POST, member)
    assert notifications_of(member, Notification.Kind.POST_HIDDEN)[0].actor is None
    # One count event for the group, though the flag and the hiding both changed its queues.
    counts = [event for groups, event in published if event["type"] == "moderation.counts"]
    assert counts == [{"type": "moderation.counts", "group": regional.group_id, "flags": 3, "hidden": 1, "signups": 0}]
    assert [groups for groups, event in published if event["type"] == "moderation.counts"] == [
        [f"moderation.{regional.group_id}"]
    ]
    with pytest.raises(DomainError):
        actions.flag_post(member=colleague, post=reply, reason="spam")  # hidden: nothing left to flag
    assert len(notifications_of(ambassador, Notification.Kind.NEW_FLAG)) == 3


def test_disagreeing_restores_the_post_dismisses_the_flags_and_tells_the_flaggers(
    regional, reply, member, flaggers, ambassador
):
    for flagger in flaggers:
        actions.flag_post(member=flagger, post=reply, reason="spam")
    actions.review_flags(actor=ambassador, post=reply, outcome="dismiss")
    assert not Post.objects.get(pk=reply.pk).hidden
    assert set(Flag.objects.values_list("status", flat=True)) == {Flag.Status.DISMISSED}
    for flagger in flaggers:
        assert [n.kind for n in notifications_of(flagger)] == [Notification.Kind.FLAG_DISMISSED]
    assert last_log().action == Action.DISMISS_FLAGS
    with pytest.raises(DomainError):
        actions.review_flags(actor=ambassador, post=reply, outcome="dismiss")


def test_agreeing_keeps_the_post_hidden_with_the_moderators_reason(regional, reply, member, flaggers, ambassador):
    for flagger in flaggers[:2]:
        actions.flag_post(member=flagger, post=reply, reason="spam")
    with pytest.raises(DomainError):
        actions.review_flags(actor=ambassador, post=reply, outcome="hide", reason="")
    actions.review_flags(actor=ambassador, post=reply, outcome="hide", reason="Reclame hoort hier niet.")
    post = Post.objects.get(pk=reply.pk)
    assert post.hidden and post.hidden_reason == "Reclame hoort hier niet."
    assert set(Flag.objects.values_list("status", flat=True)) == {Flag.Status.UPHELD}
    assert Flag.objects.filter(reviewed_by=ambassador, reviewed_at__isnull=False).count() == 2
    for flagger in flaggers[:2]:
        assert [n.kind for n in notifications_of(flagger)] == [Notification.Kind.FLAG_UPHELD]
    assert notifications_of(member, Notification.Kind.POST_HIDDEN)[-1].detail == "Reclame hoort hier niet."
    entry = last_log()
    assert (entry.action, entry.reason, entry.target_member) == (
        Action.UPHOLD_FLAGS,
        "Reclame hoort hier niet.",
        member,
    )


def test_agreeing_can_remove_the_post(regional, reply, member, flaggers, ambassador):
    for flagger in flaggers:
        actions.flag_post(member=flagger, post=reply, reason="inappropriate")
    actions.review_flags(actor=ambassador, post=reply, outcome="remove", reason="Beledigend.")
    assert Post.objects.get(pk=reply.pk).is_deleted
    assert notifications_of(member, Notification.Kind.POST_REMOVED)[0].detail == "Beledigend."
    assert all([n.kind for n in notifications_of(f)] == [Notification.Kind.FLAG_UPHELD] for f in flaggers)
    assert last_log().action == Action.REMOVE_POST


def test_flagging_and_reviewing_through_the_pages(client, login, regional, reply, colleague, ambassador):
    login(colleague)
    assert client.get(reverse("flag_post", args=[reply.pk])).status_code == 200
    response = client.post(reverse("flag_post", args=[reply.pk]), {"reason": "other", "text": ""})
    assert response.status_code == 200 and response.context["form"].errors["text"]
    client.post(reverse("flag_post", args=[reply.pk]), {"reason": "other", "text": "Persoonlijke aanval."})
    assert Flag.objects.get().text == "Persoonlijke aanval."
    assert client.get(reverse("flag_post", args=[reply.pk])).context["already"]
    login(ambassador)
    body = client.get(reverse("moderation") + "?queue=flags").content.decode()
    assert "Persoonlijke aanval." in body and colleague.name in body
    prefix = f"review-{reply.pk}"
    response = client.post(
        reverse("review_flags", args=[reply.pk]), {f"{prefix}-outcome": "hide", f"{prefix}-reason": ""}
    )
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    response = client.post(reverse("review_flags", args=[reply.pk]), {f"{prefix}-outcome": "dismiss"})
    assert response.status_code == 302
    assert Flag.objects.get().status == Flag.Status.DISMISSED


def test_a_rolled_back_flag_publishes_nothing(regional, reply, flaggers, django_capture_on_commit_callbacks, published):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        actions.flag_post(member=flaggers[0], post=reply, reason="spam")
        transaction.set_rollback(True)
    assert published == [] and not Flag.objects.exists()


# --- The queues and the log ------------------------------------------------------


def test_the_queues_show_only_the_moderators_scope(
    client, login, regional, reply, question, answer, member, colleague, ambassador, staff, flevoland_ambassador
):
    actions.flag_post(member=colleague, post=reply, reason="spam")
    actions.flag_post(member=member, post=answer, reason="spam")  # on Het Plein: no moderators but staff
    login(ambassador)
    response = client.get(reverse("moderation") + "?queue=flags")
    assert [p.pk for p in response.context["flagged_posts"]] == [reply.pk]
    assert response.context["totals"]["flags"] == 1
    login(staff)
    response = client.get(reverse("moderation") + "?queue=flags")
    assert {p.pk for p in response.context["flagged_posts"]} == {reply.pk, answer.pk}
    assert response.context["totals"]["flags"] == 2
    login(flevoland_ambassador)
    assert client.get(reverse("moderation") + "?queue=flags").context["flagged_posts"] == []


def test_a_typology_moderator_has_no_sign_up_queue(client, login, dutch_data, staff):
    tess = approved_member(Municipality.objects.get(code="GM0363"), handle="tess")
    community_actions.make_moderator(member=tess, group=Group.objects.get(slug="expatgemeenten"))
    login(tess)
    response = client.get(reverse("moderation"))
    assert (
        response.status_code == 200
        and response.context["queue"] == "flags"
        and "signups" not in response.context["queues"]
    )
    assert client.get(reverse("moderation") + "?queue=signups").status_code == 404


def _fill_queues(regional_group, plein, count: int, staff) -> None:
    """``count`` flagged posts, hidden posts, hidden threads, sign-ups, suspensions and log entries."""
    author = approved_member(Municipality.objects.get(code="GM0599"))
    flagger = approved_member(Municipality.objects.get(code="GM0546"))
    for number in range(count):
        group = regional_group if number % 2 else plein
        thread = make_thread(author, group, title=f"Onderwerp in de wachtrij {number}", posts=2)
        first, second = thread.posts.filter(number__gt=1).order_by("number")
        actions.flag_post(member=flagger, post=first, reason="spam")
        actions.hide_post(actor=staff, post=second, reason="Verborgen")
        if number % 3 == 0:
            actions.hide_thread(actor=staff, thread=thread, reason="Weg")
        MemberFactory(municipality=Municipality.objects.get(code="GM0518"), status="pending", approved_at=None)
        suspended = approved_member(Municipality.objects.get(code="GM0503"))
        community_actions.suspend_member(
            actor=staff, member=suspended, until=timezone.now() + timedelta(days=2), reason="Spam"
        )


QUEUE_BUDGETS = {"signups": 6, "flags": 7, "hidden": 7, "suspended": 6}
LOG_QUERIES = ("", "?action=hide_post", "?moderator=team&member=lid&since=2020-01-01&until=2100-01-01")


@pytest.mark.parametrize("who", ["ambassador", "staff"])
def test_the_queues_and_the_log_run_a_constant_number_of_queries(client, login, ambassador, staff, themes, who):
    """Guards the N+1s of the queues (each post's thread, group, author and municipality,
    each post's flags and flaggers, each applicant's municipality and province, the
    per-group counts) and of the log's rows (moderator, member and group): each must come
    from one query for the whole page, the same exact count with ten times more rows."""
    regional_group, plein = Group.objects.get(slug="zuid-holland"), Group.objects.get(slug="het-plein")
    login(ambassador if who == "ambassador" else staff)
    pages = {reverse("moderation") + f"?queue={queue}": budget for queue, budget in QUEUE_BUDGETS.items()}
    pages |= {reverse("moderation_log") + query: 2 for query in LOG_QUERIES}
    _fill_queues(regional_group, plein, 2, staff)
    assert_page_queries(pages, partial(steady_queries, client), "with few rows")
    _fill_queues(regional_group, plein, 18, staff)
    assert_page_queries(pages, partial(steady_queries, client), "with ten times more rows")


def test_the_log_filters_by_moderator_member_action_and_date(
    client, login, regional, reply, member, colleague, ambassador, staff
):
    actions.hide_post(actor=ambassador, post=reply, reason="Reclame")
    actions.lock_thread(actor=staff, thread=regional, reason="Klaar")
    community_actions.suspend_member(
        actor=staff, member=colleague, until=timezone.now() + timedelta(days=1), reason="Spam"
    )
    old = ModerationLogEntry.objects.get(action=Action.HIDE_POST)
    ModerationLogEntry.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=30))
    login(staff)

    def actions_for(query: str) -> list[str]:
        """The actions shown, newest first, without the fixtures' sign-up approvals."""
        entries = client.get(reverse("moderation_log") + query).context["entries"]
        return [entry.action for entry in entries if entry.action != Action.APPROVE_MEMBER]

    assert actions_for("?moderator=samira") == [Action.HIDE_POST]
    assert actions_for("?moderator=Programmateam&action=lock_thread") == [Action.LOCK_THREAD]
    assert actions_for("?member=thijs") == [Action.SUSPEND_MEMBER]
    assert actions_for("?member=fatima") == [Action.LOCK_THREAD, Action.HIDE_POST]
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert Action.HIDE_POST not in actions_for(f"?since={since}")
    until = (timezone.localdate() - timedelta(days=20)).isoformat()
    assert actions_for(f"?until={until}") == [Action.HIDE_POST]
    assert actions_for("?action=approve_member") == []  # (filtered out above; the filter itself works)
    assert client.get(reverse("moderation_log") + "?action=approve_member").context["entries"]


def test_the_log_shows_moderators_their_groups_only_and_cannot_be_changed(
    client, login, regional, reply, question, answer, ambassador, flevoland_ambassador, staff
):
    actions.hide_post(actor=ambassador, post=reply, reason="In de regio")
    actions.hide_post(actor=staff, post=answer, reason="Op het plein")
    login(ambassador)
    reasons = [entry.reason for entry in client.get(reverse("moderation_log")).context["entries"]]
    assert "In de regio" in reasons and "Op het plein" not in reasons
    login(flevoland_ambassador)
    assert [
        e.reason
        for e in client.get(reverse("moderation_log")).context["entries"]
        if e.reason in ("In de regio", "Op het plein")
    ] == []
    login(staff)
    reasons = [entry.reason for entry in client.get(reverse("moderation_log")).context["entries"]]
    assert {"In de regio", "Op het plein"} <= set(reasons)
    assert client.post(reverse("moderation_log"), {"reason": "anders"}).status_code == 405


def test_the_nav_shows_moderation_to_every_moderator(client, login, dutch_data, staff, member):
    joost = approved_member(Municipality.objects.get(code="GM0344"), handle="joost")
    community_actions.make_moderator(member=joost, group=GroupFactory(slug="opvang"))
    login(joost)
    assert reverse("moderation") in client.get(reverse("groups")).content.decode()
    login(member)
    assert reverse("moderation") not in client.get(reverse("groups")).content.decode()


def test_the_review_reason_is_labelled_as_required_when_agreeing_and_says_why_it_is_missing(
    client, login, regional, reply, colleague, ambassador
):
    login(colleague)
    client.post(reverse("flag_post", args=[reply.pk]), {"reason": "spam"})
    login(ambassador)
    page = client.get(reverse("review_flags", args=[reply.pk])).content.decode()
    label = page[page.index(f'<label for="id_review-{reply.pk}-reason">') :].split("</label>")[0]
    assert "verplicht als je het eens bent" in label and "optioneel" not in label
    prefix = f"review-{reply.pk}"
    for outcome in ("hide", "remove"):
        response = client.post(reverse("review_flags", args=[reply.pk]), {f"{prefix}-outcome": outcome})
        assert response.status_code == 200
        assert response.context["form"].errors["reason"] == [
            "Geef een reden: als je het eens bent, hoort de schrijver waarom."
        ]
    assert Flag.objects.get().status == Flag.Status.OPEN
