"""Counting attempts in the cache (Redis in production, so limits hold across processes)."""

from __future__ import annotations

import hashlib
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


def reset(scope: str, value: str) -> None:
    cache.delete(_key(scope, value))


def client_ip(request) -> str:  # type: ignore[no-untyped-def]
    """The client's address; behind a proxy, the proxy must set REMOTE_ADDR correctly."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


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
