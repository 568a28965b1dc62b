"""What a notification says and where it leads, in the active language."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.models import Notification


def describe(notification: Notification) -> str:
    actor = notification.actor_name or _("Someone")
    values = {"actor": actor, "title": notification.title}
    kind = notification.kind
    if kind == Notification.Kind.QUOTED:
        return _("%(actor)s quoted you in “%(title)s”") % values
    if kind == Notification.Kind.MENTIONED:
        return _("%(actor)s mentioned you in “%(title)s”") % values
    if kind == Notification.Kind.REPLIED:
        if notification.count > 1:
            return ngettext(
                "%(count)d new reply in “%(title)s”", "%(count)d new replies in “%(title)s”", notification.count
            ) % {**values, "count": notification.count}
        return _("%(actor)s replied to “%(title)s”") % values
    if kind == Notification.Kind.POSTED:
        if notification.count > 1:
            return ngettext(
                "%(count)d new post in “%(title)s”", "%(count)d new posts in “%(title)s”", notification.count
            ) % {**values, "count": notification.count}
        return _("%(actor)s posted in “%(title)s”") % values
    if kind == Notification.Kind.NEW_THREAD:
        return _("%(actor)s started “%(title)s”") % values
    if kind == Notification.Kind.ANSWER_ACCEPTED:
        return _("An answer was accepted in “%(title)s”") % values
    if kind == Notification.Kind.USEFUL:
        return ngettext(
            "%(actor)s marked your post in “%(title)s” as useful",
            "%(actor)s and %(others)d others marked your post in “%(title)s” as useful",
            notification.count,
        ) % {**values, "others": notification.count - 1}
    if kind == Notification.Kind.PERSPECTIVE_CITED:
        return _("Your post is an example in the handelingsperspectief “%(title)s”, published by %(actor)s") % values
    if kind == Notification.Kind.SIGNUP_APPROVED:
        return _("Your sign-up has been approved. Welcome!")
    if kind == Notification.Kind.SIGNUP_REJECTED:
        return _("Your sign-up has not been approved.")
    return _describe_moderation(notification, values) or notification.get_kind_display()


def _describe_moderation(notification: Notification, values: dict[str, str]) -> str | None:
    Kind = Notification.Kind
    kind = notification.kind
    values = {**values, "detail": notification.detail}
    if kind == Kind.POST_HIDDEN:
        return _("A moderator hid your post in “%(title)s”. Reason: %(detail)s") % values
    if kind == Kind.POST_REMOVED:
        return _("A moderator removed your post in “%(title)s”. Reason: %(detail)s") % values
    if kind == Kind.THREAD_HIDDEN:
        return _("A moderator hid your thread “%(title)s”. Reason: %(detail)s") % values
    if kind == Kind.THREAD_LOCKED:
        return _("A moderator closed your thread “%(title)s”. Reason: %(detail)s") % values
    if kind == Kind.THREAD_MOVED:
        return _("A moderator moved your thread “%(title)s” to %(detail)s") % values
    if kind == Kind.SUSPENDED:
        return _("A moderator suspended your account. Reason: %(detail)s") % values
    if kind == Kind.FLAG_UPHELD:
        return _("A moderator agreed with your flag on a post in “%(title)s”; the post is no longer shown.") % values
    if kind == Kind.FLAG_DISMISSED:
        return _("A moderator looked at your flag on a post in “%(title)s” and left the post as it was.") % values
    if kind == Kind.NEW_FLAG:
        from threads.models import Flag

        reason = (
            Flag.Reason(notification.detail).label if notification.detail in Flag.Reason.values else notification.detail
        )
        return _("%(actor)s flagged a post in “%(title)s”: %(reason)s") % {**values, "reason": reason}
    if kind == Kind.PENDING_MEMBER:
        return _("%(actor)s from %(title)s signed up and waits for approval") % values
    return _describe_meeting(notification, values)


def _describe_meeting(notification: Notification, values: dict[str, str]) -> str | None:
    Kind = Notification.Kind
    kind = notification.kind
    if kind == Kind.MEETING_INVITED:
        return _("You are invited to “%(title)s”") % values
    if kind == Kind.MEETING_SEAT:
        return _("A seat became free: you are now registered for “%(title)s”") % values
    if kind == Kind.MEETING_REMINDER:
        return _("Reminder: “%(title)s” is coming up soon") % values
    if kind == Kind.MEETING_REPORT:
        return _("The report of “%(title)s” has been published") % values
    if kind == Kind.QUESTION_HIDDEN:
        return _("An organiser hid your question for “%(title)s”. Reason: %(detail)s") % values
    return None


def target_url(notification: Notification) -> str:
    kind = notification.kind
    if kind == Notification.Kind.NEW_FLAG and notification.post_id is not None:
        return reverse("review_flags", args=[notification.post_id])
    if kind == Notification.Kind.PENDING_MEMBER:
        return reverse("moderation") + "?queue=signups"
    if kind == Notification.Kind.SUSPENDED:
        return reverse("account_status")
    if kind == Notification.Kind.PERSPECTIVE_CITED and notification.detail:
        return reverse("perspective", args=[notification.detail])  # the perspective's slug
    if notification.meeting_id is not None:
        return reverse("meeting", args=[notification.meeting_id])
    if notification.post_id is not None:
        return reverse("post_permalink", args=[notification.post_id])
    if notification.thread_id is not None:
        return reverse("thread", args=[notification.thread_id])
    return reverse("home")
