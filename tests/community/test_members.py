"""A group's members for the group page, read with plain SQL (community/members.py)."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.utils.html import escape

from community.members import GroupMembers, group_moderators
from community.models import Group, Member, Membership
from tests.conftest import approved_member

pytestmark = pytest.mark.django_db


def test_members_by_name_paged_and_counted(member, ambassador, municipality):
    group = Group.objects.get(slug="zuid-holland")
    others = [
        approved_member(municipality, name=name, handle=f"lid{i}")
        for i, name in enumerate(["Zoë de Wit", "Anna Bakker", "Mark de Vries"])
    ]
    names = sorted([member.name, *(m.name for m in others)])
    members = GroupMembers(group.pk, Membership.Role.MEMBER, count=Group.objects.get(pk=group.pk).member_count - 1)
    assert members.count() == 4  # the kept count, less the ambassador who moderates
    first, second = (Paginator(members, 3).page(number) for number in (1, 2))
    assert [card.name for card in [*first, *second]] == names
    card = next(card for card in first if card.pk == member.pk)
    assert card.municipality_name == municipality.name and card.handle == member.handle
    fragment = card.fragment()
    assert fragment.url == member.get_absolute_url() and fragment.municipality_name == municipality.name
    assert [card.pk for card in group_moderators(group.pk)] == [ambassador.pk]


def test_the_group_page_lists_members_by_name_with_a_card_each(client, login, member, municipality):
    approved_member(municipality, name="Anna Bakker", handle="anna")
    login(member)
    body = client.get("/groups/zuid-holland/").content.decode()
    members = body.split('id="members-heading"')[1]
    assert members.index("Anna Bakker") < members.index(member.name)
    assert f'href="/members/{member.handle}/"' in members and escape(municipality.name) in members


def test_a_members_groups_by_kind_and_name_and_their_municipality_without_a_query(member, django_assert_num_queries):
    """The groups come with the member's roles (kept per cache version), the municipality
    with the member (one join in the query that loads the member of every request)."""
    from community.auth import load_member
    from community.members import groups_of

    expected = list(Group.objects.filter(memberships__member=member).order_by("kind", "name"))
    with django_assert_num_queries(1):
        loaded = load_member(member.pk)
    loaded.roles  # kept per cache version
    with django_assert_num_queries(0):
        assert groups_of(loaded) == expected
        assert [g.name for g in groups_of(loaded)] == [g.name for g in expected]
        assert loaded.municipality.name == member.municipality.name
        assert loaded.municipality.code == member.municipality.code
    assert [g.get_absolute_url() for g in groups_of(loaded)] == [g.get_absolute_url() for g in expected]
    Member.objects.filter(pk=member.pk).update(municipality=None)
    assert load_member(member.pk).municipality is None


def test_a_renamed_group_or_municipality_shows_at_once_on_the_home_page(client, login, member, staff):
    from community import actions

    login(member)
    client.get("/")
    group = Group.objects.filter(memberships__member=member).first()
    group.name = "Hernoemde groep"
    actions.save_group(actor=staff, group=group)  # as the admin saves it
    municipality = member.municipality
    municipality.name = "Hernoemde gemeente"
    municipality.save()
    page = client.get("/").content.decode()
    assert "Hernoemde groep" in page and "Hernoemde gemeente" in page


def counts() -> dict[str, tuple[int, int]]:
    """Each group's kept member count next to the memberships counted now."""
    return {
        group.slug: (group.member_count, Membership.objects.filter(group=group).count())
        for group in Group.objects.all()
    }


def assert_counts_kept():
    for slug, (kept, counted) in counts().items():
        assert kept == counted, slug


def test_a_groups_member_count_follows_every_change_of_its_memberships(member, pending_member, staff, almere):
    """Joining, leaving, approval (a bulk insert), removal by the programme team, a deleted
    account, and a group saved from a form that read an older count."""
    from community import actions

    plein, region = Group.objects.get(slug="het-plein"), Group.objects.get(slug="zuid-holland")
    assert plein.member_count > 0
    assert_counts_kept()
    typology = Group.objects.filter(kind=Group.Kind.TYPOLOGY).exclude(memberships__member=member).first()
    actions.join_group(member=member, group=typology)
    assert_counts_kept()
    actions.leave_group(member=member, group=typology)
    assert_counts_kept()
    actions.approve_member(actor=staff, member=pending_member)
    assert Group.objects.get(pk=plein.pk).member_count == Membership.objects.filter(group=plein).count()
    assert_counts_kept()
    stale = Group.objects.get(pk=region.pk)
    actions.remove_from_group(actor=staff, member=pending_member, group=region)
    actions.join_group(member=pending_member, group=Group.objects.get(slug="flevoland"))
    assert_counts_kept()
    stale.description = "Nieuwe beschrijving."
    actions.save_group(actor=staff, group=stale)  # as the admin saves it: with the count it read before
    assert_counts_kept()
    actions.delete_account(member=pending_member)
    assert_counts_kept()


def test_the_group_page_counts_its_members_from_the_kept_count(client, login, member, ambassador, municipality):
    region = Group.objects.get(slug="zuid-holland")
    login(member)
    members = Membership.objects.filter(group=region, role=Membership.Role.MEMBER).count()
    heading = client.get("/groups/zuid-holland/").content.decode().split('id="members-heading">')[1].split("</h2>")[0]
    assert heading.startswith(f"{members} ")
    approved_member(municipality, name="Anna Bakker", handle="anna")
    heading = client.get("/groups/zuid-holland/").content.decode().split('id="members-heading">')[1].split("</h2>")[0]
    assert heading.startswith(f"{members + 1} ")


def test_a_group_by_its_slug_in_one_plain_query(dutch_data, client, login, member, django_assert_num_queries):
    from community.members import group_by_slug

    with django_assert_num_queries(1):
        found = group_by_slug("zuid-holland")
    expected = Group.objects.get(slug="zuid-holland")
    assert found == expected
    assert (found.name, found.kind, found.region_id, found.read_access, found.member_count) == (
        expected.name,
        expected.kind,
        expected.region_id,
        expected.read_access,
        expected.member_count,
    )
    assert group_by_slug("bestaat-niet") is None
    login(member)
    assert client.get("/groups/bestaat-niet/").status_code == 404
