"""Tests that need a service or a browser skip with a visible reason when it is
absent, unless SAMENLEVEN_REQUIRE names it: then the absence is a failure.

CI runs with ``SAMENLEVEN_REQUIRE=browser`` on SQLite and with
``SAMENLEVEN_REQUIRE=browser,postgres,redis`` on PostgreSQL and Redis, so
nothing there can silently not run.
"""

from __future__ import annotations

import os
import shutil
import socket
from functools import cache
from typing import NoReturn
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection

# Debian's headless build of Chromium first: the same engine without the desktop browser
# around it, made for automation (Playwright's own choice for headless runs); it takes about
# 40 % less CPU for the same tests. The full browser where only that is installed.
CHROMIUM_CANDIDATES = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")


def required() -> set[str]:
    return {item.strip() for item in os.environ.get("SAMENLEVEN_REQUIRE", "").split(",") if item.strip()}


def missing(service: str, reason: str) -> NoReturn:
    """Skip, or fail when the service is required here."""
    if service in required():
        pytest.fail(f"{reason} (required by SAMENLEVEN_REQUIRE={os.environ['SAMENLEVEN_REQUIRE']})", pytrace=False)
    pytest.skip(reason)


def need_postgres() -> None:
    if connection.vendor != "postgresql":
        missing("postgres", "needs PostgreSQL: set DATABASE_URL=postgres://...")


@cache
def _redis_reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def need_redis() -> str:
    url = settings.REDIS_URL
    if not url:
        missing("redis", "needs Redis: set REDIS_URL=redis://...")
    elif not _redis_reachable(url):
        missing("redis", f"needs Redis, but nothing answers at {url}")
    return url


def chromium() -> str | None:
    """The Chromium the browser tests drive: CHROMIUM_PATH if set, else the first installed."""
    if "CHROMIUM_PATH" in os.environ:
        return os.environ["CHROMIUM_PATH"] if os.path.exists(os.environ["CHROMIUM_PATH"]) else None
    found = (path for path in CHROMIUM_CANDIDATES if os.path.exists(path))
    return next(found, None) or shutil.which("chromium-headless-shell") or shutil.which("chromium")


def need_browser() -> str:
    executable = chromium()
    if executable is None:
        wanted = os.environ.get("CHROMIUM_PATH") or " or ".join(CHROMIUM_CANDIDATES)
        missing("browser", f"needs Chromium at {wanted} (apt-get install chromium-headless-shell)")
    try:
        import playwright
    except ImportError:
        missing("browser", "needs the playwright Python package")
    return executable


def need_nginx() -> str:
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if path is None:
        missing("nginx", "needs nginx (apt-get install nginx-light)")
    return path
