"""What the second factor does at a login, at an account's deletion and in a data export."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from community import signals
from community.twofactor.devices import status_of
from community.twofactor.state import start_session


@receiver(user_logged_in, dispatch_uid="community.twofactor.logged_in")
def on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Every login starts a session that has not passed the second factor."""
    session = getattr(request, "session", None)
    if session is not None:
        start_session(session, user)


@receiver(signals.account_deleted, dispatch_uid="community.twofactor.account_deleted")
def on_account_deleted(sender: Any, member: Any, **kwargs: Any) -> None:
    TOTPDevice.objects.filter(user_id=member.pk).delete()
    StaticDevice.objects.filter(user_id=member.pk).delete()


@receiver(signals.collect_personal_data, dispatch_uid="community.twofactor.personal_data")
def personal_data(sender: Any, member: Any, **kwargs: Any) -> dict[str, Any]:
    """Whether it is on, since when, and how many recovery codes are left; never the
    secret or the codes."""
    status = status_of(member)
    return {
        "two_step_verification": {
            "on": status.enabled,
            "since": status.since,
            "last_used": status.last_used,
            "recovery_codes_left": status.recovery_codes_left,
        }
    }
