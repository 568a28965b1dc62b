"""The life of a handelingsperspectief: draft → in review → published (by a second editor)
→ superseded; revisions, frozen versions, examples and sources, suggestions."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import translation

from community.errors import DomainError
from community.models import Typology
from tests.perspectives.conftest import draft_perspective, publish
from threads import actions as thread_actions
from threads.perspectives import actions, signals
from threads.perspectives.models import Citation, Perspective, PerspectiveRevision, PerspectiveVersion, Suggestion

pytestmark = pytest.mark.django_db
Status = Perspective.Status


@pytest.fixture(autouse=True)
def english():
    """The refusals below are matched in English (the site's default language is Dutch)."""
    with translation.override("en"):
        yield


@pytest.fixture
def sent():
    """The ``perspective_published`` signals sent: a list of their keyword arguments."""
    calls = []

    def record(sender, **kwargs):
        assert sender is None
        calls.append(kwargs)

    signals.perspective_published.connect(record, weak=False, dispatch_uid="tests.perspectives.sent")
    yield calls
    signals.perspective_published.disconnect(dispatch_uid="tests.perspectives.sent")


# --- Drafts and revisions -------------------------------------------------------------------------


def test_a_new_perspective_is_a_draft_with_its_first_revision_and_a_slug_of_its_own(ambassador, expat):
    first = draft_perspective(ambassador, typologies=[expat])
    second = draft_perspective(ambassador, typologies=[expat])
    assert first.status == Status.DRAFT and first.current_version is None
    assert (first.slug, second.slug) == ("expats-wegwijs-maken-in-de-gemeente", "expats-wegwijs-maken-in-de-gemeente-2")
    revision = PerspectiveRevision.objects.get(perspective=first)
    assert (revision.number, revision.editor) == (1, ambassador)
    assert revision.content["typologies"] == ["Expatgemeenten"]
    assert "<strong>lokale</strong>" in first.situation_html


def test_a_slug_never_takes_the_place_of_a_page_under_perspectives(ambassador):
    assert actions.create_perspective(actor=ambassador, title="Editors").slug == "editors-perspectief"
    assert actions.create_perspective(actor=ambassador, title="Suggestions").slug == "suggestions-perspectief"


def test_markdown_is_made_safe_through_the_markup_seam(ambassador):
    perspective = actions.create_perspective(
        actor=ambassador,
        title="Veilige tekst",
        situation="<script>alert(1)</script> [klik](javascript:alert(1)) [ok](https://example.org)",
    )
    assert "<script>" not in perspective.situation_html and 'href="javascript' not in perspective.situation_html
    assert 'href="https://example.org" rel="nofollow ugc noopener"' in perspective.situation_html


def test_every_edit_is_a_revision_and_an_edit_without_change_is_none(perspective, ambassador, expat):
    fields = {
        "title": perspective.title,
        "summary": perspective.summary,
        "situation": perspective.situation,
        "dilemmas": perspective.dilemmas,
        "options": perspective.options,
        "typologies": [expat],
        "themes": list(perspective.themes.all()),
    }
    actions.edit_perspective(actor=ambassador, perspective=perspective, **fields)
    assert PerspectiveRevision.objects.filter(perspective=perspective).count() == 1
    actions.edit_perspective(
        actor=ambassador, perspective=perspective, **{**fields, "dilemmas": "Alles vertalen, of niets?"}
    )
    latest = PerspectiveRevision.objects.get(perspective=perspective, number=2)
    assert latest.content["dilemmas"] == "Alles vertalen, of niets?" and latest.editor == ambassador
    perspective.refresh_from_db()
    assert perspective.revision_count == 2


def test_a_perspective_in_review_is_not_changed_until_it_is_sent_back(perspective, ambassador, flevoland_ambassador):
    actions.submit_perspective(actor=ambassador, perspective=perspective)
    with pytest.raises(DomainError, match="in review"):
        actions.add_source(actor=ambassador, perspective=perspective, title="Een rapport")
    actions.return_perspective(actor=flevoland_ambassador, perspective=perspective, note="Voeg een bron toe.")
    perspective.refresh_from_db()
    assert perspective.status == Status.DRAFT and perspective.review_note == "Voeg een bron toe."
    actions.add_source(actor=ambassador, perspective=perspective, title="Een rapport")


# --- Review and publication ----------------------------------------------------------------------------


def test_nobody_reviews_their_own_work(perspective, ambassador, flevoland_ambassador, staff):
    actions.submit_perspective(actor=ambassador, perspective=perspective)
    with pytest.raises(DomainError, match="second editor"):
        actions.publish_perspective(actor=ambassador, perspective=perspective)
    # Esther sends it back and fixes a word herself: now she worked on it too.
    actions.return_perspective(actor=flevoland_ambassador, perspective=perspective)
    actions.add_source(actor=flevoland_ambassador, perspective=perspective, title="Rapport over expats")
    actions.submit_perspective(actor=ambassador, perspective=perspective)
    for author in (ambassador, flevoland_ambassador):
        with pytest.raises(DomainError, match="second editor"):
            actions.publish_perspective(actor=author, perspective=perspective)
    version = actions.publish_perspective(actor=staff, perspective=perspective)
    assert (version.number, version.published_by, version.submitted_by) == (1, staff, ambassador)


def test_whoever_sends_it_for_review_does_not_publish_it(perspective, ambassador, flevoland_ambassador, staff):
    perspective = actions.submit_perspective(actor=flevoland_ambassador, perspective=perspective)
    assert actions.round_authors(perspective) == {ambassador.pk, flevoland_ambassador.pk}
    with pytest.raises(DomainError):
        actions.publish_perspective(actor=flevoland_ambassador, perspective=perspective)
    assert actions.publish_perspective(actor=staff, perspective=perspective).number == 1


def test_a_perspective_needs_a_summary_a_typology_and_content_before_review(ambassador):
    bare = actions.create_perspective(actor=ambassador, title="Nog leeg perspectief")
    with pytest.raises(DomainError, match="summary"):
        actions.submit_perspective(actor=ambassador, perspective=bare)
    actions.edit_perspective(
        actor=ambassador,
        perspective=bare,
        title=bare.title,
        summary="Kort.",
        situation="",
        dilemmas="",
        options="",
        typologies=[],
        themes=[],
    )
    with pytest.raises(DomainError, match="typology"):
        actions.submit_perspective(actor=ambassador, perspective=bare)


def test_publishing_freezes_a_version_that_later_edits_leave_alone(
    published_perspective, ambassador, flevoland_ambassador, staff, expat
):
    perspective = published_perspective
    first = perspective.current_version
    assert perspective.status == Status.PUBLISHED and first.number == 1
    assert [c.municipality_name for c in first.citations.order_by("pk")] == ["Westland", "'s-Gravenhage"]
    assert [s.title for s in first.sources.all()] == ["Staat van de expat"]
    # An edit starts a new round: the working copy is a draft again, members read version 1.
    actions.edit_perspective(
        actor=flevoland_ambassador,
        perspective=perspective,
        title="Expats wegwijs: tweede druk",
        summary=perspective.summary,
        situation="Nieuw.",
        dilemmas="",
        options="",
        typologies=[expat],
        themes=[],
    )
    example = perspective.citations.get(municipality_name="Westland")
    actions.remove_citation(actor=flevoland_ambassador, citation=example)
    perspective.refresh_from_db()
    assert perspective.status == Status.DRAFT and perspective.current_version == first
    first.refresh_from_db()
    assert first.title == "Expats wegwijs maken in de gemeente" and first.citations.count() == 2
    with pytest.raises(DomainError, match="in review"):
        actions.publish_perspective(actor=staff, perspective=perspective)
    second = publish(perspective, writer=flevoland_ambassador, reviewer=ambassador)
    perspective.refresh_from_db()
    assert second.number == 2 and perspective.current_version == second
    assert second.title == "Expats wegwijs: tweede druk" and second.citations.count() == 1
    assert PerspectiveVersion.objects.get(perspective=perspective, number=1).citations.count() == 2


def test_nothing_to_review_without_a_change_since_the_published_version(published_perspective, ambassador):
    with pytest.raises(DomainError, match="Only a draft"):
        actions.submit_perspective(actor=ambassador, perspective=published_perspective)


def test_publishing_tells_who_was_cited_for_the_first_time(
    perspective, ambassador, flevoland_ambassador, staff, answer, regional, member, colleague, sent
):
    actions.cite_post(actor=ambassador, perspective=perspective, post=answer)
    publish(perspective, writer=ambassador, reviewer=flevoland_ambassador)
    assert [call["cited_member_ids"] for call in sent] == [[colleague.pk]]
    assert sent[0]["actor"] == flevoland_ambassador and sent[0]["version"].number == 1
    # Version 2 adds Fatima's post; Thijs was told about version 1 already.
    actions.cite_post(actor=staff, perspective=perspective, post=regional.posts.get(number=1))
    publish(perspective, writer=staff, reviewer=flevoland_ambassador)
    assert sent[1]["cited_member_ids"] == [member.pk]


def test_a_publication_that_is_rolled_back_sends_nothing_and_keeps_no_version(
    perspective, ambassador, flevoland_ambassador, sent
):
    actions.submit_perspective(actor=ambassador, perspective=perspective)
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.publish_perspective(actor=flevoland_ambassador, perspective=perspective)
        raise RuntimeError("the request failed afterwards")
    # The signal went out inside the transaction; its receivers' rows went with the rollback.
    assert not PerspectiveVersion.objects.exists()
    perspective.refresh_from_db()
    assert perspective.status == Status.REVIEW


# --- Superseded ----------------------------------------------------------------------------------------


def test_a_superseded_perspective_points_to_its_successor_and_leaves_the_lists(
    published_perspective, ambassador, flevoland_ambassador, expat
):
    successor = draft_perspective(flevoland_ambassador, title="Expats en taal: de nieuwe aanpak", typologies=[expat])
    with pytest.raises(DomainError, match="published"):
        actions.supersede_perspective(actor=ambassador, perspective=published_perspective, successor=successor)
    publish(successor, writer=flevoland_ambassador, reviewer=ambassador)
    with pytest.raises(DomainError, match="itself"):
        actions.supersede_perspective(
            actor=ambassador, perspective=published_perspective, successor=published_perspective
        )
    actions.supersede_perspective(actor=ambassador, perspective=published_perspective, successor=successor)
    published_perspective.refresh_from_db()
    assert published_perspective.status == Status.SUPERSEDED and published_perspective.superseded_by == successor
    assert list(Perspective.objects.published()) == [successor]
    with pytest.raises(DomainError, match="superseded"):
        actions.add_source(actor=ambassador, perspective=published_perspective, title="Nog een bron")
    with pytest.raises(DomainError):
        actions.supersede_perspective(actor=ambassador, perspective=successor, successor=published_perspective)


# --- Examples and sources --------------------------------------------------------------------------------


def test_a_citation_keeps_the_text_as_it_was_when_cited(perspective, ambassador, answer, colleague):
    citation = actions.cite_post(actor=ambassador, perspective=perspective, post=answer)
    thread_actions.edit_post(editor=colleague, post=answer, body="Iets heel anders nu.")
    citation.refresh_from_db()
    assert citation.quote == "Bij ons met een balie op locatie."
    assert (citation.municipality_name, citation.position, citation.author) == ("Westland", "wethouder", colleague)
    assert citation.posted_at == answer.created and citation.thread_id == answer.thread_id


def test_a_quote_is_a_passage_of_the_post_word_for_word(perspective, ambassador, answer):
    with pytest.raises(DomainError, match="word for word"):
        actions.cite_post(actor=ambassador, perspective=perspective, post=answer, quote="Bij ons met een loket")
    citation = actions.cite_post(actor=ambassador, perspective=perspective, post=answer, quote="een balie\n op locatie")
    assert citation.quote == "een balie\n op locatie"
    with pytest.raises(DomainError, match="already an example"):
        actions.cite_post(actor=ambassador, perspective=perspective, post=answer)


def test_hidden_and_deleted_posts_are_not_cited(perspective, ambassador, answer, colleague, staff):
    thread_actions.hide_post(actor=staff, post=answer, reason="Even nakijken.")
    with pytest.raises(DomainError, match="hidden or deleted"):
        actions.cite_post(actor=ambassador, perspective=perspective, post=answer)


def test_the_name_is_kept_out_of_public_versions_unless_the_author_agreed(perspective, ambassador, answer, question):
    assert actions.cite_post(actor=ambassador, perspective=perspective, post=answer).name_consent is False
    assert actions.cite_post(
        actor=ambassador, perspective=perspective, post=question.posts.get(number=1), name_consent=True
    ).name_consent


def test_sources_are_checked(perspective, ambassador):
    with pytest.raises(DomainError, match="year"):
        actions.add_source(actor=ambassador, perspective=perspective, title="Rapport", year=1500)
    with pytest.raises(DomainError, match="https://"):
        actions.add_source(actor=ambassador, perspective=perspective, title="Rapport", url="javascript:alert(1)")
    source = actions.add_source(
        actor=ambassador, perspective=perspective, title="Rapport", publisher="CBS", year=2023, url="https://cbs.nl"
    )
    assert source.as_line() == "Rapport · CBS · 2023 · https://cbs.nl"
    actions.remove_source(actor=ambassador, source=source)
    assert PerspectiveRevision.objects.filter(perspective=perspective).last().content["sources"] == []


def test_only_a_published_perspective_is_made_public(published_perspective, ambassador, expat):
    with pytest.raises(DomainError, match="published"):
        actions.set_perspective_public(
            actor=ambassador, perspective=draft_perspective(ambassador, typologies=[expat]), public=True
        )
    assert actions.set_perspective_public(actor=ambassador, perspective=published_perspective, public=True).is_public


# --- Suggestions -----------------------------------------------------------------------------------------


def test_a_member_suggests_a_thread_once_and_citing_it_settles_the_suggestion(
    solved, outsider, colleague, perspective, ambassador, answer
):
    suggestion = actions.suggest_thread(member=outsider, thread=solved, note="Goed voorbeeld voor Venray.")
    with pytest.raises(DomainError, match="already suggested"):
        actions.suggest_thread(member=outsider, thread=solved)
    other = actions.suggest_thread(member=colleague, thread=solved)
    actions.cite_post(actor=ambassador, perspective=perspective, post=answer)
    for row in (suggestion, other):
        row.refresh_from_db()
        assert (row.status, row.perspective, row.handled_by) == (Suggestion.Status.USED, perspective, ambassador)


def test_an_editor_sets_a_suggestion_aside(solved, outsider, ambassador):
    suggestion = actions.suggest_thread(member=outsider, thread=solved)
    actions.dismiss_suggestion(actor=ambassador, suggestion=suggestion)
    assert Suggestion.objects.get().status == Suggestion.Status.DISMISSED
    with pytest.raises(DomainError, match="already been handled"):
        actions.dismiss_suggestion(actor=ambassador, suggestion=suggestion)


def test_typologies_chosen_by_the_editor_are_those_of_the_published_version(published_perspective):
    assert list(published_perspective.current_version.typologies.values_list("slug", flat=True)) == ["expatgemeenten"]
    assert Typology.objects.filter(perspective_versions__perspective=published_perspective).count() == 1
    assert Citation.objects.filter(perspective=published_perspective, removed_at__isnull=True).count() == 2
