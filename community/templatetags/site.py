"""The site header, rendered once per kind of visitor and taken from the cache after that."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from community.fragments import render_fragments

register = template.Library()

TEMPLATE = "_site_header.html"


@register.simple_tag(takes_context=True)
def site_header(context: template.Context) -> SafeString | str:
    """``_site_header.html``: the logo, navigation with the current section marked, bell,
    search box, language switch and log-in or log-out. It depends on the member only
    through their rights, their unread count and the page's section, so it is one cached
    fragment per combination of those; the search text and the return address of the
    language switch are filled in per request."""
    request = context.get("request")
    user = context.get("user")
    nav = context.get("nav") or {}
    match = getattr(request, "resolver_match", None)
    url_name = match.url_name if match is not None else None
    authenticated = bool(user is not None and user.is_authenticated)
    values: dict[str, Any] = {
        "site_name": settings.SITE_NAME,
        "authenticated": authenticated,
        "staff": authenticated and user.is_staff,
        "unread": user.unread_notifications if authenticated else 0,
        "nav": {"forum": bool(nav.get("forum")), "moderation": bool(nav.get("moderation"))},
        "url_name": url_name,
        "LANGUAGE_CODE": get_language(),
    }
    query = request.GET.get("q", "") if request is not None and url_name == "search" else ""
    if request is None:
        return render_to_string(TEMPLATE, {**values, "q": query, "next": "/"})
    shown = tuple(sorted((name, repr(value)) for name, value in values.items()))
    [html] = render_fragments(request, TEMPLATE, [(shown, lambda: values)], fill={"q": query, "next": request.get_full_path()})
    return html
