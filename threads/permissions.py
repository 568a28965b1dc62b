"""Who may read and write threads and posts.

Pure functions over the member's roles (loaded once per request) and the
objects at hand: no queries. ``access_`` functions fetch or 404, with the same
404 for what does not exist and what the member may not read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community.permissions import is_participant, may_moderate

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from community.models import Group, Member
    from threads.models import Post, PostState, Thread


def is_moderator_of(member: Member, group: Group | int) -> bool:
    group_id = group if isinstance(group, int) else group.pk
    return member.is_staff or group_id in member.roles.moderated_group_ids


def can_read_group(member: Member, group: Group) -> bool:
    if not is_participant(member):
        return False
    return member.is_staff or group.read_access == "everyone" or group.pk in member.roles.group_ids


def can_read_thread(member: Member, thread: Thread) -> bool:
    if not can_read_group(member, thread.group):
        return False
    return not thread.hidden or is_moderator_of(member, thread.group_id)


def can_start_thread(member: Member, group: Group) -> bool:
    """Members of a group start threads in it; staff everywhere."""
    return is_participant(member) and (member.is_staff or group.pk in member.roles.group_ids)


def can_post_announcement(member: Member, group: Group) -> bool:
    return can_start_thread(member, group) and is_moderator_of(member, group)


def can_reply(member: Member, thread: Thread) -> bool:
    """Members of the group reply; a locked thread only takes replies from its moderators."""
    if not can_read_thread(member, thread) or not can_start_thread(member, thread.group):
        return False
    if thread.locked or thread.hidden:
        return is_moderator_of(member, thread.group_id)
    return True


def can_edit_post(member: Member, post: Post) -> bool:
    """Authors edit their own posts while the thread is open; moderators edit any post in their groups."""
    if not is_participant(member) or post.is_deleted:
        return False
    if may_moderate(member, "edit_post", group_id=post.thread.group_id):
        return True
    return post.author_id == member.pk and not post.thread.locked and not post.hidden


def can_delete_post(member: Member, post: Post) -> bool:
    return is_participant(member) and not post.is_deleted and post.author_id == member.pk and not post.thread.locked


def can_accept_answer(member: Member, thread: Thread, post: Post | None = None) -> bool:
    """The asker or a moderator chooses one reply of a question as the answer."""
    if not is_participant(member) or not thread.is_question:
        return False
    if not (thread.author_id == member.pk or is_moderator_of(member, thread.group_id)):
        return False
    if post is None:
        return True
    return post.thread_id == thread.pk and not post.is_opening and post.is_visible


def can_mark_useful(member: Member, post: Post) -> bool:
    """Anyone who may read a post marks it "nuttig", except its author."""
    return is_participant(member) and post.is_visible and post.author_id is not None and post.author_id != member.pk


def can_see_post_body(member: Member, post: Post) -> bool:
    """Hidden posts stay readable to moderators and to their author (with the reason);
    deleted ones to nobody."""
    if post.is_deleted:
        return False
    return not post.hidden or post.author_id == member.pk or is_moderator_of(member, post.thread.group_id)


def post_rights(member: Member, thread: Thread, post: Post | PostState) -> dict[str, bool]:
    """What the member may do with a post, as the thread page and the live posts show it."""
    return {
        "see": can_see_post_body(member, post),
        "edit": can_edit_post(member, post),
        "delete": can_delete_post(member, post),
        "mark": can_mark_useful(member, post),
        "accept": post.pk != thread.accepted_post_id and can_accept_answer(member, thread, post),
        "quote": post.is_visible,
        "flag": can_flag_post(member, post),
        "hide": post.is_visible and can_hide_post(member, post),
        "unhide": post.hidden and can_hide_post(member, post),
    }


# --- Moderation (the scopes are in community.permissions.MODERATION) --------------


def can_pin_thread(member: Member, thread: Thread) -> bool:
    return may_moderate(member, "pin_thread", group_id=thread.group_id)


def can_lock_thread(member: Member, thread: Thread) -> bool:
    return may_moderate(member, "lock_thread", group_id=thread.group_id)


def can_hide_thread(member: Member, thread: Thread) -> bool:
    return may_moderate(member, "hide_thread", group_id=thread.group_id)


def can_move_thread(member: Member, thread: Thread, target: Group | None = None) -> bool:
    """Moderators of the thread's group move it to another group they moderate (staff: any)."""
    if not may_moderate(member, "move_thread", group_id=thread.group_id):
        return False
    return target is None or (target.pk != thread.group_id and may_moderate(member, "move_thread", group_id=target.pk))


def can_hide_post(member: Member, post: Post) -> bool:
    return not post.is_deleted and may_moderate(member, "hide_post", group_id=post.thread.group_id)


def can_review_flags(member: Member, post: Post) -> bool:
    return may_moderate(member, "review_flags", group_id=post.thread.group_id)


def can_flag_post(member: Member, post: Post) -> bool:
    """Any member who may read a visible post flags it, except its author (once: the action checks)."""
    return (
        is_participant(member)
        and post.is_visible
        and post.author_id is not None
        and post.author_id != member.pk
        and can_read_thread(member, post.thread)
    )


def moderation_controls(member: Member, thread: Thread) -> dict[str, bool]:
    """What the thread page offers a moderator, for the template's ``can``."""
    return {
        "pin": can_pin_thread(member, thread),
        "lock": can_lock_thread(member, thread),
        "hide": can_hide_thread(member, thread),
        "move": can_move_thread(member, thread),
    }


def check(allowed: bool, message: str | Promise) -> None:
    if not allowed:
        raise PermissionDenied(message)


def check_start_thread(member: Member, group: Group, kind: str) -> None:
    check(can_start_thread(member, group), _("Only members of this group can start a thread in it. Join the group first."))
    if kind == "announcement":
        check(can_post_announcement(member, group), _("Only moderators post announcements."))


def check_reply(member: Member, thread: Thread) -> None:
    check(can_reply(member, thread), _("You cannot reply in this thread."))


def check_edit_post(member: Member, post: Post) -> None:
    check(can_edit_post(member, post), _("You cannot edit this post."))


def check_delete_post(member: Member, post: Post) -> None:
    check(can_delete_post(member, post), _("You cannot delete this post."))


def check_accept_answer(member: Member, thread: Thread, post: Post) -> None:
    check(can_accept_answer(member, thread, post), _("Only the asker and the moderators choose the answer."))


def check_mark_useful(member: Member, post: Post) -> None:
    check(can_mark_useful(member, post), _("You cannot mark this post as useful."))


MODERATORS_ONLY = gettext_lazy("Only the moderators of this group and the programme team do this.")


def check_pin_thread(member: Member, thread: Thread) -> None:
    check(can_pin_thread(member, thread), MODERATORS_ONLY)


def check_lock_thread(member: Member, thread: Thread) -> None:
    check(can_lock_thread(member, thread), MODERATORS_ONLY)


def check_hide_thread(member: Member, thread: Thread) -> None:
    check(can_hide_thread(member, thread), MODERATORS_ONLY)


def check_move_thread(member: Member, thread: Thread, target: Group | None = None) -> None:
    check(can_move_thread(member, thread, target), _("You can move threads only between groups you moderate."))


def check_hide_post(member: Member, post: Post) -> None:
    check(can_hide_post(member, post), MODERATORS_ONLY)


def check_review_flags(member: Member, post: Post) -> None:
    check(can_review_flags(member, post), MODERATORS_ONLY)


def check_flag_post(member: Member, post: Post) -> None:
    check(can_flag_post(member, post), _("You cannot flag this post."))


def access_group(member: Member, slug: str) -> Group:
    from community.models import Group

    group = Group.objects.select_related("region", "typology").filter(slug=slug).first()
    if group is None or not can_read_group(member, group):
        raise Http404
    return group


def access_thread(member: Member, pk: int, queryset: QuerySet[Thread] | None = None) -> Thread:
    """The thread, if the member may read it (else 404); ``queryset`` may add to the query."""
    from threads.models import Thread

    thread = (Thread.objects.all() if queryset is None else queryset).select_related("group").filter(pk=pk).first()
    if thread is None or not can_read_thread(member, thread):
        raise Http404
    return thread


def access_thread_page(member: Member, pk: int) -> Thread:
    """The thread as its page reads it (with group and the member's read position, one
    plain query: ``threads/pageposts.py``), if the member may read it (else 404)."""
    from threads.pageposts import page_thread

    thread = page_thread(member, pk)
    if thread is None or not can_read_thread(member, thread):
        raise Http404
    return thread


def access_post(member: Member, pk: int) -> Post:
    from threads.models import Post

    post = Post.objects.select_related("thread__group", "author__municipality").filter(pk=pk).first()
    if post is None or not can_read_thread(member, post.thread):
        raise Http404
    return post
