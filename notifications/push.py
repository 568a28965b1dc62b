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

logger = logging.getLogger(__name__)
CHUNK = 200


def to_layer_message(event: dict[str, Any]) -> dict[str, Any]:
    """Channels dispatches on ``type`` with dots turned into underscores; the
    consumer forwards the event unchanged, so the browser sees the dotted name."""
    return {"type": "forward", "event": event}


def send_now(groups: list[str], event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = to_layer_message(event)

    async def send_all() -> None:
        # Concurrently, in chunks: with Redis this pipelines the sends over the connection pool.
        for start in range(0, len(groups), CHUNK):
            await asyncio.gather(*(layer.group_send(group, message) for group in groups[start : start + CHUNK]))

    try:
        async_to_sync(send_all)()
    except Exception:  # noqa: BLE001 - the channel layer being down must not fail the request
        logger.exception("Could not publish %s to %d groups", event.get("type"), len(groups))


def publish(groups: str | list[str], event: dict[str, Any]) -> None:
    """Send ``event`` to ``groups`` once the current transaction commits (at once outside one)."""
    targets = [groups] if isinstance(groups, str) else list(groups)
    if targets:
        transaction.on_commit(lambda: send_now(targets, event))


def close_member_sockets(member_id: int) -> None:
    """Once the transaction commits, close every open socket of the member (after a
    suspension or the deletion of their account). A raw layer message, not an event:
    the consumer's ``session_close`` handler closes with 4403."""
    from notifications.groups import member_group

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(member_group(member_id), {"type": "session.close"})
        except Exception:  # noqa: BLE001 - the channel layer being down must not fail the request
            logger.exception("Could not close the sockets of member %s", member_id)

    transaction.on_commit(send)
