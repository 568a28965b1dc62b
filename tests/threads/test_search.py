"""Search (SPEC F3, /search/?q=): what it finds, in what order, with which snippets,
for whom, with which filters, what odd input does, and what a page costs.

Data is written through the actions, so the PostgreSQL triggers that keep the
search vectors current are the ones production relies on. Tests of the
full-text search call need_postgres(); tests of the simpler search elsewhere
skip on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community import actions as community_actions
from community.models import Group, Municipality
from tests.conftest import approved_member, assert_queries
from tests.needs import need_postgres
from threads import actions
from threads.models import Post, Synonym, Theme, Thread
from threads.search import Filters, SynonymIndex, parse_query, search_posts
from threads.search.engine import CANDIDATES

pytestmark = pytest.mark.django_db


def need_fallback() -> None:
    if connection.vendor == "postgresql":
        pytest.skip("SQLite fallback")


def start(author, group, title, body="Openingsbericht.", *, kind="experience", themes=("wonen",)) -> Thread:
    return actions.create_thread(
        author=author,
        group=group,
        title=title,
        kind=kind,
        body=body,
        themes=list(Theme.objects.filter(slug__in=themes)),
    )


def found(member, text, **filters) -> list[str]:
    """The titles of the threads with a hit, in order."""
    return [hit.thread.title for hit in search_posts(member=member, text=text, filters=Filters(**filters)).hits]


def page(client, **params):
    response = client.get("/search/", params)
    assert response.status_code == 200
    return response


@pytest.fixture
def english(member):
    """Fatima reads the site in English: assertions on messages do not wait for the translations."""
    community_actions.set_language(member=member, language="en")
    return member


def status_text(response) -> str:
    match = re.search(r'<div class="search-status" role="status">(.*?)</div>', response.content.decode(), re.DOTALL)
    assert match, "no role=status element"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


# --- Parsing what was typed (no database needed for the rules) --------------------------


def test_queries_are_split_into_words_and_phrases_without_operators_or_stop_words():
    query = parse_query('De huisvesting & "internationale studenten" | !(AZC:*) <b>')
    assert [term.typed for term in query.terms] == [("huisvesting",), ("internationale", "studenten"), ("azc",)]
    assert query.problem == ""


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "empty"), ("   ", "empty"), ("de het een", "stop_words"), ("&|!():*<>", "no_words"), ("\"\" ''", "no_words")],
)
def test_queries_with_nothing_to_search_for_say_why(text, problem):
    assert parse_query(text).problem == problem


def test_long_queries_are_cut_at_200_characters_between_words():
    query = parse_query("taal " * 100)
    assert query.shortened and len(query.text) <= 200
    assert [term.typed for term in query.terms] == [("taal",)]
    query = parse_query("arbeidsmigranten " * 20)
    assert query.text.endswith("arbeidsmigranten") and len(query.text) <= 200
    assert len(parse_query("x" * 300).text) == 200


def test_synonyms_expand_a_term_one_way_or_both_ways():
    index = SynonymIndex.build(
        [
            ("statushouder", "vergunninghouder", True),
            ("nieuwkomer", "statushouder, inburgeraar", False),
            ("internationale student", "buitenlandse student", True),
        ]
    )
    assert parse_query("Statushouders", index).terms[0].alternatives == (("statushouders",), ("vergunninghouder",))
    assert parse_query("vergunninghouders", index).terms[0].alternatives == (("vergunninghouders",), ("statushouder",))
    assert parse_query("nieuwkomers", index).terms[0].alternatives == (
        ("nieuwkomers",),
        ("statushouder",),
        ("inburgeraar",),
    )
    assert parse_query("inburgeraar", index).terms[0].alternatives == (("inburgeraar",),)
    phrase = parse_query("internationale studenten huisvesting", index).terms
    assert phrase[0].alternatives == (("internationale", "studenten"), ("buitenlandse", "student"))
    assert phrase[1].typed == ("huisvesting",)


def test_the_starting_list_of_synonyms_is_installed(db):
    terms = {term.lower() for term in Synonym.objects.values_list("term", flat=True)}
    assert {"statushouder", "arbeidsmigrant", "nieuwkomer", "expat", "azc", "nt2"} <= terms
    # The word forms the Dutch stemmer (or the search without PostgreSQL) keeps apart.
    assert {"huisvesten", "inburgeren", "spreiden", "evalueren", "taalles", "sleutelpersoon"} <= terms
    assert 20 <= len(terms) <= 30


def test_or_joins_two_terms_and_a_minus_leaves_one_out():
    query = parse_query('statushouders wonen OR werk -huisvesting -"den haag" anti-discriminatie')
    assert [(term.alternatives, term.excluded) for term in query.terms] == [
        ((("statushouders",),), False),
        ((("wonen",), ("werk",)), False),
        ((("huisvesting",),), True),
        ((("den", "haag"),), True),
        ((("anti-discriminatie",),), False),  # a hyphen inside a word is part of it
    ]
    assert query.alternatives == [("statushouders",), ("wonen",), ("werk",), ("anti-discriminatie",)]
    # An "or" with nothing to join means nothing; "or" in quotes is a word.
    assert [term.typed for term in parse_query("or wonen or").terms] == [("wonen",)]
    assert [term.alternatives for term in parse_query('wonen "or"').terms] == [(("wonen",),), (("or",),)]
    assert [term.alternatives for term in parse_query("wonen or -werk").terms] == [(("wonen",),), (("werk",),)]
    assert parse_query("-wonen -werk").problem == "only_excluded"
    assert not parse_query("-wonen").is_searchable


def test_accents_are_folded_in_queries_and_synonyms():
    index = SynonymIndex.build([("taalcafé", "taalhuis", True)])
    assert parse_query("TAALCAFE", index).terms[0].alternatives == (("taalcafe",), ("taalhuis",))
    assert parse_query("Oekraïners").terms[0].typed == ("oekrainers",)


# --- Search that forgives (both databases) ----------------------------------------------


def marked(html) -> list[str]:
    """The highlighted passages, neighbouring marks joined (PostgreSQL marks word by word)."""
    return re.findall(r"<mark>(.*?)</mark>", re.sub(r"</mark>(\W*)<mark>", r"\1", str(html)))


def test_accents_do_not_count(member, colleague, plein, themes):
    start(member, plein, "Een taalcafé in de bibliotheek", "Elke week.")
    start(colleague, plein, "Ontheemden", "Opvang voor Oekraïners in het dorpshuis.")
    start(colleague, plein, "Zonder accent", "Het taalcafe van de wijk.")
    assert set(found(member, "taalcafe")) == {"Een taalcafé in de bibliotheek", "Zonder accent"}
    assert set(found(member, "taalcafé")) == {"Een taalcafé in de bibliotheek", "Zonder accent"}
    assert found(member, "oekrainers") == ["Ontheemden"]
    hits = search_posts(member=member, text="taalcafe").hits
    assert {marked(hit.title)[0] if marked(hit.title) else marked(hit.snippet)[0] for hit in hits} == {
        "taalcafé",
        "taalcafe",
    }


def test_a_quoted_phrase_highlights_the_phrase_and_no_other_word(member, plein, themes):
    start(
        member,
        plein,
        "Opvang in Den Haag",
        "Ik denk dat Den Haag het goed doet. Wij houden van den bosch en Haag, en van Den Haag.",
    )
    hit = search_posts(member=member, text='"den haag"').hits[0]
    assert marked(hit.title) == ["Den Haag"]
    assert marked(hit.snippet) and set(marked(hit.snippet)) == {"Den Haag"}, hit.snippet
    assert "den bosch en Haag" in str(hit.snippet)  # there, neither word is marked
    # Without quotes: whole words, never "Denk" or "houden".
    hit = search_posts(member=member, text="Den Haag").hits[0]
    assert {word.lower() for word in marked(hit.snippet)} <= {"den haag", "den", "haag"}
    assert "Denk" not in marked(hit.snippet) and "denk" not in marked(hit.snippet)
    assert not any("houden" in passage for passage in marked(hit.snippet))
    # A phrase with stop words: only where it stands whole ("werk" alone stays unmarked).
    start(member, plein, "Aan de slag", "Statushouders aan het werk. Het werk van de gemeente is ander werk.")
    hit = search_posts(member=member, text='"aan het werk"').hits[0]
    assert hit.thread.title == "Aan de slag"
    assert len(marked(hit.snippet)) == 1 and marked(hit.snippet)[0].endswith("werk"), hit.snippet
    assert "gemeente is ander werk." in str(hit.snippet)


def test_a_minus_leaves_out_posts_with_that_word(member, colleague, plein, themes):
    start(member, plein, "Statushouders aan het werk", "Over een baan.")
    start(colleague, plein, "Statushouders en huisvesting", "Over een woning.")
    mixed = start(colleague, plein, "Een wachtlijst", "Opening.")
    actions.reply_to_thread(author=member, thread=mixed, body="Statushouders wachten op huisvesting.")
    assert set(found(member, "statushouders")) == {
        "Statushouders aan het werk",
        "Statushouders en huisvesting",
        "Een wachtlijst",
    }
    assert found(member, "statushouders -huisvesting") == ["Statushouders aan het werk"]
    assert set(found(member, 'statushouders -"aan het werk"')) == {"Een wachtlijst", "Statushouders en huisvesting"}


def test_or_finds_either_word(member, colleague, plein, themes):
    start(member, plein, "Samen wonen", "In een woongroep.")
    start(colleague, plein, "Aan het werk", "Een baan vinden.")
    start(colleague, plein, "Iets anders", "Over taal.")
    assert set(found(member, "wonen or werk")) == {"Samen wonen", "Aan het werk"}
    assert set(found(member, "wonen OR werk")) == {"Samen wonen", "Aan het werk"}
    assert found(member, "wonen werk") == []


def test_huisvesting_finds_huisvesten_and_the_other_way_round(member, colleague, plein, themes):
    start(member, plein, "Seizoenswerk", "Hoe huisvesten jullie seizoenswerkers?")
    start(colleague, plein, "Woonruimte", "Huisvesting voor arbeidsmigranten.")
    assert set(found(member, "huisvesting")) == {"Seizoenswerk", "Woonruimte"}
    assert set(found(member, "huisvesten")) == {"Seizoenswerk", "Woonruimte"}
    assert set(found(member, "spreiding")) == set()
    start(member, plein, "Spreiden", "Wij spreiden de opvang over de wijken.")
    assert found(member, "spreiding") == ["Spreiden"]


def test_the_search_page_explains_quotes_or_and_minus(client, login, english):
    login(english)
    body = page(client, q="").content.decode()
    assert 'aria-describedby="id_q_helptext"' in body
    help_text = re.search(r'<p class="field__help search-help" id="id_q_helptext">(.*?)</p>', body, re.DOTALL)
    assert help_text and "<kbd>wonen or werk</kbd>" in help_text.group(1)
    assert "<kbd>statushouders -huisvesting</kbd>" in help_text.group(1) and "Accents" in help_text.group(1)
    assert "Add a word to look for" in status_text(page(client, q="-huisvesting"))


# --- PostgreSQL full-text search --------------------------------------------------------


def test_stemming_finds_other_forms_of_a_word(member, plein, themes):
    need_postgres()
    start(member, plein, "Inschrijving in de BRP", "Wij registreren iedere arbeidsmigrant bij aankomst.")
    start(member, plein, "Tijdelijke woningen", "Hoe huisvesten jullie seizoenswerkers?")
    assert found(member, "arbeidsmigranten") == ["Inschrijving in de BRP"]
    assert found(member, "huisvesting") == ["Tijdelijke woningen"]


def test_synonyms_from_the_admin_widen_the_search(member, plein, themes):
    need_postgres()
    start(member, plein, "Ervaringen met een buddy", "Elke vergunninghouder krijgt een maatje.")
    start(member, plein, "Inburgering in de praktijk", "Iedere inburgeraar volgt een taalroute.")
    assert found(member, "statushouders") == ["Ervaringen met een buddy"]  # statushouder = vergunninghouder
    assert set(found(member, "nieuwkomers")) == {"Ervaringen met een buddy", "Inburgering in de praktijk"}
    assert found(member, "maatjesproject") == []
    Synonym.objects.create(term="maatjesproject", synonyms="maatje, buddy", mutual=True)
    assert found(member, "maatjesproject") == ["Ervaringen met een buddy"]


def test_a_title_match_ranks_above_a_match_in_the_text(member, colleague, plein, themes):
    need_postgres()
    start(colleague, plein, "Vrijwilligers in de wijk", "Ons taalcafé draait op vrijwilligers.")
    start(member, plein, "Een taalcafé in de bibliotheek", "Wie heeft tips voor de opzet?")
    start(colleague, plein, "Nog een onderwerp", "Wij hebben geen taalcafé maar wel een taalmaatje.")
    assert found(member, "taalcafé")[0] == "Een taalcafé in de bibliotheek"
    assert len(found(member, "taalcafé")) == 3


def test_at_equal_rank_the_accepted_answer_comes_first(member, colleague, plein, themes):
    need_postgres()
    solved = start(member, plein, "Eerste vraag", kind="question")
    answer = actions.reply_to_thread(author=colleague, thread=solved, body="Wij werken met een sleutelpersoon.")
    actions.accept_answer(actor=member, thread=solved, post=answer)
    newer = start(member, plein, "Tweede vraag", kind="question")
    actions.reply_to_thread(author=colleague, thread=newer, body="Wij werken met een sleutelpersoon.")
    hits = search_posts(member=member, text="sleutelpersoon").hits
    assert [hit.thread.title for hit in hits] == ["Eerste vraag", "Tweede vraag"]
    assert hits[0].is_accepted_answer and not hits[1].is_accepted_answer


def test_one_hit_per_thread_linking_to_its_best_post(member, colleague, plein, themes):
    need_postgres()
    thread = start(member, plein, "Seizoenswerk in de kassen")
    for _ in range(3):
        actions.reply_to_thread(author=colleague, thread=thread, body="Onze uitzendbureaus regelen vervoer.")
    best = actions.reply_to_thread(
        author=colleague, thread=thread, body="Uitzendbureaus, uitzendbureaus: de uitzendbureaus zijn de sleutel."
    )
    hits = search_posts(member=member, text="uitzendbureaus").hits
    assert len(hits) == 1 and hits[0].post == best
    assert hits[0].post.get_absolute_url() == f"/t/{thread.pk}/?page=1#post-5"


def test_snippets_highlight_matches_and_escape_everything_else(client, login, member, plein, themes):
    need_postgres()
    start(
        member,
        plein,
        'Het <b>taalcafé</b> & "wij"',
        "Als 3 < 4 & 5 > 2 dan ons 'taalcafé' <script>alert(1)</script> <img src=x onerror=alert(2)>",
    )
    login(member)
    body = page(client, q="taalcafé").content.decode()
    results = body[body.index('class="search-results"') : body.index("</ol>")]
    assert "Het &lt;b&gt;<mark>taalcafé</mark>&lt;/b&gt; &amp; &quot;wij&quot;</a></h2>" in results
    assert "Als 3 &lt; 4 &amp; 5 &gt; 2 dan ons &#x27;<mark>taalcafé</mark>&#x27;" in results
    assert "<script" not in results and "<img" not in results and "<b>" not in results
    assert re.sub(r"</?mark>", "", results).count("<mark") == 0


def test_snippet_markers_in_the_text_are_never_taken_for_highlights(member, plein, themes):
    need_postgres()
    start(member, plein, "Markeringen", "Tekst met hl0000 en lh0000 en </mark> erin over taalles.")
    snippet = str(search_posts(member=member, text="taalles").hits[0].snippet)
    assert snippet.count("<mark>") == snippet.count("</mark>") == 1 and "hl0000 en lh0000" in snippet


def test_edits_and_new_titles_are_searchable_at_once(member, colleague, plein, themes):
    """The triggers keep the vector current: insert, edit of the text, new title."""
    need_postgres()
    thread = start(member, plein, "Een onderwerp over werk", "Iets over de arbeidsmarkt.")
    reply = actions.reply_to_thread(author=colleague, thread=thread, body="Wij doen aan jobcoaching.")
    assert found(member, "jobcoaching") == ["Een onderwerp over werk"]
    actions.edit_post(editor=colleague, post=reply, body="Wij doen aan werkgeversbenadering.")
    assert found(member, "jobcoaching") == []
    assert found(member, "werkgeversbenadering") == ["Een onderwerp over werk"]
    opening = thread.posts.get(number=1)
    actions.edit_post(editor=member, post=opening, body=opening.body, title="Een onderwerp over flexwonen")
    assert found(member, "flexwonen") == ["Een onderwerp over flexwonen"]
    assert found(member, "werk") == []
    Thread.objects.filter(pk=thread.pk).update(title="Iets over huisvesting")  # any writer, not only the actions
    assert found(member, "huisvesting") == ["Iets over huisvesting"]


def test_posts_written_in_bulk_get_their_vector_too(member, plein, themes):
    need_postgres()
    thread = start(member, plein, "Bulk geschreven")
    Post.objects.bulk_create(
        [Post(thread=thread, number=2, author=member, body="x", html="<p>x</p>", text="Over sleutelfiguren.")]
    )
    assert found(member, "sleutelfiguren") == ["Bulk geschreven"]


# --- Who finds what (both databases) -------------------------------------------------------


def test_a_regional_thread_is_found_by_its_members_only(member, colleague, outsider, ambassador, staff, themes):
    zuid_holland = Group.objects.get(slug="zuid-holland")
    start(colleague, zuid_holland, "Regionale taaltafel Haaglanden", "Over de regionale taaltafel.")
    assert found(member, "taaltafel") == ["Regionale taaltafel Haaglanden"]
    assert found(staff, "taaltafel") == ["Regionale taaltafel Haaglanden"]
    assert found(outsider, "taaltafel") == []
    assert search_posts(member=outsider, text="taaltafel").total == 0


def test_hidden_and_deleted_content_is_never_found(client, login, member, colleague, ambassador, staff, plein, themes):
    """Not for the author, not for the group's moderators, not for staff: search is no moderation tool."""
    thread = start(member, plein, "Openbaar onderwerp", "Openbare tekst.")
    hidden = actions.reply_to_thread(
        author=colleague, thread=thread, body="Geheimzinnige woorden in een verborgen bericht."
    )
    actions.hide_post(actor=staff, post=hidden, reason="Spam")
    deleted = actions.reply_to_thread(author=colleague, thread=thread, body="Verwijderde woordenbrij.")
    actions.delete_post(actor=colleague, post=deleted)
    hidden_thread = start(colleague, plein, "Verborgen onderwerp", "Een verborgen kluisje.")
    Thread.objects.filter(pk=hidden_thread.pk).update(hidden=True)  # as a moderator's hiding leaves it
    for person in (member, colleague, ambassador, staff):
        for text in ("geheimzinnige", "woordenbrij", "kluisje", "verborgen onderwerp"):
            result = search_posts(member=person, text=text)
            assert result.hits == [] and result.total == 0, (person, text)
    login(staff)
    body = page(client, q="geheimzinnige").content.decode()
    assert "Geheimzinnige" not in body and "geheimzinnige</mark>" not in body


def test_visitors_and_pending_members_cannot_search(client, login, pending_member, question):
    assert client.get("/search/?q=arbeidsmigranten").status_code == 302
    login(pending_member)
    response = client.get("/search/?q=arbeidsmigranten")
    assert response.status_code == 302 and "Hoe registreren" not in response.content.decode()


# --- Filters (both databases) ---------------------------------------------------------------


@pytest.fixture
def filtered_world(member, colleague, outsider, plein, themes):
    """Three threads about labour migrants, different in every filter:

    - Fatima ('s-Gravenhage, Zuid-Holland): a question on Het Plein (wonen), solved by Thijs;
    - Iris (Venray, Limburg): an experience on Het Plein (taal), a year ago;
    - Thijs (Westland, Zuid-Holland): a dilemma in the typology group Arbeidsmigranten (werk).
    """
    solved = start(member, plein, "Vraag over arbeidsmigranten en wonen", kind="question", themes=("wonen",))
    answer = actions.reply_to_thread(author=colleague, thread=solved, body="Zo doen wij het.")
    actions.accept_answer(actor=member, thread=solved, post=answer)
    old = start(outsider, plein, "Ervaring met arbeidsmigranten en taal", kind="experience", themes=("taal",))
    a_year_ago = timezone.now() - timedelta(days=200)
    Post.objects.filter(thread=old).update(created=a_year_ago)
    Thread.objects.filter(pk=old.pk).update(created=a_year_ago)
    typology = Group.objects.get(slug="arbeidsmigranten")
    start(colleague, typology, "Dilemma over arbeidsmigranten en werk", kind="dilemma", themes=("werk",))
    return {
        "question": "Vraag over arbeidsmigranten en wonen",
        "experience": "Ervaring met arbeidsmigranten en taal",
        "dilemma": "Dilemma over arbeidsmigranten en werk",
    }


def titles_in(client, **params) -> set[str]:
    response = page(client, q="arbeidsmigranten", **params)
    return {hit.thread.title for hit in response.context["page"].hits}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"question", "experience", "dilemma"}),
        ({"group": "arbeidsmigranten"}, {"dilemma"}),
        ({"group": "het-plein"}, {"question", "experience"}),
        ({"theme": "taal"}, {"experience"}),
        ({"kind": "question"}, {"question"}),
        ({"kind": "dilemma"}, {"dilemma"}),
        ({"solved": "yes"}, {"question"}),
        ({"solved": "no"}, set()),
        ({"region": "limburg"}, {"experience"}),
        ({"region": "zuid-holland"}, {"question", "dilemma"}),
        ({"municipality": "GM1783"}, {"dilemma"}),
        ({"author": "@iris"}, {"experience"}),
        ({"author": "Fatima"}, {"question"}),
        ({"period": "month"}, {"question", "dilemma"}),
        ({"period": "year"}, {"question", "experience", "dilemma"}),
        ({"group": "het-plein", "region": "zuid-holland", "period": "week"}, {"question"}),
        ({"kind": "experience", "region": "zuid-holland"}, set()),
    ],
)
def test_every_filter_narrows_the_results_and_they_combine(client, login, member, filtered_world, params, expected):
    login(member)
    assert titles_in(client, **params) == {filtered_world[name] for name in expected}


def test_the_filters_are_in_a_shareable_url_and_shown_in_the_form(client, login, member, filtered_world):
    login(member)
    body = page(client, q="arbeidsmigranten", region="limburg", kind="experience", page="1").content.decode()
    assert '<option value="limburg" selected>' in body
    assert '<option value="experience" selected>' in body
    assert '<details class="search-filters" open>' in body


def test_a_filter_that_does_not_apply_says_so_and_the_search_still_runs(
    client, login, member, outsider, filtered_world
):
    login(outsider)
    response = page(client, q="arbeidsmigranten", group="zuid-holland", author="niemand")
    form = response.context["form"]
    assert "group" in form.errors and "author" in form.errors
    assert "@niemand" in response.content.decode()
    assert len(response.context["page"].hits) == 3


# --- Bad input (both databases) -------------------------------------------------------------

BAD_QUERIES = [
    "",
    "   ",
    "de het een",
    "&|!():*<>",
    "!!! ??? ...",
    '"',
    '"""',
    "'",
    "''",
    '"de"',
    "taal & werk | !wonen",
    "taal:* <-> (werk",
    "((()))",
    "<script>alert(1)</script>",
    "a" * 5000,
    "arbeidsmigranten " * 80,
    "\\",
    "%_%",
    "100%",
    "🙂 émigré ñ ß 中文",
    "'); DROP TABLE threads_post; --",
]


@pytest.mark.parametrize("text", BAD_QUERIES)
def test_odd_queries_never_cause_an_error(client, login, member, filtered_world, text):
    login(member)
    response = page(client, q=text)
    assert status_text(response), f"no message for {text!r}"
    assert Post.objects.count() == 4


def test_empty_and_stop_word_queries_get_a_clear_message(client, login, english, filtered_world):
    login(english)
    assert status_text(page(client, q="")) == "Type one or more words to search for."
    assert "only has very common words" in status_text(page(client, q="de het een"))
    assert "no words to look for" in status_text(page(client, q="&|!():*<>"))
    long = status_text(page(client, q="arbeidsmigranten " * 20))
    assert "only the first 200 characters" in long and "3 results for" in long
    assert page(client, q="de het een").context["page"].hits == []
    assert (
        status_text(page(client, q="onvindbaarwoord")) == "No results for “onvindbaarwoord”. Try other or fewer words."
    )


@pytest.mark.parametrize(
    "params",
    [{"group": "nergens"}, {"author": "niemand"}, {"municipality": "GM9999"}, {"kind": "<b>"}, {"period": "eeuw"}],
)
def test_odd_filter_values_never_cause_an_error(client, login, member, filtered_world, params):
    login(member)
    page(client, q="arbeidsmigranten", **params)


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x\x00y"},
        {"q": "taal", "group": "\x00"},
        {"q": "taal", "author": "\x00"},
        {"q": "taal", "municipality": "GM\x00"},
    ],
)
def test_a_nul_character_in_the_search_is_a_bad_request_that_says_why(client, login, english, filtered_world, params):
    """PostgreSQL text cannot hold NUL; community.middleware.RejectNulMiddleware answers first."""
    login(english)
    response = client.get("/search/", params)
    assert response.status_code == 400
    assert "a character that is not allowed (a NUL character)" in response.content.decode()


@pytest.mark.parametrize("number", ["0", "-1", "abc", "99999999"])
def test_a_page_number_that_cannot_exist_is_a_404(client, login, member, number):
    login(member)
    assert client.get("/search/", {"q": "taal", "page": number}).status_code == 404


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_any_text_gives_a_page(client, login, member, filtered_world, text):
    """Property: whatever is typed, the answer is a page (200), never an error; a NUL
    character, which no keyboard types, gets the page that says it is not allowed (400)."""
    login(member)
    assert client.get("/search/", {"q": text}).status_code == (400 if "\x00" in text else 200)


# --- The page (both databases) ---------------------------------------------------------------


def test_the_header_has_a_labelled_search_box_for_members(client, login, member):
    login(member)
    body = client.get("/latest/").content.decode()
    form = re.search(
        r'<form class="site-search" role="search" action="/search/" method="get"[^>]*>.*?</form>', body, re.DOTALL
    )
    assert form, "no search box in the header"
    assert 'for="site-search-q"' in form.group() and 'id="site-search-q" name="q"' in form.group()


def test_the_results_page_shows_each_hit_accessibly(client, login, english, filtered_world):
    login(english)
    response = page(client, q="arbeidsmigranten", kind="question")
    body = response.content.decode()
    assert status_text(response) == "1 result for “arbeidsmigranten”."
    hit = body[body.index('<ol class="search-results"') : body.index("</ol>")]
    assert hit.count('<li class="search-hit">') == 1
    best = response.context["page"].hits[0].post
    assert best.number == 1 and best.thread.title == filtered_world["question"]
    assert f'<h2 class="search-hit__title"><a href="{best.get_absolute_url()}">' in hit
    assert ">Question<" in hit and ">solved<" in hit and ">Het Plein</a>" in hit
    assert "Fatima el Amrani, &#x27;s-Gravenhage" in hit and "<time datetime=" in hit
    for field in ("q", "group", "theme", "kind", "solved", "region", "municipality", "author", "period"):
        assert f'<label for="id_{field}">' in body, f"{field} has no label"
    assert 'role="search" aria-label="Search threads and posts"' in body


def test_results_are_paged(client, login, english, colleague, plein, themes):
    member = english
    for number in range(23):
        start(colleague if number % 2 else member, plein, f"Onderwerp {number} over participatie")
    login(member)
    first = page(client, q="participatie").context["page"]
    assert len(first.hits) == 20 and first.has_next and not first.has_previous
    body = page(client, q="participatie").content.decode()
    assert 'href="?q=participatie&amp;page=2"' in body
    second = page(client, q="participatie", page="2").context["page"]
    assert len(second.hits) == 3 and not second.has_next
    titles = {hit.thread.title for hit in first.hits} | {hit.thread.title for hit in second.hits}
    assert len(titles) == 23
    beyond = page(client, q="participatie", page="5")
    assert beyond.context["page"].hits == [] and "There are no more results" in status_text(beyond)


def counted(queries: list[dict]) -> list[dict]:
    """The queries of a page, without the session read (its cache may be emptied by others)."""
    return [query for query in queries if "community_session" not in query["sql"]]


#: The results page's queries, exactly, by database and with or without filters.
BUDGETS = {("sqlite", False): 11, ("sqlite", True): 13, ("postgresql", False): 12, ("postgresql", True): 14}


@pytest.mark.parametrize(
    "filters", [{}, {"region": "zuid-holland", "theme": "wonen", "period": "year", "solved": "yes"}]
)
def test_the_results_page_runs_the_same_queries_with_ten_times_more_hits(
    client, login, member, colleague, outsider, plein, themes, filters, monkeypatch
):
    """Guards the N+1s of a hit: thread, group, author, municipality and the accepted
    answer come with the page's posts in one query, snippets in the same query.

    On PostgreSQL a search first looks among the newest posts by id once the newest id is
    over twice ``RECENT``, which the test database's ids reach after enough tests in one
    process; the budget is of one pass over all posts, so that is pinned here (the recent
    window has tests of its own)."""
    from threads.search import engine

    monkeypatch.setattr(engine, "RECENT", 10**12)

    def add(count, people):
        for number in range(count):
            author = people[number % len(people)]
            thread = start(
                author, plein, f"Vraag {number} over participatie", "Hoe werkt participatie?", kind="question"
            )
            replier = colleague if author != colleague else member
            reply = actions.reply_to_thread(author=replier, thread=thread, body="Participatie werkt met inwoners.")
            actions.accept_answer(actor=author, thread=thread, post=reply)

    login(member)
    add(2, [member, colleague, outsider])
    page(client, q="participatie", **filters)  # the session is cached from here on, as in use
    budget = BUDGETS[(connection.vendor, bool(filters))]
    with CaptureQueriesContext(connection) as few:
        page(client, q="participatie", **filters)
    assert_queries([query["sql"] for query in counted(few.captured_queries)], budget, "the results page with 2 hits")
    more = [approved_member(Municipality.objects.get(code=code)) for code in ("GM0503", "GM0599", "GM0363")]
    add(20, [member, colleague, outsider, *more])
    page(client, q="participatie", **filters)
    with CaptureQueriesContext(connection) as many:
        response = page(client, q="participatie", **filters)
    # Without the session read: a test run elsewhere may empty the shared cache it comes from.
    assert_queries([query["sql"] for query in counted(many.captured_queries)], budget, "the results page with 20 hits")
    assert len(response.context["page"].hits) == 20


def test_looking_among_recent_posts_first_changes_nothing(monkeypatch, member, colleague, outsider, plein, themes):
    """The shortcuts for big databases (recent posts first, id lists for filters) give
    the same hits as the plain way, whatever the sizes they switch at."""
    from threads.search import engine

    for number in range(12):
        thread = start(
            [member, colleague, outsider][number % 3],
            plein,
            f"Onderwerp {number}",
            kind=["question", "dilemma"][number % 2],
        )
        for reply in range(number % 4):
            actions.reply_to_thread(author=colleague, thread=thread, body=f"Over spreiding, deel {reply}.")
        if number % 3 == 0:
            actions.reply_to_thread(
                author=member, thread=thread, body="Spreiding en nog eens spreiding: daar gaat het om."
            )
    searches = [{}, {"kind": "dilemma"}, {"region": Municipality.objects.get(code="GM0518").region}]

    def results():
        return [
            [hit.post.pk for hit in search_posts(member=member, text="spreiding", filters=Filters(**filters)).hits]
            for filters in searches
        ]

    plain = results()
    assert all(plain) and len(plain[0]) == 10
    monkeypatch.setattr(engine, "RECENT", 4)
    monkeypatch.setattr(engine, "CANDIDATES", 30)
    monkeypatch.setattr(engine, "NARROW_THREADS", 0)
    monkeypatch.setattr(engine, "NARROW_AUTHORS", 0)
    assert results() == plain


def test_the_recent_eras_give_the_same_newest_matches_as_all_posts(monkeypatch, member, colleague, plein, themes):
    """On PostgreSQL the recent posts are found by the era lexeme in their vector
    (one per ERA post ids): looking there first must not change which posts rank."""
    need_postgres()
    from threads.search import engine

    threads = [start(colleague, plein, f"Onderwerp {number}") for number in range(40)]
    numbers = dict.fromkeys((thread.pk for thread in threads), 1)
    posts = []
    for index in range(3 * engine.ERA):
        thread = threads[index % len(threads)]
        numbers[thread.pk] += 1
        text = "Over participatie en inspraak." if index % 9 == 0 else "Iets anders."
        posts.append(Post(thread=thread, number=numbers[thread.pk], author=member, body=text, html=text, text=text))
    Post.objects.bulk_create(posts)
    newest = Post.objects.order_by("-id").first()
    assert Post.objects.filter(
        search_vector=engine.Tsquery(engine.eras(first=newest.pk // engine.ERA, last=newest.pk // engine.ERA))
    ).exists()
    assert not Post.objects.filter(
        search_vector=engine.Tsquery(engine.eras(first=newest.pk // engine.ERA + 1, last=newest.pk // engine.ERA + 1))
    ).exists()

    def results(page):
        return [
            hit.post.pk for hit in search_posts(member=member, text="participatie inspraak", page=page, per_page=5).hits
        ]

    # 333 matches; the recent eras hold enough of them for 30 candidates, not for 200 or 400.
    for candidates in (30, 200, 400):
        monkeypatch.setattr(engine, "CANDIDATES", candidates)
        monkeypatch.setattr(engine, "RECENT", 10**9)
        plain = [results(1), results(2)]
        assert len(plain[0]) == 5
        for recent in (engine.ERA // 2, engine.ERA, 2 * engine.ERA):
            monkeypatch.setattr(engine, "RECENT", recent)
            assert [results(1), results(2)] == plain, (candidates, recent)


# --- The simpler search on SQLite -----------------------------------------------------------


def test_fallback_every_word_must_occur_in_the_title_or_the_text(member, colleague, plein, themes):
    need_fallback()
    start(member, plein, "Taalcafé voor nieuwkomers", "Elke dinsdag in de bibliotheek.")
    thread = start(colleague, plein, "Iets anders", "Opening.")
    actions.reply_to_thread(author=member, thread=thread, body="Ons TAALcafé is in het buurthuis.")
    assert set(found(member, "taalcafé")) == {"Taalcafé voor nieuwkomers", "Iets anders"}
    assert found(member, "taalcafé bibliotheek") == [
        "Taalcafé voor nieuwkomers"
    ]  # one word in the title, one in the text
    assert found(member, "buurthuis") == ["Iets anders"]
    assert found(member, "buurthuis bibliotheek") == []
    assert found(member, "Nieuwkomer") == ["Taalcafé voor nieuwkomers"]  # the plural contains the singular


def test_fallback_plurals_phrases_and_synonyms(member, plein, themes):
    need_fallback()
    start(member, plein, "Registratie", "Wij registreren iedere arbeidsmigrant.")
    start(member, plein, "Studenten", "Veel internationale studenten zoeken een kamer.")
    start(member, plein, "Buddy", "Elke vergunninghouder krijgt een maatje.")
    assert found(member, "arbeidsmigranten") == ["Registratie"]
    assert found(member, '"internationale studenten"') == ["Studenten"]
    assert found(member, '"studenten internationale"') == []
    assert found(member, "statushouders") == ["Buddy"]


def test_fallback_lists_newest_first_with_escaped_highlighted_snippets(member, colleague, plein, themes):
    need_fallback()
    start(member, plein, "Oud onderwerp", "<script>alert(1)</script> over flexwonen & meer")
    start(colleague, plein, "Nieuw onderwerp", "Ook over flexwonen.")
    hits = search_posts(member=member, text="flexwonen").hits
    assert [hit.thread.title for hit in hits] == ["Nieuw onderwerp", "Oud onderwerp"]
    snippet = str(hits[1].snippet)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in snippet and "<mark>flexwonen</mark> &amp; meer" in snippet


def test_fallback_cuts_long_texts_around_the_first_match(member, plein, themes):
    need_fallback()
    words = " ".join(f"woord{n}" for n in range(200))
    start(member, plein, "Lang bericht", f"{words} sleutelpersonen {words}")
    snippet = str(search_posts(member=member, text="sleutelpersonen").hits[0].snippet)
    assert "<mark>sleutelpersonen</mark>" in snippet and snippet.startswith("… ") and snippet.endswith(" …")
    assert len(re.sub(r"<[^>]+>", "", snippet)) < 300


def test_many_matches_are_ranked_among_the_newest_and_all_title_matches(member, plein, themes):
    """PostgreSQL ranks the CANDIDATES newest matches and every title match: an old
    thread whose title matches still comes first."""
    need_postgres()
    old = start(member, plein, "Vergunninghouders aan het werk", "Een oud verhaal.")
    thread = start(member, plein, "Veel berichten", "Opening.")
    Post.objects.bulk_create(
        [
            Post(thread=thread, number=n, author=member, body="x", html="x", text="Over vergunninghouders.")
            for n in range(2, CANDIDATES + 10)
        ]
    )
    result = search_posts(member=member, text="vergunninghouders")
    assert [hit.thread.title for hit in result.hits] == ["Vergunninghouders aan het werk", "Veel berichten"]
    assert result.total_is_lower_bound
    assert old.pk
