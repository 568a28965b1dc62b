"""Who may read a thread is one rule in three forms (threads/permissions.py): for one
member and one thread, as a filter on threads, and as a filter on members. For every kind
of member and every kind of thread, the three give the same answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community import actions as community_actions
from community.models import Group, Member, Municipality
from community.permissions import bulk_load_roles, load_roles
from tests.conftest import approved_member
from tests.factories import MemberFactory
from threads import actions
from threads.models import Thread
from threads.permissions import can_read_thread, readable_threads_q, readers_q

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(member, colleague, outsider, ambassador, staff, pending_member):
    suspended = approved_member(Municipality.objects.get(code="GM0518"), name="Gijs Geschorst", handle="gijs")
    community_actions.suspend_member(
        actor=staff, member=suspended, until=timezone.now() + timedelta(days=2), reason="Even niet"
    )
    lifted = approved_member(Municipality.objects.get(code="GM0518"), name="Lotte Lang", handle="lotte")
    Member.objects.filter(pk=lifted.pk).update(status="suspended", suspended_until=timezone.now() - timedelta(days=1))
    deactivated = MemberFactory(name="Weg Geweest", handle="weg", is_active=False, municipality=member.municipality)
    typology_moderator = approved_member(Municipality.objects.get(code="GM0599"), name="Tom Typologie", handle="tom_t")
    community_actions.make_moderator(member=typology_moderator, group=Group.objects.get(slug="g40"))
    return [
        Member.objects.get(pk=someone.pk)
        for someone in (
            member,
            colleague,
            outsider,
            ambassador,
            staff,
            pending_member,
            suspended,
            lifted,
            deactivated,
            typology_moderator,
        )
    ]


@pytest.fixture
def every_kind_of_thread(member, colleague, staff, themes):
    closed = Group.objects.create(
        name="Besloten werkgroep", slug="besloten", kind=Group.Kind.THEME, read_access=Group.ReadAccess.MEMBERS
    )
    community_actions.join_group(member=colleague, group=closed)
    threads = []
    for group, author in (
        (Group.objects.get(slug="het-plein"), member),
        (Group.objects.get(slug="zuid-holland"), member),
        (Group.objects.get(slug="g40"), member),
        (closed, colleague),
    ):
        for hidden in (False, True):
            thread = actions.create_thread(
                author=author,
                group=group,
                title=f"{group.name} {hidden}",
                kind="question",
                body="Tekst",
                themes=list(themes[:1]),
            )
            if hidden:
                actions.hide_thread(actor=staff, thread=thread, reason="Verborgen")
            threads.append(Thread.objects.select_related("group").get(pk=thread.pk))
    return threads


def test_the_three_forms_of_the_reading_rule_agree_for_every_member_and_thread(people, every_kind_of_thread):
    answers = set()
    for person in people:
        person = Member.objects.get(pk=person.pk)
        readable = (
            set(Thread.objects.filter(readable_threads_q(person)).values_list("pk", flat=True))
            if person.is_participant
            else set()
        )
        for thread in every_kind_of_thread:
            one = can_read_thread(person, thread)
            as_thread_filter = thread.pk in readable
            as_member_filter = Member.objects.filter(readers_q(thread), pk=person.pk).exists()
            assert one == as_thread_filter == as_member_filter, (
                person.handle,
                thread.title,
                one,
                as_thread_filter,
                as_member_filter,
            )
            answers.add(one)
    assert answers == {True, False}  # the matrix has both answers, so it can fail


def test_roles_loaded_in_bulk_are_the_roles_loaded_one_by_one(people, django_assert_num_queries):
    members = [Member.objects.get(pk=person.pk) for person in people]
    with django_assert_num_queries(2):
        bulk_load_roles(members)
    for member in members:
        assert member.roles == load_roles(Member.objects.get(pk=member.pk)), member.handle
