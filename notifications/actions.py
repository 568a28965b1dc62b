"""Every write of the notifications app: notifying members, reading, watch levels.

``notify`` is called by the receivers inside the transaction of the action that
caused it: the rows are written there, the pushes are scheduled on commit.
Every step works on the whole set of recipients at once, so the number of
queries does not grow with the number of recipients.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import F, Field, Q, Value
from django.db.models.base import ModelState
from django.db.models.functions import Greatest
from django.utils import timezone, translation

from community import facts
from community.models import Member, Membership
from community.performance.rows import one_of
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
# One unread notification per recipient, thread and kind of these, counting the posts.
GROUPED_KINDS = frozenset({Notification.Kind.REPLIED, Notification.Kind.POSTED})


def most_specific(kinds: Iterable[str]) -> str:
    return min(kinds, key=KIND_ORDER.index)


def readers_among(member_ids: set[int], thread: Thread) -> set[int]:
    """Those of ``member_ids`` who may read the thread now (``threads.permissions.readers_q``)."""
    if not member_ids:
        return set()
    return set(Member.objects.filter(one_of("pk", member_ids)).filter(readers_q(thread)).values_list("pk", flat=True))


def muted_among(member_ids: set[int], thread: Thread, theme_ids: list[int]) -> set[int]:
    """Muting the thread, its group or one of its themes silences everything about it."""
    if not member_ids:
        return set()
    return set(
        Watch.objects.filter(one_of("member_id", member_ids), level=Watch.Level.MUTED)
        .filter(Q(thread_id=thread.pk) | Q(group_id=thread.group_id) | Q(theme_id__in=theme_ids))
        .values_list("member_id", flat=True)
    )


def notify_about_thread(
    *, recipients: dict[int, set[str]], thread: Thread, post: Post | None, actor: Member | None
) -> list[Notification]:
    """One notification per member, of the most specific kind, for members who
    may read the thread and have not muted it. Replies and posts join the
    member's unread group of the thread (``GROUPED_KINDS``); mentions and quotes
    stay notifications of their own."""
    recipients = {
        member_id: kinds
        for member_id, kinds in recipients.items()
        if kinds and (actor is None or member_id != actor.pk)
    }
    if not recipients:
        return []
    theme_ids = list(thread.theme_links.values_list("tag_id", flat=True))
    allowed = readers_among(set(recipients), thread) - muted_among(set(recipients), thread, theme_ids)
    template = Notification(
        kind=Notification.Kind.POSTED,
        actor=actor,
        actor_name=actor.name if actor else "",
        thread=thread,
        post=post,
        last_number=post.number if post is not None else None,
        title=thread.title,
    )
    return _store_and_push(
        [_copy_for(template, member_id, most_specific(recipients[member_id])) for member_id in sorted(allowed)]
    )


def _copy_for(template: Notification, member_id: int, kind: str) -> Notification:
    """The template's row for one recipient: its values copied, with a model state of its
    own (not adding yet, no related objects cached but the template's). Much cheaper than
    a new model instance (field defaults, init signals) or ``copy.copy`` (which pickles
    the state), which counts with a thousand recipients."""
    notification = Notification.__new__(Notification)
    notification.__dict__.update(template.__dict__)
    state = notification._state = ModelState()
    state.db, state.adding = template._state.db, template._state.adding
    state.fields_cache = dict(template._state.fields_cache)
    notification.recipient_id = member_id
    notification.kind = kind
    return notification


def notify_member(*, member: Member, kind: str, actor: Member | None = None, title: str = "") -> Notification:
    return _store_and_push(
        [Notification(recipient=member, kind=kind, actor=actor, actor_name=actor.name if actor else "", title=title)]
    )[0]


def _fold_into_groups(notifications: list[Notification]) -> dict[int, int]:
    """Join new replies and posts to the recipient's unread notification of the same
    thread and kind: the new row counts them all and points at the first unread post;
    the old row goes (the new one has a new id, so lists ordered by id show the group
    as the newest, and clients catching up by id see it). Returns {new row's
    recipient: the id it replaces}. Reply actions lock the thread row, so the groups
    of a thread change one reply at a time; ``select_for_update`` makes marking them
    read wait for this transaction."""
    grouped = {
        (n.recipient_id, n.thread_id, n.kind): n
        for n in notifications
        if n.kind in GROUPED_KINDS and n.thread_id is not None
    }
    if not grouped:
        return {}
    rows = (
        Notification.objects.select_for_update()
        .filter(
            thread_id__in={thread_id for _member, thread_id, _kind in grouped},
            kind__in=GROUPED_KINDS,
            read_at__isnull=True,
        )
        .values_list("pk", "recipient_id", "thread_id", "kind", "count", "post_id")
    )
    replaced: dict[int, int] = {}
    for pk, recipient_id, thread_id, kind, count, post_id in rows:
        new = grouped.get((recipient_id, thread_id, kind))
        if new is None:
            continue
        new.count = count + 1
        new.post_id = post_id
        replaced[recipient_id] = pk
    if replaced:
        Notification.objects.filter(one_of("pk", replaced.values())).delete()
    return replaced


INSERTED = (
    "recipient_id", "kind", "actor_id", "actor_name", "thread_id", "post_id", "meeting_id", "title", "detail",
    "count", "last_number", "created",
)  # fmt: skip


def _insert(notifications: list[Notification]) -> list[Notification]:
    """Insert the rows and give each its id, the values taken as they are (the ORM's
    bulk_create prepares every field of every row one by one, most of a reply's time
    with a thousand watchers). PostgreSQL: one INSERT ... SELECT FROM unnest() with one
    array per column, so the statement has a dozen parameters however many rows (the
    driver rewrites each ``%s`` of a statement in Python: 12,000 of them took it about
    100 ms). Elsewhere: multi-row INSERT ... RETURNING in batches."""
    if not connection.features.can_return_rows_from_bulk_insert:
        created = Notification.objects.bulk_create(notifications)
        if created and created[0].pk is None:
            ids = {n.recipient_id for n in notifications}
            created = list(Notification.objects.filter(recipient_id__in=ids).order_by("-id")[: len(notifications)])
        return created
    now = timezone.now()
    created_value = connection.ops.adapt_datetimefield_value(now)
    columns = [[getattr(n, name) for n in notifications] for name in INSERTED[:-1]]
    for n in notifications:
        n.created = now
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids = _insert_unnest(cursor, columns, created_value)
        else:
            ids = _insert_values(cursor, notifications, columns, created_value)
    for n, pk in zip(notifications, ids, strict=True):
        n.pk = n.id = pk
        n._state.adding = False
    return notifications


def _insert_unnest(cursor: Any, columns: list[list[Any]], created: Any) -> list[int]:
    """The rows in the order given (``WITH ORDINALITY``), their ids in that order."""
    names = INSERTED[:-1]
    arrays = ", ".join(f"%s::{_column_type(name)}[]" for name in names)
    cursor.execute(
        f"INSERT INTO {_table()} ({_columns()}) SELECT {', '.join(names)}, %s FROM unnest({arrays}) "
        f"WITH ORDINALITY AS given({', '.join(names)}, ordinal) ORDER BY ordinal RETURNING id",
        [created, *columns],
    )
    return [pk for (pk,) in cursor.fetchall()]


def _insert_values(cursor: Any, notifications: list[Notification], columns: list[list[Any]], created: Any) -> list[int]:
    fields = [Notification._meta.get_field(name.removesuffix("_id")) for name in INSERTED]
    batch = max(1, min(500, connection.ops.bulk_batch_size(fields, notifications)))
    row_placeholder = "(" + ", ".join(["%s"] * len(INSERTED)) + ")"
    ids: list[int] = []
    for start in range(0, len(notifications), batch):
        rows = list(zip(*(column[start : start + batch] for column in columns), strict=True))
        cursor.execute(
            f"INSERT INTO {_table()} ({_columns()}) VALUES {', '.join([row_placeholder] * len(rows))} RETURNING id",
            [value for row in rows for value in (*row, created)],
        )
        ids += [pk for (pk,) in cursor.fetchall()]
    return ids


def _table() -> str:
    return connection.ops.quote_name(Notification._meta.db_table)


def _columns() -> str:
    return ", ".join(connection.ops.quote_name(name) for name in INSERTED)  # the columns are the attnames


def _column_type(name: str) -> str:
    """The column's type for an array cast: a foreign key's is its target's key's."""
    field = Notification._meta.get_field(name.removesuffix("_id"))
    assert isinstance(field, Field)
    return str(field.db_type(connection))


def _store_and_push(notifications: list[Notification]) -> list[Notification]:
    """Write the rows (one insert), count them unread, queue their e-mails and schedule
    one push per recipient for after commit. Texts are made once per language and
    wording, not once per recipient; a notification that joins an unread group
    replaces it without raising the member's unread count."""
    if not notifications:
        return []
    replaced = _fold_into_groups(notifications)
    created = _insert(notifications)
    raised = [n.recipient_id for n in created if n.recipient_id not in replaced]
    if raised:
        Member.objects.filter(one_of("pk", raised)).update(unread_notifications=F("unread_notifications") + 1)
    bulk_queue_notification_emails(created)
    members = {
        pk: (language, unread)
        for pk, language, unread in Member.objects.filter(one_of("pk", [n.recipient_id for n in created])).values_list(
            "pk", "language", "unread_notifications"
        )
    }
    texts: dict[tuple[Any, ...], tuple[str, str]] = {}
    messages = []
    for notification in created:
        language, unread = members[notification.recipient_id]
        wording = (
            language, notification.kind, notification.count, notification.actor_name, notification.title,
            notification.detail, notification.post_id, notification.thread_id, notification.meeting_id,
        )  # fmt: skip
        if wording not in texts:
            with translation.override(language):
                texts[wording] = (describe(notification), target_url(notification))
        text, url = texts[wording]
        event: dict[str, Any] = {
            "type": "notification.created",
            "id": notification.pk,
            "kind": notification.kind,
            "text": text,
            "url": url,
            "unread": unread,
        }
        if notification.recipient_id in replaced:
            event["replaces"] = replaced[notification.recipient_id]
        messages.append((notification.recipient_id, event))
    push.publish_to_members(messages)
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
            _count_read(member, updated)
        notification.read_at = timezone.now()
    return notification


@transaction.atomic
def mark_all_read(*, member: Member) -> int:
    count = Notification.objects.filter(recipient=member, read_at__isnull=True).update(read_at=timezone.now())
    Member.objects.filter(pk=member.pk).update(unread_notifications=0)
    member.unread_notifications = 0
    _announce_unread(member)
    return count


def mark_thread_read(*, member: Member, thread_id: int, number: int) -> int:
    """Reading a thread up to post ``number`` reads the notifications about those posts.

    Called in the transaction that moves the read position. A member without unread
    notifications (the count loaded with the member says so) costs no query. Every
    open tab of the member hears the new count after commit. Returns how many were
    marked read.
    """
    if not member.unread_notifications:
        return 0
    updated = Notification.objects.filter(
        recipient_id=member.pk, thread_id=thread_id, read_at__isnull=True, last_number__lte=number
    ).update(read_at=timezone.now())
    if updated:
        _count_read(member, updated)
    return updated


def _count_read(member: Member, count: int) -> None:
    """Lower the member's unread count by ``count`` (never below zero) and tell their tabs."""
    Member.objects.filter(pk=member.pk).update(
        unread_notifications=Greatest(F("unread_notifications") - count, Value(0))
    )
    member.unread_notifications = Member.objects.values_list("unread_notifications", flat=True).get(pk=member.pk)
    _announce_unread(member)


def _announce_unread(member: Member) -> None:
    push.publish(member_group(member.pk), {"type": "notification.read", "unread": member.unread_notifications})


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
    ids = set(Member.objects.filter(one_of("pk", ids), is_active=True).values_list("pk", flat=True))
    template = Notification(
        kind=kind,
        actor=actor,
        actor_name=actor.name if actor else "",
        thread=thread,
        post=post,
        title=(title or (thread.title if thread is not None else ""))[:200],
        detail=detail,
        meeting=meeting,
    )
    return _store_and_push([_copy_for(template, member_id, kind) for member_id in sorted(ids)])


def moderators_for(*, group_id: int | None) -> set[int]:
    """Who hears of a group's moderation news: its moderators who may take part now;
    the programme team when the group has none (or there is no group)."""
    return group_moderators(group_id=group_id) or programme_team()


def group_moderators(*, group_id: int | None) -> set[int]:
    """The group's moderators who may take part now (for a regional group: its ambassadors)."""
    if group_id is None:
        return set()
    return set(
        Member.objects.participating()
        .filter(memberships__group_id=group_id, memberships__role=Membership.Role.MODERATOR)
        .values_list("pk", flat=True)
    )


def programme_team() -> set[int]:
    return set(Member.objects.participating().filter(is_staff=True).values_list("pk", flat=True))


def withdraw_notifications(*, kind: str, actor_id: int) -> int:
    """Remove the notifications of ``kind`` caused by ``actor_id`` (a sign-up that has been
    decided: nobody needs to look at it any more), lowering the unread counts and telling
    the recipients' open tabs. Returns how many were removed."""
    rows = list(Notification.objects.filter(kind=kind, actor_id=actor_id).values_list("pk", "recipient_id", "read_at"))
    if not rows:
        return 0
    Notification.objects.filter(one_of("pk", [pk for pk, _recipient, _read in rows])).delete()
    unread = sorted({recipient for _pk, recipient, read_at in rows if read_at is None})
    if unread:
        Member.objects.filter(one_of("pk", unread)).update(
            unread_notifications=Greatest(F("unread_notifications") - 1, Value(0))
        )
        counts = Member.objects.filter(one_of("pk", unread)).values_list("pk", "unread_notifications")
        push.publish_each([(member_group(pk), {"type": "notification.read", "unread": count}) for pk, count in counts])
    return len(rows)
