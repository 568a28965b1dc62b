"""A member's own data, for the download on the privacy page (SPEC F1, GDPR).

The community app describes what it holds itself; every other app adds its
sections by answering ``signals.collect_personal_data``, so this lower app
imports no higher one and each app stays the one place that knows its data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from community import signals
from community.models import Membership, ModerationLogEntry

if TYPE_CHECKING:
    from community.models import Member

FORMAT_VERSION = 1


def export_personal_data(member: Member) -> dict[str, Any]:
    """Everything the site holds about ``member``, as JSON-ready data (dates as datetimes)."""
    data: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "site": settings.SITE_NAME,
        "exported_at": timezone.now(),
        "profile": _profile(member),
        "memberships": [
            {"group": m.group.name, "group_slug": m.group.slug, "role": m.role, "joined": m.created}
            for m in Membership.objects.filter(member=member).select_related("group").order_by("created", "pk")
        ],
        "moderation_decisions_about_you": [
            {
                "action": entry.action,
                "description": str(entry.get_action_display()),
                "reason": entry.reason,
                "when": entry.created,
            }
            for entry in ModerationLogEntry.objects.filter(
                target_member=member, target_type=ModerationLogEntry.TargetType.MEMBER
            ).order_by("created", "pk")
        ],
    }
    for _receiver, sections in signals.collect_personal_data.send(sender=None, member=member):
        data.update(sections or {})
    return data


def _profile(member: Member) -> dict[str, Any]:
    municipality = member.municipality
    return {
        "id": member.pk,
        "name": member.name,
        "email": member.email,
        "handle": member.handle,
        "position": member.position,
        "municipality": {"code": municipality.code, "name": municipality.name} if municipality else None,
        "bio": member.bio,
        "language": member.language,
        "status": member.status,
        "status_reason": member.status_reason,
        "suspended_until": member.suspended_until,
        "signed_up": member.date_joined,
        "email_verified_at": member.email_verified_at,
        "approved_at": member.approved_at,
        "last_login": member.last_login,
        "programme_team": member.is_staff,
    }
