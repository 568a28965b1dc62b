"""Who may do what in the community app, written once.

``load_roles`` reads a member's memberships in one query; every ``can_``
function after that is pure. ``check_`` functions raise PermissionDenied with a
translated reason, ``access_`` functions fetch or answer 404 (the same 404 for
missing and forbidden).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from community.models import Group, Member


@dataclass(frozen=True)
class Roles:
    """A member's places in the groups: loaded once, then only looked up."""

    group_ids: frozenset[int] = field(default_factory=frozenset)
    moderated_group_ids: frozenset[int] = field(default_factory=frozenset)
    ambassador_region_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_ambassador(self) -> bool:
        return bool(self.ambassador_region_ids)


NO_ROLES = Roles()


def load_roles(member: Member) -> Roles:
    from community.models import Group, Membership

    if not getattr(member, "pk", None):
        return NO_ROLES
    rows = Membership.objects.filter(member_id=member.pk).values_list(
        "group_id", "role", "group__kind", "group__region_id"
    )
    group_ids, moderated, regions = set(), set(), set()
    for group_id, role, kind, region_id in rows:
        group_ids.add(group_id)
        if role == Membership.Role.MODERATOR:
            moderated.add(group_id)
            if kind == Group.Kind.REGION:
                regions.add(region_id)
    return Roles(frozenset(group_ids), frozenset(moderated), frozenset(regions))


def is_participant(member: Member | None) -> bool:
    return bool(member is not None and member.is_authenticated and member.is_participant)


def can_use_forum(member: Member | None) -> bool:
    """Forum content is for approved members who are not suspended."""
    return is_participant(member)


def can_review_signups(member: Member | None) -> bool:
    """Staff and ambassadors have a queue of sign-ups."""
    return is_participant(member) and (member.is_staff or member.roles.is_ambassador)


def can_decide_signup(moderator: Member | None, applicant: Member) -> bool:
    """Staff decide on every sign-up, ambassadors on those from their province."""
    if not is_participant(moderator):
        return False
    if moderator.is_staff:
        return True
    return applicant.municipality is not None and applicant.municipality.region_id in moderator.roles.ambassador_region_ids


def check_decide_signup(moderator: Member, applicant: Member) -> None:
    if not can_decide_signup(moderator, applicant):
        raise PermissionDenied(_("Only the ambassadors of this member's province and the programme team decide on this sign-up."))


def access_applicant(moderator: Member, pk: int) -> Member:
    """A pending, verified sign-up the moderator may decide on, or 404."""
    from community.models import Member as MemberModel

    applicant = (
        MemberModel.objects.pending_review().select_related("municipality__region").filter(pk=pk).first()
    )
    if applicant is None or not can_decide_signup(moderator, applicant):
        raise Http404
    return applicant


def can_join_group(member: Member, group: Group) -> bool:
    return is_participant(member) and group.is_open and group.pk not in member.roles.group_ids


def can_leave_group(member: Member, group: Group) -> bool:
    """Members leave theme and typology groups; Het Plein and their region stay."""
    return is_participant(member) and group.is_open and group.pk in member.roles.group_ids


def check_join_group(member: Member, group: Group) -> None:
    if not can_join_group(member, group):
        raise PermissionDenied(_("You cannot join this group."))


def check_leave_group(member: Member, group: Group) -> None:
    if not can_leave_group(member, group):
        raise PermissionDenied(_("You cannot leave this group: everyone takes part in Het Plein and their regional group."))


def access_member(viewer: Member, handle: str) -> Member:
    """A member profile the viewer may see: approved members (staff also see the rest), or 404."""
    from community.models import Member as MemberModel

    members = MemberModel.objects.with_card_data().filter(handle__iexact=handle)
    if not viewer.is_staff:
        members = members.participants()
    member = members.first()
    if member is None:
        raise Http404
    return member
