"""/metrics: requests counted by view and status, timed, their queries counted; served only
to the addresses in METRICS_ALLOWED (as community.throttle.client_ip sees them). Every
answer carries its request id, and so does every log line written while it was made."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory
from prometheus_client import REGISTRY

from community import requestlog
from community.views import server_error

pytestmark = pytest.mark.django_db


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_request_moves_the_counter_of_its_view_and_status_its_latency_and_its_queries(client, member):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(member, backend="community.auth.EmailBackend")
    client.get("/groups/")  # the member's facts are cached by a first view
    before = {
        "ok": sample("samenleven_http_requests_total", view="groups", method="GET", status="200"),
        "missing": sample("samenleven_http_requests_total", view="unresolved", method="GET", status="404"),
        "timed": sample("samenleven_http_request_duration_seconds_count", view="groups"),
        "queries": sample("samenleven_http_request_db_queries_sum", view="groups"),
    }
    with CaptureQueriesContext(connection) as page:
        assert client.get("/groups/").status_code == 200
    assert len(page) > 0
    assert sample("samenleven_http_request_db_queries_sum", view="groups") == before["queries"] + len(page)
    client.get("/groups/")
    assert client.get("/no-such-page-here/").status_code == 404

    assert sample("samenleven_http_requests_total", view="groups", method="GET", status="200") == before["ok"] + 2
    assert (
        sample("samenleven_http_requests_total", view="unresolved", method="GET", status="404") == before["missing"] + 1
    )
    assert sample("samenleven_http_request_duration_seconds_count", view="groups") == before["timed"] + 2


def test_metrics_are_served_in_prometheus_format_to_the_loopback_address(client):
    client.get("/healthz")
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    assert re.search(r'^samenleven_http_requests_total\{method="GET",status="200",view="healthz"\} \d', text, re.M)
    assert "samenleven_http_request_duration_seconds_bucket{" in text
    assert "samenleven_websockets_open " in text
    assert 'samenleven_outbox_messages{status="queued"} ' in text
    assert "samenleven_outbox_oldest_unsent_age_seconds " in text


@pytest.mark.parametrize(
    ("trusted_proxies", "meta"),
    [
        (0, {"REMOTE_ADDR": "203.0.113.7"}),
        # Behind nginx: the address nginx saw, not the one the client claims on the left.
        (1, {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "127.0.0.1, 198.51.100.4"}),
        (0, {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "127.0.0.1"}),
    ],
)
def test_metrics_are_refused_to_other_addresses(client, settings, trusted_proxies, meta):
    settings.TRUSTED_PROXIES = trusted_proxies
    response = client.get("/metrics", **meta)
    assert response.status_code == 403
    assert b"samenleven_" not in response.content


def test_metrics_allowed_takes_networks(client, settings):
    settings.METRICS_ALLOWED = ["10.20.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


def test_every_answer_carries_a_request_id_of_its_own(client):
    first, second = client.get("/healthz"), client.get("/no-such-page-here/")
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert re.fullmatch(r"[0-9a-f]{32}", second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_sane_request_id_from_a_trusted_proxy_is_kept_and_others_are_replaced(client, settings):
    nginx_id = "5f0c6b1e0d4a4b3f9c2e7a1d8b6c4e2f"
    settings.TRUSTED_PROXIES = 0  # no proxy in front: the header is the client's own
    assert client.get("/healthz", HTTP_X_REQUEST_ID=nginx_id)["X-Request-ID"] != nginx_id
    settings.TRUSTED_PROXIES = 1
    assert client.get("/healthz", HTTP_X_REQUEST_ID=nginx_id)["X-Request-ID"] == nginx_id
    for insane in ("short", "x" * 200, "id with spaces and more", "<script>alert(1)</script>"):
        kept = client.get("/healthz", HTTP_X_REQUEST_ID=insane)["X-Request-ID"]
        assert kept != insane and re.fullmatch(r"[0-9a-f]{32}", kept)


def test_the_access_log_line_and_the_json_formatter_carry_the_request_id(client, settings, caplog):
    settings.ACCESS_LOG = True
    with caplog.at_level(logging.INFO, logger="community.access"):
        response = client.get("/healthz", REMOTE_ADDR="127.0.0.1")
    [record] = [record for record in caplog.records if record.name == "community.access"]
    requestlog.RequestIdFilter().filter(record)
    line = json.loads(requestlog.JsonFormatter().format(record))
    assert line["request_id"] == response["X-Request-ID"]
    assert line["message"] == "GET /healthz 200"
    assert line["view"] == "healthz" and line["status"] == 200 and line["client"] == "127.0.0.1"
    assert isinstance(line["duration_ms"], float) and line["queries"] >= 1
    assert line["level"] == "INFO" and line["logger"] == "community.access"


def test_an_error_logged_during_a_request_carries_its_id(client, settings, caplog, monkeypatch):
    from community import views

    def broken(request):
        logging.getLogger("community.views").error("Something broke here")
        raise RuntimeError("broken")

    monkeypatch.setattr(views, "_check_database", lambda: broken(None))
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR):
        response = client.get("/healthz")
    assert response.status_code == 500
    lines = [requestlog.JsonFormatter().format(record) for record in caplog.records if record.levelno >= logging.ERROR]
    assert lines and all(json.loads(line)["request_id"] == response["X-Request-ID"] for line in lines)
    assert any("RuntimeError: broken" in json.loads(line).get("exception", "") for line in lines)


def test_while_the_database_is_unreachable_the_site_says_so_with_a_503(settings, monkeypatch):
    from community import middleware

    def unreachable(request):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    monkeypatch.setattr(middleware, "get_user", unreachable)
    client = Client(raise_request_exception=False)
    response = client.get("/groups/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "even niet bereikbaar" in response.content.decode()
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_any_other_error_is_the_ordinary_500_page():
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Er ging iets mis" in response.content.decode()
