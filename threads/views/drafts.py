"""The composer's helpers: drafts kept on the server while a member types, and the preview,
rendered by the same code as a post (``threads.actions.render_body``). Called by
``static/js/compose.js``; throwing a draft away also works from the member's page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from community.errors import DomainError
from community.models import Group
from community.permissions import is_participant
from threads import actions, permissions
from threads.models import Draft, Thread


def _place(request: HttpRequest, data) -> tuple[Thread | None, Group | None]:
    """The thread (``thread=<id>``) or group (``group=<slug>``) the draft is for, if the member
    may write there: a reply to a thread they may reply to, a thread in a group they may start
    one in. Otherwise 404 or 403, as the forms themselves."""
    member = request.user
    thread_id = data.get("thread", "")
    if thread_id.isdigit():
        thread = permissions.access_thread(member, int(thread_id))
        permissions.check_reply(member, thread)
        return thread, None
    group = permissions.access_group(member, data.get("group", ""))
    permissions.check_start_thread(member, group)
    return None, group


@require_http_methods(["GET", "HEAD", "POST"])
def draft(request: HttpRequest) -> JsonResponse:
    """GET: the member's draft here (``{"draft": null}`` when there is none); POST: keep
    ``body`` (and ``title`` for a new thread) as the draft, or throw it away when blank."""
    member = request.user
    data = request.POST if request.method == "POST" else request.GET
    thread, group = _place(request, data)
    if request.method != "POST":
        found = Draft.objects.filter(member=member, thread=thread, group=group).first()
        if found is None:
            return JsonResponse({"draft": None})
        return JsonResponse({"draft": {"body": found.body, "title": found.title, "updated": found.updated.isoformat()}})
    try:
        saved = actions.save_draft(
            member=member, thread=thread, group=group, body=data.get("body", ""), title=data.get("title", "")
        )
    except DomainError as error:
        return JsonResponse({"error": str(error.message)}, status=400)
    return JsonResponse({"saved": saved is not None, "updated": saved.updated.isoformat() if saved else None})


@require_POST
def discard_draft(request: HttpRequest) -> HttpResponse:
    """The "throw away" button of a draft on the member's own page."""
    thread, group = _place(request, request.POST)
    actions.discard_draft(member=request.user, thread=thread, group=group)
    messages.success(request, _("The draft has been thrown away."))
    return redirect("member", request.user.handle)


@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """``body`` as the post would show it: the same Markdown, the same mentions and quotes,
    the same sanitising. Nothing is saved."""
    permissions.check(is_participant(request.user), permissions.NOT_TAKING_PART)
    body = request.POST.get("body", "")
    if not body.strip():
        return HttpResponse("", content_type="text/html; charset=utf-8")
    rendered = actions.render_body(author=request.user, body=body[: actions.MAX_BODY_LENGTH])
    return HttpResponse(rendered.html, content_type="text/html; charset=utf-8")
