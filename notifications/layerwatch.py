"""After a channel-layer outage, every socket of the process reconnects and catches up.

While Redis is away the sockets stay open but hear nothing: the events published meanwhile
are gone (the layer is at-most-once), and a page only asks for what it missed
(``/notifications/since/<id>/``) after it reconnects. So each process watches its layer: while
it has sockets, it sends itself a probe every ``LIVE_LAYER_PROBE_SECONDS`` (a message through the
layer to a channel of its own, answered or failed). When a probe succeeds
after one failed, the layer is back: the process closes its sockets with 4012 (any code
but 4401 and 4403 makes the page come back), and each page reconnects after its jittered backoff (static/js/live.js: within two
seconds) and catches up from the database. The probe counts its failures in
``/metrics`` (``samenleven_channel_layer_errors_total{operation="probe"}``).

A probe fails when the layer raises (Redis refused or dropped the connection) or does not
answer within ``LIVE_LAYER_PROBE_TIMEOUT`` seconds (default 10). A slow answer alone loses
nothing, and a process busy accepting a thousand sockets can take seconds to read one: with a
tight timeout such a moment closed every socket, and their reconnecting kept the process busy.

From the first failed probe until the resync, the sockets pass on no live event
(``LiveConsumer.dispatch``): an event that arrives after Redis is back but before the resync
would move the page's last notification id past one that was lost meanwhile, and the
catch-up, which asks for what came after that id, would skip the lost one.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from typing import Any, Protocol

from channels.layers import get_channel_layer
from django.conf import settings

from community.metrics import CHANNEL_LAYER_ERRORS

logger = logging.getLogger(__name__)
CLOSE_RESYNC = 4012  # reconnect, then catch up (daphne sends only 1000 and 3000-4999)
#: Silence after which a probe has failed, unless settings.LIVE_LAYER_PROBE_TIMEOUT says otherwise.
PROBE_TIMEOUT_SECONDS = 10.0


class Closable(Protocol):
    async def close(self, code: int | None = None) -> None: ...


async def probe(layer: Any, timeout: float = PROBE_TIMEOUT_SECONDS) -> bool:
    """One message through the layer to a channel of this process, and back."""
    try:
        channel = await asyncio.wait_for(layer.new_channel("layerwatch."), timeout)
        token = uuid.uuid4().hex
        await asyncio.wait_for(layer.send(channel, {"type": "layerwatch.probe", "token": token}), timeout)
        message = await asyncio.wait_for(layer.receive(channel), timeout)
    except Exception as error:
        logger.info("The channel layer probe failed: %r", error)
        # A channel whose subscription failed stays in the layer's table (channels_redis):
        # take this process's probes out of it, so an outage leaves nothing behind.
        channels = getattr(layer, "channels", None)
        if isinstance(channels, dict):
            for name in [name for name in channels if "layerwatch." in name]:
                channels.pop(name, None)
        return False
    return message.get("token") == token


class LayerWatch:
    """The sockets of this process and the task that probes the layer while there are any."""

    def __init__(self) -> None:
        self.sockets: weakref.WeakSet[Closable] = weakref.WeakSet()
        self.task: asyncio.Task[None] | None = None
        self.broken = False

    def add(self, socket: Closable) -> None:
        self.sockets.add(socket)
        if self.task is None or self.task.done() or self.task.get_loop() is not asyncio.get_running_loop():
            self.task = asyncio.get_running_loop().create_task(self.watch())

    def discard(self, socket: Closable) -> None:
        self.sockets.discard(socket)

    async def watch(self) -> None:
        interval = getattr(settings, "LIVE_LAYER_PROBE_SECONDS", 2.0)
        while self.sockets:
            layer = get_channel_layer()
            if layer is None:
                return
            if await probe(layer, getattr(settings, "LIVE_LAYER_PROBE_TIMEOUT", PROBE_TIMEOUT_SECONDS)):
                if self.broken:
                    self.broken = False
                    await self.resync()
            else:
                CHANNEL_LAYER_ERRORS.labels("probe").inc()
                if not self.broken:
                    logger.warning("The channel layer does not carry messages; live events are lost until it does")
                self.broken = True
            await asyncio.sleep(interval)

    async def resync(self) -> None:
        sockets = list(self.sockets)
        logger.warning("The channel layer carries messages again: %d sockets reconnect to catch up", len(sockets))
        for socket in sockets:
            self.sockets.discard(socket)
            try:
                await socket.close(code=CLOSE_RESYNC)
            except Exception:
                logger.warning("Closing a socket to resync failed", exc_info=True)


#: One per process.
watch = LayerWatch()
