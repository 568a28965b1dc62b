"""Moderation in real browsers against the live server: three members flag a post,
the ambassador's queue count rises live, the ambassador restores the post, and
the flaggers are told.

Elements are found by URL, form action, id and data attribute, not by visible
text, which may still change or be translated.
"""

from __future__ import annotations

import re

import pytest

from community.models import Group, Municipality
from notifications.models import Notification
from tests.conftest import approved_member
from threads import actions
from threads.models import Flag, Post, Theme

pytestmark = pytest.mark.browser


def test_three_flags_hide_a_post_the_ambassador_sees_it_live_restores_it_and_the_flaggers_hear(
    asgi_live_server, new_context, log_in, member, ambassador
):
    from playwright.sync_api import expect

    regional = Group.objects.get(slug="zuid-holland")
    theme = Theme.objects.order_by("name").first() or actions.ensure_themes(["wonen"])[0]
    thread = actions.create_thread(
        author=member,
        group=regional,
        title="Opvang van statushouders in de regio",
        kind="question",
        body="Hoe pakken jullie dit aan?",
        themes=[theme],
    )
    reply = actions.reply_to_thread(author=member, thread=thread, body="Bezoek mijn adviesbureau voor de beste aanpak!")
    flaggers = [
        approved_member(Municipality.objects.get(code=code), name=name, handle=handle)
        for code, name, handle in (
            ("GM0599", "Anouk Jansen", "anouk"),
            ("GM0546", "Bas de Boer", "bas"),
            ("GM1783", "Celine Peters", "celine"),
        )
    ]

    # The ambassador of Zuid-Holland keeps the flag queue open; its counts follow the socket.
    moderator = new_context().new_page()
    log_in(moderator, ambassador)
    moderator.goto("/moderation/?queue=flags")
    flags_count = moderator.locator('.tabs [data-count="flags"]')
    hidden_count = moderator.locator('.tabs [data-count="hidden"]')
    expect(flags_count).to_have_text("0")
    expect(moderator.locator("[data-moderation][data-live-counts=on]")).to_have_count(1)

    flagger_pages = []
    for number, flagger in enumerate(flaggers, start=1):
        page = new_context().new_page()
        log_in(page, flagger)
        page.goto(f"/t/{thread.pk}/?page=1")
        page.locator(f'a[href="/posts/{reply.pk}/flag/"]').click()
        expect(page).to_have_url(re.compile(rf"/posts/{reply.pk}/flag/$"))
        page.locator('input[name="reason"][value="spam"]').check()
        page.locator("main form [type=submit]").click()
        expect(page).to_have_url(re.compile(rf"/t/{thread.pk}/"))
        # Live, without reloading the ambassador's page.
        expect(flags_count).to_have_text(str(number))
        flagger_pages.append(page)
    expect(hidden_count).to_have_text("1")
    assert Post.objects.get(pk=reply.pk).hidden
    unread_before = [int(page.locator("[data-bell-number]").inner_text()) for page in flagger_pages]

    # The ambassador disagrees: the post is restored, the flags dismissed.
    moderator.reload()
    item = moderator.locator(f"#flagged-{reply.pk}")
    expect(item).to_be_visible()
    item.locator(f'input[name="review-{reply.pk}-outcome"][value="dismiss"]').check()
    item.locator("[type=submit]").click()
    expect(moderator).to_have_url(re.compile(r"/moderation/\?queue=flags$"))
    expect(moderator.locator(f"#flagged-{reply.pk}")).to_have_count(0)
    expect(flags_count).to_have_text("0")
    expect(hidden_count).to_have_text("0")
    assert not Post.objects.get(pk=reply.pk).hidden
    assert set(Flag.objects.values_list("status", flat=True)) == {"dismissed"}

    # Each flagger is told, live: the bell counts one more.
    for page, flagger, before in zip(flagger_pages, flaggers, unread_before, strict=False):
        expect(page.locator("[data-bell-number]")).to_have_text(str(before + 1))
        assert Notification.objects.filter(recipient=flagger, kind="flag_dismissed", post=reply).count() == 1
    flagger_pages[0].reload()
    expect(flagger_pages[0].locator(f"#post-{reply.number} .post__body")).to_contain_text("adviesbureau")


@pytest.fixture
def flagged_world(member, ambassador, colleague_here, pending_member):
    regional = Group.objects.get(slug="zuid-holland")
    theme = Theme.objects.order_by("name").first() or actions.ensure_themes(["wonen"])[0]
    thread = actions.create_thread(
        author=member, group=regional, title="Taal en werk", kind="question", body="Wat werkt?", themes=[theme]
    )
    reply = actions.reply_to_thread(author=member, thread=thread, body="Een reactie om te melden.")
    actions.flag_post(member=colleague_here, post=reply, reason="other", text="Klopt niet.")
    hidden = actions.reply_to_thread(author=member, thread=thread, body="Een verborgen reactie.")
    actions.hide_post(actor=ambassador, post=hidden, reason="Persoonsgegevens.")
    return {"thread": thread, "reply": reply}


@pytest.fixture
def colleague_here(dutch_data, staff):
    return approved_member(Municipality.objects.get(code="GM1783"), name="Thijs Willems", handle="thijs")


MODERATOR_PAGES = {
    "sign-up queue": "/moderation/?queue=signups",
    "flag queue": "/moderation/?queue=flags",
    "hidden queue": "/moderation/?queue=hidden",
    "suspensions": "/moderation/?queue=suspended",
    "log": "/moderation/log/",
    "thread with moderation controls": "/t/{thread.pk}/?page=1",
    "review page": "/moderation/flags/{reply.pk}/",
    "suspend form": "/moderation/members/fatima/suspend/",
}


@pytest.mark.parametrize("path", MODERATOR_PAGES.values(), ids=MODERATOR_PAGES.keys())
def test_the_moderation_pages_have_no_accessibility_violations(
    asgi_live_server, page, log_in, ambassador, flagged_world, path
):
    from tests.browser.test_accessibility import assert_no_violations, assert_no_violations_here

    log_in(page, ambassador)
    assert_no_violations(page, path.format(**flagged_world))
    if "/t/" in path:
        page.locator(".moderation-panel summary").click()  # the opened panel, with its forms
        assert_no_violations_here(page, f"{path}, moderation panel open")


@pytest.mark.parametrize(
    "path",
    ["/posts/{reply.pk}/flag/", "/settings/privacy/", "/settings/privacy/delete/"],
    ids=["flag form", "privacy", "delete account"],
)
def test_the_member_side_has_no_accessibility_violations(
    asgi_live_server, page, log_in, colleague_here, flagged_world, path
):
    from tests.browser.test_accessibility import assert_no_violations

    log_in(page, colleague_here)
    assert_no_violations(page, path.format(**flagged_world))
