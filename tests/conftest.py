"""Shared fixtures, named after the people in the story."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command

from community import actions
from community.models import Group, Member, Municipality
from community.performance import recent
from notifications import push
from tests.database import SNAPSHOT, DatabaseSnapshot
from tests.factories import PASSWORD, MemberFactory
from tests.second_factor import log_in_client

#: Where pytest collected a test, before pytest-django reordered them.
COLLECTED_AT = pytest.StashKey[int]()


def missed_count(queries: list[str], expected: int, what: str) -> str | None:
    """None when there are exactly ``expected`` queries; otherwise what went wrong, with
    every query listed."""
    if len(queries) == expected:
        return None
    listing = "\n".join(f"{number:3}. {sql}" for number, sql in enumerate(queries, 1))
    return f"{what}: {len(queries)} queries, expected exactly {expected}:\n{listing}"


def assert_queries(queries: list[str], expected: int, what: str) -> None:
    """Exactly ``expected`` queries, or a failure that lists every one of them: a budget is
    a count, not a ceiling (a page that went from 6 to 12 queries would pass a ceiling of 12)."""
    if problem := missed_count(queries, expected, what):
        pytest.fail(problem, pytrace=False)


def assert_page_queries(budgets: dict[str, int], queries_of: Callable[[str], list[str]], what: str) -> None:
    """Each page's queries, exactly: ``queries_of(url)`` gives a page's SQL; one failure lists
    every page that missed its count, with its queries, so that one fill of the database
    serves a whole table of pages."""
    missed = [missed_count(queries_of(url), expected, f"{url} {what}") for url, expected in budgets.items()]
    if problems := [problem for problem in missed if problem]:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture
def exact_queries():
    """``with exact_queries(3, "what"):`` fails unless the block runs exactly 3 queries,
    printing their SQL."""
    from contextlib import contextmanager

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    @contextmanager
    def counting(expected: int, what: str = "the block"):
        with CaptureQueriesContext(connection) as captured:
            yield captured
        assert_queries([query["sql"] for query in captured], expected, what)

    return counting


def steady_queries(client, url: str) -> list[str]:
    """The SQL of a page in the steady state: after a first view, which may write the read
    position and look up facts kept about the member (roles, watch levels; see
    ``Member.cache_version``)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return [query["sql"] for query in captured]


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist load`` as ``tests/scheduling.py`` does it: the browser tests in one process."""
    if config.getvalue("dist") != "load":
        return None
    from tests.scheduling import BrowserTestsInOneProcess

    return BrowserTestsInOneProcess(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Remember the collected order: pytest-django moves the tests that commit to the end,
    which the snapshot (``tests/database.py``) makes unnecessary; ``_in_collected_order``
    puts them back."""
    for position, item in enumerate(items):
        item.stash[COLLECTED_AT] = position


@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
def _in_collected_order(items: list[pytest.Item]) -> None:
    """The browser tests first, whatever order the paths were given in, so that under
    pytest-xdist the process that runs them starts on them at once while the others run the
    rest (``tests/scheduling.py``); then the rest in the order collected, the tests that
    commit among the others (after each of them the snapshot goes back: ``django_db_setup``)."""
    from tests.scheduling import BROWSER_TESTS

    items.sort(key=lambda item: (not item.nodeid.startswith(BROWSER_TESTS), item.stash.get(COLLECTED_AT, 0)))


@pytest.fixture(autouse=True, scope="session")
def _no_persistent_connections():
    """Threads other than the test's (the WebSocket consumers' database thread, request
    threads) would keep their database connections for CONN_MAX_AGE seconds, and
    PostgreSQL cannot drop a test database that is still in use."""
    from django.conf import settings

    for database in settings.DATABASES.values():
        database["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True, scope="session")
def _a_redis_of_its_own_per_worker():
    """``make test`` runs a test process per core (pytest-xdist). Tests empty the cache, which
    on Redis empties its whole database, and name channel groups by ids that every test
    database reuses: so each process gets its own Redis database and channel prefix."""
    from urllib.parse import urlparse

    from asgiref.local import Local
    from channels.layers import channel_layers
    from django.conf import settings
    from django.core.cache import caches

    from community import settings as project_settings

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not settings.REDIS_URL:
        return
    number = int(worker.removeprefix("gw"))
    parsed = urlparse(settings.REDIS_URL)
    url = parsed._replace(path=f"/{int(parsed.path.strip('/') or 0) + 1 + number}").geturl()
    prefix = f"{os.environ.get('CHANNEL_PREFIX', 'samenleven')}-{worker}"
    settings.REDIS_URL = url
    settings.CACHES = project_settings.redis_caches(url, key_prefix=prefix)
    settings.CHANNEL_LAYERS = project_settings.redis_channel_layers(url, prefix=prefix)
    caches._settings = None
    caches.__dict__.pop("settings", None)
    caches._connections = Local(caches.thread_critical)
    channel_layers.backends.clear()


@pytest.fixture(autouse=True, scope="session")
def _strict_fragments():
    """A fragment whose template reads a value it does not declare fails the test."""
    from django.conf import settings

    settings.FRAGMENTS_STRICT = True


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Production hashing is slow on purpose; tests create hundreds of accounts."""
    from django.conf import settings

    original = settings.PASSWORD_HASHERS
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    settings.PASSWORD_HASHERS = original


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and fragments live in the cache, and cached facts in process
    memory; every test starts with none."""
    cache.clear()
    recent.clear_all()
    yield
    cache.clear()
    recent.clear_all()


class Published(list):
    """``(groups, event)`` per message sent to the channel layer, the event as the browser
    would see its type; ``messages`` holds the messages as they were sent."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[tuple[list[str], dict[str, Any]]] = []


def as_event(message: dict[str, Any]) -> dict[str, Any]:
    if message["type"] in ("forward", "thread.event", "moderation.event"):
        return message["event"] if message["event"] is not None else {"type": "thread.access"}
    return message  # a control message: session.close, access.changed


@pytest.fixture
def published(monkeypatch):
    """The events sent to the channel layer: a list of (groups, event)."""
    sent = Published()

    def record(groups: list[str], message: dict[str, Any]) -> None:
        sent.messages.append((list(groups), message))
        if message["type"] == "forward.each":  # one message, each member's own event in it
            members = [int(entry.split(":")[0]) for entry in message["each"].strip(";").split(";")]
            sent.extend(([f"member.{pk}"], push.member_event(message, pk)) for pk in members)
        else:
            sent.append((list(groups), as_event(message)))

    def record_each(messages: list[tuple[str, dict[str, Any]]]) -> None:
        for group, event in messages:
            record([group], push.to_layer_message(event))

    monkeypatch.setattr(push, "send_message", record)
    monkeypatch.setattr(push, "send_message_soon", record)
    monkeypatch.setattr(push, "send_each_now", record_each)
    return sent


def import_dutch_data() -> None:
    with open(os.devnull, "w") as devnull:
        call_command("import_municipalities", verbosity=0, stdout=devnull)


def put_the_snapshot_back(test_case: Any) -> None:
    """``TransactionTestCase._fixture_teardown`` while the snapshot is taken: what a test
    committed is undone by putting the snapshot back, not by Django's ``flush``. A test that
    rolls back (``TestCase``) has a ``_fixture_teardown`` of its own and never comes here."""
    SNAPSHOT.restore()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database with the real data imported once for the whole run: every test in
    a transaction (the ``db`` fixture) starts from it and rolls back to it; a test that
    committed has its snapshot put back where Django would empty every table
    (``tests/database.py``)."""
    from django.test import TransactionTestCase

    with django_db_blocker.unblock():
        import_dutch_data()
        SNAPSHOT.take()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", put_the_snapshot_back)
        yield
    with django_db_blocker.unblock():
        SNAPSHOT.drop()


@pytest.fixture(scope="session")
def database_snapshot(django_db_setup) -> DatabaseSnapshot:
    return SNAPSHOT


@pytest.fixture
def dutch_data(db):
    """All 342 municipalities, the 12 provinces, the typologies and their groups, from the
    real data files: in the test database from the start (``django_db_setup``)."""


@pytest.fixture
def municipality(dutch_data) -> Municipality:
    """'s-Gravenhage, in Zuid-Holland."""
    return Municipality.objects.get(code="GM0518")


@pytest.fixture
def almere(dutch_data) -> Municipality:
    return Municipality.objects.get(code="GM0034")


def approved_member(municipality: Municipality, **fields) -> Member:
    """A member who went through sign-up, verification and approval, with the automatic groups."""
    member = MemberFactory(municipality=municipality, status=Member.Status.PENDING, approved_at=None, **fields)
    staff = Member.objects.filter(is_staff=True).first() or MemberFactory(
        is_staff=True, municipality=None, handle="team_staff"
    )
    return actions.approve_member(actor=staff, member=member)


@pytest.fixture
def staff(dutch_data) -> Member:
    return MemberFactory(name="Programmateam", handle="team", is_staff=True, municipality=None)


@pytest.fixture
def member(municipality, staff) -> Member:
    """Fatima, wethouder in 's-Gravenhage, approved."""
    return approved_member(municipality, name="Fatima el Amrani", handle="fatima", position="wethouder")


@pytest.fixture
def ambassador(dutch_data, staff) -> Member:
    """Samira from Delft, ambassador (moderator of the regional group) of Zuid-Holland."""
    samira = approved_member(Municipality.objects.get(code="GM0503"), name="Samira Haddou", handle="samira")
    actions.make_moderator(member=samira, group=Group.objects.get(slug="zuid-holland"))
    return samira


@pytest.fixture
def flevoland_ambassador(dutch_data, staff) -> Member:
    """Esther from Almere, ambassador of Flevoland."""
    esther = approved_member(Municipality.objects.get(code="GM0034"), name="Esther Bakker", handle="esther")
    actions.make_moderator(member=esther, group=Group.objects.get(slug="flevoland"))
    return esther


@pytest.fixture
def pending_member(municipality) -> Member:
    """Sara signed up from 's-Gravenhage and verified her address; she waits for approval."""
    return MemberFactory(
        name="Sara Bouzid", handle="sara", municipality=municipality, status=Member.Status.PENDING, approved_at=None
    )


@pytest.fixture
def pending_from_almere(almere) -> Member:
    return MemberFactory(
        name="Tom Hermans", handle="tom", municipality=almere, status=Member.Status.PENDING, approved_at=None
    )


@pytest.fixture
def login(client):
    """Log a member in on the test client: ``login(member)``. Staff and moderators (and
    members who turned two-step verification on) get a session that has passed the second
    step, as after the code step (``tests/second_factor.py``); ``login(member, verified=False)``
    gives the session the password alone opens."""

    def _login(member: Member, *, verified: bool = True):
        return log_in_client(client, member, verified=verified)

    return _login


__all__ = ["PASSWORD"]
