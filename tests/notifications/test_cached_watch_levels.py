"""Watch levels are kept in process memory per ``Member.cache_version``, which every
watch change moves (see tests/community/test_cached_facts.py for the roles)."""

from __future__ import annotations

import pytest

from community.models import Member
from notifications import actions
from notifications.models import Watch

pytestmark = pytest.mark.django_db


def fresh(member: Member) -> Member:
    return Member.objects.get(pk=member.pk)


def test_a_new_watch_level_shows_on_the_thread_page(client, login, member, question):
    url = question.get_absolute_url() + "?page=1"
    login(member)
    client.get(url)
    actions.set_watch_level(member=fresh(member), level=Watch.Level.MUTED, thread=question)
    page = client.get(url).content.decode()
    assert f'<option value="{Watch.Level.MUTED}" selected>' in page
    actions.set_watch_level(member=fresh(member), level=Watch.Level.NORMAL, thread=question)
    page = client.get(url).content.decode()
    assert f'<option value="{Watch.Level.MUTED}" selected>' not in page


def test_a_default_watch_moves_the_version_when_it_is_written(colleague, question):
    version = fresh(colleague).cache_version
    actions.watch_by_default(member=colleague, thread=question, level=Watch.Level.TRACKING)
    assert fresh(colleague).cache_version == version + 1
    assert Watch.objects.get(member=colleague, thread=question).level == Watch.Level.TRACKING
    actions.watch_by_default(member=colleague, thread=question, level=Watch.Level.WATCHING)
    assert fresh(colleague).cache_version == version + 1, "an existing level stays, nothing cached changed"
    assert Watch.objects.get(member=colleague, thread=question).level == Watch.Level.TRACKING
