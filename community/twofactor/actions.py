"""Every write about a member's second factor: enrolling, verifying a code, new recovery
codes, turning it off, and the programme team's reset (which the moderation log records).

Authorisation (the password, a verified session, staff rights) is checked by the caller.
Every action that takes a second factor away or replaces it ends the member's other
sessions, so that no session keeps a verified state for a device that is gone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from community.actions import log_out_everywhere, write_log_entry
from community.emails import send_email_on_commit
from community.errors import DomainError
from community.models import Member, ModerationLogEntry
from community.twofactor.devices import normalise_code, recovery_device, totp_device

AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


def _remove_devices(member: Member) -> int:
    removed, _by_model = TOTPDevice.objects.filter(user_id=member.pk).delete()
    removed_codes, _by_model = StaticDevice.objects.filter(user_id=member.pk).delete()
    return removed + removed_codes


def _new_codes(device: StaticDevice) -> list[str]:
    device.token_set.all().delete()
    codes = []
    while len(codes) < settings.SECOND_FACTOR_RECOVERY_CODES:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def enrol_second_factor(
    *, member: Member, key: str, last_t: int = -1, keep: str | None = None
) -> tuple[TOTPDevice, list[str]]:
    """Turn the second factor on with the authenticator secret ``key`` (hex), replacing
    any the member had, with ten new recovery codes; returns the device and the codes.

    ``last_t`` is the time step of the code the member confirmed the secret with, so that
    the same code cannot log in again. Every other session of the member ends (all but
    ``keep``): a session opened with the password alone, by whoever had it, is over.
    """
    _remove_devices(member)
    device = TOTPDevice.objects.create(user=member, name=AUTHENTICATOR_NAME, key=key, confirmed=True, last_t=last_t)
    recovery = StaticDevice.objects.create(user=member, name=RECOVERY_NAME, confirmed=True)
    codes = _new_codes(recovery)
    log_out_everywhere(member=member, keep=keep)
    return device, codes


def verify_code(*, member: Member, code: str) -> Device | None:
    """The member's authenticator device if ``code`` is its current code (used once:
    the device remembers the time step), else None. Throttling is the caller's."""
    device = totp_device(member)
    code = normalise_code(code)
    if device is None or not code.isdigit():
        return None
    return verify_token(member, device.persistent_id, code)


def use_recovery_code(*, member: Member, code: str) -> Device | None:
    """The member's recovery device if ``code`` is one of their recovery codes, which is
    used up (deleted) at once, under a row lock, so it works only once. Else None."""
    device = recovery_device(member)
    code = normalise_code(code)
    if device is None or not code or totp_device(member) is None:
        return None
    return verify_token(member, device.persistent_id, code)


@transaction.atomic
def renew_recovery_codes(*, member: Member) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    device = recovery_device(member)
    if device is None or totp_device(member) is None:
        raise DomainError(_("Two-step verification is not on."))
    return _new_codes(device)


@transaction.atomic
def turn_off_second_factor(*, member: Member, keep: str | None = None) -> Member:
    """Remove the member's second factor and end their other sessions (all but ``keep``)."""
    if not _remove_devices(member):
        raise DomainError(_("Two-step verification is not on."))
    log_out_everywhere(member=member, keep=keep)
    return member


@transaction.atomic
def reset_second_factor(*, actor: Member | None, member: Member, reason: str) -> Member:
    """The programme team removes a member's second factor (a lost phone, no recovery
    codes left): written to the moderation log, every session of the member ends, and the
    member is told by e-mail. They enrol again at their next login if they moderate.

    ``actor`` is None when run from the command line (``manage.py reset_second_factor``).
    """
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give a reason: it is kept in the moderation log."))
    member = Member.objects.select_for_update(of=("self",)).select_related("municipality").get(pk=member.pk)
    if not _remove_devices(member):
        raise DomainError(_("This member has no two-step verification to reset."))
    write_log_entry(actor=actor, action=ModerationLogEntry.Action.RESET_SECOND_FACTOR, member=member, reason=reason)
    log_out_everywhere(member=member)
    send_email_on_commit("second_factor_reset", member=member, context={})
    return member
