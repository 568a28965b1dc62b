"""Request ids and structured logs.

Every request gets an id: the one nginx sent in ``X-Request-ID`` (``deploy/nginx``
sets it to ``$request_id``), when the site stands behind trusted proxies
(``TRUSTED_PROXIES`` > 0) and the value is a sane token; otherwise a new one. The answer
carries it in ``X-Request-ID``, and every log line written while the request is handled
carries it as ``request_id`` (a context variable read by ``RequestIdFilter``), so that
one line in nginx's log, the access line here and an error's traceback can be put together.

``JsonFormatter`` writes one JSON object per line: time, level, logger, message, the
request id, the ``extra`` fields given to the call and a traceback if there is one.
``LOG_FORMAT`` chooses it (``json``, the default with ``DEBUG`` off) or plain text.
``log_request`` writes the access line (``ACCESS_LOG``, on by default with ``DEBUG`` off).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from community.throttle import client_ip

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
access_logger = logging.getLogger("community.access")

#: What every LogRecord has; anything else on a record came from ``extra=`` and is written too.
STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def request_id_for(request: HttpRequest) -> str:
    """The id of this request: the trusted proxy's, if it sent a sane one, else a new one."""
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    if settings.TRUSTED_PROXIES and incoming and SANE_REQUEST_ID.fullmatch(incoming):
        request_id = incoming
    else:
        request_id = uuid.uuid4().hex
    request.request_id = request_id  # type: ignore[attr-defined]
    return request_id


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (or ``-`` outside a request) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id.get() or None,
        }
        for name, value in vars(record).items():
            if name not in STANDARD_ATTRIBUTES and name not in entry:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def log_request(request: HttpRequest, response: HttpResponse, *, view: str, seconds: float, queries: int) -> None:
    """One line per answered request, with what an operator filters on."""
    if not settings.ACCESS_LOG:
        return
    access_logger.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "view": view,
            "duration_ms": round(seconds * 1000, 1),
            "queries": queries,
            "client": client_ip(request),
        },
    )
