"""Rate limits on threads, replies and flags (settings.RATE_LIMITS): stricter in a
member's first week, answered with a clear message that keeps what they typed,
counted in the cache so that they hold across processes (Redis in production)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from community import throttle
from community.models import Group, Member, Municipality
from tests.conftest import approved_member
from tests.threads.conftest import make_thread
from threads.models import Flag, Post, Thread

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def newcomer(dutch_data, staff):
    """Noor from Westland, approved an hour ago."""
    return approved_member(Municipality.objects.get(code="GM1783"), name="Noor Bakker", handle="noor")


def established(member: Member) -> Member:
    Member.objects.filter(pk=member.pk).update(
        approved_at=timezone.now() - timedelta(days=settings.NEW_MEMBER_DAYS + 1)
    )
    return Member.objects.get(pk=member.pk)


def new_thread(client, themes, number: int):
    return client.post(
        reverse("new_thread", args=["het-plein"]),
        {
            "title": f"Mijn vraag nummer {number}",
            "kind": "question",
            "body": f"Tekst van vraag {number}",
            "themes": [themes[0].pk],
        },
    )


def test_a_new_member_starts_one_thread_per_five_minutes_and_keeps_what_they_typed(client, login, newcomer, themes):
    login(newcomer)
    assert new_thread(client, themes, 1).status_code == 302
    response = new_thread(client, themes, 2)
    assert response.status_code == 429
    body = response.content.decode()
    assert "Mijn vraag nummer 2" in body and "Tekst van vraag 2" in body  # what they typed, back in the form
    message = response.context["form"].non_field_errors()[0]
    assert "1" in message and "5" in message
    assert Thread.objects.filter(author=newcomer).count() == 1


def test_after_a_week_the_limits_are_looser(client, login, newcomer, themes):
    login(established(newcomer))
    for number in range(5):
        assert new_thread(client, themes, number).status_code == 302
    assert new_thread(client, themes, 6).status_code == 429


def test_a_new_member_posts_ten_replies_per_ten_minutes(client, login, newcomer, member, themes):
    thread = make_thread(member, Group.objects.get(slug="het-plein"))
    login(newcomer)
    for number in range(10):
        assert client.post(reverse("reply", args=[thread.pk]), {"body": f"Reactie {number}"}).status_code == 302
    response = client.post(reverse("reply", args=[thread.pk]), {"body": "De elfde reactie, met zorg geschreven"})
    assert response.status_code == 429
    assert "De elfde reactie, met zorg geschreven" in response.content.decode()
    assert Post.objects.filter(author=newcomer).count() == 10
    login(established(newcomer))
    assert client.post(reverse("reply", args=[thread.pk]), {"body": "Een week later"}).status_code == 302


def test_the_message_is_in_the_members_language(client, login, newcomer, themes):
    """The message goes through the translation machinery in the language of the page
    (the Dutch wording comes with the catalogue, see make messages)."""
    from django.utils import translation

    from threads.views.posts import limit_message

    login(newcomer)
    new_thread(client, themes, 1)
    limit = throttle.limit_for(newcomer, "thread")
    response = new_thread(client, themes, 2)
    assert response["Content-Language"] == "nl"
    with translation.override("nl"):
        assert response.context["form"].non_field_errors()[0] == limit_message(limit)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = new_thread(client, themes, 3).context["form"].non_field_errors()[0]
    assert english.startswith("Slow down a little. You can start 1 thread per 5 minutes.")


def test_staff_and_moderators_have_no_limits(client, login, staff, ambassador, themes):
    for who in (staff, ambassador):
        login(who)
        for number in range(3):
            assert new_thread(client, themes, number).status_code == 302


def test_flags_are_limited_too(client, login, newcomer, member, themes, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "flag": {"new": {"count": 2, "window_seconds": 3600}, "established": {"count": 5, "window_seconds": 3600}},
    }
    thread = make_thread(member, Group.objects.get(slug="het-plein"), posts=3)
    posts = list(thread.posts.order_by("number"))
    login(newcomer)
    for post in posts[:2]:
        assert client.post(reverse("flag_post", args=[post.pk]), {"reason": "spam"}).status_code == 302
    response = client.post(reverse("flag_post", args=[posts[2].pk]), {"reason": "other", "text": "Mijn uitleg"})
    assert response.status_code == 429 and "Mijn uitleg" in response.content.decode()
    assert Flag.objects.count() == 2


def test_the_window_runs_out(client, login, newcomer, themes, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "thread": {"new": {"count": 1, "window_seconds": 1}, "established": {"count": 1, "window_seconds": 1}},
    }
    login(newcomer)
    assert new_thread(client, themes, 1).status_code == 302
    assert new_thread(client, themes, 2).status_code == 429
    time.sleep(1.2)
    assert new_thread(client, themes, 3).status_code == 302


def test_a_refused_action_does_not_use_up_the_limit(newcomer):
    limit = throttle.limit_for(newcomer, "thread")
    assert throttle.attempt(limit, newcomer)
    throttle.give_back(limit, newcomer)  # the action raised a DomainError
    assert throttle.attempt(limit, newcomer)
    assert not throttle.attempt(limit, newcomer)
    assert throttle.count(limit.scope, str(newcomer.pk)) == 1


def test_limits_can_be_switched_off(client, login, newcomer, themes, settings):
    settings.RATE_LIMITS_ENABLED = False
    login(newcomer)
    for number in range(3):
        assert new_thread(client, themes, number).status_code == 302


def test_the_limit_holds_across_processes_through_redis(client, login, newcomer, member, themes):
    """Another server process posting for the same member counts against the same limit."""
    from tests.needs import need_redis

    need_redis()
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    thread = make_thread(member, Group.objects.get(slug="het-plein"))
    login(newcomer)
    for number in range(9):
        assert client.post(reverse("reply", args=[thread.pk]), {"body": f"Reactie {number}"}).status_code == 302
    script = (
        "import django; django.setup()\n"
        "from community import throttle\n"
        f"print(throttle.count('rate-post', '{newcomer.pk}'), throttle.hit('rate-post', '{newcomer.pk}', window_seconds=600))\n"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "community.settings",
        # The Redis database and key prefix of this test process (a parallel run gives each its own).
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["9", "10"]
    assert client.post(reverse("reply", args=[thread.pk]), {"body": "Eén te veel"}).status_code == 429
