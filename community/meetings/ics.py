"""Meetings as iCalendar (RFC 5545), for one meeting's ``.ics`` file and a member's feed.

Made with the ``icalendar`` package, in the form Outlook (which most municipalities use)
reads without complaint: ``METHOD:PUBLISH``, a ``VTIMEZONE`` for Europe/Amsterdam with the
times given in it (``DTSTART;TZID=Europe/Amsterdam``), ``DTSTAMP`` in UTC, a UID that never
changes for a meeting and a ``SEQUENCE`` that moves when its time or place changes, so that
calendar programs update the event instead of adding a second one.

The join link of a webinar is written only into calendars of members who may see it
(``can_see_join_link``): registered members and organisers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from community.meetings.models import CalendarFeed, Meeting, Registration

TZID = "Europe/Amsterdam"
FEED_SALT = "meetings.calendar-feed"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Samenleven//Meetings//NL")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", TZID)
    calendar.add_component(amsterdam())
    return calendar


def amsterdam() -> Timezone:
    """Europe/Amsterdam as Outlook itself writes it: summer time from the last Sunday of March
    02:00 to the last Sunday of October 03:00 (the EU rule since 1996), as two yearly rules
    rather than a list of every change, which some versions of Outlook misread."""
    zone = Timezone()
    zone.add("tzid", TZID)
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1970, 10, 25, 3, 0))
    standard.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    standard.add("tzoffsetfrom", timedelta(hours=2))
    standard.add("tzoffsetto", timedelta(hours=1))
    standard.add("tzname", "CET")
    daylight = TimezoneDaylight()
    daylight.add("dtstart", datetime(1970, 3, 29, 2, 0))
    daylight.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    daylight.add("tzoffsetfrom", timedelta(hours=1))
    daylight.add("tzoffsetto", timedelta(hours=2))
    daylight.add("tzname", "CEST")
    zone.add_component(standard)
    zone.add_component(daylight)
    return zone


def _event(meeting: Meeting, *, status: str | None, show_join_link: bool, stamp: datetime) -> Event:
    zone = timezone.get_default_timezone()
    url = settings.SITE_URL + meeting.get_absolute_url()
    event = Event()
    event.add("uid", f"{meeting.uid}@samenleven")
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("created", meeting.created.astimezone(UTC))
    event.add("last-modified", meeting.updated.astimezone(UTC))
    event.add("sequence", meeting.sequence)
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", meeting.title)
    lines = [meeting.description]
    if status == Registration.Status.WAITING:
        lines.append(_("You are on the waiting list."))
    elif status is None:
        lines.append(_("You are not registered: register on the meeting's page."))
    if show_join_link:
        lines.append(_("Join online: %(link)s") % {"link": meeting.join_url})
    lines.append(url)
    event.add("description", "\n\n".join(lines))
    place = ", ".join(part for part in (meeting.location_name, meeting.address) if part)
    if meeting.kind == Meeting.Kind.ONLINE:
        place = meeting.join_url if show_join_link else _("Online")
    if place:
        event.add("location", place)
    event.add("url", url)
    event.add("status", "CONFIRMED" if status == Registration.Status.REGISTERED else "TENTATIVE")
    event.add("transp", "OPAQUE" if status == Registration.Status.REGISTERED else "TRANSPARENT")
    return event


def meeting_calendar(meeting: Meeting, *, status: str | None, show_join_link: bool, language: str) -> bytes:
    """One meeting as an ``.ics`` file."""
    with translation.override(language):
        calendar = _calendar(meeting.title)
        calendar.add_component(_event(meeting, status=status, show_join_link=show_join_link, stamp=timezone.now()))
        return calendar.to_ical()


def feed_calendar(entries: Iterable[tuple[Meeting, str | None, bool]], *, language: str) -> bytes:
    """A member's feed: ``(meeting, their registration status or None, show the join link)``."""
    with translation.override(language):
        calendar = _calendar(_("Samenleven meetings"))
        now = timezone.now()
        for meeting, status, show_join_link in entries:
            calendar.add_component(_event(meeting, status=status, show_join_link=show_join_link, stamp=now))
        return calendar.to_ical()


# --- The feed's link ---------------------------------------------------------------------


def feed_token(feed: CalendarFeed) -> str:
    """``<member id>.<key>.<signature>``: the key is random and stored (a new one revokes the
    link), the signature needs the site's secret, so the database alone does not give links."""
    return signing.Signer(salt=FEED_SALT, sep=".").sign(f"{feed.member_id}.{feed.key}")


def feed_from_token(token: str) -> CalendarFeed | None:
    """The feed this token belongs to, or None when it was renewed, forged or malformed."""
    try:
        value = signing.Signer(salt=FEED_SALT, sep=".").unsign(token)
    except signing.BadSignature:
        return None
    member_id, _sep, key = value.partition(".")
    if not member_id.isdigit() or not key:
        return None
    feed = CalendarFeed.objects.select_related("member__municipality").filter(member_id=int(member_id)).first()
    if feed is None or not signing.constant_time_compare(feed.key, key):
        return None
    return feed
