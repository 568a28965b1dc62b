"""Publishing small, namespaced events to the channel layer, after commit.

The database row is the truth; the socket is a hint. A channel layer that is
down is logged, never raised to the member: clients catch up on reconnect.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from community.metrics import CHANNEL_LAYER_ERRORS

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
    """Send a channel-layer message (its ``type`` names the consumer's handler) now."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        # Concurrently, in chunks: with Redis this pipelines the sends over the connection pool.
        for start in range(0, len(groups), CHUNK):
            await asyncio.gather(*(layer.group_send(group, message) for group in groups[start : start + CHUNK]))

    try:
        async_to_sync(send_all)()
    except Exception:
        CHANNEL_LAYER_ERRORS.labels("publish").inc()
        logger.exception("Could not publish %s to %d groups", message.get("type"), len(groups))


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
