"""Fixtures for handelingsperspectieven: editors, threads to cite, and perspectives at
each step of their life (made through the actions, as everywhere)."""

from __future__ import annotations

import pytest

from community.models import Group, Typology
from tests.threads.conftest import answer, colleague, outsider, plein, question, themes
from threads import actions as thread_actions
from threads.models import Theme, Thread
from threads.perspectives import actions
from threads.perspectives.models import Perspective


@pytest.fixture
def expat(dutch_data) -> Typology:
    return Typology.objects.get(slug="expatgemeenten")


@pytest.fixture
def solved(question, answer, member):
    """Fatima's question on Het Plein (open to every member), answered by Thijs from Westland."""
    thread_actions.accept_answer(actor=member, thread=question, post=answer)
    question.refresh_from_db()
    return question


@pytest.fixture
def regional(member, colleague, themes):
    """An experience in Zuid-Holland's regional group, readable by its members only."""
    thread = thread_actions.create_thread(
        author=member,
        group=Group.objects.get(slug="zuid-holland"),
        title="Ervaring met een inschrijfbalie op locatie",
        kind=Thread.Kind.EXPERIENCE,
        body="Onze balie bij de huisvesting werkt: **zestig** inschrijvingen per week.",
        themes=[Theme.objects.get(slug="wonen")],
    )
    thread_actions.reply_to_thread(author=colleague, thread=thread, body="Bij ons in Westland geheim recept: koffie.")
    return thread


def draft_perspective(
    editor, *, title="Expats wegwijs maken in de gemeente", typologies=(), themes=(), **fields
) -> Perspective:
    return actions.create_perspective(
        actor=editor,
        title=title,
        summary=fields.pop("summary", "Hoe gemeenten expats informeren zonder het Nederlands los te laten."),
        situation=fields.pop("situation", "Veel expats, weinig kennis van **lokale** regels."),
        dilemmas=fields.pop("dilemmas", "Alles vertalen of juist Nederlands stimuleren?"),
        options=fields.pop("options", "### Vertalen wat nodig is\nSnel, maar kost geld."),
        typologies=list(typologies),
        themes=list(themes),
    )


def publish(perspective: Perspective, *, writer, reviewer):
    """Send for review (by ``writer``) and publish (by ``reviewer``): the published version."""
    actions.submit_perspective(actor=writer, perspective=perspective)
    return actions.publish_perspective(actor=reviewer, perspective=perspective)


@pytest.fixture
def perspective(ambassador, expat, themes):
    """Samira's draft for expat municipalities."""
    return draft_perspective(ambassador, typologies=[expat], themes=[Theme.objects.get(slug="taal")])


@pytest.fixture
def published_perspective(perspective, ambassador, flevoland_ambassador, solved, regional, answer):
    """Samira's perspective with two examples (Thijs's answer on Het Plein, Fatima's post in
    the regional group) and a source, reviewed and published by Esther."""
    actions.cite_post(
        actor=ambassador, perspective=perspective, post=answer, name_consent=True, note="Werkt in de praktijk."
    )
    actions.cite_post(actor=ambassador, perspective=perspective, post=regional.posts.get(number=1))
    actions.add_source(
        actor=ambassador,
        perspective=perspective,
        title="Staat van de expat",
        publisher="Ministerie van BZK",
        year=2024,
        url="https://example.org/expat",
    )
    publish(perspective, writer=ambassador, reviewer=flevoland_ambassador)
    perspective.refresh_from_db()
    return perspective
