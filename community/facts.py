"""Facts kept about members outside the database rows they come from, renewed explicitly.

A member's roles (``community.permissions.load_roles``), their watch levels
(``notifications/templatetags/watching.py``) and the statements of their lists
(``threads.listrows``) are kept in each process's memory, addressed by
``Member.cache_version``; a group's ``member_count`` is kept on its row. Whatever changes
what they are made of calls one of these functions, in its own transaction: the actions,
the admin (through the actions) and the importer. No model signal does it behind their back
(``bulk_create`` and ``update`` send none, so a signal would miss them anyway).

Moving ``cache_version`` in the database reaches every process, on every machine: the next
request that loads the member gets the new version, and with it fresh facts.
"""

from __future__ import annotations

from collections.abc import Iterable


def memberships_changed(*, member_ids: Iterable[int], group_ids: Iterable[int]) -> None:
    """Members joined or left groups, or their role in them changed."""
    from community.models import Group, Member

    Member.objects.filter(pk__in=set(member_ids)).renew_cached_facts()
    Group.objects.filter(pk__in=set(group_ids)).recount_members()


def groups_changed(*, group_ids: Iterable[int] | None = None) -> None:
    """Groups were added, removed, renamed, opened or closed: they are part of everybody's
    roles (the groups open to every member are readable by all). ``group_ids``: the groups
    whose member counts to make again (None: all)."""
    from community.models import Group, Member

    Member.objects.renew_cached_facts()
    groups = Group.objects.all() if group_ids is None else Group.objects.filter(pk__in=set(group_ids))
    groups.recount_members()


def watches_changed(*, member_ids: Iterable[int]) -> None:
    """The members' watch levels changed."""
    from community.models import Member

    Member.objects.filter(pk__in=set(member_ids)).renew_cached_facts()


def refresh(member: object) -> None:
    """Bring an instance the caller holds up to date after its facts were renewed: its
    ``cache_version`` from the database, and its roles looked up again when next used."""
    from community.models import Member

    member.cache_version = Member.objects.filter(pk=member.pk).values_list("cache_version", flat=True).first()
    member.__dict__.pop("roles", None)
