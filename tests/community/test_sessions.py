"""Sessions (community/sessions.py): kept in the database with the member they belong to,
cached, and still working when the cache fails; ``end_sessions`` ends a member's
sessions through that column."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as OldStore
from django.contrib.sessions.models import Session as OldSession
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from community import actions, sessions
from community.models import Session
from tests.factories import PASSWORD
from tests.threads.conftest import colleague

pytestmark = pytest.mark.django_db


class FlakyCache(LocMemCache):
    """A local-memory cache that raises on every operation while ``down`` is set."""

    down = False


def _raising(name: str):
    original = getattr(LocMemCache, name)

    def method(self, *args, **kwargs):
        if type(self).down:
            raise ConnectionError("the cache is down")
        return original(self, *args, **kwargs)

    return method


for _name in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "has_key",
    "incr",
    "get_many",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(FlakyCache, _name, _raising(_name))


@pytest.fixture
def session_cache(monkeypatch):
    """Sessions cached in a cache of their own that the test can break; the store tries
    again at every request to delete the copies it missed."""
    monkeypatch.setattr(sessions, "_missed", set())
    monkeypatch.setattr(sessions, "_next_retry", 0.0)
    monkeypatch.setattr(sessions, "RETRY_SECONDS", 0.0)
    caches_setting = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": {"BACKEND": "tests.community.test_sessions.FlakyCache", "LOCATION": "flaky-sessions"},
    }
    with override_settings(CACHES=caches_setting, SESSION_CACHE_ALIAS="sessions"):
        caches["sessions"].clear()
        yield caches["sessions"]
        FlakyCache.down = False
        caches["sessions"].clear()


def logged_in_client(member) -> Client:
    client = Client()
    assert client.post(reverse("login"), {"username": member.email, "password": PASSWORD}).status_code == 302
    return client


def key_of(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def is_logged_in(client: Client) -> bool:
    return client.get(reverse("notifications")).status_code == 200


def test_the_session_engine_is_the_communitys():
    assert settings.SESSION_ENGINE == "community.sessions"
    assert sessions.SessionStore.get_model_class() is Session


def test_a_session_records_the_member_it_belongs_to(member):
    client = logged_in_client(member)
    assert Session.objects.get(session_key=key_of(client)).member == member
    anonymous = sessions.SessionStore()
    anonymous["language"] = "en"
    anonymous.create()
    assert Session.objects.get(session_key=anonymous.session_key).member is None


def test_sessions_of_lists_the_members_unexpired_sessions(member, colleague):
    first, second = logged_in_client(member), logged_in_client(member)
    logged_in_client(colleague)
    Session.objects.filter(session_key=key_of(second)).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert sessions.sessions_of(member.pk) == [key_of(first)]


def test_a_member_deleted_takes_their_sessions_along(member):
    client = logged_in_client(member)
    member.delete()
    assert not Session.objects.filter(session_key=key_of(client)).exists()


def test_end_sessions_ends_every_session_of_the_member_but_the_one_kept(
    member, colleague, session_cache, django_capture_on_commit_callbacks
):
    first, second, third = (logged_in_client(member) for _number in range(3))
    other = logged_in_client(colleague)
    for client in (first, second, third, other):
        assert is_logged_in(client)  # and cached
    with django_capture_on_commit_callbacks(execute=True) as removals:
        ended = actions.end_sessions(member.pk, keep=key_of(first))
    assert len(removals) == 1  # the cached copies go once the deletion is committed
    assert sorted(ended) == sorted([key_of(second), key_of(third)])
    assert is_logged_in(first) and is_logged_in(other)
    assert not is_logged_in(second) and not is_logged_in(third)
    for key in ended:
        assert session_cache.get(sessions.SessionStore.cache_key_prefix + key) is None
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.end_sessions(member.pk) == [key_of(first)]
    assert not is_logged_in(first)
    assert actions.end_sessions(member.pk) == []


def test_end_sessions_reads_the_member_column_and_decodes_nothing(
    member, colleague, django_assert_num_queries, monkeypatch
):
    for _number in range(3):
        logged_in_client(member)
    for _number in range(10):
        logged_in_client(colleague)
    monkeypatch.setattr(sessions.SessionStore, "decode", lambda self, data: pytest.fail("decoded a session"))
    with django_assert_num_queries(2):  # the keys, then the delete
        assert len(actions.end_sessions(member.pk)) == 3


def test_end_sessions_ends_them_while_the_cache_is_down_and_the_cache_cannot_bring_them_back(
    member, session_cache, django_capture_on_commit_callbacks
):
    client = logged_in_client(member)
    assert is_logged_in(client)  # cached now
    FlakyCache.down = True
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.end_sessions(member.pk) == [key_of(client)]
    key = key_of(client)
    assert not is_logged_in(client)
    FlakyCache.down = False
    # The cache still holds the session from before; the store knows it missed the delete.
    client.cookies[settings.SESSION_COOKIE_NAME] = key  # a stolen copy of the cookie
    assert not is_logged_in(client)
    assert session_cache.get(sessions.SessionStore.cache_key_prefix + key) is None


def test_a_logout_while_the_cache_is_down_stays_a_logout_when_it_is_back(member, session_cache):
    client = logged_in_client(member)
    assert is_logged_in(client)
    old_key = key_of(client)
    FlakyCache.down = True
    assert client.post(reverse("logout")).status_code == 302
    FlakyCache.down = False
    client.cookies[settings.SESSION_COOKIE_NAME] = old_key  # a stolen copy of the cookie
    assert not is_logged_in(client)


def test_every_step_of_a_session_works_while_its_cache_raises(member, session_cache):
    before = logged_in_client(member)
    assert is_logged_in(before)
    FlakyCache.down = True
    assert is_logged_in(before)  # load: from the database
    during = logged_in_client(member)  # create, exists, cycle_key, save
    assert is_logged_in(during)
    assert during.post(reverse("logout")).status_code == 302  # delete
    assert not is_logged_in(during)
    FlakyCache.down = False
    assert is_logged_in(before)


def test_the_upgrade_copies_the_old_sessions_with_their_member(member):
    old = OldStore()
    old["_auth_user_id"] = str(member.pk)
    old["_auth_user_backend"] = "community.auth.EmailBackend"
    old["_auth_user_hash"] = member.get_session_auth_hash()
    old.create()
    anonymous = OldStore()
    anonymous["language"] = "en"
    anonymous.create()
    OldSession.objects.create(
        session_key="expired" + "x" * 25, session_data=old.encode({}), expire_date=timezone.now() - timedelta(days=1)
    )

    migration = importlib.import_module("community.migrations.0009_session")
    migration.copy_sessions(apps, None)

    copied = Session.objects.get(session_key=old.session_key)
    assert copied.member == member
    assert copied.session_data == OldSession.objects.get(session_key=old.session_key).session_data
    assert Session.objects.get(session_key=anonymous.session_key).member is None
    assert not Session.objects.filter(session_key__startswith="expired").exists()
    # And the member stays logged in with the cookie they had.
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = old.session_key
    assert is_logged_in(client)
