"""Logging in with the e-mail address."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from community.rows import Columns


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

    def get_user(self, user_id: Any) -> Any:
        """The member of a session, on every request: read with plain SQL (see community/rows.py)."""
        member = load_member(user_id)
        return member if member is not None and self.user_can_authenticate(member) else None


@cache
def _member_columns() -> Columns:
    from community.models import Member

    return Columns(Member, "m")


def load_member(pk: Any) -> Any:
    """The member with this primary key, or None."""
    columns = _member_columns()
    try:
        pk = columns.model._meta.pk.to_python(pk)
    except ValidationError:
        return None
    found = columns.fetch("m.id = %s", [pk])
    return found[0] if found else None
