"""The /ws/ consumer on the real router: who gets in, what they may follow,
and that nobody hears anybody else's events. On the in-memory layer and,
when REDIS_URL is set, on Redis."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.utils import timezone

from community.asgi import application
from community.models import Group, Member
from notifications import consumers, live
from tests.second_factor import log_in_client
from tests.threads.conftest import make_thread
from threads import actions

pytestmark = pytest.mark.django_db(transaction=True)
SITE = "http://localhost"
ORIGIN = (b"origin", SITE.encode())


@pytest.fixture(params=["memory", "redis"])
def layer(request, settings):
    """Run each test on the in-memory layer and on Redis, with the site at SITE
    (only its own pages may open the socket)."""
    settings.SITE_URL = SITE
    if request.param == "redis":
        from tests.needs import need_redis

        url = need_redis()
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {
                    "hosts": [url],
                    "prefix": f"{os.environ.get('CHANNEL_PREFIX', 'samenleven')}-test-{os.getpid()}",
                },
            }
        }
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield request.param
    channel_layers.backends.clear()


def session_cookie(member) -> bytes:
    """A session of the member: for staff and moderators one that passed the second step."""
    client = log_in_client(Client(), member)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def connect(member=None, origin=ORIGIN):
    headers = [origin]
    if member is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(member)))
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _subprotocol = await communicator.connect()
    return communicator, connected


async def test_anonymous_connections_are_closed_with_4401(layer):
    communicator, connected = await connect()
    assert connected
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4401}
    await communicator.disconnect()


async def test_pending_and_suspended_members_are_closed_with_4403(layer, pending_member, member):
    for who in (pending_member,):
        communicator, _connected = await connect(who)
        assert await communicator.receive_output() == {"type": "websocket.close", "code": 4403}
        await communicator.disconnect()
    await sync_to_async(Member.objects.filter(pk=member.pk).update)(
        status="suspended", suspended_until=timezone.now() + timedelta(days=1)
    )
    communicator, _connected = await connect(await sync_to_async(Member.objects.get)(pk=member.pk))
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4403}
    await communicator.disconnect()


async def test_a_foreign_origin_is_refused(layer, member):
    communicator, connected = await connect(member, origin=(b"origin", b"https://evil.example"))
    assert not connected
    await communicator.disconnect()


async def test_a_member_gets_their_own_notifications_and_not_someone_elses(
    layer, question, member, colleague, outsider
):
    fatima, _ = await connect(member)
    iris, _ = await connect(outsider)
    ready = await fatima.receive_json_from()
    assert ready["type"] == "session.ready" and ready["member"] == member.pk
    await iris.receive_json_from()
    await sync_to_async(actions.reply_to_thread)(author=colleague, thread=question, body="Voor Fatima")
    event = await fatima.receive_json_from(timeout=3)
    assert event["type"] == "notification.created" and event["kind"] == "replied"
    assert await iris.receive_nothing(timeout=0.3)
    await fatima.disconnect()
    await iris.disconnect()


async def test_many_recipients_get_their_events_in_one_message_each_socket_its_own(
    layer, question, member, colleague, outsider, monkeypatch
):
    """From ``push.ONE_MESSAGE_FROM`` recipients on, one message carries every member's own
    event; a socket sends on its own member's, nothing of anyone else's."""
    from notifications import push
    from notifications.models import Watch
    from tests.conftest import approved_member

    monkeypatch.setattr(push, "ONE_MESSAGE_FROM", 2)
    sent = []
    real_send = push.send_message_soon
    monkeypatch.setattr(
        push, "send_message_soon", lambda groups, message: (sent.append(groups), real_send(groups, message))
    )

    def watchers():
        others = [approved_member(member.municipality, name=f"Volger {n}", handle=f"volger{n}") for n in range(2)]
        for watcher in others:
            Watch.objects.create(member=watcher, thread=question, level=Watch.Level.WATCHING)
        return others

    first, second = await sync_to_async(watchers)()
    sockets = {who.pk: (await connect(who))[0] for who in (member, first, outsider)}
    for socket in sockets.values():
        await socket.receive_json_from()
    await sync_to_async(actions.reply_to_thread)(author=colleague, thread=question, body="Voor alle volgers")
    assert ["members"] in sent, "one message to every socket"
    for who in (member, first):
        event = await sockets[who.pk].receive_json_from(timeout=3)
        assert event["type"] == "notification.created" and event["unread"] >= 1
    assert await sockets[outsider.pk].receive_nothing(timeout=0.3), "an outsider hears nothing"
    assert await sockets[member.pk].receive_nothing(timeout=0.3), "each socket sends its own event once"
    for socket in sockets.values():
        await socket.disconnect()


async def test_watching_a_thread_brings_its_posts_live(layer, question, member, colleague):
    fatima, _ = await connect(member)
    await fatima.receive_json_from()
    await fatima.send_json_to({"type": "thread.watch", "thread": question.pk})
    assert await fatima.receive_json_from() == {"type": "thread.watching", "thread": question.pk}
    post = await sync_to_async(actions.reply_to_thread)(author=colleague, thread=question, body="Live erbij")
    received = [await fatima.receive_json_from(timeout=3) for _ in range(2)]
    assert sorted(event["type"] for event in received) == ["notification.created", "thread.post_created"]
    live = next(event for event in received if event["type"] == "thread.post_created")
    assert live["post"] == post.pk and live["number"] == 2 and "Live erbij" in live["html"]
    await fatima.send_json_to({"type": "thread.unwatch", "thread": question.pk})
    assert await fatima.receive_json_from() == {"type": "thread.unwatched", "thread": question.pk}
    await sync_to_async(actions.edit_post)(editor=colleague, post=post, body="Aangepast")
    assert await fatima.receive_nothing(timeout=0.3)
    await fatima.disconnect()


async def test_a_member_cannot_watch_a_thread_in_a_group_they_may_not_read(layer, member, outsider, colleague, themes):
    regional = await sync_to_async(make_thread)(member, await sync_to_async(Group.objects.get)(slug="zuid-holland"))
    iris, _ = await connect(outsider)
    await iris.receive_json_from()
    await iris.send_json_to({"type": "thread.watch", "thread": regional.pk})
    refusal = await iris.receive_json_from()
    assert refusal["type"] == "error" and refusal["code"] == "forbidden" and refusal["thread"] == regional.pk
    await sync_to_async(actions.reply_to_thread)(author=colleague, thread=regional, body="Geheim")
    assert await iris.receive_nothing(timeout=0.3)
    await iris.send_json_to({"type": "thread.watch", "thread": 999999})
    assert (await iris.receive_json_from())["code"] == "forbidden"
    await iris.send_json_to({"type": "thread.watch", "thread": "1; DROP"})
    assert (await iris.receive_json_from())["code"] == "invalid"
    await iris.disconnect()


async def test_thread_events_for_edits_answers_and_hiding(layer, question, answer, member, staff):
    fatima, _ = await connect(member)
    await fatima.receive_json_from()
    await fatima.send_json_to({"type": "thread.watch", "thread": question.pk})
    await fatima.receive_json_from()
    await sync_to_async(actions.edit_post)(editor=answer.author, post=answer, body="Nieuwe tekst")
    updated = await fatima.receive_json_from(timeout=3)
    assert updated["type"] == "thread.post_updated" and "Nieuwe tekst" in updated["html"]
    await sync_to_async(actions.accept_answer)(actor=member, thread=question, post=answer)
    accepted = await fatima.receive_json_from(timeout=3)
    assert accepted == {"type": "thread.answer_accepted", "thread": question.pk, "post": answer.pk, "number": 2}
    await sync_to_async(actions.hide_post)(actor=staff, post=answer, reason="Off-topic")
    events = [await fatima.receive_json_from(timeout=3)]
    assert {key: events[0][key] for key in ("type", "thread", "post", "number")} == {
        "type": "thread.post_hidden",
        "thread": question.pk,
        "post": answer.pk,
        "number": 2,
    }
    assert "Nieuwe tekst" not in str(events)
    await fatima.disconnect()


def test_the_consumers_database_work_is_constant_with_ten_times_more_notifications(
    question, member, colleague, django_assert_num_queries
):
    """Guards the join: connecting reads the member and the newest notification id, whatever the history."""
    for number in range(3):
        actions.reply_to_thread(author=colleague, thread=question, body=f"Reactie {number}")
    with django_assert_num_queries(3):  # the member, their roles, the newest notification
        consumers._load_member(member.pk)
    for number in range(30):
        actions.reply_to_thread(author=colleague, thread=question, body=f"Meer {number}")
    with django_assert_num_queries(2):  # the roles of this cache_version are known now
        _member, last = consumers._load_member(member.pk)
    assert last == member.notifications.order_by("-id").first().pk
    with django_assert_num_queries(1):  # the thread with its group's read access
        assert live.readable_thread_ids(_member, [question.pk]) == {question.pk}
