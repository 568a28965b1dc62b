"""Browser tests: a real Chromium, driven by Playwright, against the real ASGI
application served by Daphne in a separate process.

The server process reads the same test database as the test (SQLite's test
database is a file, see settings; PostgreSQL's is a server database), so data
made with factories and actions in the test is what the browser sees. Mail the
server sends is written to a folder the test reads through ``asgi_live_server.mailbox``.

Every browser test goes through the ``browser`` fixture, which calls
``tests.needs.need_browser()`` first: without Chromium or Playwright the test
skips with the reason, or fails when SAMENLEVEN_REQUIRE contains "browser".
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from community.models import Member
from tests.database import SNAPSHOT
from tests.factories import PASSWORD
from tests.needs import need_browser

HOST = "127.0.0.1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 30  # seconds; Django and the URLconf load in the child
DEFAULT_TIMEOUT_MS = 10_000


# --- The server process -------------------------------------------------------


def build_application(overrides: dict[str, Any], database_name: str, reset: Any, reset_done: Any):
    """Runs in the server process: use the test database and the test's settings,
    then build the real application, ``community.asgi.application``.

    Module level, with picklable arguments, so that it also works where
    multiprocessing spawns instead of forking (the default from Python 3.14).

    One server serves all the browser tests; between two tests the test process sets
    ``reset`` and the server forgets what it kept in memory about the previous test's data
    (the cache, the facts kept per process), then sets ``reset_done``.
    """
    from django.conf import settings

    for name, value in overrides.items():
        setattr(settings, name, value)
    settings.DATABASES["default"]["NAME"] = database_name
    # Build the application afresh in this process: middleware (WhiteNoise) reads
    # its settings when it is built, and the test process may have imported
    # community.asgi already with other settings.
    sys.modules.pop("community.asgi", None)
    from community.asgi import application

    def forget_between_tests() -> None:
        from django.core.cache import cache

        from community.performance import recent

        while True:
            reset.wait()
            reset.clear()
            cache.clear()
            recent.clear_all()
            reset_done.set()

    threading.Thread(target=forget_between_tests, daemon=True, name="reset-between-tests").start()
    return application


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _wait_until_listening(process) -> bool:
    """True once the server listens; False if it stopped first (Daphne stops when
    it cannot listen, for instance because the port was taken in between)."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.ready.wait(timeout=0.1):
            return True
        if not process.is_alive():
            return False
    return False


# --- Mail ---------------------------------------------------------------------


@dataclass
class Mailbox:
    """The folder Django's file-based e-mail backend writes to, in both processes."""

    folder: Path

    # The file backend ends every message with a newline and a line of 79 dashes.
    SEPARATOR = b"\n" + b"-" * 79 + b"\n"

    def messages(self) -> list[EmailMessage]:
        """Every message sent so far, oldest first."""
        files = sorted(self.folder.glob("*.log"), key=lambda path: (path.stat().st_mtime_ns, path.name))
        return [
            email.message_from_bytes(chunk, policy=email.policy.default)
            for path in files
            for chunk in path.read_bytes().split(self.SEPARATOR)
            if chunk.strip()
        ]

    def latest(self, *, to: str, timeout: float = 5.0) -> EmailMessage:
        """The newest message to this address, waiting a little for it to be written."""
        deadline = time.monotonic() + timeout
        while True:
            found = [message for message in self.messages() if to.lower() in str(message["To"]).lower()]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                sent = [f"{message['To']}: {message['Subject']}" for message in self.messages()]
                raise AssertionError(f"No e-mail to {to} within {timeout}s; sent so far: {sent}")
            time.sleep(0.05)

    @staticmethod
    def text_of(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def link(self, *, to: str, starting_with: str) -> str:
        """The one link in the newest message to ``to`` that starts with ``starting_with``."""
        message = self.latest(to=to)
        links = [
            url for url in re.findall(r"https?://[^\s<>\"']+", self.text_of(message)) if url.startswith(starting_with)
        ]
        assert len(links) == 1, (
            f"expected one link starting with {starting_with} in {message['Subject']!r}, found {links}"
        )
        return links[0]


# --- The live server ----------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    mailbox: Mailbox
    process: Any = field(repr=False)
    overrides: dict[str, Any] = field(default_factory=dict, repr=False)
    reset: Any = field(default=None, repr=False)
    reset_done: Any = field(default=None, repr=False)

    def __str__(self) -> str:
        return self.url


@pytest.fixture(scope="package")
def _asgi_server(
    tmp_path_factory, django_db_setup, django_db_blocker, _django_beside_playwright
) -> Iterator[LiveServer]:
    """The real ASGI application in one Daphne process for the browser tests, on a free
    port of 127.0.0.1 (starting one per test cost about a second each)."""
    import multiprocessing

    from daphne.testing import DaphneProcess
    from django.conf import settings

    mailbox = Mailbox(tmp_path_factory.mktemp("mail"))
    database_name = connections["default"].settings_dict["NAME"]
    # The server must not share the test's database connections.
    connections.close_all()
    reset, reset_done = multiprocessing.Event(), multiprocessing.Event()

    last_error = "no attempt made"
    for _attempt in range(3):
        port = _free_port()
        url = f"http://{HOST}:{port}"
        overrides = _server_settings(url, mailbox, settings.ALLOWED_HOSTS)
        process = DaphneProcess(
            HOST, partial(build_application, overrides, str(database_name), reset, reset_done), port=port
        )
        process.daemon = True
        with django_db_blocker.unblock():  # the server process is not a test: it uses the database freely
            process.start()
        if _wait_until_listening(process):
            break
        if not process.errors.empty():
            _error, last_error = process.errors.get(timeout=1)
        else:
            last_error = f"did not listen on port {port} (taken meanwhile?) within {SERVER_START_TIMEOUT}s"
        process.terminate()
        process.join(timeout=10)
    else:
        raise RuntimeError(f"The ASGI live server did not start: {last_error}")

    server = LiveServer(
        url=url, mailbox=mailbox, process=process, overrides=overrides, reset=reset, reset_done=reset_done
    )
    try:
        yield server
    finally:
        process.terminate()
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join()


def _server_settings(url: str, mailbox: Mailbox, allowed_hosts: list[str]) -> dict[str, Any]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mailbox.folder),
        "SITE_URL": url,
        "ALLOWED_HOSTS": [*allowed_hosts, HOST],
        # The test environment runs with DEBUG off, in which WhiteNoise only
        # serves collected files; the tests serve them from the source folders.
        "WHITENOISE_USE_FINDERS": True,
        "FRAGMENTS_STRICT": True,
    }


@pytest.fixture
def asgi_live_server(_asgi_server, transactional_db, settings) -> Iterator[LiveServer]:
    """The live server, reset for this test.

    The test's data must be committed for the server to see it, hence
    ``transactional_db`` (here: the snapshot put back, no transaction around the test):
    every test starts with what the migrations put in the database (the themes, say) and
    the Dutch data, as on a real site.

    The server sends mail to a folder (``.mailbox``, emptied for every test), builds links
    in mail from its own address (SITE_URL) and serves static files from the source
    folders through WhiteNoise's finders, as in development. The test process gets the
    same mail settings, so mail sent by actions called in the test lands in the same mailbox.
    """
    server = _asgi_server
    for name, value in server.overrides.items():
        setattr(settings, name, value)
    for path in server.mailbox.folder.iterdir():
        path.unlink()
    server.reset_done.clear()
    server.reset.set()
    if not server.reset_done.wait(timeout=10):
        raise RuntimeError("The ASGI live server did not reset within 10 s")
    try:
        yield server
    finally:
        errors = []
        while not server.process.errors.empty():
            errors.append(server.process.errors.get(timeout=1)[1])
        assert server.process.is_alive() and not errors, "The ASGI live server crashed:\n" + "\n".join(errors)


# --- The browser --------------------------------------------------------------


@pytest.fixture(scope="package", autouse=True)
def _django_beside_playwright(django_db_setup) -> Iterator[None]:
    """Let Django work in the test thread while Playwright runs there.

    Playwright's sync API keeps an asyncio event loop running in the test thread from start
    to stop, and Django refuses ORM calls where a loop runs unless DJANGO_ALLOW_ASYNC_UNSAFE
    is set. It is set only while the browser tests run: left set, it would leak into the
    subprocesses of other tests (``check --deploy`` rejects it).
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def _live_database(django_db_setup, django_db_blocker) -> Iterator[None]:
    """The database for one browser test, open to the test without a transaction around
    it, so that the live server sees what the test makes. The test starts from the
    database's snapshot and it is put back after it (``tests/database.py``)."""
    with django_db_blocker.unblock():
        try:
            yield
        finally:
            SNAPSHOT.restore()
            # Connections the test made while the server ran.
            connections.close_all()


@pytest.fixture
def db(_live_database) -> None:
    """For the browser tests, pytest-django's ``db`` (asked for by the shared fixtures) is
    the live database above: committed, and put back after the test."""


@pytest.fixture
def transactional_db(_live_database) -> None:
    """The same as ``db`` here: every browser test's database is a committed one."""


@pytest.fixture(scope="package")
def browser(_django_beside_playwright):
    """One headless Chromium for the browser tests (a Debian package, never a download:
    ``tests.needs.chromium``).

    Package-scoped, so Playwright and its event loop stop once the browser tests
    are done, before the rest of the suite runs.
    """
    executable = need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class PageProblems:
    """What went wrong in the browser while a context was open: script errors,
    console errors (CSP refusals, failed loads) and failed responses."""

    entries: list[str] = field(default_factory=list)

    def watch(self, context) -> None:
        context.on("weberror", lambda error: self.entries.append(f"script error: {error.error}"))
        context.on(
            "console",
            lambda message: (
                self.entries.append(f"console {message.type}: {message.text} ({message.location.get('url')})")
                if message.type == "error"
                else None
            ),
        )
        context.on(
            "response",
            lambda response: (
                self.entries.append(f"HTTP {response.status}: {response.url}") if response.status >= 400 else None
            ),
        )
        # ERR_ABORTED is a request cut short by the next navigation (a favicon, say): not a fault.
        context.on(
            "requestfailed",
            lambda request: (
                self.entries.append(f"failed request: {request.url} ({request.failure})")
                if "ERR_ABORTED" not in (request.failure or "")
                else None
            ),
        )


@pytest.fixture
def new_context(browser, asgi_live_server) -> Iterator[Callable[..., Any]]:
    """Make a fresh browser context (its own cookies: one person) on the live server.

    Relative URLs resolve against the live server, the browser asks for Dutch,
    and the context fails the test at teardown if a page had a script error, a
    console error or an HTTP error response, unless ``expect_problems=True``.
    """
    opened: list[tuple[Any, PageProblems, bool]] = []

    def _new_context(*, expect_problems: bool = False, **options: Any):
        options = {"base_url": asgi_live_server.url, "locale": "nl-NL", **options}
        context = browser.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        problems = PageProblems()
        problems.watch(context)
        opened.append((context, problems, expect_problems))
        return context

    yield _new_context
    found = []
    for context, problems, expect_problems in opened:
        context.close()
        if not expect_problems:
            found.extend(problems.entries)
    assert not found, "The browser saw problems:\n" + "\n".join(found)


@pytest.fixture
def page(new_context):
    """A page in a fresh browser context: one anonymous visitor."""
    return new_context().new_page()


@pytest.fixture
def log_in(asgi_live_server) -> Callable[..., None]:
    """Log a member in on a page's browser context: ``log_in(page, member)``.

    By default the browser gets the session the login form would have given it: Django's
    ``login()`` (its signals, the session row with the member) through the test client, and,
    for staff and moderators (and members who turned it on), the mark of the passed second
    step; those who have no second factor yet are enrolled first, through the action. The
    session's cookie is put into the page's context; the page is left where it was. Going
    through the form cost two to four page loads per log-in, a quarter of the browser tests'
    time; the form itself is driven where it is what a test is about
    (``tests/browser/test_twofactor.py``, ``test_signup_flow.py``).

    ``through_form=True`` logs in through the real login form (and the code step), leaving
    the page where the form sends it; ``second_step=False`` (through the form) stops at the
    code step.
    """
    from django.conf import settings
    from django.test import Client

    from tests.second_factor import log_in_client

    def _log_in(
        page, member: Member, password: str = PASSWORD, *, second_step: bool = True, through_form: bool = False
    ) -> None:
        if through_form or not second_step:
            _through_form(page, member, password, second_step=second_step)
            return
        assert Member.objects.get(pk=member.pk).check_password(password), f"wrong password for {member.email}"
        client = log_in_client(Client(), member)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": asgi_live_server.url, "httpOnly": True}]
        )

    return _log_in


def _through_form(page, member: Member, password: str, *, second_step: bool) -> None:
    from community.twofactor.devices import totp_device
    from tests.second_factor import enrol, needs_second_factor, next_code

    if second_step and needs_second_factor(member) and totp_device(member) is None:
        enrol(member)
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(member.email)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("main form").filter(has=page.locator("#id_username")).locator("[type=submit]").click()
    if "/accounts/login/" in page.url:
        raise AssertionError(f"Could not log in {member.email}:\n{page.locator('main').inner_text()}")
    if second_step and "/accounts/two-factor/verify/" in page.url:
        page.locator("#id_code").fill(next_code(totp_device(member)))
        with page.expect_navigation():
            page.locator("main form").filter(has=page.locator("#id_code")).locator("[type=submit]").click()
        if "/accounts/two-factor/" in page.url:
            raise AssertionError(f"The code step refused {member.email}:\n{page.locator('main').inner_text()}")
