"""Counting attempts in the cache (Redis in production, so limits hold across processes)."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

if TYPE_CHECKING:
    from community.models import Member


def _key(scope: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"throttle:{scope}:{digest}"


def count(scope: str, value: str) -> int:
    return int(cache.get(_key(scope, value), 0))


def hit(scope: str, value: str, *, window_seconds: int) -> int:
    """Count one attempt; the window starts at the first attempt."""
    key = _key(scope, value)
    if cache.add(key, 1, timeout=window_seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        return 1


def unhit(scope: str, value: str) -> None:
    """Take one attempt back (it was refused, or the action did not happen)."""
    try:
        cache.decr(_key(scope, value))
    except ValueError:  # the window ran out meanwhile
        pass


def once(scope: str, value: str, *, window_seconds: int) -> bool:
    """True the first time in a window, False after that: atomic across processes."""
    return bool(cache.add(_key(scope, value), 1, timeout=window_seconds))


def client_ip(request) -> str:
    """The client's address, as the outermost trusted proxy saw it: the one place that
    decides it, for every limit per client.

    With ``settings.TRUSTED_PROXIES`` = 0 that is REMOTE_ADDR. With N, each of N proxies
    has appended the address it received the request from to X-Forwarded-For, so the
    N-th address from the right is the client's; whatever stands further left the client
    wrote itself and never counts. (daphne's ``--proxy-headers`` takes the leftmost one.)
    A shorter header (the request skipped an outer proxy) gives its rightmost address,
    which the nearest proxy wrote; no header, or an entry that is no address, REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    trusted = settings.TRUSTED_PROXIES
    if not trusted:
        return remote
    # Django joins repeated headers with commas, in the order received.
    chain = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    if not chain:
        return remote
    return _ip_address(chain[-trusted] if len(chain) >= trusted else chain[-1]) or remote


def _ip_address(entry: str) -> str | None:
    """The address in an X-Forwarded-For entry (``203.0.113.7``, ``203.0.113.7:51234``,
    ``2001:db8::1``, ``[2001:db8::1]:443``), in its normal form; None if it is none."""
    candidates = [entry]
    if entry.startswith("[") and "]" in entry:
        candidates = [entry[1 : entry.index("]")]]
    elif entry.count(":") == 1:
        candidates.append(entry.split(":", 1)[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


# --- Rate limits on what members write (settings.RATE_LIMITS) -----------------------


@dataclass(frozen=True)
class Limit:
    """At most ``count`` of ``what`` ("thread", "post", "flag") per ``window_seconds``."""

    what: str
    count: int
    window_seconds: int
    for_new_members: bool

    @property
    def minutes(self) -> int:
        return max(1, self.window_seconds // 60)

    @property
    def scope(self) -> str:
        return f"rate-{self.what}"


def is_new_member(member: Member) -> bool:
    """Approved less than ``settings.NEW_MEMBER_DAYS`` ago."""
    approved = member.approved_at
    return approved is None or approved > timezone.now() - timedelta(days=settings.NEW_MEMBER_DAYS)


def limit_for(member: Member, what: str) -> Limit | None:
    """The member's limit for ``what``: stricter in their first week; none for staff
    and moderators, nor when ``settings.RATE_LIMITS_ENABLED`` is off."""
    if not settings.RATE_LIMITS_ENABLED or member.is_staff or member.roles.moderated_group_ids:
        return None
    new = is_new_member(member)
    rule = settings.RATE_LIMITS[what]["new" if new else "established"]
    return Limit(what=what, count=rule["count"], window_seconds=rule["window_seconds"], for_new_members=new)


def attempt(limit: Limit | None, member: Member) -> bool:
    """Count one attempt against ``limit``; False (and not counted) once it is used up.

    Counting first and checking the result makes concurrent attempts in several
    processes safe: Redis increments atomically.
    """
    if limit is None:
        return True
    if hit(limit.scope, str(member.pk), window_seconds=limit.window_seconds) > limit.count:
        unhit(limit.scope, str(member.pk))
        return False
    return True


def give_back(limit: Limit | None, member: Member) -> None:
    """The attempt did not lead to a post (the action refused it): it does not count."""
    if limit is not None:
        unhit(limit.scope, str(member.pk))


# --- Failed logins (settings.LOGIN_THROTTLE) -------------------------------------------


@dataclass(frozen=True)
class LoginAttempt:
    """One login attempt, counted as a failure before the password is checked.

    ``allowed`` is False when a limit was used up (the attempt is then not counted);
    ``address_failures`` is the failures for the address from all clients, this one included.
    """

    address: str
    ip: str
    allowed: bool
    address_failures: int = 0


def _login_counts(address: str, ip: str) -> list[tuple[str, str, int]]:
    limits = settings.LOGIN_THROTTLE
    return [
        # The usual lock: one client guessing at one address. The owner elsewhere is free.
        ("login-address-ip", f"{address} {ip}", limits["per_address_and_ip"]),
        # A ceiling for the address, against guessing from many places at once.
        ("login-address", address, limits["per_address"]),
        # One client trying many addresses.
        ("login-ip", ip, limits["per_ip"]),
    ]


def login_attempt(address: str, ip: str) -> LoginAttempt:
    """Count one failed login for ``address`` from ``ip``, in advance; refuse it if that
    goes over a limit of ``settings.LOGIN_THROTTLE``.

    Counting before the password is checked (Redis increments atomically) means that
    parallel guesses each take a place of their own: none gets past the limit, however
    slow the check. A login that then succeeds gives its places back (``login_succeeded``).
    Addresses with and without an account are counted alike.
    """
    window = settings.LOGIN_THROTTLE["window_seconds"]
    counted: list[tuple[str, str]] = []
    address_failures = 0
    for scope, value, limit in _login_counts(address, ip):
        failures = hit(scope, value, window_seconds=window)
        counted.append((scope, value))
        if failures > limit:
            for done_scope, done_value in counted:
                unhit(done_scope, done_value)
            return LoginAttempt(address=address, ip=ip, allowed=False)
        if scope == "login-address":
            address_failures = failures
    return LoginAttempt(address=address, ip=ip, allowed=True, address_failures=address_failures)


def login_succeeded(attempt: LoginAttempt) -> None:
    """The password was right (or never checked): the attempt was no failure."""
    if attempt.allowed:
        for scope, value, _limit in _login_counts(attempt.address, attempt.ip):
            unhit(scope, value)


def should_warn_owner(attempt: LoginAttempt) -> bool:
    """Has this failed attempt brought the address to ``warn_after`` failures, and is its
    owner not yet warned in this window? True once per window (an atomic add).

    ``warn_after`` is above ``per_address_and_ip``, so one client alone (the owner
    mistyping on their own network) never gets there: the failures came from elsewhere.
    """
    limits = settings.LOGIN_THROTTLE
    if not attempt.allowed or attempt.address_failures < limits["warn_after"]:
        return False
    return once("login-warned", attempt.address, window_seconds=limits["window_seconds"])
