"""The search page: parse the form, search (threads.search), render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from threads.blocks import render_blocks
from threads.search import MAX_QUERY_LENGTH, SearchForm, search_posts
from threads.search.query import MAX_TERMS
from threads.views.listing import page_number


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None, member=request.user)
    page = None
    blocks = []
    if form.is_bound:
        form.is_valid()  # invalid filters show their error and are left out
        text, filters = form.search_arguments()
        page = search_posts(member=request.user, text=text, filters=filters, page=page_number(request))
        blocks = render_blocks("search", request, query=text, filters=filters)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "blocks": blocks,
        "query_string": query.urlencode(),
        "max_length": MAX_QUERY_LENGTH,
        "max_terms": MAX_TERMS,
    }
    return render(request, "threads/search.html", context)
