"""Facts kept about a member in process memory (roles, watch levels) are keyed by
``Member.cache_version``: every change of a membership, group or watch level moves it
(``community.facts``, called by the actions, the admin and the importer; no model signal
does it), so a request that loads the member after the change never sees the facts from
before it, in any process."""

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
    typology_group = (
        Group.objects.filter(kind=Group.Kind.TYPOLOGY).exclude(pk__in=fresh(member).roles.group_ids).first()
    )
    actions.join_group(member=member, group=typology_group)
    assert typology_group.pk in fresh(member).roles.group_ids
    actions.make_moderator(member=member, group=typology_group)
    assert typology_group.pk in fresh(member).roles.moderated_group_ids
    actions.leave_group(member=member, group=typology_group)
    assert typology_group.pk not in fresh(member).roles.group_ids


def test_a_write_that_bypasses_the_actions_leaves_the_version_alone(member, dutch_data):
    """No model signal renews facts behind the actions' backs: a bare save does not (which
    is why every writer calls ``community.facts``), and the admin goes through the actions."""
    membership = Membership.objects.filter(member=member).first()
    version = fresh(member).cache_version
    membership.role = Membership.Role.MODERATOR
    membership.save()
    assert fresh(member).cache_version == version


def test_a_group_saved_in_the_admin_moves_everybodys_version(client, login, staff, ambassador, dutch_data):
    """A group's name and kind are part of its members' roles, and whether it is open is
    part of everybody's."""
    regional = Group.objects.get(
        kind=Group.Kind.REGION, memberships__member=ambassador, memberships__role=Membership.Role.MODERATOR
    )
    version = fresh(ambassador).cache_version
    login(staff)
    response = client.post(
        f"/admin/community/group/{regional.pk}/change/",
        {
            "name": regional.name + " (nieuw)",
            "slug": regional.slug,
            "description": "",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert fresh(ambassador).cache_version > version
    assert regional.name + " (nieuw)" in [group.name for group in fresh(ambassador).roles.groups]


def test_a_re_import_renews_what_running_processes_know(member, dutch_data):
    """The importer writes in bulk (no signals). Another process that cached the member's
    roles before the import (simulated: the roles kept in this process's memory for the
    member's version, as that process would keep them) must not keep showing the old
    group name after it: the import moves every member's version."""
    from community.importer import import_dataset, read_dataset

    group = Group.objects.get(slug="het-plein")
    Group.objects.filter(pk=group.pk).update(name="Het oude plein")
    stale = fresh(member).roles  # cached under the version before the import
    assert "Het oude plein" in [g.name for g in stale.groups]
    import_dataset(read_dataset())
    renewed = fresh(member)  # the next request in any process loads the row again
    assert renewed.cache_version > member.cache_version
    assert [g.name for g in renewed.roles.groups if g.pk == group.pk] == [Group.objects.get(pk=group.pk).name]


def test_approval_puts_the_new_groups_in_the_roles(dutch_data, municipality, staff):
    from tests.factories import MemberFactory

    applicant = MemberFactory(municipality=municipality, status=Member.Status.PENDING, approved_at=None)
    assert fresh(applicant).roles.group_ids == frozenset()
    actions.approve_member(actor=staff, member=fresh(applicant))
    assert fresh(applicant).roles.group_ids == frozenset(
        Membership.objects.filter(member=applicant).values_list("group_id", flat=True)
    )
    assert fresh(applicant).roles.group_ids


def test_readable_groups_are_the_members_own_and_the_open_ones(member):
    roles = load_roles(Member.objects.get(pk=member.pk))
    open_groups = set(Group.objects.filter(read_access=Group.ReadAccess.EVERYONE).values_list("pk", flat=True))
    own = set(member.memberships.values_list("group_id", flat=True))
    assert roles.group_ids == own
    assert roles.readable_group_ids == own | open_groups


def test_a_group_opened_or_closed_shows_at_once_for_every_member(client, login, staff, member):
    """Whether a group is open is part of everybody's roles: opening or closing a group
    moves every member's version, not only its members'."""
    from community.models import Municipality
    from tests.conftest import approved_member
    from threads import actions as thread_actions
    from threads.models import Theme

    outsider = approved_member(
        Municipality.objects.get(code="GM0984"), name="Iris Kok", handle="iris"
    )  # Venray, Limburg

    region = Group.objects.get(slug="zuid-holland")
    assert region.read_access == Group.ReadAccess.MEMBERS and not region.memberships.filter(member=outsider).exists()
    thread = thread_actions.create_thread(
        author=member,
        group=region,
        title="Alleen voor Zuid-Holland",
        kind="question",
        body="Vraag.",
        themes=[Theme.objects.first()],
    )
    login(outsider)
    assert "Alleen voor Zuid-Holland" not in client.get("/latest/").content.decode()
    assert client.get(thread.get_absolute_url() + "?page=1").status_code == 404
    actions.set_group_read_access(actor=staff, group=region, read_access=Group.ReadAccess.EVERYONE)
    assert "Alleen voor Zuid-Holland" in client.get("/latest/").content.decode()
    assert client.get(thread.get_absolute_url() + "?page=1").status_code == 200
    actions.set_group_read_access(actor=staff, group=region, read_access=Group.ReadAccess.MEMBERS)
    assert "Alleen voor Zuid-Holland" not in client.get("/latest/").content.decode()
