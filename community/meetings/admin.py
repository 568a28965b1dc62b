"""Meetings in the admin: for looking, not for changing.

Registrations move the waiting list and tell members, questions are moderated with a
logged reason, invitations send mail: those steps are the site's actions, on the meeting's
pages (SPEC F7: the admin changes nothing the actions would log, mail or push). Here staff
find and read meetings, their registrations and questions.
"""

from __future__ import annotations

from django.contrib import admin

from community.meetings.models import Meeting, Question, Registration


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RegistrationInline(admin.TabularInline):
    model = Registration
    fields = ("member", "status", "requested_at", "registered_at", "cancelled_at", "attended")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = (
        "title",
        "kind",
        "starts_at",
        "registered_count",
        "waiting_count",
        "capacity",
        "report_published_at",
    )
    list_filter = ("kind",)
    search_fields = ("title", "description", "location_name")
    date_hierarchy = "starts_at"
    inlines = [RegistrationInline]
    view_on_site = True


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    list_display = ("text", "meeting", "author", "anonymous", "status", "vote_count", "hidden")
    list_filter = ("status", "hidden", "anonymous")
    search_fields = ("text",)
    list_select_related = ("meeting", "author")
