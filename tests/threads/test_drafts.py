"""The composer's server side: drafts per member and thread (or group, for a new thread),
gone when posted; the preview rendered by the post's own code; "reply to this post"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from community.models import Group
from notifications.models import Notification
from tests.factories import GroupFactory
from threads import actions
from threads.models import Draft, Post, Theme, Thread

pytestmark = pytest.mark.django_db


def test_a_reply_draft_is_kept_per_member_and_thread_and_gone_when_posted(client, login, member, question, colleague):
    login(colleague)
    url = reverse("draft")
    assert client.get(url, {"thread": question.pk}).json() == {"draft": None}
    assert client.post(url, {"thread": question.pk, "body": "Eerste versie"}).json()["saved"] is True
    client.post(url, {"thread": question.pk, "body": "Tweede versie"})
    assert client.get(url, {"thread": question.pk}).json()["draft"]["body"] == "Tweede versie"
    assert Draft.objects.get().member == colleague
    login(member)
    assert client.get(url, {"thread": question.pk}).json() == {"draft": None}
    login(colleague)
    response = client.post(reverse("reply", args=[question.pk]), {"body": "Tweede versie"})
    assert response.status_code == 302
    assert not Draft.objects.exists()


def test_a_blank_draft_is_thrown_away(client, login, question, colleague):
    login(colleague)
    client.post(reverse("draft"), {"thread": question.pk, "body": "Iets"})
    client.post(reverse("draft"), {"thread": question.pk, "body": "  "})
    assert not Draft.objects.exists()


def test_a_new_thread_draft_is_kept_per_group_with_its_title_and_gone_when_posted(client, login, member, plein, themes):
    login(member)
    client.post(reverse("draft"), {"group": plein.slug, "title": "Taalcafé", "body": "Wie doet mee?"})
    assert client.get(reverse("draft"), {"group": plein.slug}).json()["draft"]["title"] == "Taalcafé"
    response = client.post(
        reverse("new_thread", args=[plein.slug]),
        {"title": "Taalcafé in de wijk", "kind": "question", "body": "Wie doet mee?", "themes": [themes[0].pk]},
    )
    assert response.status_code == 302
    assert not Draft.objects.exists()


def test_no_draft_where_the_member_may_not_write(client, login, outsider, member, dutch_data, themes):
    regional = actions.create_thread(
        author=member, group=Group.objects.get(slug="zuid-holland"), title="Alleen voor de regio",
        kind="question", body="Tekst.", themes=themes[:1],
    )  # fmt: skip
    login(outsider)
    assert client.post(reverse("draft"), {"thread": regional.pk, "body": "x"}).status_code == 404
    assert client.post(reverse("draft"), {"group": "zuid-holland", "body": "x"}).status_code == 404
    open_group = GroupFactory(slug="open-groep", read_access=Group.ReadAccess.EVERYONE)
    assert client.post(reverse("draft"), {"group": open_group.slug, "body": "x"}).status_code == 403
    assert not Draft.objects.exists()


def test_the_members_own_page_lists_their_drafts_and_throws_one_away(client, login, member, colleague, question, plein):
    actions.save_draft(member=member, thread=question, body="Mijn halve reactie")
    actions.save_draft(member=member, group=plein, title="Nog een vraag", body="Over wonen")
    login(member)
    page = client.get(reverse("member", args=[member.handle])).content.decode()
    assert "Mijn halve reactie" in page and "Nog een vraag" in page
    assert reverse("reply", args=[question.pk]) in page and reverse("new_thread", args=[plein.slug]) in page
    login(colleague)
    page = client.get(reverse("member", args=[member.handle])).content.decode()
    assert "Mijn halve reactie" not in page and "Je concepten" not in page
    login(member)
    client.post(reverse("discard_draft"), {"thread": question.pk})
    assert list(Draft.objects.values_list("title", flat=True)) == ["Nog een vraag"]


def test_the_preview_is_the_html_the_post_gets(client, login, member, colleague, question):
    body = "Zie **dit**, @fatima:\n\n- een\n- twee\n\n[CBS](https://www.cbs.nl) <script>alert(1)</script>"
    login(colleague)
    preview = client.post(reverse("preview_post"), {"body": body})
    assert preview["Content-Type"].startswith("text/html")
    post = actions.reply_to_thread(author=colleague, thread=question, body=body)
    assert preview.content.decode() == post.html
    assert "<script>" not in post.html and 'class="mention"' in post.html
    assert not Post.objects.filter(body=body).exclude(pk=post.pk).exists()


def test_replying_to_a_post_quotes_its_first_words_and_tells_its_author(client, login, member, colleague, question):
    opening = question.posts.get(number=1)
    login(colleague)
    reference = client.get(reverse("post_quote", args=[opening.pk]) + "?short").content.decode()
    assert reference.startswith(f"[quote=post:{opening.pk}]\n") and "\\*\\*" not in reference
    assert "werkt" in reference
    page = client.get(reverse("reply", args=[question.pk]) + f"?quote={opening.pk}&short").content.decode()
    assert f"[quote=post:{opening.pk}]" in page
    client.post(reverse("reply", args=[question.pk]), {"body": reference + "Wij doen het zo."})
    reply = Post.objects.get(thread=question, number=2)
    assert reverse("post_permalink", args=[opening.pk]) in reply.html
    assert Notification.objects.filter(recipient=member, kind=Notification.Kind.QUOTED, post=reply).exists()


def test_the_home_page_offers_a_new_thread_in_one_of_the_members_groups(client, login, member):
    login(member)
    home = client.get("/").content.decode()
    assert f'href="{reverse("choose_group")}"' in home and "Nieuw onderwerp" in home
    page = client.get(reverse("choose_group")).content.decode()
    for group in member.roles.groups:
        assert reverse("new_thread", args=[group.slug]) in page


def test_a_thread_is_posted_without_a_draft_too(member, plein, themes):
    thread = actions.create_thread(
        author=member, group=plein, title="Zonder concept", kind=Thread.Kind.QUESTION, body="Tekst.",
        themes=[Theme.objects.first()],
    )  # fmt: skip
    assert thread.pk and not Draft.objects.exists()


def test_drafts_are_in_the_data_export_and_go_with_the_account(member, question, plein):
    from community import actions as community_actions
    from community.privacy import export_personal_data

    actions.save_draft(member=member, thread=question, body="Mijn halve reactie")
    actions.save_draft(member=member, group=plein, title="Nog een vraag", body="Over wonen")
    exported = export_personal_data(member)["drafts"]
    assert [(d["thread"], d["group"], d["text_markdown"]) for d in exported] == [
        (question.pk, None, "Mijn halve reactie"),
        (None, plein.slug, "Over wonen"),
    ]
    community_actions.delete_account(member=member)
    assert not Draft.objects.exists()


def test_the_composer_endpoints_and_the_own_page_have_query_budgets(client, login, member, colleague, question):
    """The thread page itself reads no draft (the script asks for it), so its budget is
    unchanged; the draft costs the member's own page one query, whatever their number."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import assert_queries, steady_queries

    login(colleague)
    url = reverse("draft") + f"?thread={question.pk}"
    assert_queries(steady_queries(client, url), DRAFT_GET, "reading a draft")
    client.post(reverse("draft"), {"thread": question.pk, "body": "Eerste"})
    with CaptureQueriesContext(connection) as captured:
        client.post(reverse("draft"), {"thread": question.pk, "body": "Tweede"})
    assert_queries([q["sql"] for q in captured], DRAFT_SAVE, "saving a draft")
    own = steady_queries(client, reverse("member", args=[colleague.handle]))
    others = steady_queries(client, reverse("member", args=[member.handle]))
    assert len(own) == len(others) + 1
    for number in range(5):
        actions.save_draft(member=colleague, group=Group.objects.get(slug="het-plein"), body=f"Concept {number}")
    assert len(steady_queries(client, reverse("member", args=[colleague.handle]))) == len(own)


#: Session and member, roles come from memory; the thread with its group; the draft.
DRAFT_GET = 3
#: The same reads, then the draft read and updated, in the action's transaction (a savepoint here).
DRAFT_SAVE = 6
