"""Facts kept about a member in process memory (roles, watch levels) are keyed by
``Member.cache_version``: every change of a membership or watch level moves it, so a
request that loads the member after the change never sees the facts from before it."""

from __future__ import annotations

import pytest

from community import actions
from community.models import Group, Member, Membership
from community.permissions import load_roles

pytestmark = pytest.mark.django_db


def fresh(member: Member) -> Member:
    """The member as the next request loads them."""
    return Member.objects.get(pk=member.pk)


def test_roles_are_looked_up_once_per_version(member, django_assert_num_queries):
    first, second = fresh(member), fresh(member)
    with django_assert_num_queries(1):
        roles = load_roles(first)
    with django_assert_num_queries(0):
        assert load_roles(second) == roles


def test_joining_leaving_and_moderating_show_at_once(member, dutch_data):
    typology_group = Group.objects.filter(kind=Group.Kind.TYPOLOGY).exclude(pk__in=fresh(member).roles.group_ids).first()
    actions.join_group(member=member, group=typology_group)
    assert typology_group.pk in fresh(member).roles.group_ids
    actions.make_moderator(member=member, group=typology_group)
    assert typology_group.pk in fresh(member).roles.moderated_group_ids
    actions.leave_group(member=member, group=typology_group)
    assert typology_group.pk not in fresh(member).roles.group_ids


def test_changes_outside_the_actions_move_the_version_too(member, dutch_data):
    """The admin saves and deletes rows one by one: the model signals move the version."""
    membership = Membership.objects.filter(member=member).first()
    before = fresh(member).roles
    membership.role = Membership.Role.MODERATOR
    membership.save()
    assert membership.group_id in fresh(member).roles.moderated_group_ids
    Membership.objects.filter(pk=membership.pk).delete()
    assert membership.group_id not in fresh(member).roles.group_ids
    assert fresh(member).roles != before


def test_saving_a_group_moves_its_members_versions(ambassador, dutch_data):
    """A group's kind and province are part of its members' roles."""
    regional = Group.objects.get(kind=Group.Kind.REGION, memberships__member=ambassador, memberships__role=Membership.Role.MODERATOR)
    assert regional.region_id in fresh(ambassador).roles.ambassador_region_ids
    version = fresh(ambassador).cache_version
    regional.name = regional.name + " (nieuw)"
    regional.save()
    assert fresh(ambassador).cache_version == version + 1


def test_approval_puts_the_new_groups_in_the_roles(dutch_data, municipality, staff):
    from tests.factories import MemberFactory

    applicant = MemberFactory(municipality=municipality, status=Member.Status.PENDING, approved_at=None)
    assert fresh(applicant).roles.group_ids == frozenset()
    actions.approve_member(actor=staff, member=fresh(applicant))
    assert fresh(applicant).roles.group_ids == frozenset(Membership.objects.filter(member=applicant).values_list("group_id", flat=True))
    assert fresh(applicant).roles.group_ids


def test_readable_groups_are_the_members_own_and_the_open_ones(member):
    roles = load_roles(Member.objects.get(pk=member.pk))
    open_groups = set(Group.objects.filter(read_access=Group.ReadAccess.EVERYONE).values_list("pk", flat=True))
    own = set(member.memberships.values_list("group_id", flat=True))
    assert roles.group_ids == own
    assert roles.readable_group_ids == own | open_groups


def test_a_group_opened_or_closed_shows_at_once_for_every_member(client, login, staff, member):
    """Whether a group is open is part of everybody's roles: saving any group moves every
    member's version, not only its members'."""
    from community.models import Municipality
    from tests.conftest import approved_member
    from threads import actions as thread_actions
    from threads.models import Theme

    outsider = approved_member(Municipality.objects.get(code="GM0984"), name="Iris Kok", handle="iris")  # Venray, Limburg

    region = Group.objects.get(slug="zuid-holland")
    assert region.read_access == Group.ReadAccess.MEMBERS and not region.memberships.filter(member=outsider).exists()
    thread = thread_actions.create_thread(author=member, group=region, title="Alleen voor Zuid-Holland", kind="question", body="Vraag.", themes=[Theme.objects.first()])
    login(outsider)
    assert "Alleen voor Zuid-Holland" not in client.get("/latest/").content.decode()
    assert client.get(thread.get_absolute_url() + "?page=1").status_code == 404
    region.read_access = Group.ReadAccess.EVERYONE
    region.save()
    assert "Alleen voor Zuid-Holland" in client.get("/latest/").content.decode()
    assert client.get(thread.get_absolute_url() + "?page=1").status_code == 200
    region.read_access = Group.ReadAccess.MEMBERS
    region.save()
    assert "Alleen voor Zuid-Holland" not in client.get("/latest/").content.decode()
