"""Moderation of threads and posts: pin, lock, hide, move, hide and remove posts.

Authorisation (community.permissions.MODERATION) is checked by the caller; every action
here writes the moderation log and sends its domain signal inside its transaction."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from community.actions import write_log_entry
from community.errors import DomainError
from community.models import Group, Member, ModerationLogEntry
from threads import signals
from threads.actions.posting import _post_label, delete_post
from threads.models import Post, Thread

# --- Moderation -------------------------------------------------------------------
# Authorisation (community.permissions.MODERATION) is checked by the caller; every
# action here writes its moderation log entry in its own transaction.

Action = ModerationLogEntry.Action


def _require_reason(reason: str, message: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DomainError(message)
    return reason


def _lock_post(post: Post) -> Post:
    return Post.objects.select_for_update(of=("self",)).select_related("thread__group").get(pk=post.pk)


def _lock_thread(thread: Thread) -> Thread:
    return Thread.objects.select_for_update(of=("self",)).select_related("group").get(pk=thread.pk)


def _set_thread_flag(
    *, actor: Member, thread: Thread, field: str, value: bool, action: str, reason: str = ""
) -> tuple[Thread, bool]:
    """Set pinned/locked/hidden; returns the thread and whether it changed (no change, no log)."""
    thread = _lock_thread(thread)
    if getattr(thread, field) == value:
        return thread, False
    setattr(thread, field, value)
    fields = [field]
    if field == "hidden":
        thread.hidden_reason = reason if value else ""
        fields.append("hidden_reason")
    thread.save(update_fields=fields)
    write_log_entry(actor=actor, action=action, target=thread, member=thread.author, group=thread.group, reason=reason)
    return thread, True


@transaction.atomic
def pin_thread(*, actor: Member, thread: Thread) -> Thread:
    """Pinned threads come first in their group."""
    return _set_thread_flag(actor=actor, thread=thread, field="pinned", value=True, action=Action.PIN_THREAD)[0]


@transaction.atomic
def unpin_thread(*, actor: Member, thread: Thread) -> Thread:
    return _set_thread_flag(actor=actor, thread=thread, field="pinned", value=False, action=Action.UNPIN_THREAD)[0]


@transaction.atomic
def lock_thread(*, actor: Member, thread: Thread, reason: str) -> Thread:
    """Close a thread: it takes no replies except from its moderators. The author is told why."""
    reason = _require_reason(reason, _("Give a reason: the author is told why."))
    thread, changed = _set_thread_flag(
        actor=actor, thread=thread, field="locked", value=True, action=Action.LOCK_THREAD, reason=reason
    )
    if changed:
        signals.thread_locked.send(sender=None, thread=thread, actor=actor, reason=reason)
    return thread


@transaction.atomic
def unlock_thread(*, actor: Member, thread: Thread) -> Thread:
    return _set_thread_flag(actor=actor, thread=thread, field="locked", value=False, action=Action.UNLOCK_THREAD)[0]


@transaction.atomic
def hide_thread(*, actor: Member, thread: Thread, reason: str) -> Thread:
    """Hide a whole thread: only its group's moderators and staff still see it. The author is told why."""
    reason = _require_reason(reason, _("Give a reason: the author is told why."))
    thread, changed = _set_thread_flag(
        actor=actor, thread=thread, field="hidden", value=True, action=Action.HIDE_THREAD, reason=reason
    )
    if changed:
        signals.thread_hidden.send(sender=None, thread=thread, actor=actor, reason=reason)
    return thread


@transaction.atomic
def unhide_thread(*, actor: Member, thread: Thread) -> Thread:
    thread, changed = _set_thread_flag(
        actor=actor, thread=thread, field="hidden", value=False, action=Action.UNHIDE_THREAD
    )
    if changed:
        signals.thread_unhidden.send(sender=None, thread=thread, actor=actor)
    return thread


@transaction.atomic
def move_thread(*, actor: Member, thread: Thread, group: Group, reason: str = "") -> Thread:
    """Move a thread to another group. Its URL, posts, notifications and watches stay
    as they are (they point to the thread, not the group); the author is told."""
    thread = _lock_thread(thread)
    if group.pk == thread.group_id:
        raise DomainError(_("The thread is already in this group."))
    source = thread.group
    thread.group = group
    thread.save(update_fields=["group"])
    write_log_entry(
        actor=actor,
        action=Action.MOVE_THREAD,
        target=thread,
        member=thread.author,
        group=source,
        label=f"{thread.title} ({source.name} → {group.name})",
        reason=reason.strip(),
    )
    signals.thread_moved.send(sender=None, thread=thread, actor=actor, source=source, reason=reason.strip())
    return thread


def _hide(post: Post, *, actor: Member | None, reason: str, log_action: str | None) -> Post:
    """Hide a locked post (or give a hidden one the moderator's reason) and tell the author."""
    post.hidden, post.hidden_reason = True, reason
    post.save(update_fields=["hidden", "hidden_reason"])
    if post.thread.accepted_post_id == post.pk:
        Thread.objects.filter(pk=post.thread_id).update(accepted_post=None)
    if log_action:
        write_log_entry(
            actor=actor,
            action=log_action,
            target=post,
            member=post.author,
            group=post.thread.group,
            label=_post_label(post),
            reason=reason,
        )
    signals.post_hidden.send(sender=None, post=post, actor=actor, reason=reason)
    return post


def _unhide(post: Post, *, actor: Member, log_action: str | None) -> Post:
    post.hidden, post.hidden_reason = False, ""
    post.save(update_fields=["hidden", "hidden_reason"])
    if log_action:
        write_log_entry(
            actor=actor,
            action=log_action,
            target=post,
            member=post.author,
            group=post.thread.group,
            label=_post_label(post),
        )
    signals.post_unhidden.send(sender=None, post=post, actor=actor)
    return post


@transaction.atomic
def hide_post(*, actor: Member, post: Post, reason: str) -> Post:
    """A moderator hides a post: members see a placeholder, moderators (and the
    author) the post and the reason. The author is told why."""
    reason = _require_reason(reason, _("Give a reason: the author is told why."))
    post = _lock_post(post)
    if post.hidden or post.is_deleted:
        return post
    return _hide(post, actor=actor, reason=reason, log_action=Action.HIDE_POST)


@transaction.atomic
def unhide_post(*, actor: Member, post: Post) -> Post:
    post = _lock_post(post)
    if not post.hidden:
        return post
    return _unhide(post, actor=actor, log_action=Action.UNHIDE_POST)


@transaction.atomic
def remove_post(*, actor: Member, post: Post, reason: str) -> Post:
    """A moderator removes a post (a soft delete, as when its author deletes it): it
    keeps its number and shows as removed. The author is told why."""
    reason = _require_reason(reason, _("Give a reason: the author is told why."))
    post = _lock_post(post)
    if post.is_deleted:
        raise DomainError(_("This post has already been deleted."))
    delete_post(actor=actor, post=post)
    post.refresh_from_db(fields=["deleted_at"])
    write_log_entry(
        actor=actor,
        action=Action.REMOVE_POST,
        target=post,
        member=post.author,
        group=post.thread.group,
        label=_post_label(post),
        reason=reason,
    )
    signals.post_removed.send(sender=None, post=post, actor=actor, reason=reason)
    return post
