"""List rows read with plain SQL around the list's own QuerySet (threads/listrows.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community import actions as community_actions
from community.models import Group, Member
from tests.threads.conftest import make_thread
from threads import actions
from threads.listrows import list_rows
from threads.models import Thread

pytestmark = pytest.mark.django_db


def test_rows_come_in_the_lists_order_with_what_a_row_shows(member, colleague, plein):
    first = make_thread(member, plein, title="Eerste", posts=2, repliers=[colleague])
    second = make_thread(colleague, plein, title="Tweede")
    make_thread(member, plein, title="Derde", posts=1, repliers=[colleague])
    Thread.objects.filter(pk=second.pk).update(pinned=True)
    actions.mark_read(member=member, thread=first, number=1, known=None)
    member.roles  # the member's groups, kept per cache version
    with CaptureQueriesContext(connection) as queries:
        latest = list_rows(lambda: Thread.objects.newest_first().visible_to(member), member, 0, 10)
    assert len(queries) == 2  # the ids in the list's order, then the rows by id
    assert [listed.row.title for listed in latest] == [t.title for t in Thread.objects.newest_first()]
    pinned_first = list_rows(lambda: Thread.objects.filter(group=plein).for_group_page(), member, 0, 10)
    assert pinned_first[0].pk == second.pk
    assert [row.pk for row in list_rows(Thread.objects.newest_first, member, 1, 1)] == [
        Thread.objects.newest_first()[1].pk
    ]
    listed = next(listed for listed in latest if listed.pk == first.pk)
    row = listed.row
    first.refresh_from_db()
    assert (row.reply_count, row.last_post_number, row.last_activity_at) == (
        first.reply_count,
        first.last_post_number,
        first.last_activity_at,
    )
    assert listed.last_read_number == 1 and row.group_name == plein.name and row.pinned is False
    assert row.author_name == member.name and row.municipality_name == member.municipality.name
    assert row.url == first.get_absolute_url() and row.group_url == plein.get_absolute_url()
    fragment = listed.fragment(hide_group=False)
    assert (fragment.is_new, fragment.unread_count) == (False, first.last_post_number - 1)


def test_no_rows_for_a_list_that_cannot_match(member, plein):
    make_thread(member, plein)
    member.status = Member.Status.REJECTED
    assert list_rows(lambda: Thread.objects.newest_first().visible_to(member), member, 0, 10) == []


def test_a_list_without_an_ordering_is_refused(member, plein):
    make_thread(member, plein)
    with pytest.raises(ValueError, match="ordering"):
        list_rows(Thread.objects.all, member, 0, 10)


def test_a_named_list_makes_its_statement_once_per_member_version(outsider, colleague, plein):
    """Building and compiling the QuerySet is most of a list's CPU: with a key it happens
    once, until the member's roles (their ``cache_version``) change."""
    member = outsider  # from Limburg: not in Zuid-Holland's closed regional group
    regio = Group.objects.get(slug="zuid-holland")
    assert regio.read_access == Group.ReadAccess.MEMBERS
    make_thread(colleague, plein, title="In het plein")
    regional = make_thread(colleague, regio, title="In de regio")
    made = []

    def latest():
        made.append(1)
        return Thread.objects.newest_first().visible_to(member)

    def titles(who):
        return [listed.row.title for listed in list_rows(latest, who, 0, 10, key="latest")]

    assert "In de regio" not in titles(member)
    assert "In de regio" not in titles(member)
    assert len(made) == 1
    list_rows(latest, member, 10, 10, key="latest")  # another window: its own statement
    assert len(made) == 2
    community_actions.join_group(member=member, group=regio)
    member = Member.objects.get(pk=member.pk)  # as the next request loads it
    assert "In de regio" in titles(member)
    assert len(made) == 3
    list_rows(latest, member, 0, 10, key=None)
    list_rows(latest, member, 0, 10, key=None)
    assert len(made) == 5
    assert regional.pk in [row.pk for row in list_rows(latest, member, 0, 10, key="latest")]


def test_the_rows_statement_has_one_text_however_many_rows(member, plein):
    """On PostgreSQL the ids go in one array parameter, so the statement is prepared once
    and keeps its plan; elsewhere as many parameters as ids."""
    for number in range(3):
        make_thread(member, plein, title=f"Onderwerp {number}")
    member.roles
    texts = []

    def keep_text(execute, sql, params, many, context):
        texts.append(sql)
        return execute(sql, params, many, context)

    for count in (1, 3):
        with connection.execute_wrapper(keep_text):
            assert len(list_rows(lambda: Thread.objects.newest_first().visible_to(member), member, 0, count)) == count
    ids_one, rows_one, ids_three, rows_three = texts
    if connection.vendor == "postgresql":
        assert rows_one == rows_three and "= ANY(%s)" in rows_one
    else:
        assert rows_one.count("%s") + 2 == rows_three.count("%s")


def test_rows_bring_their_themes_by_name(member, plein, themes):
    """The themes come in the rows' own statement, by name, on SQLite and PostgreSQL."""
    thread = actions.create_thread(
        author=member, group=plein, title="Met thema's", kind="experience", body="Tekst.",
        themes=[themes[3], themes[0], themes[2]],
    )  # fmt: skip
    bare = make_thread(member, plein, title="Zonder thema's")
    thread.theme_links.all()
    from threads.models import ThreadTheme

    ThreadTheme.objects.filter(content_object=bare).delete()
    member.roles
    with CaptureQueriesContext(connection) as queries:
        rows = {
            row.pk: row for row in list_rows(lambda: Thread.objects.newest_first().visible_to(member), member, 0, 10)
        }
    assert len(queries) == 2
    expected = sorted((theme.name, theme.slug) for theme in (themes[3], themes[0], themes[2]))
    assert rows[thread.pk].themes == tuple(expected)
    assert rows[bare.pk].themes == ()
