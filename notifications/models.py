"""Notifications and watch levels."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """Something a member should know about: stored first, pushed second."""

    class Kind(models.TextChoices):
        # Ordered from most to least specific: one event gives one notification, of the first kind that applies.
        QUOTED = "quoted", _("quoted your post")
        MENTIONED = "mentioned", _("mentioned you")
        REPLIED = "replied", _("replied to your thread")
        POSTED = "posted", _("new post in a thread you watch")
        NEW_THREAD = "new_thread", _("new thread in a group or theme you watch")
        ANSWER_ACCEPTED = "answer_accepted", _("an answer was accepted")
        USEFUL = "useful", _("your post was marked useful")
        SIGNUP_APPROVED = "signup_approved", _("sign-up approved")
        SIGNUP_REJECTED = "signup_rejected", _("sign-up rejected")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    actor_name = models.CharField(_("name of the actor"), max_length=150, blank=True)
    thread = models.ForeignKey("threads.Thread", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    post = models.ForeignKey("threads.Post", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    title = models.CharField(_("title"), max_length=200, blank=True)
    count = models.PositiveIntegerField(_("how many"), default=1)
    created = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index("recipient", F("id").desc(), name="notification_by_recipient"),
            models.Index(
                "recipient", F("id").desc(), condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} · {self.kind} · {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Watch(models.Model):
    """How closely a member follows a thread, a group or a theme.

    Without a row the defaults of SPEC F5 apply: you watch threads you start and
    track threads you reply in (rows are made then), and track your own groups.
    """

    class Level(models.IntegerChoices):
        MUTED = 0, _("muted")
        NORMAL = 1, _("normal")
        TRACKING = 2, _("tracking")
        WATCHING = 3, _("watching")

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches")
    thread = models.ForeignKey("threads.Thread", on_delete=models.CASCADE, null=True, blank=True, related_name="watches")
    group = models.ForeignKey("community.Group", on_delete=models.CASCADE, null=True, blank=True, related_name="watches")
    theme = models.ForeignKey("threads.Theme", on_delete=models.CASCADE, null=True, blank=True, related_name="watches")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("watch level")
        verbose_name_plural = _("watch levels")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(thread__isnull=False, group__isnull=True, theme__isnull=True)
                    | Q(thread__isnull=True, group__isnull=False, theme__isnull=True)
                    | Q(thread__isnull=True, group__isnull=True, theme__isnull=False)
                ),
                name="watch_exactly_one_target",
            ),
            models.UniqueConstraint(fields=["member", "thread"], condition=Q(thread__isnull=False), name="watch_thread_once"),
            models.UniqueConstraint(fields=["member", "group"], condition=Q(group__isnull=False), name="watch_group_once"),
            models.UniqueConstraint(fields=["member", "theme"], condition=Q(theme__isnull=False), name="watch_theme_once"),
        ]
        indexes = [
            models.Index("thread", "level", name="watch_thread_level"),
            models.Index("group", "level", name="watch_group_level"),
            models.Index("theme", "level", name="watch_theme_level"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} · {self.get_level_display()}"
