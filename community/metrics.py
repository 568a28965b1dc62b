"""How the site is doing, in Prometheus' text format at ``/metrics``.

Each ASGI process counts its own requests, sockets and channel-layer errors in memory
(``prometheus_client``'s default registry, with the process's CPU, memory and open files),
so Prometheus scrapes every process on its own address (``deploy/README.md``, "Metrics").
Figures that belong to the site as a whole (the e-mail outbox) are read from the database
when ``/metrics`` is scraped, by collectors the apps register (``register_collector``):
never while a page is made, so that the metrics add no query to any page.

``RequestMetricsMiddleware`` stands first in ``MIDDLEWARE``: it gives every request its id
(``community.requestlog``), times it, counts its database queries with an execute wrapper
(which runs none of its own) and counts the answer by view and status.

``/metrics`` answers only clients whose address (``community.throttle.client_ip``, which
knows ``TRUSTED_PROXIES``) is in ``METRICS_ALLOWED`` (addresses or networks); others get a 403.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable, Iterable
from functools import cache

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from community import requestlog
from community.throttle import client_ip

logger = logging.getLogger(__name__)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "samenleven_http_requests",
    "HTTP requests answered, by view (URL name), method and status.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "samenleven_http_request_duration_seconds",
    "Time from the request reaching Django to its answer being ready, by view.",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0),
)
QUERIES = Histogram(
    "samenleven_http_request_db_queries",
    "Database queries run to answer one request, by view.",
    ["view"],
    buckets=(0, 1, 2, 4, 6, 8, 10, 15, 20, 30, 50, 100),
)
WEBSOCKETS_OPEN = Gauge("samenleven_websockets_open", "WebSockets open on this process.")
WEBSOCKETS_ACCEPTED = Counter("samenleven_websockets_accepted", "WebSockets accepted by this process.")
CHANNEL_LAYER_ERRORS = Counter(
    "samenleven_channel_layer_errors",
    "Channel-layer operations (publishing live events, joining and leaving groups) that failed.",
    ["operation"],
)


_registered: set[str] = set()


def register_collector(name: str, collector: Collector, registry: CollectorRegistry = REGISTRY) -> None:
    """Add a collector of figures read at scrape time, once per process under ``name``."""
    if name not in _registered:
        _registered.add(name)
        registry.register(collector)


def view_label(request: HttpRequest) -> str:
    """The view's URL name (a few dozen values, never the path itself, whose ids would make a
    series per thread); ``static`` for WhiteNoise's files; ``unresolved`` for a 404 by path."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match._func_path
    if request.path_info.startswith(settings.STATIC_URL):
        return "static"
    return "unresolved"


class QueryCounter:
    """An execute wrapper that counts the queries of one request and runs nothing itself."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class RequestMetricsMiddleware:
    """First in the chain: the request id, the count by view and status, the time taken and
    the queries run, and one line in the access log (``community.requestlog``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = requestlog.request_id_for(request)
        token = requestlog.current_request_id.set(request_id)
        try:
            started = time.perf_counter()
            queries = QueryCounter()
            with connection.execute_wrapper(queries):
                response = self.get_response(request)
            seconds = time.perf_counter() - started
            view = view_label(request)
            method = request.method if request.method in METHODS else "other"
            REQUESTS.labels(view, method, str(response.status_code)).inc()
            LATENCY.labels(view).observe(seconds)
            QUERIES.labels(view).observe(queries.count)
            response["X-Request-ID"] = request_id
            requestlog.log_request(request, response, view=view, seconds=seconds, queries=queries.count)
            return response
        finally:
            requestlog.current_request_id.reset(token)


@cache
def _allowed_networks(allowed: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in allowed)


def may_scrape(address: str, allowed: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in _allowed_networks(tuple(allowed)))


@login_not_required
@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """The figures of this process, and the site's as read now; refused to other addresses."""
    if not may_scrape(client_ip(request), settings.METRICS_ALLOWED):
        return HttpResponseForbidden("Metrics are not served to this address.\n", content_type="text/plain")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
