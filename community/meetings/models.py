"""Meetings (bijeenkomsten and webinars), their registrations, questions and votes.

A meeting never points at a thread: the follow-up thread of its report is stored as a
plain id (``report_thread_id``), which ``threads`` fills in through an action. The themes
a meeting is for are the slugs of ``threads`` themes, stored as a list for the same reason.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from community.meetings.querysets import MeetingQuerySet, QuestionQuerySet, RegistrationQuerySet


class Meeting(models.Model):
    class Kind(models.TextChoices):
        LOCATION = "location", _("meeting on location")
        ONLINE = "online", _("webinar")
        HYBRID = "hybrid", _("hybrid (on location and online)")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.LOCATION)
    location_name = models.CharField(_("location"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    # Shown only to registered members and organisers (pages, mails, feeds, the socket).
    join_url = models.URLField(_("join link"), max_length=500, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    registration_deadline = models.DateTimeField(_("registration closes"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("seats"), null=True, blank=True, help_text=_("Empty: no limit."))
    typologies = models.ManyToManyField(
        "community.Typology", blank=True, related_name="meetings", verbose_name=_("typologies")
    )
    regions = models.ManyToManyField(
        "community.Region", blank=True, related_name="meetings", verbose_name=_("provinces")
    )
    themes = models.JSONField(_("themes"), default=list, blank=True)
    organisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="organised_meetings", verbose_name=_("organisers")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    # Kept by the actions under the meeting's row lock.
    registered_count = models.PositiveIntegerField(_("registered"), default=0)
    waiting_count = models.PositiveIntegerField(_("on the waiting list"), default=0)
    # Calendar: a stable UID, and a SEQUENCE that moves when the time or place changes.
    uid = models.UUIDField(_("calendar UID"), default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0)
    # Moves whenever someone stops being allowed to follow the meeting live (a registration
    # ends, an organiser is removed): every live event carries it, and a socket that decided
    # at an older value decides again before it forwards the event (notifications/meetinglive.py).
    access_version = models.PositiveIntegerField(default=0, editable=False)
    report = models.TextField(_("report (Markdown)"), blank=True)
    report_html = models.TextField(_("report (HTML)"), blank=True)
    report_published_at = models.DateTimeField(_("report published"), null=True, blank=True)
    report_thread_id = models.PositiveBigIntegerField(_("follow-up thread"), null=True, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    updated = models.DateTimeField(_("updated"), default=timezone.now)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="meeting_ends_after_start"),
        ]
        indexes = [models.Index(fields=["starts_at", "id"], name="meeting_by_start")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("meeting", args=[self.pk])

    @cached_property
    def organiser_ids(self) -> frozenset[int]:
        """From the prefetched organisers (``with_page_data``); live events set it from their facts."""
        return frozenset(member.pk for member in self.organisers.all())

    @property
    def is_online(self) -> bool:
        return self.kind in (self.Kind.ONLINE, self.Kind.HYBRID)

    @property
    def is_on_location(self) -> bool:
        return self.kind in (self.Kind.LOCATION, self.Kind.HYBRID)

    @property
    def closes_at(self):
        """When registration closes: the deadline, or the start."""
        return self.registration_deadline or self.starts_at

    @property
    def is_past(self) -> bool:
        return self.ends_at <= timezone.now()

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.registered_count >= self.capacity

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.registered_count)


class Invitation(models.Model):
    """A member was invited (once per meeting: inviting a group again tells only its new members)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meeting_invitations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="invitation_once")]
        indexes = [models.Index(fields=["member", "meeting"], name="invitation_by_member")]


class Registration(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", _("registered")
        WAITING = "waiting", _("on the waiting list")
        CANCELLED = "cancelled", _("cancelled")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("meeting")
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="meeting_registrations",
        verbose_name=_("member"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    # The waiting list is served in this order: when the member (last) asked for a seat.
    requested_at = models.DateTimeField(_("asked for a seat"), default=timezone.now)
    registered_at = models.DateTimeField(_("got a seat"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    attended = models.BooleanField(_("came"), default=False)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="registration_once")]
        indexes = [
            models.Index(fields=["meeting", "status", "requested_at"], name="registration_queue"),
            models.Index(fields=["member", "status"], name="registration_by_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} · {self.meeting_id} · {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.REGISTERED


class Reminder(models.Model):
    """The ledger of day-before reminders: one row per meeting and member, written in the
    transaction that sends it, so that a reminder is never sent twice."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    run = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="reminder_once")]


class Question(models.Model):
    """A question for a meeting, asked beforehand or during the live Q&A."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        SELECTED = "selected", _("will be discussed")
        ANSWERING = "answering", _("now answering")
        ANSWERED = "answered", _("answered")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="questions", verbose_name=_("meeting"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="meeting_questions",
        verbose_name=_("asked by"),
    )
    # Anonymous to other members; organisers always see who asked.
    anonymous = models.BooleanField(_("anonymous to other members"), default=False)
    text = models.TextField(_("question"), max_length=1000)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    vote_count = models.PositiveIntegerField(_("votes"), default=0)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.TextField(_("reason for hiding"), blank=True)
    created = models.DateTimeField(_("asked"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["-vote_count", "created", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [models.Index(fields=["meeting", "status"], name="question_by_meeting")]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def is_listed(self) -> bool:
        """Shown in the meeting's list: not hidden, not merged into another."""
        return not self.hidden and self.merged_into_id is None


class Vote(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meeting_votes")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["question", "member"], name="vote_once")]
        indexes = [models.Index(fields=["member", "question"], name="vote_by_member")]


class CalendarFeed(models.Model):
    """A member's personal calendar feed. The link carries the member's id and this
    random key, signed with the site's secret (``community.meetings.calendar.feed_token``);
    a new key revokes the old link."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="calendar_feed"
    )
    key = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
