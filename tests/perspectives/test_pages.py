"""Reading handelingsperspectieven: who reads what, examples from closed groups, the
public version and feed, the editors' pages, and query budgets that do not grow."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from community.models import Group, Municipality
from tests.conftest import approved_member, steady_queries
from tests.perspectives.conftest import draft_perspective, publish
from tests.threads.conftest import make_thread
from threads import actions as thread_actions
from threads.models import Post
from threads.perspectives import actions
from threads.perspectives.models import Citation, Perspective, Source

pytestmark = pytest.mark.django_db

CLOSED = "Uit een besloten groep"
GONE = "Dit bericht is niet meer beschikbaar"
FATIMA_SAYS = "Onze balie bij de huisvesting werkt"
THIJS_SAYS = "Bij ons met een balie op locatie."


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return response.content.decode()


# --- Who reads what ------------------------------------------------------------------------------------------


def test_members_read_published_perspectives_and_only_editors_see_drafts(
    client, login, published_perspective, perspective, outsider, ambassador, expat
):
    draft = draft_perspective(ambassador, title="Nog in de maak voor expats", typologies=[expat])
    login(outsider)
    assert "Expats wegwijs maken" in page(client, published_perspective.get_absolute_url())
    assert "Nog in de maak" not in page(client, "/perspectives/")
    for url in (
        draft.get_absolute_url(),
        reverse("perspective_draft", args=[draft.slug]),
        reverse("perspective_draft", args=[published_perspective.slug]),
        "/perspectives/editors/",
    ):
        assert client.get(url).status_code == 404, url
    login(ambassador)
    assert client.get(draft.get_absolute_url()).url == reverse("perspective_draft", args=[draft.slug])
    assert "Nog in de maak" in page(client, reverse("perspective_draft", args=[draft.slug]))


def test_visitors_read_only_public_perspectives_and_are_sent_to_log_in_for_the_rest(
    client, published_perspective, ambassador
):
    url = published_perspective.get_absolute_url()
    for address in (url, url + "v/1/", "/perspectives/bestaat-niet/"):
        response = client.get(address)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), address
    assert "Expats wegwijs" not in page(client, "/perspectives/")
    actions.set_perspective_public(actor=ambassador, perspective=published_perspective, public=True)
    assert "Expats wegwijs" in page(client, url)
    assert "Expats wegwijs" in page(client, url + "v/1/")
    assert "Expats wegwijs" in page(client, "/perspectives/")
    assert client.get(url + "v/2/").status_code == 404


def test_pending_members_read_as_visitors(client, login, pending_member, published_perspective):
    login(pending_member)
    assert client.get(published_perspective.get_absolute_url()).status_code == 404  # not a login loop
    assert "Expats wegwijs" not in page(client, "/perspectives/")


# --- Examples from closed groups: decided at every view -------------------------------------------------------


def test_a_member_who_may_not_read_the_group_never_sees_the_examples_text(
    client, login, published_perspective, outsider, member, regional
):
    login(outsider)  # Iris from Venray (Limburg): not in Zuid-Holland's regional group
    body = page(client, published_perspective.get_absolute_url())
    assert THIJS_SAYS in body and "Thijs Willems" in body  # Het Plein: every member reads it
    assert FATIMA_SAYS not in body and CLOSED in body
    assert regional.get_absolute_url() not in body and f"/t/{regional.pk}/" not in body
    assert "&#x27;s-Gravenhage</strong> · Wethouder" in body  # where and when, not what
    login(member)  # Fatima is in Zuid-Holland's group
    body = page(client, published_perspective.get_absolute_url())
    assert FATIMA_SAYS in body and CLOSED not in body and f"/t/{regional.pk}/" in body


def test_leaving_a_closed_group_takes_the_text_away_at_once(
    client, login, published_perspective, member, regional, staff
):
    login(member)
    assert FATIMA_SAYS in page(client, published_perspective.get_absolute_url())
    from community import actions as community_actions

    community_actions.remove_from_group(actor=staff, member=member, group=Group.objects.get(slug="zuid-holland"))
    member.refresh_from_db()
    body = page(client, published_perspective.get_absolute_url())
    assert FATIMA_SAYS not in body and CLOSED in body


def test_hidden_threads_and_hidden_or_deleted_posts_are_withheld_even_from_their_readers(
    client, login, published_perspective, member, colleague, answer, regional, staff
):
    thread_actions.hide_post(actor=staff, post=answer, reason="Nakijken.")
    thread_actions.hide_thread(actor=staff, thread=regional, reason="Nakijken.")
    login(member)
    body = page(client, published_perspective.get_absolute_url())
    assert THIJS_SAYS not in body and GONE in body
    assert FATIMA_SAYS not in body and CLOSED in body
    login(staff)
    body = page(client, published_perspective.get_absolute_url())
    assert THIJS_SAYS not in body and FATIMA_SAYS not in body


def test_the_public_version_never_shows_text_from_a_closed_group_nor_a_name_without_consent(
    client, login, published_perspective, ambassador, member
):
    actions.set_perspective_public(actor=ambassador, perspective=published_perspective, public=True)
    for viewer in (None, member):
        if viewer is None:
            body = page(client, published_perspective.get_absolute_url())
        else:
            login(viewer)
            body = page(client, published_perspective.get_absolute_url() + "?view=public")
        assert FATIMA_SAYS not in body and CLOSED in body, viewer
        # Het Plein's post: the text only, no link into the forum; Thijs agreed to his name.
        assert THIJS_SAYS in body and "Thijs Willems" in body
        assert "Read it in" not in body and "Lees het in" not in body and "/t/" not in body
        assert "Fatima" not in body  # no consent recorded for her post


def test_the_public_version_names_nobody_who_did_not_agree(
    client, perspective, ambassador, flevoland_ambassador, answer
):
    actions.cite_post(actor=ambassador, perspective=perspective, post=answer, name_consent=False)
    publish(perspective, writer=ambassador, reviewer=flevoland_ambassador)
    actions.set_perspective_public(actor=ambassador, perspective=perspective, public=True)
    body = page(client, perspective.get_absolute_url())
    assert THIJS_SAYS in body and "Thijs" not in body and "Westland</strong> · Wethouder" in body


# --- Index, versions, feed --------------------------------------------------------------------------------------


def test_the_index_filters_by_typology_and_theme(
    client, login, published_perspective, ambassador, flevoland_ambassador, member, dutch_data
):
    grens = draft_perspective(
        flevoland_ambassador,
        title="Grensarbeiders goed informeren",
        typologies=[Municipality.objects.get(code="GM0983").typologies.get(slug="grensgemeenten")],
    )
    publish(grens, writer=flevoland_ambassador, reviewer=ambassador)
    login(member)
    both = page(client, "/perspectives/")
    assert "Expats wegwijs" in both and "Grensarbeiders" in both
    expat_only = page(client, "/perspectives/?typology=expatgemeenten")
    assert "Expats wegwijs" in expat_only and "Grensarbeiders" not in expat_only
    by_theme = page(client, "/perspectives/?theme=taal")
    assert "Expats wegwijs" in by_theme and "Grensarbeiders" not in by_theme


def test_a_frozen_version_reads_as_it_was_published(
    client, login, published_perspective, ambassador, flevoland_ambassador, expat, member
):
    actions.edit_perspective(
        actor=ambassador,
        perspective=published_perspective,
        title="Expats wegwijs, herzien",
        summary="Nieuwe samenvatting.",
        situation="Anders.",
        dilemmas="",
        options="",
        typologies=[expat],
        themes=[],
    )
    publish(published_perspective, writer=ambassador, reviewer=flevoland_ambassador)
    login(member)
    current = page(client, published_perspective.get_absolute_url())
    assert "Expats wegwijs, herzien" in current and "Version 1 of" not in current
    first = page(client, published_perspective.get_absolute_url() + "v/1/")
    assert "Expats wegwijs maken in de gemeente" in first and "Nieuwe samenvatting" not in first
    assert "versie 1" in first.lower() or "version 1" in first.lower()


def test_a_superseded_perspective_points_to_its_successor(
    client, login, published_perspective, ambassador, flevoland_ambassador, expat, member
):
    successor = draft_perspective(flevoland_ambassador, title="Expats: de nieuwe aanpak", typologies=[expat])
    publish(successor, writer=flevoland_ambassador, reviewer=ambassador)
    actions.supersede_perspective(actor=ambassador, perspective=published_perspective, successor=successor)
    login(member)
    body = page(client, published_perspective.get_absolute_url())
    assert successor.get_absolute_url() in body and "vervangen" in body.lower()
    index = page(client, "/perspectives/")
    assert "Expats: de nieuwe aanpak" in index and "Expats wegwijs" not in index


def test_the_feed_is_atom_with_the_public_perspectives_only(
    client, published_perspective, ambassador, flevoland_ambassador, expat
):
    other = draft_perspective(flevoland_ambassador, title="Alleen voor leden", typologies=[expat])
    publish(other, writer=flevoland_ambassador, reviewer=ambassador)
    actions.set_perspective_public(actor=ambassador, perspective=published_perspective, public=True)
    response = client.get("/perspectives/feed/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    atom = "{http://www.w3.org/2005/Atom}"
    entries = feed.findall(f"{atom}entry")
    assert [entry.findtext(f"{atom}title") for entry in entries] == ["Expats wegwijs maken in de gemeente"]
    assert entries[0].find(f"{atom}link").get("href").endswith(published_perspective.get_absolute_url())
    assert FATIMA_SAYS not in response.content.decode()


# --- Threads and the editors ----------------------------------------------------------------------------------


def test_the_thread_shows_which_perspectives_cite_it_as_soon_as_one_is_published(
    client, login, solved, answer, perspective, ambassador, flevoland_ambassador, outsider
):
    login(outsider)
    url = solved.get_absolute_url() + "?page=1"
    assert "Used in" not in page(client, url) and "Gebruikt in" not in page(client, url)
    actions.cite_post(actor=ambassador, perspective=perspective, post=answer)
    assert perspective.get_absolute_url() not in page(client, url)  # a draft cites nothing yet
    publish(perspective, writer=ambassador, reviewer=flevoland_ambassador)
    body = page(client, url)
    assert f'href="{perspective.get_absolute_url()}"' in body and "Gebruikt in" in body
    # Members suggest; editors use.
    assert reverse("perspective_suggest", args=[solved.pk]) in body
    assert reverse("perspective_use_thread", args=[solved.pk]) not in body
    login(ambassador)
    body = page(client, url)
    assert (
        reverse("perspective_use_thread", args=[solved.pk]) in body
        and reverse("perspective_suggest", args=[solved.pk]) not in body
    )


def test_an_unsolved_question_offers_no_use_button(client, login, question, ambassador):
    login(ambassador)
    assert reverse("perspective_use_thread", args=[question.pk]) not in page(
        client, question.get_absolute_url() + "?page=1"
    )
    assert client.get(reverse("perspective_use_thread", args=[question.pk])).status_code == 403


def test_an_editor_starts_a_perspective_from_a_solved_thread(client, login, solved, answer, ambassador, colleague):
    login(ambassador)
    url = reverse("perspective_use_thread", args=[solved.pk])
    form = client.get(url)
    assert form.status_code == 200 and form.context["form"].initial["post"] == answer.pk
    response = client.post(
        url,
        {
            "post": answer.pk,
            "perspective": "new",
            "new_title": "Arbeidsmigranten inschrijven",
            "quote": "",
            "note": "Sterk voorbeeld.",
        },
    )
    perspective = Perspective.objects.get(title="Arbeidsmigranten inschrijven")
    assert (
        response.status_code == 302
        and response.url == reverse("perspective_draft", args=[perspective.slug]) + "#examples"
    )
    citation = perspective.citations.get()
    assert (citation.post, citation.quote, citation.author, citation.name_consent) == (
        answer,
        THIJS_SAYS,
        colleague,
        False,
    )
    # A second post goes into the same draft, picked from the list.
    opening = solved.posts.get(number=1)
    client.post(
        url,
        {"post": opening.pk, "perspective": perspective.slug, "quote": "Wie heeft een aanpak", "name_consent": "on"},
    )
    assert perspective.citations.count() == 2 and perspective.citations.get(post=opening).name_consent
    # A quote that is not in the post is refused with the reason, and nothing is started.
    response = client.post(
        url, {"post": answer.pk, "perspective": "new", "new_title": "Nog een perspectief", "quote": "Verzonnen tekst"}
    )
    assert response.status_code == 200 and "woord voor woord" in response.content.decode()
    assert not Perspective.objects.filter(title="Nog een perspectief").exists()


def test_members_cannot_use_threads_and_editors_cannot_use_threads_they_may_not_read(
    client, login, solved, member, regional, flevoland_ambassador
):
    login(member)
    assert client.get(reverse("perspective_use_thread", args=[solved.pk])).status_code == 404
    login(flevoland_ambassador)
    assert client.get(reverse("perspective_use_thread", args=[regional.pk])).status_code == 404


def test_a_suggestion_goes_to_the_queue_of_editors_who_may_read_the_thread(
    client, login, solved, regional, colleague, ambassador, flevoland_ambassador
):
    login(colleague)
    response = client.post(reverse("perspective_suggest", args=[solved.pk]), {"note": "Mooi voorbeeld van een balie."})
    assert response.status_code == 302
    client.post(reverse("perspective_suggest", args=[regional.pk]), {"note": "Uit onze regio."})
    login(ambassador)
    queue = page(client, "/perspectives/editors/")
    assert "Mooi voorbeeld van een balie." in queue and "Uit onze regio." in queue
    login(flevoland_ambassador)  # may not read Zuid-Holland's group
    queue = page(client, "/perspectives/editors/")
    assert "Mooi voorbeeld van een balie." in queue and "Uit onze regio." not in queue
    suggestion = solved.perspective_suggestions.get()
    client.post(reverse("perspective_dismiss_suggestion", args=[suggestion.pk]))
    assert "Mooi voorbeeld van een balie." not in page(client, "/perspectives/editors/")


def test_the_review_happens_on_the_working_copy_page(client, login, perspective, ambassador, flevoland_ambassador):
    login(ambassador)
    draft_url = reverse("perspective_draft", args=[perspective.slug])
    client.post(reverse("perspective_submit", args=[perspective.slug]), {"note": "Eerste versie."})
    body = page(client, draft_url)
    assert "Eerste versie." in body and reverse("perspective_publish", args=[perspective.slug]) not in body
    response = client.post(reverse("perspective_publish", args=[perspective.slug]), follow=True)
    assert response.status_code == 403
    login(flevoland_ambassador)
    assert reverse("perspective_publish", args=[perspective.slug]) in page(client, draft_url)
    client.post(reverse("perspective_publish", args=[perspective.slug]))
    perspective.refresh_from_db()
    assert perspective.status == "published" and perspective.current_version.published_by == flevoland_ambassador


def test_a_revision_shows_what_changed_word_by_word(client, login, perspective, ambassador, expat):
    actions.edit_perspective(
        actor=ambassador,
        perspective=perspective,
        title=perspective.title,
        summary=perspective.summary,
        situation=perspective.situation,
        dilemmas="Alles vertalen of juist <Engels> stimuleren?",
        options=perspective.options,
        typologies=[expat],
        themes=[],
    )
    login(ambassador)
    body = page(client, reverse("perspective_revision", args=[perspective.slug, 2]))
    assert "juist <del>Nederlands</del><ins>&lt;Engels&gt;</ins> stimuleren" in body  # escaped, word by word
    assert "<del>taal</del>" in body  # the theme was taken off


def test_editing_forms_are_for_editors_and_protected_by_csrf(published_perspective, member, ambassador):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ambassador, backend="community.auth.EmailBackend")
    response = strict.post(reverse("perspective_public", args=[published_perspective.slug]), {"public": "1"})
    assert response.status_code == 403
    published_perspective.refresh_from_db()
    assert not published_perspective.is_public


# --- Query budgets ---------------------------------------------------------------------------------------------


def add_examples_and_sources(perspective: Perspective, editor, posts: list[Post], sources: int) -> None:
    """Many examples and sources in the working copy, quickly (the actions' rules are tested above)."""
    now = timezone.now()
    Citation.objects.bulk_create(
        [
            Citation(
                perspective=perspective,
                post=post,
                thread_id=post.thread_id,
                author_id=post.author_id,
                quote=post.text,
                municipality_name="Westland",
                position="wethouder",
                posted_at=post.created,
                added_by=editor,
                created=now,
            )
            for post in posts
        ]
    )
    Source.objects.bulk_create(
        [Source(perspective=perspective, title=f"Rapport {n}", year=2020, added_by=editor) for n in range(sources)]
    )


def many_posts(author, count: int) -> list[Post]:
    """``count`` posts by ``author`` in threads of an open group, a closed regional group and a typology group."""
    groups = [Group.objects.get(slug=slug) for slug in ("het-plein", "zuid-holland", "expatgemeenten")]
    made = [
        make_thread(author, group, title=f"Voorbeelden in {group.name}", posts=max(1, count // 3)) for group in groups
    ]
    return list(Post.objects.filter(thread__in=made).order_by("pk")[:count])


def test_a_perspective_page_costs_the_same_queries_with_ten_times_more_examples_and_sources(
    client, login, perspective, ambassador, flevoland_ambassador, member, colleague, django_assert_num_queries
):
    """Guards the N+1s of the examples (post, thread, group and author for the reading rule)
    and of the sources, typologies and themes of a version: each is one query."""
    add_examples_and_sources(perspective, ambassador, many_posts(colleague, 3), sources=2)
    publish(perspective, writer=ambassador, reviewer=flevoland_ambassador)
    login(member)
    url = perspective.get_absolute_url()
    steady_queries(client, url)
    # The member; the perspective with its current version and successor; the examples with
    # post, thread, group and author; the sources; the typologies; the themes; the versions.
    with django_assert_num_queries(7):
        client.get(url)
    actions.edit_perspective(
        actor=ambassador,
        perspective=perspective,
        title=perspective.title,
        summary=perspective.summary,
        situation="Meer.",
        dilemmas="",
        options="",
        typologies=list(perspective.typologies.all()),
        themes=[],
    )
    Citation.objects.filter(perspective=perspective).update(removed_at=timezone.now())
    add_examples_and_sources(perspective, ambassador, many_posts(member, 30), sources=20)
    publish(perspective, writer=ambassador, reviewer=flevoland_ambassador)
    perspective.refresh_from_db()
    assert perspective.current_version.citations.count() == 30 and perspective.current_version.sources.count() == 22
    steady_queries(client, url)
    with django_assert_num_queries(7):
        body = client.get(url).content.decode()
    assert body.count('class="example"') == 30
    with django_assert_num_queries(8):  # a frozen version: one more, the version itself
        client.get(url + "v/1/")


def test_the_index_costs_the_same_queries_with_ten_times_more_perspectives(
    client, login, ambassador, flevoland_ambassador, member, expat, django_assert_num_queries
):
    """Guards the N+1s of the current version and its typologies and themes in the list."""

    def add(count: int) -> None:
        for n in range(count):
            perspective = draft_perspective(
                ambassador, title=f"Perspectief nummer {Perspective.objects.count()} {n}", typologies=[expat]
            )
            publish(perspective, writer=ambassador, reviewer=flevoland_ambassador)

    add(2)
    login(member)
    steady_queries(client, "/perspectives/")
    # The member; the typologies and themes of the filter form; the count; the page; its
    # typologies; its themes.
    with django_assert_num_queries(7):
        client.get("/perspectives/")
    add(18)
    steady_queries(client, "/perspectives/")
    with django_assert_num_queries(7):
        body = client.get("/perspectives/").content.decode()
    assert body.count('class="perspective-card"') == 20


def test_the_municipality_block_costs_three_queries_however_many_perspectives(
    rf, ambassador, flevoland_ambassador, member, expat, django_assert_num_queries
):
    """Guards the N+1s of the current versions' typologies and themes in the block."""
    from threads.perspectives.blocks import LIMIT, municipality_block

    def block() -> str:
        request = rf.get("/municipalities/GM0518/")
        request.user = member
        member.roles  # loaded by the page before its blocks (the header needs them)
        municipality = Municipality.objects.with_typologies().get(code="GM0518")
        with django_assert_num_queries(3):
            return municipality_block(request, municipality=municipality)

    perspective = draft_perspective(ambassador, typologies=[expat])
    publish(perspective, writer=ambassador, reviewer=flevoland_ambassador)
    assert "Expats wegwijs" in block()
    for n in range(10):
        publish(
            draft_perspective(ambassador, title=f"Nog een perspectief {n}", typologies=[expat]),
            writer=ambassador,
            reviewer=flevoland_ambassador,
        )
    assert block().count('class="perspective-card"') == LIMIT


def test_the_municipality_page_shows_perspectives_for_municipalities_like_it(
    client, login, published_perspective, member, outsider
):
    login(member)
    own = page(client, "/municipalities/GM0518/")  # Fatima's own municipality, an expat municipality
    assert "Handelingsperspectieven voor gemeenten zoals de uwe" in own and "Expats wegwijs" in own
    login(outsider)
    other = page(client, "/municipalities/GM0518/")
    assert "Handelingsperspectieven voor gemeenten zoals &#x27;s-Gravenhage" in other
    assert "Expats wegwijs" not in page(client, "/municipalities/GM0984/")  # Venray: not an expat municipality
    group = page(client, "/groups/expatgemeenten/")
    assert "Expats wegwijs" in group


def test_the_thread_page_still_costs_its_three_queries(client, login, solved, answer, published_perspective, member):
    """The "used in" list comes from the cache, not a query per view."""
    login(member)
    url = solved.get_absolute_url() + "?page=1"
    assert len(steady_queries(client, url)) == 3
    assert published_perspective.get_absolute_url() in page(client, url)


def test_a_new_municipality_member_sees_the_perspectives_of_their_typologies(
    client, login, published_perspective, dutch_data, staff
):
    amsterdammer = approved_member(Municipality.objects.get(code="GM0363"), name="Jan Amsterdam", handle="jan_a")
    login(amsterdammer)
    assert "Expats wegwijs" in page(client, "/municipalities/GM0363/")


def test_the_history_never_shows_an_editor_a_closed_groups_text_or_thread_title(
    client, login, published_perspective, flevoland_ambassador, regional
):
    """Every editor reads the revisions; Esther may not read Zuid-Holland's regional group."""
    login(flevoland_ambassador)
    history = page(client, reverse("perspective_revisions", args=[published_perspective.slug]))
    assert regional.title not in history
    for number in range(1, published_perspective.revision_count + 1):
        body = page(client, reverse("perspective_revision", args=[published_perspective.slug, number]))
        assert FATIMA_SAYS not in body and regional.title not in body
    draft = page(client, reverse("perspective_draft", args=[published_perspective.slug]))
    assert FATIMA_SAYS not in draft and CLOSED in draft


def test_the_first_view_of_a_thread_no_perspective_cites_asks_nothing_of_its_own(
    published_perspective, member, plein, exact_queries
):
    """Most threads are cited by no perspective: once the site's cited threads are known,
    a thread among the others needs no query and no cache entry of its own (a member who
    opens many threads for the first time pays nothing for the block)."""
    from django.core.cache import cache

    from threads.perspectives.actions import cited_threads_key
    from threads.perspectives.blocks import cited_thread_ids, citing_perspectives

    other = make_thread(member, plein, title="Een onderwerp dat niemand aanhaalt")
    cited = cited_thread_ids()
    assert other.pk not in cited and cited  # the published perspective cites other threads
    with exact_queries(0, "the perspectives of a thread no perspective cites"):
        assert citing_perspectives(other.pk) == []
    assert cache.get(cited_threads_key(other.pk)) is None
    [cited_thread] = sorted(cited)[:1]
    assert citing_perspectives(cited_thread) == [
        (published_perspective.slug, published_perspective.current_version.title)
    ]
