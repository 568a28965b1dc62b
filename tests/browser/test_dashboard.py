"""The programme's view in Chromium: the map draws, the keyboard reaches a municipality and
shows its figure, it works without JavaScript, and axe finds nothing on a desktop or a phone.
The small maps on municipality and typology group pages are scanned too."""

from __future__ import annotations

import pytest

from community.models import Group, Municipality
from tests.browser.test_accessibility import PHONE, assert_no_violations
from tests.conftest import approved_member
from threads import actions
from threads.models import Theme, Thread

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def activity(member, ambassador, staff):
    """Members in a few municipalities and a thread or two, so that the map has colours."""
    plein = Group.objects.get(slug="het-plein")
    themes = list(Theme.objects.all()[:1])
    for code, handle in [("GM0363", "anna"), ("GM0363", "bram"), ("GM0034", "carla"), ("GM0014", "daan")]:
        author = approved_member(Municipality.objects.get(code=code), handle=handle, name=handle.title())
        actions.create_thread(
            author=author,
            group=plein,
            title=f"Een vraag van {author.name}",
            kind=Thread.Kind.QUESTION,
            body="Tekst.",
            themes=themes,
        )
    return plein


def test_the_map_draws_and_the_keyboard_reaches_a_municipality_and_its_figure(
    asgi_live_server, new_context, log_in, staff, activity, tmp_path
):
    page = new_context(viewport=DESKTOP).new_page()
    log_in(page, staff)
    page.goto("/dashboard/")
    svg = page.locator("svg.map")
    box = svg.bounding_box()
    assert box is not None and box["width"] > 400 and box["height"] > 500
    assert svg.locator("a").count() == 342
    shot = tmp_path / "map.png"
    svg.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000  # a drawn map, not an empty box

    # From the link that skips the map, Tab goes into it, municipality by municipality in the
    # order of their names ('s-Gravenhage, 's-Hertogenbosch, Aa en Hunze, ...), never to the
    # map itself.
    page.locator("a.skip-map").focus()
    caption = page.locator("[data-map-caption]")
    assert caption.is_hidden()
    visited = []
    for _ in range(3):
        page.keyboard.press("Tab")
        visited.append(
            page.evaluate(
                "() => [document.activeElement.closest('svg') !== null, document.activeElement.getAttribute('href')]"
            )
        )
    assert visited == [
        [True, "/municipalities/GM0518/"],
        [True, "/municipalities/GM0796/"],
        [True, "/municipalities/GM1680/"],
    ]
    assert caption.is_visible() and caption.inner_text() == "Aa en Hunze: 0 leden"
    assert page.locator(".map__outline.is-shown").count() == 1
    # Amsterdam, further on, shows its two members.
    amsterdam = svg.locator('a[href="/municipalities/GM0363/"]')
    amsterdam.focus()
    assert caption.inner_text() == "Amsterdam: 2 leden"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/municipalities/GM0363/")


def test_the_skip_link_and_the_table_hold_the_same_figures(asgi_live_server, new_context, log_in, staff, activity):
    page = new_context(viewport=DESKTOP).new_page()
    log_in(page, staff)
    page.goto("/dashboard/?measure=threads")
    page.locator("a.skip-map").focus()
    assert page.locator("a.skip-map").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#municipalities"
    row = page.locator("#municipalities-table tr", has=page.locator('a[href="/municipalities/GM0363/"]'))
    assert row.locator("td").nth(4).inner_text() == "2"  # threads started
    title = page.locator('svg.map a[href="/municipalities/GM0363/"] title').text_content()
    assert title == "Amsterdam: 2 begonnen onderwerpen"


def test_the_map_works_without_javascript(asgi_live_server, new_context, log_in, staff, activity):
    page = new_context(viewport=DESKTOP, java_script_enabled=False).new_page()
    log_in(page, staff)
    page.goto("/dashboard/?sort=-members")
    assert page.locator("svg.map").bounding_box()["height"] > 500
    first = page.locator("#municipalities-table tbody tr").first
    assert first.locator("th").inner_text() == "Amsterdam"
    link = page.locator('svg.map a[href="/municipalities/GM0363/"]')
    assert link.get_attribute("href") == "/municipalities/GM0363/"
    page.locator("#id_measure").select_option("unanswered")
    with page.expect_navigation():
        page.get_by_role("button", name="Tonen").click()
    assert "measure=unanswered" in page.url and "sort=-members" in page.url


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_dashboard_has_no_accessibility_violations(
    asgi_live_server, new_context, log_in, staff, ambassador, activity, viewport
):
    options = {"viewport": viewport} | ({"is_mobile": True, "has_touch": True} if viewport is PHONE else {})
    for person, path in [
        (staff, "/dashboard/"),
        (staff, "/dashboard/?province=noord-holland&measure=threads&sort=-members"),
        (ambassador, "/dashboard/"),
    ]:
        page = new_context(**options).new_page()
        log_in(page, person)
        assert_no_violations(page, path)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_small_maps_have_no_accessibility_violations(
    asgi_live_server, new_context, log_in, member, activity, viewport
):
    options = {"viewport": viewport} | ({"is_mobile": True, "has_touch": True} if viewport is PHONE else {})
    page = new_context(**options).new_page()
    log_in(page, member)
    for path in ("/municipalities/GM0518/", "/groups/g4/"):
        assert_no_violations(page, path)
        assert page.locator("svg.small-map").bounding_box()["height"] > 150


def test_the_dashboard_link_does_not_make_the_header_taller(
    asgi_live_server, new_context, log_in, member, ambassador, staff
):
    """At 1280 pixels the navigation of a member, an ambassador and staff take the same
    number of lines: the link fits beside the others."""
    heights = {}
    for person in (member, ambassador, staff):
        page = new_context(viewport=DESKTOP).new_page()
        log_in(page, person)
        page.goto("/latest/")
        heights[person.handle] = page.locator(".site-header").bounding_box()["height"]
        assert (page.locator('.site-nav a[href="/dashboard/"]').count() == 1) == (person is not member)
    assert len(set(heights.values())) == 1, heights
