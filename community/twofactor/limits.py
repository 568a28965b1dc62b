"""Wrong codes and passwords are limited like wrong passwords at the login.

``settings.LOGIN_THROTTLE``: at most ``per_address_and_ip`` failures per member (whoever
has their password has one chance in a million per code: it takes few guesses, so the
strict limit of one address from one client, for the member across all clients) and
``per_ip`` per IP address in ``window_seconds``, counted in the cache (Redis in
production, so the limits hold across processes). Every attempt is counted first and compared after, so
attempts sent at the same moment cannot all slip under the limit; an attempt that
succeeds is given back.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import ngettext

from community import throttle
from community.models import Member

CODE_MEMBER_SCOPE = "second-factor-member"
CODE_IP_SCOPE = "second-factor-ip"
PASSWORD_SCOPE = "second-factor-password"


@dataclass(frozen=True)
class Attempt:
    """One counted attempt: ``allowed`` is False once a limit is used up."""

    counters: tuple[tuple[str, str], ...]
    allowed: bool

    def succeeded(self) -> None:
        """A right code or password is not a failure: its count is given back."""
        for scope, value in self.counters:
            throttle.unhit(scope, value)


def _window() -> int:
    return settings.LOGIN_THROTTLE["window_seconds"]


def code_attempt(request: HttpRequest, member: Member) -> Attempt:
    """Count one code (from the app, or a recovery code) for the member and the address."""
    limits = settings.LOGIN_THROTTLE
    counters = ((CODE_MEMBER_SCOPE, str(member.pk)), (CODE_IP_SCOPE, throttle.client_ip(request)))
    per_member = throttle.hit(CODE_MEMBER_SCOPE, str(member.pk), window_seconds=_window())
    per_ip = throttle.hit(CODE_IP_SCOPE, throttle.client_ip(request), window_seconds=_window())
    return Attempt(counters, per_member <= limits["per_address_and_ip"] and per_ip <= limits["per_ip"])


def password_attempt(member: Member) -> Attempt:
    """Count one password confirmation (enrolment, new codes, turning off) for the member."""
    count = throttle.hit(PASSWORD_SCOPE, str(member.pk), window_seconds=_window())
    return Attempt(((PASSWORD_SCOPE, str(member.pk)),), count <= settings.LOGIN_THROTTLE["per_address_and_ip"])


def too_many_codes_message() -> str:
    minutes = max(1, _window() // 60)
    return ngettext(
        "Too many wrong codes. Try again in %(minutes)d minute.",
        "Too many wrong codes. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
