"""Where ``threads`` meets ``community.meetings`` (which must not import threads).

- The themes a meeting can be for are threads' themes: handed over as a list (``provide``).
- Blocks on the pages threads serves: the coming meetings on the home page, on typology
  and regional group pages and on municipality pages, and meetings that match a search.
- A published report: the meetings app sends ``report_published``; the receiver here
  renders the Markdown to safe HTML with the forum's own markup (``render_body``), opens the
  follow-up thread in the group the organiser chose (first publication only) and hands both
  back through ``community.meetings.actions.attach_report``, in the same transaction: the
  report and its thread exist together or not at all.

Connected in ``ThreadsConfig.ready``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from community.errors import DomainError
from community.meetings import actions as meeting_actions
from community.meetings import signals as meeting_signals
from community.meetings import themes as meeting_themes
from community.meetings.models import Meeting, Registration
from community.meetings.permissions import can_view_meetings
from community.models import Group
from threads import blocks
from threads.models import Theme, Thread

BLOCK_SIZE = 3
SEARCH_SIZE = 5


def _theme_choices() -> list[tuple[str, str]]:
    return list(Theme.objects.order_by("name").values_list("slug", "name"))


# --- Blocks -------------------------------------------------------------------------------


def _render(
    request, meetings: list[Meeting], *, heading: str, statuses: dict[int, str] | None = None, block: str
) -> str | None:
    if not meetings:
        return None
    rows = [(meeting, (statuses or {}).get(meeting.pk)) for meeting in meetings]
    return render_to_string("meetings/_block.html", {"rows": rows, "heading": heading, "block": block}, request=request)


def home_block(request, *, member, **context: Any) -> str | None:
    """The member's next meetings: those for their municipality and those they registered for
    (three queries: the municipality's typologies, the meetings, the member's registrations)."""
    if not can_view_meetings(member):
        return None
    meetings = list(Meeting.objects.upcoming().for_member(member)[:BLOCK_SIZE])
    statuses = dict(
        Registration.objects.current()
        .filter(member=member, meeting_id__in=[m.pk for m in meetings])
        .values_list("meeting_id", "status")
    )
    return _render(request, meetings, heading=_("Coming meetings"), statuses=statuses, block="home")


def group_block(request, *, group: Group, **context: Any) -> str | None:
    """On a typology group's page its typology's meetings, on a regional group's its province's (one query)."""
    if not can_view_meetings(request.user):
        return None
    if group.kind == Group.Kind.TYPOLOGY and group.typology_id:
        meetings = Meeting.objects.upcoming().filter(typologies=group.typology_id)
    elif group.kind == Group.Kind.REGION and group.region_id:
        meetings = Meeting.objects.upcoming().filter(regions=group.region_id)
    else:
        return None
    return _render(request, list(meetings[:BLOCK_SIZE]), heading=_("Coming meetings for this group"), block="group")


def municipality_block(request, *, municipality, **context: Any) -> str | None:
    """Meetings for the municipality's typologies (prefetched by the page) or province (one query)."""
    if not can_view_meetings(request.user):
        return None
    typology_ids = [typology.pk for typology in municipality.typologies.all()]
    meetings = Meeting.objects.upcoming().for_audience(typology_ids=typology_ids, region_id=municipality.region_id)
    return _render(
        request, list(meetings[:BLOCK_SIZE]), heading=_("Coming meetings for this municipality"), block="municipality"
    )


def search_block(request, *, query: str, **context: Any) -> str | None:
    """Meetings whose title, description or location hold every word of the search (one query)."""
    if not query or not can_view_meetings(request.user):
        return None
    meetings = list(Meeting.objects.search(query).order_by("-starts_at", "-id")[:SEARCH_SIZE])
    return _render(request, meetings, heading=_("Meetings"), block="search")


# --- The report ----------------------------------------------------------------------------


@receiver(meeting_signals.report_published, dispatch_uid="threads.meeting_report")
def open_report_thread(sender: Any, meeting: Meeting, actor, group_id: int, first: bool, **kwargs: Any) -> None:
    from threads.actions import create_thread, render_body
    from threads.permissions import can_post_announcement

    rendered = render_body(author=actor, body=meeting.report)
    thread_id = None
    if first:
        group = Group.objects.get(pk=group_id)
        themes = list(Theme.objects.filter(slug__in=meeting.themes))
        if not themes:
            raise DomainError(_("None of the meeting's themes exists any more: choose its themes again first."))
        with translation.override(settings.LANGUAGE_CODE):  # forum content is written in the site's language
            title = _("Report: %(title)s") % {"title": meeting.title}
            link = _("About the meeting: [%(title)s](%(url)s)") % {
                "title": meeting.title,
                "url": meeting.get_absolute_url(),
            }
        kind = Thread.Kind.ANNOUNCEMENT if can_post_announcement(actor, group) else Thread.Kind.EXPERIENCE
        thread = create_thread(
            author=actor, group=group, title=title, kind=kind, body=f"{meeting.report}\n\n{link}", themes=themes
        )
        thread_id = thread.pk
    meeting_actions.attach_report(meeting=meeting, html=rendered.html, thread_id=thread_id)


def connect() -> None:
    meeting_themes.provide(_theme_choices)
    blocks.register("home", "meetings", home_block, order=10)
    blocks.register("group", "meetings", group_block, order=10)
    blocks.register("municipality", "meetings", municipality_block, order=10)
    blocks.register("search", "meetings", search_block, order=10)
