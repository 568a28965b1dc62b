"""A member's state has two words, each one rule in Python and in SQL: *approved* (listed,
with a profile: active or suspended) and *participating* (may take part now: active, or
a suspension that ran out). For every combination of status, suspension and deactivation,
the property and the queryset agree."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import Member
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_the_python_and_sql_forms_of_approved_and_participating_agree(municipality):
    now = timezone.now()
    members = []
    for number, (status, until, active) in enumerate(
        itertools.product(
            [choice for choice, _label in Member.Status.choices],
            [None, now - timedelta(days=1), now + timedelta(days=1)],
            [True, False],
        )
    ):
        if status == Member.Status.SUSPENDED and until is None:
            continue  # a suspension always has an end (a database constraint)
        members.append(
            MemberFactory(
                handle=f"staat{number}",
                municipality=municipality,
                status=status,
                suspended_until=until,
                is_active=active,
            )
        )
    ids = [member.pk for member in members]
    approved = set(Member.objects.filter(pk__in=ids).approved().values_list("pk", flat=True))
    participating = set(Member.objects.filter(pk__in=ids).participating().values_list("pk", flat=True))
    for member in Member.objects.filter(pk__in=ids):
        assert member.is_approved == (member.pk in approved), (member.status, member.suspended_until, member.is_active)
        assert member.is_participant == (member.pk in participating), (
            member.status,
            member.suspended_until,
            member.is_active,
        )
    assert participating < approved and participating  # a suspension running now: approved, not participating
