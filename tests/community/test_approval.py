"""Sign-up decisions: who may approve whom, and what approval does."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from community.models import Member, Membership, ModerationLogEntry

pytestmark = pytest.mark.django_db


def test_zuid_holland_ambassador_approves_a_member_from_s_gravenhage(
    login, ambassador, pending_member, django_capture_on_commit_callbacks
):
    client = login(ambassador)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("approve_signup", args=[pending_member.pk]))
    assert response.status_code == 302
    pending_member.refresh_from_db()
    assert pending_member.status == Member.Status.ACTIVE
    assert pending_member.approved_by == ambassador
    groups = set(Membership.objects.filter(member=pending_member).values_list("group__slug", flat=True))
    assert {"het-plein", "zuid-holland", "expatgemeenten", "g4"} <= groups
    assert [m.to for m in mail.outbox] == [[f"{pending_member.name} <{pending_member.email}>"]]
    assert ModerationLogEntry.objects.filter(
        actor=ambassador, target_member=pending_member, action="approve_member"
    ).exists()


def test_zuid_holland_ambassador_cannot_approve_a_member_from_almere(
    login, ambassador, pending_from_almere, django_capture_on_commit_callbacks
):
    client = login(ambassador)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("approve_signup", args=[pending_from_almere.pk]))
    assert response.status_code == 404
    pending_from_almere.refresh_from_db()
    assert pending_from_almere.status == Member.Status.PENDING
    assert not Membership.objects.filter(member=pending_from_almere).exists()
    assert mail.outbox == []
    assert not ModerationLogEntry.objects.filter(target_member=pending_from_almere).exists()
