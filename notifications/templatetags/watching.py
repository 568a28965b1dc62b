"""The watch-level control on thread, group and theme pages.

An inclusion tag so that the threads app need not know about notifications;
it reads the member's level for that one target (one small query).
"""

from __future__ import annotations

from typing import Any

from django import template

from notifications.models import Watch

register = template.Library()



@register.inclusion_tag("notifications/_watch.html", takes_context=True)
def watch_control(context: dict[str, Any], target: str, obj: Any) -> dict[str, Any]:
    member = context["request"].user
    row = Watch.objects.filter(member_id=member.pk, **{target: obj}).values_list("level", flat=True).first()
    if row is None:
        # The defaults of SPEC F5: your own groups are tracked, the rest is normal.
        row = Watch.Level.TRACKING if target == "group" and obj.pk in member.roles.group_ids else Watch.Level.NORMAL
    return {
        "target": target,
        "obj": obj,
        "current": row,
        "levels": list(reversed(Watch.Level.choices)),
        "next": context["request"].get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
