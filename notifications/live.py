"""HTML fragments for live events: the same template as the thread page, without
the viewer's own buttons (the socket does not know who will receive it)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from threads.models import Post


def post_fragment(post: Post) -> dict[str, Any]:
    """``html`` holds the fragment in every interface language; the browser picks its own."""
    post.can = {"see": post.is_visible}
    post.is_unread = True
    html = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            html[language] = render_to_string("threads/_post.html", {"post": post, "thread": post.thread})
    return {"post": post.pk, "number": post.number, "html": html}
