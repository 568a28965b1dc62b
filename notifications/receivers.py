"""Who gets told what: every rule in one place.

Receivers of the domain signals of threads and community. They run inside the
transaction of the action, write notification rows there and schedule the live
pushes for after commit; a rolled-back action leaves no row and sends nothing.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Q
from django.dispatch import receiver

from community import signals as community_signals
from notifications import actions, push
from notifications.groups import thread_group
from notifications.live import post_fragment
from notifications.models import Notification, Watch
from threads import signals

Kind = Notification.Kind


def _watchers(level: int, **target: Any) -> set[int]:
    return set(Watch.objects.filter(level=level, **target).values_list("member_id", flat=True))


@receiver(signals.thread_created)
def on_thread_created(sender: Any, thread, post, mentioned, quoted, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
    actions.watch_by_default(member=thread.author, thread=thread, level=Watch.Level.WATCHING)
    recipients: dict[int, set[str]] = defaultdict(set)
    theme_ids = list(thread.theme_links.values_list("tag_id", flat=True))
    for member_id in set(
        Watch.objects.filter(level=Watch.Level.WATCHING)
        .filter(Q(group_id=thread.group_id) | Q(theme_id__in=theme_ids))
        .values_list("member_id", flat=True)
    ):
        recipients[member_id].add(Kind.NEW_THREAD)
    for member in mentioned:
        recipients[member.pk].add(Kind.MENTIONED)
    for quoted_post in quoted:
        if quoted_post.author_id:
            recipients[quoted_post.author_id].add(Kind.QUOTED)
    actions.notify_about_thread(recipients=recipients, thread=thread, post=post, actor=thread.author)


@receiver(signals.post_created)
def on_post_created(sender: Any, post, mentioned, quoted, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
    thread = post.thread
    actions.watch_by_default(member=post.author, thread=thread, level=Watch.Level.TRACKING)
    recipients: dict[int, set[str]] = defaultdict(set)
    # Watching the thread, or its group, means hearing of every post.
    for member_id in _watchers(Watch.Level.WATCHING, thread_id=thread.pk) | _group_watchers_without_thread_level(thread):
        recipients[member_id].add(Kind.POSTED)
    if thread.author_id:
        recipients[thread.author_id].add(Kind.REPLIED)
    for member in mentioned:
        recipients[member.pk].add(Kind.MENTIONED)
    for quoted_post in quoted:
        if quoted_post.author_id:
            recipients[quoted_post.author_id].add(Kind.QUOTED)
    actions.notify_about_thread(recipients=recipients, thread=thread, post=post, actor=post.author)
    push.publish(thread_group(thread.pk), {"type": "thread.post_created", "thread": thread.pk, **post_fragment(post)})


def _group_watchers_without_thread_level(thread) -> set[int]:  # type: ignore[no-untyped-def]
    """Members watching the group, unless they set their own level on this thread."""
    own_level = Watch.objects.filter(thread_id=thread.pk).values("member_id")
    return set(
        Watch.objects.filter(group_id=thread.group_id, level=Watch.Level.WATCHING)
        .exclude(member_id__in=own_level)
        .values_list("member_id", flat=True)
    )


@receiver(signals.post_edited)
def on_post_edited(sender: Any, post, revision, editor, mentioned, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
    recipients = {member.pk: {Kind.MENTIONED} for member in mentioned}
    actions.notify_about_thread(recipients=recipients, thread=post.thread, post=post, actor=editor)
    push.publish(thread_group(post.thread_id), {"type": "thread.post_updated", "thread": post.thread_id, **post_fragment(post)})


@receiver(signals.post_deleted)
def on_post_deleted(sender: Any, post, actor, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
    push.publish(thread_group(post.thread_id), {"type": "thread.post_updated", "thread": post.thread_id, **post_fragment(post)})


@receiver(signals.post_hidden)
def on_post_hidden(sender: Any, post, actor, reason, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
    push.publish(
        thread_group(post.thread_id),
        {"type": "thread.post_hidden", "thread": post.thread_id, "post": post.pk, "number": post.number},
    )


@receiver(signals.answer_accepted)
def on_answer_accepted(sender: Any, thread, post, actor, previous, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
    recipients: dict[int, set[str]] = defaultdict(set)
    for member_id in (thread.author_id, post.author_id):
        if member_id:
            recipients[member_id].add(Kind.ANSWER_ACCEPTED)
    actions.notify_about_thread(recipients=recipients, thread=thread, post=post, actor=actor)
    push.publish(
        thread_group(thread.pk),
        {"type": "thread.answer_accepted", "thread": thread.pk, "post": post.pk, "number": post.number},
    )


@receiver(signals.post_marked_useful)
def on_post_marked_useful(sender: Any, post, member, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
    actions.notify_useful(post=post, marker=member)


@receiver(community_signals.member_approved)
def on_member_approved(sender: Any, member, actor, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
    actions.notify_member(member=member, kind=Kind.SIGNUP_APPROVED, actor=actor)


@receiver(community_signals.member_rejected)
def on_member_rejected(sender: Any, member, actor, reason, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
    actions.notify_member(member=member, kind=Kind.SIGNUP_REJECTED, actor=actor)
