"""Every action that changes what a member may read or moderate says so: it sends
``member_access_changed`` (or, for a group's readers, ``group_access_changed``) inside
its transaction, so that the notifications app can re-decide the open sockets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone, translation

from community import actions
from community.errors import DomainError
from community.models import Group, Member, Membership, ModerationLogEntry
from tests.capture import access_signals
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The refusals below are matched in English, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


def other_typology_group(member: Member) -> Group:
    return Group.objects.filter(kind=Group.Kind.TYPOLOGY).exclude(memberships__member=member).order_by("pk").first()


# --- The actions that existed before the admin's steps -------------------------------


def test_joining_a_group_changes_the_members_access(member):
    group = other_typology_group(member)
    with access_signals() as calls:
        actions.join_group(member=member, group=group)
    assert calls == [("member", member.pk)]


def test_joining_a_group_one_is_already_in_changes_nothing(member):
    group = other_typology_group(member)
    actions.join_group(member=member, group=group)
    with access_signals() as calls:
        actions.join_group(member=member, group=group)
    assert calls == []


def test_leaving_a_group_changes_the_members_access(member):
    group = other_typology_group(member)
    actions.join_group(member=member, group=group)
    with access_signals() as calls:
        actions.leave_group(member=member, group=group)
    assert calls == [("member", member.pk)]


def test_being_made_moderator_changes_the_members_access_and_is_logged(member, staff):
    group = other_typology_group(member)
    with access_signals() as calls:
        actions.make_moderator(actor=staff, member=member, group=group)
    assert calls == [("member", member.pk)]
    assert Membership.objects.get(member=member, group=group).role == Membership.Role.MODERATOR
    entry = ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.MAKE_MODERATOR)
    assert (entry.actor, entry.target_member, entry.group) == (staff, member, group)


def test_a_suspension_changes_the_members_access(member, ambassador):
    with access_signals() as calls:
        actions.suspend_member(
            actor=ambassador, member=member, until=timezone.now() + timedelta(days=3), reason="Even afkoelen."
        )
    assert calls == [("member", member.pk)]


def test_lifting_a_suspension_changes_the_members_access(member, ambassador):
    actions.suspend_member(
        actor=ambassador, member=member, until=timezone.now() + timedelta(days=3), reason="Even afkoelen."
    )
    with access_signals() as calls:
        actions.lift_suspension(actor=ambassador, member=member)
    assert calls == [("member", member.pk)]


def test_approval_changes_the_members_access(pending_member, staff):
    with access_signals() as calls:
        actions.approve_member(actor=staff, member=pending_member)
    assert calls == [("member", pending_member.pk)]


def test_rejection_changes_the_members_access(pending_member, staff):
    with access_signals() as calls:
        actions.reject_member(actor=staff, member=pending_member, reason="Geen gemeentelijke functie.")
    assert calls == [("member", pending_member.pk)]


def test_deleting_an_account_changes_the_members_access(member):
    with access_signals() as calls:
        actions.delete_account(member=member)
    assert calls == [("member", member.pk)]


def test_an_action_that_refuses_sends_nothing(member, ambassador, staff):
    with access_signals() as calls:
        with pytest.raises(DomainError):
            actions.suspend_member(
                actor=ambassador, member=staff, until=timezone.now() + timedelta(days=3), reason="Nee."
            )
        with pytest.raises(DomainError):
            actions.lift_suspension(actor=ambassador, member=member)
        with pytest.raises(DomainError):
            actions.make_moderator(actor=staff, member=ambassador, group=Group.objects.get(slug="zuid-holland"))
    assert calls == []


def test_the_signal_is_sent_inside_the_transaction_and_rolls_back_with_it(member, staff):
    """Receivers write in the action's transaction; a rollback takes their rows with it."""
    group = other_typology_group(member)
    seen: list[bool] = []
    with access_signals() as calls, pytest.raises(RuntimeError), transaction.atomic():
        actions.join_group(member=member, group=group)
        seen.append(Membership.objects.filter(member=member, group=group).exists())
        raise RuntimeError("rolled back")
    assert calls == [("member", member.pk)] and seen == [True]
    assert not Membership.objects.filter(member=member, group=group).exists()


# --- The new verbs --------------------------------------------------------------------


def test_a_moderator_role_is_taken_away_and_the_member_stays_in_the_group(ambassador, staff):
    region = Group.objects.get(slug="zuid-holland")
    with access_signals() as calls:
        actions.remove_moderator(actor=staff, member=ambassador, group=region)
    assert calls == [("member", ambassador.pk)]
    assert Membership.objects.get(member=ambassador, group=region).role == Membership.Role.MEMBER
    assert region.pk not in Member.objects.get(pk=ambassador.pk).roles.moderated_group_ids
    entry = ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.REMOVE_MODERATOR)
    assert (entry.actor, entry.target_member, entry.group) == (staff, ambassador, region)
    with pytest.raises(DomainError, match="does not moderate"):
        actions.remove_moderator(actor=staff, member=ambassador, group=region)


def test_a_member_is_removed_from_a_group(member, staff):
    region = Group.objects.get(slug="zuid-holland")
    with access_signals() as calls:
        actions.remove_from_group(actor=staff, member=member, group=region)
    assert calls == [("member", member.pk)]
    assert not Membership.objects.filter(member=member, group=region).exists()
    assert Group.objects.get(pk=region.pk).member_count == Membership.objects.filter(group=region).count()
    entry = ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.REMOVE_FROM_GROUP)
    assert (entry.actor, entry.target_member, entry.group) == (staff, member, region)
    with pytest.raises(DomainError, match="not in this group"):
        actions.remove_from_group(actor=staff, member=member, group=region)


def test_programme_team_rights_are_granted_to_approved_members_only(member, pending_member, staff):
    with access_signals() as calls:
        actions.grant_staff(actor=staff, member=member)
    assert calls == [("member", member.pk)]
    assert Member.objects.get(pk=member.pk).is_staff
    assert ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.GRANT_STAFF).target_member == member
    with pytest.raises(DomainError, match="already on the programme team"):
        actions.grant_staff(actor=staff, member=member)
    with pytest.raises(DomainError, match="Only approved members"):
        actions.grant_staff(actor=staff, member=pending_member)


def test_programme_team_rights_are_revoked_but_not_by_oneself(staff):
    colleague = MemberFactory(is_staff=True, is_superuser=True, municipality=None, handle="collega")
    with access_signals() as calls:
        actions.revoke_staff(actor=staff, member=colleague)
    assert calls == [("member", colleague.pk)]
    colleague.refresh_from_db()
    assert (colleague.is_staff, colleague.is_superuser) == (False, False)
    assert ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.REVOKE_STAFF).actor == staff
    with pytest.raises(DomainError, match="not on the programme team"):
        actions.revoke_staff(actor=staff, member=colleague)
    with pytest.raises(DomainError, match="yourself"):
        actions.revoke_staff(actor=staff, member=staff)


def test_a_groups_readers_change_through_the_action(staff, member):
    region = Group.objects.get(slug="zuid-holland")
    with access_signals() as calls:
        actions.set_group_read_access(actor=staff, group=region, read_access=Group.ReadAccess.EVERYONE)
    assert calls == [("group", region.pk)]
    assert Group.objects.get(pk=region.pk).read_access == Group.ReadAccess.EVERYONE
    entry = ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.OPEN_GROUP)
    assert (entry.actor, entry.group, entry.target_type, entry.target_id) == (staff, region, "group", region.pk)
    with pytest.raises(DomainError, match="already has this setting"):
        actions.set_group_read_access(actor=staff, group=region, read_access=Group.ReadAccess.EVERYONE)
    with pytest.raises(DomainError):
        actions.set_group_read_access(actor=staff, group=region, read_access="nobody")
    with access_signals() as calls:
        actions.set_group_read_access(actor=staff, group=region, read_access=Group.ReadAccess.MEMBERS)
    assert calls == [("group", region.pk)]
    assert ModerationLogEntry.objects.filter(action=ModerationLogEntry.Action.CLOSE_GROUP, group=region).count() == 1


def test_a_staff_member_deletes_an_account_but_not_their_own(member, staff):
    with access_signals() as calls:
        actions.delete_account(actor=staff, member=member)
    assert calls == [("member", member.pk)]
    assert Member.objects.get(pk=member.pk).is_former_member
    entry = ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.DELETE_MEMBER)
    assert (entry.actor, entry.target_member) == (staff, member)
    with pytest.raises(DomainError, match="privacy page"):
        actions.delete_account(actor=staff, member=staff)
