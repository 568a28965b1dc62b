"""Who may read and write threads and posts.

Pure functions over the member's roles (loaded once per request) and the objects at
hand: no queries. Moderation rights go through ``community.permissions.may_moderate``
and its one table, ``MODERATION``.

**Who may read a thread** is written once, here, in the three forms the code needs, kept
side by side and held together by tests/threads/test_readers.py:

- ``can_read_thread(member, thread)``: for one member and one thread (pages, sockets);
- ``readable_threads_q(member)``: the threads a member may read, as a filter on threads
  (lists, search, digests);
- ``readers_q(thread)``: the members who may read a thread, as a filter on members
  (whom to notify).

Each right comes as a pair: ``<verb>_refusal(member, obj)`` gives the reason the member may
not (translated, specific: "the thread is locked", "join the group first") or None;
``can_<verb>`` is "no refusal", and ``check_<verb>`` raises PermissionDenied with the
reason. ``access_`` functions fetch or 404, with the same 404 for what does not exist and
what the member may not read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from community.permissions import is_participant, may_moderate

if TYPE_CHECKING:
    from community.models import Group, Member
    from threads.models import Post, PostState, Thread

Refusal = Promise | None

NOT_TAKING_PART = _("Your account cannot take part in the forum right now.")
MODERATORS_ONLY = _("Only the moderators of this group and the programme team do this.")


# --- Who may read ------------------------------------------------------------------------


def can_read_group(member: Member, group: Group) -> bool:
    """Approved members who are not suspended read the groups open to every member and
    their own groups; staff read all."""
    if not is_participant(member):
        return False
    return member.is_staff or group.read_access == "everyone" or group.pk in member.roles.group_ids


def can_read_thread(member: Member, thread: Thread) -> bool:
    """Whoever may read its group; a hidden thread only its group's moderators and staff."""
    if not can_read_group(member, thread.group):
        return False
    return not thread.hidden or may_moderate(member, "read_hidden", group_id=thread.group_id)


def readable_groups_q(member: Member, prefix: str = "") -> Q:
    """``can_read_group`` as a filter on groups (``prefix`` reaches them through a relation)."""
    if not is_participant(member):
        return Q(pk__in=[])
    if member.is_staff:
        return Q()
    # The ids, not the group's read_access: no join, and a prepared list statement keeps its
    # plan (with read_access = $n PostgreSQL's generic estimate differed, so it planned every time).
    return Q(**{f"{prefix}id__in": member.roles.readable_group_ids})


def readable_threads_q(member: Member, prefix: str = "") -> Q:
    """``can_read_thread`` as a filter on threads (``prefix`` reaches them through a relation)."""
    readable = readable_groups_q(member, f"{prefix}group__")
    if not is_participant(member) or member.is_staff:
        return readable
    return readable & (
        Q(**{f"{prefix}hidden": False}) | Q(**{f"{prefix}group_id__in": member.roles.moderated_group_ids})
    )


def readers_q(thread: Thread) -> Q:
    """``can_read_thread`` as a filter on members: who may read this thread now."""
    from community.models import Membership
    from community.querysets import participating_q

    in_group = Membership.objects.filter(member_id=OuterRef("pk"), group_id=thread.group_id)
    allowed: Q
    if thread.hidden:
        allowed = Q(is_staff=True) | Q(Exists(in_group.filter(role=Membership.Role.MODERATOR)))
    elif thread.group.read_access != "everyone":
        allowed = Q(is_staff=True) | Q(Exists(in_group))
    else:
        allowed = Q()
    return participating_q() & allowed


# --- Writing -------------------------------------------------------------------------------


def start_thread_refusal(member: Member, group: Group, kind: str = "question") -> Refusal:
    """Members of a group start threads in it (staff everywhere); announcements are for its moderators."""
    if not is_participant(member):
        return NOT_TAKING_PART
    if not (member.is_staff or group.pk in member.roles.group_ids):
        return _("Only members of this group can start a thread in it. Join the group first.")
    if kind == "announcement" and not may_moderate(member, "post_announcement", group_id=group.pk):
        return _("Only moderators post announcements.")
    return None


def reply_refusal(member: Member, thread: Thread) -> Refusal:
    """Members of the group reply; a locked or hidden thread only takes replies from its moderators."""
    if not is_participant(member):
        return NOT_TAKING_PART
    if not can_read_thread(member, thread):
        return _("You cannot read this thread.")
    if not (member.is_staff or thread.group_id in member.roles.group_ids):
        return _("Only members of this group reply in it. Join the group first.")
    if (thread.locked or thread.hidden) and not may_moderate(member, "reply_when_closed", group_id=thread.group_id):
        return (
            _("This thread is hidden: nobody can reply.")
            if thread.hidden
            else _("This thread is locked: nobody can reply any more.")
        )
    return None


def edit_post_refusal(member: Member, post: Post | PostState) -> Refusal:
    """Authors edit their own posts while the thread is open; moderators edit any post in their groups."""
    if not is_participant(member):
        return NOT_TAKING_PART
    if post.is_deleted:
        return _("This post has been deleted.")
    if may_moderate(member, "edit_post", group_id=post.thread.group_id):
        return None
    if post.author_id != member.pk:
        return _("You can only edit your own posts.")
    if post.thread.locked:
        return _("This thread is locked: its posts can no longer be edited.")
    if post.hidden:
        return _("A moderator has hidden this post: it can no longer be edited.")
    return None


def delete_post_refusal(member: Member, post: Post | PostState) -> Refusal:
    if not is_participant(member):
        return NOT_TAKING_PART
    if post.is_deleted:
        return _("This post has been deleted.")
    if post.author_id != member.pk:
        return _("You can only delete your own posts.")
    if post.thread.locked:
        return _("This thread is locked: its posts can no longer be deleted.")
    return None


def accept_answer_refusal(member: Member, thread: Thread, post: Post | PostState | None = None) -> Refusal:
    """The asker or a moderator chooses one reply of a question as the answer."""
    if not is_participant(member):
        return NOT_TAKING_PART
    if not thread.is_question:
        return _("Only questions have an accepted answer.")
    if not (thread.author_id == member.pk or may_moderate(member, "accept_answer", group_id=thread.group_id)):
        return _("Only the asker and the moderators choose the answer.")
    if post is not None and (post.thread_id != thread.pk or post.is_opening or not post.is_visible):
        return _("Only a visible reply can be the answer.")
    return None


def mark_useful_refusal(member: Member, post: Post | PostState) -> Refusal:
    """Anyone who may read a post marks it "nuttig", except its author."""
    if not is_participant(member):
        return NOT_TAKING_PART
    if not post.is_visible or post.author_id is None:
        return _("This post cannot be marked as useful.")
    if post.author_id == member.pk:
        return _("You cannot mark your own post as useful.")
    return None


def flag_post_refusal(member: Member, post: Post | PostState) -> Refusal:
    """Any member who may read a visible post flags it, except its author (once: the action checks)."""
    if not is_participant(member):
        return NOT_TAKING_PART
    if not post.is_visible or post.author_id is None or not can_read_thread(member, post.thread):
        return _("This post cannot be flagged.")
    if post.author_id == member.pk:
        return _("You cannot flag your own post.")
    return None


def can_see_post_body(member: Member, post: Post | PostState) -> bool:
    """Hidden posts stay readable to their moderators and to their author (with the reason);
    deleted ones to nobody."""
    if post.is_deleted:
        return False
    return (
        not post.hidden
        or post.author_id == member.pk
        or may_moderate(member, "read_hidden", group_id=post.thread.group_id)
    )


def _can(refusal: Callable[..., Refusal]) -> Callable[..., bool]:
    def can(*args: object) -> bool:
        return refusal(*args) is None

    can.__doc__ = refusal.__doc__
    return can


def _check(refusal: Callable[..., Refusal]) -> Callable[..., None]:
    def check(*args: object) -> None:
        reason = refusal(*args)
        if reason is not None:
            raise PermissionDenied(reason)

    check.__doc__ = refusal.__doc__
    return check


can_start_thread = _can(start_thread_refusal)
can_reply = _can(reply_refusal)
can_edit_post = _can(edit_post_refusal)
can_delete_post = _can(delete_post_refusal)
can_accept_answer = _can(accept_answer_refusal)
can_mark_useful = _can(mark_useful_refusal)
can_flag_post = _can(flag_post_refusal)

check_start_thread = _check(start_thread_refusal)
check_reply = _check(reply_refusal)
check_edit_post = _check(edit_post_refusal)
check_delete_post = _check(delete_post_refusal)
check_accept_answer = _check(accept_answer_refusal)
check_mark_useful = _check(mark_useful_refusal)
check_flag_post = _check(flag_post_refusal)


def can_post_announcement(member: Member, group: Group) -> bool:
    return start_thread_refusal(member, group, "announcement") is None


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


def can_moderate_thread(member: Member, thread: Thread) -> bool:
    """Sees the thread's moderation controls: staff and the moderators of its group."""
    return may_moderate(member, "read_hidden", group_id=thread.group_id)


def can_pin_thread(member: Member, thread: Thread) -> bool:
    return may_moderate(member, "pin_thread", group_id=thread.group_id)


def can_lock_thread(member: Member, thread: Thread) -> bool:
    return may_moderate(member, "lock_thread", group_id=thread.group_id)


def can_hide_thread(member: Member, thread: Thread) -> bool:
    return may_moderate(member, "hide_thread", group_id=thread.group_id)


def can_move_thread(member: Member, thread: Thread, target: Group | None = None) -> bool:
    """Moderators of the thread's group move it to another group they may move threads to
    (``move_target_ids``; staff: any)."""
    if not may_moderate(member, "move_thread", group_id=thread.group_id):
        return False
    if target is None:
        return True
    targets = move_target_ids(member)
    return target.pk != thread.group_id and (targets is None or target.pk in targets)


def move_target_ids(member: Member) -> frozenset[int] | None:
    """The groups a moderator may move a thread into: the groups they moderate, the groups
    they belong to and the groups open to every member; None means all (staff). An
    ambassador moderates one group, their province's: a misplaced thread moves from there to
    Het Plein or a typology group they take part in."""
    if member.is_staff:
        return None
    return member.roles.moderated_group_ids | member.roles.readable_group_ids


def can_hide_post(member: Member, post: Post | PostState) -> bool:
    return not post.is_deleted and may_moderate(member, "hide_post", group_id=post.thread.group_id)


def can_review_flags(member: Member, post: Post) -> bool:
    return may_moderate(member, "review_flags", group_id=post.thread.group_id)


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


# --- Fetch or 404 ------------------------------------------------------------------------


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


if TYPE_CHECKING:
    from django.db.models import QuerySet
