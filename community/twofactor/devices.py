"""Reads about a member's second factor. Writes are in ``community.twofactor.actions``."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Count, OuterRef, Subquery
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

if TYPE_CHECKING:
    from community.models import Member

#: The code of an authenticator app: six digits.
CODE_DIGITS = 6
#: Fewer recovery codes than this left, and the pages suggest making new ones.
FEW_CODES = 3
#: Codes one time step (30 seconds) early or late are accepted: clocks differ a little.
TOLERANCE = 1


@dataclass(frozen=True)
class SecondFactorStatus:
    """What the settings page shows: whether it is on, since when, and the recovery codes left."""

    enabled: bool
    since: datetime | None = None
    last_used: datetime | None = None
    recovery_codes_left: int = 0


def totp_device(member: Member) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user_id=member.pk, confirmed=True).order_by("-pk").first()


def recovery_device(member: Member) -> StaticDevice | None:
    return StaticDevice.objects.filter(user_id=member.pk, confirmed=True).order_by("-pk").first()


def has_second_factor(member: Member) -> bool:
    """An enrolled authenticator app (recovery codes alone are not a second factor)."""
    return TOTPDevice.objects.filter(user_id=member.pk, confirmed=True).exists()


def recovery_codes_left(member: Member) -> int:
    return StaticToken.objects.filter(device__user_id=member.pk, device__confirmed=True).count()


def status_of(member: Member) -> SecondFactorStatus:
    """In one query: the authenticator device, with the member's recovery codes counted."""
    codes = (
        StaticToken.objects.filter(device__user_id=OuterRef("user_id"), device__confirmed=True)
        .order_by()
        .values("device__user_id")
        .annotate(left=Count("pk"))
        .values("left")
    )
    device = (
        TOTPDevice.objects.filter(user_id=member.pk, confirmed=True)
        .annotate(codes_left=Subquery(codes))
        .order_by("-pk")
        .only("created_at", "last_used_at")
        .first()
    )
    if device is None:
        return SecondFactorStatus(enabled=False)
    return SecondFactorStatus(
        enabled=True, since=device.created_at, last_used=device.last_used_at, recovery_codes_left=device.codes_left or 0
    )


# --- Secrets and codes -------------------------------------------------------------


def base32_secret(key_hex: str) -> str:
    """The secret as authenticator apps take it when typed: base32, without padding."""
    return base64.b32encode(binascii.unhexlify(key_hex)).decode().rstrip("=")


def key_from_base32(secret: str) -> str:
    """The hex key django-otp stores for a base32 secret (spaces and case do not matter)."""
    text = "".join(secret.split()).upper()
    text += "=" * (-len(text) % 8)
    return binascii.hexlify(base64.b32decode(text)).decode()


def grouped(text: str, size: int = 4) -> str:
    """``JBSWY3DPEHPK3PXP`` -> ``JBSW Y3DP EHPK 3PXP``: easier to read and type."""
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def normalise_code(text: str) -> str:
    """A code as typed: spaces and dashes left out, lower case (``123 456``, ``ab3d-ef7h``)."""
    return "".join(ch for ch in text if not ch.isspace() and ch != "-").lower()


def matching_time_step(key_hex: str, code: str, *, after: int = -1) -> int | None:
    """The time step at which ``code`` is the authenticator code for the key (within
    ``TOLERANCE`` steps of now, and later than ``after``), or None."""
    if not (len(code) == CODE_DIGITS and code.isdigit()):
        return None
    totp = TOTP(binascii.unhexlify(key_hex), digits=CODE_DIGITS)
    if totp.verify(int(code), tolerance=TOLERANCE, min_t=after + 1):
        return totp.t()
    return None


def format_recovery_code(token: str) -> str:
    """``k7q2m3xa`` -> ``k7q2-m3xa``."""
    return f"{token[:4]}-{token[4:]}" if len(token) == 8 else token
