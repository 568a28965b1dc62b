"""The parts of every page that are the same for many requests, rendered once and taken
from the cache after that: the site header, and ``{% fragment %}`` blocks."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape as escape_html
from typing import Any, ClassVar

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from community.performance.fragments import (
    Fragment,
    FragmentLookupError,
    KeyedContext,
    cached_fragments,
    plain_values_problem,
    render_declared,
)

register = template.Library()

TEMPLATE = "_site_header.html"


@dataclass(frozen=True, slots=True)
class SiteHeader(Fragment):
    """``_site_header.html``: the logo, navigation with the current section marked, bell,
    search box, language switch and log-in or log-out. It depends on the member only
    through their rights, their unread count and the page's section, so it is one cached
    fragment per combination of those; the search text and the return address of the
    language switch are filled in per request."""

    template_name: ClassVar[str] = TEMPLATE

    site_name: str
    authenticated: bool
    staff: bool
    unread: int
    forum: bool
    moderation: bool
    dashboard: bool
    url_name: str | None
    language: str

    def context(self) -> dict[str, Any]:
        return {
            "site_name": self.site_name, "authenticated": self.authenticated, "staff": self.staff, "unread": self.unread,
            "nav": {"forum": self.forum, "moderation": self.moderation, "dashboard": self.dashboard}, "url_name": self.url_name, "LANGUAGE_CODE": self.language,
        }  # fmt: skip


@register.simple_tag(takes_context=True)
def site_header(context: template.Context) -> SafeString | str:
    request = context.get("request")
    user = context.get("user")
    nav = context.get("nav") or {}
    match = getattr(request, "resolver_match", None)
    url_name = match.url_name if match is not None else None
    authenticated = bool(user is not None and user.is_authenticated)
    header = SiteHeader(
        site_name=settings.SITE_NAME, authenticated=authenticated, staff=authenticated and user.is_staff,
        unread=user.unread_notifications if authenticated else 0, forum=bool(nav.get("forum")),
        moderation=bool(nav.get("moderation")), dashboard=bool(nav.get("dashboard")), url_name=url_name, language=get_language(),
    )  # fmt: skip
    query = request.GET.get("q", "") if request is not None and url_name == "search" else ""
    if request is None:
        return render_to_string(TEMPLATE, {**header.context(), "q": query, "next": "/"})
    [html] = render_declared(request, [header], fill={"q": query, "next": request.get_full_path()})
    return html


class FragmentNode(template.Node):
    def __init__(
        self, nodelist: template.NodeList, name: str, values: dict[str, template.base.FilterExpression]
    ) -> None:
        self.nodelist = nodelist
        self.name = name
        self.values = values

    def render(self, context: template.Context) -> str:
        values = {name: expression.resolve(context) for name, expression in self.values.items()}
        template_name = self.origin.template_name if self.origin is not None else None
        origin = f"{template_name} {{% fragment {self.name!r} %}}"
        if getattr(settings, "FRAGMENTS_STRICT", False):
            problem = plain_values_problem(tuple(values.values()))
            if problem:
                raise FragmentLookupError(f"{origin}: {problem} ({', '.join(values)})")

        def render(placeholders: dict[str, str]) -> str:
            keyed = KeyedContext({**values, **placeholders}, origin=origin)
            keyed.template, keyed.render_context = context.template, context.render_context
            keyed.autoescape, keyed.use_l10n, keyed.use_tz = context.autoescape, context.use_l10n, context.use_tz
            return self.nodelist.render(keyed)

        request = context.get("request")
        if request is None or not isinstance(template_name, str):
            return render({"csrf_token": context.get("csrf_token", "")})
        shown = (self.name, self.token.position, tuple(values.items()))
        [html] = cached_fragments(request, template_name, [(shown, render)], fill={})
        return html


@register.tag
def fragment(parser: template.base.Parser, token: template.base.Token) -> FragmentNode:
    """``{% fragment "name" a=value b=value %}...{% endfragment %}``: the block's HTML, cached
    under the values it shows (see ``community/performance/fragments.py``).

    The block sees the named values and nothing else (``KeyedContext``: in the tests a
    lookup of anything else is an error), so the key covers all it shows; the values are
    plain (numbers, text, times, tuples). ``{% csrf_token %}`` inside works (each request
    gets its own token). Rendered without a request, or from a template without a name,
    the block is not cached.
    """
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError("{% fragment %} takes a quoted name and name=value pairs")
    values = {}
    for bit in bits[2:]:
        name, equals, expression = bit.partition("=")
        if not equals or not name.isidentifier():
            raise template.TemplateSyntaxError(f"{{% fragment %}}: {bit!r} is not name=value")
        values[name] = parser.compile_filter(expression)
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(nodelist, bits[1][1:-1], values)


def escape_text(value: Any) -> str:
    """Django's ``conditional_escape`` (the same entities; what is marked safe is kept)
    without the lazy-string wrapper around it, which was most of its cost."""
    html = getattr(value, "__html__", None)
    return html() if html is not None else escape_html(str(value))


@register.simple_tag
def byline(member: Any = None, *, link: bool = False, detailed: bool = False, **values: Any) -> SafeString:
    """Who wrote something, written the same way everywhere: the name (a link to the profile
    with ``link``), the position (with ``detailed``) and the municipality; "former member"
    for an account that was deleted or is gone.

    ``{% byline post.author %}`` takes a member (or None); ``{% byline name=... url=...
    position=... municipality=... former=... %}`` takes the values, for fragments that
    hold plain values only.
    """
    from django.utils.translation import gettext

    if values:
        former = bool(values.get("former"))
        name, url = values.get("name", ""), values.get("url", "")
        position, municipality = values.get("position", ""), values.get("municipality", "")
    else:
        former = member is None or member.is_former_member
        name = "" if former else member.name
        url = "" if former or not link else member.get_absolute_url()
        position = "" if former else member.get_position_display()
        municipality = "" if former or member.municipality_id is None else member.municipality.name
    # ``escape_text`` rather than ``format_html``: every post on a thread page has a byline.
    if former:
        return mark_safe(escape_text(gettext("former member")))
    who = f'<a href="{escape_text(url)}">{escape_text(name)}</a>' if link and url else escape_text(name)
    if detailed and position:
        place = f", {escape_text(municipality)}" if municipality else ""
        return mark_safe(f'{who} <span class="muted">{escape_text(position)}{place}</span>')
    return mark_safe(f"{who}, {escape_text(municipality)}" if municipality else who)


@register.simple_tag(takes_context=True)
def member_cards(context: template.Context, members: Any) -> SafeString:
    """``community/_member_card.html`` for each member (``Member`` objects or group list
    rows), from cached fragments, in one batch."""
    from community.members import MemberCardFragment

    fragments = [
        member.fragment() if hasattr(member, "fragment") else MemberCardFragment.of(member) for member in members
    ]
    return mark_safe("".join(render_declared(context.get("request"), fragments)))


#: The exact time, in full, for the tooltip and for screen readers: "zondag 6 december 2026, 22:16".
FULL_DATETIME = "l j F Y, H:i"


@register.simple_tag
def when(value: Any, format_name: str = "DATETIME_FORMAT") -> SafeString | str:
    """A moment, written the same way in the Django templates and the Jinja fragments:
    ``<time datetime title data-relative>`` with the date in ``format_name`` as its text.

    The text stays the exact time in the HTML, which is cached (``performance/fragments``) and
    would otherwise go stale; ``static/js/dates.js`` shows it as "3 minuten geleden" and
    keeps the exact time in the title (on hover) and, for screen readers, in the text."""
    from django.utils import timezone

    from community.performance.jinja import format_local

    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    # Converted once, both texts in one language; ``escape_text``: a post shows a time or two,
    # and ``format_html`` cost more than formatting the dates.
    language = get_language()
    full = escape_text(format_local(value, FULL_DATETIME, language))
    shown = escape_text(format_local(value, format_name, language))
    return mark_safe(f'<time datetime="{value.isoformat()}" title="{full}" data-relative>{shown}</time>')
