"""Moderation over the socket and in notifications: live queue counts for the
moderators of a group (and nobody else), sockets closed on suspension and
account deletion, and who is told what about moderation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse
from django.utils import timezone, translation

from community import actions as community_actions
from community.models import Group, Member, Municipality
from notifications.models import Notification
from notifications.texts import describe, target_url
from tests.conftest import approved_member
from tests.factories import MemberFactory
from tests.notifications.test_consumer import connect, layer
from tests.threads.conftest import make_thread
from threads import actions


def _regional_thread(member):
    return make_thread(member, Group.objects.get(slug="zuid-holland"), title="Opvang in de regio", posts=1)


def _flaggers():
    return [approved_member(Municipality.objects.get(code=code)) for code in ("GM0599", "GM0546", "GM1783")]


@pytest.mark.django_db(transaction=True)
async def test_the_ambassador_hears_the_queue_counts_of_their_group_and_nobody_else_does(
    layer, member, ambassador, flevoland_ambassador, themes
):
    thread = await sync_to_async(_regional_thread)(member)
    reply = await sync_to_async(thread.posts.get)(number=2)
    flaggers = await sync_to_async(_flaggers)()
    samira, _ = await connect(ambassador)
    esther, _ = await connect(flevoland_ambassador)
    fatima, _ = await connect(member)
    for communicator in (samira, esther, fatima):
        await communicator.receive_json_from()
    await samira.send_json_to({"type": "moderation.watch"})
    watching = await samira.receive_json_from()
    assert watching == {"type": "moderation.watching", "groups": [thread.group_id]}
    await esther.send_json_to({"type": "moderation.watch"})
    assert thread.group_id not in (await esther.receive_json_from())["groups"]
    await fatima.send_json_to({"type": "moderation.watch"})
    refusal = await fatima.receive_json_from()
    assert refusal["type"] == "error" and refusal["code"] == "forbidden"

    for number, flagger in enumerate(flaggers, start=1):
        await sync_to_async(actions.flag_post)(member=flagger, post=reply, reason="spam")
        events = [await samira.receive_json_from(timeout=3) for _ in range(2)]
        counts = next(e for e in events if e["type"] == "moderation.counts")
        assert counts == {
            "type": "moderation.counts",
            "group": thread.group_id,
            "flags": number,
            "hidden": 1 if number == 3 else 0,
            "signups": 0,
        }
        assert next(e for e in events if e["type"] == "notification.created")["kind"] == "new_flag"
    assert await esther.receive_nothing(timeout=0.3)
    # Fatima hears that her post was hidden, but no queue counts.
    event = await fatima.receive_json_from(timeout=3)
    assert event["type"] == "notification.created" and event["kind"] == "post_hidden"
    assert await fatima.receive_nothing(timeout=0.3)
    for communicator in (samira, esther, fatima):
        await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_staff_follow_every_groups_queue(layer, staff):
    team, _ = await connect(staff)
    await team.receive_json_from()
    await team.send_json_to({"type": "moderation.watch"})
    watching = await team.receive_json_from()
    assert watching["groups"] == await sync_to_async(lambda: sorted(Group.objects.values_list("pk", flat=True)))()
    await team.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_suspending_a_member_closes_their_open_sockets(layer, member, ambassador):
    first, _ = await connect(member)
    second, _ = await connect(member)
    for communicator in (first, second):
        await communicator.receive_json_from()
    await sync_to_async(community_actions.suspend_member)(
        actor=ambassador, member=member, until=timezone.now() + timedelta(days=1), reason="Afkoelen"
    )
    for communicator in (first, second):
        # The suspension notification may arrive first; then the socket closes with 4403.
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.send":
            output = await communicator.receive_output(timeout=3)
        assert output == {"type": "websocket.close", "code": 4403}
        await communicator.disconnect()
    again, _ = await connect(await sync_to_async(Member.objects.get)(pk=member.pk))
    assert await again.receive_output() == {"type": "websocket.close", "code": 4403}
    await again.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_deleting_an_account_closes_its_socket(layer, member, colleague):
    fatima, _ = await connect(member)
    thijs, _ = await connect(colleague)
    for communicator in (fatima, thijs):
        await communicator.receive_json_from()
    await sync_to_async(community_actions.delete_account)(member=member)
    assert await fatima.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}
    assert await thijs.receive_nothing(timeout=0.3)
    await fatima.disconnect()
    await thijs.disconnect()


# --- Who is told what ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_verified_sign_up_tells_the_ambassadors_of_its_province(
    ambassador, flevoland_ambassador, staff, municipality, published, django_capture_on_commit_callbacks
):
    applicant = MemberFactory(
        name="Sara Bouzid",
        handle="sara",
        municipality=municipality,
        status="pending",
        approved_at=None,
        email_verified_at=None,
        email="sara@voorbeeld.example",
    )
    with django_capture_on_commit_callbacks(execute=True):
        community_actions.verify_email(member=applicant)
    [notification] = Notification.objects.filter(kind="pending_member")
    assert notification.recipient == ambassador and notification.actor == applicant
    with translation.override("nl"):
        assert "Sara Bouzid" in describe(notification) and "'s-Gravenhage" in describe(notification)
    assert target_url(notification) == reverse("moderation") + "?queue=signups"
    regional = Group.objects.get(slug="zuid-holland")
    assert [event for _groups, event in published if event["type"] == "moderation.counts"] == [
        {"type": "moderation.counts", "group": regional.pk, "flags": 0, "hidden": 0, "signups": 1}
    ]
    # Verifying again tells nobody again.
    community_actions.verify_email(member=applicant)
    assert Notification.objects.filter(kind="pending_member").count() == 1


@pytest.mark.django_db
def test_a_sign_up_from_a_province_without_ambassador_goes_to_the_programme_team(staff, almere):
    applicant = MemberFactory(
        municipality=almere, status="pending", approved_at=None, email_verified_at=None, email="tom@voorbeeld.example"
    )
    community_actions.verify_email(member=applicant)
    assert list(Notification.objects.filter(kind="pending_member").values_list("recipient", flat=True)) == [staff.pk]


@pytest.mark.django_db
def test_every_moderation_kind_has_words_and_a_place_in_both_languages(member, ambassador, question, answer):
    for kind in (
        "post_hidden",
        "post_removed",
        "thread_hidden",
        "thread_locked",
        "thread_moved",
        "suspended",
        "flag_upheld",
        "flag_dismissed",
        "new_flag",
        "pending_member",
    ):
        notification = Notification(
            recipient=member,
            kind=kind,
            actor=ambassador,
            actor_name=ambassador.name,
            thread=question,
            post=answer,
            title=question.title,
            detail="spam",
        )
        for language in ("nl", "en"):
            with translation.override(language):
                text = describe(notification)
                assert text and text != notification.get_kind_display(), f"{kind} in {language}"
        assert target_url(notification).startswith("/")
    assert target_url(Notification(kind="new_flag", post=answer)) == reverse("review_flags", args=[answer.pk])
