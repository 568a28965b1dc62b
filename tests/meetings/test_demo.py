"""``manage.py seed_demo`` brings a past bijeenkomst with its report and thread, and a coming
webinar with questions and votes; running it again adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from community.meetings.demo import PAST_TITLE, WEBINAR_TITLE
from community.meetings.models import Meeting, Vote
from threads.models import Thread

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_past_meeting_with_its_report_thread_and_a_coming_webinar_with_votes(dutch_data, themes):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    past = Meeting.objects.get(title=PAST_TITLE)
    assert past.ends_at < timezone.now() and "Amersfoort" in past.address
    assert past.report_html and Thread.objects.get(pk=past.report_thread_id).group.slug == "utrecht"
    assert past.registrations.filter(attended=True).count() == 3
    webinar = Meeting.objects.get(title=WEBINAR_TITLE)
    assert webinar.starts_at > timezone.now() and webinar.kind == "online"
    assert webinar.questions.count() == 4 and Vote.objects.filter(question__meeting=webinar).count() == 7
    assert "Demo meetings: 2 created." in out.getvalue()
    call_command("seed_demo", stdout=out)
    assert "Demo meetings: 0 created." in out.getvalue() and Meeting.objects.count() == 2
