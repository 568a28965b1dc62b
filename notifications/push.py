"""Publishing small, namespaced events to the channel layer, after commit.

The database row is the truth; the socket is a hint. A channel layer that is
down is logged, never raised to the member: clients catch up on reconnect.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from community.metrics import CHANNEL_LAYER_ERRORS
from community.performance.handlers import after_the_answer

logger = logging.getLogger(__name__)
CHUNK = 200


def to_layer_message(event: dict[str, Any]) -> dict[str, Any]:
    """Channels dispatches on ``type`` with dots turned into underscores; the
    consumer forwards the event unchanged, so the browser sees the dotted name."""
    return {"type": "forward", "event": event}


def send_now(groups: list[str], event: dict[str, Any]) -> None:
    """Send ``event`` to the sockets in ``groups`` as it is (``LiveConsumer.forward``)."""
    send_message(groups, to_layer_message(event))


def send_message(groups: list[str], message: dict[str, Any]) -> None:
    """Send a channel-layer message (its ``type`` names the consumer's handler) now: after
    the answer in a request, else waiting for it."""
    _dispatch(_group_sender(groups, message), f"{message.get('type')} to {len(groups)} groups", wait=True)


def _group_sender(groups: list[str], message: dict[str, Any]) -> Any:
    """What sends ``message`` to ``groups``; None without a channel layer."""
    layer = get_channel_layer()
    if layer is None:
        return None

    async def send_all() -> None:
        # Concurrently, in chunks: with Redis this pipelines the sends over the connection pool.
        for start in range(0, len(groups), CHUNK):
            await asyncio.gather(*(layer.group_send(group, message) for group in groups[start : start + CHUNK]))

    return send_all


def send_each_now(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Send each event to its own group (one per recipient), concurrently in chunks."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all() -> None:
        for start in range(0, len(messages), CHUNK):
            await asyncio.gather(
                *(layer.group_send(group, to_layer_message(event)) for group, event in messages[start : start + CHUNK])
            )

    _dispatch(send_all, f"{len(messages)} events", wait=False)


#: From this many recipients on, their personal events travel as one message to every
#: socket (``groups.members_group``) instead of one message per member: a thousand sends
#: and a thousand deliveries on the event loop, which also owes the reply its answer,
#: become one of each per process, as for a thread's followers.
ONE_MESSAGE_FROM = 50
#: What differs between the members' events of one action, all whole numbers; the rest
#: (kind, text in their language, link) is written once per wording. Each socket of a
#: process gets the message from the layer and decodes it by itself, so the members' part
#: is one text ("<member>:<wording>:<id>:<unread>:<replaces>;" each), decoded as one
#: object and searched for the socket's own member, not a thousand small objects a socket.
PER_MEMBER = ("id", "unread", "replaces")


def publish_to_members(events: list[tuple[int, dict[str, Any]]]) -> None:
    """Once the current transaction commits, send each member their own event (at most one
    each): to their personal streams, or, for ``ONE_MESSAGE_FROM`` members or more, as one
    message from which each socket takes its own member's event (``member_event``)."""
    from notifications.groups import member_group, members_group

    one_each = len({member_id for member_id, _event in events}) == len(events)
    compact = all(isinstance(event.get(key, 0), int | None) for _member_id, event in events for key in PER_MEMBER)
    if len(events) < ONE_MESSAGE_FROM or not one_each or not compact:
        publish_each([(member_group(member_id), event) for member_id, event in events])
        return
    common: list[dict[str, Any]] = []
    wordings: dict[tuple[Any, ...], int] = {}
    each = [";"]
    for member_id, event in events:
        shared = {key: value for key, value in event.items() if key not in PER_MEMBER}
        index = wordings.setdefault(tuple(shared.items()), len(common))
        if index == len(common):
            common.append(shared)
        values = ":".join("" if event.get(key) is None else str(event[key]) for key in PER_MEMBER)
        each.append(f"{member_id}:{index}:{values};")
    message = {"type": "forward.each", "common": common, "each": "".join(each)}
    transaction.on_commit(lambda: send_message_soon([members_group()], message))


def member_event(message: dict[str, Any], member_id: int) -> dict[str, Any] | None:
    """The member's own event in a ``publish_to_members`` message, or None."""
    each: str = message["each"]
    start = each.find(f";{member_id}:")
    if start < 0:
        return None
    _member, index, *values = each[start + 1 : each.index(";", start + 1)].split(":")
    event = dict(message["common"][int(index)])
    event.update((key, int(value)) for key, value in zip(PER_MEMBER, values, strict=True) if value)
    return event


def send_message_soon(groups: list[str], message: dict[str, Any]) -> None:
    """``send_message``, handed off to the server's event loop when there is one (the
    request does not wait for it)."""
    _dispatch(_group_sender(groups, message), f"{message.get('type')} to {len(groups)} groups", wait=False)


def _dispatch(send_all: Any, what: str, *, wait: bool) -> None:
    """Run ``send_all``: in a request, once its answer has been sent (``after_the_answer``);
    in a request thread of the ASGI server otherwise, on its event loop without waiting for
    it unless ``wait``; elsewhere (commands, tests) here. A failure is logged and counted,
    never raised: the database row is the truth, clients catch up."""
    if send_all is None:
        return

    def failed() -> None:
        CHANNEL_LAYER_ERRORS.labels("publish").inc()
        logger.exception("Could not publish %s", what)

    async def logged() -> None:
        try:
            await send_all()
        except Exception:
            failed()

    if after_the_answer(logged):
        return
    loop = None if wait else _server_loop()
    if loop is not None:
        asyncio.run_coroutine_threadsafe(logged(), loop)
        return
    try:
        async_to_sync(send_all)()
    except Exception:  # the layer is down, or this thread runs an event loop itself
        failed()


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop of the ASGI server that called this thread (``sync_to_async``)."""
    from asgiref.sync import SyncToAsync

    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    return loop


def publish_each(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Once the current transaction commits, send each (group, event) pair, handed off to
    the server's event loop: the request does not wait for a thousand sends."""
    if messages:
        transaction.on_commit(lambda: send_each_now(messages))


def publish(groups: str | list[str], event: dict[str, Any]) -> None:
    """Send ``event`` to ``groups`` once the current transaction commits (at once outside one)."""
    targets = [groups] if isinstance(groups, str) else list(groups)
    if targets:
        transaction.on_commit(lambda: send_now(targets, event))


def on_commit_send(groups: list[str], message: dict[str, Any]) -> None:
    """``send_message`` once the current transaction commits (at once outside one)."""
    if groups:
        transaction.on_commit(lambda: send_message(groups, message))


def close_member_sockets(member_id: int) -> None:
    """Once the transaction commits, close every open socket of the member (after a
    suspension or the deletion of their account) with 4403."""
    from notifications.groups import member_group

    on_commit_send([member_group(member_id)], {"type": "session.close", "code": 4403})


def close_session_sockets(session_keys: list[str]) -> None:
    """Once the transaction commits, close the sockets opened in these browser sessions
    (logged out, or ended by a password change) with 4401: not logged in any more."""
    from notifications.groups import session_group

    on_commit_send([session_group(key) for key in session_keys], {"type": "session.close", "code": 4401})


def access_changed(member_id: int) -> None:
    """Once the transaction commits, have every open socket of the member reload the
    member and decide again what it may follow (``LiveConsumer.access_changed``)."""
    from notifications.groups import member_group

    on_commit_send([member_group(member_id)], {"type": "access.changed"})
