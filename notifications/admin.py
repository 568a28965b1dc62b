"""The outbox, the digest ledger and e-mail preferences in the programme team's admin.

Outgoing e-mail is read-only here: staff see what was sent, what waits and what
failed (with the error), and can queue failed e-mail again.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.email import outbox
from notifications.models import DigestLedger, EmailPreference, Notification, OutboxMessage, Watch


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the application, visible to staff, never edited or deleted by hand
    (a deleted ledger row would send a digest twice; a deleted outbox row would hide
    what was sent)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["created", "to", "kind", "subject", "status", "attempts", "next_attempt_at", "error"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject", "message_id", "last_error"]
    date_hierarchy = "created"
    list_select_related = False
    actions = ["retry_selected"]
    fields = [
        "status",
        "to",
        "from_email",
        "kind",
        "subject",
        "message_id",
        "key",
        "attempts",
        "next_attempt_at",
        "claimed_by",
        "locked_until",
        "last_error",
        "created",
        "sent_at",
        "headers",
        "text",
        "html",
    ]

    @admin.display(description=_("last error"))
    def error(self, obj: OutboxMessage) -> str:
        return Truncator(obj.last_error).chars(80)

    @admin.action(description=_("Send the selected e-mails again"))
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = outbox.retry(queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d e-mail queued again.", "%(count)d e-mails queued again.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(DigestLedger)
class DigestLedgerAdmin(ReadOnlyAdmin):
    list_display = ["period_start", "period_end", "frequency", "member", "status", "message"]
    list_filter = ["frequency", "status", "period_start"]
    search_fields = ["member__name", "member__email"]
    list_select_related = ["member", "message"]
    raw_id_fields = ["member", "message"]


@admin.register(EmailPreference)
class EmailPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["member", "digest", "updated"]
    list_filter = ["digest"]
    search_fields = ["member__name", "member__email"]
    list_select_related = ["member"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Notifications are written by the receivers; staff look, never edit or delete
    (each member's unread count is kept beside them, and was pushed to their bell)."""

    list_display = ["created", "recipient", "kind", "actor_name", "title", "read_at"]
    list_filter = ["kind", "created"]
    search_fields = ["recipient__name", "recipient__email", "actor_name", "title"]
    raw_id_fields = ["recipient", "actor", "thread", "post"]
    list_select_related = ["recipient"]


@admin.register(Watch)
class WatchAdmin(ReadOnlyAdmin):
    """Watch levels are each member's own choice, set on the site."""

    list_display = ["member", "level", "thread", "group", "theme", "updated"]
    list_filter = ["level"]
    search_fields = ["member__name", "member__email", "thread__title", "group__name", "theme__name"]
    raw_id_fields = ["member", "thread", "group", "theme"]
