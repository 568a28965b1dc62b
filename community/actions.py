"""Every write in the community app.

Actions are keyword-only, atomic and return what they changed. Authorisation is
checked by the caller (view, admin, command) before the action; actions enforce
the rules of the domain and raise DomainError when one is broken.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Model, ProtectedError
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from community import facts, signals, throttle
from community.emails import absolute_url, send_email_on_commit
from community.errors import DomainError
from community.models import Group, Member, Membership, ModerationLogEntry, Municipality, Session
from community.sessions import forget_cached
from community.tokens import make_verification_token

RESERVED_HANDLES = frozenset(
    {"admin", "staff", "moderator", "samenleven", "programmateam", "support", "system", "all", "here", "autocomplete"}
)
# Deleted accounts get the handle verwijderd_<id>; nobody else may take one of those.
DELETED_HANDLE = re.compile(r"^verwijderd_\d+$")
#: What a deleted account is called in the database; pages show the translated "former member".
FORMER_MEMBER_NAME = "voormalig lid"


def is_reserved_handle(handle: str) -> bool:
    return handle.lower() in RESERVED_HANDLES or DELETED_HANDLE.match(handle.lower()) is not None


def derive_handle(name: str) -> str:
    """A free @handle made from a name: 'Fatima el Amrani' -> 'fatima_el_amrani'."""
    base = re.sub(r"[^a-z0-9_]", "", slugify(name).replace("-", "_"))[:26].strip("_") or "lid"
    if len(base) < 3:
        base = f"{base}_lid"
    taken = {
        handle.lower() for handle in Member.objects.filter(handle__istartswith=base).values_list("handle", flat=True)
    } | RESERVED_HANDLES
    if base not in taken and not is_reserved_handle(base):
        return base
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"


def check_handle_available(handle: str, *, member: Member | None = None) -> None:
    if is_reserved_handle(handle):
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


@transaction.atomic
def sign_up(
    *,
    name: str,
    email: str,
    password: str,
    municipality: Municipality,
    position: str,
    handle: str = "",
    language: str = "nl",
) -> Member | None:
    """Register a new member (``register_member``), or, when the address already has an
    account, mail its owner instead (``notify_of_sign_up_attempt``). The new member, or None.

    Whoever signs up must not learn which of the two happened: the caller answers both
    alike, and both do the same slow work (hashing the password). A sign-up that loses a
    race for the address to another is treated as one for an existing account.
    """
    email = Member.objects.normalize_email(email).strip().lower()
    if handle:
        check_handle_available(handle)  # refused alike, whoever owns the address
    existing = account_for_address(email)
    if existing is None:
        try:
            return register_member(
                name=name, email=email, password=password, municipality=municipality,
                position=position, handle=handle, language=language,
            )  # fmt: skip
        except DomainError:
            existing = account_for_address(email)
            if existing is None:
                raise
    else:
        Member().set_password(password)  # as long as creating the account would take
    notify_of_sign_up_attempt(member=existing)
    return None


def account_for_address(email: str) -> Member | None:
    member: Member | None = Member.objects.filter(email__iexact=email).first()
    return member


def notify_of_sign_up_attempt(*, member: Member) -> None:
    """Tell the owner that someone tried to sign up with their address, with links to log
    in and to choose a new password; at most once per sign-up window, so that nobody can
    flood their inbox. Accounts that may not log in (rejected, deactivated) get nothing."""
    if not member.is_active:
        return
    if not throttle.once("signup-notice", member.email, window_seconds=settings.SIGNUP_THROTTLE["window_seconds"]):
        return
    send_email_on_commit(
        "signup_existing_account",
        member=member,
        context={"login_link": absolute_url(reverse("login")), "reset_link": absolute_url(reverse("password_reset"))},
    )


def warn_of_failed_logins(*, email: str, failures: int) -> None:
    """Tell the owner of ``email``, if it has an account, that logins with a wrong password
    are being tried from more than one place (``community.throttle.should_warn_owner``)."""
    member = Member.objects.filter(email__iexact=email, is_active=True).first()
    if member is None:
        return
    send_email_on_commit(
        "failed_logins",
        member=member,
        context={
            "failures": failures,
            "minutes": max(1, settings.LOGIN_THROTTLE["window_seconds"] // 60),
            "change_link": absolute_url(reverse("change_password")),
            "reset_link": absolute_url(reverse("password_reset")),
        },
    )


def send_verification_email(*, member: Member) -> None:
    link = absolute_url(reverse("verify_email", args=[make_verification_token(member)]))
    send_email_on_commit("verify_email", member=member, context={"link": link})


@transaction.atomic
def verify_email(*, member: Member) -> Member:
    """Mark the address verified; approve at once when its domain belongs to the municipality."""
    member = Member.objects.select_for_update(of=("self",)).select_related("municipality").get(pk=member.pk)
    newly_verified = member.email_verified_at is None
    if newly_verified:
        member.email_verified_at = timezone.now()
        member.save(update_fields=["email_verified_at"])
    if member.status == Member.Status.PENDING and is_municipal_address(member):
        approve_member(actor=None, member=member)
        member.refresh_from_db()
    elif member.status == Member.Status.PENDING and newly_verified:
        signals.signup_pending.send(sender=None, member=member)
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
        facts.memberships_changed(member_ids=[member.pk], group_ids=[group.pk for group in groups])
    write_log_entry(
        actor=actor,
        action=ModerationLogEntry.Action.APPROVE_MEMBER if actor else ModerationLogEntry.Action.AUTO_APPROVE_MEMBER,
        member=member,
    )
    send_email_on_commit("signup_approved", member=member, context={"link": absolute_url(reverse("home"))})
    signals.member_approved.send(sender=None, member=member, actor=actor)
    signals.member_access_changed.send(sender=None, member=member)
    return member


@transaction.atomic
def reject_member(*, actor: Member, member: Member, reason: str) -> Member:
    """Reject a sign-up with a reason; the applicant is told why and can no longer log in."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give a reason: the applicant receives it by e-mail."))
    member = Member.objects.select_for_update(of=("self",)).select_related("municipality").get(pk=member.pk)
    if member.status != Member.Status.PENDING:
        raise DomainError(_("This sign-up has already been decided."))
    member.status = Member.Status.REJECTED
    member.status_reason = reason
    member.is_active = False
    member.save(update_fields=["status", "status_reason", "is_active"])
    write_log_entry(actor=actor, action=ModerationLogEntry.Action.REJECT_MEMBER, member=member, reason=reason)
    send_email_on_commit("signup_rejected", member=member, context={"reason": reason})
    signals.member_rejected.send(sender=None, member=member, actor=actor, reason=reason)
    signals.member_access_changed.send(sender=None, member=member)
    return member


# --- The moderation log ----------------------------------------------------------


def regional_group_of(member: Member) -> Group | None:
    """The regional group of the member's province: its moderators (the ambassadors)
    share the log entries about the member."""
    if member.municipality is None:
        return None
    return Group.objects.filter(kind=Group.Kind.REGION, region_id=member.municipality.region_id).first()


def write_log_entry(
    *,
    actor: Member | None,
    action: str,
    member: Member | None = None,
    target: object | None = None,
    label: str = "",
    group: Group | None = None,
    reason: str = "",
) -> ModerationLogEntry:
    """One row of the moderation log: who (``actor``), what (``action`` on ``target``,
    a thread or post, or on ``member`` itself), whom (``member``), why and when.

    Without ``group`` an entry about a member belongs to their province's regional
    group, and an entry about a thread or post to the thread's group.
    """
    target_type: str
    if target is None and member is not None:
        target_type, target_id = ModerationLogEntry.TargetType.MEMBER, member.pk
        label = label or f"{member.name} (@{member.handle})"
        if group is None:
            group = regional_group_of(member)
    elif isinstance(target, Model):
        target_type, target_id = target._meta.model_name or "", target.pk
        label = label or str(target)
    else:
        target_type, target_id = "", None
    return ModerationLogEntry.objects.create(
        actor=actor,
        action=action,
        target_member=member,
        target_type=target_type,
        target_id=target_id,
        target_label=label[:300],
        group=group,
        reason=reason,
    )


# --- Suspension -------------------------------------------------------------------


@transaction.atomic
def suspend_member(*, actor: Member, member: Member, until: datetime, reason: str) -> Member:
    """Suspend an approved member until a moment, with a reason they are told.

    Until then they can log in to their own account pages only; their open
    sockets are closed (notifications.receivers). Suspending a suspended member
    again replaces the end and the reason.
    """
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give a reason: the member is told why."))
    if until <= timezone.now():
        raise DomainError(_("Choose a moment in the future."))
    member = Member.objects.select_for_update(of=("self",)).select_related("municipality").get(pk=member.pk)
    if (
        member.status not in (Member.Status.ACTIVE, Member.Status.SUSPENDED)
        or member.is_staff
        or member.is_former_member
    ):
        raise DomainError(_("Only approved members who are not on the programme team can be suspended."))
    member.status = Member.Status.SUSPENDED
    member.suspended_until = until
    member.status_reason = reason
    member.save(update_fields=["status", "suspended_until", "status_reason"])
    write_log_entry(
        actor=actor,
        action=ModerationLogEntry.Action.SUSPEND_MEMBER,
        member=member,
        label=f"{member.name} (@{member.handle}) → {timezone.localtime(until):%Y-%m-%d %H:%M}",
        reason=reason,
    )
    send_email_on_commit("member_suspended", member=member, context={"until": until, "reason": reason})
    signals.member_suspended.send(sender=None, member=member, actor=actor, until=until, reason=reason)
    signals.member_access_changed.send(sender=None, member=member)
    return member


@transaction.atomic
def lift_suspension(*, actor: Member, member: Member, reason: str = "") -> Member:
    """End a suspension now (also one that has already run out)."""
    member = Member.objects.select_for_update(of=("self",)).select_related("municipality").get(pk=member.pk)
    if member.status != Member.Status.SUSPENDED:
        raise DomainError(_("This member is not suspended."))
    member.status = Member.Status.ACTIVE
    member.suspended_until = None
    member.status_reason = ""
    member.save(update_fields=["status", "suspended_until", "status_reason"])
    write_log_entry(actor=actor, action=ModerationLogEntry.Action.LIFT_SUSPENSION, member=member, reason=reason.strip())
    signals.member_access_changed.send(sender=None, member=member)
    return member


# --- Privacy: deleting an account ---------------------------------------------------


@dataclass(frozen=True)
class FormerIdentity:
    """What a deleted account was called, and its new handle: receivers of
    ``account_deleted`` use it to find and rewrite the places that named the member."""

    name: str
    handle: str
    email: str
    new_handle: str

    def scrub(self, text: str) -> str:
        """``text`` without the name, e-mail address and @handle (which becomes the new handle)."""
        if not text:
            return text
        for value in (self.email, self.name, html.escape(self.name)):
            if value:
                text = re.sub(re.escape(value), FORMER_MEMBER_NAME, text, flags=re.IGNORECASE)
        if self.handle:
            handle = re.escape(self.handle)
            text = re.sub(rf"/members/{handle}/", f"/members/{self.new_handle}/", text, flags=re.IGNORECASE)
            text = re.sub(rf"(?<![\w@])@{handle}\b", f"@{self.new_handle}", text, flags=re.IGNORECASE)
        return text


@transaction.atomic
def delete_account(*, member: Member, actor: Member | None = None) -> Member:
    """Delete a member's account at their own request (SPEC F1, GDPR), or, with
    ``actor``, by the programme team (from the admin).

    The row stays, because their posts point to it, but everything personal goes:
    name ("voormalig lid"), e-mail address and handle are replaced, bio, position,
    municipality and password are cleared; memberships and sessions end. Every app
    erases its own data through ``signals.account_deleted`` in this transaction
    (threads: read states, mentions, quotes; notifications: notifications, watches,
    preferences, and closing the member's open sockets). The password is checked
    by the caller.
    """
    if actor is not None and actor.pk == member.pk:
        raise DomainError(_("Delete your own account on your privacy page."))
    member = Member.objects.select_for_update(of=("self",)).select_related("municipality").get(pk=member.pk)
    if member.is_former_member:
        raise DomainError(_("This account has already been deleted."))
    former = FormerIdentity(
        name=member.name, handle=member.handle, email=member.email, new_handle=f"verwijderd_{member.pk}"
    )
    group = regional_group_of(member)
    member.name = FORMER_MEMBER_NAME
    member.handle = former.new_handle
    member.email = f"verwijderd-{member.pk}@samenleven.invalid"
    member.bio = ""
    member.position = Member.Position.OTHER
    member.municipality = None
    member.status = Member.Status.DEACTIVATED
    member.status_reason = ""
    member.suspended_until = None
    member.email_verified_at = None
    member.is_active = False
    member.is_staff = False
    member.is_superuser = False
    member.last_login = None
    member.language = settings.LANGUAGE_CODE
    member.unread_notifications = 0
    member.deleted_at = timezone.now()
    member.set_unusable_password()
    member.save()
    group_ids = list(Membership.objects.filter(member=member).values_list("group_id", flat=True))
    Membership.objects.filter(member=member).delete()
    facts.memberships_changed(member_ids=[member.pk], group_ids=group_ids)
    facts.refresh(member)
    member.groups.clear()
    member.user_permissions.clear()
    # The log keeps what moderators did, but no longer who this member was.
    ModerationLogEntry.objects.filter(target_member=member, target_type=ModerationLogEntry.TargetType.MEMBER).update(
        target_label=FORMER_MEMBER_NAME
    )
    for entry in ModerationLogEntry.objects.filter(target_member=member).exclude(reason=""):
        scrubbed = former.scrub(entry.reason)
        if scrubbed != entry.reason:
            ModerationLogEntry.objects.filter(pk=entry.pk).update(reason=scrubbed)
    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Member), object_id=str(member.pk)).update(
        object_repr=FORMER_MEMBER_NAME, change_message=""
    )
    write_log_entry(
        actor=actor,
        action=ModerationLogEntry.Action.DELETE_ACCOUNT if actor is None else ModerationLogEntry.Action.DELETE_MEMBER,
        member=member,
        group=group,
    )
    signals.account_deleted.send(sender=None, member=member, former=former)
    signals.member_access_changed.send(sender=None, member=member)
    member_id = member.pk
    transaction.on_commit(lambda: end_sessions(member_id))
    return member


def end_sessions(member_id: int, *, keep: str | None = None) -> list[str]:
    """Log the member out everywhere (but on the session ``keep``): delete their stored
    sessions, found through the indexed member column, and their cached copies.

    Returns the keys of the sessions ended. Inside a transaction the cached copies are
    removed once it commits (before, a request could copy a session back into the cache
    from the rows not yet deleted for it); a cache that is down is tolerated
    (community/sessions.py). A changed password hash already invalidates the sessions at
    their next request; this ends the ones a password change does not touch.
    """
    sessions = Session.objects.filter(member_id=member_id)
    if keep is not None:
        sessions = sessions.exclude(session_key=keep)
    ended = list(sessions.values_list("session_key", flat=True))
    if ended:
        Session.objects.filter(session_key__in=ended).delete()
        transaction.on_commit(lambda: forget_cached(ended))
    return ended


@transaction.atomic
def log_out_everywhere(*, member: Member, keep: str | None = None) -> list[str]:
    """End every session of the member but ``keep`` (the session key of the browser that
    asked, or None for all), and close the sockets opened in them."""
    ended = end_sessions(member.pk, keep=keep)
    signals.sessions_ended.send(sender=None, member=member, session_keys=ended)
    return ended


@transaction.atomic
def change_password(*, member: Member, password: str | None, keep: str | None = None) -> Member:
    """Set a new password (None: none that works, staff disabling password login) and end
    every other session of the member (all but ``keep``, the session of the browser where
    it was changed; all of them after a reset or when staff set it)."""
    if password is None:
        member.set_unusable_password()
    else:
        member.set_password(password)
    member.save(update_fields=["password"])
    log_out_everywhere(member=member, keep=keep)
    return member


@transaction.atomic
def update_profile(*, member: Member, name: str, handle: str, position: str, bio: str, language: str) -> Member:
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


# --- Groups and roles -------------------------------------------------------------
# Every change of what a member may read or moderate sends ``member_access_changed``
# inside the transaction: the notifications app re-decides the member's open sockets.


@transaction.atomic
def join_group(*, member: Member, group: Group, role: str = Membership.Role.MEMBER) -> Membership:
    membership, created = Membership.objects.get_or_create(member=member, group=group, defaults={"role": role})
    changed = created
    if not created and membership.role != role and role == Membership.Role.MODERATOR:
        membership.role = role
        membership.save(update_fields=["role"])
        changed = True
    if changed:
        facts.memberships_changed(member_ids=[member.pk], group_ids=[group.pk])
        facts.refresh(member)
        signals.member_access_changed.send(sender=None, member=member)
    return membership


@transaction.atomic
def leave_group(*, member: Member, group: Group) -> None:
    deleted, _rows = Membership.objects.filter(member=member, group=group).delete()
    if deleted:
        facts.memberships_changed(member_ids=[member.pk], group_ids=[group.pk])
        facts.refresh(member)
        signals.member_access_changed.send(sender=None, member=member)


def _lock_member(member: Member) -> Member:
    locked: Member = Member.objects.select_for_update(of=("self",)).select_related("municipality").get(pk=member.pk)
    return locked


@transaction.atomic
def make_moderator(*, member: Member, group: Group, actor: Member | None = None) -> Membership:
    """Make an approved member moderator of a group (joining it if need be); for a
    regional group that makes them an ambassador of its province.

    ``actor`` is None when the platform itself appoints (the demo accounts).
    """
    locked = _lock_member(member)
    if locked.is_former_member or locked.status not in (Member.Status.ACTIVE, Member.Status.SUSPENDED):
        raise DomainError(_("Only approved members can moderate a group."))
    membership, created = Membership.objects.select_for_update().get_or_create(
        member=locked, group=group, defaults={"role": Membership.Role.MODERATOR}
    )
    if not created:
        if membership.role == Membership.Role.MODERATOR:
            raise DomainError(_("This member already moderates this group."))
        membership.role = Membership.Role.MODERATOR
        membership.save(update_fields=["role"])
    facts.memberships_changed(member_ids=[member.pk], group_ids=[group.pk])
    facts.refresh(member)
    write_log_entry(actor=actor, action=ModerationLogEntry.Action.MAKE_MODERATOR, member=locked, group=group)
    signals.member_access_changed.send(sender=None, member=locked)
    return membership


@transaction.atomic
def remove_moderator(*, actor: Member, member: Member, group: Group) -> Membership:
    """Take away a member's moderator role in a group; they stay a member of it."""
    locked = _lock_member(member)
    membership = Membership.objects.select_for_update().filter(member=locked, group=group).first()
    if membership is None or membership.role != Membership.Role.MODERATOR:
        raise DomainError(_("This member does not moderate this group."))
    membership.role = Membership.Role.MEMBER
    membership.save(update_fields=["role"])
    facts.memberships_changed(member_ids=[member.pk], group_ids=[group.pk])
    facts.refresh(member)
    write_log_entry(actor=actor, action=ModerationLogEntry.Action.REMOVE_MODERATOR, member=locked, group=group)
    signals.member_access_changed.send(sender=None, member=locked)
    return membership


@transaction.atomic
def remove_from_group(*, actor: Member, member: Member, group: Group) -> None:
    """Take a member out of a group (with their moderator role, if they had one)."""
    locked = _lock_member(member)
    membership = Membership.objects.select_for_update().filter(member=locked, group=group).first()
    if membership is None:
        raise DomainError(_("This member is not in this group."))
    membership.delete()
    facts.memberships_changed(member_ids=[member.pk], group_ids=[group.pk])
    facts.refresh(member)
    write_log_entry(actor=actor, action=ModerationLogEntry.Action.REMOVE_FROM_GROUP, member=locked, group=group)
    signals.member_access_changed.send(sender=None, member=locked)


# --- The programme team ------------------------------------------------------------


@transaction.atomic
def grant_staff(*, actor: Member, member: Member) -> Member:
    """Add an approved member to the programme team: they moderate everything and use the admin."""
    member = _lock_member(member)
    if member.is_staff:
        raise DomainError(_("This member is already on the programme team."))
    if member.status != Member.Status.ACTIVE or not member.is_active or member.is_former_member:
        raise DomainError(_("Only approved members who are not suspended can join the programme team."))
    member.is_staff = True
    member.save(update_fields=["is_staff"])
    write_log_entry(actor=actor, action=ModerationLogEntry.Action.GRANT_STAFF, member=member)
    signals.member_access_changed.send(sender=None, member=member)
    return member


@transaction.atomic
def revoke_staff(*, actor: Member, member: Member) -> Member:
    """Take a member off the programme team (and with it any superuser right)."""
    if actor.pk == member.pk:
        raise DomainError(_("You cannot take yourself off the programme team."))
    member = _lock_member(member)
    if not member.is_staff and not member.is_superuser:
        raise DomainError(_("This member is not on the programme team."))
    member.is_staff = False
    member.is_superuser = False
    member.save(update_fields=["is_staff", "is_superuser"])
    write_log_entry(actor=actor, action=ModerationLogEntry.Action.REVOKE_STAFF, member=member)
    signals.member_access_changed.send(sender=None, member=member)
    return member


# --- Who may read a group ----------------------------------------------------------


@transaction.atomic
def save_group(*, actor: Member, group: Group) -> Group:
    """Save a group added or edited by the programme team (its name, description, slug):
    groups are part of every member's roles."""
    created = group.pk is None
    group.save()
    facts.groups_changed(group_ids=[group.pk])
    if created:
        write_log_entry(actor=actor, action=ModerationLogEntry.Action.CREATE_GROUP, target=group, group=group)
    return group


@transaction.atomic
def set_group_read_access(*, actor: Member, group: Group, read_access: str) -> Group:
    """Open a group to every member of the platform, or close it to its own members.

    Every member's roles follow at once (``community.facts.groups_changed``); the
    notifications app re-decides the sockets that follow a thread in the group.
    """
    if read_access not in Group.ReadAccess.values:
        raise DomainError(_("Choose who may read the group."))
    group = Group.objects.select_for_update().get(pk=group.pk)
    if group.read_access == read_access:
        raise DomainError(_("The group already has this setting."))
    group.read_access = read_access
    group.save(update_fields=["read_access"])
    facts.groups_changed(group_ids=[group.pk])
    opened = read_access == Group.ReadAccess.EVERYONE
    write_log_entry(
        actor=actor,
        action=ModerationLogEntry.Action.OPEN_GROUP if opened else ModerationLogEntry.Action.CLOSE_GROUP,
        target=group,
        group=group,
    )
    signals.group_access_changed.send(sender=None, group=group)
    return group


@transaction.atomic
def delete_group(*, actor: Member, group: Group) -> None:
    """Delete a group without threads; its members lose their membership (and roles).

    A group that still has threads is refused: they point to it (and the counters
    and permalinks with them). Hide or move the threads first.
    """
    group = Group.objects.select_for_update().get(pk=group.pk)
    members = list(Member.objects.filter(memberships__group=group).order_by("pk"))
    # Without ``group``: the entry outlives the group, for the programme team.
    write_log_entry(actor=actor, action=ModerationLogEntry.Action.DELETE_GROUP, target=group, label=group.name)
    try:
        with transaction.atomic():
            group.delete()
    except ProtectedError as error:
        raise DomainError(_("This group still has threads; move them to another group first.")) from error
    facts.groups_changed(group_ids=[])
    facts.memberships_changed(member_ids=[member.pk for member in members], group_ids=[])
    for member in members:
        signals.member_access_changed.send(sender=None, member=member)
