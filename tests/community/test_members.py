"""A group's members for the group page, read with plain SQL (community/members.py)."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.utils.html import escape

from community.members import GroupMembers, group_moderators
from community.models import Group, Membership
from tests.conftest import approved_member

pytestmark = pytest.mark.django_db


def test_members_by_name_paged_and_counted(member, ambassador, municipality):
    group = Group.objects.get(slug="zuid-holland")
    others = [approved_member(municipality, name=name, handle=f"lid{i}") for i, name in enumerate(["Zoë de Wit", "Anna Bakker", "Mark de Vries"])]
    names = sorted([member.name, *(m.name for m in others)])
    members = GroupMembers(group.pk, Membership.Role.MEMBER)
    assert members.count() == 4
    first, second = (Paginator(members, 3).page(number) for number in (1, 2))
    assert [card.name for card in [*first, *second]] == names
    card = next(card for card in first if card.pk == member.pk)
    assert card.municipality_name == municipality.name and card.handle == member.handle
    as_member = card.as_member()
    assert as_member.get_absolute_url() == member.get_absolute_url() and as_member.municipality.name == municipality.name
    assert [card.pk for card in group_moderators(group.pk)] == [ambassador.pk]


def test_the_group_page_lists_members_by_name_with_a_card_each(client, login, member, municipality):
    approved_member(municipality, name="Anna Bakker", handle="anna")
    login(member)
    body = client.get("/groups/zuid-holland/").content.decode()
    members = body.split('id="members-heading"')[1]
    assert members.index("Anna Bakker") < members.index(member.name)
    assert f'href="/members/{member.handle}/"' in members and escape(municipality.name) in members


def test_a_members_groups_by_kind_and_name_and_their_municipality_once(member, django_assert_num_queries):
    from community.auth import load_member
    from community.members import groups_of, municipality_of

    expected = list(Group.objects.filter(memberships__member=member).order_by("kind", "name"))
    loaded = load_member(member.pk)
    loaded.roles  # kept per cache version
    with django_assert_num_queries(2):
        assert groups_of(loaded) == expected
        assert municipality_of(loaded).name == member.municipality.name
        assert municipality_of(loaded) is loaded.municipality  # no second query
    assert [g.get_absolute_url() for g in groups_of(loaded)] == [g.get_absolute_url() for g in expected]
