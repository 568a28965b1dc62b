"""Only the site's own pages may open the live WebSocket: scheme, host and port count."""

from __future__ import annotations

import pytest
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator

from community.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(settings):
    settings.DEBUG = False
    settings.SITE_URL = "https://samenleven.example.nl"
    settings.CSRF_TRUSTED_ORIGINS = ["https://forum.example.nl:8443", "https://*.gemeente.example"]
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield settings
    channel_layers.backends.clear()


async def opens(origin: str | None, cookie: bytes = b"") -> bool:
    """Whether the handshake is accepted (an anonymous visitor is then closed with 4401 by the consumer)."""
    headers = [] if origin is None else [(b"origin", origin.encode("latin1"))]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _subprotocol = await communicator.connect()
    await communicator.disconnect()
    return connected


@pytest.mark.parametrize(
    "origin",
    [
        "https://samenleven.example.nl",
        "https://samenleven.example.nl:443",
        "HTTPS://Samenleven.Example.NL",
        "https://forum.example.nl:8443",
        "https://delft.gemeente.example",
        "https://gemeente.example",
    ],
)
async def test_the_sites_own_origins_may_open_the_socket(site, origin):
    assert await opens(origin)


@pytest.mark.parametrize(
    "origin",
    [
        "http://samenleven.example.nl",  # the scheme
        "https://samenleven.example.nl:8443",  # the port
        "http://samenleven.example.nl:443",
        "https://forum.example.nl",  # the trusted origin is on 8443
        "https://delft.gemeente.example:8443",
        "https://evil.example",  # the host
        "https://samenleven.example.nl.evil.example",
        "https://evilsamenleven.example.nl",
        "https://example.nl",
        "http://127.0.0.1:6666",
        "http://localhost:8000",
        "null",
        "",
        None,
    ],
)
async def test_any_other_origin_is_refused(site, origin):
    assert not await opens(origin)


async def test_the_default_development_address_refuses_another_port_of_the_same_host_without_debug(site):
    site.SITE_URL = "http://127.0.0.1:8000"
    site.CSRF_TRUSTED_ORIGINS = []
    assert await opens("http://127.0.0.1:8000")
    assert not await opens("http://127.0.0.1:6666")
    assert not await opens("https://127.0.0.1:8000")
    assert not await opens("http://localhost:8000")


async def test_with_debug_on_the_development_hosts_may_open_it_on_any_port(site):
    site.DEBUG = True
    for origin in (
        "http://127.0.0.1:8000",
        "http://localhost:5173",
        "http://[::1]:8000",
        "https://samenleven.example.nl",
    ):
        assert await opens(origin), origin
    for origin in ("https://evil.example", "http://192.168.1.5:8000", "null"):
        assert not await opens(origin), origin


async def test_a_session_cookie_holding_a_nul_is_refused_and_breaks_nothing(site):
    """On PostgreSQL the session lookup failed with an error for this cookie."""
    assert not await opens("https://samenleven.example.nl", cookie=b"sessionid=abcdefghijklmnop\x00")
    assert await opens("https://samenleven.example.nl", cookie=b"sessionid=abcdefghijklmnop")
