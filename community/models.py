"""Members, the places they come from, and the groups they meet in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from community.managers import MemberManager
from community.querysets import GroupQuerySet, ModerationLogQuerySet, MunicipalityQuerySet

if TYPE_CHECKING:
    from community.permissions import Roles

HANDLE_PATTERN = r"^[a-z0-9](?:[a-z0-9_]{1,28}[a-z0-9])?$"
handle_validator = RegexValidator(
    HANDLE_PATTERN,
    _("Use 3 to 30 lowercase letters, digits or underscores; start and end with a letter or digit."),
)


class Region(models.Model):
    class Kind(models.TextChoices):
        PROVINCE = "province", _("province")
        OTHER = "other", _("other region")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PROVINCE)
    cbs_code = models.CharField(_("CBS code"), max_length=10, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class Typology(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name_nl = models.CharField(_("name (Dutch)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name_nl"]
        verbose_name = _("typology")
        verbose_name_plural = _("typologies")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language."""
        return self.name_en if (get_language() or "nl").startswith("en") else self.name_nl


class Municipality(models.Model):
    code = models.CharField(
        _("CBS code"),
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^GM\d{4}$", _("A CBS municipality code looks like GM0518."))],
    )
    name = models.CharField(_("name"), max_length=120)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="municipalities", verbose_name=_("province")
    )
    population = models.PositiveIntegerField(_("population"))
    population_year = models.PositiveSmallIntegerField(_("population year"))
    typologies = models.ManyToManyField(
        Typology,
        through="MunicipalityTypology",
        related_name="municipalities",
        blank=True,
        verbose_name=_("typologies"),
    )
    email_domains = models.JSONField(
        _("e-mail domains"),
        default=list,
        blank=True,
        help_text=_(
            "Sign-ups with a verified address at one of these domains are approved automatically, e.g. denhaag.nl."
        ),
    )

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        indexes = [models.Index(fields=["region", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("municipality", args=[self.code])


class MunicipalityTypology(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE)
    typology = models.ForeignKey(Typology, on_delete=models.CASCADE)
    source_note = models.TextField(_("source"), blank=True)

    class Meta:
        verbose_name = _("typology of a municipality")
        verbose_name_plural = _("typologies of municipalities")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "typology"], name="municipality_typology_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} · {self.typology}"


class Member(AbstractBaseUser, PermissionsMixin):
    class Position(models.TextChoices):
        WETHOUDER = "wethouder", _("alderman (wethouder)")
        BURGEMEESTER = "burgemeester", _("mayor (burgemeester)")
        RAADSLID = "raadslid", _("council member (raadslid)")
        GEMEENTESECRETARIS = "gemeentesecretaris", _("municipal secretary (gemeentesecretaris)")
        BELEIDSMEDEWERKER = "beleidsmedewerker", _("policy officer (beleidsmedewerker)")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting approval")
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        REJECTED = "rejected", _("rejected")
        DEACTIVATED = "deactivated", _("deactivated")

    class Language(models.TextChoices):
        DUTCH = "nl", "Nederlands"
        ENGLISH = "en", "English"

    # Stored in lower case; the constraint below also refuses case variants.
    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    handle = models.CharField(_("handle"), max_length=30, validators=[handle_validator])
    name = models.CharField(_("name"), max_length=150)
    position = models.CharField(_("position"), max_length=30, choices=Position.choices, default=Position.OTHER)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="members",
        null=True,
        blank=True,
        verbose_name=_("municipality"),
    )
    bio = models.TextField(_("about me"), max_length=1000, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    status_reason = models.TextField(_("reason for the status"), blank=True)
    suspended_until = models.DateTimeField(_("suspended until"), null=True, blank=True)
    email_verified_at = models.DateTimeField(_("e-mail verified at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("approved by")
    )
    language = models.CharField(_("language"), max_length=5, choices=Language.choices, default=Language.DUTCH)
    is_staff = models.BooleanField(
        _("programme team"), default=False, help_text=_("Site-wide administrator and moderator; may use the admin.")
    )
    is_active = models.BooleanField(
        _("may log in"), default=True, help_text=_("Off for deactivated and rejected accounts.")
    )
    date_joined = models.DateTimeField(_("signed up"), default=timezone.now)
    # Kept by the notifications app, so that the bell in every page header costs no query.
    unread_notifications = models.PositiveIntegerField(_("unread notifications"), default=0)
    # Moves (MemberQuerySet.renew_cached_facts) whenever the member's group memberships or
    # watch levels change; facts about the member cached in process memory are keyed by it
    # (community.permissions.load_roles), so a request that loaded the row after a change
    # never sees the facts from before it.
    cache_version = models.PositiveIntegerField(_("cache version"), default=0, editable=False)
    # Set when the member deleted their account: the row stays (their posts point to it),
    # anonymised, so that posts show "voormalig lid".
    deleted_at = models.DateTimeField(_("account deleted"), null=True, blank=True)

    objects = MemberManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name", "handle"]

    class Meta:
        ordering = ["name"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="member_email_unique_ci"),
            models.UniqueConstraint(Lower("handle"), name="member_handle_unique_ci"),
            models.CheckConstraint(
                condition=~models.Q(status="suspended") | models.Q(suspended_until__isnull=False),
                name="member_suspension_has_end",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "name"]),
            models.Index(fields=["municipality", "status"]),
            models.Index(fields=["position", "status"]),
            # A large group's members by name: walked in order, each checked against the
            # membership index, instead of sorting every member of the group.
            models.Index(fields=["name", "id"], name="member_by_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (@{self.handle})"

    def get_absolute_url(self) -> str:
        return reverse("member", args=[self.handle])

    def has_perm(self, perm: str, obj: object = None) -> bool:
        """The programme team manages everything in the admin; nobody else uses it."""
        if self.is_active and self.is_staff and self.status == self.Status.ACTIVE:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if self.is_active and self.is_staff and self.status == self.Status.ACTIVE:
            return True
        return super().has_module_perms(app_label)

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name

    @property
    def is_suspended(self) -> bool:
        """Suspended and the suspension has not yet run out."""
        return (
            self.status == self.Status.SUSPENDED
            and self.suspended_until is not None
            and self.suspended_until > timezone.now()
        )

    @property
    def is_approved(self) -> bool:
        """Approved and not deactivated (active or suspended): listed, with a profile
        (``Member.objects.approved()``)."""
        return self.is_active and self.status in (self.Status.ACTIVE, self.Status.SUSPENDED)

    @property
    def is_participant(self) -> bool:
        """May see and take part in the forum now: approved, active, and not suspended
        (``Member.objects.participating()``)."""
        if not self.is_active:
            return False
        if self.status == self.Status.ACTIVE:
            return True
        return self.status == self.Status.SUSPENDED and not self.is_suspended

    @property
    def is_former_member(self) -> bool:
        """Deleted their account: shown as "voormalig lid", without a profile."""
        return self.deleted_at is not None

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    @cached_property
    def roles(self) -> Roles:
        """Memberships and moderator roles, loaded once per instance (so once per request)."""
        from community.permissions import load_roles

        return load_roles(self)


class Group(models.Model):
    class Kind(models.TextChoices):
        PLAZA = "plaza", _("plaza")
        REGION = "region", _("regional group")
        TYPOLOGY = "typology", _("typology group")
        THEME = "theme", _("theme group")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    region = models.OneToOneField(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="group", verbose_name=_("region")
    )
    typology = models.OneToOneField(
        Typology, on_delete=models.PROTECT, null=True, blank=True, related_name="group", verbose_name=_("typology")
    )

    class ReadAccess(models.TextChoices):
        EVERYONE = "everyone", _("all members of the platform")
        MEMBERS = "members", _("members of the group only")

    read_access = models.CharField(
        _("who may read"),
        max_length=20,
        choices=ReadAccess.choices,
        default=ReadAccess.EVERYONE,
        help_text=_("Only members of a group may post in it. Regional groups are readable by their members only."),
    )
    created = models.DateTimeField(_("created"), default=timezone.now)
    #: Its memberships, kept by ``community/receivers.py`` (the group page and the list of
    #: groups show it; counting Het Plein's every member on each view cost more than the rest).
    member_count = models.PositiveIntegerField(_("members"), default=0, editable=False)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="region") & models.Q(region__isnull=False))
                | (~models.Q(kind="region") & models.Q(region__isnull=True)),
                name="group_region_iff_regional",
            ),
            models.CheckConstraint(
                condition=(models.Q(kind="typology") & models.Q(typology__isnull=False))
                | (~models.Q(kind="typology") & models.Q(typology__isnull=True)),
                name="group_typology_iff_typology_group",
            ),
            models.UniqueConstraint(fields=["kind"], condition=models.Q(kind="plaza"), name="group_single_plaza"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("group", args=[self.slug])

    @property
    def is_open(self) -> bool:
        """Members may join and leave theme and typology groups themselves."""
        return self.kind in (self.Kind.THEME, self.Kind.TYPOLOGY)


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("member")
        MODERATOR = "moderator", _("moderator")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("member"))
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("group"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    created = models.DateTimeField(_("joined"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["member", "group"], name="membership_unique")]
        indexes = [models.Index(fields=["group", "role"])]

    def __str__(self) -> str:
        return f"{self.member} · {self.group} ({self.get_role_display()})"


class ModerationLogEntry(models.Model):
    """Who did what to whom, why and when. Written by actions, never edited.

    ``target_member`` is the member the action affected (the applicant, the
    suspended member, the author of a hidden post); ``target_type``/``target_id``
    name the object itself, and ``target_label`` says what it was at the time
    (a thread's title, a member's name), so the log stays readable when the
    object changes or disappears. ``group`` is the group whose moderators share
    this entry: the thread's group, or the regional group of the member's
    province for decisions about members. Entries without a group are for staff.
    """

    class Action(models.TextChoices):
        APPROVE_MEMBER = "approve_member", _("approved a sign-up")
        REJECT_MEMBER = "reject_member", _("rejected a sign-up")
        AUTO_APPROVE_MEMBER = "auto_approve_member", _("sign-up approved by e-mail domain")
        PIN_THREAD = "pin_thread", _("pinned a thread")
        UNPIN_THREAD = "unpin_thread", _("unpinned a thread")
        LOCK_THREAD = "lock_thread", _("closed a thread")
        UNLOCK_THREAD = "unlock_thread", _("reopened a thread")
        HIDE_THREAD = "hide_thread", _("hid a thread")
        UNHIDE_THREAD = "unhide_thread", _("restored a hidden thread")
        MOVE_THREAD = "move_thread", _("moved a thread")
        HIDE_POST = "hide_post", _("hid a post")
        UNHIDE_POST = "unhide_post", _("restored a hidden post")
        AUTO_HIDE_POST = "auto_hide_post", _("post hidden after flags from three members")
        EDIT_POST = "edit_post", _("edited a post")
        REMOVE_POST = "remove_post", _("removed a post")
        UPHOLD_FLAGS = "uphold_flags", _("agreed with the flags on a post")
        DISMISS_FLAGS = "dismiss_flags", _("disagreed with the flags on a post")
        SUSPEND_MEMBER = "suspend_member", _("suspended a member")
        LIFT_SUSPENSION = "lift_suspension", _("lifted a suspension")
        DELETE_ACCOUNT = "delete_account", _("account deleted by the member")
        DELETE_MEMBER = "delete_member", _("deleted a member's account")
        MAKE_MODERATOR = "make_moderator", _("made a member moderator of a group")
        REMOVE_MODERATOR = "remove_moderator", _("took away a member's moderator role")
        REMOVE_FROM_GROUP = "remove_from_group", _("removed a member from a group")
        GRANT_STAFF = "grant_staff", _("added a member to the programme team")
        REVOKE_STAFF = "revoke_staff", _("removed a member from the programme team")
        OPEN_GROUP = "open_group", _("opened a group to every member")
        CLOSE_GROUP = "close_group", _("made a group readable by its members only")
        CREATE_GROUP = "create_group", _("created a group")
        DELETE_GROUP = "delete_group", _("deleted a group")
        RESET_SECOND_FACTOR = "reset_second_factor", _("reset a member's two-step verification")
        # Meetings (community.meetings): questions asked for a meeting.
        HIDE_QUESTION = "hide_question", _("hid a question for a meeting")
        UNHIDE_QUESTION = "unhide_question", _("restored a hidden question for a meeting")

    class TargetType(models.TextChoices):
        MEMBER = "member", _("member")
        THREAD = "thread", _("thread")
        POST = "post", _("post")
        GROUP = "group", _("group")
        QUESTION = "question", _("question for a meeting")

    actor = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("moderator")
    )
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    target_member = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("member")
    )
    target_type = models.CharField(_("kind of object"), max_length=20, choices=TargetType.choices, blank=True)
    target_id = models.PositiveBigIntegerField(_("object id"), null=True, blank=True)
    target_label = models.CharField(_("object"), max_length=300, blank=True)
    group = models.ForeignKey(
        Group, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("group")
    )
    reason = models.TextField(_("reason"), blank=True)
    created = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    objects = ModerationLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("moderation log entry")
        verbose_name_plural = _("moderation log")
        indexes = [
            models.Index("group", models.F("created").desc(), name="modlog_by_group"),
            models.Index("target_member", models.F("created").desc(), name="modlog_by_member"),
            models.Index("actor", models.F("created").desc(), name="modlog_by_actor"),
            models.Index("target_type", "target_id", name="modlog_by_target"),
        ]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.get_action_display()}"


class Session(AbstractBaseSession):
    """A stored session (community/sessions.py), with the member logged in on it.

    The member is filled from the session's data whenever it is saved, so that a member's
    sessions are found through the index (``community.actions.end_sessions``) instead of
    by decoding every session there is.
    """

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("member")
    )

    @classmethod
    def get_session_store_class(cls):
        from community.sessions import SessionStore

        return SessionStore
