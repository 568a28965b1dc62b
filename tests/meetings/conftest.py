"""Meetings: a webinar organised by the programme team, members who register for it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.meetings import actions
from community.models import Municipality, Typology
from tests.conftest import approved_member
from tests.threads.conftest import colleague, outsider, themes

JOIN_URL = "https://webinar.example.nl/j/123-geheim"


@pytest.fixture(autouse=True)
def _votes_at_once(settings):
    """Votes go out on commit, not in a timed batch, so tests see them at once."""
    settings.MEETING_VOTE_WINDOW = 0


def make_meeting(organiser, **fields):
    start = timezone.now() + timedelta(days=3)
    values = {
        "title": "Webinar arbeidsmigratie", "description": "Hoe regel je huisvesting?", "kind": "online",
        "starts_at": start, "ends_at": start + timedelta(hours=2), "join_url": JOIN_URL, "themes": ["wonen"],
    }  # fmt: skip
    values.update(fields)
    return actions.create_meeting(actor=organiser, **values)


@pytest.fixture
def webinar(staff, themes):
    return make_meeting(staff)


@pytest.fixture
def small_meeting(staff, themes):
    """A bijeenkomst in Amersfoort with two seats."""
    start = timezone.now() + timedelta(days=5)
    return actions.create_meeting(
        actor=staff, title="Bijeenkomst Amersfoort", description="Over samenleven.", kind="location",
        address="Stadhuisplein 1, Amersfoort", starts_at=start, ends_at=start + timedelta(hours=3), capacity=2,
        themes=["wonen"], typologies=[Typology.objects.get(slug="g4")],
    )  # fmt: skip


@pytest.fixture
def pieter(municipality, staff):
    return approved_member(municipality, name="Pieter Jansen", handle="pieter")


@pytest.fixture
def noor(dutch_data, staff):
    return approved_member(Municipality.objects.get(code="GM0344"), name="Noor Hendriks", handle="noor")
