"""Thread lists: latest, unread, unanswered, top, per theme, per region, and
"uit gemeenten zoals de mijne"."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from community.models import Region
from threads.forms import TopPeriodForm
from threads.models import Theme, Thread, ThreadTheme
from threads.views.listing import thread_page


def render_list(
    request: HttpRequest,
    make_threads: Callable[[], QuerySet[Thread]],
    *,
    key: Hashable,
    title: str,
    intro: str = "",
    extra: dict | None = None,
) -> HttpResponse:
    """``key``: what the list depends on besides the member (see ``thread_page``); None
    for a list that changes with the time."""
    list_name = request.resolver_match.url_name
    context = {
        "page": thread_page(request, make_threads, key=None if key is None else (list_name, key)),
        "title": title,
        "intro": intro,
        "list_name": list_name,
    }
    context.update(extra or {})
    return render(request, "threads/thread_list.html", context)


@require_safe
def latest(request: HttpRequest) -> HttpResponse:
    return render_list(
        request,
        Thread.objects.newest_first,
        key=(),
        title=_("Latest"),
        intro=_("All threads you can read, most recent activity first."),
    )


@require_safe
def unread(request: HttpRequest) -> HttpResponse:
    return render_list(
        request,
        lambda: Thread.objects.unread_by(request.user).newest_first(),
        key=(),
        title=_("Unread"),
        intro=_("Threads you have read before that have new posts."),
    )


@require_safe
def unanswered(request: HttpRequest) -> HttpResponse:
    return render_list(
        request,
        lambda: Thread.objects.unanswered_questions().newest_first(),
        key=(),
        title=_("Unanswered questions"),
        intro=_("Questions that nobody has replied to yet. Perhaps you know the answer?"),
    )


@require_safe
def top(request: HttpRequest) -> HttpResponse:
    form = TopPeriodForm(request.GET or None)
    period = form.cleaned_data["period"] if form.is_valid() and form.cleaned_data["period"] else "month"
    return render_list(
        request,
        lambda: Thread.objects.top(period),
        key=None,  # "this week" moves with the clock
        title=_("Top"),
        intro=_("Threads whose posts were marked useful most often."),
        extra={"period": period, "periods": TopPeriodForm.base_fields["period"].choices},
    )


@require_safe
def theme_list(request: HttpRequest) -> HttpResponse:
    """The themes, each with the number of threads in it that the member may read."""
    counts = dict(
        ThreadTheme.objects.filter(content_object__in=Thread.objects.visible_to(request.user))
        .values("tag_id")
        .annotate(threads=Count("pk"))
        .values_list("tag_id", "threads")
    )
    themes = list(Theme.objects.order_by("name"))
    for theme in themes:
        theme.thread_count = counts.get(theme.pk, 0)
    return render(request, "threads/theme_list.html", {"themes": themes})


@require_safe
def theme(request: HttpRequest, slug: str) -> HttpResponse:
    theme = get_object_or_404(Theme, slug=slug)
    return render_list(
        request,
        lambda: Thread.objects.with_theme(theme).newest_first(),
        key=theme.pk,
        title=_("Theme: %(theme)s") % {"theme": theme.name},
        intro=theme.description,
        extra={"theme": theme},
    )


@require_safe
def region(request: HttpRequest, slug: str) -> HttpResponse:
    region = get_object_or_404(Region, slug=slug)
    return render_list(
        request,
        lambda: Thread.objects.from_region(region).newest_first(),
        key=region.pk,
        title=_("From %(region)s") % {"region": region.name},
        intro=_("Threads started by members from municipalities in %(region)s.") % {"region": region.name},
        extra={"regions": Region.objects.all(), "region": region},
    )


@require_safe
def similar(request: HttpRequest) -> HttpResponse:
    return render_list(
        request,
        lambda: Thread.objects.from_municipalities_like(request.user).newest_first(),
        key=(),
        title=_("From municipalities like mine"),
        intro=_("Threads started by members from municipalities that share a typology with yours."),
    )
