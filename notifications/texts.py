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
        return _("%(actor)s replied to “%(title)s”") % values
    if kind == Notification.Kind.POSTED:
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
    if kind == Notification.Kind.SIGNUP_APPROVED:
        return _("Your sign-up has been approved. Welcome!")
    if kind == Notification.Kind.SIGNUP_REJECTED:
        return _("Your sign-up has not been approved.")
    return notification.get_kind_display()


def target_url(notification: Notification) -> str:
    if notification.post_id is not None:
        return reverse("post_permalink", args=[notification.post_id])
    if notification.thread_id is not None:
        return reverse("thread", args=[notification.thread_id])
    return reverse("home")
