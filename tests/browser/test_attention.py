"""Read means read, live: one member with two tabs open; reading a thread in one tab
lowers the bell in the other without a reload."""

from __future__ import annotations

import pytest

from notifications import actions as notification_actions
from notifications.models import Notification
from tests.browser.test_threads import a_question
from tests.threads.conftest import colleague
from threads import actions

pytestmark = pytest.mark.browser


def test_reading_a_thread_in_one_tab_lowers_the_bell_in_the_other(
    asgi_live_server,
    new_context,
    log_in,
    member,
    colleague,
):
    from playwright.sync_api import expect

    thread, _reply = a_question(member, colleague)
    for text in ("Tweede reactie", "Derde reactie"):
        actions.reply_to_thread(author=colleague, thread=thread, body=text)
    [group] = Notification.objects.filter(recipient=member, thread=thread)
    assert (group.kind, group.count, group.read_at) == ("replied", 3, None)
    for other in Notification.objects.filter(recipient=member, read_at__isnull=True).exclude(pk=group.pk):
        notification_actions.mark_notification_read(member=member, notification=other)

    context = new_context()
    home = context.new_page()
    log_in(home, member)
    home.goto("/")
    home.wait_for_timeout(800)  # the socket connects
    expect(home.locator("[data-bell-number]")).to_have_text("1")

    reading = context.new_page()
    reading.goto(f"/t/{thread.pk}/?page=1")
    expect(reading.locator("#post-4")).to_be_visible()

    expect(home.locator("[data-bell-number]")).to_have_text("0")
    expect(home.locator("[data-bell-count]")).to_be_hidden()
    assert Notification.objects.get(pk=group.pk).read_at is not None
