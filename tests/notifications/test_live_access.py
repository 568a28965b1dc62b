"""Access over the socket is decided again, not remembered (SPEC F7).

Each test has a watcher who loses the right to read a thread and a watcher who keeps it:
after the change, the one who lost it receives nothing more about the thread (not a post,
not a title, not a count) while the other still does, so a test that heard nothing at all
would fail. On the in-memory layer and, when REDIS_URL is set, on Redis.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.utils import timezone

from community import actions as community_actions
from community.asgi import application
from community.models import Group, Member
from tests.notifications.test_consumer import ORIGIN, layer
from tests.second_factor import log_in_client
from tests.threads.conftest import make_thread
from threads import actions
from threads.models import Post

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "Alleen voor moderatoren: de wethouder van"


class Socket:
    """One browser tab: a logged-in client (its session) and its WebSocket."""

    def __init__(self, client: Client, communicator: WebsocketCommunicator) -> None:
        self.client = client
        self.communicator = communicator

    async def receive(self, timeout: float = 3) -> dict:
        return await self.communicator.receive_json_from(timeout=timeout)

    async def receive_until(self, kind: str, timeout: float = 3) -> dict:
        """The next event of ``kind``, skipping personal notifications on the way."""
        while True:
            event = await self.receive(timeout)
            if event["type"] == kind:
                return event
            assert event["type"] == "notification.created", event

    async def hears_nothing_of(self, thread_id: int, *forbidden: str) -> None:
        """Nothing more about the thread arrives: no event of it, none of its text."""
        while not await self.communicator.receive_nothing(timeout=0.5):
            event = await self.receive()
            assert event.get("thread") != thread_id and event["type"].split(".")[0] != "thread", event
            for text in forbidden:
                assert text not in str(event), event

    async def watch(self, thread_id: int) -> None:
        await self.communicator.send_json_to({"type": "thread.watch", "thread": thread_id})
        assert await self.receive() == {"type": "thread.watching", "thread": thread_id}

    async def close(self) -> None:
        await self.communicator.disconnect()


async def open_tab(member: Member, client: Client | None = None) -> Socket:
    # A browser session of the member; for staff and moderators one that passed the second step.
    client = client or await sync_to_async(log_in_client)(Client(), member)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()
    communicator = WebsocketCommunicator(application, "/ws/", headers=[ORIGIN, (b"cookie", cookie)])
    connected, _subprotocol = await communicator.connect()
    assert connected
    socket = Socket(client, communicator)
    ready = await socket.receive()
    assert ready["type"] == "session.ready", ready
    return socket


async def closed_with(socket: Socket) -> int:
    output = await socket.communicator.receive_output(timeout=3)
    while output["type"] == "websocket.send":  # events on their way before the close
        output = await socket.communicator.receive_output(timeout=3)
    assert output["type"] == "websocket.close", output
    return output["code"]


async def still_open(socket: Socket, thread_id: int, author: Member) -> None:
    """The control: a reply in the thread reaches this socket."""
    await sync_to_async(actions.reply_to_thread)(author=author, thread=await _thread(thread_id), body="Nog steeds live")
    event = await socket.receive_until("thread.post_created")
    assert "Nog steeds live" in event["html"]


@sync_to_async
def _thread(pk: int):
    from threads.models import Thread

    return Thread.objects.select_related("group").get(pk=pk)


@sync_to_async
def _reload(member: Member) -> Member:
    return Member.objects.get(pk=member.pk)


# --- The thread changes ---------------------------------------------------------------


async def test_a_hidden_thread_sends_members_only_its_hint_while_moderators_keep_following(
    layer, question, member, colleague, staff
):
    fatima = await open_tab(member)
    team = await open_tab(staff)
    for socket in (fatima, team):
        await socket.watch(question.pk)
    await sync_to_async(actions.hide_thread)(actor=staff, thread=question, reason="Persoonsgegevens")
    assert await fatima.receive_until("thread.hidden") == {"type": "thread.hidden", "thread": question.pk}
    assert await team.receive_until("thread.hidden") == {
        "type": "thread.hidden",
        "thread": question.pk,
        "following": True,
    }
    await sync_to_async(actions.reply_to_thread)(author=staff, thread=await _thread(question.pk), body=SECRET)
    reply = await team.receive_until("thread.post_created")
    assert SECRET in reply["html"]
    await fatima.hears_nothing_of(question.pk, SECRET, question.title)
    for socket in (fatima, team):
        await socket.close()


async def test_a_hidden_post_reaches_with_its_text_only_those_who_may_see_it(
    layer, question, answer, member, colleague, staff
):
    fatima = await open_tab(member)
    thijs = await open_tab(colleague)  # the author of the answer
    team = await open_tab(staff)
    for socket in (fatima, thijs, team):
        await socket.watch(question.pk)
    await sync_to_async(actions.hide_post)(actor=staff, post=answer, reason="Off-topic")
    for socket, sees in ((fatima, False), (thijs, True), (team, True)):
        event = await socket.receive_until("thread.post_hidden")
        assert event["post"] == answer.pk and event["number"] == 2
        assert ("balie op locatie" in event["html"]) is sees, event
        assert ("Off-topic" in event["html"]) is sees
    for socket in (fatima, thijs, team):
        await socket.close()


async def test_a_thread_moved_into_a_closed_group_leaves_those_outside_it(
    layer, question, member, outsider, staff, colleague
):
    fatima = await open_tab(member)  # in Zuid-Holland's regional group
    iris = await open_tab(outsider)  # from Limburg
    for socket in (fatima, iris):
        await socket.watch(question.pk)
    regional = await sync_to_async(Group.objects.get)(slug="zuid-holland")
    await sync_to_async(actions.move_thread)(actor=staff, thread=await _thread(question.pk), group=regional)
    assert await iris.receive_until("thread.unavailable") == {"type": "thread.unavailable", "thread": question.pk}
    assert (await fatima.receive_until("thread.moved"))["thread"] == question.pk
    await still_open(fatima, question.pk, colleague)
    await iris.hears_nothing_of(question.pk, "Nog steeds live")
    for socket in (fatima, iris):
        await socket.close()


async def test_a_closed_group_is_decided_again_by_every_socket_in_its_threads(layer, member, outsider, staff, themes):
    group = await sync_to_async(Group.objects.create)(
        name="Taalcafés", slug="taalcafes", kind=Group.Kind.THEME, read_access=Group.ReadAccess.EVERYONE
    )
    await sync_to_async(community_actions.join_group)(member=member, group=group)
    thread = await sync_to_async(make_thread)(member, group)
    fatima = await open_tab(member)
    iris = await open_tab(outsider)  # may read it while it is open to every member
    for socket in (fatima, iris):
        await socket.watch(thread.pk)

    await sync_to_async(community_actions.set_group_read_access)(
        actor=staff, group=group, read_access=Group.ReadAccess.MEMBERS
    )
    assert await iris.receive_until("thread.unavailable") == {"type": "thread.unavailable", "thread": thread.pk}
    await still_open(fatima, thread.pk, member)
    await iris.hears_nothing_of(thread.pk, "Nog steeds live")
    for socket in (fatima, iris):
        await socket.close()


async def test_every_thread_event_is_decided_on_the_facts_after_the_change_even_without_a_control_message(
    layer, member, outsider, themes
):
    """A group closed by a bare update (no action, so no control message): the next post
    carries the group's new state, and the socket outside it gets only the hint."""
    group = await sync_to_async(Group.objects.create)(
        name="Werkgelegenheid", slug="werk", kind=Group.Kind.THEME, read_access=Group.ReadAccess.EVERYONE
    )
    await sync_to_async(community_actions.join_group)(member=member, group=group)
    thread = await sync_to_async(make_thread)(member, group)
    fatima = await open_tab(member)
    iris = await open_tab(outsider)
    for socket in (fatima, iris):
        await socket.watch(thread.pk)
    await sync_to_async(Group.objects.filter(pk=group.pk).update)(read_access=Group.ReadAccess.MEMBERS)
    await sync_to_async(actions.reply_to_thread)(author=member, thread=thread, body=SECRET)
    assert SECRET in (await fatima.receive_until("thread.post_created"))["html"]
    assert await iris.receive_until("thread.unavailable") == {"type": "thread.unavailable", "thread": thread.pk}
    await iris.hears_nothing_of(thread.pk, SECRET)
    for socket in (fatima, iris):
        await socket.close()


# --- The member changes -------------------------------------------------------------------


async def test_a_member_removed_from_a_group_hears_nothing_more_of_its_threads(layer, member, colleague, staff, themes):
    regional = await sync_to_async(Group.objects.get)(slug="zuid-holland")
    thread = await sync_to_async(make_thread)(colleague, regional)
    fatima = await open_tab(member)
    thijs = await open_tab(colleague)
    for socket in (fatima, thijs):
        await socket.watch(thread.pk)
    await sync_to_async(community_actions.remove_from_group)(actor=staff, member=await _reload(member), group=regional)
    assert await fatima.receive_until("thread.unavailable") == {"type": "thread.unavailable", "thread": thread.pk}
    await still_open(thijs, thread.pk, colleague)
    await fatima.hears_nothing_of(thread.pk, "Nog steeds live")
    for socket in (fatima, thijs):
        await socket.close()


async def test_a_demoted_moderator_stops_following_the_queue_counts_and_the_hidden_thread(
    layer, ambassador, staff, member, themes
):
    regional = await sync_to_async(Group.objects.get)(slug="zuid-holland")
    thread = await sync_to_async(make_thread)(member, regional)
    await sync_to_async(actions.hide_thread)(actor=staff, thread=thread, reason="Wacht op overleg")
    samira = await open_tab(ambassador)
    team = await open_tab(staff)
    await samira.watch(thread.pk)
    await team.watch(thread.pk)
    await samira.communicator.send_json_to({"type": "moderation.watch"})
    assert regional.pk in (await samira.receive_until("moderation.watching"))["groups"]

    await sync_to_async(community_actions.remove_moderator)(
        actor=staff, member=await _reload(ambassador), group=regional
    )
    assert await samira.receive_until("thread.unavailable") == {"type": "thread.unavailable", "thread": thread.pk}
    assert await samira.receive_until("moderation.watching") == {"type": "moderation.watching", "groups": []}
    post = await sync_to_async(Post.objects.filter(thread=thread).first)()
    await sync_to_async(actions.hide_post)(actor=staff, post=post, reason="Nog een reden")
    assert (await team.receive_until("thread.post_hidden"))["post"] == post.pk
    await samira.hears_nothing_of(thread.pk, "Nog een reden")
    assert await samira.communicator.receive_nothing(timeout=0.3)  # no queue counts either
    for socket in (samira, team):
        await socket.close()


async def test_a_member_who_leaves_a_group_hears_nothing_more_of_its_threads(layer, member, colleague, themes):
    group = await sync_to_async(Group.objects.create)(
        name="Statushouders", slug="statushouders", kind=Group.Kind.THEME, read_access=Group.ReadAccess.MEMBERS
    )
    for who in (member, colleague):
        await sync_to_async(community_actions.join_group)(member=who, group=group)
    thread = await sync_to_async(make_thread)(colleague, group)
    fatima = await open_tab(member)
    thijs = await open_tab(colleague)
    for socket in (fatima, thijs):
        await socket.watch(thread.pk)
    await sync_to_async(community_actions.leave_group)(member=await _reload(member), group=group)
    assert await fatima.receive_until("thread.unavailable") == {"type": "thread.unavailable", "thread": thread.pk}
    await still_open(thijs, thread.pk, colleague)
    await fatima.hears_nothing_of(thread.pk, "Nog steeds live")
    for socket in (fatima, thijs):
        await socket.close()


async def test_a_member_who_lost_programme_team_rights_stops_following_what_only_staff_read(
    layer, member, staff, themes
):
    other_staff = await sync_to_async(Member.objects.get)(pk=staff.pk)
    regional = await sync_to_async(Group.objects.get)(slug="flevoland")
    thread = await sync_to_async(make_thread)(other_staff, regional)
    former = await sync_to_async(community_actions.grant_staff)(actor=other_staff, member=await _reload(member))
    fatima = await open_tab(former)  # from 's-Gravenhage: reads Flevoland's group only as staff
    team = await open_tab(other_staff)
    for socket in (fatima, team):
        await socket.watch(thread.pk)
    await sync_to_async(community_actions.revoke_staff)(actor=other_staff, member=await _reload(member))
    assert await fatima.receive_until("thread.unavailable") == {"type": "thread.unavailable", "thread": thread.pk}
    await still_open(team, thread.pk, other_staff)
    await fatima.hears_nothing_of(thread.pk, "Nog steeds live")
    for socket in (fatima, team):
        await socket.close()


async def test_suspension_and_account_deletion_close_the_members_sockets(
    layer, question, member, colleague, ambassador
):
    thijs = await open_tab(colleague)
    fatima = await open_tab(member)
    await sync_to_async(community_actions.suspend_member)(
        actor=ambassador, member=await _reload(member), until=timezone.now() + timedelta(days=3), reason="Even afkoelen"
    )
    assert await closed_with(fatima) == 4403
    await sync_to_async(community_actions.delete_account)(member=await _reload(colleague))
    assert await closed_with(thijs) == 4403


# --- Sessions -------------------------------------------------------------------------------


async def test_logging_out_closes_that_sessions_sockets_and_not_the_other_devices(layer, question, member, colleague):
    laptop = await open_tab(member)
    laptop_second_tab = await open_tab(member, laptop.client)
    phone = await open_tab(member)
    await phone.watch(question.pk)
    response = await sync_to_async(laptop.client.post)("/accounts/logout/")
    assert response.status_code == 302
    assert await closed_with(laptop) == 4401
    assert await closed_with(laptop_second_tab) == 4401
    await still_open(phone, question.pk, colleague)
    await phone.close()


async def test_a_password_change_ends_every_other_session_and_closes_its_sockets(layer, question, member, colleague):
    laptop = await open_tab(member)
    phone = await open_tab(member)
    await laptop.watch(question.pk)
    response = await sync_to_async(laptop.client.post)(
        "/accounts/password/",
        {
            "old_password": "correct-horse-battery",
            "new_password1": "een-nieuw-wachtwoord-42",
            "new_password2": "een-nieuw-wachtwoord-42",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert await closed_with(phone) == 4401
    await still_open(laptop, question.pk, colleague)  # the browser where it was changed stays
    assert (await sync_to_async(phone.client.get)("/")).status_code == 200  # the landing page: logged out
    assert (await sync_to_async(laptop.client.get)("/notifications/")).status_code == 200
    await laptop.close()


async def test_log_out_everywhere_ends_every_session_this_one_too(layer, member):
    laptop = await open_tab(member)
    phone = await open_tab(member)
    response = await sync_to_async(laptop.client.post)("/accounts/sessions/end/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert await closed_with(phone) == 4401
    assert await closed_with(laptop) == 4401
    for socket in (laptop, phone):
        assert (await sync_to_async(socket.client.get)("/notifications/")).status_code == 302


async def test_a_password_reset_ends_every_session(layer, member):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    phone = await open_tab(member)
    stranger = Client()
    uid = urlsafe_base64_encode(force_bytes(member.pk))
    token = await sync_to_async(default_token_generator.make_token)(member)
    response = await sync_to_async(stranger.get)(f"/accounts/password-reset/{uid}/{token}/")
    assert response.status_code == 302
    response = await sync_to_async(stranger.post)(
        response["Location"], {"new_password1": "een-nieuw-wachtwoord-42", "new_password2": "een-nieuw-wachtwoord-42"}
    )
    assert response.status_code == 302
    assert await closed_with(phone) == 4401


# --- Live posts are the viewer's own -----------------------------------------------------------


async def test_live_posts_carry_each_viewers_own_buttons_in_their_language(
    layer, question, member, colleague, outsider, staff
):
    await sync_to_async(Member.objects.filter(pk=outsider.pk).update)(language="en")
    fatima = await open_tab(member)  # the asker
    thijs = await open_tab(colleague)  # the author of the reply
    iris = await open_tab(outsider)
    team = await open_tab(staff)
    for socket in (fatima, thijs, iris, team):
        await socket.watch(question.pk)
    await sync_to_async(actions.reply_to_thread)(author=colleague, thread=question, body="Zo doen wij het")
    html = {
        name: (await socket.receive_until("thread.post_created"))["html"]
        for name, socket in (("fatima", fatima), ("thijs", thijs), ("iris", iris), ("team", team))
    }
    assert all("Zo doen wij het" in text for text in html.values())
    assert "Bewerken" in html["thijs"] and "Nuttig" not in html["thijs"] and "Melden" not in html["thijs"]
    assert (
        "Bewerken" not in html["fatima"] and "Nuttig" in html["fatima"] and "Accepteren als antwoord" in html["fatima"]
    )
    assert "Useful" in html["iris"] and "Flag" in html["iris"] and "Accept as answer" not in html["iris"]
    assert "Verbergen" in html["team"] and "Bewerken" in html["team"]
    assert 'name="csrfmiddlewaretoken" value=""' in html["fatima"]  # the page puts in its own
    for socket in (fatima, thijs, iris, team):
        await socket.close()
