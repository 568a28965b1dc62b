"""Logging in with the e-mail address."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """The login form's ``username`` field holds the e-mail address, in any casing.

    Pending and suspended members may log in (they see only their account pages);
    rejected and deactivated accounts have ``is_active`` off and may not.
    """

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any) -> Any:
        if username is None:
            username = kwargs.get("email")
        if not username or password is None:
            return None
        return super().authenticate(request, username=username.strip(), password=password)
