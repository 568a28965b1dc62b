"""Who may do what with meetings, written once.

Pure functions over the member (their roles loaded once per request), the meeting (its
organisers prefetched) and the member's registration for it (or None), read once by the
view: no queries. ``access_meeting`` fetches or answers 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from community.permissions import is_participant

if TYPE_CHECKING:
    from community.meetings.models import Meeting, Question, Registration
    from community.models import Member


def can_view_meetings(member: Member | None) -> bool:
    """Every approved member sees the agenda and every meeting (the invitations say who it is for)."""
    return is_participant(member)


def can_create_meeting(member: Member | None) -> bool:
    """The programme team and the ambassadors organise meetings."""
    return is_participant(member) and (member.is_staff or member.roles.is_ambassador)


def is_organiser(member: Member | None, meeting: Meeting) -> bool:
    return is_participant(member) and (member.is_staff or member.pk in meeting.organiser_ids)


def can_manage_meeting(member: Member | None, meeting: Meeting) -> bool:
    """Edit, invite, moderate its questions, record who came, publish the report."""
    return is_organiser(member, meeting)


def is_registered(registration: Registration | None) -> bool:
    return registration is not None and registration.status == "registered"


def is_waiting(registration: Registration | None) -> bool:
    return registration is not None and registration.status == "waiting"


def registration_open(meeting: Meeting) -> bool:
    return timezone.now() < meeting.closes_at and timezone.now() < meeting.ends_at


def can_register(member: Member | None, meeting: Meeting, registration: Registration | None) -> bool:
    return (
        is_participant(member)
        and registration_open(meeting)
        and not (is_registered(registration) or is_waiting(registration))
    )


def can_cancel_registration(member: Member | None, meeting: Meeting, registration: Registration | None) -> bool:
    """Until the meeting starts."""
    return (
        is_participant(member)
        and (is_registered(registration) or is_waiting(registration))
        and timezone.now() < meeting.starts_at
    )


def can_see_join_link(member: Member | None, meeting: Meeting, registration: Registration | None) -> bool:
    """The webinar's link: for registered members and organisers only, everywhere
    (pages, e-mails, calendar feeds, the socket)."""
    return (
        bool(meeting.join_url)
        and meeting.is_online
        and (is_organiser(member, meeting) or (is_participant(member) and is_registered(registration)))
    )


def can_follow_live(member: Member | None, meeting: Meeting, registration: Registration | None) -> bool:
    """Who joins the meeting's channel group (``notifications.groups.may_join_meeting_group``)
    and opens its live page: registered members and organisers."""
    return is_organiser(member, meeting) or (is_participant(member) and is_registered(registration))


def can_see_questions(member: Member | None, meeting: Meeting, registration: Registration | None) -> bool:
    return can_follow_live(member, meeting, registration)


def can_ask_question(member: Member | None, meeting: Meeting, registration: Registration | None) -> bool:
    """Registered members (and organisers) ask questions beforehand and during the meeting."""
    return can_follow_live(member, meeting, registration) and timezone.now() < meeting.ends_at


def can_vote(member: Member | None, question: Question, registration: Registration | None, meeting: Meeting) -> bool:
    """Registered members vote on other members' open questions until the meeting ends."""
    return (
        is_participant(member)
        and is_registered(registration)
        and question.is_listed
        and question.status != "answered"
        and question.author_id != member.pk
        and timezone.now() < meeting.ends_at
    )


def can_see_asker(member: Member | None, question: Question, meeting: Meeting) -> bool:
    """Anonymous to other members, never to organisers (nor to the asker)."""
    if not question.anonymous:
        return True
    return question.author_id == getattr(member, "pk", None) or is_organiser(member, meeting)


def can_moderate_questions(member: Member | None, meeting: Meeting) -> bool:
    return can_manage_meeting(member, meeting)


def can_publish_report(member: Member | None, meeting: Meeting) -> bool:
    """Once the meeting has started, its organisers publish (and later correct) the report."""
    return can_manage_meeting(member, meeting) and meeting.starts_at <= timezone.now()


def can_invite(member: Member | None, meeting: Meeting) -> bool:
    return can_manage_meeting(member, meeting) and not meeting.is_past


def invitable_groups(member: Member) -> Q:
    """Which groups an organiser invites (a filter on groups): staff every typology and
    regional group, an ambassador every typology group and the regional groups they moderate."""
    if member.is_staff:
        return Q(kind__in=["typology", "region"])
    return Q(kind="typology") | Q(kind="region", pk__in=member.roles.moderated_group_ids)


def check_manage_meeting(member: Member, meeting: Meeting) -> None:
    if not can_manage_meeting(member, meeting):
        raise PermissionDenied(_("Only the organisers of this meeting and the programme team may do this."))


def check_create_meeting(member: Member) -> None:
    if not can_create_meeting(member):
        raise PermissionDenied(_("Only the programme team and the ambassadors organise meetings."))


def access_meeting(member: Member, pk: int) -> Meeting:
    """A meeting the member may see, with its page data, or 404."""
    from community.meetings.models import Meeting

    if not can_view_meetings(member):
        raise Http404
    meeting = Meeting.objects.with_page_data().filter(pk=pk).first()
    if meeting is None:
        raise Http404
    return meeting
