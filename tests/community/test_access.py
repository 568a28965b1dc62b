"""Who sees forum content: only approved members who are not suspended.

The walk tests visit every URL pattern of the site, so a new page that forgets
the rule fails here without anyone having to remember to add a test.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from community.models import Group, Member
from community.tokens import make_verification_token
from tests.factories import GroupFactory, MemberFactory

pytestmark = pytest.mark.django_db

SECRET_DESCRIPTION = "Alleen voor leden: het draaiboek voor de opvang"
SECRET_NAME = "Zichtbaar Alleen Voorleden"
# Pages that a member without forum access may see (their own account) or that are public.
ACCOUNT_AND_PUBLIC = {
    "home",
    "healthz",
    # Figures for Prometheus, no content: served to METRICS_ALLOWED addresses (the test client's 127.0.0.1).
    "metrics",
    "set_language",
    "signup",
    "signup_sent",
    "login",
    "logout",
    "verify_email",
    "resend_verification",
    "account_status",
    "edit_profile",
    "change_password",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "log_out_everywhere",
    # Privacy (GDPR): every member may download their data or delete their account.
    "privacy",
    "export_data",
    "delete_account",
    # E-mail preferences belong to the account; one-click unsubscribe needs no login (RFC 8058).
    "email_settings",
    "unsubscribe",
    # Two-step verification belongs to the account too.
    "two_factor",
    "two_factor_setup",
    "two_factor_codes",
    "two_factor_new_codes",
    "two_factor_turn_off",
    "two_factor_verify",
    "two_factor_recovery",
    # Handelingsperspectieven the programme made public: readable without an account (the rest
    # of /perspectives/ sends visitors to log in: tests/perspectives/test_pages.py).
    "perspectives",
    "perspective",
    "perspective_version",
    "perspectives_feed",
    # A member's calendar feed: read by calendar programs without a login, the token is the key
    # (it answers 404 for a bad token and for members who may not take part).
    "meeting_feed",
}


def all_routes(patterns=None, prefix="", namespace=""):
    """(name, path template) for every URL pattern outside the admin."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            yield from all_routes(entry.url_patterns, prefix + route, entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield (entry.name, prefix + route)


def fill(route: str, values: dict[str, str]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values[match.group(1)], route)


@pytest.fixture
def world(dutch_data, staff, member, pending_member):
    group = GroupFactory(slug="opvang", name="Opvang", description=SECRET_DESCRIPTION)
    MemberFactory(name=SECRET_NAME, handle="zichtbaar", municipality=member.municipality)
    return {
        "handle": "zichtbaar",
        "code": "GM0518",
        "slug": group.slug,
        "pk": str(pending_member.pk),
        "token": make_verification_token(pending_member),
        "uidb64": "MQ",
        "last_id": "0",
        "thread_id": str(pending_member.pk),
        "number": "1",
        "target": "thread",
        "step": "select",
    }


def assert_no_forum_content(response):
    body = response.content.decode(errors="replace")
    assert SECRET_DESCRIPTION not in body
    assert SECRET_NAME not in body
    assert "Regio Zuid-Holland" not in body and "Region Zuid-Holland" not in body


def walk(client, values, as_member=None):
    """Visit every route with GET and POST, logged in as ``as_member`` each time
    (logging out is one of the routes); yield (name, method, path, response)."""
    for name, route in all_routes():
        path = fill(route, values)
        for method in ("get", "post"):
            if as_member is not None:
                client.force_login(Member.objects.get(pk=as_member.pk), backend="community.auth.EmailBackend")
            yield name, method, path, getattr(client, method)(path)


def test_the_walk_covers_every_page_of_the_site():
    names = {name for name, _route in all_routes()}
    assert {
        "members",
        "member",
        "municipalities",
        "municipality",
        "groups",
        "group",
        "moderation",
        "approve_signup",
    } <= names
    assert names >= ACCOUNT_AND_PUBLIC


@pytest.mark.parametrize("state", ["pending", "unverified", "suspended"])
def test_a_member_without_forum_access_sees_only_their_account_pages(client, world, pending_member, state):
    if state == "unverified":
        Member.objects.filter(pk=pending_member.pk).update(email_verified_at=None)
    if state == "suspended":
        Member.objects.filter(pk=pending_member.pk).update(
            status="suspended", suspended_until=timezone.now() + timedelta(days=7), status_reason="Spam"
        )
    visited = 0
    for name, method, path, response in walk(client, world, as_member=pending_member):
        visited += 1
        assert_no_forum_content(response)
        if name in ACCOUNT_AND_PUBLIC:
            continue
        assert response.status_code in (302, 405), f"{method.upper()} {path} answered {response.status_code}"
        if response.status_code == 302:
            assert response.url == reverse("account_status"), f"{method.upper()} {path} went to {response.url}"
    assert visited >= 40
    # Nothing the walk posted changed anything.
    assert Member.objects.get(pk=pending_member.pk).status == ("suspended" if state == "suspended" else "pending")


def test_an_anonymous_visitor_sees_only_the_public_pages(client, world):
    for name, method, path, response in walk(client, world):
        assert_no_forum_content(response)
        if name in ACCOUNT_AND_PUBLIC:
            continue
        assert response.status_code in (302, 405), f"{method.upper()} {path} answered {response.status_code}"
        if response.status_code == 302:
            assert response.url.startswith(reverse("login")), f"{method.upper()} {path} went to {response.url}"


def test_a_suspension_that_has_run_out_no_longer_blocks(client, login, member):
    Member.objects.filter(pk=member.pk).update(
        status="suspended", suspended_until=timezone.now() - timedelta(minutes=1)
    )
    login(Member.objects.get(pk=member.pk))
    assert client.get(reverse("groups")).status_code == 200


def test_the_status_page_explains_a_suspension(client, login, member):
    until = timezone.now() + timedelta(days=3)
    Member.objects.filter(pk=member.pk).update(
        status="suspended", suspended_until=until, status_reason="Herhaald off-topic"
    )
    login(Member.objects.get(pk=member.pk))
    response = client.get(reverse("account_status"))
    assert "Herhaald off-topic" in response.content.decode()
    assert response.context["member"].is_suspended


def test_rejected_and_deactivated_members_cannot_log_in(client, member):
    from tests.factories import PASSWORD

    Member.objects.filter(pk=member.pk).update(status="rejected", is_active=False)
    response = client.post(reverse("login"), {"username": member.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_an_approved_member_sees_the_forum(client, login, member):
    login(member)
    response = client.get(reverse("group", args=["zuid-holland"]))
    assert response.status_code == 200
    assert Group.objects.get(slug="zuid-holland").name in response.content.decode()
