"""Cached post fragments on the thread page: rendered once, shared by members with the
same rights, and never stale: whatever a post shows is part of its cache key."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

import pytest
from django.core.cache import cache
from django.test import Client

from community import actions as community_actions
from community.performance import fragments
from community.performance.fragments import CSRF_PLACEHOLDER, Fragment, FragmentLookupError, render_declared
from threads import actions
from threads.models import Mark

pytestmark = pytest.mark.django_db

POST = "threads/_post.jinja"
POSTS = "threads/_thread_posts.jinja"
REPLY = "threads/_reply.html"
#: The fragments rendered (not taken from a cache) during the last request, by template.
RENDERS: Counter[str] = Counter()


@pytest.fixture(autouse=True)
def _count_renders(monkeypatch):
    real = fragments._render

    def counting(template, name, values):
        RENDERS[name] += 1
        return real(template, name, values)

    monkeypatch.setattr(fragments, "_render", counting)
    RENDERS.clear()


def get(client, url):
    """The response, with the fragments its request rendered (``response.renders``)."""
    RENDERS.clear()
    response = client.get(url)
    response.renders = Counter(RENDERS)
    return response


def rendered(response, name: str) -> int:
    return response.renders[name]


def rendered_posts(response) -> int:
    return rendered(response, POST)


def test_a_second_member_with_the_same_rights_gets_the_cached_posts(client, login, member, colleague, question):
    actions.reply_to_thread(author=member, thread=question, body="Wij gebruiken een vast formulier.")
    url = question.get_absolute_url() + "?page=1"
    login(colleague)
    assert rendered_posts(get(client, url)) == 2
    assert rendered_posts(get(client, url)) == 0
    other = Client()
    other.force_login(colleague, backend="community.auth.EmailBackend")
    response = get(other, url)
    assert rendered_posts(response) == 0
    assert "Wij gebruiken een vast formulier." in response.content.decode()


def test_the_author_sees_their_own_edit_link_not_the_cached_fragment_of_others(
    client, login, member, colleague, question
):
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
    community_actions.update_profile(
        member=colleague,
        name="Thijs W. Willems",
        handle=colleague.handle,
        position=colleague.position,
        bio="",
        language="nl",
    )
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
    response = get(client, question.get_absolute_url() + "?page=1")
    assert response.status_code == 200
    assert rendered_posts(response) == 1


def test_a_page_stores_the_fragments_it_rendered_in_one_round_trip(
    client, rf, login, member, colleague, question, monkeypatch
):
    """A thread page seen for the first time renders its heading, its posts and the page of
    posts, in batches; all of them go to the shared cache in one ``set_many``, at the end of
    the request. Outside a request (a command, a socket) each batch is stored at once."""
    from django.utils import translation

    from threads.pageposts import ReplyFragment

    actions.reply_to_thread(author=colleague, thread=question, body="Wij gebruiken een vast formulier.")
    stored: list[list[str]] = []
    real = cache.set_many

    def recording(data, *args, **kwargs):
        stored.append(sorted(key for key in data if key.startswith("fragment:")))
        return real(data, *args, **kwargs)

    monkeypatch.setattr(cache, "set_many", recording)
    login(member)
    response = get(client, question.get_absolute_url() + "?page=1")
    assert rendered(response, POST) == 2 and rendered(response, POSTS) == 1
    batches = [keys for keys in stored if keys]
    assert len(batches) == 1
    assert len(batches[0]) >= sum(response.renders.values())  # and the page's {% fragment %} blocks
    assert set(cache.get_many(batches[0])) == set(batches[0])

    stored.clear()
    with translation.override("en"):  # a fragment not rendered yet
        render_declared(rf.get("/"), [ReplyFragment()])
        key = fragments.fragment_key(REPLY, ReplyFragment())
    assert [keys for keys in stored if keys] == [[key]]


def test_fragments_used_recently_need_no_cache_round_trip(client, login, member, question, monkeypatch):
    """The process keeps recently used fragments: safe, since a key names its content."""
    url = question.get_absolute_url() + "?page=1"
    login(member)
    client.get(url)
    calls = []
    monkeypatch.setattr(cache, "get_many", lambda keys: calls.append(keys) or {})
    response = get(client, url)
    assert rendered_posts(response) == 0
    assert calls == []


def test_recent_fragments_forget_the_least_recently_used():
    from community.performance.recent import Recent

    recent = Recent(size=2)
    recent.set_many({"a": "A", "b": "B"})
    assert recent.get_many(["a"]) == {"a": "A"}
    recent.set_many({"c": "C"})
    assert recent.get_many(["a", "b", "c"]) == {"a": "A", "c": "C"}


def test_a_change_in_an_included_template_gives_new_keys(settings, tmp_path):
    """A fragment's template may include others (the reply form includes _form.html):
    the keys cover every template of the project, so a deploy that changes one does not
    serve fragments rendered with the old one."""
    from community.performance import fragments

    included = tmp_path / "_included.html"
    included.write_text("eerste versie")
    (tmp_path / "_outer.html").write_text('{% include "_included.html" %}')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    settings.DEBUG = True  # files are looked at on every use
    before = fragments.fragment_key("_outer.html", ("same",))
    included.write_text("tweede versie, langer")
    assert fragments.fragment_key("_outer.html", ("same",)) != before


def test_the_posts_of_a_page_are_one_fragment_shared_by_members_with_the_same_rights(
    client, login, member, colleague, outsider, question
):
    """Neither has written nor marked a post of the page: the second member's request
    renders no template for the posts, not even the page's list of them."""
    actions.reply_to_thread(author=member, thread=question, body="Wij gebruiken een vast formulier.")
    url = question.get_absolute_url() + "?page=1"
    login(colleague)
    first = get(client, url)
    assert rendered(first, POSTS) == 1 and rendered(first, POST) == 2
    login(outsider)  # Het Plein is open to every member
    second = get(client, url)
    assert rendered(second, POSTS) == 0 and rendered(second, POST) == 0
    body = second.content.decode()
    assert "Wij gebruiken een vast formulier." in body and 'id="post-2"' in body


def test_the_reply_form_is_rendered_once_for_every_thread_and_answers_each_pages_own(
    client, login, member, plein, question
):
    """The empty reply form is one fragment for all threads (rendering a form's fields is
    the dearest part of a page seen for the first time); each page's form still posts to,
    and keeps its draft for, its own thread."""
    import re

    from tests.threads.conftest import make_thread

    other = make_thread(member, plein, title="Een tweede onderwerp")
    login(member)
    first = get(client, question.get_absolute_url() + "?page=1")
    second = get(client, other.get_absolute_url() + "?page=1")
    assert rendered(first, REPLY) == 1 and rendered(second, REPLY) == 0
    assert rendered(second, POSTS) == 1  # the other thread's page is its own fragment
    for response, thread in ((first, question), (second, other)):
        [form] = re.findall(
            r'<form method="post" action="([^"]*)" novalidate data-composer[^>]*>', response.content.decode()
        )
        assert form == f"/t/{thread.pk}/reply/"
        assert f'data-draft-field="thread" data-draft-value="{thread.pk}"' in response.content.decode()
        assert "\x00" not in response.content.decode()


def test_what_differs_per_member_is_part_of_the_posts_key(client, login, member, colleague, outsider, question):
    """Own posts (edit link, no nuttig button), marks and unread markers differ per
    member: each gets the posts as they are for them, not another member's copy."""
    reply = actions.reply_to_thread(author=colleague, thread=question, body="Bij ons werkt het zo.")
    actions.mark_useful(member=outsider, post=reply)
    url = question.get_absolute_url() + "?page=1"

    def second_post(who) -> str:
        login(who)
        return client.get(url).content.decode().split('id="post-2"')[1].split("</article>")[0]

    own, marked, plain = second_post(colleague), second_post(outsider), second_post(member)
    assert f"/posts/{reply.pk}/edit/" in own and f"/posts/{reply.pk}/useful/" not in own
    assert 'aria-pressed="true"' in marked and f"/posts/{reply.pk}/edit/" not in marked
    assert 'aria-pressed="false"' in plain and f"/posts/{reply.pk}/edit/" not in plain
    actions.reply_to_thread(author=colleague, thread=question, body="Nog een aanvulling.")
    login(member)
    page = client.get(url).content.decode()
    assert page.split('id="post-3"')[0].rsplit("<article", 1)[1].count("post--unread") == 1


def test_forms_in_the_cached_posts_of_another_member_carry_this_requests_token(member, colleague, outsider, question):
    """The posts fragment was rendered for one member and is served to another: it holds
    placeholders, not the first member's token, and the second member's form posts."""
    reply = actions.reply_to_thread(author=member, thread=question, body="Nuttig antwoord.")
    url = question.get_absolute_url() + "?page=1"
    first = Client(enforce_csrf_checks=True)
    first.force_login(colleague, backend="community.auth.EmailBackend")
    first_page = first.get(url).content.decode()
    first_token = first_page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    second = Client(enforce_csrf_checks=True)
    second.force_login(outsider, backend="community.auth.EmailBackend")
    page = get(second, url)
    assert rendered(page, POSTS) == 0
    body = page.content.decode()
    assert CSRF_PLACEHOLDER not in body and first_token not in body
    form = body.split(f'action="/posts/{reply.pk}/useful/"')[1]
    token = form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert second.post(f"/posts/{reply.pk}/useful/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert Mark.objects.filter(member=outsider, post=reply).exists()


def test_one_masked_csrf_token_per_request(client, login, member, question, monkeypatch):
    """Masking a token costs 32 random choices; the header, the watch control and the
    posts share one per request."""
    from community.performance import fragments

    url = question.get_absolute_url() + "?page=1"
    login(member)
    client.get(url)
    calls = []
    real = fragments.get_token
    monkeypatch.setattr(fragments, "get_token", lambda request: calls.append(1) or real(request))
    body = client.get(url).content.decode()
    assert len(calls) == 1
    tokens = {part.split('"')[0] for part in body.split('name="csrfmiddlewaretoken" value="')[1:]}
    assert len(tokens) == 1


def nested_templates(settings, tmp_path):
    (tmp_path / "_inner.html").write_text("<form>{% csrf_token %}{{ next }}</form>")
    (tmp_path / "_outer.html").write_text("[{{ inner }}]")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]


@dataclass(frozen=True, slots=True)
class Inner(Fragment):
    template_name: ClassVar[str] = "_inner.html"

    def context(self):
        return {}


@dataclass(frozen=True, slots=True)
class Outer(Fragment):
    template_name: ClassVar[str] = "_outer.html"
    name: str
    inner_fill: tuple[tuple[str, str], ...]

    def context(self):
        [inner] = render_declared(None, [Inner()], fill=dict(self.inner_fill))
        return {"inner": inner}


def render_nested(rf, fill):
    request = rf.get("/")
    [html] = render_declared(request, [Outer("outer", tuple(fill.items()))], fill=fill)
    return request, html


def test_a_fragment_inside_another_leaves_its_placeholders_to_the_enclosing_one(settings, tmp_path, rf):
    from community.performance.fragments import placeholder, recent_fragments

    nested_templates(settings, tmp_path)
    request, html = render_nested(rf, {"next": "/a/?b=<c>"})
    assert html.startswith("[<form>") and "/a/?b=&lt;c&gt;" in html and "\x00" not in html
    [outer] = [value for value in recent_fragments._items.values() if value.startswith("[")]
    assert CSRF_PLACEHOLDER in outer and placeholder("next") in outer, "cached without this request's values"
    other, again = render_nested(rf, {"next": "/d/"})
    assert again.startswith("[<form>") and "/d/" in again and "/a/" not in again
    mine, theirs = (r.META["CSRF_COOKIE"] for r in (request, other))
    assert mine != theirs


def test_a_fragment_inside_another_may_only_fill_what_the_enclosing_one_fills(settings, tmp_path, rf):
    nested_templates(settings, tmp_path)
    with pytest.raises(ValueError, match="enclosing"):
        render_declared(rf.get("/"), [Outer("outer-alone", (("next", "/x/"),))])


def test_a_declared_fragment_shows_only_what_it_declares(settings, tmp_path, rf):
    """The template of a declared fragment sees the object and nothing else: reading
    anything outside it (here ``member``, as a view might have put in the context before)
    fails in strict mode instead of being cached under a key that does not cover it."""

    @dataclass(frozen=True, slots=True)
    class Greeting(Fragment):
        template_name: ClassVar[str] = "_greeting.html"
        name: str

    @dataclass(frozen=True, slots=True)
    class Welcome(Fragment):
        template_name: ClassVar[str] = "_welcome.html"
        name: str

    (tmp_path / "_greeting.html").write_text("Hallo {{ f.name }}, {{ member.name }}")
    (tmp_path / "_welcome.html").write_text("Hallo {{ f.name }}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    with pytest.raises(FragmentLookupError, match="looks up 'member'"):
        render_declared(rf.get("/"), [Greeting("Fatima")])
    assert render_declared(rf.get("/"), [Welcome("Thijs")]) == ["Hallo Thijs"]


def test_a_jinja_fragment_shows_only_what_it_declares(settings, tmp_path, rf):
    """The same for the fragments written in Jinja2: a lookup outside the object (here
    ``member``) is an error in strict mode, not an empty string cached under a key that does
    not cover it."""
    from jinja2 import UndefinedError

    from community.performance import jinja

    @dataclass(frozen=True, slots=True)
    class Greeting(Fragment):
        template_name: ClassVar[str] = "_greeting.jinja"
        name: str

    @dataclass(frozen=True, slots=True)
    class Welcome(Fragment):
        template_name: ClassVar[str] = "_welcome.jinja"
        name: str

    (tmp_path / "_greeting.jinja").write_text("Hallo {{ f.name }}, {{ member.name }}")
    (tmp_path / "_welcome.jinja").write_text("Hallo {{ f.name }}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    jinja.environment.cache_clear()
    try:
        with pytest.raises(UndefinedError, match="'member' is undefined"):
            render_declared(rf.get("/"), [Greeting("Fatima")])
        assert render_declared(rf.get("/"), [Welcome("Thijs")]) == ["Hallo Thijs"]
    finally:
        jinja.environment.cache_clear()


def test_a_declared_fragment_holds_plain_values_only(rf, member):
    """A model object in a fragment reaches past the key (its other attributes, its
    relations): refused in strict mode."""
    from threads.pageposts import ReplyFragment

    @dataclass(frozen=True, slots=True)
    class Card(Fragment):
        template_name: ClassVar[str] = "community/_member_card.html"
        who: object

    with pytest.raises(FragmentLookupError, match="f.who is a Member"):
        render_declared(rf.get("/"), [Card(member)])
    assert render_declared(rf.get("/"), [ReplyFragment()])  # plain: fine


def test_an_accepted_answer_is_marked_at_once_for_members_who_saw_it_before(
    client, login, member, colleague, outsider, question
):
    """Whether a post is the accepted answer is part of its own fragment's key, not only
    of the page's: the post fragment seen before the answer was chosen is not reused."""
    answer = actions.reply_to_thread(author=colleague, thread=question, body="Zo doen wij het.")
    url = question.get_absolute_url() + "?page=1"

    def answer_article() -> str:
        body = client.get(url).content.decode()
        return body.split('id="post-2"')[0].rsplit("<article", 1)[1]

    login(outsider)
    assert "post--accepted" not in answer_article()
    actions.accept_answer(actor=member, thread=question, post=answer)
    assert "post--accepted" in answer_article()


def test_times_in_the_jinja_fragments_are_shown_in_the_sites_time_zone(client, login, member, question):
    """A post written at 12:00 UTC in December was written at 13:00 in the Netherlands, on
    the thread page (Jinja2) as on every Django page."""
    import datetime

    from threads.models import Post

    noon_utc = datetime.datetime(2026, 12, 6, 12, 0, tzinfo=datetime.UTC)
    Post.objects.filter(thread=question, number=1).update(created=noon_utc)
    login(member)
    page = client.get(question.get_absolute_url() + "?page=1").content.decode()
    assert 'datetime="2026-12-06T13:00:00+01:00"' in page and "data-relative>6 dec 2026, 13:00</time>" in page


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_jinja_date_filter_writes_what_djangos_writes(language):
    """The compiled formats give what Django's formatter gives, for every named format, in
    both languages, across years of times (winter and summer time included)."""
    import datetime
    import random

    from django.utils import timezone, translation
    from django.utils.formats import date_format

    from community.performance.jinja import format_date
    from community.templatetags.site import FULL_DATETIME

    rng = random.Random(7)
    with translation.override(language):
        for _ in range(500):
            moment = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
                minutes=rng.randint(0, 3 * 365 * 24 * 60)
            )
            for name in ("DATETIME_FORMAT", "DATE_FORMAT", "SHORT_DATE_FORMAT", "TIME_FORMAT", FULL_DATETIME):
                assert format_date(moment, name) == date_format(timezone.localtime(moment), name), (name, moment)
