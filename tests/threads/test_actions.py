"""Writes to threads and posts: counters, revisions, soft delete, answers, nuttig, read state."""

from __future__ import annotations

import pytest
from django.db import transaction

from community.errors import DomainError
from community.models import Group
from tests.threads.conftest import make_thread
from threads import actions, signals
from threads.models import Mark, Mention, Post, PostRevision, ReadState, Thread

pytestmark = pytest.mark.django_db


def test_creating_a_thread_makes_the_opening_post_and_remembers_it_as_read(question, member):
    post = question.posts.get()
    assert (post.number, post.author, question.last_post_number, question.reply_count) == (1, member, 1, 0)
    assert "<strong>werkt</strong>" in post.html and post.body == "Wie heeft een aanpak die **werkt**?"
    assert post.text == "Wie heeft een aanpak die werkt?"
    assert question.slug == "hoe-registreren-jullie-arbeidsmigranten"
    assert sorted(t.slug for t in question.themes.all()) == ["arbeidsmigratie", "wonen"]
    assert ReadState.objects.get(member=member, thread=question).last_read_number == 1


@pytest.mark.parametrize("count", [0, 6])
def test_a_thread_needs_one_to_five_themes(member, plein, themes, count):
    from threads.models import Theme

    more = themes + actions.ensure_themes(["zorg", "onderwijs"])
    with pytest.raises(DomainError):
        actions.create_thread(
            author=member, group=plein, title="Te veel of te weinig", kind="question", body="Tekst", themes=more[:count]
        )
    assert not Thread.objects.exists()
    assert Theme.objects.count() >= 6


def test_only_moderators_post_announcements(member, ambassador, themes):
    group = Group.objects.get(slug="zuid-holland")
    with pytest.raises(DomainError):
        actions.create_thread(
            author=member,
            group=group,
            title="Mededeling voor iedereen",
            kind="announcement",
            body="Tekst",
            themes=themes[:1],
        )
    thread = actions.create_thread(
        author=ambassador,
        group=group,
        title="Mededeling voor iedereen",
        kind="announcement",
        body="Tekst",
        themes=themes[:1],
    )
    assert thread.kind == "announcement"


def test_replies_are_numbered_and_move_the_counters(question, colleague, member):
    first = actions.reply_to_thread(author=colleague, thread=question, body="Eerste reactie")
    second = actions.reply_to_thread(author=member, thread=question, body="Tweede reactie")
    question.refresh_from_db()
    assert (first.number, second.number) == (2, 3)
    assert (question.last_post_number, question.reply_count, question.last_poster) == (3, 2, member)
    assert question.last_activity_at == second.created
    assert ReadState.objects.get(member=colleague, thread=question).last_read_number == 2


def test_a_locked_thread_takes_no_reply_except_from_its_moderators(question, colleague, staff):
    Thread.objects.filter(pk=question.pk).update(locked=True)
    with pytest.raises(DomainError):
        actions.reply_to_thread(author=colleague, thread=question, body="Toch nog iets")
    assert actions.reply_to_thread(author=staff, thread=question, body="Gesloten, zie de samenvatting.").number == 2


def test_an_empty_or_huge_body_is_refused(question, colleague):
    for body in ["   ", "x" * (actions.MAX_BODY_LENGTH + 1)]:
        with pytest.raises(DomainError):
            actions.reply_to_thread(author=colleague, thread=question, body=body)
    question.refresh_from_db()
    assert question.last_post_number == 1


def test_editing_keeps_every_revision(question, member):
    post = question.posts.get()
    actions.edit_post(
        editor=member, post=post, body="Versie twee", title="Hoe registreren jullie arbeidsmigranten in de BRP?"
    )
    actions.edit_post(editor=member, post=post, body="Versie drie")
    post.refresh_from_db()
    question.refresh_from_db()
    assert post.body == "Versie drie" and post.revision_count == 2 and post.edited_at is not None
    assert list(post.revisions.values_list("number", "body")) == [
        (1, "Wie heeft een aanpak die **werkt**?"),
        (2, "Versie twee"),
    ]
    assert post.revisions.first().title == "Hoe registreren jullie arbeidsmigranten?"
    assert question.title == "Hoe registreren jullie arbeidsmigranten in de BRP?"
    assert question.slug == "hoe-registreren-jullie-arbeidsmigranten-in-de-brp"


def test_an_edit_that_changes_nothing_keeps_no_revision(question, member):
    post = question.posts.get()
    actions.edit_post(editor=member, post=post, body=post.body)
    assert not PostRevision.objects.exists()


def test_a_moderator_edit_is_marked_as_such(answer, ambassador, staff):
    actions.edit_post(editor=staff, post=answer, body="Aangepast door het programmateam")
    assert answer.revisions.get().by_moderator is True


def test_deleting_is_soft_keeps_the_number_and_lowers_the_reply_count(question, answer, colleague):
    actions.accept_answer(actor=question.author, thread=question, post=answer)
    actions.delete_post(actor=colleague, post=answer)
    answer.refresh_from_db()
    question.refresh_from_db()
    assert answer.deleted_at is not None and Post.objects.filter(pk=answer.pk).exists()
    assert (question.reply_count, question.last_post_number, question.accepted_post) == (0, 2, None)
    later = actions.reply_to_thread(author=colleague, thread=question, body="Nieuwe reactie")
    assert later.number == 3


def test_accepting_an_answer_and_changing_it(question, answer, colleague, member):
    other = actions.reply_to_thread(author=member, thread=question, body="Ik heb het zelf gevonden.")
    actions.accept_answer(actor=member, thread=question, post=answer)
    question.refresh_from_db()
    assert question.accepted_post == answer and question.is_solved
    actions.accept_answer(actor=member, thread=question, post=other)
    question.refresh_from_db()
    assert question.accepted_post == other
    actions.unaccept_answer(actor=member, thread=question)
    question.refresh_from_db()
    assert question.accepted_post is None


def test_the_opening_post_or_a_post_elsewhere_cannot_be_the_answer(question, answer, member, plein):
    with pytest.raises(DomainError):
        actions.accept_answer(actor=member, thread=question, post=question.posts.get(number=1))
    other_thread = make_thread(member, plein, kind="question", posts=1)
    with pytest.raises(DomainError):
        actions.accept_answer(actor=member, thread=question, post=other_thread.posts.get(number=2))


def test_only_questions_have_answers(member, plein, themes):
    thread = make_thread(member, plein, kind="experience", posts=1)
    with pytest.raises(DomainError):
        actions.accept_answer(actor=member, thread=thread, post=thread.posts.get(number=2))


def test_nuttig_once_per_member_and_post_and_never_on_your_own(answer, member, colleague, question):
    actions.mark_useful(member=member, post=answer)
    with pytest.raises(DomainError):
        actions.mark_useful(member=member, post=answer)
    with pytest.raises(DomainError):
        actions.mark_useful(member=colleague, post=answer)
    answer.refresh_from_db()
    question.refresh_from_db()
    assert answer.useful_count == 1 and question.useful_count == 1
    actions.unmark_useful(member=member, post=answer)
    actions.unmark_useful(member=member, post=answer)
    answer.refresh_from_db()
    assert answer.useful_count == 0 and not Mark.objects.exists()


def test_mark_read_writes_only_when_something_new_was_read(question, colleague, django_assert_num_queries):
    with django_assert_num_queries(1):
        actions.mark_read(member=colleague, thread=question, number=1, known=None)
    with django_assert_num_queries(0):
        actions.mark_read(member=colleague, thread=question, number=1, known=1)
    assert ReadState.objects.get(member=colleague, thread=question).last_read_number == 1


def test_mentions_of_real_members_become_links_and_rows(question, colleague, member, outsider):
    post = actions.reply_to_thread(
        author=colleague, thread=question, body="Zie @fatima en @iris, niet @niemand of `@thijs`."
    )
    assert set(Mention.objects.filter(post=post).values_list("member__handle", flat=True)) == {"fatima", "iris"}
    assert f'href="{member.get_absolute_url()}"' in post.html
    assert "@niemand" in post.html and 'href="/members/niemand/"' not in post.html


def test_a_quote_cites_author_and_post(question, answer, member):
    post = actions.reply_to_thread(
        author=member, thread=question, body=f"[quote=post:{answer.pk}]\nBij ons met een balie\n[/quote]\n\nDank!"
    )
    assert "<blockquote" in post.html and "Thijs Willems" in post.html
    assert f"/posts/{answer.pk}/" in post.html


def test_a_quote_of_a_post_the_author_may_not_read_is_not_attributed(dutch_data, outsider, member, colleague, themes):
    region_thread = make_thread(member, Group.objects.get(slug="zuid-holland"), posts=1, repliers=[colleague])
    secret = region_thread.posts.get(number=2)
    plein_thread = make_thread(outsider, Group.objects.get(slug="het-plein"))
    post = actions.reply_to_thread(
        author=outsider, thread=plein_thread, body=f"[quote=post:{secret.pk}]\nverzonnen\n[/quote]"
    )
    assert colleague.name not in post.html


def test_signals_are_sent_inside_the_transaction_and_a_rollback_undoes_everything(question, colleague):
    received = []

    def receiver(sender, post, **kwargs):
        received.append((post.number, transaction.get_connection().in_atomic_block))

    signals.post_created.connect(receiver)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            actions.reply_to_thread(author=colleague, thread=question, body="Wordt teruggedraaid")
            raise RuntimeError
    finally:
        signals.post_created.disconnect(receiver)
    assert received == [(2, True)]
    question.refresh_from_db()
    assert question.last_post_number == 1 and not Post.objects.filter(number=2).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_replies_get_consecutive_numbers_on_postgresql(question, colleague, member):
    """The UPDATE that takes the next number locks the thread row: sixteen
    replies from eight connections at once get 2..17, each exactly once."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from tests.needs import need_postgres

    need_postgres()

    def reply(number):
        try:
            return actions.reply_to_thread(
                author=[colleague, member][number % 2], thread=question, body=f"Tegelijk {number}"
            ).number
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = sorted(pool.map(reply, range(16)))
    assert numbers == list(range(2, 18))
    question.refresh_from_db()
    assert (question.last_post_number, question.reply_count) == (17, 16)
