"""Fixtures for threads: a question in Het Plein with a reply, and the people around it."""

from __future__ import annotations

import pytest

from community.models import Group, Municipality
from tests.conftest import approved_member
from threads import actions
from threads.models import Theme, Thread


@pytest.fixture
def themes(db):
    """The staff-curated themes (the data migration creates them)."""
    return actions.ensure_themes(["wonen", "werk", "taal", "arbeidsmigratie", "statushouders", "participatie"])


@pytest.fixture
def plein(dutch_data) -> Group:
    return Group.objects.get(slug="het-plein")


@pytest.fixture
def colleague(dutch_data, staff):
    """Thijs, wethouder in Westland (Zuid-Holland), approved."""
    return approved_member(
        Municipality.objects.get(code="GM1783"), name="Thijs Willems", handle="thijs", position="wethouder"
    )


@pytest.fixture
def outsider(dutch_data, staff):
    """Iris from Venray (Limburg): not in Zuid-Holland's regional group, and Venray
    shares no typology with 's-Gravenhage."""
    return approved_member(Municipality.objects.get(code="GM0984"), name="Iris Kok", handle="iris")


@pytest.fixture
def question(member, plein, themes) -> Thread:
    """Fatima's question on Het Plein."""
    return actions.create_thread(
        author=member,
        group=plein,
        title="Hoe registreren jullie arbeidsmigranten?",
        kind=Thread.Kind.QUESTION,
        body="Wie heeft een aanpak die **werkt**?",
        themes=[Theme.objects.get(slug="arbeidsmigratie"), Theme.objects.get(slug="wonen")],
    )


@pytest.fixture
def answer(question, colleague):
    return actions.reply_to_thread(author=colleague, thread=question, body="Bij ons met een balie op locatie.")


def make_thread(author, group, *, title="Een onderwerp over taal", kind="experience", posts=0, repliers=()):
    thread = actions.create_thread(
        author=author,
        group=group,
        title=title,
        kind=kind,
        body="Openingsbericht.",
        themes=list(Theme.objects.all()[:2]),
    )
    repliers = list(repliers) or [author]
    for number in range(posts):
        actions.reply_to_thread(author=repliers[number % len(repliers)], thread=thread, body=f"Reactie {number + 2}.")
    return thread
