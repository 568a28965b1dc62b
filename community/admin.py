"""The programme team's admin: every model, with search and filters.

The admin changes nothing that the site's actions would log, mail or push without
doing so (SPEC F7): a member's status, rights and roles, and who may read a group,
are read-only here and change through steps (community/adminsteps.py) that call
the same actions as the site.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserCreationForm
from django.contrib.auth.models import Group as AuthGroup
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from community import actions
from community.adminsteps import Step, StepsAdmin
from community.errors import DomainError
from community.forms import GroupChoiceForm, LiftSuspensionForm, ReadAccessForm, RejectForm, SuspendForm
from community.models import (
    Group,
    Member,
    Membership,
    ModerationLogEntry,
    Municipality,
    MunicipalityTypology,
    Region,
    Typology,
)

admin.site.unregister(AuthGroup)
# Second factors are not edited in the admin: a reset goes through the site's action
# (community.twofactor: logged, sessions ended, the member told), from the member's profile.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


class ReadOnlyInline(admin.TabularInline):
    """Rows that change through actions only: shown, never edited here."""

    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class MembershipInline(ReadOnlyInline):
    """Memberships and roles change through the steps (make moderator, remove from a group)."""

    model = Membership


class MemberCreationForm(UserCreationForm):
    class Meta:
        model = Member
        fields = ("email", "name", "handle")


def _can_take_part(member: Member) -> bool:
    return not member.is_former_member and member.status in (Member.Status.ACTIVE, Member.Status.SUSPENDED)


def _lift(actor: Member, member: Member, data: dict[str, Any]) -> object:
    return actions.lift_suspension(actor=actor, member=member, reason=data["reason"])


MEMBER_STEPS = (
    Step(
        name="approve_selected",
        label=_("Approve the selected sign-ups"),
        title=_("Approve the sign-up"),
        run=lambda actor, member, data: actions.approve_member(actor=actor, member=member),
        done=ngettext_lazy("%(count)d sign-up approved.", "%(count)d sign-ups approved.", "count"),
        explanation=_("The member joins Het Plein and the groups of their municipality, and is told by e-mail."),
        offered=lambda member: member.status == Member.Status.PENDING,
    ),
    Step(
        name="reject_selected",
        label=_("Reject the selected sign-ups"),
        title=_("Reject the sign-up"),
        run=lambda actor, member, data: actions.reject_member(actor=actor, member=member, reason=data["reason"]),
        done=ngettext_lazy("%(count)d sign-up rejected.", "%(count)d sign-ups rejected.", "count"),
        form=RejectForm,
        explanation=_("The applicant can no longer log in and receives your reason by e-mail."),
        offered=lambda member: member.status == Member.Status.PENDING,
    ),
    Step(
        name="suspend_selected",
        label=_("Suspend the selected members"),
        title=_("Suspend"),
        run=lambda actor, member, data: actions.suspend_member(
            actor=actor, member=member, until=data["until"], reason=data["reason"]
        ),
        done=ngettext_lazy("%(count)d member suspended.", "%(count)d members suspended.", "count"),
        form=SuspendForm,
        explanation=_("Until then the member only sees their own account pages. They are told why by e-mail."),
        offered=lambda member: _can_take_part(member) and not member.is_staff,
    ),
    Step(
        name="lift_suspension_selected",
        label=_("Lift the suspension of the selected members"),
        title=_("Lift the suspension"),
        run=_lift,
        done=ngettext_lazy("%(count)d suspension lifted.", "%(count)d suspensions lifted.", "count"),
        form=LiftSuspensionForm,
        offered=lambda member: member.status == Member.Status.SUSPENDED,
    ),
    Step(
        name="make_moderator_selected",
        label=_("Make the selected members moderator of a group"),
        title=_("Make moderator of a group"),
        run=lambda actor, member, data: actions.make_moderator(actor=actor, member=member, group=data["group"]),
        done=ngettext_lazy("%(count)d member is now moderator.", "%(count)d members are now moderator.", "count"),
        form=GroupChoiceForm,
        explanation=_("A moderator of a regional group is an ambassador of its province."),
        offered=_can_take_part,
    ),
    Step(
        name="remove_moderator_selected",
        label=_("Take away the moderator role of the selected members in a group"),
        title=_("Take away a moderator role"),
        run=lambda actor, member, data: actions.remove_moderator(actor=actor, member=member, group=data["group"]),
        done=ngettext_lazy(
            "%(count)d member no longer moderates the group.",
            "%(count)d members no longer moderate the group.",
            "count",
        ),
        form=GroupChoiceForm,
        explanation=_("The member stays a member of the group."),
        offered=lambda member: not member.is_former_member,
    ),
    Step(
        name="remove_from_group_selected",
        label=_("Remove the selected members from a group"),
        title=_("Remove from a group"),
        run=lambda actor, member, data: actions.remove_from_group(actor=actor, member=member, group=data["group"]),
        done=ngettext_lazy(
            "%(count)d member removed from the group.", "%(count)d members removed from the group.", "count"
        ),
        form=GroupChoiceForm,
        offered=lambda member: not member.is_former_member,
    ),
    Step(
        name="grant_staff_selected",
        label=_("Add the selected members to the programme team"),
        title=_("Add to the programme team"),
        run=lambda actor, member, data: actions.grant_staff(actor=actor, member=member),
        done=ngettext_lazy(
            "%(count)d member added to the programme team.", "%(count)d members added to the programme team.", "count"
        ),
        confirm=True,
        explanation=_("The programme team moderates everything and uses this admin."),
        offered=lambda member: member.status == Member.Status.ACTIVE and not member.is_staff,
    ),
    Step(
        name="revoke_staff_selected",
        label=_("Remove the selected members from the programme team"),
        title=_("Remove from the programme team"),
        run=lambda actor, member, data: actions.revoke_staff(actor=actor, member=member),
        done=ngettext_lazy(
            "%(count)d member removed from the programme team.",
            "%(count)d members removed from the programme team.",
            "count",
        ),
        confirm=True,
        offered=lambda member: member.is_staff or member.is_superuser,
    ),
    Step(
        name="delete_account_selected",
        label=_("Delete the accounts of the selected members"),
        title=_("Delete the account"),
        run=lambda actor, member, data: actions.delete_account(actor=actor, member=member),
        done=ngettext_lazy("%(count)d account deleted.", "%(count)d accounts deleted.", "count"),
        confirm=True,
        explanation=_(
            "Name, e-mail address, handle, profile and memberships are erased for good; posts remain, shown as from a former member."
        ),
        submit=_("Delete for good"),
        offered=lambda member: not member.is_former_member,
    ),
)


class MemberPasswordForm(AdminPasswordChangeForm):
    """Staff setting a member's password: through the action, which ends the member's
    sessions and closes their open pages' sockets."""

    def save(self, commit: bool = True) -> Member:
        usable = self.cleaned_data.get("set_usable_password", True)
        return actions.change_password(member=self.user, password=self.cleaned_data["password1"] if usable else None)


@admin.register(Member)
class MemberAdmin(StepsAdmin, UserAdmin):
    """Profiles are edited here; status, rights and roles change only through the steps,
    which call the same actions as the site (log, e-mail, signals)."""

    change_password_form = MemberPasswordForm
    add_form = MemberCreationForm
    ordering = ["name"]
    list_display = ["name", "handle", "email", "municipality", "position", "status", "is_staff", "date_joined"]
    list_filter = ["status", "position", "is_staff", "language", "municipality__region"]
    search_fields = ["name", "handle", "email", "municipality__name"]
    autocomplete_fields = ["municipality"]
    #: Changed by actions only (SPEC F7).
    protected_fields = [
        "status",
        "status_reason",
        "suspended_until",
        "email_verified_at",
        "approved_at",
        "approved_by",
        "deleted_at",
        "is_active",
        "is_staff",
        "is_superuser",
        "user_permissions",
    ]
    readonly_fields = ["date_joined", "last_login", *protected_fields]
    inlines = [MembershipInline]
    steps = MEMBER_STEPS
    steps_heading = _("Change status, rights or roles")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("name", "handle", "position", "municipality", "bio", "language")}),
        (
            _("Status"),
            {
                "fields": (
                    "status",
                    "status_reason",
                    "suspended_until",
                    "email_verified_at",
                    "approved_at",
                    "approved_by",
                    "deleted_at",
                )
            },
        ),
        (_("Rights"), {"fields": ("is_active", "is_staff", "is_superuser", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "name", "handle", "password1", "password2")}),)

    def get_readonly_fields(self, request: HttpRequest, obj: Member | None = None) -> list[str]:
        if obj is None:
            return []
        if obj.is_former_member:
            # A deleted account stays anonymous.
            return [name for _title, options in self.fieldsets for name in options["fields"] if name != "password"]
        return list(self.readonly_fields)

    def get_inlines(self, request: HttpRequest, obj: Member | None) -> list[Any]:
        # A new account has no memberships yet: approval brings them.
        return list(self.inlines) if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        """Accounts are deleted with the GDPR action (a step), never removed from the table."""
        return False


class MunicipalityTypologyInline(admin.TabularInline):
    model = MunicipalityTypology
    extra = 0
    autocomplete_fields = ["typology"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "region", "population"]
    list_filter = ["region", "typologies"]
    search_fields = ["name", "code"]
    inlines = [MunicipalityTypologyInline]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "cbs_code"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "cbs_code"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Typology)
class TypologyAdmin(admin.ModelAdmin):
    list_display = ["name_nl", "name_en", "slug"]
    search_fields = ["name_nl", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_nl"]}


def _set_read_access(actor: Member, group: Group, data: dict[str, Any]) -> object:
    return actions.set_group_read_access(actor=actor, group=group, read_access=data["read_access"])


@admin.register(Group)
class GroupAdmin(StepsAdmin):
    """Who may read a group changes through a step; a group with threads cannot be deleted."""

    list_display = ["name", "slug", "kind", "region", "typology", "read_access", "member_count"]
    list_filter = ["kind", "read_access"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    steps_heading = _("Who may read")
    steps = (
        Step(
            name="set_read_access_selected",
            label=_("Change who may read the selected groups"),
            title=_("Change who may read"),
            run=_set_read_access,
            done=ngettext_lazy("%(count)d group changed.", "%(count)d groups changed.", "count"),
            form=ReadAccessForm,
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Group | None = None) -> list[str]:
        if obj is None:
            return ["member_count"]
        # Who may read and who moderates (a regional group's moderators are its province's
        # ambassadors) follow from these: they change through steps, or not at all.
        return ["kind", "region", "typology", "read_access", "member_count", "created"]

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, Any, set[str], Any]:
        """The memberships and watch levels that go with a group are read-only in the admin,
        yet deleted with it: by the action, which tells their members. Protected rows (threads)
        still refuse the deletion."""
        deleted_objects, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted_objects, model_count, set(), protected

    def save_model(self, request: HttpRequest, obj: Group, form: Any, change: bool) -> None:
        actions.save_group(actor=request.user, group=obj)

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        try:
            actions.delete_group(actor=request.user, group=obj)
        except DomainError as error:
            raise PermissionDenied(error.message) from error

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        for group in queryset:
            try:
                actions.delete_group(actor=request.user, group=group)
            except DomainError as error:
                self.message_user(request, f"{group}: {error.message}", messages.WARNING)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Read-only: memberships and roles change through the member's steps."""

    list_display = ["member", "group", "role", "created"]
    list_filter = ["role", "group__kind", "group"]
    search_fields = ["member__name", "member__handle", "group__name"]
    list_select_related = ["member", "group"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ModerationLogEntry)
class ModerationLogEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is written by actions and never edited."""

    list_display = ["created", "actor", "action", "target_member", "target_label", "group", "reason"]
    list_filter = ["action", "target_type", "created"]
    search_fields = ["actor__name", "target_member__name", "target_label", "reason"]
    list_select_related = ["actor", "target_member", "group"]
    date_hierarchy = "created"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
