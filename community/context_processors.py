"""What every page needs: the site name and the signed-in member's navigation rights."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from community import permissions


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    # A session still to pass its second factor (community.twofactor) gets the header of
    # the account pages: no forum, no moderation, no live updates.
    verified = not getattr(request, "second_factor_missing", False)
    return {
        "site_name": settings.SITE_NAME,
        "nav": {
            "forum": verified and permissions.is_participant(user),
            "moderation": verified and permissions.can_moderate(user)
            if user is not None and user.is_authenticated
            else False,
            "dashboard": verified and permissions.can_view_programme_view(user)
            if user is not None and user.is_authenticated
            else False,
        },
    }
