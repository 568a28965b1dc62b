"""Everything done to threads and posts: starting, replying, quoting, editing, deleting,
accepting an answer, marking "nuttig". (The thread page itself: ``threads/views/thread.py``.)"""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from community import throttle
from community.errors import DomainError
from community.members import groups_of
from threads import actions, permissions
from threads.diffs import word_diff
from threads.forms import EditPostForm, ReplyForm, ThreadForm
from threads.models import Mark, Thread
from threads.views.thread import page_of, thread_url


@require_safe
def choose_group(request: HttpRequest) -> HttpResponse:
    """ "New thread" from the home page: in which of the member's groups? With one group, that one."""
    groups = [group for group in groups_of(request.user) if permissions.can_start_thread(request.user, group)]
    if len(groups) == 1:
        return redirect("new_thread", groups[0].slug)
    return render(request, "threads/choose_group.html", {"groups": groups})


def new_thread(request: HttpRequest, slug: str) -> HttpResponse:
    member = request.user
    group = permissions.access_group(member, slug)
    allow_announcement = permissions.can_post_announcement(member, group)
    form = ThreadForm(
        request.POST or None, allow_announcement=allow_announcement, initial={"kind": Thread.Kind.QUESTION}
    )
    status = 200
    if request.method == "POST":
        permissions.check_start_thread(member, group, request.POST.get("kind", ""))
        if form.is_valid():
            data = form.cleaned_data
            limit = throttle.limit_for(member, "thread")
            if not throttle.attempt(limit, member):
                # The form sent again after the thread was started: over the limit, but
                # not a new thread (the usual case never pays this query).
                if earlier := actions.sent_before(member, data["request_key"]):
                    return redirect(earlier.thread)
                form.add_error(None, limit_message(limit))
                status = 429
            else:
                try:
                    thread = actions.create_thread(
                        author=member,
                        group=group,
                        title=data["title"],
                        kind=data["kind"],
                        body=data["body"],
                        themes=data["themes"],
                        request_key=data["request_key"],
                    )
                except DomainError as error:
                    throttle.give_back(limit, member)
                    form.add_error(None, error.message)
                else:
                    return redirect(thread)
    else:
        permissions.check_start_thread(member, group, Thread.Kind.QUESTION)
    return render(request, "threads/thread_form.html", {"group": group, "form": form}, status=status)


def limit_message(limit: throttle.Limit) -> str:
    """The rate limit, in words, with the promise that nothing typed is lost."""
    values = {"count": limit.count, "minutes": limit.minutes}
    if limit.what == "thread":
        rule = (
            ngettext(
                "You can start %(count)d thread per %(minutes)d minutes.",
                "You can start %(count)d threads per %(minutes)d minutes.",
                limit.count,
            )
            % values
        )
    elif limit.what == "post":
        rule = (
            ngettext(
                "You can post %(count)d message per %(minutes)d minutes.",
                "You can post %(count)d messages per %(minutes)d minutes.",
                limit.count,
            )
            % values
        )
    else:
        rule = (
            ngettext(
                "You can flag %(count)d post per %(minutes)d minutes.",
                "You can flag %(count)d posts per %(minutes)d minutes.",
                limit.count,
            )
            % values
        )
    parts = [_("Slow down a little."), rule]
    if limit.for_new_members:
        parts.append(_("The limits are stricter in your first week as a member."))
    parts.append(_("What you wrote is kept below: send it again in a few minutes."))
    return " ".join(parts)


def reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Reply form: posted to from the thread page; shown on its own when the
    reply needs correcting or when quoting without JavaScript."""
    member = request.user
    thread = permissions.access_thread(member, pk)
    permissions.check_reply(member, thread)
    initial = {}
    quote_id = request.GET.get("quote", "")
    if quote_id.isdigit():
        initial["body"] = quote_text(member, int(quote_id), thread, short="short" in request.GET)
    form = ReplyForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        limit = throttle.limit_for(member, "post")
        if not throttle.attempt(limit, member):
            if earlier := actions.sent_before(member, form.cleaned_data["request_key"]):
                return HttpResponseRedirect(thread_url(thread, page_of(earlier.number), earlier.number))
            form.add_error(None, limit_message(limit))
            status = 429
        else:
            try:
                post = actions.reply_to_thread(
                    author=member, thread=thread, body=form.cleaned_data["body"],
                    request_key=form.cleaned_data["request_key"],
                )  # fmt: skip
            except DomainError as error:
                throttle.give_back(limit, member)
                form.add_error(None, error.message)
            else:
                return HttpResponseRedirect(thread_url(thread, page_of(post.number), post.number))
    return render(request, "threads/reply_form.html", {"thread": thread, "form": form}, status=status)


def quote_text(member, post_id: int, thread: Thread | None = None, *, short: bool = False) -> str:
    """The Markdown that quotes a post: all of it, or (``short``, "reply to this post") its
    first words as a reference. Either way the quote links to the post and its author is
    notified when the reply is posted (``Notification.Kind.QUOTED``)."""
    post = permissions.access_post(member, post_id)
    if not post.is_visible:
        raise Http404
    text = post.body if not short else _MARKDOWN_SIGN.sub(r"\\\g<0>", Truncator(post.text).words(REFERENCE_WORDS))
    return f"[quote=post:{post.pk}]\n{text}\n[/quote]\n\n"


#: How many words of a post "reply to this post" quotes: enough to recognise it.
REFERENCE_WORDS = 20
#: The signs Markdown reads as formatting, escaped in a reference's plain words.
_MARKDOWN_SIGN = re.compile(r"[\\`*_{}\[\]()#+\-.!<>|~]")


@require_safe
def post_quote(request: HttpRequest, pk: int) -> HttpResponse:
    """The Markdown that quotes a post (``?short``: its first words), for the quote and
    reply buttons' script."""
    text = quote_text(request.user, pk, short="short" in request.GET)
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@require_safe
def post_permalink(request: HttpRequest, pk: int) -> HttpResponse:
    post = permissions.access_post(request.user, pk)
    return HttpResponseRedirect(thread_url(post.thread, page_of(post.number), post.number))


def edit_post(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    post = permissions.access_post(member, pk)
    permissions.check_edit_post(member, post)
    initial = {"body": post.body, "title": post.thread.title}
    by_moderator = post.author_id != member.pk
    form = EditPostForm(request.POST or None, initial=initial, with_title=post.is_opening, by_moderator=by_moderator)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.edit_post(
                editor=member, post=post, body=data["body"], title=data.get("title"), reason=data.get("reason", "")
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your changes have been saved."))
            return HttpResponseRedirect(thread_url(post.thread, page_of(post.number), post.number))
    return render(request, "threads/post_edit.html", {"post": post, "form": form})


@require_safe
def post_revisions(request: HttpRequest, pk: int) -> HttpResponse:
    post = permissions.access_post(request.user, pk)
    if not permissions.can_see_post_body(request.user, post):
        raise Http404
    revisions = list(post.revisions.select_related("editor").order_by("-number"))
    # Each version against the one before it, word by word: the current text against the
    # newest revision, and so on down to the first version, which has nothing before it.
    texts = [post.body, *(revision.body for revision in revisions)]
    changes = [word_diff(older, newer) for newer, older in zip(texts, texts[1:], strict=False)]
    current_change = changes[0] if changes else None
    for revision, change in zip(revisions, [*changes[1:], None], strict=True):
        revision.change = change
    return render(
        request,
        "threads/post_revisions.html",
        {"post": post, "revisions": revisions, "current_change": current_change},
    )


def delete_post(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    post = permissions.access_post(member, pk)
    permissions.check_delete_post(member, post)
    if request.method == "POST":
        actions.delete_post(actor=member, post=post)
        messages.success(request, _("Your post has been deleted."))
        return HttpResponseRedirect(thread_url(post.thread, page_of(post.number), post.number))
    return render(request, "threads/post_delete.html", {"post": post})


@require_POST
def accept_answer(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    post = permissions.access_post(member, pk)
    permissions.check_accept_answer(member, post.thread, post)
    try:
        actions.accept_answer(actor=member, thread=post.thread, post=post)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("This reply is now the accepted answer."))
    return HttpResponseRedirect(thread_url(post.thread, page_of(post.number), post.number))


@require_POST
def unaccept_answer(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    thread = permissions.access_thread(member, pk)
    permissions.check(
        permissions.can_accept_answer(member, thread), _("Only the asker and the moderators choose the answer.")
    )
    actions.unaccept_answer(actor=member, thread=thread)
    messages.success(request, _("The question no longer has an accepted answer."))
    return HttpResponseRedirect(thread.get_absolute_url() + "?page=1")


@require_POST
def toggle_useful(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a post "nuttig", or take the mark back. The form says which (``useful``: 1 or
    0, what the button offered), so sending it twice leaves the state it asked for; without
    it the mark is turned around."""
    member = request.user
    post = permissions.access_post(member, pk)
    permissions.check_mark_useful(member, post)
    marked = Mark.objects.filter(post=post, member_id=member.pk).exists()
    wanted = {"1": True, "0": False}.get(request.POST.get("useful", ""), not marked)
    if marked and not wanted:
        actions.unmark_useful(member=member, post=post)
    elif wanted and not marked:
        try:
            actions.mark_useful(member=member, post=post)
        except DomainError as error:
            messages.error(request, error.message)
    return HttpResponseRedirect(thread_url(post.thread, page_of(post.number), post.number))
