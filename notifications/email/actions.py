"""Writes of e-mail preferences: the preferences page and unsubscribe links."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from community.models import Member
from notifications.email.preferences import Delivery, EmailSettings, Frequency, Mode, email_kinds, settings_from_row
from notifications.email.unsubscribe import Unsubscribe
from notifications.models import EmailPreference


@transaction.atomic
def set_email_preferences(
    *, member: Member, kinds: dict[str, str], digest: str, mode: str | None = None
) -> EmailPreference:
    """Store the member's choice for every kind (so that a later change of the
    defaults does not change what they chose), the digest frequency and, when
    given, how immediate e-mail arrives (``EmailPreference.Mode``)."""
    if digest not in Frequency.values:
        raise ValueError(f"Unknown digest frequency: {digest!r}")
    if mode is not None and mode not in Mode.values:
        raise ValueError(f"Unknown e-mail mode: {mode!r}")
    unknown = {kind for kind, delivery in kinds.items() if kind not in email_kinds() or delivery not in Delivery.values}
    if unknown:
        raise ValueError(f"Unknown e-mail choices: {sorted(unknown)}")
    defaults = {"kinds": dict(kinds), "digest": digest, "updated": timezone.now()}
    if mode is not None:
        defaults["mode"] = mode
    preference, _created = EmailPreference.objects.update_or_create(member=member, defaults=defaults)
    return preference


@transaction.atomic
def unsubscribe(*, request: Unsubscribe, everything: bool = False) -> EmailSettings:
    """Do what an unsubscribe link promises: stop the digest, or the e-mails of
    one kind; with ``everything``, all e-mail about the forum. Idempotent.
    Sign-up and password e-mails are not affected (they are not subscriptions)."""
    preference = EmailPreference.objects.select_for_update().filter(member_id=request.member_id).first()
    current = settings_from_row(preference)
    kinds, digest = current.as_choices(), current.digest
    if everything:
        kinds = dict.fromkeys(kinds, Delivery.NEVER)
        digest = Frequency.OFF
    elif request.is_digest:
        digest = Frequency.OFF
    elif request.kind is not None:
        kinds[request.kind] = Delivery.NEVER
    EmailPreference.objects.update_or_create(
        member_id=request.member_id, defaults={"kinds": kinds, "digest": digest, "updated": timezone.now()}
    )
    return EmailSettings(kinds=kinds, digest=digest, mode=current.mode)
