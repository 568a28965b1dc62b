"""A group (by its slug), its members by name, and a member's groups, read with plain SQL.

The group page shows the group's moderators and a page of its members (Het Plein has
every member). Read through QuerySets, the two lists and the count cost about as much CPU
as the rest of the page; here each list is one plain query (the count is kept on the
group), whose rows become ``Member`` objects only to render a card that is not cached
(``threads/views/pages.py``). The ``member_by_name`` index lets the database walk a large
group's members in name order instead of sorting all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import ClassVar

from django.db import connection
from django.urls import reverse

from community.models import Group, Member, Membership, Municipality
from community.performance.fragments import Fragment
from community.performance.rows import Columns


class MemberCard:
    """A member as a row of a group's member list, and the card it is shown as."""

    __slots__ = ("pk", "handle", "name", "position", "municipality_id", "municipality_name")

    def __init__(self, row: tuple) -> None:
        self.pk, self.handle, self.name, self.position, self.municipality_id, self.municipality_name = row

    def fragment(self) -> MemberCardFragment:
        return MemberCardFragment(
            handle=self.handle, name=self.name, position=self.position, municipality_name=self.municipality_name
        )


@dataclass(frozen=True, slots=True)
class MemberCardFragment(Fragment):
    """``community/_member_card.html``: a member's name, position and municipality, linking
    to their profile."""

    template_name: ClassVar[str] = "community/_member_card.html"

    handle: str
    name: str
    position: str
    municipality_name: str | None

    @classmethod
    def of(cls, member: Member) -> MemberCardFragment:
        municipality = member.municipality.name if member.municipality_id else None
        return cls(handle=member.handle, name=member.name, position=member.position, municipality_name=municipality)

    @property
    def url(self) -> str:
        return reverse("member", args=[self.handle])

    @property
    def position_label(self) -> str:
        return str(dict(Member.Position.choices).get(self.position, ""))


def _select() -> str:
    q = connection.ops.quote_name
    membership, member, municipality = (q(model._meta.db_table) for model in (Membership, Member, Municipality))
    return (
        "SELECT m.id, m.handle, m.name, m.position, m.municipality_id, mu.name"
        f" FROM {member} m JOIN {membership} ms ON ms.member_id = m.id LEFT JOIN {municipality} mu ON mu.id = m.municipality_id"
        " WHERE ms.group_id = %s AND ms.role = %s ORDER BY m.name, m.id"
    )


class GroupMembers:
    """The group's members with ``role``, by name, as a sequence for Django's ``Paginator``:
    slices run one query each; ``count`` is given (the group keeps its member count)."""

    def __init__(self, group_id: int, role: str, count: int) -> None:
        self.group_id = group_id
        self.role = role
        self._count = count

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, window: slice) -> list[MemberCard]:
        if not isinstance(window, slice) or window.step is not None:
            raise TypeError("GroupMembers supports slices only")
        start, stop = window.start or 0, window.stop
        return _cards(" LIMIT %s OFFSET %s", [self.group_id, self.role, stop - start, start])


def group_moderators(group_id: int) -> list[MemberCard]:
    return _cards("", [group_id, Membership.Role.MODERATOR])


def _cards(limit_sql: str, params: list) -> list[MemberCard]:
    """Members of a group with a role (the first two ``params``), by name."""
    with connection.cursor() as cursor:
        cursor.execute(_select() + limit_sql, params)
        return [MemberCard(row) for row in cursor.fetchall()]


@cache
def _group_columns() -> Columns:
    return Columns(Group, "g")


def group_by_slug(slug: str) -> Group | None:
    """The group with this slug, or None: one plain query (the group page)."""
    found = _group_columns().fetch("g.slug = %s", [slug])
    return found[0] if found else None


def groups_of(member: Member) -> list[Group]:
    """The member's groups by kind and name (kept with their roles: no query)."""
    return list(member.roles.groups)
