"""Every write in the community app.

Actions are keyword-only, atomic and return what they changed. Authorisation is
checked by the caller (view, admin, command) before the action; actions enforce
the rules of the domain and raise DomainError when one is broken.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from community import signals
from community.emails import absolute_url, send_email_on_commit
from community.errors import DomainError
from community.models import Group, Member, Membership, ModerationLogEntry, Municipality
from community.tokens import make_verification_token

RESERVED_HANDLES = frozenset({"admin", "staff", "moderator", "samenleven", "programmateam", "support", "system", "all", "here", "autocomplete"})


def derive_handle(name: str) -> str:
    """A free @handle made from a name: 'Fatima el Amrani' -> 'fatima_el_amrani'."""
    base = re.sub(r"[^a-z0-9_]", "", slugify(name).replace("-", "_"))[:26].strip("_") or "lid"
    if len(base) < 3:
        base = f"{base}_lid"
    taken = {
        handle.lower()
        for handle in Member.objects.filter(handle__istartswith=base).values_list("handle", flat=True)
    } | RESERVED_HANDLES
    if base not in taken:
        return base
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"


def check_handle_available(handle: str, *, member: Member | None = None) -> None:
    if handle.lower() in RESERVED_HANDLES:
        raise DomainError(_("This handle is reserved."))
    others = Member.objects.filter(handle__iexact=handle)
    if member is not None and member.pk:
        others = others.exclude(pk=member.pk)
    if others.exists():
        raise DomainError(_("This handle is already taken."))


@transaction.atomic
def register_member(
    *,
    name: str,
    email: str,
    password: str,
    municipality: Municipality,
    position: str,
    handle: str = "",
    language: str = "nl",
) -> Member:
    """Create a pending account and send the verification link."""
    email = Member.objects.normalize_email(email).strip().lower()
    if Member.objects.filter(email__iexact=email).exists():
        raise DomainError(_("An account with this e-mail address already exists."))
    if handle:
        check_handle_available(handle)
    member = Member(
        email=email,
        name=name.strip(),
        handle=handle or derive_handle(name),
        municipality=municipality,
        position=position,
        language=language,
        status=Member.Status.PENDING,
    )
    member.set_password(password)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as error:
        raise DomainError(_("An account with this e-mail address or handle already exists.")) from error
    send_verification_email(member=member)
    return member


def send_verification_email(*, member: Member) -> None:
    link = absolute_url(reverse("verify_email", args=[make_verification_token(member)]))
    send_email_on_commit("verify_email", member=member, context={"link": link})


@transaction.atomic
def verify_email(*, member: Member) -> Member:
    """Mark the address verified; approve at once when its domain belongs to the municipality."""
    member = Member.objects.select_for_update(of=("self",)).select_related("municipality").get(pk=member.pk)
    if member.email_verified_at is None:
        member.email_verified_at = timezone.now()
        member.save(update_fields=["email_verified_at"])
    if member.status == Member.Status.PENDING and is_municipal_address(member):
        approve_member(actor=None, member=member)
        member.refresh_from_db()
    return member


def is_municipal_address(member: Member) -> bool:
    if member.municipality is None:
        return False
    domain = member.email.rsplit("@", 1)[-1].lower()
    return domain in {d.strip().lower().lstrip("@") for d in member.municipality.email_domains}


@transaction.atomic
def approve_member(*, actor: Member | None, member: Member) -> Member:
    """Approve a verified sign-up: the member becomes active and joins Het Plein,
    the regional group of their municipality and the groups of its typologies.

    ``actor`` is None when the municipality's e-mail domain approved the sign-up.
    """
    member = Member.objects.select_for_update(of=("self",)).select_related("municipality").get(pk=member.pk)
    if member.status != Member.Status.PENDING:
        raise DomainError(_("This sign-up has already been decided."))
    if member.email_verified_at is None:
        raise DomainError(_("This member has not yet verified their e-mail address."))
    member.status = Member.Status.ACTIVE
    member.status_reason = ""
    member.approved_at = timezone.now()
    member.approved_by = actor
    member.save(update_fields=["status", "status_reason", "approved_at", "approved_by"])
    if member.municipality is not None:
        groups = Group.objects.automatic_for(member.municipality)
        Membership.objects.bulk_create(
            [Membership(member=member, group=group) for group in groups], ignore_conflicts=True
        )
    ModerationLogEntry.objects.create(
        actor=actor,
        action=ModerationLogEntry.Action.APPROVE_MEMBER if actor else ModerationLogEntry.Action.AUTO_APPROVE_MEMBER,
        target_member=member,
    )
    send_email_on_commit("signup_approved", member=member, context={"link": absolute_url(reverse("home"))})
    signals.member_approved.send(sender=None, member=member, actor=actor)
    return member


@transaction.atomic
def reject_member(*, actor: Member, member: Member, reason: str) -> Member:
    """Reject a sign-up with a reason; the applicant is told why and can no longer log in."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give a reason: the applicant receives it by e-mail."))
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.status != Member.Status.PENDING:
        raise DomainError(_("This sign-up has already been decided."))
    member.status = Member.Status.REJECTED
    member.status_reason = reason
    member.is_active = False
    member.save(update_fields=["status", "status_reason", "is_active"])
    ModerationLogEntry.objects.create(
        actor=actor, action=ModerationLogEntry.Action.REJECT_MEMBER, target_member=member, reason=reason
    )
    send_email_on_commit("signup_rejected", member=member, context={"reason": reason})
    signals.member_rejected.send(sender=None, member=member, actor=actor, reason=reason)
    return member


@transaction.atomic
def update_profile(
    *, member: Member, name: str, handle: str, position: str, bio: str, language: str
) -> Member:
    check_handle_available(handle, member=member)
    member.name = name.strip()
    member.handle = handle
    member.position = position
    member.bio = bio.strip()
    member.language = language
    member.save(update_fields=["name", "handle", "position", "bio", "language"])
    return member


def set_language(*, member: Member, language: str) -> Member:
    member.language = language
    member.save(update_fields=["language"])
    return member


@transaction.atomic
def join_group(*, member: Member, group: Group, role: str = Membership.Role.MEMBER) -> Membership:
    membership, created = Membership.objects.get_or_create(member=member, group=group, defaults={"role": role})
    if not created and membership.role != role and role == Membership.Role.MODERATOR:
        membership.role = role
        membership.save(update_fields=["role"])
    member.__dict__.pop("roles", None)
    return membership


@transaction.atomic
def leave_group(*, member: Member, group: Group) -> None:
    Membership.objects.filter(member=member, group=group).delete()
    member.__dict__.pop("roles", None)


def make_moderator(*, member: Member, group: Group) -> Membership:
    """Make a member moderator of a group; for a regional group that makes them an ambassador."""
    return join_group(member=member, group=group, role=Membership.Role.MODERATOR)
