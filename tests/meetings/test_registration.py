"""Registration, the waiting list, invitations and reminders."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone, translation

from community.errors import DomainError
from community.meetings import actions
from community.meetings.actions import registrations
from community.meetings.models import Invitation, Meeting, Registration, Reminder
from community.models import Group
from notifications.email.rendering import render_rows
from notifications.models import Notification, OutboxMessage
from tests.meetings.conftest import JOIN_URL, make_meeting
from tests.needs import need_postgres

pytestmark = pytest.mark.django_db


def rendered(message: OutboxMessage) -> tuple[str, str]:
    """The text and HTML the worker will send (notification e-mail is rendered when due)."""
    _subject, text, html, _headers = render_rows([message])[message.pk]
    return text, html


def test_members_take_the_seats_and_the_next_one_goes_on_the_waiting_list(small_meeting, member, pieter, colleague):
    assert actions.register(member=member, meeting=small_meeting).status == "registered"
    assert actions.register(member=pieter, meeting=small_meeting).status == "registered"
    third = actions.register(member=colleague, meeting=small_meeting)
    assert third.status == "waiting"
    small_meeting.refresh_from_db()
    assert (small_meeting.registered_count, small_meeting.waiting_count) == (2, 1)
    with pytest.raises(DomainError):
        actions.register(member=member, meeting=small_meeting)


def test_cancelling_gives_the_seat_to_the_first_on_the_waiting_list_who_is_told(
    small_meeting, member, pieter, colleague, outsider, published
):
    for who in (member, pieter, colleague, outsider):
        actions.register(member=who, meeting=small_meeting)
    actions.cancel_registration(member=member, meeting=small_meeting)
    statuses = dict(Registration.objects.filter(meeting=small_meeting).values_list("member_id", "status"))
    assert statuses == {
        member.pk: "cancelled",
        pieter.pk: "registered",
        colleague.pk: "registered",
        outsider.pk: "waiting",
    }
    small_meeting.refresh_from_db()
    assert (small_meeting.registered_count, small_meeting.waiting_count) == (2, 1)
    told = Notification.objects.get(recipient=colleague, kind="meeting_seat")
    assert told.meeting_id == small_meeting.pk and "Bijeenkomst Amersfoort" in told.title
    assert not Notification.objects.filter(recipient=outsider, kind="meeting_seat").exists()
    # The freed seat's e-mail (immediately by default).
    message = OutboxMessage.objects.get(recipient=colleague, kind="meeting_seat")
    assert "Stadhuisplein 1, Amersfoort" in rendered(message)[0]


def test_more_seats_move_the_waiting_list_up(small_meeting, staff, member, pieter, colleague, outsider):
    for who in (member, pieter, colleague, outsider):
        actions.register(member=who, meeting=small_meeting)
    actions.update_meeting(actor=staff, meeting=small_meeting, capacity=3)
    assert Registration.objects.get(meeting=small_meeting, member=colleague).status == "registered"
    assert Registration.objects.get(meeting=small_meeting, member=outsider).status == "waiting"


def test_registration_closes_at_the_deadline(staff, member, themes):
    meeting = make_meeting(staff, registration_deadline=timezone.now() + timedelta(minutes=1))
    Meeting.objects.filter(pk=meeting.pk).update(registration_deadline=timezone.now() - timedelta(minutes=1))
    meeting.refresh_from_db()
    with pytest.raises(DomainError):
        actions.register(member=member, meeting=meeting)


def test_a_change_of_time_moves_the_calendar_sequence_and_nothing_else_does(webinar, staff):
    actions.update_meeting(actor=staff, meeting=webinar, capacity=10)
    webinar.refresh_from_db()
    assert webinar.sequence == 0
    actions.update_meeting(
        actor=staff,
        meeting=webinar,
        starts_at=webinar.starts_at + timedelta(hours=1),
        ends_at=webinar.ends_at + timedelta(hours=1),
    )
    webinar.refresh_from_db()
    assert webinar.sequence == 1


def test_bad_details_are_refused_with_a_clear_error(staff, themes):
    translation.activate("en")
    with pytest.raises(DomainError, match="end after it starts"):
        make_meeting(staff, ends_at=timezone.now())
    with pytest.raises(DomainError, match="address"):
        make_meeting(staff, kind="location", address="")
    with pytest.raises(DomainError, match="themes"):
        make_meeting(staff, themes=[])


def test_inviting_a_group_tells_each_member_once_without_the_join_link(webinar, staff, member, pieter, outsider):
    zuid_holland = Group.objects.get(slug="zuid-holland")
    invited = actions.invite_groups(actor=staff, meeting=webinar, groups=[zuid_holland])
    assert {member.pk, pieter.pk} <= invited and outsider.pk not in invited
    again = actions.invite_groups(actor=staff, meeting=webinar, groups=[zuid_holland, Group.objects.get(slug="g4")])
    assert member.pk not in again and pieter.pk not in again
    assert Notification.objects.filter(recipient=member, kind="meeting_invited").count() == 1
    messages = OutboxMessage.objects.filter(recipient=member, kind="meeting_invited")
    assert messages.count() == 1
    text, html = rendered(messages[0])
    assert webinar.title in text, "the invitation is rendered"
    assert JOIN_URL not in text and JOIN_URL not in html
    assert Invitation.objects.filter(meeting=webinar).count() == len(invited | again)


def test_the_day_before_reminder_reaches_each_registered_member_once_with_the_join_link(staff, member, pieter, themes):
    tomorrow = timezone.now() + timedelta(hours=20)
    meeting = make_meeting(staff, starts_at=tomorrow, ends_at=tomorrow + timedelta(hours=1))
    later = make_meeting(
        staff,
        title="Later webinar",
        starts_at=tomorrow + timedelta(days=5),
        ends_at=tomorrow + timedelta(days=5, hours=1),
    )
    actions.register(member=member, meeting=meeting)
    actions.register(member=pieter, meeting=meeting)
    actions.cancel_registration(member=pieter, meeting=meeting)
    actions.register(member=member, meeting=later)
    assert actions.send_reminders() == 1
    assert actions.send_reminders() == 0
    assert list(Reminder.objects.values_list("meeting_id", "member_id")) == [(meeting.pk, member.pk)]
    message = OutboxMessage.objects.get(recipient=member, kind="meeting_reminder")
    assert JOIN_URL in rendered(message)[0]
    assert not OutboxMessage.objects.filter(recipient=pieter, kind="meeting_reminder").exists()


def test_the_reminder_command_reports_what_it_sent(staff, member, themes):
    from io import StringIO

    from django.core.management import call_command

    soon = timezone.now() + timedelta(hours=3)
    meeting = make_meeting(staff, starts_at=soon, ends_at=soon + timedelta(hours=1))
    actions.register(member=member, meeting=meeting)
    out = StringIO()
    call_command("send_meeting_reminders", stdout=out)
    call_command("send_meeting_reminders", stdout=out)
    assert out.getvalue().splitlines() == ["Meeting reminders: 1 sent.", "Meeting reminders: 0 sent."]


@pytest.mark.django_db(transaction=True)
def test_two_members_asking_for_the_last_seat_at_once_get_one_seat_and_one_waiting_place(
    small_meeting, member, pieter, colleague
):
    """On PostgreSQL: both transactions run at the same moment; the lock on the meeting's row
    (select_for_update) makes the second wait and then find the meeting full."""
    need_postgres()
    actions.register(member=member, meeting=small_meeting)
    barrier = threading.Barrier(2)
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def take_seat(who) -> None:
        try:
            barrier.wait(timeout=10)
            results[who.pk] = actions.register(member=who, meeting=Meeting.objects.get(pk=small_meeting.pk)).status
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=take_seat, args=(who,)) for who in (pieter, colleague)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert sorted(results.values()) == ["registered", "waiting"]
    small_meeting.refresh_from_db()
    assert (small_meeting.registered_count, small_meeting.waiting_count) == (2, 1)
    assert Registration.objects.filter(meeting=small_meeting, status="registered").count() == 2


@pytest.mark.django_db(transaction=True)
def test_without_the_row_lock_both_would_get_the_last_seat(small_meeting, member, pieter, colleague, monkeypatch):
    """The control for the test above: with the lock taken away the race is lost (PostgreSQL)."""
    need_postgres()
    actions.register(member=member, meeting=small_meeting)
    both_read = threading.Barrier(2)

    def read_without_lock(meeting):
        # Both registrations read the meeting before either writes: the interleaving the
        # row lock prevents, made certain rather than left to the scheduler.
        found = Meeting.objects.get(pk=meeting.pk)
        both_read.wait(timeout=10)
        return found

    monkeypatch.setattr(registrations, "_lock", read_without_lock)
    barrier = threading.Barrier(2)
    results: dict[int, str] = {}

    def take_seat(who) -> None:
        try:
            barrier.wait(timeout=10)
            results[who.pk] = actions.register(member=who, meeting=Meeting.objects.get(pk=small_meeting.pk)).status
        finally:
            connection.close()

    threads = [threading.Thread(target=take_seat, args=(who,)) for who in (pieter, colleague)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results.values()) == ["registered", "registered"]


def test_a_deleted_account_gives_up_its_seat_to_the_waiting_list_and_its_feed(small_meeting, member, pieter, colleague):
    from community.actions import delete_account
    from community.meetings.models import CalendarFeed

    for who in (member, pieter, colleague):
        actions.register(member=who, meeting=small_meeting)
    actions.calendar_feed_of(member)
    delete_account(member=member)
    assert Registration.objects.get(meeting=small_meeting, member=member).status == "cancelled"
    assert Registration.objects.get(meeting=small_meeting, member=colleague).status == "registered"
    assert not CalendarFeed.objects.filter(member=member).exists()
