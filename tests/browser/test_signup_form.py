"""The sign-up form, as a newcomer meets it in a real browser: the municipality
combobox by keyboard alone, the error summary taking the focus and leading to each
field, and axe on the page with and without errors, on a desktop and a 390x844 phone.
"""

from __future__ import annotations

import re

import pytest

from community.models import Member, Municipality
from tests.browser.test_accessibility import assert_no_violations_here

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PASSWORD = "tulpen-in-de-lente-42"


def focused(page) -> str:
    return page.evaluate("document.activeElement.id")


def test_a_newcomer_signs_up_by_keyboard_alone_choosing_zwolle(asgi_live_server, page, dutch_data):
    from playwright.sync_api import expect

    zwolle = Municipality.objects.get(name="Zwolle")
    page.goto("/accounts/signup/")
    page.locator("#id_name").focus()
    page.keyboard.type("Jan Klaassen")
    page.keyboard.press("Tab")
    page.keyboard.type("jan.klaassen@voorbeeld.example")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert focused(page) == "id_municipality"
    combobox = page.locator("#id_municipality")
    expect(combobox).to_have_attribute("role", "combobox")
    expect(combobox).to_have_attribute("aria-expanded", "false")
    page.keyboard.type("zwol")
    expect(combobox).to_have_attribute("aria-expanded", "true")
    # The first match is highlighted at once (aria-activedescendant), so Enter chooses it.
    active = combobox.get_attribute("aria-activedescendant")
    expect(page.locator(f"#{active}")).to_have_text("Zwolle (Overijssel)")
    page.keyboard.press("Enter")
    expect(combobox).to_have_value("Zwolle (Overijssel)")
    expect(combobox).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#id_municipality-select")).to_have_value(str(zwolle.pk))
    assert page.url.endswith("/accounts/signup/")  # Enter chose; it did not submit
    page.keyboard.press("Tab")
    assert focused(page) == "id_position"
    # A native select: typing the first letters chooses, as every keyboard user knows.
    page.keyboard.type("beleid")
    expect(page.locator("#id_position")).to_have_value(Member.Position.BELEIDSMEDEWERKER)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the optional handle to the button
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/signup/sent/$"))
    newcomer = Member.objects.get(email="jan.klaassen@voorbeeld.example")
    assert (newcomer.municipality_id, newcomer.position) == (zwolle.pk, Member.Position.BELEIDSMEDEWERKER)


def test_arrow_keys_move_through_the_list_and_escape_closes_it(asgi_live_server, page, dutch_data):
    from playwright.sync_api import expect

    page.goto("/accounts/signup/")
    combobox = page.locator("#id_municipality")
    combobox.focus()
    page.keyboard.type("den")
    listbox = page.locator("#id_municipality-listbox")
    expect(listbox).to_be_visible()
    options = listbox.locator("[role=option]:visible")
    names = options.all_inner_texts()
    assert names[0].lower().startswith("den") and all("den" in name.lower() for name in names)
    page.keyboard.press("ArrowDown")
    second = combobox.get_attribute("aria-activedescendant")
    expect(page.locator(f"#{second}")).to_have_text(names[1])
    page.keyboard.press("ArrowUp")
    expect(page.locator(f"#{combobox.get_attribute('aria-activedescendant')}")).to_have_text(names[0])
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(combobox).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Escape")
    expect(combobox).to_have_value("")


def test_the_error_summary_takes_the_focus_and_leads_to_each_field(asgi_live_server, page, dutch_data):
    from playwright.sync_api import expect

    page.goto("/accounts/signup/")
    page.locator("#id_name").fill("Jan Klaassen")
    page.locator("#id_email").fill("jan.klaassen@voorbeeld.example")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form").filter(has=page.locator("#id_email")).locator("[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    links = summary.locator("a")
    assert [link.get_attribute("href") for link in links.all()] == ["#id_password", "#id_municipality", "#id_position"]
    summary.locator('a[href="#id_municipality"]').click()
    expect(page.locator("#id_municipality")).to_be_focused()
    summary.locator('a[href="#id_position"]').click()
    expect(page.locator("#id_position")).to_be_focused()
    # Nothing was chosen for the newcomer, and what was typed is still there (but the password).
    expect(page.locator("#id_position")).to_have_value("")
    expect(page.locator("#id_name")).to_have_value("Jan Klaassen")
    expect(page.locator("#id_password")).to_have_value("")


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone 390x844"])
def test_the_sign_up_page_has_no_accessibility_violations(asgi_live_server, new_context, dutch_data, viewport):
    options = {"viewport": viewport, "is_mobile": True, "has_touch": True} if viewport else {}
    page = new_context(**options).new_page()
    page.goto("/accounts/signup/")
    assert_no_violations_here(page, "the sign-up page")
    # With the list open, and with the error summary after a submit.
    page.locator("#id_municipality").fill("zwol")
    assert_no_violations_here(page, "the sign-up page, the list open")
    page.locator("#id_municipality").press("Escape")
    page.locator("main form").filter(has=page.locator("#id_email")).locator("[type=submit]").click()
    page.wait_for_selector("#error-summary")
    assert_no_violations_here(page, "the sign-up page, its errors shown")
