"""Reads (and the few bulk updates of kept values): chainable querysets for members,
municipalities and groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.db import models
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

if TYPE_CHECKING:
    from community.models import Group, Member, ModerationLogEntry, Municipality  # noqa: F401  (the querysets' type parameters)


def approved_q(prefix: str = "") -> Q:
    """``Member.is_approved`` as a filter on members (``prefix`` reaches them through a relation)."""
    return Q(**{f"{prefix}is_active": True, f"{prefix}status__in": ["active", "suspended"]})


def participating_q(prefix: str = "") -> Q:
    """``Member.is_participant`` as a filter on members (``prefix`` reaches them through a relation)."""
    from django.utils import timezone

    # A suspension always has an end (the constraint member_suspension_has_end).
    suspension_over = Q(**{f"{prefix}status": "suspended", f"{prefix}suspended_until__lte": timezone.now()})
    return Q(**{f"{prefix}is_active": True}) & (Q(**{f"{prefix}status": "active"}) | suspension_over)


class MemberQuerySet(models.QuerySet["Member"]):
    def renew_cached_facts(self) -> int:
        """Move ``cache_version``: the members' memberships or watch levels changed."""
        return self.update(cache_version=models.F("cache_version") + 1)

    # A member's state, in two words used everywhere (the same rules in Python are
    # ``Member.is_approved`` and ``Member.is_participant``; tests/community/test_member_states.py
    # holds them together):
    #
    # - approved: the account was approved and is not deactivated (active, or suspended):
    #   it has a profile and is listed in the directories;
    # - participating: may take part in the forum now (active, or a suspension that ran out).

    def approved(self) -> Self:
        """Approved accounts, not deactivated: listed, with a profile (suspended ones too)."""
        return self.filter(approved_q())

    def participating(self) -> Self:
        """Members who may take part in the forum now (``Member.is_participant``)."""
        return self.filter(participating_q())

    def pending_review(self) -> Self:
        """Sign-ups with a verified address that wait for an ambassador or staff."""
        return self.filter(status="pending", email_verified_at__isnull=False)

    def suspended_now(self) -> Self:
        """Suspended, and the suspension has not yet run out."""
        from django.utils import timezone

        return self.filter(status="suspended", suspended_until__gt=timezone.now())

    def in_scope_of(self, moderator: Member) -> Self:
        """Members whose sign-up this moderator may decide on: everyone for staff,
        the municipalities of their provinces for ambassadors, nobody else."""
        if moderator.is_staff:
            return self
        return self.filter(municipality__region_id__in=moderator.roles.ambassador_region_ids)

    def with_card_data(self) -> Self:
        """What a member card shows: municipality and its province in the same query."""
        return self.select_related("municipality__region")

    def search(self, text: str) -> Self:
        text = text.strip()
        if not text:
            return self
        return self.filter(Q(name__icontains=text) | Q(handle__icontains=text.lstrip("@")) | Q(bio__icontains=text))


class MunicipalityQuerySet(models.QuerySet["Municipality"]):
    def with_typologies(self) -> Self:
        from community.models import Typology

        return self.select_related("region").prefetch_related(
            Prefetch("typologies", queryset=Typology.objects.order_by("name_nl"))
        )

    def with_member_counts(self) -> Self:
        return self.annotate(member_count=Count("members", filter=approved_q("members__"), distinct=True))


class GroupQuerySet(models.QuerySet["Group"]):
    def recount_members(self) -> int:
        """Set ``member_count`` from the memberships (after changes that send no signals)."""
        from community.models import Membership

        counted = (
            Membership.objects.filter(group=OuterRef("pk"))
            .order_by()
            .values("group")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.update(member_count=Coalesce(Subquery(counted), 0))

    def automatic_for(self, municipality: Municipality) -> Self:
        """The groups a member from this municipality joins on approval: Het Plein,
        the regional group of its province and the groups of its typologies."""
        return self.filter(
            Q(kind="plaza")
            | Q(kind="region", region_id=municipality.region_id)
            | Q(kind="typology", typology__municipalities=municipality)
        ).distinct()


class ModerationLogQuerySet(models.QuerySet["ModerationLogEntry"]):
    def visible_to(self, member: Member) -> Self:
        """Staff read the whole log; moderators the entries of the groups they moderate
        (community.permissions.MODERATION["read_log"])."""
        if member.is_staff:
            return self
        return self.filter(group_id__in=member.roles.moderated_group_ids)

    def with_list_data(self) -> Self:
        return self.select_related("actor", "target_member", "group")
