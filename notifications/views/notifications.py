"""The notification list, catch-up for reconnecting clients, and watch levels."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from community.models import Group
from notifications import actions
from notifications.models import Notification, Watch
from notifications.texts import describe, target_url
from threads import permissions as thread_permissions
from threads.models import Theme

PER_PAGE = 30
CATCH_UP_LIMIT = 50


@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    """Unread first, then read; each group newest first, paged by position."""
    member = request.user
    raw = request.GET.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise Http404
    page = int(raw)
    start = (page - 1) * PER_PAGE
    rows = list(_ordered(member)[start : start + PER_PAGE + 1])
    for row in rows:
        row.text = describe(row)
        row.url = target_url(row)
    return render(
        request,
        "notifications/list.html",
        {"notifications": rows[:PER_PAGE], "page": page, "has_next": len(rows) > PER_PAGE},
    )


def _ordered(member):
    from django.db.models import BooleanField, Case, Value, When

    return (
        Notification.objects.filter(recipient=member)
        .annotate(
            unread_first=Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=BooleanField())
        )
        .order_by("unread_first", "-id")
    )


@require_POST
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go to what it is about."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    actions.mark_notification_read(member=request.user, notification=notification)
    return HttpResponseRedirect(target_url(notification))


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = actions.mark_all_read(member=request.user)
    messages.success(request, _("All notifications are marked as read (%(count)d).") % {"count": count})
    return redirect("notifications")


@require_safe
def since(request: HttpRequest, last_id: int) -> JsonResponse:
    """What a reconnecting client missed: notifications after ``last_id``, oldest first."""
    member = request.user
    rows = list(Notification.objects.filter(recipient=member, pk__gt=last_id).order_by("id")[:CATCH_UP_LIMIT])
    return JsonResponse(
        {
            "notifications": [
                {
                    "type": "notification.created",
                    "id": row.pk,
                    "kind": row.kind,
                    "text": describe(row),
                    "url": target_url(row),
                    "read": row.read_at is not None,
                }
                for row in rows
            ],
            "unread": member.unread_notifications,
            "more": len(rows) == CATCH_UP_LIMIT,
        }
    )


@require_POST
def set_watch(request: HttpRequest, target: str, pk: int) -> HttpResponse:
    """Choose how closely to follow a thread, a group or a theme."""
    member = request.user
    try:
        level = Watch.Level(int(request.POST.get("level", "")))
    except ValueError:
        raise Http404 from None
    if target == "thread":
        thread = thread_permissions.access_thread(member, pk)
        actions.set_watch_level(member=member, level=level, thread=thread)
        fallback = thread.get_absolute_url() + "?page=1"
    elif target == "group":
        group = get_object_or_404(Group, pk=pk)
        if not thread_permissions.can_read_group(member, group):
            raise Http404
        actions.set_watch_level(member=member, level=level, group=group)
        fallback = group.get_absolute_url()
    elif target == "theme":
        theme = get_object_or_404(Theme, pk=pk)
        actions.set_watch_level(member=member, level=level, theme=theme)
        fallback = theme.get_absolute_url()
    else:
        raise Http404
    messages.success(request, _("Notifications: %(level)s.") % {"level": level.label})
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = fallback
    return HttpResponseRedirect(next_url)
