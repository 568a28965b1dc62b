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


def test_one_cached_watch_form_serves_every_thread_with_its_own_address(client, login, member, plein, question):
    """The watch form is one fragment per kind of target and level, whatever the thread: a
    member's first view of a thread renders nothing new for it, and each page's form still
    posts to its own thread and labels its own field."""
    from django.urls import reverse

    from community.performance import fragments
    from tests.threads.conftest import make_thread

    other = make_thread(member, plein, title="Een tweede onderwerp over taal")
    login(member)
    first = client.get(question.get_absolute_url() + "?page=1").content.decode()
    rendered = []
    original = fragments._render
    fragments._render = lambda template, name, values: rendered.append(name) or original(template, name, values)
    try:
        second = client.get(other.get_absolute_url() + "?page=1").content.decode()
    finally:
        fragments._render = original
    assert "notifications/_watch.html" not in rendered
    for page, thread in ((first, question), (second, other)):
        assert f'action="{reverse("set_watch", args=["thread", thread.pk])}"' in page
        assert f'<label for="watch-thread-{thread.pk}">' in page and f'id="watch-thread-{thread.pk}"' in page
