"""Suspending a member until a day, with a reason; lifting it; the suspension running out."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from community import actions
from community.errors import DomainError
from community.models import Member, ModerationLogEntry
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def suspend_through_the_page(client, handle: str, days: int = 7, reason: str = "Herhaaldelijk reclame geplaatst."):
    until = timezone.localdate() + timedelta(days=days)
    return client.post(reverse("suspend_member", args=[handle]), {"until": until.isoformat(), "reason": reason}), until


def test_an_ambassador_suspends_a_member_of_their_province_who_is_told_why_and_until_when(
    client, login, member, ambassador, django_capture_on_commit_callbacks
):
    login(ambassador)
    with django_capture_on_commit_callbacks(execute=True):
        response, day = suspend_through_the_page(client, member.handle)
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_suspended and not member.is_participant
    assert member.suspended_until == timezone.make_aware(datetime.combine(day, time.min))
    assert member.status_reason == "Herhaaldelijk reclame geplaatst."
    [message] = [m for m in mail.outbox if member.email in m.to[0]]
    assert "Herhaaldelijk reclame geplaatst." in message.body and str(day.day) in message.body
    assert Notification.objects.get(recipient=member, kind="suspended").detail == "Herhaaldelijk reclame geplaatst."
    entry = ModerationLogEntry.objects.get(action="suspend_member")
    assert (entry.actor, entry.target_member, entry.group.slug, entry.reason) == (
        ambassador,
        member,
        "zuid-holland",
        member.status_reason,
    )
    # She can log in, but sees only her account pages, with the reason and the end.
    login(member)
    assert client.get(reverse("groups")).url == reverse("account_status")
    body = client.get(reverse("account_status")).content.decode()
    assert "Herhaaldelijk reclame geplaatst." in body and str(day.year) in body
    assert client.get(reverse("privacy")).status_code == 200


def test_a_suspension_runs_out_by_itself(client, login, member, ambassador, monkeypatch):
    actions.suspend_member(
        actor=ambassador, member=member, until=timezone.now() + timedelta(days=2), reason="Even afkoelen."
    )
    login(Member.objects.get(pk=member.pk))
    assert client.get(reverse("groups")).status_code == 302
    later = timezone.now() + timedelta(days=2, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    suspended = Member.objects.get(pk=member.pk)
    assert suspended.status == "suspended" and not suspended.is_suspended and suspended.is_participant
    assert client.get(reverse("groups")).status_code == 200
    assert not Member.objects.suspended_now().filter(pk=member.pk).exists()


def test_lifting_a_suspension_lets_the_member_in_again(client, login, member, ambassador):
    actions.suspend_member(
        actor=ambassador, member=member, until=timezone.now() + timedelta(days=2), reason="Even afkoelen."
    )
    login(ambassador)
    assert member.name in client.get(reverse("moderation") + "?queue=suspended").content.decode()
    response = client.post(reverse("lift_suspension", args=[member.handle]), {"reason": "Excuses aangeboden."})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.status, member.suspended_until, member.status_reason) == ("active", None, "")
    assert ModerationLogEntry.objects.filter(action="lift_suspension", reason="Excuses aangeboden.").exists()
    with pytest.raises(DomainError):
        actions.lift_suspension(actor=ambassador, member=member)


def test_a_suspension_needs_a_reason_and_a_day_after_today(client, login, member, ambassador):
    login(ambassador)
    response, _day = suspend_through_the_page(client, member.handle, days=0)
    assert response.status_code == 200 and response.context["form"].errors["until"]
    response, _day = suspend_through_the_page(client, member.handle, reason="")
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    assert Member.objects.get(pk=member.pk).status == "active"
    with pytest.raises(DomainError):
        actions.suspend_member(
            actor=ambassador, member=member, until=timezone.now() - timedelta(hours=1), reason="Te laat"
        )


def test_nobody_suspends_the_programme_team_themselves_or_a_sign_up(client, login, ambassador, staff, pending_member):
    login(staff)
    assert suspend_through_the_page(client, staff.handle)[0].status_code == 404
    assert suspend_through_the_page(client, pending_member.handle)[0].status_code == 404
    login(ambassador)
    assert suspend_through_the_page(client, ambassador.handle)[0].status_code == 404
    with pytest.raises(DomainError):
        actions.suspend_member(actor=ambassador, member=staff, until=timezone.now() + timedelta(days=1), reason="Nee")


def test_the_profile_offers_suspension_to_those_who_may(client, login, member, ambassador, flevoland_ambassador):
    login(ambassador)
    assert (
        reverse("suspend_member", args=[member.handle])
        in client.get(reverse("member", args=[member.handle])).content.decode()
    )
    login(flevoland_ambassador)
    assert (
        reverse("suspend_member", args=[member.handle])
        not in client.get(reverse("member", args=[member.handle])).content.decode()
    )
