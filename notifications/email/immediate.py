"""E-mails for new notifications, for the kinds a member wants at once.

Called from ``notifications.actions._store_and_push`` inside the transaction
that wrote the notification rows: the e-mails are outbox rows of that same
transaction, so a rolled-back action leaves neither, and a crash after commit
loses none. The rows hold what the e-mail is about, not the e-mail: the worker
renders it when it is due (``notifications.email.rendering``), so a reply to a
busy thread renders nothing in the request. Constant queries whatever the
number of recipients: one for the members with their preferences, one or two
inserts.

How the member chose to hear (``EmailPreference.mode``):

- bundled (the default): replies and posts in a thread wait ``window_seconds``
  (``settings.OUTBOX``) in one queued *bundle* per member and thread, which
  every later post of the thread joins until a worker claims it: one e-mail
  with all of them, minus what the member read on the site meanwhile (nothing
  at all when they read everything). A mention or a quote waits the same
  window in an e-mail of its own, and is not sent once read.
- direct: every notification in its own e-mail at once.
- only the summary, never: no e-mail here (the digest, or nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.utils import timezone

from community.emails import format_address, member_address
from community.models import Member
from community.performance.rows import one_of
from notifications.email import outbox
from notifications.email.preferences import DEFAULT_MODE, Delivery, EmailSettings, Mode, email_kinds
from notifications.models import Notification, OutboxMessage

Kind = Notification.Kind
# About posts the member can read on the site: in bundled mode these wait the window and
# are not sent once the member has read them.
ABOUT_POSTS = frozenset({Kind.MENTIONED, Kind.QUOTED, Kind.REPLIED, Kind.POSTED, Kind.NEW_THREAD})
# These join the member's bundle of the thread; the others have an e-mail of their own.
BUNDLED_KINDS = frozenset({Kind.REPLIED, Kind.POSTED})
BUNDLE_KIND = "thread_bundle"


def address(member: Member) -> str:
    """``Name <address>``, the name quoted when it holds characters special in an address."""
    return member_address(member)


def can_receive_email(member: Member) -> bool:
    """Only approved, not suspended members with a verified address get forum e-mail."""
    return member.is_active and member.email_verified_at is not None and member.is_participant


def window() -> timedelta:
    return timedelta(seconds=outbox.option("window_seconds"))


def snapshot(notification: Notification) -> dict[str, Any]:
    """What the e-mail of one notification is rendered from (the row itself may be
    replaced by then: "nuttig" marks and groups make fresh rows)."""
    return {
        "notification": notification.pk,
        "kind": notification.kind,
        "actor_name": notification.actor_name,
        "title": notification.title,
        "detail": notification.detail,
        "count": notification.count,
        "thread": notification.thread_id,
        "post": notification.post_id,
        "meeting": notification.meeting_id,
        "number": notification.last_number,
    }


def bulk_queue_notification_emails(notifications: Sequence[Notification]) -> int:
    """Queue the e-mails of these notifications for the members who want them.
    Returns how many rows were offered to the outbox (joining a queued bundle is not a new row)."""
    kinds = set(email_kinds())
    candidates = [n for n in notifications if n.kind in kinds and n.recipient_id is not None]
    if not candidates:
        return 0
    members = {
        pk: (format_address(name, email), EmailSettings(kinds=dict(chosen or {}), mode=mode or DEFAULT_MODE))
        for pk, name, email, chosen, mode in Member.objects.participating()
        .filter(one_of("pk", {n.recipient_id for n in candidates}), email_verified_at__isnull=False)
        .values_list("pk", "name", "email", "email_preference__kinds", "email_preference__mode")
    }
    now = timezone.now()
    later = now + window()
    singles: list[OutboxMessage] = []
    bundles: list[OutboxMessage] = []
    for n in candidates:
        found = members.get(n.recipient_id)
        if found is None:
            continue
        to, chosen = found
        if chosen.delivery(n.kind) != Delivery.IMMEDIATELY:
            continue
        waits = chosen.mode == Mode.BUNDLED and n.kind in ABOUT_POSTS
        if waits and n.kind in BUNDLED_KINDS and n.thread_id is not None:
            bundles.append(
                _row(
                    to=to,
                    kind=BUNDLE_KIND,
                    recipient_id=n.recipient_id,
                    due=later,
                    content={"thread": n.thread_id, "from": n.last_number or 1, "kinds": [n.kind]},
                    bundle=f"{n.recipient_id}/{n.thread_id}",
                )
            )
            continue
        singles.append(
            _row(
                to=to,
                kind=n.kind,
                recipient_id=n.recipient_id,
                due=later if waits else now,
                content={**snapshot(n), "unless_read": waits},
                key=_key(n),
            )
        )
    # Keys make this idempotent ("nuttig" marks batch to one e-mail per post and day);
    # a member's queued bundle of the thread takes the new posts, so a second is not queued.
    outbox.bulk_queue(singles, skip_duplicates=True)
    outbox.bulk_queue(bundles, skip_duplicates=True)
    return len(singles) + len(bundles)


def _row(*, to: str, kind: str, recipient_id: int, due: Any, content: dict[str, Any], **extra: Any) -> OutboxMessage:
    row = outbox.new_message(to=to, kind=kind, subject="", text="", recipient_id=recipient_id, **extra)
    row.content = content
    row.next_attempt_at = due
    return row


def _key(notification: Notification) -> str | None:
    if notification.kind == Kind.USEFUL and notification.post_id is not None:
        return f"useful/{notification.recipient_id}/{notification.post_id}/{timezone.localdate().isoformat()}"
    return f"notification/{notification.pk}" if notification.pk else None
