"""Signed, expiring tokens for e-mail verification links."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing

if TYPE_CHECKING:
    from community.models import Member

VERIFY_SALT = "samenleven.verify-email"


def make_verification_token(member: Member) -> str:
    # The address is signed too: a link stops working when the address changes.
    return signing.dumps({"m": member.pk, "e": member.email}, salt=VERIFY_SALT, compress=True)


def read_verification_token(token: str) -> tuple[int, str]:
    """Return (member id, e-mail address); raise signing.BadSignature
    (or its subclass SignatureExpired) for a forged or expired token."""
    data = signing.loads(token, salt=VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    return int(data["m"]), str(data["e"])
