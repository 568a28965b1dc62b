"""Flags: members flag posts for the moderators, who review them."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from community.actions import write_log_entry
from community.errors import DomainError
from community.models import Member
from threads import signals
from threads.actions.moderation import Action, _hide, _lock_post, _unhide
from threads.actions.posting import _post_label, delete_post
from threads.models import Flag, Post

FLAG_OUTCOMES = ("hide", "remove", "dismiss")


@transaction.atomic
def flag_post(*, member: Member, post: Post, reason: str, text: str = "") -> Flag:
    """A member flags a post, once. The flag goes to the queue of the moderators of
    the thread's group; the flag that makes ``settings.FLAGS_TO_HIDE`` open flags
    (from as many members) hides the post until a moderator decides.

    The post row is locked first, so that concurrent flags count one after another.
    """
    if reason not in Flag.Reason.values:
        raise DomainError(_("Choose what is wrong with this post."))
    text = text.strip()
    if reason == Flag.Reason.OTHER and not text:
        raise DomainError(_("Tell the moderators what is wrong with this post."))
    post = _lock_post(post)
    if post.author_id == member.pk:
        raise DomainError(_("You cannot flag your own post."))
    if not post.is_visible:
        raise DomainError(_("This post has already been hidden or deleted."))
    try:
        with transaction.atomic():
            flag = Flag.objects.create(post=post, member=member, reason=reason, text=text)
    except IntegrityError as error:
        raise DomainError(_("You have already flagged this post.")) from error
    hidden = False
    threshold = settings.FLAGS_TO_HIDE
    if Flag.objects.filter(post=post, status=Flag.Status.OPEN).count() == threshold:
        # Stored in the site's language, like the rest of the post.
        with translation.override(settings.LANGUAGE_CODE):
            note = _("Hidden automatically after flags from %(count)d members, until a moderator decides.") % {
                "count": threshold
            }
        _hide(post, actor=None, reason=note, log_action=Action.AUTO_HIDE_POST)
        hidden = True
    signals.post_flagged.send(sender=None, flag=flag, post=post, hidden=hidden)
    return flag


@transaction.atomic
def review_flags(*, actor: Member, post: Post, outcome: str, reason: str = "") -> list[Flag]:
    """A moderator decides on the open flags of a post, all at once.

    ``outcome`` is "hide" (agree: the post stays hidden, with the moderator's reason),
    "remove" (agree: the post is deleted) or "dismiss" (disagree: the post is
    restored). The flaggers are told the outcome, the author when their post goes.
    """
    if outcome not in FLAG_OUTCOMES:
        raise DomainError(_("Choose what happens to the post."))
    reason = reason.strip()
    if outcome != "dismiss" and not reason:
        raise DomainError(_("Give a reason: the author is told why."))
    post = _lock_post(post)
    flags = list(Flag.objects.filter(post=post, status=Flag.Status.OPEN).select_related("member"))
    if not flags:
        raise DomainError(_("The flags on this post have already been reviewed."))
    group = post.thread.group
    if outcome == "hide":
        if not post.is_deleted:
            _hide(post, actor=actor, reason=reason, log_action=None)
        status, action = Flag.Status.UPHELD, Action.UPHOLD_FLAGS
    elif outcome == "remove":
        delete_post(actor=actor, post=post)
        post.refresh_from_db(fields=["deleted_at"])
        status, action = Flag.Status.UPHELD, Action.REMOVE_POST
    else:
        if post.hidden:
            _unhide(post, actor=actor, log_action=None)
        status, action = Flag.Status.DISMISSED, Action.DISMISS_FLAGS
    now = timezone.now()
    Flag.objects.filter(pk__in=[flag.pk for flag in flags]).update(status=status, reviewed_by=actor, reviewed_at=now)
    for flag in flags:
        flag.status, flag.reviewed_by, flag.reviewed_at = status, actor, now
    write_log_entry(
        actor=actor, action=action, target=post, member=post.author, group=group, label=_post_label(post), reason=reason
    )
    signals.flags_reviewed.send(sender=None, post=post, flags=flags, outcome=outcome, actor=actor, reason=reason)
    return flags
