"""Threads in a real browser: writing, quoting, editing, answering, "nuttig",
read state, hostile posts that must not run, accessibility, and live updates
between two members.

Elements are found by id, URL, form action and data attribute, not by text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from community.models import Group
from notifications.models import Notification
from tests.browser.test_accessibility import PHONE, assert_no_violations
from tests.threads.conftest import colleague
from threads import actions
from threads.models import Mark, Post, PostRevision, Theme, Thread

pytestmark = pytest.mark.browser
XSS = [
    line
    for line in (Path(__file__).parent.parent / "threads" / "xss_payloads.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]


def a_question(member, colleague):
    plein = Group.objects.get(slug="het-plein")
    themes = list(Theme.objects.all()[:2]) or actions.ensure_themes(["wonen", "werk"])
    thread = actions.create_thread(
        author=member,
        group=plein,
        title="Hoe organiseren jullie taalcafés?",
        kind="question",
        body="Wie heeft **ervaring**?",
        themes=themes,
    )
    reply = actions.reply_to_thread(author=colleague, thread=thread, body="Wij doen het in de bibliotheek.")
    return thread, reply


def test_a_member_starts_a_thread_and_another_replies_quotes_and_marks_it_useful(
    asgi_live_server, new_context, log_in, member, colleague
):
    from playwright.sync_api import expect

    Theme.objects.get_or_create(slug="taal", defaults={"name": "taal"})
    fatima = new_context().new_page()
    log_in(fatima, member)
    fatima.goto("/groups/het-plein/new/")
    fatima.locator("#id_title").fill("Taalcafé voor nieuwkomers")
    fatima.locator("input[name=kind][value=experience]").check()
    fatima.locator("#id_body").fill("Elke week een **taalcafé** in de wijk.")
    fatima.locator("input[name=themes]").first.check()
    with fatima.expect_navigation():
        fatima.locator("main form [type=submit]").click()
    thread = Thread.objects.get(title="Taalcafé voor nieuwkomers")
    expect(fatima.locator("#post-1 .post__body strong")).to_have_text("taalcafé")

    thijs = new_context().new_page()
    log_in(thijs, colleague)
    thijs.goto(f"/t/{thread.pk}/?page=1")
    thijs.locator("a[data-quote]").first.click()
    expect(thijs.locator(".reply textarea")).to_have_value(
        f"[quote=post:{thread.posts.get(number=1).pk}]\nElke week een **taalcafé** in de wijk.\n[/quote]\n\n"
    )
    thijs.locator(".reply textarea").press("End")
    thijs.locator(".reply textarea").type("Goed idee!")
    with thijs.expect_navigation():
        thijs.locator(".reply [type=submit]").click()
    expect(thijs.locator("#post-2 blockquote")).to_contain_text("Elke week een")
    expect(thijs.locator("#post-2 .post__body")).to_contain_text("Goed idee!")

    opening = thread.posts.get(number=1)
    with thijs.expect_navigation():
        thijs.locator(f"form[action='/posts/{opening.pk}/useful/'] button").click()
    expect(thijs.locator(f"form[action='/posts/{opening.pk}/useful/'] button")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert Mark.objects.filter(post=opening, member=colleague).exists()


def test_mention_completion_lists_members_and_inserts_the_handle(
    asgi_live_server, new_context, log_in, member, colleague
):
    """Typing "@" and letters in the reply box lists the matching members under it, announced
    to screen readers in the page's language; Enter inserts the handle. The empty list is not
    shown (a component rule once gave it a display that beat its hidden attribute: a bar under
    every text area)."""
    from playwright.sync_api import expect

    thread, _reply = a_question(member, colleague)
    page = new_context().new_page()
    log_in(page, member)
    page.goto(f"/t/{thread.pk}/?page=1")
    textarea = page.locator(".reply textarea")
    listbox = page.locator(".reply [role=listbox]")
    expect(listbox).to_be_hidden()
    textarea.click()
    textarea.type("Dank je @thij")
    expect(listbox).to_be_visible()
    expect(listbox.locator("[role=option]")).to_have_count(1)
    expect(textarea).to_have_attribute("aria-activedescendant", f"{textarea.get_attribute('id')}-mentions-0")
    announcement = textarea.get_attribute("data-mention-found")
    assert "{count}" in announcement and announcement != "Members found: {count}. Arrow keys choose, Enter inserts."
    expect(page.locator(".reply [aria-live=polite]")).to_have_text(announcement.replace("{count}", "1"))
    textarea.press("Enter")
    expect(textarea).to_have_value("Dank je @thijs ")
    expect(listbox).to_be_hidden()


def test_editing_keeps_a_visible_revision_and_the_asker_accepts_an_answer(
    asgi_live_server, new_context, log_in, member, colleague
):
    from playwright.sync_api import expect

    thread, reply = a_question(member, colleague)
    thijs = new_context().new_page()
    log_in(thijs, colleague)
    thijs.goto(f"/posts/{reply.pk}/edit/")
    thijs.locator("#id_body").fill("Wij doen het in de bibliotheek, elke dinsdag.")
    with thijs.expect_navigation():
        thijs.locator("main form [type=submit]").click()
    expect(thijs.locator("#post-2 .post__edited")).to_be_visible()
    thijs.locator("#post-2 .post__edited").click()
    expect(thijs.locator(".revision .post__body").last).to_contain_text("Wij doen het in de bibliotheek.")
    assert PostRevision.objects.filter(post=reply).count() == 1

    fatima = new_context().new_page()
    log_in(fatima, member)
    fatima.goto(f"/t/{thread.pk}/?page=1")
    with fatima.expect_navigation():
        fatima.locator(f"form[action='/posts/{reply.pk}/accept/'] button").click()
    expect(fatima.locator(".accepted-answer .post__body")).to_contain_text("elke dinsdag")
    expect(fatima.locator(".badge--solved").first).to_be_visible()
    thread.refresh_from_db()
    assert thread.accepted_post_id == reply.pk


def test_the_unread_marker_vanishes_after_reading(asgi_live_server, new_context, log_in, member, colleague):
    from playwright.sync_api import expect

    thread, _reply = a_question(member, colleague)
    fatima = new_context().new_page()
    log_in(fatima, member)
    fatima.goto("/latest/")
    row = fatima.locator(".thread-row", has=fatima.locator(f"a[href^='/t/{thread.pk}/']"))
    expect(row.locator(".unread")).to_be_visible()
    fatima.goto(f"/t/{thread.pk}/")
    assert fatima.url.endswith("?page=1#post-2")
    expect(fatima.locator("#post-2.post--unread")).to_be_visible()
    fatima.goto("/latest/")
    expect(row.locator(".unread")).to_have_count(0)


def test_a_thread_full_of_hostile_posts_runs_no_script(asgi_live_server, new_context, log_in, member, colleague):
    """Every payload of the corpus as a post and in titles: no dialog opens and a
    canary on window stays untouched."""
    plein = Group.objects.get(slug="het-plein")
    themes = list(Theme.objects.all()[:1]) or actions.ensure_themes(["wonen"])
    thread = actions.create_thread(
        author=member, group=plein, title=XSS[0][:190], kind="dilemma", body=XSS[1], themes=themes
    )
    Post.objects.bulk_create(
        [
            Post(
                thread=thread,
                number=n + 2,
                author=colleague,
                body=payload,
                html=actions.render_body(author=colleague, body=payload).html,
                text="",
            )
            for n, payload in enumerate(XSS[2:21])
        ]
    )
    Thread.objects.filter(pk=thread.pk).update(last_post_number=21, reply_count=20)
    for payload in XSS[21:40]:
        actions.create_thread(
            author=colleague,
            group=plein,
            title=(payload[:190] + " titel").strip() or "titel",
            kind="question",
            body=payload,
            themes=themes,
        )

    context = new_context()
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, member)
    for url in [f"/t/{thread.pk}/?page=1", f"/t/{thread.pk}/?page=2", "/latest/", "/groups/het-plein/"]:
        page.goto(url)
        page.evaluate("window.__canary = 'intact'")
        page.mouse.move(10, 10)
        page.mouse.move(400, 400)
        page.wait_for_timeout(300)
        assert page.evaluate("window.__canary") == "intact"
        assert page.evaluate("typeof window.xssed") == "undefined"
    assert dialogs == []


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_thread_pages_forms_and_lists_have_no_accessibility_violations(
    asgi_live_server, new_context, log_in, member, colleague, viewport
):
    thread, _reply = a_question(member, colleague)
    # Headings in a post come after the post's own (an h2 per post; Markdown's # is an h3).
    actions.reply_to_thread(
        author=colleague, thread=thread, body="# Wat we bespraken\n\nTaal en werk.\n\n## Vragen\n\nGeen."
    )
    page = new_context(**({"viewport": viewport} if viewport else {})).new_page()
    log_in(page, member)
    for path in [
        f"/t/{thread.pk}/?page=1",
        "/groups/het-plein/new/",
        "/latest/",
        "/unread/",
        "/unanswered/",
        "/top/?period=all",
        "/",
        "/notifications/",
        f"/posts/{thread.posts.get(number=1).pk}/edit/",
    ]:
        assert_no_violations(page, path)


def test_a_reply_appears_live_and_the_bell_rises_and_missed_notifications_come_after_reconnecting(
    asgi_live_server, new_context, log_in, member, colleague
):
    """A reads a thread; B replies: the reply appears in A's page without reload and
    A's bell count rises. Then A goes offline, B replies twice, A comes back: the
    notification that now counts all three replies is caught up, the bell stays."""
    from playwright.sync_api import expect

    thread, _reply = a_question(member, colleague)
    a_context = new_context()
    fatima = a_context.new_page()
    log_in(fatima, member)
    fatima.goto(f"/t/{thread.pk}/?page=1")
    fatima.wait_for_function("document.body.dataset.live && window.performance.now() > 0")
    fatima.wait_for_timeout(800)  # the socket connects and watches the thread
    before = int(fatima.locator("[data-bell-number]").inner_text())

    thijs = new_context().new_page()
    log_in(thijs, colleague)
    thijs.goto(f"/t/{thread.pk}/?page=1")
    thijs.locator(".reply textarea").fill("Live: bij ons ook op zaterdag.")
    with thijs.expect_navigation():
        thijs.locator(".reply [type=submit]").click()

    expect(fatima.locator("#post-3 .post__body")).to_contain_text("ook op zaterdag")
    expect(fatima.locator("[data-bell-number]")).to_have_text(str(before + 1))
    expect(fatima.locator(".new-replies")).to_be_visible()
    expect(fatima.locator("[data-announcer]")).not_to_be_empty()

    a_context.set_offline(True)
    fatima.wait_for_timeout(500)
    for text in ("Gemist één", "Gemist twee"):
        actions.reply_to_thread(author=colleague, thread=thread, body=text)
    # Both join the unread notification of the live reply: one notification counting three.
    [missed] = Notification.objects.filter(recipient=member, kind="replied", read_at__isnull=True)
    assert missed.count == 3
    a_context.set_offline(False)
    expect(fatima.locator(".toast").last).to_contain_text(thread.title, timeout=40_000)
    expect(fatima.locator(".toast").last).to_contain_text("3")
    expect(fatima.locator("[data-bell-number]")).to_have_text(str(before + 1))
