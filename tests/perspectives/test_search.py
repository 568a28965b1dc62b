"""Handelingsperspectieven in search: their own section on the search page, Dutch
full-text search on PostgreSQL (stemming, synonyms), a simpler search elsewhere."""

from __future__ import annotations

import pytest
from django.utils import translation

from community.models import Group, Municipality
from tests.needs import need_postgres
from tests.perspectives.conftest import draft_perspective, publish
from threads.models import Synonym, Theme
from threads.perspectives import actions
from threads.perspectives.search import search_perspectives
from threads.search import Filters

pytestmark = pytest.mark.django_db


@pytest.fixture
def labour(ambassador, flevoland_ambassador, dutch_data, themes):
    """A published perspective about registering labour migrants, for horticulture municipalities."""
    perspective = draft_perspective(
        ambassador,
        title="Arbeidsmigranten inschrijven in de BRP",
        summary="Hoe gemeenten zorgen dat elke arbeidsmigrant op het goede adres staat.",
        situation="Uitzendbureaus huisvesten veel mensen op één adres.",
        typologies=[Municipality.objects.get(code="GM1783").typologies.get(slug="tuinbouwgemeenten")],
        themes=[Theme.objects.get(slug="arbeidsmigratie")],
    )
    publish(perspective, writer=ambassador, reviewer=flevoland_ambassador)
    return perspective


def titles(member, text, **filters) -> list[str]:
    return [
        hit.perspective.current_version.title
        for hit in search_perspectives(member=member, text=text, filters=Filters(**filters))
    ]


def test_the_search_page_has_a_section_for_perspectives(client, login, member, labour, published_perspective):
    login(member)
    body = client.get("/search/?q=brp").content.decode()
    assert "Handelingsperspectief (1)" in body
    assert f'href="{labour.get_absolute_url()}"' in body and "<mark>BRP</mark>" in body
    assert published_perspective.get_absolute_url() not in body
    # The section belongs to the first page of results.
    assert "Handelingsperspectief (" not in client.get("/search/?q=brp&page=2").content.decode()


def test_drafts_and_superseded_perspectives_are_not_found(member, labour, ambassador, flevoland_ambassador, expat):
    draft_perspective(ambassador, title="Uitzendbureaus: het concept", typologies=[expat])
    assert titles(member, "uitzendbureaus") == ["Arbeidsmigranten inschrijven in de BRP"]
    successor = draft_perspective(flevoland_ambassador, title="Uitzendbureaus en de BRP, herzien", typologies=[expat])
    publish(successor, writer=flevoland_ambassador, reviewer=ambassador)
    actions.supersede_perspective(actor=ambassador, perspective=labour, successor=successor)
    assert titles(member, "uitzendbureaus") == ["Uitzendbureaus en de BRP, herzien"]


def test_a_quote_from_a_closed_group_never_makes_a_perspective_turn_up(outsider, member, published_perspective):
    # "zestig" is only in Fatima's post in Zuid-Holland's regional group, quoted as an example.
    assert titles(outsider, "zestig") == [] and titles(member, "zestig") == []
    assert titles(outsider, "expats") == ["Expats wegwijs maken in de gemeente"]


def test_filters_that_describe_posts_leave_no_perspectives_and_the_others_narrow(member, labour, published_perspective):
    assert sorted(titles(member, "gemeenten")) == [
        "Arbeidsmigranten inschrijven in de BRP",
        "Expats wegwijs maken in de gemeente",
    ]
    assert titles(member, "gemeenten", kind="question") == []
    assert titles(member, "gemeenten", theme=Theme.objects.get(slug="taal")) == ["Expats wegwijs maken in de gemeente"]
    assert titles(member, "gemeenten", group=Group.objects.get(slug="tuinbouwgemeenten")) == [
        "Arbeidsmigranten inschrijven in de BRP"
    ]
    assert titles(member, "gemeenten", group=Group.objects.get(slug="het-plein")) == []


def test_visitors_find_nothing(client, labour):
    from django.contrib.auth.models import AnonymousUser

    assert search_perspectives(member=AnonymousUser(), text="uitzendbureaus") == []


def test_stemming_finds_other_forms_of_a_word(member, labour):
    need_postgres()
    # "arbeidsmigranten" in the title, "arbeidsmigrant" in the summary: both forms find it.
    assert titles(member, "arbeidsmigrant") == ["Arbeidsmigranten inschrijven in de BRP"]
    assert titles(member, "huisvest") == ["Arbeidsmigranten inschrijven in de BRP"]  # "huisvesten"


def test_synonyms_widen_the_search_for_perspectives_too(member, labour):
    need_postgres()
    assert titles(member, "woonadres") == []
    Synonym.objects.create(term="woonadres", synonyms="adres", mutual=True)
    assert titles(member, "woonadres") == ["Arbeidsmigranten inschrijven in de BRP"]


def test_a_title_match_ranks_first(member, labour, ambassador, flevoland_ambassador, expat):
    need_postgres()
    other = draft_perspective(
        ambassador, title="Taal en werk", summary="Ook arbeidsmigranten leren Nederlands.", typologies=[expat]
    )
    publish(other, writer=ambassador, reviewer=flevoland_ambassador)
    with translation.override("nl"):
        assert titles(member, "arbeidsmigranten") == ["Arbeidsmigranten inschrijven in de BRP", "Taal en werk"]
