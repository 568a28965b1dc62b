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
        PERSPECTIVE_CITED = "perspective_cited", _("your post is an example in a handelingsperspectief")
        SIGNUP_APPROVED = "signup_approved", _("sign-up approved")
        SIGNUP_REJECTED = "signup_rejected", _("sign-up rejected")
        # Moderation, about the member's own content and account (each event gives one kind).
        POST_HIDDEN = "post_hidden", _("your post was hidden by a moderator")
        POST_REMOVED = "post_removed", _("your post was removed by a moderator")
        THREAD_HIDDEN = "thread_hidden", _("your thread was hidden by a moderator")
        THREAD_LOCKED = "thread_locked", _("your thread was closed by a moderator")
        THREAD_MOVED = "thread_moved", _("your thread was moved to another group")
        SUSPENDED = "suspended", _("your account was suspended")
        FLAG_UPHELD = "flag_upheld", _("a moderator agreed with your flag")
        FLAG_DISMISSED = "flag_dismissed", _("a moderator disagreed with your flag")
        # For moderators: their queues.
        NEW_FLAG = "new_flag", _("new flag (moderators)")
        PENDING_MEMBER = "pending_member", _("new sign-up to review (moderators)")
        # Meetings (community.meetings).
        MEETING_INVITED = "meeting_invited", _("invitation to a meeting")
        MEETING_SEAT = "meeting_seat", _("a seat became free for you at a meeting")
        MEETING_REMINDER = "meeting_reminder", _("reminder: a meeting you registered for is coming")
        MEETING_REPORT = "meeting_report", _("the report of a meeting you registered for")
        QUESTION_HIDDEN = "question_hidden", _("your question for a meeting was hidden")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_name = models.CharField(_("name of the actor"), max_length=150, blank=True)
    thread = models.ForeignKey("threads.Thread", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    post = models.ForeignKey("threads.Post", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    meeting = models.ForeignKey("meetings.Meeting", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    title = models.CharField(_("title"), max_length=200, blank=True)
    # What a moderation notification adds: the moderator's reason, the group a thread
    # moved to, the kind of flag.
    detail = models.TextField(_("detail"), blank=True)
    count = models.PositiveIntegerField(_("how many"), default=1)
    # The number of the last post of the thread this notification is about: reading the
    # thread up to it marks the notification read. ``post`` is the first of them (a group
    # of replies points at the first unread one).
    last_number = models.PositiveIntegerField(_("up to post number"), null=True, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index("recipient", F("id").desc(), name="notification_by_recipient"),
            models.Index("recipient", F("id").desc(), condition=Q(read_at__isnull=True), name="notification_unread"),
            models.Index("thread", "recipient", condition=Q(read_at__isnull=True), name="notification_unread_thread"),
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
    thread = models.ForeignKey(
        "threads.Thread", on_delete=models.CASCADE, null=True, blank=True, related_name="watches"
    )
    group = models.ForeignKey(
        "community.Group", on_delete=models.CASCADE, null=True, blank=True, related_name="watches"
    )
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
            models.UniqueConstraint(
                fields=["member", "thread"], condition=Q(thread__isnull=False), name="watch_thread_once"
            ),
            models.UniqueConstraint(
                fields=["member", "group"], condition=Q(group__isnull=False), name="watch_group_once"
            ),
            models.UniqueConstraint(
                fields=["member", "theme"], condition=Q(theme__isnull=False), name="watch_theme_once"
            ),
        ]
        indexes = [
            models.Index("thread", "level", name="watch_thread_level"),
            models.Index("group", "level", name="watch_group_level"),
            models.Index("theme", "level", name="watch_theme_level"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} · {self.get_level_display()}"


# --- E-mail: preferences, the outbox and the digest ledger -------------------------------


class EmailPreference(models.Model):
    """How a member wants to hear by e-mail. Without a row the defaults apply
    (see ``notifications.email.preferences``): mentions, quotes and replies to
    you at once, everything else in a weekly digest."""

    class Delivery(models.TextChoices):
        IMMEDIATELY = "immediately", _("immediately")
        DIGEST = "digest", _("in the digest")
        NEVER = "never", _("never")

    class Frequency(models.TextChoices):
        DAILY = "daily", _("daily")
        WEEKLY = "weekly", _("weekly")
        OFF = "off", _("off")

    class Mode(models.TextChoices):
        """How the kinds chosen "immediately" arrive: each at once, or together per thread
        after a short window (``OUTBOX["window_seconds"]``); or only in the digest; or never."""

        DIRECT = "direct", _("direct")
        BUNDLED = "bundled", _("bundled")
        SUMMARY = "summary", _("only the summary")
        NEVER = "never", _("never")

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="email_preference",
        verbose_name=_("member"),
    )
    # {notification kind: delivery}; a kind that is missing takes its default.
    kinds = models.JSONField(_("e-mail per kind"), default=dict, blank=True)
    digest = models.CharField(_("digest"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    mode = models.CharField(_("e-mail about notifications"), max_length=10, choices=Mode.choices, default=Mode.BUNDLED)
    updated = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("e-mail preference")
        verbose_name_plural = _("e-mail preferences")
        indexes = [models.Index("digest", name="email_preference_digest")]

    def __str__(self) -> str:
        return f"{self.member_id} · {self.get_digest_display()}"


class OutboxMessage(models.Model):
    """One e-mail, stored before it is sent: the worker (``deliver_mail``)
    claims due rows, sends them and records the outcome. The row is the truth;
    nothing is sent that was not first committed here."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        # Rendered when due and found to hold nothing the member has not read on the site.
        SKIPPED = "skipped", _("not sent: already read")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    to = models.CharField(_("to"), max_length=400)
    from_email = models.CharField(_("from"), max_length=400, blank=True)
    kind = models.CharField(_("kind"), max_length=40)
    # Makes queueing idempotent: a second message with the same key is not queued.
    key = models.CharField(_("idempotency key"), max_length=200, unique=True, null=True, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    subject = models.CharField(_("subject"), max_length=400)
    text = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    # What the worker renders the message from when it is due (``notifications.email.rendering``);
    # empty for a message stored rendered.
    content = models.JSONField(_("content to render"), default=dict, blank=True)
    # "<member id>/<thread id>": at most one queued bundle per member and thread; new posts
    # of the thread join it until a worker claims it.
    bundle = models.CharField(_("bundle"), max_length=60, null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # While SENDING: the claim of one worker, until this moment (a crashed worker's claim runs out).
    locked_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=120, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [
            models.Index("next_attempt_at", "id", condition=Q(status__in=["queued", "sending"]), name="outbox_due"),
            models.Index("status", F("id").desc(), name="outbox_by_status"),
            models.Index("recipient", F("id").desc(), name="outbox_by_recipient"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["bundle"], condition=Q(status="queued"), name="outbox_one_open_bundle"),
        ]

    def __str__(self) -> str:
        return f"{self.to} · {self.subject}"


class DigestLedger(models.Model):
    """One row per member, frequency and period: written in the transaction
    that queues the digest, so that a digest is never built twice (re-runs and
    concurrent runs skip it; a crashed run resumes with the members it had not
    reached)."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("daily")
        WEEKLY = "weekly", _("weekly")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        EMPTY = "empty", _("empty, not sent")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("member")
    )
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    message = models.ForeignKey(
        OutboxMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("e-mail")
    )
    run = models.CharField(_("run"), max_length=64)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-period_start", "member"]
        verbose_name = _("digest ledger entry")
        verbose_name_plural = _("digest ledger")
        constraints = [
            models.UniqueConstraint(fields=["member", "frequency", "period_start"], name="digest_once_per_period"),
        ]
        indexes = [models.Index("frequency", "period_start", "run", name="digest_ledger_run")]

    def __str__(self) -> str:
        return f"{self.member_id} · {self.frequency} · {self.period_start}"
