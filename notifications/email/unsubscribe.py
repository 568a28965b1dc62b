"""Signed unsubscribe links and the RFC 8058 headers that carry them.

A token names a member and a scope: ``digest`` (the daily or weekly digest)
or ``kind:<notification kind>`` (the e-mails of one kind). It is signed with
SECRET_KEY and expires after ``settings.UNSUBSCRIBE_MAX_AGE`` seconds; nothing
else is needed to use it, so it works without logging in, as RFC 8058 asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from django.conf import settings
from django.core import signing
from django.urls import reverse

from notifications.email.preferences import email_kinds

SALT = "samenleven.unsubscribe"
DIGEST = "digest"
KIND_PREFIX = "kind:"


@dataclass(frozen=True)
class Unsubscribe:
    member_id: int
    scope: str

    @property
    def kind(self) -> str | None:
        return self.scope.removeprefix(KIND_PREFIX) if self.scope.startswith(KIND_PREFIX) else None

    @property
    def is_digest(self) -> bool:
        return self.scope == DIGEST


def kind_scope(kind: str) -> str:
    return f"{KIND_PREFIX}{kind}"


def make_token(member_id: int, scope: str) -> str:
    return signing.dumps({"m": member_id, "s": scope}, salt=SALT)


def read_token(token: str) -> Unsubscribe:
    """Raise signing.BadSignature (SignatureExpired for an old link) unless the
    token is one we made and its scope still exists."""
    data = signing.loads(token, salt=SALT, max_age=settings.UNSUBSCRIBE_MAX_AGE)
    try:
        found = Unsubscribe(member_id=int(data["m"]), scope=str(data["s"]))
    except (KeyError, TypeError, ValueError) as error:
        raise signing.BadSignature("malformed unsubscribe token") from error
    if not (found.is_digest or found.kind in email_kinds()):
        raise signing.BadSignature("unknown unsubscribe scope")
    return found


def unsubscribe_url(member_id: int, scope: str) -> str:
    return settings.SITE_URL + reverse("unsubscribe", args=[make_token(member_id, scope)])


def list_headers(url: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058: mail programs show an unsubscribe button that POSTs here."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def list_id(name: str) -> str:
    """A List-Id (RFC 2919), so that members can filter, e.g. ``<digest.samenleven.example.nl>``."""
    return f"<{name}.{mail_domain()}>"


MASK = "•"


def mask_email(address: str) -> str:
    """``fatima@delft.nl`` as ``f•••••@d••••.nl``: enough for its owner to recognise,
    too little for whoever else holds an unsubscribe link to learn the address. Each
    part keeps its first letter and its length; the top-level domain stays."""

    def mask(part: str) -> str:
        return part[:1] + MASK * max(len(part) - 1, 1)

    local, at, domain = address.rpartition("@")
    if not at:
        return mask(address)
    *names, top = domain.split(".")
    return mask(local) + "@" + ".".join([*(mask(name) for name in names), top] if names else [mask(top)])


def mail_domain() -> str:
    return urlparse(settings.SITE_URL).hostname or "samenleven.localhost"
