"""What the pages say without relying on colour or scripts: word diffs between revisions,
times written the same way by both template engines, new posts marked in words, the
moderation log's column labels, danger buttons on the steps that hide things."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from community.performance.jinja import environment
from threads import actions

pytestmark = pytest.mark.django_db


def test_the_revisions_page_shows_what_each_edit_changed_word_by_word(client, login, member, colleague, answer):
    actions.edit_post(editor=colleague, post=answer, body="Bij ons met een balie in het gemeentehuis.")
    login(member)
    page = client.get(reverse("post_revisions", args=[answer.pk])).content.decode()
    current = page.split('id="current-heading"')[1].split("</section>")[0]
    assert "balie <del>op</del><ins>in</ins> <del>locatie</del><ins>het gemeentehuis</ins>." in current
    assert "3 woorden toegevoegd, 2 weggehaald" in current
    first = page.split('id="revision-1"')[1].split("</section>")[0]
    assert "De eerste versie." in first and "<del>" not in first


def test_a_time_reads_the_same_in_both_template_engines_with_the_exact_time_for_everyone():
    moment = datetime(2026, 12, 6, 22, 16, tzinfo=UTC)
    with translation.override("nl"):
        django = Template("{% load site %}{% when moment %}").render(Context({"moment": moment}))
        jinja = environment(True).from_string("{{ when(moment) }}").render(moment=moment)
    assert django == jinja
    assert 'datetime="2026-12-06T23:16:00+01:00"' in django  # the site's time zone
    assert 'title="zondag 6 december 2026, 23:16"' in django and ">6 dec 2026, 23:16</time>" in django
    assert "data-relative" in django


def test_a_new_post_is_marked_in_words_not_by_colour_alone(client, login, member, question, colleague):
    login(member)
    client.get(question.get_absolute_url() + "?page=1")
    actions.reply_to_thread(author=colleague, thread=question, body="Nieuw voor Fatima.")
    page = client.get(question.get_absolute_url() + "?page=1").content.decode()
    new_post = page.split('id="post-2"')[1].split("</article>")[0]
    assert 'class="new-marker"' in new_post and "nieuw" in new_post
    assert "geschreven sinds je laatste bezoek" in new_post
    assert 'class="new-marker"' not in page.split('id="post-1"')[1].split("</article>")[0]


def test_the_moderation_log_labels_every_cell_for_the_phone_layout(client, login, ambassador, member, plein, themes):
    thread = actions.create_thread(
        author=member, group=plein.__class__.objects.get(slug="zuid-holland"), title="Over de regio",
        kind="question", body="Tekst.", themes=themes[:1],
    )  # fmt: skip
    actions.lock_thread(actor=ambassador, thread=thread, reason="Afgerond.")
    login(ambassador)
    page = client.get(reverse("moderation_log")).content.decode()
    row = page.split("<tbody>")[1].split("</tr>")[0]
    for label in ("Tijdstip", "Moderator", "Actie", "Lid", "Object", "Groep", "Reden"):
        assert f'data-label="{label}"' in row


def test_hiding_a_thread_or_a_post_is_a_danger_button(client, login, ambassador, member, plein, themes):
    thread = actions.create_thread(
        author=member, group=plein.__class__.objects.get(slug="zuid-holland"), title="Over de regio",
        kind="question", body="Tekst.", themes=themes[:1],
    )  # fmt: skip
    login(ambassador)
    for url in (reverse("hide_thread", args=[thread.pk]), reverse("hide_post", args=[thread.posts.get().pk])):
        page = client.get(url).content.decode()
        assert 'type="submit" class="button button--danger"' in page
    panel = client.get(thread.get_absolute_url() + "?page=1").content.decode()
    assert 'class="button button--small button--danger"' in panel


def test_past_moments_on_the_lists_a_member_reads_are_written_for_relative_display(
    client, login, member, question, answer
):
    """Notifications, search hits and a member's recent posts: each time is the ``when``
    element that ``dates.js`` shows as "3 minuten geleden", the exact time kept in its title."""
    login(member)
    pages = {
        "notifications": client.get(reverse("notifications")),
        "search": client.get(reverse("search"), {"q": "balie"}),
        "member": client.get(reverse("member", args=[answer.author.handle])),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        page = response.content.decode()
        assert "<time datetime=" in page and "data-relative>" in page, name
        assert 'title="' in page.split("data-relative>")[0].rsplit("<time", 1)[1], name
