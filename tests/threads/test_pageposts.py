"""The thread page's plain-SQL reads (threads/pageposts.py) give what the ORM gives."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.community.test_rows import field_values
from threads import actions
from threads.models import Post, Thread
from threads.pageposts import page_posts, page_thread

pytestmark = pytest.mark.django_db


def test_the_thread_of_a_page_with_its_group_and_read_position_in_one_query(member, colleague, staff, question):
    actions.reply_to_thread(author=colleague, thread=question, body="Een antwoord.")
    actions.mark_read(member=colleague, thread=question, number=1, known=None)
    with CaptureQueriesContext(connection) as queries:
        thread = page_thread(colleague, question.pk)
    assert len(queries) == 1
    expected = Thread.objects.select_related("group").get(pk=question.pk)
    assert field_values(thread) == field_values(expected)
    assert field_values(thread.group) == field_values(expected.group)
    assert thread.last_read_number == 1
    never = page_thread(staff, question.pk)
    assert never.last_read_number is None
    assert page_thread(member, 10**9) is None


def test_the_posts_of_a_page_as_rows_and_as_posts(member, colleague, question):
    reply = actions.reply_to_thread(author=colleague, thread=question, body="Een **antwoord**.")
    actions.mark_useful(member=member, post=reply)
    actions.edit_post(editor=colleague, post=reply, body="Een beter antwoord.")
    thread = page_thread(member, question.pk)
    rows, also = page_posts(thread, member, 1, 20, also=reply.pk)
    assert [row.number for row in rows] == [1, 2] and also.pk == reply.pk
    opening, answer = rows
    assert answer.is_marked and not opening.is_marked
    assert answer.edited_at.tzinfo is not None and isinstance(answer.created, datetime.datetime)
    assert answer.author_name == colleague.name and answer.municipality_name == colleague.municipality.name
    expected = Post.objects.select_related("author__municipality").get(pk=reply.pk)
    for name in ("number", "author_id", "html", "created", "edited_at", "useful_count", "deleted_at", "hidden"):
        assert getattr(answer, name) == getattr(expected, name), name
    assert answer.pk == expected.pk and answer.thread_id == expected.thread_id
    assert (
        answer.author_url == expected.author.get_absolute_url()
        and answer.position_label == expected.author.get_position_display()
    )
    assert not answer.is_former_member and answer.is_visible and not answer.is_opening
