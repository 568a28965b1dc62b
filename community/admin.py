"""The programme team's admin: every model, with search and filters.

Sign-up decisions from the admin go through the same actions as the queue page.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import Group as AuthGroup
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from community import actions
from community.errors import DomainError
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


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["group", "member"]


class MemberCreationForm(UserCreationForm):
    class Meta:
        model = Member
        fields = ("email", "name", "handle")


@admin.register(Member)
class MemberAdmin(UserAdmin):
    add_form = MemberCreationForm
    ordering = ["name"]
    list_display = ["name", "handle", "email", "municipality", "position", "status", "is_staff", "date_joined"]
    list_filter = ["status", "position", "is_staff", "language", "municipality__region"]
    search_fields = ["name", "handle", "email", "municipality__name"]
    autocomplete_fields = ["municipality"]
    readonly_fields = ["date_joined", "last_login", "email_verified_at", "approved_at", "approved_by"]
    inlines = [MembershipInline]
    actions = ["approve_selected"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("name", "handle", "position", "municipality", "bio", "language")}),
        (_("Status"), {"fields": ("status", "status_reason", "suspended_until", "email_verified_at", "approved_at", "approved_by")}),
        (_("Rights"), {"fields": ("is_active", "is_staff", "is_superuser", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "name", "handle", "password1", "password2")}),)
    filter_horizontal = ["user_permissions"]

    @admin.action(description=_("Approve the selected sign-ups"))
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Member]) -> None:
        approved = 0
        for member in queryset.filter(status=Member.Status.PENDING):
            try:
                actions.approve_member(actor=request.user, member=member)
            except DomainError as error:
                self.message_user(request, f"{member}: {error.message}", messages.WARNING)
            else:
                approved += 1
        self.message_user(request, _("%(count)d sign-ups approved.") % {"count": approved}, messages.SUCCESS)


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


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "region", "typology"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["member", "group", "role", "created"]
    list_filter = ["role", "group__kind", "group"]
    search_fields = ["member__name", "member__handle", "group__name"]
    autocomplete_fields = ["member", "group"]


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
