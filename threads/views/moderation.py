"""Moderation: the /moderation/ queues and log, and what moderators do to threads
and posts. Thin, like every view: access (404), check (403), one action, respond.

The page lives here, not in community, because it shows threads data and
community must not depend on threads. Who may do what is in
community.permissions.MODERATION, through threads.permissions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from community import permissions as community_permissions
from community import throttle
from community.errors import DomainError
from community.forms import RejectForm
from community.models import Group, Member, ModerationLogEntry
from threads import actions, permissions
from threads.forms import FlagForm, LogFilterForm, MoveThreadForm, ReasonForm, ReviewFlagsForm
from threads.models import Flag, Post, Thread
from threads.querysets import moderated_group_ids, queue_counts
from threads.views.listing import page_number
from threads.views.posts import limit_message
from threads.views.thread import page_of, thread_url

QUEUE_SIZE = 50
LOG_PER_PAGE = 50
QUEUES = ("signups", "flags", "hidden", "suspended")


# --- The queues ------------------------------------------------------------------


@require_safe
def moderation(request: HttpRequest) -> HttpResponse:
    """The queues of the moderator's scope, with counts that update live (static/js/live.js).

    One queue is shown at a time (``?queue=``); the counts of all come from
    ``queue_counts``, four queries however many rows.
    """
    member = request.user
    if not community_permissions.can_moderate(member):
        return render(request, "community/moderation_none.html", status=403)
    reviews_signups = community_permissions.can_review_signups(member)
    queues = [q for q in QUEUES if reviews_signups or q not in ("signups", "suspended")]
    queue = request.GET.get("queue") or queues[0]
    if queue not in queues:
        raise Http404
    scope = moderated_group_ids(member)
    counts = queue_counts(scope)
    totals = {kind: sum(c[kind] for c in counts.values()) for kind in ("flags", "hidden", "signups")}
    context = {
        "queue": queue,
        "queues": queues,
        "totals": totals,
        # Per group, for the live counts: the browser adds up what the socket sends.
        "group_counts": {str(group_id): c for group_id, c in counts.items() if group_id is not None},
        "other_counts": counts.get(None, {"flags": 0, "hidden": 0, "signups": 0}),
        "queue_size": QUEUE_SIZE,
    }
    if queue == "signups":
        context["applicants"] = list(
            Member.objects.pending_review()
            .in_scope_of(member)
            .with_card_data()
            .order_by("email_verified_at", "pk")[:QUEUE_SIZE]
        )
        context["reject_form"] = RejectForm()
    elif queue == "flags":
        posts = list(Post.objects.flagged().moderated_by(member).with_queue_data()[:QUEUE_SIZE])
        by_post: dict[int, list[Flag]] = {}
        for flag in Flag.objects.filter(post_id__in=[p.pk for p in posts], status=Flag.Status.OPEN).select_related(
            "member"
        ):
            by_post.setdefault(flag.post_id, []).append(flag)
        for post in posts:
            post.open_flag_list = by_post.get(post.pk, [])
            post.review_form = ReviewFlagsForm(prefix=f"review-{post.pk}")
            post.can_suspend_author = post.author is not None and community_permissions.can_suspend_member(
                member, post.author
            )
        context["flagged_posts"] = posts
    elif queue == "hidden":
        context["hidden_posts"] = list(
            Post.objects.hidden_for_review().moderated_by(member).with_queue_data().order_by("-pk")[:QUEUE_SIZE]
        )
        context["hidden_threads"] = list(
            Thread.objects.filter(hidden=True)
            .moderated_by(member)
            .select_related("group", "author")
            .order_by("-last_activity_at", "-pk")[:QUEUE_SIZE]
        )
    else:
        context["suspended"] = list(
            Member.objects.suspended_now()
            .in_scope_of(member)
            .with_card_data()
            .order_by("suspended_until", "pk")[:QUEUE_SIZE]
        )
    return render(request, "threads/moderation.html", context)


# --- The log ---------------------------------------------------------------------


@require_safe
def moderation_log(request: HttpRequest) -> HttpResponse:
    """Who did what to whom, why and when: for staff all of it, for moderators their groups'.
    Read only: nothing on this page changes the log."""
    member = request.user
    if not community_permissions.can_moderate(member):
        return render(request, "community/moderation_none.html", status=403)
    form = LogFilterForm(request.GET or None)
    entries = ModerationLogEntry.objects.visible_to(member).with_list_data().order_by("-created", "-id")
    if form.is_valid():
        data = form.cleaned_data
        if data["moderator"]:
            entries = entries.filter(_person_q("actor", data["moderator"]))
        if data["member"]:
            entries = entries.filter(_person_q("target_member", data["member"]))
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["since"]:
            entries = entries.filter(created__gte=timezone.make_aware(datetime.combine(data["since"], time.min)))
        if data["until"]:
            entries = entries.filter(created__lt=timezone.make_aware(datetime.combine(data["until"], time.max)))
    number = page_number(request)
    start = (number - 1) * LOG_PER_PAGE
    rows = list(entries[start : start + LOG_PER_PAGE + 1])
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "threads/moderation_log.html",
        {
            "form": form,
            "entries": rows[:LOG_PER_PAGE],
            "page": number,
            "has_next": len(rows) > LOG_PER_PAGE,
            "query": query.urlencode(),
        },
    )


def _person_q(field: str, text: str) -> Q:
    text = text.strip().lstrip("@")
    return Q(**{f"{field}__handle__iexact": text}) | Q(**{f"{field}__name__icontains": text})


# --- Threads ---------------------------------------------------------------------


def _back_to(thread: Thread) -> HttpResponseRedirect:
    return HttpResponseRedirect(thread_url(thread))


def _thread_step(
    request: HttpRequest,
    pk: int,
    *,
    check: Callable[[Member, Thread], None],
    act: Callable[..., Thread],
    done: str,
    with_reason: bool = False,
    title: str = "",
    explanation: str = "",
    submit: str = "",
    danger: bool = False,
) -> HttpResponse:
    """One moderation step on a thread: POST only, or a form with a reason (GET shows it)."""
    member = request.user
    thread = permissions.access_thread(member, pk)
    check(member, thread)
    if not with_reason:
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        act(actor=member, thread=thread)
        messages.success(request, done)
        return _back_to(thread)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            act(actor=member, thread=thread, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, done)
            return _back_to(thread)
    return render(
        request,
        "threads/moderate_form.html",
        {
            "form": form,
            "title": title,
            "explanation": explanation,
            "submit": submit,
            "danger": danger,
            "thread": thread,
            "cancel_url": thread_url(thread),
        },
    )


@require_POST
def pin_thread(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_step(
        request, pk, check=permissions.check_pin_thread, act=actions.pin_thread, done=_("The thread is pinned.")
    )


@require_POST
def unpin_thread(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_step(
        request,
        pk,
        check=permissions.check_pin_thread,
        act=actions.unpin_thread,
        done=_("The thread is no longer pinned."),
    )


def lock_thread(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_step(
        request,
        pk,
        check=permissions.check_lock_thread,
        act=actions.lock_thread,
        done=_("The thread is closed; the author has been told why."),
        with_reason=True,
        title=_("Close this thread"),
        explanation=_(
            "A closed thread takes no new replies, except from its moderators. The author is told the reason."
        ),
        submit=_("Close the thread"),
    )


@require_POST
def unlock_thread(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_step(
        request, pk, check=permissions.check_lock_thread, act=actions.unlock_thread, done=_("The thread is open again.")
    )


def hide_thread(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_step(
        request,
        pk,
        check=permissions.check_hide_thread,
        act=actions.hide_thread,
        done=_("The thread is hidden; the author has been told why."),
        with_reason=True,
        title=_("Hide this thread"),
        explanation=_(
            "Only the moderators of the group and the programme team still see a hidden thread. The author is told the reason."
        ),
        submit=_("Hide the thread"),
        danger=True,
    )


@require_POST
def unhide_thread(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_step(
        request,
        pk,
        check=permissions.check_hide_thread,
        act=actions.unhide_thread,
        done=_("The thread is visible again."),
    )


def move_thread(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    thread = permissions.access_thread(member, pk)
    permissions.check_move_thread(member, thread)
    scope = permissions.move_target_ids(member)
    groups = Group.objects.exclude(pk=thread.group_id).order_by("kind", "name")
    if scope is not None:
        groups = groups.filter(pk__in=scope)
    form = MoveThreadForm(request.POST or None, groups=groups)
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["group"]
        permissions.check_move_thread(member, thread, target)
        try:
            actions.move_thread(actor=member, thread=thread, group=target, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The thread has moved to %(group)s.") % {"group": target.name})
            return _back_to(thread)
    return render(
        request,
        "threads/moderate_form.html",
        {
            "form": form,
            "thread": thread,
            "title": _("Move this thread"),
            "explanation": _("Its address, posts and notifications stay the same. The author is told where it went."),
            "submit": _("Move the thread"),
            "cancel_url": thread_url(thread),
        },
    )


# --- Posts -----------------------------------------------------------------------


def _back_to_post(post: Post) -> HttpResponseRedirect:
    return HttpResponseRedirect(thread_url(post.thread, page_of(post.number), post.number))


def hide_post(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    post = permissions.access_post(member, pk)
    permissions.check_hide_post(member, post)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.hide_post(actor=member, post=post, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The post is hidden; the author has been told why."))
            return _back_to_post(post)
    return render(
        request,
        "threads/moderate_form.html",
        {
            "form": form,
            "post": post,
            "thread": post.thread,
            "title": _("Hide this post"),
            "explanation": _(
                "Members see “hidden by a moderator” instead; the author and the moderators still see the post, with your reason."
            ),
            "submit": _("Hide the post"),
            "danger": True,
            "cancel_url": thread_url(post.thread, page_of(post.number), post.number),
        },
    )


@require_POST
def unhide_post(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    post = permissions.access_post(member, pk)
    permissions.check_hide_post(member, post)
    actions.unhide_post(actor=member, post=post)
    messages.success(request, _("The post is visible again."))
    return _redirect_next(request, _back_to_post(post))


def _redirect_next(request: HttpRequest, fallback: HttpResponseRedirect) -> HttpResponseRedirect:
    """Back to the moderation page when the step was taken there."""
    if request.POST.get("next") in {"moderation-hidden", "moderation-flags"}:
        return HttpResponseRedirect(reverse("moderation") + "?queue=" + request.POST["next"].split("-", 1)[1])
    return fallback


# --- Flags -----------------------------------------------------------------------


def flag_post(request: HttpRequest, pk: int) -> HttpResponse:
    """A member flags a post for the moderators: what is wrong, and why."""
    member = request.user
    post = permissions.access_post(member, pk)
    permissions.check_flag_post(member, post)
    already = Flag.objects.filter(post=post, member_id=member.pk).exists()
    form = FlagForm(request.POST or None)
    status = 200
    if request.method == "POST" and not already and form.is_valid():
        limit = throttle.limit_for(member, "flag")
        if not throttle.attempt(limit, member):
            form.add_error(None, limit_message(limit))
            status = 429
        else:
            try:
                actions.flag_post(
                    member=member, post=post, reason=form.cleaned_data["reason"], text=form.cleaned_data["text"]
                )
            except DomainError as error:
                throttle.give_back(limit, member)
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("Thank you. The moderators of this group will look at the post; you will hear what they decide."),
                )
                return _back_to_post(post)
    return render(request, "threads/flag_form.html", {"post": post, "form": form, "already": already}, status=status)


def review_flags(request: HttpRequest, pk: int) -> HttpResponse:
    """A moderator decides on the open flags of a post (also posted to from the queue)."""
    member = request.user
    post = permissions.access_post(member, pk)
    permissions.check_review_flags(member, post)
    flags = list(Flag.objects.filter(post=post, status=Flag.Status.OPEN).select_related("member"))
    form = ReviewFlagsForm(request.POST or None, prefix=f"review-{post.pk}")
    if request.method == "POST" and form.is_valid():
        outcome = form.cleaned_data["outcome"]
        try:
            actions.review_flags(actor=member, post=post, outcome=outcome, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                {
                    "dismiss": _("The post is restored and the flags are dismissed; the flaggers have been told."),
                    "hide": _("The post stays hidden; the author and the flaggers have been told."),
                    "remove": _("The post is removed; the author and the flaggers have been told."),
                }[outcome],
            )
            return HttpResponseRedirect(reverse("moderation") + "?queue=flags")
    return render(request, "threads/review_flags.html", {"post": post, "flags": flags, "form": form})
