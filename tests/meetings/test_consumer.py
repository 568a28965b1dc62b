"""The meeting's channel on /ws/: who may join, votes and questions for every participant,
nothing for anyone else, and a member whose registration ends stops hearing. On the
in-memory layer and, when REDIS_URL is set, on Redis."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from community.meetings import actions
from tests.meetings.conftest import JOIN_URL, make_meeting
from tests.notifications.test_consumer import layer
from tests.notifications.test_live_access import open_tab

pytestmark = pytest.mark.django_db(transaction=True)


async def watch(socket, meeting_id: int) -> dict:
    await socket.communicator.send_json_to({"type": "meeting.watch", "meeting": meeting_id})
    return await socket.receive()


async def next_meeting_event(socket, timeout: float = 3) -> dict:
    """The next event of the meeting, skipping personal notifications."""
    while True:
        event = await socket.receive(timeout)
        if event["type"] != "notification.created":
            return event


async def hears_nothing(socket, *forbidden: str) -> None:
    while not await socket.communicator.receive_nothing(timeout=0.5):
        event = await socket.receive()
        assert not event["type"].startswith("meeting."), event
        for text in forbidden:
            assert text not in str(event)


@pytest.fixture
def live_meeting(staff, themes, member, pieter):
    meeting = make_meeting(staff)
    for who in (member, pieter):
        actions.register(member=who, meeting=meeting)
    return meeting


async def test_only_registered_members_and_organisers_join_the_meeting_channel(
    layer, live_meeting, member, staff, colleague
):
    fatima, team, thijs = await open_tab(member), await open_tab(staff), await open_tab(colleague)
    assert await watch(fatima, live_meeting.pk) == {"type": "meeting.watching", "meeting": live_meeting.pk}
    assert await watch(team, live_meeting.pk) == {"type": "meeting.watching", "meeting": live_meeting.pk}
    refusal = await watch(thijs, live_meeting.pk)
    assert refusal["type"] == "error" and refusal["code"] == "forbidden" and refusal["meeting"] == live_meeting.pk
    assert (await watch(thijs, 999999))["code"] == "forbidden"
    await thijs.communicator.send_json_to({"type": "meeting.watch", "meeting": "1; DROP"})
    assert (await thijs.receive())["code"] == "invalid"
    question = await sync_to_async(actions.ask_question)(
        author=member, meeting=live_meeting, text="Wie betaalt de tolk?"
    )
    added = await next_meeting_event(team)
    assert (
        added["type"] == "meeting.question_added"
        and added["question"] == question.pk
        and "Wie betaalt de tolk?" in added["html"]
    )
    await hears_nothing(thijs, "Wie betaalt de tolk?")
    for socket in (fatima, team, thijs):
        await socket.close()


async def test_votes_and_now_answering_reach_every_participant_in_their_language(
    layer, live_meeting, member, pieter, staff
):
    from community.models import Member

    await sync_to_async(Member.objects.filter(pk=pieter.pk).update)(language="en")
    question = await sync_to_async(actions.ask_question)(
        author=member, meeting=live_meeting, text="Hoe vind je tolken?", anonymous=True
    )
    fatima, pieter_tab, team = await open_tab(member), await open_tab(pieter), await open_tab(staff)
    for socket in (fatima, pieter_tab, team):
        await watch(socket, live_meeting.pk)
    await sync_to_async(actions.toggle_vote)(member=pieter, question=question)
    for socket in (fatima, pieter_tab, team):
        assert await next_meeting_event(socket) == {
            "type": "meeting.vote",
            "meeting": live_meeting.pk,
            "votes": [[question.pk, 1]],
        }
    await sync_to_async(actions.start_answering)(actor=staff, question=question)
    dutch, english, organiser = [await next_meeting_event(socket) for socket in (fatima, pieter_tab, team)]
    assert dutch["type"] == english["type"] == "meeting.answering"
    assert "nu aan de beurt" in dutch["html"] and "now answering" in english["html"]
    # Anonymous to the other member, not to the organiser (nor to the asker).
    assert (
        "Fatima el Amrani" not in english["html"]
        and "Fatima el Amrani" in organiser["html"]
        and "Fatima el Amrani" in dutch["html"]
    )
    assert 'aria-pressed="true"' in english["html"]  # Pieter's own vote
    for socket in (fatima, pieter_tab, team):
        await socket.close()


async def test_a_member_whose_registration_ends_stops_receiving(layer, live_meeting, member, pieter, staff):
    fatima, pieter_tab = await open_tab(member), await open_tab(pieter)
    for socket in (fatima, pieter_tab):
        await watch(socket, live_meeting.pk)
    await sync_to_async(actions.cancel_registration)(member=pieter, meeting=live_meeting)
    assert await next_meeting_event(pieter_tab) == {"type": "meeting.unavailable", "meeting": live_meeting.pk}
    await sync_to_async(actions.ask_question)(author=member, meeting=live_meeting, text="Nog een vraag")
    assert (await next_meeting_event(fatima))["type"] == "meeting.question_added"
    await hears_nothing(pieter_tab, "Nog een vraag")
    for socket in (fatima, pieter_tab):
        await socket.close()


async def test_a_socket_that_missed_the_hint_decides_again_on_the_next_event(layer, live_meeting, member, pieter):
    """Events carry the meeting's access version: a socket that decided before a registration
    ended checks again before it forwards anything (here the hint to the member is lost)."""
    from community.meetings.models import Registration

    fatima, pieter_tab = await open_tab(member), await open_tab(pieter)
    for socket in (fatima, pieter_tab):
        await watch(socket, live_meeting.pk)
    # The registration ends behind the actions' back: no hint goes to Pieter's sockets.
    await sync_to_async(Registration.objects.filter(meeting=live_meeting, member=pieter).update)(status="cancelled")
    from django.db.models import F

    from community.meetings.models import Meeting

    await sync_to_async(Meeting.objects.filter(pk=live_meeting.pk).update)(access_version=F("access_version") + 1)
    await sync_to_async(actions.ask_question)(author=member, meeting=live_meeting, text="Geheime vraag")
    assert (await next_meeting_event(fatima))["type"] == "meeting.question_added"
    assert await next_meeting_event(pieter_tab) == {"type": "meeting.unavailable", "meeting": live_meeting.pk}
    await hears_nothing(pieter_tab, "Geheime vraag")
    for socket in (fatima, pieter_tab):
        await socket.close()


async def test_a_new_join_link_reaches_registered_members_only(layer, live_meeting, member, staff, colleague):
    fatima = await open_tab(member)
    await watch(fatima, live_meeting.pk)
    thijs = await open_tab(colleague)
    await watch(thijs, live_meeting.pk)
    new_link = "https://webinar.example.nl/j/nieuw-geheim"
    await sync_to_async(actions.update_meeting)(actor=staff, meeting=live_meeting, join_url=new_link)
    event = await next_meeting_event(fatima)
    assert event == {"type": "meeting.join_link", "meeting": live_meeting.pk, "join_url": new_link}
    await hears_nothing(thijs, new_link, JOIN_URL)
    for socket in (fatima, thijs):
        await socket.close()


async def test_hidden_questions_reach_organisers_and_the_asker_only(layer, live_meeting, member, pieter, staff):
    question = await sync_to_async(actions.ask_question)(author=member, meeting=live_meeting, text="Vraag met naam")
    fatima, pieter_tab, team = await open_tab(member), await open_tab(pieter), await open_tab(staff)
    for socket in (fatima, pieter_tab, team):
        await watch(socket, live_meeting.pk)
    await sync_to_async(actions.hide_question)(actor=staff, question=question, reason="Persoonsgegevens")
    assert await next_meeting_event(pieter_tab) == {
        "type": "meeting.question_removed",
        "meeting": live_meeting.pk,
        "question": question.pk,
    }
    for socket in (fatima, team):
        event = await next_meeting_event(socket)
        assert event["type"] == "meeting.question_hidden" and "Vraag met naam" in event["html"]
    for socket in (fatima, pieter_tab, team):
        await socket.close()


async def test_votes_in_one_window_reach_every_participant_as_one_event_with_all_counts(
    layer, live_meeting, member, pieter, staff, settings
):
    """In a busy webinar a process sends the votes of a meeting together, every
    MEETING_VOTE_WINDOW seconds: each participant still sees every vote (the counts)."""
    settings.MEETING_VOTE_WINDOW = 0.3
    first = await sync_to_async(actions.ask_question)(author=staff, meeting=live_meeting, text="Eerste")
    second = await sync_to_async(actions.ask_question)(author=staff, meeting=live_meeting, text="Tweede")
    fatima, pieter_tab = await open_tab(member), await open_tab(pieter)
    for socket in (fatima, pieter_tab):
        await watch(socket, live_meeting.pk)
    for who, question in ((member, first), (pieter, first), (member, second)):
        await sync_to_async(actions.toggle_vote)(member=who, question=question)
    for socket in (fatima, pieter_tab):
        assert await next_meeting_event(socket) == {
            "type": "meeting.vote",
            "meeting": live_meeting.pk,
            "votes": [[first.pk, 2], [second.pk, 1]],
        }
        assert await socket.communicator.receive_nothing(timeout=0.5)
    for socket in (fatima, pieter_tab):
        await socket.close()
