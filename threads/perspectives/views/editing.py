"""Writing handelingsperspectieven: the editors' page, the working copy, review and
publication, examples from threads, sources, revisions, and members' suggestions.

Thin, like every view: access (404), check (403), one action, redirect or render.
Editors are the ambassadors and the programme team (``permissions.is_editor``).
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import F, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from community.errors import DomainError
from threads import permissions as thread_permissions
from threads.models import Post
from threads.perspectives import actions, document, permissions
from threads.perspectives.citations import examples_of, show_examples
from threads.perspectives.forms import (
    NEW,
    PerspectiveForm,
    ReturnForm,
    SourceForm,
    SubmitForm,
    SuggestForm,
    SupersedeForm,
    UseThreadForm,
)
from threads.perspectives.models import Perspective, PerspectiveRevision, Suggestion

QUEUE_SIZE = 50
POSTS_TO_CHOOSE = 30
Status = Perspective.Status


def _editor(request: HttpRequest):
    member = request.user
    if not permissions.is_editor(member):
        raise Http404
    return member


# --- The editors' page ---------------------------------------------------------------------


@require_safe
def editors(request: HttpRequest) -> HttpResponse:
    """What waits for the editors: perspectives in review (those this editor may publish
    marked), drafts, and the threads members suggested. Five queries, however many rows."""
    member = _editor(request)
    working = list(
        Perspective.objects.filter(status__in=[Status.DRAFT, Status.REVIEW])
        .select_related("current_version", "submitted_by")
        .order_by("-updated")
    )
    in_review = [p for p in working if p.status == Status.REVIEW]
    authors: dict[int, set[int]] = {p.pk: {p.submitted_by_id} for p in in_review}
    for perspective_id, editor_id in PerspectiveRevision.objects.filter(
        perspective_id__in=list(authors), number__gt=F("perspective__published_revision")
    ).values_list("perspective_id", "editor_id"):
        authors[perspective_id].add(editor_id)
    for perspective in in_review:
        perspective.can_review = permissions.can_review_perspective(member, perspective, authors[perspective.pk])
    suggestions = [
        s
        for s in Suggestion.objects.open().with_queue_data().order_by("created", "pk")[: QUEUE_SIZE * 2]
        if thread_permissions.can_read_thread(member, s.thread)
    ][:QUEUE_SIZE]
    return render(
        request,
        "perspectives/editors.html",
        {
            "in_review": in_review,
            "drafts": [p for p in working if p.status == Status.DRAFT],
            "suggestions": suggestions,
        },
    )


# --- The working copy ------------------------------------------------------------------------


def new(request: HttpRequest) -> HttpResponse:
    member = _editor(request)
    form = PerspectiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            perspective = actions.create_perspective(actor=member, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("The draft is saved. Add examples from threads and sources, then send it for review.")
            )
            return redirect("perspective_draft", perspective.slug)
    return render(request, "perspectives/form.html", {"form": form, "perspective": None})


def edit(request: HttpRequest, slug: str) -> HttpResponse:
    member = _editor(request)
    perspective = permissions.access_draft(member, slug)
    permissions.check_edit_perspective(member, perspective)
    form = PerspectiveForm(request.POST or None, initial=PerspectiveForm.initial_from(perspective))
    if request.method == "POST" and form.is_valid():
        try:
            actions.edit_perspective(actor=member, perspective=perspective, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("perspective_draft", perspective.slug)
    return render(request, "perspectives/form.html", {"form": form, "perspective": perspective})


@require_safe
def draft(request: HttpRequest, slug: str) -> HttpResponse:
    """The working copy with what editors can do to it now."""
    member = _editor(request)
    perspective = permissions.access_draft(
        member,
        slug,
        Perspective.objects.select_related("current_version", "submitted_by", "superseded_by", "created_by"),
    )
    authors = actions.round_authors(perspective) if perspective.status == Status.REVIEW else set()
    examples = show_examples(examples_of(perspective.citations.filter(removed_at__isnull=True)), member, public=False)
    can = {
        "edit": permissions.can_edit_perspective(member, perspective),
        "submit": permissions.can_submit_perspective(member, perspective) and perspective.has_unpublished_changes,
        "review": permissions.can_review_perspective(member, perspective, authors),
        "return": permissions.can_return_perspective(member, perspective),
        "manage": permissions.can_manage_perspective(member, perspective),
    }
    return render(
        request,
        "perspectives/draft.html",
        {
            "perspective": perspective,
            "examples": examples,
            "sources": list(perspective.sources.filter(removed_at__isnull=True).order_by("created", "pk")),
            "typologies": list(perspective.typologies.order_by("name_nl")),
            "themes": list(perspective.themes.order_by("name")),
            "worked_on_it": member.pk in authors,
            "source_form": SourceForm(),
            "submit_form": SubmitForm(),
            "return_form": ReturnForm(),
            "can": can,
        },
    )


def _workflow_step(request: HttpRequest, slug: str, step) -> HttpResponse:
    """Run one workflow action; a refusal is shown on the working copy's page."""
    member = _editor(request)
    perspective = permissions.access_draft(member, slug)
    try:
        done = step(member, perspective)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("perspective_draft", perspective.slug)


@require_POST
def submit(request: HttpRequest, slug: str) -> HttpResponse:
    form = SubmitForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""

    def step(member, perspective):
        permissions.check(
            permissions.can_submit_perspective(member, perspective), _("Only a draft is sent for review.")
        )
        actions.submit_perspective(actor=member, perspective=perspective, note=note)
        return _("Sent for review. Another ambassador or the programme team reviews and publishes it.")

    return _workflow_step(request, slug, step)


@require_POST
def publish(request: HttpRequest, slug: str) -> HttpResponse:
    def step(member, perspective):
        permissions.check_review_perspective(member, perspective, actions.round_authors(perspective))
        version = actions.publish_perspective(actor=member, perspective=perspective)
        return _("Version %(number)d is published.") % {"number": version.number}

    return _workflow_step(request, slug, step)


@require_POST
def send_back(request: HttpRequest, slug: str) -> HttpResponse:
    form = ReturnForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""

    def step(member, perspective):
        permissions.check(
            permissions.can_return_perspective(member, perspective), _("This handelingsperspectief is not in review.")
        )
        actions.return_perspective(actor=member, perspective=perspective, note=note)
        return _("Sent back to draft.")

    return _workflow_step(request, slug, step)


@require_POST
def make_public(request: HttpRequest, slug: str) -> HttpResponse:
    public = request.POST.get("public") == "1"

    def step(member, perspective):
        permissions.check(
            permissions.can_manage_perspective(member, perspective),
            _("Only a published handelingsperspectief can be made public."),
        )
        actions.set_perspective_public(actor=member, perspective=perspective, public=public)
        if public:
            return _("The handelingsperspectief is public: readable without an account and in the feed.")
        return _("The handelingsperspectief is for members only again.")

    return _workflow_step(request, slug, step)


def supersede(request: HttpRequest, slug: str) -> HttpResponse:
    member = _editor(request)
    perspective = permissions.access_draft(member, slug)
    permissions.check(
        permissions.can_manage_perspective(member, perspective),
        _("Only a published handelingsperspectief can be superseded."),
    )
    form = SupersedeForm(request.POST or None, perspective=perspective)
    if request.method == "POST" and form.is_valid():
        try:
            actions.supersede_perspective(
                actor=member, perspective=perspective, successor=form.cleaned_data["successor"]
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Superseded. Its page now points to its successor."))
            return redirect("perspective_draft", perspective.slug)
    return render(request, "perspectives/supersede.html", {"form": form, "perspective": perspective})


# --- Sources and examples ----------------------------------------------------------------------


@require_POST
def add_source(request: HttpRequest, slug: str) -> HttpResponse:
    member = _editor(request)
    perspective = permissions.access_draft(member, slug)
    permissions.check_edit_perspective(member, perspective)
    form = SourceForm(request.POST)
    if form.is_valid():
        try:
            actions.add_source(actor=member, perspective=perspective, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The source is added."))
            return redirect(reverse("perspective_draft", args=[perspective.slug]) + "#sources")
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(reverse("perspective_draft", args=[perspective.slug]) + "#add-source")


@require_POST
def remove_source(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    member = _editor(request)
    perspective = permissions.access_draft(member, slug)
    permissions.check_edit_perspective(member, perspective)
    source = get_object_or_404(perspective.sources, pk=pk, removed_at__isnull=True)
    actions.remove_source(actor=member, source=source)
    messages.success(request, _("The source is removed from the working copy."))
    return redirect(reverse("perspective_draft", args=[perspective.slug]) + "#sources")


@require_POST
def remove_citation(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    member = _editor(request)
    perspective = permissions.access_draft(member, slug)
    permissions.check_edit_perspective(member, perspective)
    citation = get_object_or_404(perspective.citations, pk=pk, removed_at__isnull=True)
    actions.remove_citation(actor=member, citation=citation)
    messages.success(request, _("The example is removed from the working copy."))
    return redirect(reverse("perspective_draft", args=[perspective.slug]) + "#examples")


def use_thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    """ "Gebruik in een handelingsperspectief": cite a post of a solved question, an
    experience or a dilemma in a draft, or in a new perspective started here."""
    member = _editor(request)
    thread = thread_permissions.access_thread(member, thread_id)
    permissions.check_cite_thread(member, thread)
    # The opening post, the accepted answer, the posts marked useful, then the first ones.
    chosen = list(
        Post.objects.filter(thread=thread, hidden=False, deleted_at__isnull=True)
        .order_by("number")
        .filter(Q(number=1) | Q(pk=thread.accepted_post_id) | Q(useful_count__gt=0) | Q(number__lte=POSTS_TO_CHOOSE))
        .values_list("pk", flat=True)[:POSTS_TO_CHOOSE]
    )
    posts = Post.objects.filter(pk__in=chosen).select_related("author__municipality").order_by("number")
    drafts = list(
        Perspective.objects.filter(status__in=[Status.DRAFT, Status.PUBLISHED]).order_by("-updated")[:QUEUE_SIZE]
    )
    wanted = request.GET.get("perspective", "")
    initial = {
        "post": thread.accepted_post_id or (chosen[0] if chosen else None),
        "perspective": wanted if any(p.slug == wanted for p in drafts) else NEW,
        "new_title": thread.title,
    }
    form = UseThreadForm(request.POST or None, posts=posts, drafts=drafts, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        post = data["post"]
        citing = {
            "actor": member,
            "post": post,
            "quote": data["quote"],
            "name_consent": data["name_consent"],
            "note": data["note"],
        }
        perspective = data.get("draft")
        try:
            if perspective is None:
                perspective, _citation = actions.start_perspective_from_post(title=data["new_title"], **citing)
            else:
                permissions.check_edit_perspective(member, perspective)
                actions.cite_post(perspective=perspective, **citing)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The example is added to “%(title)s”.") % {"title": perspective.title})
            return redirect(reverse("perspective_draft", args=[perspective.slug]) + "#examples")
    return render(request, "perspectives/use_thread.html", {"form": form, "thread": thread})


# --- Revisions ------------------------------------------------------------------------------------


@require_safe
def revisions(request: HttpRequest, slug: str) -> HttpResponse:
    member = _editor(request)
    perspective = permissions.access_draft(member, slug)
    rows = list(
        PerspectiveRevision.objects.filter(perspective=perspective).select_related("editor").order_by("-number")
    )
    published = dict(perspective.versions.values_list("revision", "number"))
    for row in rows:
        row.version_number = published.get(row.number)
    return render(request, "perspectives/revisions.html", {"perspective": perspective, "revisions": rows})


@require_safe
def revision(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """What revision ``number`` changed, word by word; with ``?since=m``, everything since revision m
    (the reviewer's view: since the published version)."""
    member = _editor(request)
    perspective = permissions.access_draft(member, slug)
    since = request.GET.get("since", "")
    base = int(since) if since.isdigit() and int(since) < number else number - 1
    rows = {
        r.number: r
        for r in PerspectiveRevision.objects.filter(perspective=perspective, number__in=[base, number]).select_related(
            "editor"
        )
    }
    if number not in rows or (base > 0 and base not in rows):
        raise Http404
    before = rows[base].content if base in rows else None
    return render(
        request,
        "perspectives/revision.html",
        {
            "perspective": perspective,
            "revision": rows[number],
            "base": base,
            "changes": document.compare(before, rows[number].content),
        },
    )


# --- Suggestions from members ---------------------------------------------------------------------


def suggest(request: HttpRequest, thread_id: int) -> HttpResponse:
    member = request.user
    thread = thread_permissions.access_thread(member, thread_id)
    permissions.check_suggest_thread(member, thread)
    form = SuggestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.suggest_thread(member=member, thread=thread, note=form.cleaned_data["note"])
        except DomainError as error:
            messages.info(request, error.message)
        else:
            messages.success(
                request, _("Thank you! The editors of the handelingsperspectieven will look at this thread.")
            )
        return redirect(thread.get_absolute_url() + "?page=1")
    return render(request, "perspectives/suggest.html", {"form": form, "thread": thread})


@require_POST
def dismiss_suggestion(request: HttpRequest, pk: int) -> HttpResponse:
    member = _editor(request)
    suggestion = get_object_or_404(Suggestion.objects.open().select_related("thread__group"), pk=pk)
    if not thread_permissions.can_read_thread(member, suggestion.thread):
        raise Http404
    try:
        actions.dismiss_suggestion(actor=member, suggestion=suggestion)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The suggestion is set aside."))
    return redirect(reverse("perspectives_editors") + "#suggestions")
