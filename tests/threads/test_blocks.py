"""Apps above threads add blocks to its pages without threads importing them."""

from __future__ import annotations

import pytest
from django.utils.html import format_html

from threads import blocks

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered():
    saved = {page: list(entries) for page, entries in blocks._registry.items()}
    yield
    blocks._registry.clear()
    blocks._registry.update(saved)


@pytest.mark.parametrize(
    "page, url",
    [
        ("home", "/"),
        ("group", "/groups/het-plein/"),
        ("municipality", "/municipalities/GM0518/"),
        ("search", "/search/?q=taal"),
    ],
)
def test_a_registered_block_shows_on_its_page_with_the_pages_context(client, login, member, registered, page, url):
    seen = {}

    def block(request, **context):
        seen.update(context)
        return format_html('<section class="test-block">{}</section>', f"Blok voor {request.user.handle}")

    blocks.register(page, "test", block)
    blocks.register(page, "nothing", lambda request, **context: None, order=1)
    login(member)
    body = client.get(url).content.decode()
    assert body.count('<section class="test-block">Blok voor fatima</section>') == 1
    expected = {
        "home": {"member"},
        "group": {"group"},
        "municipality": {"municipality", "similar"},
        "search": {"query", "filters"},
    }[page]
    assert set(seen) == expected


def test_a_registered_block_shows_on_the_thread_page_with_the_thread(client, login, member, question, registered):
    seen = {}

    def block(request, **context):
        seen.update(context)
        return format_html('<aside class="test-block">{}</aside>', context["thread"].title)

    blocks.register("thread", "test", block)
    login(member)
    body = client.get(question.get_absolute_url() + "?page=1").content.decode()
    assert body.count('<aside class="test-block">Hoe registreren jullie arbeidsmigranten?</aside>') == 1
    assert set(seen) == {"thread"} and seen["thread"].pk == question.pk


def test_blocks_come_in_order_and_a_name_replaces_its_earlier_block(rf, member, registered):
    blocks.register("home", "b", lambda request, **c: "<p>b</p>", order=2)
    blocks.register("home", "a", lambda request, **c: "<p>a</p>", order=1)
    blocks.register("home", "b", lambda request, **c: "<p>b2</p>", order=2)
    request = rf.get("/")
    assert [str(html) for html in blocks.render_blocks("home", request, member=member)] == ["<p>a</p>", "<p>b2</p>"]


def test_an_unknown_page_is_refused():
    with pytest.raises(ValueError):
        blocks.register("nowhere", "x", lambda request, **c: None)
