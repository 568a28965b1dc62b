"""The watch-level control on thread, group and theme pages.

A template tag so that the threads app need not know about notifications. It reads the
member's level for that one target (one small query, kept in process memory by the
member's ``cache_version``, which every watch change moves) and takes the form from the
cached fragments (one per kind of target and level, the same for every thread, group or
theme: the form's address, its field's id and the return address are filled in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString

from community.performance.fragments import Fragment, render_declared
from community.performance.recent import recent
from notifications.models import Watch

register = template.Library()

_recent_levels = recent(20_000)


@register.simple_tag(takes_context=True)
def watch_control(context: dict[str, Any], target: str, obj: Any) -> SafeString:
    request = context["request"]
    member = request.user
    key = (member.pk, member.cache_version, target, obj.pk)
    current = _recent_levels.get(key)
    if current is None:
        current = next(
            iter(Watch.objects.filter(member_id=member.pk, **{target: obj}).values_list("level", flat=True)[:1]), None
        )
        if current is None:
            # The defaults of SPEC F5: your own groups are tracked, the rest is normal.
            current = (
                Watch.Level.TRACKING if target == "group" and obj.pk in member.roles.group_ids else Watch.Level.NORMAL
            )
        _recent_levels.set(key, current)
    [html] = render_declared(
        request,
        [WatchControl(target=target, current=current)],
        fill={
            "action": reverse("set_watch", args=[target, obj.pk]),
            "field_id": f"watch-{target}-{obj.pk}",
            "next": request.get_full_path(),
        },
    )
    return html


@dataclass(frozen=True, slots=True)
class WatchControl(Fragment):
    """``notifications/_watch.html``: the watch level of one thread, group or theme."""

    template_name: ClassVar[str] = "notifications/_watch.html"

    target: str
    current: int

    def context(self) -> dict[str, Any]:
        return {"f": self, "levels": tuple(reversed(Watch.Level.choices))}  # the same for everyone
