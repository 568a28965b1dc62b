"""What a reader sees of an example: decided again at every view, never remembered.

A citation keeps the quoted text as it was when it was cited, but that text came from a
thread, and who may read the thread can change (a regional group is closed to others, a
thread or post is hidden, a post deleted, a member leaves a group). So every time a
perspective is shown, each example is checked against the reader:

- **Members** (and editors) see the quote, the author's name and the link to the post only
  when they may read the thread now (``threads.permissions.can_read_thread``), the thread
  is not hidden and the post is neither hidden nor deleted. Otherwise they see where and
  when it was said (municipality, position, date) and "uit een besloten groep" (a thread
  they may not read) or "niet meer beschikbaar" (a hidden or deleted post), never the text.
- **The public version** (visitors without an account, and anyone looking at the public
  version) shows the quote only for posts in groups open to every member (never a closed
  group, such as a regional group), in a thread that is not hidden, of a post neither
  hidden nor deleted; and even then *the text only*: no link into the members-only forum.
  The author's name only when the citing editor recorded their consent; otherwise the
  municipality and position.

The examples of a version are loaded with their post, thread, group and author in one
query; deciding costs no further queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from community.models import Member
from threads.permissions import can_read_thread

if TYPE_CHECKING:
    from threads.perspectives.models import Citation

#: Why an example's text is not shown.
CLOSED = "closed"  # the thread is in a group the reader may not read, or hidden
GONE = "gone"  # the post was hidden or deleted


@dataclass(frozen=True)
class ShownExample:
    pk: int
    municipality: str
    position: str  # the translated label, or ""
    posted_at: datetime
    note: str
    text: str | None  # the quote, when the reader may see it
    url: str | None  # the post, when the reader may follow the link
    name: str | None  # the author's name, when shown
    thread_title: str | None
    withheld: str | None  # CLOSED or GONE when the text is not shown
    name_consent: bool


def _position_label(code: str) -> str:
    return str(Member.Position(code).label) if code in Member.Position.values else ""


def _withheld(citation: Citation, reader: Member | None, *, public: bool) -> str | None:
    post, thread = citation.post, citation.thread
    if thread is None or post is None:
        return GONE
    if thread.hidden:
        return CLOSED
    if public:
        if thread.group.read_access != "everyone":
            return CLOSED
    elif reader is None or not can_read_thread(reader, thread):
        return CLOSED
    if not post.is_visible:
        return GONE
    return None


def show_examples(citations: Iterable[Citation], reader: Member | None, *, public: bool) -> list[ShownExample]:
    """The examples as ``reader`` may see them (``public``: as the public version shows them).

    ``citations`` come with ``post``, ``thread__group`` and ``author`` loaded
    (``examples_of``)."""
    shown = []
    for citation in citations:
        withheld = _withheld(citation, reader, public=public)
        author = citation.author
        named = author is not None and not author.is_former_member and (citation.name_consent or not public)
        visible = withheld is None
        shown.append(
            ShownExample(
                pk=citation.pk,
                municipality=citation.municipality_name,
                position=_position_label(citation.position),
                posted_at=citation.posted_at,
                note=citation.note,
                text=citation.quote if visible else None,
                url=citation.post.get_absolute_url() if visible and not public else None,
                name=author.name if visible and named else None,
                thread_title=citation.thread.title if visible and not public else None,
                withheld=withheld,
                name_consent=citation.name_consent,
            )
        )
    return shown


def examples_of(queryset):
    """Citations with what deciding needs, in one query."""
    return queryset.select_related("post", "thread__group", "author").order_by("created", "pk")
