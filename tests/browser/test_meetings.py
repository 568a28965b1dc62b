"""Meetings in a real browser: the live Q&A between two participants and an organiser, and
axe-core on every meeting page, on a desktop and a phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.meetings import actions
from community.models import Typology
from tests.browser.test_accessibility import PHONE, assert_no_violations
from tests.threads.conftest import colleague, themes

pytestmark = pytest.mark.browser


def a_webinar(staff, *participants):
    start = timezone.now() + timedelta(minutes=30)
    meeting = actions.create_meeting(
        actor=staff, title="Webinar huisvesting", description="Vragen over huisvesting.", kind="online",
        starts_at=start, ends_at=start + timedelta(hours=1), join_url="https://webinar.example.nl/j/1", themes=["wonen"],
        typologies=[Typology.objects.get(slug="g4")],
    )  # fmt: skip
    for member in participants:
        actions.register(member=member, meeting=meeting)
    return meeting


def test_a_question_a_vote_and_now_answering_appear_live_for_the_others(
    asgi_live_server, new_context, log_in, member, colleague, staff, themes
):
    from playwright.sync_api import expect

    meeting = a_webinar(staff, member, colleague)
    pages = {}
    for name, who in (("fatima", member), ("thijs", colleague), ("team", staff)):
        page = new_context().new_page()
        log_in(page, who)
        page.goto(f"/meetings/{meeting.pk}/live/")
        expect(page.locator("[data-live-status]")).to_have_text(
            "Vragen en stemmen verschijnen hier zodra ze binnenkomen.", timeout=15_000
        )
        pages[name] = page
    fatima, thijs, team = pages["fatima"], pages["thijs"], pages["team"]

    fatima.locator("#id_text").fill("Wie betaalt de tolk bij een bewonersavond?")
    fatima.locator(".question-form [type=submit]").click()
    for page in (fatima, thijs, team):
        expect(page.locator(".question-list .question")).to_have_count(1)
        expect(page.locator(".question__text").first).to_have_text("Wie betaalt de tolk bij een bewonersavond?")
    question = meeting.questions.get()
    expect(thijs.locator("[data-meeting-announcer]")).to_contain_text("Nieuwe vraag")

    thijs.locator(f"#question-{question.pk} [data-vote-form] button").click()
    expect(thijs.locator(f"#question-{question.pk} [data-vote-form] button")).to_have_attribute("aria-pressed", "true")
    for page in (fatima, team):
        expect(page.locator(f"[data-votes='{question.pk}']")).to_have_text("1")

    with team.expect_navigation():
        team.locator(f"#question-{question.pk} [data-answering]").click()
    for page in (fatima, thijs):
        expect(page.locator("[data-answering-text]")).to_have_text("Wie betaalt de tolk bij een bewonersavond?")
        expect(page.locator(f"#question-{question.pk} .badge--solved")).to_have_text("nu aan de beurt")
        expect(page.locator("[data-meeting-announcer]")).to_contain_text("Nu aan de beurt")


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_the_meeting_pages_have_no_accessibility_violations(
    asgi_live_server, new_context, log_in, member, colleague, staff, themes, viewport
):
    meeting = a_webinar(staff, member, colleague)
    question = actions.ask_question(
        author=colleague, meeting=meeting, text="Hoe vinden jullie woonruimte?", anonymous=True
    )
    actions.toggle_vote(member=member, question=question)
    options = {"viewport": viewport} if viewport else {}
    page = new_context(**options).new_page()
    log_in(page, member)
    for path in ("/meetings/", f"/meetings/{meeting.pk}/", f"/meetings/{meeting.pk}/live/", "/"):
        assert_no_violations(page, path)
    started = timezone.now() - timedelta(hours=1)
    past = actions.create_meeting(
        actor=staff, title="Bijeenkomst Amersfoort", description="Over samenleven.", kind="location", address="Stadhuisplein 1, Amersfoort",
        starts_at=started, ends_at=started + timedelta(hours=3), themes=["wonen"],
    )  # fmt: skip
    organiser = new_context(**options).new_page()
    log_in(organiser, staff)
    assert_no_violations(organiser, f"/meetings/{past.pk}/report/")
    for path in (
        f"/meetings/{meeting.pk}/",
        f"/meetings/{meeting.pk}/live/",
        "/meetings/new/",
        f"/meetings/{meeting.pk}/edit/",
        f"/meetings/{meeting.pk}/invite/",
        f"/meetings/questions/{question.pk}/hide/",
        f"/meetings/questions/{question.pk}/merge/",
    ):
        assert_no_violations(organiser, path)


def test_after_a_reconnect_the_live_page_catches_up_with_what_it_missed(
    asgi_live_server, new_context, log_in, member, colleague, staff, themes
):
    from playwright.sync_api import expect

    meeting = a_webinar(staff, member, colleague)
    context = new_context()
    page = context.new_page()
    log_in(page, colleague)
    page.goto(f"/meetings/{meeting.pk}/live/")
    expect(page.locator("[data-live-status]")).to_have_text(
        "Vragen en stemmen verschijnen hier zodra ze binnenkomen.", timeout=15_000
    )
    context.set_offline(True)
    page.wait_for_timeout(300)
    actions.ask_question(author=member, meeting=meeting, text="Gesteld terwijl Thijs offline was")
    page.wait_for_timeout(300)
    expect(page.locator(".question-list .question")).to_have_count(0)
    context.set_offline(False)
    expect(page.locator(".question__text")).to_have_text("Gesteld terwijl Thijs offline was", timeout=15_000)


def test_the_live_page_follows_the_meeting_when_its_script_arrives_after_the_socket_is_ready(
    asgi_live_server, new_context, log_in, member, colleague, staff, themes
):
    """A slow server can answer the WebSocket before it serves meetings.js: the page's script
    then starts on a connection that is ready already, and must still follow the meeting."""
    import time

    from playwright.sync_api import expect

    meeting = a_webinar(staff, member, colleague)
    context = new_context()
    page = context.new_page()
    log_in(page, colleague)

    def late(route):
        time.sleep(1.5)  # the socket opens and says it is ready meanwhile
        route.continue_()

    context.route("**/js/meetings*.js", late)
    page.goto(f"/meetings/{meeting.pk}/live/")
    expect(page.locator("[data-live-status]")).to_have_text(
        "Vragen en stemmen verschijnen hier zodra ze binnenkomen.", timeout=10_000
    )
