"""Two-step verification in a real browser: an ambassador without a second factor who
opens /moderation/ is sent to enrolment, adds the secret shown on the page to an
"authenticator" (the test computes its code), saves the recovery codes and goes on to
/moderation/; the next login asks for a code, and a recovery code works too. Every new
page has no accessibility violations, on a desktop and on a phone."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from community.twofactor.devices import key_from_base32, totp_device
from tests.browser.test_accessibility import PHONE, assert_no_violations_here
from tests.factories import PASSWORD
from tests.second_factor import code_at, enrol, next_code

pytestmark = pytest.mark.browser


def submit(page, field: str) -> None:
    with page.expect_navigation():
        page.locator("main form").filter(has=page.locator(field)).locator("[type=submit]").click()


def password_step(page, member, next_url: str = "") -> None:
    page.goto("/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    page.locator("#id_username").fill(member.email)
    page.locator("#id_password").fill(PASSWORD)
    submit(page, "#id_username")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_ambassador_enrols_with_the_shown_secret_and_logs_in_with_a_code(
    asgi_live_server, new_context, ambassador, viewport
):
    options = {"viewport": PHONE, "is_mobile": True, "has_touch": True} if viewport == "phone" else {}
    page = new_context(**options).new_page()

    password_step(page, ambassador, "/moderation/")
    expect(page).to_have_url(f"{asgi_live_server.url}/accounts/two-factor/setup/?next=%2Fmoderation%2F")
    expect(page.locator("main")).to_contain_text("Je modereert op Samenleven")
    expect(page.locator("main svg[role=img]")).to_be_visible()
    assert_no_violations_here(page)

    # The authenticator: the secret as shown, typed in by hand.
    secret = page.locator("[data-secret]").inner_text().replace(" ", "")
    key = key_from_base32(secret)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_code").fill(code_at(key, int(time.time()) // 30))
    submit(page, "#id_code")
    expect(page.locator("h1")).to_have_text("Je herstelcodes")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert_no_violations_here(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Ik heb ze bewaard, ga verder").click()
    expect(page).to_have_url(f"{asgi_live_server.url}/moderation/")
    assert totp_device(ambassador).key == key

    # A new login asks for the code, computed from the secret the page showed.
    log_out(page)
    page.wait_for_url(f"{asgi_live_server.url}/")
    password_step(page, ambassador, "/moderation/")
    expect(page).to_have_url(f"{asgi_live_server.url}/accounts/two-factor/verify/?next=%2Fmoderation%2F")
    assert_no_violations_here(page)
    page.locator("#id_code").fill(next_code(totp_device(ambassador)))
    submit(page, "#id_code")
    expect(page).to_have_url(f"{asgi_live_server.url}/moderation/")

    # And once more with a recovery code instead of the app.
    log_out(page)
    page.wait_for_url(f"{asgi_live_server.url}/")
    password_step(page, ambassador, "/moderation/")
    with page.expect_navigation():
        page.get_by_role("link", name="Gebruik een herstelcode").click()
    assert_no_violations_here(page)
    page.locator("#id_code").fill(codes[0])
    submit(page, "#id_code")
    expect(page).to_have_url(f"{asgi_live_server.url}/moderation/")
    expect(page.locator(".messages")).to_contain_text("Er zijn nog 9 codes over")


ACCOUNT_PAGES = {
    "settings": "/settings/",
    "overview": "/accounts/two-factor/",
    "move to another app": "/accounts/two-factor/setup/",
    "new recovery codes": "/accounts/two-factor/codes/new/",
    "turn off": "/accounts/two-factor/off/",
}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_two_step_pages_have_no_accessibility_violations(
    asgi_live_server, new_context, log_in, member, staff, viewport
):
    """The account side for a member who turned it on, and the programme team's reset page."""
    from tests.browser.test_accessibility import assert_no_violations

    options = {"viewport": PHONE, "is_mobile": True, "has_touch": True} if viewport == "phone" else {}
    enrol(member)
    page = new_context(**options).new_page()
    log_in(page, member)
    for path in ACCOUNT_PAGES.values():
        assert_no_violations(page, path)
    # A form with its errors shown.
    page.goto("/accounts/two-factor/off/")
    page.locator("#id_password").fill("niet-mijn-wachtwoord")
    submit(page, "#id_password")
    expect(page.locator(".field__errors")).to_be_visible()
    assert_no_violations_here(page)

    team = new_context(**options).new_page()
    log_in(team, staff)
    assert_no_violations(team, f"/moderation/members/{member.handle}/two-factor/reset/")
    # The code step with a wrong code, and the settings page of someone who has it off.
    stranger = new_context(**options).new_page()
    password_step(stranger, member)
    stranger.locator("#id_code").fill("12345")
    submit(stranger, "#id_code")
    expect(stranger.locator(".field__errors")).to_be_visible()
    assert_no_violations_here(stranger)


def log_out(page) -> None:
    """The log-out button, in the header or, on a phone, behind its menu button."""
    menu = page.locator(".site-menu > summary")
    if menu.is_visible():
        menu.click()
    page.locator(".site-tools").get_by_role("button", name="Uitloggen").click()
