"""What every page needs: the site name and the signed-in member's navigation rights."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from community import permissions


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "site_name": settings.SITE_NAME,
        "nav": {
            "forum": permissions.can_use_forum(user),
            "moderation": permissions.can_moderate(user) if user is not None and user.is_authenticated else False,
            "dashboard": permissions.can_view_programme_view(user) if user is not None and user.is_authenticated else False,
        },
    }
