"""Which web pages may open a WebSocket to the site: the site's own, nothing else.

A browser sends the page's origin (scheme, host and port) with the handshake. It
must be one of the site's own origins: ``SITE_URL``'s and ``CSRF_TRUSTED_ORIGINS``
(``https://*.example.nl`` there allows the subdomains, as it does for forms).
Scheme and port count: ``http://samenleven.nl`` is another origin than
``https://samenleven.nl``, and a page on another port of the same host (another
program, possibly hostile) is refused. With ``DEBUG`` on, pages on the
development hosts (localhost, 127.0.0.1, [::1]) on any port are accepted too.
A handshake without an Origin header, or with ``null``, is refused.

A handshake whose cookies hold a NUL character is refused too: as over HTTP
(``community.middleware.RejectNulMiddleware``), the session lookup would fail
on PostgreSQL with an error. No browser sends one.

The settings are read at each handshake, so tests and servers that set them
after this module was imported are obeyed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings

DEVELOPMENT_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def site_origins() -> list[str]:
    """The allowed origins as channels' patterns: ``scheme://host[:port]``, a host
    starting with a dot for "this domain and its subdomains", a bare host for "any
    scheme and port" (only the development hosts, only with DEBUG on)."""
    origins = []
    for url in [settings.SITE_URL, *settings.CSRF_TRUSTED_ORIGINS]:
        parts = urlsplit(url.strip().lower())
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc.replace('*.', '.', 1)}")
    if settings.DEBUG:
        origins.extend(DEVELOPMENT_HOSTS)
    return origins


class SiteOriginValidator(OriginValidator):
    """Channels' origin check (scheme, host and port compared), against ``site_origins()``;
    and no NUL in the cookies."""

    def __init__(self, application: Any) -> None:
        super().__init__(application, allowed_origins=())

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if any(name == b"cookie" and b"\x00" in value for name, value in scope.get("headers", [])):
            return await WebsocketDenier()(scope, receive, send)
        return await super().__call__(scope, receive, send)

    def validate_origin(self, parsed_origin: Any) -> bool:
        return any(self.match_allowed_origin(parsed_origin, pattern) for pattern in site_origins())
