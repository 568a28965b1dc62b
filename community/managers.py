"""The member manager: creating accounts from the command line and the admin."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import BaseUserManager

from community.querysets import MemberQuerySet

_MemberManagerBase = BaseUserManager.from_queryset(MemberQuerySet)


class MemberManager(_MemberManagerBase):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> Any:
        # Log in with the e-mail address, whatever its casing.
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> Any:
        if not email:
            raise ValueError("A member needs an e-mail address.")
        member = self.model(email=self.normalize_email(email).lower(), **fields)
        member.set_password(password)
        member.save(using=self._db)
        return member

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> Any:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields.setdefault("status", "active")
        return self.create_user(email, password, **fields)
