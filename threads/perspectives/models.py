"""Handelingsperspectieven: curated, versioned guidance built from what members shared in threads.

A ``Perspective`` holds its working copy (the text the editors are writing) and points to
its ``current_version``, the last ``PerspectiveVersion`` a second editor published. Members
read versions; only editors see the working copy. Versions are frozen: no action changes a
version once it exists, so ``/perspectives/<slug>/v/<n>/`` can be cited.

Every change of the working copy is a ``PerspectiveRevision`` holding a snapshot of the
whole document, so any two revisions can be compared word by word (``threads.diffs``).

Examples (``Citation``) and ``Source`` rows belong to the perspective; removing one from the
working copy only marks it removed, so the versions that included it keep it. A citation
keeps the quoted text as it was when cited, but whether a reader sees that text is decided
again at every view (``threads.perspectives.citations``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Member
from threads.perspectives.querysets import PerspectiveQuerySet, SuggestionQuerySet


class Perspective(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        REVIEW = "review", _("in review")
        PUBLISHED = "published", _("published")
        SUPERSEDED = "superseded", _("superseded")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    # The working copy. Markdown sections are rendered to HTML when they are saved.
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=1000, blank=True)
    situation = models.TextField(_("the situation it is for"), blank=True)
    situation_html = models.TextField(blank=True)
    dilemmas = models.TextField(_("dilemmas"), blank=True)
    dilemmas_html = models.TextField(blank=True)
    options = models.TextField(_("options and their trade-offs"), blank=True)
    options_html = models.TextField(blank=True)
    typologies = models.ManyToManyField(
        "community.Typology", related_name="+", blank=True, verbose_name=_("typologies")
    )
    themes = models.ManyToManyField("threads.Theme", related_name="+", blank=True, verbose_name=_("themes"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("started by")
    )
    created = models.DateTimeField(_("started"), default=timezone.now)
    updated = models.DateTimeField(_("last change"), default=timezone.now)
    revision_count = models.PositiveIntegerField(_("revisions"), default=0)
    #: The revision the current version was published from: revisions after it are this round's.
    published_revision = models.PositiveIntegerField(_("revision of the current version"), default=0)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent for review by"),
    )
    submitted_at = models.DateTimeField(_("sent for review"), null=True, blank=True)
    change_note = models.TextField(_("what changed"), blank=True)
    review_note = models.TextField(_("note from the reviewer"), blank=True)
    current_version = models.OneToOneField(
        "PerspectiveVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current version"),
    )
    is_public = models.BooleanField(
        _("public"), default=False, help_text=_("Readable without an account, and in the Atom feed.")
    )
    superseded_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supersedes",
        verbose_name=_("superseded by"),
    )
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)

    objects = PerspectiveQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("handelingsperspectief")
        verbose_name_plural = _("handelingsperspectieven")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="superseded") | Q(superseded_by__isnull=False),
                name="perspective_superseded_has_successor",
            ),
            models.CheckConstraint(condition=~Q(superseded_by=F("pk")), name="perspective_not_superseded_by_itself"),
            models.CheckConstraint(
                condition=Q(is_public=False) | Q(current_version__isnull=False), name="perspective_public_is_published"
            ),
        ]
        indexes = [models.Index(fields=["status", "updated"], name="perspective_by_status")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("perspective", args=[self.slug])

    @property
    def is_published(self) -> bool:
        """Has a version members can read."""
        return self.current_version_id is not None

    @property
    def is_superseded(self) -> bool:
        return self.status == self.Status.SUPERSEDED

    @property
    def has_unpublished_changes(self) -> bool:
        return self.revision_count > self.published_revision


class PerspectiveVersion(models.Model):
    """A published version: frozen, citable at ``/perspectives/<slug>/v/<number>/``."""

    perspective = models.ForeignKey(
        Perspective, on_delete=models.CASCADE, related_name="versions", verbose_name=_("handelingsperspectief")
    )
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    situation_html = models.TextField(blank=True)
    dilemmas_html = models.TextField(blank=True)
    options_html = models.TextField(blank=True)
    #: Plain text of the whole version, for search where PostgreSQL's is not available.
    text = models.TextField(blank=True)
    typologies = models.ManyToManyField(
        "community.Typology", related_name="perspective_versions", blank=True, verbose_name=_("typologies")
    )
    themes = models.ManyToManyField(
        "threads.Theme", related_name="perspective_versions", blank=True, verbose_name=_("themes")
    )
    citations = models.ManyToManyField("Citation", related_name="versions", blank=True, verbose_name=_("examples"))
    sources = models.ManyToManyField("Source", related_name="versions", blank=True, verbose_name=_("sources"))
    revision = models.PositiveIntegerField(_("revision"), default=0)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("sent for review by"),
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("reviewed and published by"),
    )
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    change_note = models.TextField(_("what changed"), blank=True)
    # PostgreSQL full-text search (dutch): written by the publish action, GIN index in
    # migration 0002 (PostgreSQL only). NULL on SQLite, which searches ``text``.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["perspective", "number"]
        verbose_name = _("published version")
        verbose_name_plural = _("published versions")
        constraints = [models.UniqueConstraint(fields=["perspective", "number"], name="perspective_version_unique")]
        indexes = [models.Index(F("published_at").desc(), name="perspective_version_recent")]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("perspective_version", args=[self.perspective.slug, self.number])

    @property
    def is_first(self) -> bool:
        return self.number == 1


class PerspectiveRevision(models.Model):
    """One change of the working copy, with the whole document as it was after it."""

    perspective = models.ForeignKey(
        Perspective, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("handelingsperspectief")
    )
    number = models.PositiveIntegerField(_("revision"))
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("editor")
    )
    description = models.CharField(_("change"), max_length=300)
    content = models.JSONField(_("document"))
    created = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["perspective", "number"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [models.UniqueConstraint(fields=["perspective", "number"], name="perspective_revision_unique")]

    def __str__(self) -> str:
        return f"{self.perspective_id} r{self.number}"


class Citation(models.Model):
    """An example from a thread: a post, quoted as it was when it was cited."""

    perspective = models.ForeignKey(
        Perspective, on_delete=models.CASCADE, related_name="citations", verbose_name=_("handelingsperspectief")
    )
    post = models.ForeignKey(
        "threads.Post", on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("post")
    )
    thread = models.ForeignKey(
        "threads.Thread",
        on_delete=models.SET_NULL,
        null=True,
        related_name="perspective_citations",
        verbose_name=_("thread"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("author")
    )
    quote = models.TextField(_("quoted text"))
    municipality = models.ForeignKey(
        "community.Municipality",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("municipality"),
    )
    municipality_name = models.CharField(_("municipality"), max_length=120, blank=True)
    position = models.CharField(_("position"), max_length=30, choices=Member.Position.choices, blank=True)
    posted_at = models.DateTimeField(_("written"))
    name_consent = models.BooleanField(
        _("name in public versions"), default=False, help_text=_("The author agreed to be named in public versions.")
    )
    note = models.TextField(_("why this example"), blank=True, max_length=1000)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("cited by")
    )
    created = models.DateTimeField(_("cited"), default=timezone.now)
    removed_at = models.DateTimeField(_("removed from the working copy"), null=True, blank=True)

    class Meta:
        ordering = ["perspective", "created", "id"]
        verbose_name = _("example")
        verbose_name_plural = _("examples")
        constraints = [
            models.UniqueConstraint(
                fields=["perspective", "post"], condition=Q(removed_at__isnull=True), name="citation_once_per_draft"
            ),
        ]
        indexes = [models.Index(fields=["thread"], name="citation_by_thread")]

    def __str__(self) -> str:
        return f"{self.municipality_name} · {self.posted_at:%Y-%m-%d}"


class Source(models.Model):
    """A report, law or publication the perspective builds on."""

    perspective = models.ForeignKey(
        Perspective, on_delete=models.CASCADE, related_name="sources", verbose_name=_("handelingsperspectief")
    )
    title = models.CharField(_("title"), max_length=300)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    url = models.URLField(_("web address"), max_length=500, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("added by")
    )
    created = models.DateTimeField(_("added"), default=timezone.now)
    removed_at = models.DateTimeField(_("removed from the working copy"), null=True, blank=True)

    class Meta:
        ordering = ["perspective", "created", "id"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.title

    def as_line(self) -> str:
        """One line, for revisions and plain text: title, publisher, year, address."""
        return " · ".join(str(part) for part in (self.title, self.publisher, self.year, self.url) if part)


class Suggestion(models.Model):
    """A member's suggestion to use a thread in a perspective: the editors' queue, like flags."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for an editor")
        USED = "used", _("used in a handelingsperspectief")
        DISMISSED = "dismissed", _("not used")

    thread = models.ForeignKey(
        "threads.Thread", on_delete=models.CASCADE, related_name="perspective_suggestions", verbose_name=_("thread")
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("suggested by")
    )
    note = models.TextField(_("why this thread"), max_length=1000, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    perspective = models.ForeignKey(
        Perspective,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestions",
        verbose_name=_("used in"),
    )
    created = models.DateTimeField(_("suggested"), default=timezone.now)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        ordering = ["created", "id"]
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        constraints = [models.UniqueConstraint(fields=["thread", "member"], name="suggestion_once_per_member")]
        indexes = [models.Index(fields=["status", "created"], name="suggestion_queue")]

    def __str__(self) -> str:
        return f"{self.thread_id} · {self.get_status_display()}"
