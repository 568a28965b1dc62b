"""Model objects read with plain SQL (community/performance/rows.py) are the ORM's objects."""

from __future__ import annotations

import datetime

import pytest

from community.auth import EmailBackend, load_member
from community.models import Member

pytestmark = pytest.mark.django_db


def field_values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_a_member_read_with_plain_sql_equals_the_orms(member):
    member.last_login = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC)
    member.save()
    loaded = load_member(str(member.pk))  # as the session keeps it
    expected = Member.objects.get(pk=member.pk)
    assert field_values(loaded) == field_values(expected)
    assert loaded.is_active is True and loaded.last_login.tzinfo is not None  # SQLite gives 1 and text
    assert loaded._state.adding is False and loaded._state.db == "default"
    assert loaded.roles == expected.roles


def test_the_session_backend_refuses_unknown_invalid_and_inactive_members(member):
    backend = EmailBackend()
    assert backend.get_user(member.pk).pk == member.pk
    assert backend.get_user(10**9) is None
    assert backend.get_user("geen-getal") is None
    Member.objects.filter(pk=member.pk).update(is_active=False)
    assert backend.get_user(member.pk) is None
