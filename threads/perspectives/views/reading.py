"""Reading handelingsperspectieven: the index, the current and the frozen versions, for
members and, where a perspective is public, for everyone."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from community.permissions import is_participant
from threads.perspectives import permissions
from threads.perspectives.citations import examples_of, show_examples
from threads.perspectives.forms import IndexFilterForm
from threads.perspectives.models import Perspective, PerspectiveVersion

PER_PAGE = 20


@login_not_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """Published perspectives, newest first, filterable by typology and theme. Visitors
    without an account see the public ones."""
    member = request.user
    form = IndexFilterForm(request.GET or None)
    perspectives = Perspective.objects.readable_by(member)
    if form.is_valid():
        if form.cleaned_data["typology"] is not None:
            perspectives = perspectives.for_typologies([form.cleaned_data["typology"].pk])
        if form.cleaned_data["theme"] is not None:
            perspectives = perspectives.with_theme(form.cleaned_data["theme"].pk)
    page = Paginator(perspectives.with_list_data().newest_first(), PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "perspectives/index.html",
        {
            "form": form,
            "page": page,
            "query_string": query.urlencode(),
            "is_member": is_participant(member),
            "can": {"edit": permissions.is_editor(member)},
        },
    )


def _readable(request: HttpRequest, slug: str) -> Perspective | HttpResponse:
    try:
        return permissions.access_perspective(
            request, slug, Perspective.objects.select_related("current_version", "superseded_by__current_version")
        )
    except permissions.LoginFirst:
        return permissions.login_redirect(request)


@login_not_required
@require_safe
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The current published version, at the perspective's stable address."""
    perspective = _readable(request, slug)
    if isinstance(perspective, HttpResponse):
        return perspective
    if perspective.current_version is None:  # an editor, before the first publication
        return redirect("perspective_draft", perspective.slug)
    return _version_page(request, perspective, perspective.current_version)


@login_not_required
@require_safe
def version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """A frozen version: it reads the same for as long as the site exists."""
    perspective = _readable(request, slug)
    if isinstance(perspective, HttpResponse):
        return perspective
    return _version_page(request, perspective, permissions.access_version(request, perspective, number), frozen=True)


def _version_page(
    request: HttpRequest, perspective: Perspective, version: PerspectiveVersion, *, frozen: bool = False
) -> HttpResponse:
    """One version with its examples as this reader may see them (``citations``): six
    queries, however many examples and sources."""
    member = request.user
    version.perspective = perspective  # its address needs the slug: no query for it
    is_member = is_participant(member)
    public = not is_member or request.GET.get("view") == "public"
    examples = show_examples(examples_of(version.citations.all()), member if is_member else None, public=public)
    return render(
        request,
        "perspectives/detail.html",
        {
            "perspective": perspective,
            "version": version,
            "is_current": version.pk == perspective.current_version_id,
            "frozen": frozen,
            "public_view": public,
            "is_member": is_member,
            "examples": examples,
            "sources": list(version.sources.order_by("created", "pk")),
            "typologies": list(version.typologies.order_by("name_nl")),
            "themes": list(version.themes.order_by("name")),
            "versions": list(
                PerspectiveVersion.objects.filter(perspective=perspective)
                .order_by("number")
                .values("number", "published_at")
            ),
            "can": {"edit": permissions.is_editor(member)},
        },
    )
