"""Logging in with the e-mail address."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from community.performance.rows import Columns


class EmailBackend(ModelBackend):
    """The login form's ``username`` field holds the e-mail address, in any casing.

    Pending and suspended members may log in (they see only their account pages);
    rejected and deactivated accounts have ``is_active`` off and may not.
    """

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None:
            username = kwargs.get("email")
        if not username or password is None:
            return None
        return super().authenticate(request, username=username.strip(), password=password)

    def get_user(self, user_id: Any) -> Any:
        """The member of a session, on every request: read with plain SQL (see community/performance/rows.py)."""
        member = load_member(user_id)
        return member if member is not None and self.user_can_authenticate(member) else None


@cache
def _columns() -> tuple[Columns, Columns]:
    from community.models import Member, Municipality

    return Columns(Member, "m"), Columns(Municipality, "mu")


def load_member(pk: Any) -> Any:
    """The member with this primary key and their municipality (``member.municipality``
    needs no query after this), or None."""
    members, municipalities = _columns()
    try:
        pk = members.model._meta.pk.to_python(pk)
    except ValidationError:
        return None
    with members.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {members.sql}, {municipalities.sql} FROM {members.table}"
            f" LEFT JOIN {municipalities.table} ON mu.id = m.municipality_id WHERE m.id = %s",
            [pk],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    member = members.make(row[: len(members)])
    member.municipality = None if member.municipality_id is None else municipalities.make(row[len(members) :])
    return member
