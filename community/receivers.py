"""Model signals the community app listens to: a member's memberships changed, so facts
cached about them (their roles) must be looked up again."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from community.models import Group, Member, Membership


@receiver([post_save, post_delete], sender=Membership, dispatch_uid="community.membership_changed")
def membership_changed(sender: Any, instance: Membership, **kwargs: Any) -> None:
    Member.objects.filter(pk=instance.member_id).renew_cached_facts()


@receiver([post_save, post_delete], sender=Group, dispatch_uid="community.group_changed")
def group_changed(sender: Any, instance: Group, **kwargs: Any) -> None:
    """A group's kind and province are part of its members' roles, and whether it is open to
    every member is part of everybody's (``Roles.readable_group_ids``). Groups change rarely."""
    Member.objects.renew_cached_facts()
