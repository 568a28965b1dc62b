"""The meeting pages, the calendar file and feed, questions and votes through the views."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from community.meetings import actions
from community.meetings.ics import feed_token
from community.meetings.models import CalendarFeed, Question
from community.models import Group, ModerationLogEntry
from notifications.models import Notification
from tests.meetings.conftest import JOIN_URL, make_meeting

pytestmark = pytest.mark.django_db


def test_the_agenda_lists_coming_and_past_meetings_and_the_personal_feed(client, login, member, webinar, staff, themes):
    past_start = timezone.now() - timedelta(days=10)
    make_meeting(
        staff, title="Bijeenkomst van vorige maand", starts_at=past_start, ends_at=past_start + timedelta(hours=2)
    )
    login(member)
    body = client.get("/meetings/").content.decode()
    assert "Webinar arbeidsmigratie" in body and "Bijeenkomst van vorige maand" in body
    assert feed_token(CalendarFeed.objects.get(member=member)) in body
    assert JOIN_URL not in body


def test_the_join_link_shows_only_to_registered_members_and_organisers(client, login, member, pieter, webinar, staff):
    actions.register(member=pieter, meeting=webinar)
    for who, shown in ((member, False), (pieter, True), (staff, True)):
        login(who)
        body = client.get(f"/meetings/{webinar.pk}/").content.decode()
        assert (JOIN_URL in body) is shown, who
        calendar = client.get(f"/meetings/{webinar.pk}/ics").content.decode()
        assert (JOIN_URL in calendar.replace("\r\n ", "")) is shown, who
    login(member)
    assert client.get(f"/meetings/{webinar.pk}/live/").status_code == 302


def test_the_ics_file_parses_with_the_amsterdam_time_zone_and_a_stable_uid(client, login, member, webinar, staff):
    login(member)
    response = client.get(f"/meetings/{webinar.pk}/ics")
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
    [event] = calendar.walk("VEVENT")
    start = event["DTSTART"]
    assert start.params["TZID"] == "Europe/Amsterdam"
    assert start.dt == webinar.starts_at.replace(microsecond=0) and start.dt.tzinfo.key == "Europe/Amsterdam"
    assert event["DTSTAMP"].dt.tzinfo is not None and event["SEQUENCE"] == 0
    uid = str(event["UID"])
    actions.update_meeting(
        actor=staff,
        meeting=webinar,
        starts_at=webinar.starts_at + timedelta(hours=1),
        ends_at=webinar.ends_at + timedelta(hours=1),
    )
    [again] = Calendar.from_ical(client.get(f"/meetings/{webinar.pk}/ics").content).walk("VEVENT")
    assert str(again["UID"]) == uid and again["SEQUENCE"] == 1
    assert (
        again["DTSTART"].dt.astimezone(ZoneInfo("Europe/Amsterdam")).hour
        == timezone.localtime(webinar.starts_at + timedelta(hours=1)).hour
    )


@pytest.mark.parametrize("month", [1, 7])
def test_the_calendars_time_zone_gives_amsterdams_offset_in_winter_and_summer(
    client, login, member, staff, themes, month
):
    """The VTIMEZONE (yearly rules, as Outlook writes them) read back by icalendar puts the
    meeting at the same moment as the database, in winter and in summer time."""
    from datetime import datetime

    start = timezone.make_aware(datetime(timezone.now().year + 1, month, 15, 14, 0))
    meeting = make_meeting(staff, starts_at=start, ends_at=start + timedelta(hours=2))
    login(member)
    calendar = Calendar.from_ical(client.get(f"/meetings/{meeting.pk}/ics").content)
    [zone] = calendar.walk("VTIMEZONE")
    [rules_daylight] = list(zone.walk("DAYLIGHT"))
    assert dict(rules_daylight["RRULE"]) == {"FREQ": ["YEARLY"], "BYMONTH": [3], "BYDAY": ["-1SU"]}
    tz = zone.to_tz()
    [event] = calendar.walk("VEVENT")
    local = event["DTSTART"].dt.replace(tzinfo=None)
    assert local == datetime(start.year, month, 15, 14, 0)
    assert tz.utcoffset(local) == start.utcoffset() == timedelta(hours=1 if month == 1 else 2)


def test_the_personal_feed_needs_no_login_and_has_the_join_link_only_where_registered(
    client, member, webinar, staff, themes
):
    other = make_meeting(staff, title="Tweede webinar", join_url="https://webinar.example.nl/j/tweede")
    actions.register(member=member, meeting=webinar)
    actions.invite_groups(actor=staff, meeting=other, groups=[Group.objects.get(slug="zuid-holland")])
    token = feed_token(actions.calendar_feed_of(member))
    response = client.get(f"/meetings/feed/{token}.ics")
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    events = {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {"Webinar arbeidsmigratie", "Tweede webinar"}
    text = response.content.decode().replace("\r\n ", "")
    assert JOIN_URL in text and "https://webinar.example.nl/j/tweede" not in text
    assert (
        events["Webinar arbeidsmigratie"]["STATUS"] == "CONFIRMED" and events["Tweede webinar"]["STATUS"] == "TENTATIVE"
    )


def test_a_renewed_feed_token_answers_404_for_the_old_link(client, login, member):
    old = feed_token(actions.calendar_feed_of(member))
    assert client.get(f"/meetings/feed/{old}.ics").status_code == 200
    login(member)
    client.post("/meetings/feed/renew/")
    client.logout()
    assert client.get(f"/meetings/feed/{old}.ics").status_code == 404
    new = feed_token(CalendarFeed.objects.get(member=member))
    assert new != old and client.get(f"/meetings/feed/{new}.ics").status_code == 200
    forged = new[:-3] + ("aaa" if not new.endswith("aaa") else "bbb")
    assert client.get(f"/meetings/feed/{forged}.ics").status_code == 404
    assert client.get("/meetings/feed/nonsense.ics").status_code == 404


def test_register_and_cancel_in_one_click(client, login, member, small_meeting):
    login(member)
    client.post(f"/meetings/{small_meeting.pk}/register/")
    assert small_meeting.registrations.get(member=member).status == "registered"
    client.post(f"/meetings/{small_meeting.pk}/cancel/")
    assert small_meeting.registrations.get(member=member).status == "cancelled"


def test_anonymous_questions_hide_the_name_from_members_but_not_from_organisers(
    client, login, member, pieter, webinar, staff
):
    for who in (member, pieter):
        actions.register(member=who, meeting=webinar)
    login(member)
    client.post(f"/meetings/{webinar.pk}/questions/", {"text": "Hoe betalen jullie de huisvesting?", "anonymous": "on"})
    question = Question.objects.get(meeting=webinar)
    assert question.anonymous and question.author == member
    login(pieter)
    body = client.get(f"/meetings/{webinar.pk}/").content.decode()
    assert "Hoe betalen jullie de huisvesting?" in body and "Fatima el Amrani" not in body
    login(staff)
    assert "Fatima el Amrani" in client.get(f"/meetings/{webinar.pk}/").content.decode()
    export = actions_export(member)
    assert export["meeting_questions"][0]["anonymous"] is True


def actions_export(member):
    from community.privacy import export_personal_data

    return export_personal_data(member)


def test_votes_order_the_questions_and_a_member_votes_once_not_for_their_own(
    client, login, member, pieter, colleague, webinar
):
    for who in (member, pieter, colleague):
        actions.register(member=who, meeting=webinar)
    first = actions.ask_question(author=member, meeting=webinar, text="Eerste vraag")
    second = actions.ask_question(author=member, meeting=webinar, text="Tweede vraag")
    login(pieter)
    response = client.post(f"/meetings/questions/{second.pk}/vote/", HTTP_ACCEPT="application/json")
    assert response.json() == {"question": second.pk, "voted": True, "votes": 1}
    body = client.get(f"/meetings/{webinar.pk}/").content.decode()
    assert body.index("Tweede vraag") < body.index("Eerste vraag")
    assert client.post(f"/meetings/questions/{second.pk}/vote/", HTTP_ACCEPT="application/json").json()["votes"] == 0
    login(member)
    assert client.post(f"/meetings/questions/{first.pk}/vote/", HTTP_ACCEPT="application/json").status_code == 403


def test_organisers_merge_duplicates_and_mark_now_answering(login, client, member, pieter, colleague, webinar, staff):
    for who in (member, pieter, colleague):
        actions.register(member=who, meeting=webinar)
    original = actions.ask_question(author=member, meeting=webinar, text="Hoe vind je woonruimte?")
    duplicate = actions.ask_question(author=pieter, meeting=webinar, text="Waar vind je woonruimte?")
    actions.toggle_vote(member=colleague, question=duplicate)
    login(staff)
    client.post(f"/meetings/questions/{duplicate.pk}/merge/", {"into": original.pk})
    original.refresh_from_db()
    assert original.vote_count == 2  # the duplicate's voter and its asker
    assert Question.objects.get(pk=duplicate.pk).merged_into_id == original.pk
    client.post(f"/meetings/questions/{original.pk}/answering/")
    assert Question.objects.get(pk=original.pk).status == "answering"
    client.post(f"/meetings/questions/{original.pk}/select/")
    assert Question.objects.get(pk=original.pk).status == "answering"  # refused: being answered


def test_hiding_a_question_tells_its_asker_and_is_logged(client, login, member, pieter, webinar, staff):
    for who in (member, pieter):
        actions.register(member=who, meeting=webinar)
    question = actions.ask_question(author=member, meeting=webinar, text="Een vraag met een naam erin")
    login(staff)
    client.post(f"/meetings/questions/{question.pk}/hide/", {"reason": "Persoonsgegevens"})
    assert Question.objects.get(pk=question.pk).hidden
    assert Notification.objects.get(recipient=member, kind="question_hidden").detail == "Persoonsgegevens"
    assert ModerationLogEntry.objects.filter(action="hide_question", target_id=question.pk, actor=staff).exists()
    login(pieter)
    assert "Een vraag met een naam erin" not in client.get(f"/meetings/{webinar.pk}/").content.decode()
    assert client.post(f"/meetings/questions/{question.pk}/vote/").status_code == 404


def test_members_cannot_organise(client, login, member, webinar):
    login(member)
    assert client.get("/meetings/new/").status_code == 403
    assert client.get(f"/meetings/{webinar.pk}/edit/").status_code == 403
    assert client.post(f"/meetings/{webinar.pk}/invite/").status_code == 403


def test_an_ambassador_creates_a_meeting_through_the_form(client, login, ambassador, themes):
    login(ambassador)
    response = client.post(
        "/meetings/new/",
        {
            "title": "Regiobijeenkomst Zuid-Holland", "description": "Samen verder.", "kind": "hybrid",
            "starts_at": "2031-03-05T14:00", "ends_at": "2031-03-05T16:30", "address": "Markt 87, Delft",
            "join_url": "https://webinar.example.nl/j/zh", "themes": ["wonen"],
        },
    )  # fmt: skip
    from community.meetings.models import Meeting

    meeting = Meeting.objects.get(title="Regiobijeenkomst Zuid-Holland")
    assert response.status_code == 302 and response["Location"] == reverse("meeting_invite", args=[meeting.pk])
    assert timezone.localtime(meeting.starts_at).hour == 14 and ambassador.pk in meeting.organiser_ids


def test_the_meeting_page_costs_the_same_number_of_queries_with_ten_times_more_questions(
    client, login, member, pieter, webinar
):
    """Guards the question list: one query for the questions with their askers, one for the viewer's votes."""
    from tests.conftest import assert_queries, steady_queries

    for who in (member, pieter):
        actions.register(member=who, meeting=webinar)
    for number in range(3):
        question = actions.ask_question(author=member, meeting=webinar, text=f"Vraag {number}")
        actions.toggle_vote(member=pieter, question=question)
    login(pieter)
    assert_queries(steady_queries(client, f"/meetings/{webinar.pk}/"), 9, "the meeting page with 3 questions")
    for number in range(30):
        question = actions.ask_question(author=member, meeting=webinar, text=f"Meer {number}")
        actions.toggle_vote(member=pieter, question=question)
    assert_queries(steady_queries(client, f"/meetings/{webinar.pk}/"), 9, "the meeting page with 33 questions")
    assert_queries(steady_queries(client, f"/meetings/{webinar.pk}/live/"), 9, "the live page with 33 questions")


def test_the_agenda_costs_the_same_number_of_queries_with_ten_times_more_meetings(client, login, member, staff, themes):
    """Guards the rows: typologies and provinces prefetched for the whole list, the member's
    registrations in one query."""
    from community.models import Region, Typology
    from tests.conftest import steady_queries

    def add(count: int) -> None:
        for number in range(count):
            meeting = make_meeting(
                staff,
                title=f"Webinar nummer {number}",
                typologies=[Typology.objects.get(slug="g4")],
                regions=[Region.objects.get(slug="utrecht")],
            )
            actions.register(member=member, meeting=meeting)

    add(2)
    login(member)
    few = len(steady_queries(client, "/meetings/"))
    add(20)
    assert len(steady_queries(client, "/meetings/")) == few
