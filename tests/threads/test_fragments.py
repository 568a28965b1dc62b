"""Cached post fragments on the thread page: rendered once, shared by members with the
same rights, and never stale: whatever a post shows is part of its cache key."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from community import actions as community_actions
from community.fragments import CSRF_PLACEHOLDER
from threads import actions
from threads.models import Mark

pytestmark = pytest.mark.django_db

POST = "threads/_post.html"


def rendered_posts(response) -> int:
    return sum(1 for template in response.templates if template.name == POST)


def test_a_second_member_with_the_same_rights_gets_the_cached_posts(client, login, member, colleague, question):
    actions.reply_to_thread(author=member, thread=question, body="Wij gebruiken een vast formulier.")
    url = question.get_absolute_url() + "?page=1"
    login(colleague)
    assert rendered_posts(client.get(url)) == 2
    assert rendered_posts(client.get(url)) == 0
    other = Client()
    other.force_login(colleague, backend="community.auth.EmailBackend")
    response = other.get(url)
    assert rendered_posts(response) == 0
    assert "Wij gebruiken een vast formulier." in response.content.decode()


def test_the_author_sees_their_own_edit_link_not_the_cached_fragment_of_others(client, login, member, colleague, question):
    url = question.get_absolute_url() + "?page=1"
    login(colleague)
    assert "/edit/" not in client.get(url).content.decode().split('id="post-1"')[1].split("</article>")[0]
    login(member)
    first_post = client.get(url).content.decode().split('id="post-1"')[1].split("</article>")[0]
    assert f"/posts/{question.posts.get(number=1).pk}/edit/" in first_post


def test_an_edit_a_mark_and_a_new_author_name_show_at_once(client, login, member, colleague, question):
    reply = actions.reply_to_thread(author=colleague, thread=question, body="Eerste versie.")
    url = question.get_absolute_url() + "?page=1"
    login(member)
    client.get(url)
    actions.edit_post(editor=colleague, post=reply, body="Tweede versie.")
    page = client.get(url).content.decode()
    assert "Tweede versie." in page and "Eerste versie." not in page
    actions.mark_useful(member=member, post=reply)
    page = client.get(url).content.decode()
    assert 'aria-pressed="true"' in page
    community_actions.update_profile(member=colleague, name="Thijs W. Willems", handle=colleague.handle, position=colleague.position, bio="", language="nl")
    assert "Thijs W. Willems" in client.get(url).content.decode()


def test_forms_in_cached_posts_carry_this_requests_csrf_token(member, colleague, question):
    """The token is put in on the way out: a form from a cached fragment posts."""
    reply = actions.reply_to_thread(author=colleague, thread=question, body="Nuttig antwoord.")
    url = question.get_absolute_url() + "?page=1"
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member, backend="community.auth.EmailBackend")
    browser.get(url)  # renders and caches
    page = browser.get(url).content.decode()
    assert CSRF_PLACEHOLDER not in page
    form = page.split(f'action="/posts/{reply.pk}/useful/"')[1]
    token = form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert browser.post(f"/posts/{reply.pk}/useful/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert Mark.objects.filter(member=member, post=reply).exists()


def test_the_page_renders_when_the_cache_is_down(client, login, member, question, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get_many", down)
    monkeypatch.setattr(cache, "set_many", down)
    login(member)
    response = client.get(question.get_absolute_url() + "?page=1")
    assert response.status_code == 200
    assert rendered_posts(response) == 1


def test_fragments_used_recently_need_no_cache_round_trip(client, login, member, question, monkeypatch):
    """The process keeps recently used fragments: safe, since a key names its content."""
    url = question.get_absolute_url() + "?page=1"
    login(member)
    client.get(url)
    calls = []
    monkeypatch.setattr(cache, "get_many", lambda keys: calls.append(keys) or {})
    response = client.get(url)
    assert rendered_posts(response) == 0
    assert calls == []


def test_recent_fragments_forget_the_least_recently_used():
    from community.recent import Recent

    recent = Recent(size=2)
    recent.set_many({"a": "A", "b": "B"})
    assert recent.get_many(["a"]) == {"a": "A"}
    recent.set_many({"c": "C"})
    assert recent.get_many(["a", "b", "c"]) == {"a": "A", "c": "C"}


def test_a_change_in_an_included_template_gives_new_keys(settings, tmp_path):
    """A fragment's template may include others (the reply form includes _form.html):
    the keys cover every template of the project, so a deploy that changes one does not
    serve fragments rendered with the old one."""
    from community import fragments

    included = tmp_path / "_included.html"
    included.write_text("eerste versie")
    (tmp_path / "_outer.html").write_text('{% include "_included.html" %}')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    settings.DEBUG = True  # files are looked at on every use
    before = fragments.fragment_key("_outer.html", ("same",))
    included.write_text("tweede versie, langer")
    assert fragments.fragment_key("_outer.html", ("same",)) != before
