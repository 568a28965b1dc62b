"""``{% fragment %}`` blocks: the parts of a page shell that are the same for many requests
(the head, the footer, the list navigation) rendered once and taken from the cache."""

from __future__ import annotations

import json

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.template import TemplateSyntaxError, engines
from django.template.loader import render_to_string

from community.performance import fragments

pytestmark = pytest.mark.django_db


@pytest.fixture
def templates(settings, tmp_path):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    return tmp_path


def test_a_block_is_rendered_once_per_value_it_shows(templates, rf):
    (templates / "_block.html").write_text(
        '{% load site %}[{% fragment "demo" value=value %}{{ value }}{% endfragment %}]'
    )
    render = fragments.cached_fragments
    rendered = []

    def counting(request, template_name, entries, *, fill):
        rendered.extend(
            shown
            for shown, _render in entries
            if fragments.fragment_key(template_name, shown) not in fragments.recent_fragments._items
        )
        return render(request, template_name, entries, fill=fill)

    from community.templatetags import site

    site.cached_fragments = counting
    try:
        assert render_to_string("_block.html", {"value": 1}, request=rf.get("/")) == "[1]"
        assert render_to_string("_block.html", {"value": 1}, request=rf.get("/")) == "[1]"
        assert render_to_string("_block.html", {"value": 2}, request=rf.get("/")) == "[2]"
    finally:
        site.cached_fragments = render
    assert len(rendered) == 2


def test_a_block_sees_only_the_values_it_declares(templates, rf, settings):
    """The key is made of the declared values; a block reading anything else would show a
    value the key does not cover, so in strict mode (the tests, development) it fails, and
    otherwise the undeclared name is simply empty: never another request's value."""
    (templates / "_block.html").write_text(
        '{% load site %}[{% fragment "demo" value=value %}{{ value }}/{{ other }}{% endfragment %}]'
    )
    with pytest.raises(fragments.FragmentLookupError, match="looks up 'other'"):
        render_to_string("_block.html", {"value": 1, "other": "a"}, request=rf.get("/"))
    settings.FRAGMENTS_STRICT = False
    assert render_to_string("_block.html", {"value": 1, "other": "a"}, request=rf.get("/")) == "[1/]"
    assert render_to_string("_block.html", {"value": 1, "other": "b"}, request=rf.get("/")) == "[1/]"


def test_a_block_takes_plain_values_only(templates, rf, member):
    """A model object's attributes reach past the key: only plain values may be declared."""
    (templates / "_block.html").write_text(
        '{% load site %}{% fragment "demo" who=who %}{{ who.name }}{% endfragment %}'
    )
    with pytest.raises(fragments.FragmentLookupError, match="not a plain value"):
        render_to_string("_block.html", {"who": member}, request=rf.get("/"))


def test_without_a_request_or_a_template_name_the_block_is_rendered_each_time(templates, rf):
    (templates / "_block.html").write_text(
        '{% load site %}{% fragment "demo" other=other %}{{ other }}{% endfragment %}'
    )
    assert render_to_string("_block.html", {"other": "a"}) == "a"
    assert render_to_string("_block.html", {"other": "b"}) == "b"
    unnamed = engines["django"].from_string(
        '{% load site %}{% fragment "demo" other=other %}{{ other }}{% endfragment %}'
    )
    assert unnamed.render({"other": "a"}, rf.get("/")) == "a"
    assert unnamed.render({"other": "b"}, rf.get("/")) == "b"


def test_two_blocks_of_one_template_are_two_fragments(templates, rf):
    (templates / "_two.html").write_text(
        '{% load site %}{% fragment "a" x=x %}A{{ x }}{% endfragment %}|{% fragment "b" x=x %}B{{ x }}{% endfragment %}'
    )
    assert render_to_string("_two.html", {"x": 1}, request=rf.get("/")) == "A1|B1"


def test_a_form_in_a_block_carries_each_requests_own_token(templates, rf):
    (templates / "_form.html").write_text(
        '{% load site %}{% fragment "form" %}<form>{% csrf_token %}</form>{% endfragment %}'
    )
    first, second = rf.get("/"), rf.get("/")
    tokens = []
    for request in (first, second):
        html = render_to_string("_form.html", request=request)
        assert fragments.CSRF_PLACEHOLDER not in html
        tokens.append(html.split('value="')[1].split('"')[0])
    # Each token unmasks to its own request's secret.
    assert _unmask_cipher_token(tokens[0]) == first.META["CSRF_COOKIE"]
    assert _unmask_cipher_token(tokens[1]) == second.META["CSRF_COOKIE"]
    assert first.META["CSRF_COOKIE"] != second.META["CSRF_COOKIE"]


def test_a_name_must_be_quoted_and_values_named():
    with pytest.raises(TemplateSyntaxError, match="quoted name"):
        engines["django"].from_string("{% load site %}{% fragment demo %}x{% endfragment %}")
    with pytest.raises(TemplateSyntaxError, match="not name=value"):
        engines["django"].from_string('{% load site %}{% fragment "demo" value %}x{% endfragment %}')


def test_the_list_navigation_comes_from_the_cache_and_marks_the_current_list(client, login, member):
    login(member)
    client.get("/latest/")
    navigations = [key for key, html in fragments.recent_fragments._items.items() if 'class="list-nav"' in html]
    assert len(navigations) == 1
    fragments.recent_fragments.set(navigations[0], '<nav class="list-nav">from the cache</nav>')
    assert "from the cache" in client.get("/latest/").content.decode()
    unread = client.get("/unread/").content.decode()
    assert "from the cache" not in unread
    assert 'href="/unread/" aria-current="page"' in unread and 'href="/latest/" aria-current="page"' not in unread


def test_the_head_and_footer_follow_the_language_and_the_members_rights(client, login, member):
    visitor = client.get("/accounts/login/").content.decode()
    assert "live.js" not in visitor and "data-toasts" not in visitor
    login(member)
    page = client.get("/latest/").content.decode()
    assert "live.js" in page and "data-toasts" in page and 'data-live="/ws/"' in page
    assert "is de community van" in page
    client.post("/language/", {"language": "en", "next": "/latest/"})
    assert "is the community of" in client.get("/latest/").content.decode()


def test_the_static_files_manifest_is_part_of_every_key(settings, tmp_path):
    """Blocks hold {% static %} addresses, whose hashed names change with the files: a
    deploy with a new stylesheet must not serve a head with the old address."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    manifest = tmp_path / "staticfiles.json"
    manifest.write_text(json.dumps({"paths": {"css/site.css": "css/site.aaaa.css"}, "version": "1.1"}))
    assert manifest in fragments._site_files()
    fragments._site_digest.cache_clear()
    before = fragments._site_digest()
    manifest.write_text(json.dumps({"paths": {"css/site.css": "css/site.bbbb.css"}, "version": "1.1"}))
    fragments._site_digest.cache_clear()
    try:
        assert fragments._site_digest() != before
    finally:
        fragments._site_digest.cache_clear()
