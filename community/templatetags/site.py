"""The parts of every page that are the same for many requests, rendered once and taken
from the cache after that: the site header, and ``{% fragment %}`` blocks."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from community.fragments import cached_fragments, render_fragments

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
        "nav": {"forum": bool(nav.get("forum")), "moderation": bool(nav.get("moderation")), "dashboard": bool(nav.get("dashboard"))},
        "url_name": url_name,
        "LANGUAGE_CODE": get_language(),
    }
    query = request.GET.get("q", "") if request is not None and url_name == "search" else ""
    if request is None:
        return render_to_string(TEMPLATE, {**values, "q": query, "next": "/"})
    shown = tuple(sorted((name, repr(value)) for name, value in values.items()))
    [html] = render_fragments(request, TEMPLATE, [(shown, lambda: values)], fill={"q": query, "next": request.get_full_path()})
    return html


class FragmentNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: str, values: list[template.base.FilterExpression]) -> None:
        self.nodelist = nodelist
        self.name = name
        self.values = values

    def render(self, context: template.Context) -> str:
        request = context.get("request")
        template_name = self.origin.template_name if self.origin is not None else None
        if request is None or not isinstance(template_name, str):
            return self.nodelist.render(context)
        shown = (self.name, self.token.position, *(value.resolve(context) for value in self.values))

        def render(placeholders: dict[str, str]) -> str:
            with context.push(placeholders):
                return self.nodelist.render(context)

        [html] = cached_fragments(request, template_name, [(shown, render)], fill={})
        return html


@register.tag
def fragment(parser: template.base.Parser, token: template.base.Token) -> FragmentNode:
    """``{% fragment "name" value ... %}...{% endfragment %}``: the block's HTML, cached under
    the values it shows (see ``community/fragments.py``).

    Every context value the block shows must be among the values, as with
    ``render_fragments``: a value left out would be taken from whichever request rendered
    the block first. ``{% csrf_token %}`` inside works (each request gets its own token).
    Rendered without a request, or from a template without a name, the block is not cached.
    """
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError("{% fragment %} takes a quoted name and the values the block shows")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(nodelist, bits[1][1:-1], [parser.compile_filter(bit) for bit in bits[2:]])
