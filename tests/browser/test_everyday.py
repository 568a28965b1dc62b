"""Everyday use in a real browser: drafts that survive a reload and a navigation, the
warning before leaving unsaved text, a preview that is the posted HTML, buttons whose
pressed and danger states show, live markers that keep clear of the reply form, and a
header that fits a phone. And axe on every page these touch, on a desktop and a phone.

Elements are found by id, URL, form action, role and data attribute, not by text.
"""

from __future__ import annotations

import pytest

from community.models import Group
from tests.browser.test_accessibility import assert_no_violations, assert_no_violations_here
from tests.browser.test_threads import a_question
from tests.threads.conftest import colleague
from threads import actions
from threads.models import Draft, Post

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SAVED = "[data-composer] .composer-status [role=status]"


def reply_box(page):
    return page.locator(".reply textarea[name=body]")


def test_a_reply_draft_survives_a_reload_and_a_navigation_and_is_gone_once_posted(
    asgi_live_server, new_context, log_in, member, colleague
):
    from playwright.sync_api import expect

    thread, _reply = a_question(member, colleague)
    page = new_context().new_page()
    log_in(page, colleague)
    page.goto(f"/t/{thread.pk}/?page=1")
    reply_box(page).click()
    page.keyboard.type("Bij ons werkt een taalmaatje goed.")
    expect(page.locator(SAVED)).to_have_text("Concept opgeslagen")
    page.reload()
    expect(reply_box(page)).to_have_value("Bij ons werkt een taalmaatje goed.")
    page.goto("/latest/")
    page.goto(f"/t/{thread.pk}/?page=1")
    expect(reply_box(page)).to_have_value("Bij ons werkt een taalmaatje goed.")
    page.goto(f"/members/{colleague.handle}/")
    expect(page.locator(".drafts")).to_contain_text("Bij ons werkt een taalmaatje goed.")
    page.goto(f"/t/{thread.pk}/?page=1")
    expect(reply_box(page)).to_have_value("Bij ons werkt een taalmaatje goed.")
    with page.expect_navigation():
        page.locator(".reply [type=submit]").click()
    expect(page.locator("#post-3 .post__body")).to_contain_text("taalmaatje")
    assert not Draft.objects.exists()
    expect(reply_box(page)).to_have_value("")


def test_a_new_thread_draft_keeps_its_title_across_a_navigation(asgi_live_server, new_context, log_in, member):
    from playwright.sync_api import expect

    page = new_context().new_page()
    log_in(page, member)
    page.goto("/groups/het-plein/new/")
    page.locator("#id_title").click()
    page.keyboard.type("Taalcafé in de bibliotheek")
    page.locator("#id_body").click()
    page.keyboard.type("Wie heeft ervaring?")
    expect(page.locator(SAVED)).to_have_text("Concept opgeslagen")
    page.goto("/")
    page.goto("/groups/het-plein/new/")
    expect(page.locator("#id_title")).to_have_value("Taalcafé in de bibliotheek")
    expect(page.locator("#id_body")).to_have_value("Wie heeft ervaring?")


def test_leaving_with_unsaved_text_asks_first_and_saved_text_does_not(
    asgi_live_server, new_context, log_in, member, colleague
):
    from playwright.sync_api import expect

    thread, _reply = a_question(member, colleague)
    context = new_context()
    page = context.new_page()
    log_in(page, colleague)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.goto(f"/t/{thread.pk}/?page=1")
    reply_box(page).click()
    page.keyboard.type("Nog niet bewaard")
    waiter = context.new_page()  # the events are delivered while another page waits
    page.close(run_before_unload=True)  # at once: the draft is not saved yet
    for _ in range(30):
        if dialogs:
            break
        waiter.wait_for_timeout(100)
    assert dialogs == ["beforeunload"]

    dialogs.clear()
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.goto(f"/t/{thread.pk}/?page=1")
    expect(reply_box(page)).to_have_value("Nog niet bewaard")  # saved on the way out
    reply_box(page).click()
    page.keyboard.press("End")
    page.keyboard.type(", nu wel.")
    expect(page.locator(SAVED)).to_have_text("Concept opgeslagen")
    page.close(run_before_unload=True)
    waiter.wait_for_timeout(1000)
    assert dialogs == []


def test_the_preview_is_the_html_the_post_gets(asgi_live_server, new_context, log_in, member, colleague):
    from playwright.sync_api import expect

    thread, _reply = a_question(member, colleague)
    page = new_context().new_page()
    log_in(page, colleague)
    page.goto(f"/t/{thread.pk}/?page=1")
    body = "Zie **dit**, @fatima:\n\n- een\n- twee\n\n[CBS](https://www.cbs.nl) en `code`\n\n> geciteerd"
    reply_box(page).fill(body)
    tabs = page.locator(".reply [role=tablist] [role=tab]")
    tabs.nth(1).click()
    expect(tabs.nth(1)).to_have_attribute("aria-selected", "true")
    preview = page.locator(".reply .composer-preview")
    expect(preview.locator("strong")).to_have_text("dit")
    expect(reply_box(page)).to_be_hidden()
    shown = preview.inner_html()
    with page.expect_navigation():
        page.locator(".reply [type=submit]").click()
    posted = page.locator("#post-3 .post__body").inner_html()
    assert shown.strip() == posted.strip()
    assert Post.objects.get(thread=thread, number=3).body.replace("\r\n", "\n") == body


def test_a_pressed_useful_button_and_a_danger_button_look_different(
    asgi_live_server, new_context, log_in, member, colleague
):
    from playwright.sync_api import expect

    thread, _reply = a_question(member, colleague)
    page = new_context().new_page()
    log_in(page, colleague)
    page.goto(f"/t/{thread.pk}/?page=1")
    useful = page.locator(f"#post-1 form[action$='/posts/{thread.posts.get(number=1).pk}/useful/'] button")
    expect(useful).to_have_attribute("aria-pressed", "false")
    style = "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.color, s.borderColor]; }"
    unpressed = useful.evaluate(style)
    with page.expect_navigation():
        useful.click()
    expect(useful).to_have_attribute("aria-pressed", "true")
    pressed = useful.evaluate(style)
    assert pressed[0] != unpressed[0] and pressed[1] != unpressed[1], (pressed, unpressed)
    # A check mark, not colour alone.
    assert useful.evaluate("el => getComputedStyle(el, '::before').content") != "none"

    page.goto("/settings/privacy/delete/")
    danger = page.locator("main form button.button--danger")
    plain = page.locator(".site-header .site-search button")
    page.goto("/groups/het-plein/")
    ordinary = page.locator("main .actions .button").first.evaluate(style)
    page.goto("/settings/privacy/delete/")
    assert danger.evaluate(style)[0] == "rgb(165, 14, 14)"
    assert danger.evaluate(style)[0] != ordinary[0] != plain.evaluate(style)[0]


def _overlaps_composer(page) -> list[str]:
    """What visible live marker covers a part of the reply form, in the window."""
    return page.evaluate(
        """() => {
          const form = document.querySelector('.reply form').getBoundingClientRect();
          const hit = (r) => r.width && r.height && r.left < form.right && form.left < r.right && r.top < form.bottom && form.top < r.bottom;
          return [...document.querySelectorAll('.new-replies, .toast')]
            .filter((el) => !el.hidden && getComputedStyle(el).visibility === 'visible' && hit(el.getBoundingClientRect()))
            .map((el) => el.className);
        }"""
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_live_markers_never_cover_the_reply_form(
    asgi_live_server, new_context, log_in, member, colleague, viewport
):
    from playwright.sync_api import expect

    thread, _reply = a_question(member, colleague)
    for number in range(6):
        actions.reply_to_thread(author=colleague, thread=thread, body=f"Een langere reactie, nummer {number}.\n\n" * 3)
    page = new_context(viewport=viewport).new_page()
    log_in(page, member)
    page.goto(f"/t/{thread.pk}/?page=1")
    page.wait_for_function("document.body.dataset.live && window.performance.now() > 0")
    page.wait_for_timeout(800)  # the socket connects and watches the thread
    reply_box(page).click()
    page.keyboard.type("Ik schrijf een reactie")
    page.locator(".reply [type=submit]").scroll_into_view_if_needed()
    thijs = new_context().new_page()
    log_in(thijs, colleague)
    thijs.goto(f"/t/{thread.pk}/?page=1")
    thijs.locator(".reply textarea").fill("Live: een nieuwe reactie.")
    with thijs.expect_navigation():
        thijs.locator(".reply [type=submit]").click()
    expect(page.locator(".new-replies")).to_be_visible()
    expect(page.locator(".toast").last).to_be_attached()
    for where in ("end", "center", "start"):
        page.locator(".reply form").evaluate(f"el => el.scrollIntoView({{block: '{where}'}})")
        page.wait_for_timeout(100)
        assert _overlaps_composer(page) == [], where
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(100)
    assert page.locator(".new-replies").bounding_box()["y"] < viewport["height"]  # still seen, above the form


def test_the_phone_header_is_a_fifth_of_the_screen_at_most_and_its_menu_opens(
    asgi_live_server, new_context, log_in, member, colleague
):
    from playwright.sync_api import expect

    thread, _reply = a_question(member, colleague)
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, member)
    for path in ["/", f"/t/{thread.pk}/?page=1", "/groups/het-plein/"]:
        page.goto(path)
        height = page.locator(".site-header").bounding_box()["height"]
        assert height < 0.2 * PHONE["height"], (path, height)
        expect(page.locator(".site-nav")).to_be_hidden()
    toggle = page.locator(".site-menu > summary")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".site-nav a[href='/latest/']")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".site-nav")).to_be_hidden()
    expect(toggle).to_be_focused()


def test_the_phone_menu_works_without_javascript(asgi_live_server, new_context, log_in, member):
    from playwright.sync_api import expect

    context = new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    log_in(page, member)
    page.goto("/groups/het-plein/")
    assert page.locator(".site-header").bounding_box()["height"] < 0.2 * PHONE["height"]
    page.locator(".site-menu > summary").click()
    expect(page.locator(".site-nav a[href='/latest/']")).to_be_visible()


def test_the_desktop_navigation_is_one_line_at_1280_pixels_even_for_staff(asgi_live_server, new_context, log_in, staff):
    page = new_context(viewport=DESKTOP).new_page()
    log_in(page, staff)
    page.goto("/latest/")
    tops = page.locator(".site-nav li").evaluate_all("items => items.map((item) => item.getBoundingClientRect().top)")
    assert len(tops) >= 9 and len(set(tops)) == 1, tops
    assert page.locator(".site-menu > summary").is_hidden()


def _pages(member, ambassador, colleague) -> dict[str, str]:
    """Every page this work changed, with the data to show what changed."""
    regional = actions.create_thread(
        author=member, group=Group.objects.get(slug="zuid-holland"), title="Huisvesting van statushouders",
        kind="question", body="Hoe **regelen** jullie dit?", themes=actions.ensure_themes(["wonen"]),
    )  # fmt: skip
    reply = actions.reply_to_thread(author=colleague, thread=regional, body="Met een wooncoach.")
    actions.edit_post(editor=colleague, post=reply, body="Met een wooncoach en een buddy.")
    actions.flag_post(member=member, post=reply, reason="spam", text="")
    actions.hide_thread(actor=ambassador, thread=regional, reason="Even niet.")
    actions.unhide_thread(actor=ambassador, thread=regional)
    actions.save_draft(member=ambassador, thread=regional, body="Mijn concept")
    return {
        "thread": f"/t/{regional.pk}/?page=1",
        "home": "/",
        "group": "/groups/zuid-holland/",
        "new thread": "/groups/zuid-holland/new/",
        "choose a group": "/new/",
        "own page with drafts": f"/members/{ambassador.handle}/",
        "revisions": f"/posts/{reply.pk}/revisions/",
        "edit": f"/posts/{reply.pk}/edit/",
        "move": f"/t/{regional.pk}/move/",
        "review flags": f"/moderation/flags/{reply.pk}/",
        "moderation queues": "/moderation/?queue=flags",
        "moderation log": "/moderation/log/",
        "delete account": "/settings/privacy/delete/",
        "reply page": f"/t/{regional.pk}/reply/?quote={reply.pk}&short",
    }


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_changed_pages_have_no_accessibility_violations(
    asgi_live_server, new_context, log_in, member, ambassador, colleague, viewport
):
    pages = _pages(member, ambassador, colleague)
    page = new_context(viewport=viewport).new_page()
    log_in(page, ambassador)
    for name, path in pages.items():
        assert_no_violations(page, path)
        if name == "thread":
            page.locator(".reply [role=tab]").nth(1).click()
            page.wait_for_timeout(300)
            assert_no_violations_here(page, f"{name}, preview tab")
            if viewport == PHONE:
                page.locator(".site-menu > summary").click()
                assert_no_violations_here(page, f"{name}, menu open")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_account_pages_and_page_not_found_have_no_accessibility_violations(
    asgi_live_server, new_context, dutch_data, viewport
):
    page = new_context(viewport=viewport, expect_problems=True).new_page()
    for path in ["/accounts/login/", "/accounts/password-reset/", "/accounts/password-reset/sent/"]:
        assert_no_violations(page, path)
    response = page.goto("/bestaat-niet/")
    assert response.status == 404
    assert_no_violations_here(page, "page not found")


def test_replying_to_a_post_puts_a_reference_in_the_reply_and_tells_its_author(
    asgi_live_server, new_context, log_in, member, colleague
):
    from playwright.sync_api import expect

    from notifications.models import Notification

    thread, _reply = a_question(member, colleague)
    opening = thread.posts.get(number=1)
    page = new_context().new_page()
    log_in(page, colleague)
    page.goto(f"/t/{thread.pk}/?page=1")
    page.locator(f"#post-1 a[data-reply-to='{opening.pk}']").click()
    expect(reply_box(page)).to_have_value(f"[quote=post:{opening.pk}]\nWie heeft ervaring?\n[/quote]\n\n")
    expect(reply_box(page)).to_be_focused()
    page.keyboard.type("Wij, in de bibliotheek.")
    with page.expect_navigation():
        page.locator(".reply [type=submit]").click()
    expect(page.locator("#post-3 blockquote a")).to_have_attribute("href", f"/posts/{opening.pk}/")
    assert Notification.objects.filter(recipient=member, kind=Notification.Kind.QUOTED).exists()
