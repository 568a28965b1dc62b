"""After the channel layer failed and came back, the process's sockets are closed with 4012
so that each page reconnects and catches up (notifications/layerwatch.py)."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from prometheus_client import REGISTRY

from notifications import layerwatch
from tests.notifications.test_consumer import connect, layer

pytestmark = pytest.mark.django_db(transaction=True)


async def probe_failures() -> float:
    value = await sync_to_async(REGISTRY.get_sample_value)(
        "samenleven_channel_layer_errors_total", {"operation": "probe"}
    )
    return value or 0.0


@pytest.fixture
def probes(monkeypatch, settings):
    """The probe's answers, in turn (then the real probe)."""
    settings.LIVE_LAYER_PROBE_SECONDS = 0.05
    answers: list[bool] = []
    real = layerwatch.probe

    async def scripted(channel_layer, timeout=2.0):
        if answers:
            return answers.pop(0)
        return await real(channel_layer, timeout)

    monkeypatch.setattr(layerwatch, "probe", scripted)
    monkeypatch.setattr(layerwatch, "watch", layerwatch.LayerWatch())
    return answers


async def test_sockets_reconnect_when_the_layer_is_back_after_an_outage(layer, probes, member, colleague):
    failures = await probe_failures()
    probes.extend([True, False, False])  # working, then two failed probes, then working again
    fatima, _ = await connect(member)
    thijs, _ = await connect(colleague)
    for socket in (fatima, thijs):
        assert (await socket.receive_json_from())["type"] == "session.ready"
    for socket in (fatima, thijs):
        assert await socket.receive_output(timeout=3) == {"type": "websocket.close", "code": 4012}
    assert await probe_failures() == failures + 2
    for socket in (fatima, thijs):
        await socket.disconnect()


async def test_a_layer_that_keeps_working_closes_nothing(layer, probes, member):
    fatima, _ = await connect(member)
    assert (await fatima.receive_json_from())["type"] == "session.ready"
    await asyncio.sleep(0.3)  # several real probes through the layer
    assert await fatima.receive_nothing(timeout=0.2)
    assert not layerwatch.watch.broken
    await fatima.disconnect()
    await asyncio.sleep(0.1)
    assert not list(layerwatch.watch.sockets)


async def test_the_probe_goes_through_the_layer_and_back(layer):
    from channels.layers import get_channel_layer

    assert await layerwatch.probe(get_channel_layer())

    class Down:
        channels: dict = {}

        async def new_channel(self, prefix):
            self.channels[f"{prefix}x"] = None
            raise ConnectionError("Redis is away")

    down = Down()
    assert not await layerwatch.probe(down)
    assert down.channels == {}


async def test_while_the_layer_is_broken_live_events_wait_for_the_catch_up(layer, probes, member, colleague, question):
    """An event passed on after a lost one would move the page past it: held back until the resync."""
    from threads import actions

    fatima, _ = await connect(member)
    assert (await fatima.receive_json_from())["type"] == "session.ready"
    probes.extend([False] * 1000)  # the layer fails, and stays so
    for _ in range(100):
        if layerwatch.watch.broken:
            break
        await asyncio.sleep(0.02)
    assert layerwatch.watch.broken
    await sync_to_async(actions.reply_to_thread)(author=colleague, thread=question, body="Tijdens de storing")
    assert await fatima.receive_nothing(timeout=0.5)
    probes.clear()
    probes.append(True)  # back: the socket is closed so that the page catches up
    assert await fatima.receive_output(timeout=3) == {"type": "websocket.close", "code": 4012}
    await fatima.disconnect()
