"""Model signals the community app listens to: a member's memberships changed, so facts
cached about them (their roles) must be looked up again, and the groups' member counts
follow."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from community.models import Group, Member, Membership


@receiver(pre_save, sender=Membership, dispatch_uid="community.membership_moving")
def membership_moving(sender: Any, instance: Membership, **kwargs: Any) -> None:
    """A membership moved to another group (in the admin) leaves a count to correct."""
    if instance.pk is not None and not kwargs.get("raw"):
        instance._group_before = Membership.objects.filter(pk=instance.pk).values_list("group_id", flat=True).first()


@receiver([post_save, post_delete], sender=Membership, dispatch_uid="community.membership_changed")
def membership_changed(sender: Any, instance: Membership, **kwargs: Any) -> None:
    Member.objects.filter(pk=instance.member_id).renew_cached_facts()
    # Counted again rather than moved by one: right whatever happened before.
    Group.objects.filter(pk__in={instance.group_id, getattr(instance, "_group_before", None)} - {None}).recount_members()


@receiver([post_save, post_delete], sender=Group, dispatch_uid="community.group_changed")
def group_changed(sender: Any, instance: Group, **kwargs: Any) -> None:
    """A group's kind and province are part of its members' roles, and whether it is open to
    every member is part of everybody's (``Roles.readable_group_ids``). Groups change rarely."""
    Member.objects.renew_cached_facts()
    if kwargs["signal"] is post_save:
        # A form saves the count it read; whatever changed since is counted again.
        Group.objects.filter(pk=instance.pk).recount_members()
