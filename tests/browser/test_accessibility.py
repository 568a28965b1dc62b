"""Accessibility: axe-core finds no violations on the main pages, as rendered
by Chromium with the site's stylesheet and script, on a desktop and a phone.

axe runs with its default rules (WCAG 2 A and AA, and best practices). A failure
prints every violation with its rule, impact, help text and the elements it
found, so it can be fixed in the template or stylesheet it points to.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}

ANONYMOUS_PAGES = {
    "landing": "/",
    "login": "/accounts/login/",
    "signup": "/accounts/signup/",
    "signup sent": "/accounts/signup/sent/",
}
MEMBER_PAGES = {
    "group": "/groups/zuid-holland/",
    "municipality": "/municipalities/GM0518/",
    "member directory": "/members/",
    "profile": "/members/{member.handle}/",
    "group directory": "/groups/",
    "themes": "/themes/",
    "settings": "/settings/",
}


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html'][:200]}")
            lines.extend(f"        {line}" for line in node.get("failureSummary", "").splitlines())
    return "\n".join(lines)


def assert_no_violations_here(page, what: str = "") -> None:
    """axe (its default rules) finds nothing on the page as it is now: after a tab was
    opened, a form sent back with its errors, or a page shown once."""
    # Imported here: without Playwright the tests skip or fail through need_browser(), not at collection.
    from axe_playwright_python.base import AXE_SCRIPT

    page.evaluate(AXE_SCRIPT)
    # Only the violations cross back to Python: the whole result (every rule that passed or
    # did not apply, with its help texts) is about 50 kB of JSON per scan, a fifth to a third
    # of a small page's scan.
    violations = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(results => results.violations)")
    assert violations == [], f"axe found {len(violations)} violation(s) on {what or page.url}:\n{describe(violations)}"


def assert_no_violations(page, path: str) -> None:
    """Open ``path`` (it must answer 200 without a redirect) and scan it."""
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path} answered {response and response.status}"
    assert page.url.endswith(path), f"{path} redirected to {page.url}"
    assert_no_violations_here(page, path)


def test_the_pages_are_scanned_with_the_site_stylesheet_and_script_loaded(asgi_live_server, page):
    """Proves the scans below see the real styling: the live server serves the static
    files (WhiteNoise) and the browser applies them, so colour contrast is meaningful."""
    stylesheet = page.request.get("/static/css/site.css")
    assert stylesheet.status == 200 and stylesheet.headers["content-type"].startswith("text/css")
    page.goto("/accounts/signup/")
    applied = page.evaluate(
        "() => Array.from(document.styleSheets).some(s => s.href && s.href.endsWith('/static/css/site.css') && s.cssRules.length > 0)"
    )
    assert applied, "site.css is not applied"
    # site.js ran: it made the municipality select a combobox.
    assert page.locator("#id_municipality[role=combobox]").count() == 1


def test_the_scan_reports_what_it_finds(asgi_live_server, page):
    """The scan is not blind: a field without a label, added to a clean page, fails it with
    the rule and the element."""
    assert_no_violations(page, "/accounts/login/")
    page.evaluate(
        "document.querySelector('main').append(Object.assign(document.createElement('input'), {id: 'unlabelled'}))"
    )
    with pytest.raises(AssertionError, match=r"(?s)\[critical\] label: .*at #unlabelled"):
        assert_no_violations_here(page)


@pytest.mark.parametrize("path", ANONYMOUS_PAGES.values(), ids=ANONYMOUS_PAGES.keys())
def test_a_visitor_page_has_no_accessibility_violations(asgi_live_server, page, dutch_data, path):
    """The pages anyone sees before logging in: landing, login and sign-up."""
    assert_no_violations(page, path)


@pytest.mark.parametrize("path", MEMBER_PAGES.values(), ids=MEMBER_PAGES.keys())
def test_a_member_page_has_no_accessibility_violations(asgi_live_server, page, log_in, member, ambassador, path):
    """Forum pages for an approved member (Fatima, 's-Gravenhage), with Samira listed
    as ambassador so the group page shows its moderators as well as its members."""
    log_in(page, member)
    assert_no_violations(page, path.format(member=member))


@pytest.mark.parametrize("path", ["/", "/accounts/signup/"], ids=["landing", "signup"])
def test_a_visitor_page_has_no_accessibility_violations_on_a_phone(asgi_live_server, new_context, dutch_data, path):
    """The same, at 375x812: the narrow layout must not hide or overlap what axe checks."""
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    assert_no_violations(page, path)


@pytest.mark.parametrize("path", ["/groups/zuid-holland/", "/members/"], ids=["group", "member directory"])
def test_a_member_page_has_no_accessibility_violations_on_a_phone(
    asgi_live_server, new_context, log_in, member, ambassador, path
):
    """Forum pages for Fatima on a phone, where the header navigation has to wrap."""
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, member)
    assert_no_violations(page, path)
