"""The permission table for threads and posts, one rule per test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import Group, Member
from tests.threads.conftest import make_thread
from threads import actions
from threads import permissions as can
from threads.models import Thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def regional(member, colleague, themes):
    return make_thread(member, Group.objects.get(slug="zuid-holland"), kind="question", posts=1, repliers=[colleague])


def test_open_groups_are_readable_by_every_approved_member(outsider, question):
    assert can.can_read_thread(outsider, question)
    assert not can.can_start_thread(outsider, Group.objects.get(slug="expatgemeenten"))


def test_regional_groups_are_readable_by_their_members_and_staff_only(regional, outsider, colleague, staff):
    assert can.can_read_thread(colleague, regional)
    assert can.can_read_thread(staff, regional)
    assert not can.can_read_thread(outsider, regional)
    assert not can.can_reply(outsider, regional)


def test_hidden_threads_are_for_moderators_only(regional, colleague, ambassador, staff):
    Thread.objects.filter(pk=regional.pk).update(hidden=True)
    regional.refresh_from_db()
    assert not can.can_read_thread(colleague, regional)
    assert can.can_read_thread(ambassador, regional)
    assert can.can_read_thread(staff, regional)
    assert Thread.objects.visible_to(colleague).filter(pk=regional.pk).count() == 0
    assert Thread.objects.visible_to(ambassador).filter(pk=regional.pk).count() == 1


def test_pending_and_suspended_members_read_nothing(question, pending_member, member):
    assert not can.can_read_thread(pending_member, question)
    Member.objects.filter(pk=member.pk).update(status="suspended", suspended_until=timezone.now() + timedelta(days=1))
    suspended = Member.objects.get(pk=member.pk)
    assert not can.can_read_thread(suspended, question)
    assert not Thread.objects.visible_to(suspended).exists()


def test_locked_threads_take_replies_from_moderators_only(regional, colleague, ambassador):
    Thread.objects.filter(pk=regional.pk).update(locked=True)
    regional.refresh_from_db()
    assert not can.can_reply(colleague, regional)
    assert can.can_reply(ambassador, regional)


def test_authors_edit_and_delete_their_own_posts_moderators_edit_any(regional, member, colleague, ambassador):
    reply = regional.posts.get(number=2)
    reply.thread = regional
    assert can.can_edit_post(colleague, reply) and can.can_delete_post(colleague, reply)
    assert not can.can_edit_post(member, reply) and not can.can_delete_post(member, reply)
    assert can.can_edit_post(ambassador, reply) and not can.can_delete_post(ambassador, reply)
    Thread.objects.filter(pk=regional.pk).update(locked=True)
    regional.refresh_from_db()
    reply.thread = regional
    assert not can.can_edit_post(colleague, reply)


def test_the_asker_and_moderators_accept_answers(regional, member, colleague, ambassador, staff):
    reply = regional.posts.get(number=2)
    opening = regional.posts.get(number=1)
    assert can.can_accept_answer(member, regional, reply)
    assert can.can_accept_answer(ambassador, regional, reply)
    assert can.can_accept_answer(staff, regional, reply)
    assert not can.can_accept_answer(colleague, regional, reply)
    assert not can.can_accept_answer(member, regional, opening)


def test_nuttig_is_for_other_peoples_visible_posts(regional, member, colleague):
    reply = regional.posts.get(number=2)
    assert can.can_mark_useful(member, reply)
    assert not can.can_mark_useful(colleague, reply)
    actions.delete_post(actor=colleague, post=reply)
    reply.refresh_from_db()
    assert not can.can_mark_useful(member, reply)


def test_permission_checks_make_no_queries_once_roles_are_loaded(regional, member, django_assert_num_queries):
    reply = regional.posts.select_related("thread__group").get(number=2)
    member.roles  # loaded once per request
    with django_assert_num_queries(0):
        can.can_read_thread(member, regional)
        can.can_reply(member, regional)
        can.can_edit_post(member, reply)
        can.can_accept_answer(member, regional, reply)
        can.can_mark_useful(member, reply)


def test_a_refusal_says_why_in_words_that_fit_the_cause(member, colleague, outsider, staff, question, answer):
    from django.core.exceptions import PermissionDenied
    from django.utils import translation

    from threads import actions, permissions
    from threads.models import Post, Thread

    def reason(check, *args) -> str:
        with translation.override("en"):
            with pytest.raises(PermissionDenied) as refused:
                check(*args)
            return str(refused.value)

    regional = Group.objects.get(slug="zuid-holland")
    outsider_fresh = Member.objects.get(pk=outsider.pk)
    assert (
        reason(permissions.check_start_thread, outsider_fresh, regional)
        == "Only members of this group can start a thread in it. Join the group first."
    )
    actions.lock_thread(actor=staff, thread=question, reason="Klaar")
    locked = Thread.objects.select_related("group").get(pk=question.pk)
    assert (
        reason(permissions.check_reply, Member.objects.get(pk=colleague.pk), locked)
        == "This thread is locked: nobody can reply any more."
    )
    post = Post.objects.select_related("thread__group").get(pk=answer.pk)
    assert (
        reason(permissions.check_edit_post, Member.objects.get(pk=member.pk), post)
        == "You can only edit your own posts."
    )
    assert (
        reason(permissions.check_edit_post, Member.objects.get(pk=colleague.pk), post)
        == "This thread is locked: its posts can no longer be edited."
    )
    assert (
        reason(permissions.check_mark_useful, Member.objects.get(pk=colleague.pk), post)
        == "You cannot mark your own post as useful."
    )
    assert permissions.can_reply(Member.objects.get(pk=staff.pk), locked)  # moderators reply in a locked thread
