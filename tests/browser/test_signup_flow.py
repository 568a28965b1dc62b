"""The story of a newcomer, in a real browser against the live server: sign up,
log in, verify the e-mail address, wait for the ambassador, get in.

Visible text may still change or be translated, so the test finds elements by
id, URL and form action, and compares headings with the translation catalogue
rather than with literal strings.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext

from community.models import Group, Member, Municipality

pytestmark = pytest.mark.browser

NEWCOMER = {
    "name": "Noor Bakker",
    "email": "noor.bakker@voorbeeld.example",
    "password": "tulpen-in-de-lente-42",
    "position": Member.Position.BELEIDSMEDEWERKER,
}


def dutch(text: str) -> str:
    """The interface text as a Dutch visitor sees it (English while a translation is missing)."""
    with translation.override("nl"):
        return gettext(text)


def test_a_newcomer_signs_up_verifies_and_is_let_in_after_the_ambassador_approves(
    asgi_live_server, new_context, log_in, ambassador
):
    """Proves the whole sign-up path works in a browser: the municipality combobox
    (static/js/site.js, under the site's CSP), the sign-up form and the page after it,
    the verification link in the real e-mail pointing at this server, the closed forum
    while pending, the ambassador's approval on /moderation/, and the regional group
    opening afterwards."""
    # Imported here: without Playwright the test skips or fails through need_browser(), not at collection.
    from playwright.sync_api import expect

    the_hague = Municipality.objects.select_related("region").get(code="GM0518")
    regional_group = Group.objects.get(slug="zuid-holland")
    mailbox = asgi_live_server.mailbox

    newcomer_page = new_context().new_page()
    newcomer_page.goto("/accounts/signup/")
    newcomer_page.locator("#id_name").fill(NEWCOMER["name"])
    newcomer_page.locator("#id_email").fill(NEWCOMER["email"])
    newcomer_page.locator("#id_password").fill(NEWCOMER["password"])

    # The combobox site.js makes of the municipality select narrows the list as you type.
    municipality = newcomer_page.locator("#id_municipality")
    expect(municipality).to_have_attribute("role", "combobox")
    municipality.fill("Graven")
    offered = newcomer_page.locator("#id_municipality-listbox [role=option]:visible").all_inner_texts()
    assert f"{the_hague.name} ({the_hague.region.name})" in offered
    assert offered and all("graven" in text.lower() for text in offered), offered
    newcomer_page.locator("#id_municipality-listbox [role=option]", has_text=the_hague.name).click()
    expect(newcomer_page.locator("#id_municipality-select")).to_have_value(str(the_hague.pk))

    newcomer_page.locator("#id_position").select_option(NEWCOMER["position"])
    newcomer_page.locator("main form").filter(has=newcomer_page.locator("#id_email")).locator("[type=submit]").click()

    # Signed up: the page says to check the mailbox (as it would for an address that
    # already had an account). Logging in, the status page asks to verify the address.
    expect(newcomer_page).to_have_url(re.compile(r"/accounts/signup/sent/$"))
    expect(newcomer_page.get_by_role("heading", name=dutch("Check your e-mail"))).to_be_visible()
    newcomer = Member.objects.get(email=NEWCOMER["email"])
    assert (newcomer.status, newcomer.municipality_id, newcomer.position) == (
        Member.Status.PENDING,
        the_hague.pk,
        NEWCOMER["position"],
    )
    log_in(newcomer_page, newcomer, NEWCOMER["password"], through_form=True)
    expect(newcomer_page).to_have_url(re.compile(r"/accounts/status/$"))
    expect(newcomer_page.get_by_role("heading", name=dutch("Verify your e-mail address"))).to_be_visible()
    expect(newcomer_page.locator('form[action="/accounts/verify-again/"]')).to_be_visible()

    # The link in the e-mail points at this server, and opening it verifies the address.
    link = mailbox.link(to=NEWCOMER["email"], starting_with=f"{asgi_live_server.url}/accounts/verify/")
    newcomer_page.goto(link)
    expect(newcomer_page).to_have_url(re.compile(r"/accounts/status/$"))
    expect(newcomer_page.get_by_role("heading", name=dutch("Your sign-up is being reviewed"))).to_be_visible()
    expect(newcomer_page.locator('form[action="/accounts/verify-again/"]')).to_have_count(0)

    # While pending, the forum stays closed.
    newcomer_page.goto("/groups/")
    expect(newcomer_page).to_have_url(re.compile(r"/accounts/status/$"))

    # The ambassador of Zuid-Holland, in a browser of her own, approves the sign-up.
    ambassador_page = new_context().new_page()
    log_in(ambassador_page, ambassador)
    ambassador_page.goto("/moderation/")
    approve = ambassador_page.locator(f'form[action="/moderation/signups/{newcomer.pk}/approve/"] [type=submit]')
    expect(approve).to_be_visible()
    approve.click()
    expect(ambassador_page).to_have_url(re.compile(r"/moderation/$"))
    expect(approve).to_have_count(0)
    newcomer.refresh_from_db()
    assert (newcomer.status, newcomer.approved_by_id) == (Member.Status.ACTIVE, ambassador.pk)
    # The approval e-mail links to the home page of this server.
    assert mailbox.link(to=NEWCOMER["email"], starting_with=asgi_live_server.url) == f"{asgi_live_server.url}/"

    # The newcomer now finds the regional group on the home page, and can open it.
    newcomer_page.goto("/")
    expect(newcomer_page).to_have_url(re.compile(r"/$"))
    group_link = newcomer_page.locator('main a[href="/groups/zuid-holland/"]')
    expect(group_link).to_have_text(regional_group.name)
    group_link.click()
    expect(newcomer_page).to_have_url(re.compile(r"/groups/zuid-holland/$"))
    expect(newcomer_page.get_by_role("heading", level=1)).to_contain_text(regional_group.name)
