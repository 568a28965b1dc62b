"""The report and its follow-up thread, and meetings on the home, group, municipality and
search pages and in the digest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.meetings import actions
from community.meetings.models import Meeting
from community.models import Group, Region, Typology
from notifications.email.digests import send_digests
from notifications.models import Notification, OutboxMessage
from tests.meetings.conftest import JOIN_URL, make_meeting
from threads.models import Thread

pytestmark = pytest.mark.django_db


def past_meeting(staff):
    start = timezone.now() - timedelta(days=2)
    return make_meeting(
        staff, title="Bijeenkomst Amersfoort", kind="location", address="Stadhuisplein 1, Amersfoort",
        starts_at=start, ends_at=start + timedelta(hours=3), typologies=[Typology.objects.get(slug="g4")],
    )  # fmt: skip


def test_publishing_the_report_opens_the_follow_up_thread_with_safe_html(client, login, staff, member, themes):
    meeting = past_meeting(staff)
    group = Group.objects.get(slug="g4")
    login(staff)
    report = "## Wat we bespraken\n\n- huisvesting\n\n<script>alert(1)</script> [presentatie](https://example.nl/p.pdf)"
    response = client.post(f"/meetings/{meeting.pk}/report/", {"report": report, "group": group.pk})
    assert response.status_code == 302
    meeting.refresh_from_db()
    thread = Thread.objects.get(pk=meeting.report_thread_id)
    assert thread.group == group and thread.title == "Verslag: Bijeenkomst Amersfoort"
    assert "<h4>Wat we bespraken</h4>" in meeting.report_html and "<script>" not in meeting.report_html
    assert 'href="https://example.nl/p.pdf"' in meeting.report_html
    assert f"/meetings/{meeting.pk}/" in thread.posts.get(number=1).html
    login(member)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert f'href="/t/{thread.pk}/"' in page and "<h4>Wat we bespraken</h4>" in page
    # A correction changes the report, not the thread.
    login(staff)
    client.post(f"/meetings/{meeting.pk}/report/", {"report": "Gecorrigeerd verslag", "group": group.pk})
    meeting.refresh_from_db()
    assert meeting.report_thread_id == thread.pk and "Gecorrigeerd verslag" in meeting.report_html
    assert Thread.objects.filter(title__startswith="Verslag").count() == 1


def test_the_report_tells_the_registered_members(staff, member, themes):
    meeting = make_meeting(staff)
    actions.register(member=member, meeting=meeting)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1)
    )
    meeting.refresh_from_db()
    actions.publish_report(actor=staff, meeting=meeting, report="Verslag", group=Group.objects.get(slug="het-plein"))
    assert Notification.objects.filter(recipient=member, kind="meeting_report", meeting=meeting).count() == 1


def test_coming_meetings_show_on_the_home_group_and_municipality_pages(client, login, staff, member, outsider, themes):
    for_g4 = make_meeting(staff, title="Webinar voor de G4", typologies=[Typology.objects.get(slug="g4")])
    for_limburg = make_meeting(staff, title="Webinar voor Limburg", regions=[Region.objects.get(slug="limburg")])
    login(member)
    home = client.get("/").content.decode()
    assert "Webinar voor de G4" in home and "Webinar voor Limburg" not in home
    assert "Webinar voor de G4" in client.get("/groups/g4/").content.decode()
    municipality = client.get("/municipalities/GM0518/").content.decode()
    assert "Webinar voor de G4" in municipality and "Webinar voor Limburg" not in municipality
    login(outsider)
    assert "Webinar voor Limburg" in client.get("/").content.decode()
    assert "Webinar voor Limburg" in client.get("/groups/limburg/").content.decode()
    assert for_g4 and for_limburg


def test_search_has_a_section_with_matching_meetings(client, login, staff, member, themes):
    make_meeting(staff, title="Webinar over huisvesting van arbeidsmigranten")
    login(member)
    body = client.get("/search/?q=huisvesting").content.decode()
    assert "Webinar over huisvesting van arbeidsmigranten" in body
    assert "Webinar over huisvesting" not in client.get("/search/?q=onderwijs").content.decode()


def test_the_home_block_costs_a_fixed_number_of_queries(client, login, staff, member, themes):
    """Guards the block: the meetings, the member's registrations and the municipality's typologies."""
    from tests.conftest import assert_queries, steady_queries

    make_meeting(staff, title="Eerste webinar")
    login(member)
    assert_queries(steady_queries(client, "/"), 5, "/ with one meeting")
    for number in range(10):
        meeting = make_meeting(staff, title=f"Webinar {number}")
        actions.register(member=member, meeting=meeting)
    assert_queries(steady_queries(client, "/"), 5, "/ with eleven meetings")


def test_the_digest_lists_the_coming_meetings_for_the_member_without_join_links(staff, member, outsider, themes):
    today = timezone.localdate()
    start = timezone.now() + timedelta(days=3)
    make_meeting(
        staff,
        title="Webinar voor de G4",
        typologies=[Typology.objects.get(slug="g4")],
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    registered = make_meeting(
        staff, title="Webinar waarvoor Fatima zich aanmeldde", starts_at=start, ends_at=start + timedelta(hours=1)
    )
    actions.register(member=member, meeting=registered)
    from notifications.models import EmailPreference

    for who in (member, outsider):
        EmailPreference.objects.update_or_create(member=who, defaults={"digest": "daily"})
    send_digests(frequency="daily", today=today)
    fatima = OutboxMessage.objects.get(recipient=member, kind="digest_daily")
    assert "Webinar voor de G4" in fatima.text and "Webinar waarvoor Fatima zich aanmeldde" in fatima.text
    assert JOIN_URL not in fatima.text and JOIN_URL not in fatima.html
    iris = OutboxMessage.objects.get(recipient=outsider, kind="digest_daily")
    assert (
        "Webinar voor de G4" not in iris.text and "Webinar waarvoor Fatima" in iris.text
    )  # for everybody: no typology, no province
