"""Who may do what in the community app, written once.

``load_roles`` reads a member's memberships in one query; every ``can_``
function after that is pure. ``check_`` functions raise PermissionDenied with a
translated reason, ``access_`` functions fetch or answer 404 (the same 404 for
missing and forbidden).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.utils.translation import gettext as _

from community.performance.recent import recent

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from typing_extensions import TypeIs

    from community.models import Group, Member


@dataclass(frozen=True)
class Roles:
    """A member's places in the groups: loaded once, then only looked up."""

    group_ids: frozenset[int] = field(default_factory=frozenset)
    moderated_group_ids: frozenset[int] = field(default_factory=frozenset)
    ambassador_region_ids: frozenset[int] = field(default_factory=frozenset)
    #: The member's groups and the groups open to every member: whose threads they may read.
    readable_group_ids: frozenset[int] = field(default_factory=frozenset)
    #: The member's groups by kind and name (``Group`` objects with id, slug, name and kind),
    #: to link to them.
    groups: tuple[Group, ...] = ()

    @property
    def is_ambassador(self) -> bool:
        return bool(self.ambassador_region_ids)


NO_ROLES = Roles()


#: Roles by (member id, cache_version): a membership change moves the version, so an
#: entry is never stale for a request that loaded the member after the change.
_recent_roles = recent(10_000)


def load_roles(member: Member) -> Roles:
    if not getattr(member, "pk", None):
        return NO_ROLES
    key = (member.pk, member.cache_version)
    roles = _recent_roles.get(key)
    if roles is None:
        roles = _roles_from_database(member.pk)
        _recent_roles.set(key, roles)
    return roles


def _roles_from_database(member_id: int) -> Roles:
    """The member's memberships and the open groups, in one query. Every change of either
    moves ``cache_version`` (``community/receivers.py``: a membership changes the member's; a
    group saved or deleted changes everybody's)."""
    from community.models import Group, Membership

    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT g.id, g.slug, g.name, g.kind, g.region_id, m.role"
            f" FROM {q(Group._meta.db_table)} g LEFT JOIN {q(Membership._meta.db_table)} m ON m.group_id = g.id AND m.member_id = %s"
            " WHERE m.id IS NOT NULL OR g.read_access = %s ORDER BY g.kind, g.name, g.id",
            [member_id, Group.ReadAccess.EVERYONE],
        )
        rows = cursor.fetchall()
    return _roles_of(rows, open_group_ids=frozenset(pk for pk, *_rest, role in rows if role is None))


def _roles_of(rows: list[tuple[Any, ...]], *, open_group_ids: frozenset[int]) -> Roles:
    """Roles from the member's rows ``(group id, slug, name, kind, region id, role)``, in
    the groups' order, and the groups open to every member."""
    from community.models import Group, Membership

    group_ids, moderated, regions, groups = set(), set(), set(), []
    for pk, slug, name, kind, region_id, role in rows:
        if role is None:
            continue
        group_ids.add(pk)
        groups.append(Group(id=pk, slug=slug, name=name, kind=kind, region_id=region_id))
        if role == Membership.Role.MODERATOR:
            moderated.add(pk)
            if kind == Group.Kind.REGION:
                regions.add(region_id)
    readable = frozenset(group_ids) | open_group_ids
    return Roles(frozenset(group_ids), frozenset(moderated), frozenset(regions), readable, tuple(groups))


def bulk_load_roles(members: Sequence[Member]) -> None:
    """Fill in ``member.roles`` for many members in two queries (the open groups, and all
    their memberships), the same ``Roles`` that ``load_roles`` gives one member."""
    from community.models import Group, Membership

    open_ids = frozenset(Group.objects.filter(read_access=Group.ReadAccess.EVERYONE).values_list("pk", flat=True))
    rows: dict[int, list[tuple[Any, ...]]] = {member.pk: [] for member in members}
    for member_id, *row in (
        Membership.objects.filter(member_id__in=list(rows))
        .order_by("group__kind", "group__name", "group_id")
        .values_list("member_id", "group_id", "group__slug", "group__name", "group__kind", "group__region_id", "role")
    ):
        rows[member_id].append(tuple(row))
    for member in members:
        member.__dict__["roles"] = _roles_of(rows[member.pk], open_group_ids=open_ids)


def is_participant(member: Member | AnonymousUser | None) -> TypeIs[Member]:
    """Logged in, approved, not suspended (``Member.is_participant``)."""
    return bool(member is not None and member.is_authenticated and member.is_participant)


# --- Moderation: the one table --------------------------------------------------


class Scope(StrEnum):
    """Whose moderators may act on an object."""

    #: Staff, and the moderators of the group the object is in. A typology group's
    #: moderators moderate their group only; an ambassador moderates the regional group.
    GROUP = "group"
    #: Staff, and the ambassadors (moderators of the regional group) of the province
    #: the member's municipality lies in.
    PROVINCE = "province"


#: Who may do what in moderation, written once. Every ``can_`` function for a
#: moderation action, every moderation view and the socket's moderation
#: subscription go through ``may_moderate`` with one of these names.
MODERATION: dict[str, Scope] = {
    # Threads and posts (threads.permissions), scoped to the thread's group.
    "pin_thread": Scope.GROUP,
    "lock_thread": Scope.GROUP,
    "hide_thread": Scope.GROUP,
    "move_thread": Scope.GROUP,  # and, for the group it moves to, the same again
    "read_hidden": Scope.GROUP,  # hidden threads and posts stay readable to their moderators
    "reply_when_closed": Scope.GROUP,  # reply in a locked or hidden thread
    "post_announcement": Scope.GROUP,
    "accept_answer": Scope.GROUP,  # for any question of the group, besides its asker
    "hide_post": Scope.GROUP,
    "edit_post": Scope.GROUP,
    "review_flags": Scope.GROUP,
    "watch_queue": Scope.GROUP,  # live queue counts of the group (notifications.groups)
    "read_log": Scope.GROUP,  # log entries of the group
    # Members (this module), scoped to the member's province.
    "decide_signup": Scope.PROVINCE,
    "suspend_member": Scope.PROVINCE,
}


def may_moderate(
    member: Member | None, action: str, *, group_id: int | None = None, region_id: int | None = None
) -> bool:
    """May ``member`` do moderation ``action`` on an object in this group (for
    Scope.GROUP) or from this province (Scope.PROVINCE)? No queries once roles are loaded."""
    scope = MODERATION[action]
    if not is_participant(member):
        return False
    if member.is_staff:
        return True
    if scope is Scope.GROUP:
        return group_id is not None and group_id in member.roles.moderated_group_ids
    return region_id is not None and region_id in member.roles.ambassador_region_ids


def can_moderate(member: Member | None) -> bool:
    """Has a moderation page at all: staff and the moderators of any group."""
    return is_participant(member) and (member.is_staff or bool(member.roles.moderated_group_ids))


def can_review_signups(member: Member | None) -> bool:
    """Staff and ambassadors have a queue of sign-ups."""
    return is_participant(member) and (member.is_staff or member.roles.is_ambassador)


def can_view_programme_view(member: Member | None) -> bool:
    """The programme's view (``threads.dashboard``): staff for the whole country, ambassadors
    for their provinces. Here, beside the roles it reads, so that the site header can link it."""
    return is_participant(member) and (member.is_staff or member.roles.is_ambassador)


def can_decide_signup(moderator: Member | None, applicant: Member) -> bool:
    """Staff decide on every sign-up, ambassadors on those from their province."""
    region_id = applicant.municipality.region_id if applicant.municipality is not None else None
    return may_moderate(moderator, "decide_signup", region_id=region_id)


def can_suspend_member(moderator: Member | None, member: Member) -> bool:
    """Staff, and the ambassadors of the member's province, suspend approved members;
    never themselves and never the programme team."""
    if member.is_staff or member.pk == getattr(moderator, "pk", None) or member.is_former_member:
        return False
    if member.status not in (member.Status.ACTIVE, member.Status.SUSPENDED):
        return False
    region_id = member.municipality.region_id if member.municipality is not None else None
    return may_moderate(moderator, "suspend_member", region_id=region_id)


def check_suspend_member(moderator: Member, member: Member) -> None:
    if not can_suspend_member(moderator, member):
        raise PermissionDenied(
            _("Only the ambassadors of this member's province and the programme team suspend this member.")
        )


def access_suspendable(moderator: Member, handle: str) -> Member:
    """A member the moderator may suspend (or lift the suspension of), or 404."""
    from community.models import Member as MemberModel

    member: Member | None = MemberModel.objects.with_card_data().filter(handle__iexact=handle).first()
    if member is None or not can_suspend_member(moderator, member):
        raise Http404
    return member


def check_decide_signup(moderator: Member, applicant: Member) -> None:
    if not can_decide_signup(moderator, applicant):
        raise PermissionDenied(
            _("Only the ambassadors of this member's province and the programme team decide on this sign-up.")
        )


def access_applicant(moderator: Member, pk: int) -> Member:
    """A pending, verified sign-up the moderator may decide on, or 404."""
    from community.models import Member as MemberModel

    applicant: Member | None = (
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
        raise PermissionDenied(
            _("You cannot leave this group: everyone takes part in Het Plein and their regional group.")
        )


def access_member(viewer: Member, handle: str) -> Member:
    """A member profile the viewer may see: approved members (staff also see the rest), or 404."""
    from community.models import Member as MemberModel

    members = MemberModel.objects.with_card_data().filter(handle__iexact=handle)
    if not viewer.is_staff:
        members = members.approved()
    member: Member | None = members.first()
    if member is None:
        raise Http404
    return member
