"""Threads and posts, their revisions, themes, "nuttig" marks, read state and mentions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import ItemBase, TagBase

from threads.querysets import FlagQuerySet, PostQuerySet, ThreadQuerySet

POSTS_PER_PAGE = 20


class Theme(TagBase):
    """A staff-curated theme (django-taggit tag): wonen, werk, taal, ..."""

    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def get_absolute_url(self) -> str:
        return reverse("theme", args=[self.slug])


class ThreadTheme(ItemBase):
    content_object = models.ForeignKey("Thread", on_delete=models.CASCADE, related_name="theme_links")
    tag = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="thread_links")

    class Meta:
        verbose_name = _("theme of a thread")
        verbose_name_plural = _("themes of threads")
        constraints = [models.UniqueConstraint(fields=["content_object", "tag"], name="thread_theme_unique")]


class Thread(models.Model):
    class Kind(models.TextChoices):
        QUESTION = "question", _("question")
        EXPERIENCE = "experience", _("experience")
        DILEMMA = "dilemma", _("dilemma")
        ANNOUNCEMENT = "announcement", _("announcement")

    group = models.ForeignKey(
        "community.Group", on_delete=models.PROTECT, related_name="threads", verbose_name=_("group")
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, allow_unicode=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.QUESTION)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="threads", verbose_name=_("author")
    )
    themes = TaggableManager(through=ThreadTheme, verbose_name=_("themes"), blank=True, related_name="threads")
    created = models.DateTimeField(_("created"), default=timezone.now)
    # Denormalised, moved by the actions with F() so lists need no aggregates.
    last_post_number = models.PositiveIntegerField(_("number of the last post"), default=0)
    reply_count = models.PositiveIntegerField(_("replies"), default=0)
    useful_count = models.PositiveIntegerField(_("nuttig marks"), default=0)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    last_poster = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last poster"),
    )
    pinned = models.BooleanField(_("pinned"), default=False)
    locked = models.BooleanField(_("locked"), default=False)
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.TextField(_("reason for hiding"), blank=True)
    accepted_post = models.OneToOneField(
        "Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("accepted answer")
    )

    objects = ThreadQuerySet.as_manager()

    class Meta:
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        indexes = [
            models.Index(F("last_activity_at").desc(), F("id").desc(), name="thread_latest"),
            models.Index("group", F("pinned").desc(), F("last_activity_at").desc(), name="thread_group_list"),
            models.Index("kind", "reply_count", F("last_activity_at").desc(), name="thread_unanswered"),
            models.Index(F("useful_count").desc(), F("last_activity_at").desc(), name="thread_top"),
            models.Index("author", F("last_activity_at").desc(), name="thread_by_author"),
            # The unread list walks the member's read states and checks each thread here,
            # without reading the table (PostgreSQL; elsewhere an index of the ids).
            models.Index(
                fields=["id"],
                include=["group", "hidden", "last_post_number", "last_activity_at"],
                name="thread_unread_check",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("thread", args=[self.pk, self.slug]) if self.slug else reverse("thread", args=[self.pk])

    @property
    def is_question(self) -> bool:
        return self.kind == self.Kind.QUESTION

    @property
    def is_solved(self) -> bool:
        return self.accepted_post_id is not None

    @property
    def page_count(self) -> int:
        return max(1, -(-self.last_post_number // POSTS_PER_PAGE))


class PostState:
    """What a post's number and flags mean: for ``Post`` and for a post read as plain values
    (``threads/pageposts.py``)."""

    __slots__ = ()
    # What the permission checks read of any post (threads.permissions).
    number: int
    deleted_at: datetime | None
    hidden: bool
    if TYPE_CHECKING:
        pk: Any
        author_id: int | None
        thread_id: int
        thread: Thread

    @property
    def is_opening(self) -> bool:
        return self.number == 1

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_visible(self) -> bool:
        return not self.hidden and self.deleted_at is None


def post_url(thread_id: int, number: int) -> str:
    """Where a post is: its thread's page, at the post. Always with ?page=: a thread URL
    without it opens at the first unread post."""
    page = (number - 1) // POSTS_PER_PAGE + 1
    return f"{reverse('thread', args=[thread_id])}?page={page}#post-{number}"


class Post(PostState, models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts", verbose_name=_("thread"))
    number = models.PositiveIntegerField(_("number"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="posts", verbose_name=_("author")
    )
    body = models.TextField(_("text (Markdown)"))
    html = models.TextField(_("text (HTML)"))
    text = models.TextField(_("text (plain)"), blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    revision_count = models.PositiveIntegerField(_("revisions"), default=0)
    useful_count = models.PositiveIntegerField(_("nuttig marks"), default=0)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.TextField(_("reason for hiding"), blank=True)
    # Full-text search (threads/search/): on PostgreSQL a database trigger keeps it current
    # from the plain text (weight B) and, for the opening post, the thread's title (weight A),
    # with the 'dutch' configuration; a GIN index covers it. Both are made by migration 0003,
    # outside the model state (a GIN index cannot be declared for SQLite). NULL on SQLite.
    search_vector = SearchVectorField(_("search vector"), null=True, editable=False)
    # The key the reply or new-thread form carried (a new one with every form shown): the
    # same form sent twice (a double click, or a proxy that retries a request whose process
    # died before it answered) finds the post it made the first time instead of a second.
    request_key = models.UUIDField(_("form key"), null=True, blank=True, editable=False)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["thread", "number"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.UniqueConstraint(fields=["thread", "number"], name="post_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="post_number_positive"),
            models.UniqueConstraint(
                fields=["author", "request_key"], condition=Q(request_key__isnull=False), name="post_request_key_once"
            ),
        ]
        indexes = [
            models.Index("author", F("created").desc(), name="post_by_author"),
            models.Index(F("useful_count").desc(), name="post_top"),
        ]

    def __str__(self) -> str:
        return f"{self.thread} #{self.number}"

    def get_absolute_url(self) -> str:
        return post_url(self.thread_id, self.number)


class PostRevision(models.Model):
    """An earlier text of a post, kept on every edit."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("post"))
    number = models.PositiveIntegerField(_("revision"))
    body = models.TextField(_("text (Markdown)"))
    html = models.TextField(_("text (HTML)"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("edited by")
    )
    by_moderator = models.BooleanField(_("edited by a moderator"), default=False)
    created = models.DateTimeField(_("replaced at"), default=timezone.now)

    class Meta:
        ordering = ["post", "number"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [models.UniqueConstraint(fields=["post", "number"], name="revision_number_unique")]

    def __str__(self) -> str:
        return f"{self.post} v{self.number}"


class Mark(models.Model):
    """A "nuttig" (useful) mark: once per member and post, never on one's own post."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="marks", verbose_name=_("post"))
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="marks", verbose_name=_("member")
    )
    created = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("nuttig mark")
        verbose_name_plural = _("nuttig marks")
        constraints = [models.UniqueConstraint(fields=["post", "member"], name="mark_once_per_member")]
        indexes = [models.Index("member", "post", name="mark_by_member")]

    def __str__(self) -> str:
        return f"{self.member} → {self.post}"


class ReadState(models.Model):
    """How far a member has read a thread: the number of the last post seen."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="read_states")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_states")
    last_read_number = models.PositiveIntegerField(default=0)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("read state")
        verbose_name_plural = _("read states")
        constraints = [models.UniqueConstraint(fields=["member", "thread"], name="read_state_unique")]

    def __str__(self) -> str:
        return f"{self.member} · {self.thread} · {self.last_read_number}"


class Mention(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions")

    class Meta:
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        constraints = [models.UniqueConstraint(fields=["post", "member"], name="mention_unique")]

    def __str__(self) -> str:
        return f"@{self.member_id} in {self.post}"


class Synonym(models.Model):
    """Words that mean the same in this field, curated by staff in the admin.

    A search for the term also finds its synonyms; when ``mutual``, a search for
    any of the words finds all of them.
    """

    term = models.CharField(_("term"), max_length=100)
    synonyms = models.TextField(
        _("synonyms"), help_text=_("Separate them with commas, e.g. vergunninghouder, vergunninghouders.")
    )
    mutual = models.BooleanField(
        _("works both ways"),
        default=True,
        help_text=_(
            "On: a search for any of these words finds all of them. Off: only a search for the term "
            "finds the synonyms (for a broader term such as nieuwkomer)."
        ),
    )

    class Meta:
        ordering = ["term"]
        verbose_name = _("synonym")
        verbose_name_plural = _("synonyms")
        constraints = [models.UniqueConstraint(Lower("term"), name="synonym_term_unique_ci")]

    def __str__(self) -> str:
        return f"{self.term} = {self.synonyms}"


class Flag(models.Model):
    """A member's report that a post breaks the rules: once per member and post.

    Open flags wait in the queue of the moderators of the thread's group; a moderator
    agrees (the post stays hidden or is removed) or disagrees (the post is restored),
    which closes every open flag of the post at once.
    """

    class Reason(models.TextChoices):
        SPAM = "spam", _("spam or advertising")
        INAPPROPRIATE = "inappropriate", _("inappropriate or offensive")
        OFF_TOPIC = "off_topic", _("off-topic")
        OTHER = "other", _("something else")

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for a moderator")
        UPHELD = "upheld", _("a moderator agreed")
        DISMISSED = "dismissed", _("a moderator disagreed")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags", verbose_name=_("post"))
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags", verbose_name=_("flagged by")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    text = models.TextField(_("explanation"), max_length=1000, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    created = models.DateTimeField(_("flagged"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["created", "id"]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [
            models.UniqueConstraint(fields=["post", "member"], name="flag_once_per_member"),
            models.CheckConstraint(condition=~Q(reason="other") | ~Q(text=""), name="flag_other_has_text"),
        ]
        indexes = [
            models.Index("post", "status", name="flag_by_post"),
            models.Index("status", "created", name="flag_queue"),
            models.Index("member", F("created").desc(), name="flag_by_member"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} · {self.post}"


class Draft(models.Model):
    """What a member is writing and has not posted yet: a reply to a thread, or a new thread
    in a group (its title and text). One per member and thread, and one per member and group
    for a new thread; saved while they type (``threads.actions.save_draft``), removed when
    they post it or throw it away."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, null=True, blank=True, related_name="drafts")
    group = models.ForeignKey("community.Group", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    updated = models.DateTimeField(_("saved"), default=timezone.now)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        constraints = [
            models.CheckConstraint(
                condition=Q(thread__isnull=False, group__isnull=True) | Q(thread__isnull=True, group__isnull=False),
                name="draft_for_a_thread_or_a_group",
            ),
            models.UniqueConstraint(fields=["member", "thread"], name="draft_once_per_thread"),
            models.UniqueConstraint(
                fields=["member", "group"], condition=Q(thread__isnull=True), name="draft_once_per_group"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.thread or self.group}"

    def get_absolute_url(self) -> str:
        """Where the draft is written: the thread's reply form, or the group's new-thread form."""
        if self.thread_id is not None:
            return reverse("reply", args=[self.thread_id])
        return reverse("new_thread", args=[self.group.slug])
