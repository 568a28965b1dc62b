"""E-mails for new notifications, for the kinds a member wants at once.

Called from ``notifications.actions._store_and_push`` inside the transaction
that wrote the notification rows: the e-mails are outbox rows of that same
transaction, so a rolled-back action leaves neither. Constant queries whatever
the number of recipients: one for the members with their preferences, at most
one for posts not already at hand, one insert.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator

from community.emails import member_address
from community.models import Member
from notifications.email import outbox
from notifications.email.meetings import bulk_meeting_context, meeting_excerpt
from notifications.email.preferences import Delivery, email_kinds, kind_label, settings_of
from notifications.email.unsubscribe import kind_scope, list_headers, list_id, mail_domain, unsubscribe_url
from notifications.models import Notification
from notifications.texts import describe, target_url
from threads.models import Post

EXCERPT_WORDS = 80


def address(member: Member) -> str:
    """``Name <address>``, the name quoted when it holds characters special in an address."""
    return member_address(member)


def can_receive_email(member: Member) -> bool:
    """Only approved, not suspended members with a verified address get forum e-mail."""
    return member.is_active and member.email_verified_at is not None and member.is_participant


def bulk_queue_notification_emails(notifications: Sequence[Notification]) -> int:
    """Queue one e-mail per notification whose recipient chose "immediately"
    for its kind. Returns how many were queued."""
    kinds = set(email_kinds())
    candidates = [n for n in notifications if n.kind in kinds and n.recipient_id is not None]
    if not candidates:
        return 0
    members = {
        m.pk: m
        for m in Member.objects.filter(pk__in={n.recipient_id for n in candidates}).select_related("email_preference")
    }
    wanted = [
        n
        for n in candidates
        if (member := members.get(n.recipient_id)) is not None
        and can_receive_email(member)
        and settings_of(member).delivery(n.kind) == Delivery.IMMEDIATELY
    ]
    if not wanted:
        return 0
    posts = _posts_of(wanted)
    meetings, registrations = bulk_meeting_context(wanted)
    rows = [
        _message(
            n,
            members[n.recipient_id],
            posts.get(n.post_id),
            meeting=meetings.get(n.meeting_id),
            registration=registrations.get((n.meeting_id, n.recipient_id)),
        )  # fmt: skip
        for n in wanted
    ]
    # Keys make this idempotent; "nuttig" marks batch to one e-mail per post and day.
    outbox.bulk_queue(rows, skip_duplicates=True)
    return len(rows)


def _posts_of(notifications: Sequence[Notification]) -> dict[int, Post]:
    """The posts, from the notifications where the action left them, the rest in one query."""
    field = Notification._meta.get_field("post")
    posts: dict[int, Post] = {}
    missing: set[int] = set()
    for n in notifications:
        if n.post_id is None:
            continue
        if field.is_cached(n) and n.post is not None:
            posts[n.post_id] = n.post
        else:
            missing.add(n.post_id)
    if missing:
        posts.update({p.pk: p for p in Post.objects.filter(pk__in=missing).only("pk", "thread_id", "number", "text")})
    return posts


def _link(notification: Notification) -> str:
    """Where the notification leads on the site (the exact post, for most kinds), absolute."""
    return settings.SITE_URL + target_url(notification)


def _key(notification: Notification) -> str | None:
    if notification.kind == Notification.Kind.USEFUL and notification.post_id is not None:
        return f"useful/{notification.recipient_id}/{notification.post_id}/{timezone.localdate().isoformat()}"
    return f"notification/{notification.pk}" if notification.pk else None


def _message(notification: Notification, member: Member, post: Post | None, *, meeting=None, registration=None):
    unsubscribe = unsubscribe_url(member.pk, kind_scope(notification.kind))
    with translation.override(member.language or settings.LANGUAGE_CODE):
        headline = describe(notification)
        excerpt = Truncator(post.text).words(EXCERPT_WORDS) if post is not None and post.text else ""
        if meeting is not None:
            excerpt = meeting_excerpt(meeting, member, registration)
        context = {
            "member": member,
            "notification": notification,
            "headline": headline,
            "excerpt": excerpt,
            "link": _link(notification),
            "kind_label": kind_label(notification.kind),
            "preferences_link": settings.SITE_URL + reverse("email_settings"),
            "unsubscribe_link": unsubscribe,
            "site_url": settings.SITE_URL,
            "site_name": settings.SITE_NAME,
        }
        text = render_to_string("emails/notifications/notification.txt", context)
        html = render_to_string("emails/notifications/notification.html", context)
    headers = {
        **list_headers(unsubscribe),
        "List-Id": list_id("notifications"),
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
    }
    if notification.thread_id is not None:
        # Mail programs group the e-mails about one thread into a conversation.
        headers["References"] = f"<thread.{notification.thread_id}@{mail_domain()}>"
    return outbox.new_message(
        to=address(member),
        kind=notification.kind,
        subject=headline,
        text=text,
        html=html,
        headers=headers,
        recipient_id=member.pk,
        key=_key(notification),
    )
