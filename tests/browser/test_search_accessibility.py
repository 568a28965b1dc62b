"""Accessibility of search: the header search box and the results page, scanned by
axe-core in Chromium with the site's stylesheet, on a desktop and a phone."""

from __future__ import annotations

import pytest

from community.models import Group, Municipality
from tests.browser.test_accessibility import PHONE, assert_no_violations
from tests.conftest import approved_member
from threads import actions
from threads.models import Theme

pytestmark = pytest.mark.browser

SEARCH = "/search/?q=arbeidsmigranten"
FILTERED = "/search/?q=arbeidsmigranten&kind=question&region=zuid-holland&period=year"


@pytest.fixture
def threads_to_find(member, staff):
    plein = Group.objects.get(slug="het-plein")
    colleague = approved_member(Municipality.objects.get(code="GM1783"), name="Thijs Willems", handle="thijs")
    themes = list(Theme.objects.filter(slug__in=["wonen", "arbeidsmigratie"]))
    question = actions.create_thread(
        author=member,
        group=plein,
        title="Hoe registreren jullie arbeidsmigranten?",
        kind="question",
        body="Wie heeft een aanpak voor de inschrijving van arbeidsmigranten die <werkt> & blijft werken?",
        themes=themes,
    )
    answer = actions.reply_to_thread(
        author=colleague, thread=question, body="Wij registreren arbeidsmigranten op locatie."
    )
    actions.accept_answer(actor=member, thread=question, post=answer)
    actions.create_thread(
        author=colleague,
        group=plein,
        title="Huisvesting in de kassen",
        kind="experience",
        body="Over arbeidsmigranten in Westland.",
        themes=themes,
    )


@pytest.mark.parametrize(
    "path",
    [SEARCH, FILTERED, "/search/?q=de+het+een", "/search/"],
    ids=["results", "filtered", "stop words", "empty form"],
)
def test_the_search_page_has_no_accessibility_violations(asgi_live_server, page, log_in, member, threads_to_find, path):
    log_in(page, member)
    assert_no_violations(page, path)


def test_the_search_page_has_no_accessibility_violations_on_a_phone(
    asgi_live_server, new_context, log_in, member, threads_to_find
):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, member)
    assert_no_violations(page, SEARCH)


def test_the_header_search_box_leads_to_the_results(asgi_live_server, page, log_in, member, threads_to_find):
    log_in(page, member)
    page.goto("/latest/")
    box = page.locator("header form.site-search").get_by_role("searchbox")
    box.fill("arbeidsmigranten")
    with page.expect_navigation():
        box.press("Enter")
    assert "/search/?q=arbeidsmigranten" in page.url
    assert page.get_by_role("status").inner_text().strip()
    assert page.locator(".search-results h2 a").count() == 2
