"""Every write of the notifications app: notifying members, reading, watch levels.

``notify`` is called by the receivers inside the transaction of the action that
caused it: the rows are written there, the pushes are scheduled on commit.
Every step works on the whole set of recipients at once, so the number of
queries does not grow with the number of recipients.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from community import facts
from community.models import Member, Membership
from notifications import push
from notifications.email.immediate import bulk_queue_notification_emails
from notifications.groups import member_group
from notifications.models import Notification, Watch
from notifications.texts import describe, target_url
from threads.models import Post, Thread
from threads.permissions import readers_q

if TYPE_CHECKING:
    from community.meetings.models import Meeting
    from community.models import Group
    from threads.models import Theme

KIND_ORDER = [kind for kind, _label in Notification.Kind.choices]


def most_specific(kinds: Iterable[str]) -> str:
    return min(kinds, key=KIND_ORDER.index)


def readers_among(member_ids: set[int], thread: Thread) -> set[int]:
    """Those of ``member_ids`` who may read the thread now (``threads.permissions.readers_q``)."""
    if not member_ids:
        return set()
    return set(Member.objects.filter(pk__in=member_ids).filter(readers_q(thread)).values_list("pk", flat=True))


def muted_among(member_ids: set[int], thread: Thread, theme_ids: list[int]) -> set[int]:
    """Muting the thread, its group or one of its themes silences everything about it."""
    if not member_ids:
        return set()
    return set(
        Watch.objects.filter(member_id__in=member_ids, level=Watch.Level.MUTED)
        .filter(Q(thread_id=thread.pk) | Q(group_id=thread.group_id) | Q(theme_id__in=theme_ids))
        .values_list("member_id", flat=True)
    )


def notify_about_thread(
    *, recipients: dict[int, set[str]], thread: Thread, post: Post | None, actor: Member | None
) -> list[Notification]:
    """One notification per member, of the most specific kind, for members who
    may read the thread and have not muted it."""
    recipients = {
        member_id: kinds
        for member_id, kinds in recipients.items()
        if kinds and (actor is None or member_id != actor.pk)
    }
    if not recipients:
        return []
    theme_ids = list(thread.theme_links.values_list("tag_id", flat=True))
    allowed = readers_among(set(recipients), thread) - muted_among(set(recipients), thread, theme_ids)
    notifications = [
        Notification(
            recipient_id=member_id,
            kind=most_specific(recipients[member_id]),
            actor=actor,
            actor_name=actor.name if actor else "",
            thread=thread,
            post=post,
            title=thread.title,
        )
        for member_id in sorted(allowed)
    ]
    return _store_and_push(notifications)


def notify_member(*, member: Member, kind: str, actor: Member | None = None, title: str = "") -> Notification:
    return _store_and_push(
        [Notification(recipient=member, kind=kind, actor=actor, actor_name=actor.name if actor else "", title=title)]
    )[0]


def _store_and_push(notifications: list[Notification]) -> list[Notification]:
    if not notifications:
        return []
    created = Notification.objects.bulk_create(notifications)
    if created and created[0].pk is None:  # backends without RETURNING ids
        ids = {n.recipient_id for n in notifications}
        created = list(Notification.objects.filter(recipient_id__in=ids).order_by("-id")[: len(notifications)])
    member_ids = [n.recipient_id for n in created]
    Member.objects.filter(pk__in=member_ids).update(unread_notifications=F("unread_notifications") + 1)
    bulk_queue_notification_emails(created)
    members = {m.pk: m for m in Member.objects.filter(pk__in=member_ids).only("pk", "language", "unread_notifications")}
    for notification in created:
        recipient = members[notification.recipient_id]
        notification.recipient = recipient
        with translation.override(recipient.language):
            event = {
                "type": "notification.created",
                "id": notification.pk,
                "kind": notification.kind,
                "text": describe(notification),
                "url": target_url(notification),
                "unread": recipient.unread_notifications,
            }
        push.publish(member_group(recipient.pk), event)
    return created


@transaction.atomic
def notify_useful(*, post: Post, marker: Member) -> Notification | None:
    """ "Nuttig" marks are batched: one notification per post, replaced by a fresh
    (unread, newest) one that counts all marks so far."""
    author_id = post.author_id
    if author_id is None or author_id == marker.pk:
        return None
    thread = Thread.objects.select_related("group").get(pk=post.thread_id)
    if author_id not in readers_among({author_id}, thread) - muted_among({author_id}, thread, []):
        return None
    earlier = Notification.objects.filter(recipient_id=author_id, kind=Notification.Kind.USEFUL, post=post).first()
    count = post.marks.count()
    if earlier is not None:
        if earlier.read_at is None:
            Member.objects.filter(pk=author_id, unread_notifications__gt=0).update(
                unread_notifications=F("unread_notifications") - 1
            )
        earlier.delete()
    notification = Notification(
        recipient_id=author_id,
        kind=Notification.Kind.USEFUL,
        actor=marker,
        actor_name=marker.name,
        thread=thread,
        post=post,
        title=thread.title,
        count=count,
    )
    return _store_and_push([notification])[0]


@transaction.atomic
def mark_notification_read(*, member: Member, notification: Notification) -> Notification:
    if notification.read_at is None:
        updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        if updated:
            Member.objects.filter(pk=member.pk, unread_notifications__gt=0).update(
                unread_notifications=F("unread_notifications") - 1
            )
        notification.read_at = timezone.now()
    return notification


@transaction.atomic
def mark_all_read(*, member: Member) -> int:
    count = Notification.objects.filter(recipient=member, read_at__isnull=True).update(read_at=timezone.now())
    Member.objects.filter(pk=member.pk).update(unread_notifications=0)
    member.unread_notifications = 0
    return count


@transaction.atomic
def set_watch_level(
    *, member: Member, level: int, thread: Thread | None = None, group: Group | None = None, theme: Theme | None = None
) -> Watch:
    target: dict[str, Any] = {"thread": thread, "group": group, "theme": theme}
    lookup = {name: value for name, value in target.items() if value is not None}
    if len(lookup) != 1:
        raise ValueError("A watch level is for exactly one thread, group or theme.")
    watch, _created = Watch.objects.update_or_create(
        member=member, **lookup, defaults={"level": level, "updated": timezone.now()}
    )
    facts.watches_changed(member_ids=[member.pk])
    return watch


def watch_by_default(*, member: Member, thread: Thread, level: int) -> None:
    """The defaults of SPEC F5: a row only when the member has chosen nothing yet."""
    _watch, created = Watch.objects.get_or_create(member=member, thread=thread, defaults={"level": level})
    if created:
        facts.watches_changed(member_ids=[member.pk])


def notify_members(
    *,
    member_ids: Iterable[int],
    kind: str,
    actor: Member | None = None,
    thread: Thread | None = None,
    post: Post | None = None,
    title: str = "",
    detail: str = "",
    meeting: Meeting | None = None,
) -> list[Notification]:
    """One notification of ``kind`` for each of these members, whatever their watch
    levels: moderation news about their own content, and moderators' queue news.
    Members who can no longer log in are left out; one query for them, one write."""
    ids = set(member_ids) - ({actor.pk} if actor is not None else set())
    if not ids:
        return []
    ids = set(Member.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    notifications = [
        Notification(
            recipient_id=member_id,
            kind=kind,
            actor=actor,
            actor_name=actor.name if actor else "",
            thread=thread,
            post=post,
            title=(title or (thread.title if thread is not None else ""))[:200],
            detail=detail,
            meeting=meeting,
        )
        for member_id in sorted(ids)
    ]
    return _store_and_push(notifications)


def moderators_for(*, group_id: int | None) -> set[int]:
    """Who hears of a group's moderation news: its moderators who may take part now;
    the programme team when the group has none (or there is no group)."""
    active = Member.objects.participating()
    if group_id is not None:
        moderators = set(
            active.filter(memberships__group_id=group_id, memberships__role=Membership.Role.MODERATOR).values_list(
                "pk", flat=True
            )
        )
        if moderators:
            return moderators
    return set(active.filter(is_staff=True).values_list("pk", flat=True))
