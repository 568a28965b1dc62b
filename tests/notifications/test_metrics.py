"""What the notifications app adds to /metrics: open sockets, channel-layer errors, and the
outbox (its depth by status and the age of the oldest unsent e-mail, read at scrape time)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone
from prometheus_client import REGISTRY

from notifications import push
from notifications.models import OutboxMessage
from tests.notifications.test_consumer import connect, layer
from tests.notifications.test_email_outbox import queue, reader


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape() -> str:
    response = Client().get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    return response.content.decode()


def figure(text: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    assert match, f"{series} not in the metrics"
    return float(match.group(1))


@pytest.mark.django_db(transaction=True)
async def test_open_websockets_go_up_on_connect_and_down_on_disconnect(layer, member):
    before_open, before_accepted = sample("samenleven_websockets_open"), sample("samenleven_websockets_accepted_total")
    first, _ = await connect(member)
    second, _ = await connect(member)
    assert (await first.receive_json_from())["type"] == "session.ready"
    assert (await second.receive_json_from())["type"] == "session.ready"
    assert sample("samenleven_websockets_open") == before_open + 2
    await first.disconnect()
    assert sample("samenleven_websockets_open") == before_open + 1
    await second.disconnect()
    assert sample("samenleven_websockets_open") == before_open
    assert sample("samenleven_websockets_accepted_total") == before_accepted + 2


@pytest.mark.django_db(transaction=True)
async def test_a_refused_socket_is_not_left_counted_as_open(layer):
    before = sample("samenleven_websockets_open")
    anonymous, _ = await connect()
    assert await anonymous.receive_output() == {"type": "websocket.close", "code": 4401}
    await anonymous.disconnect()
    assert sample("samenleven_websockets_open") == before


@pytest.mark.django_db
def test_a_channel_layer_that_fails_to_publish_is_counted(monkeypatch):
    class BrokenLayer:
        async def group_send(self, group, message):
            raise ConnectionError("Redis is away")

    monkeypatch.setattr(push, "get_channel_layer", lambda: BrokenLayer())
    before = sample("samenleven_channel_layer_errors_total", operation="publish")
    push.send_now(["member.1", "member.2"], {"type": "notification.created"})
    assert sample("samenleven_channel_layer_errors_total", operation="publish") == before + 1


@pytest.mark.django_db
def test_the_outbox_depth_and_the_age_of_the_oldest_unsent_mail_are_read_when_scraped(reader):
    text = scrape()
    assert figure(text, 'samenleven_outbox_messages{status="queued"}') == 0
    assert figure(text, "samenleven_outbox_oldest_unsent_age_seconds") == 0

    messages = queue(3, reader)
    OutboxMessage.objects.filter(pk=messages[0].pk).update(created=timezone.now() - timedelta(minutes=10))
    OutboxMessage.objects.filter(pk=messages[1].pk).update(status=OutboxMessage.Status.FAILED)
    text = scrape()
    assert figure(text, 'samenleven_outbox_messages{status="queued"}') == 2
    assert figure(text, 'samenleven_outbox_messages{status="failed"}') == 1
    assert figure(text, 'samenleven_outbox_messages{status="sending"}') == 0
    assert 600 <= figure(text, "samenleven_outbox_oldest_unsent_age_seconds") < 700


@pytest.mark.django_db
def test_the_outbox_is_read_at_scrape_time_only(client, reader, exact_queries):
    """Two pages before and after: /metrics adds no query to them (a collector that read the
    outbox per request would show here as a query more)."""
    client.force_login(reader, backend="community.auth.EmailBackend")
    client.get("/notifications/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as page:
        client.get("/notifications/")
    assert not any("notifications_outboxmessage" in query["sql"] for query in page)
    with CaptureQueriesContext(connection) as scraped:
        scrape()
    assert sum("notifications_outboxmessage" in query["sql"] for query in scraped) == 1
