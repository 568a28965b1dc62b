"""One-click unsubscribe (RFC 8058): a signed link, no login, no CSRF token."""

from __future__ import annotations

import json
import time

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from community.actions import set_language
from community.models import Member
from notifications.email.preferences import bulk_settings
from notifications.email.unsubscribe import DIGEST, kind_scope, make_token, mask_email, read_token
from notifications.models import EmailPreference

pytestmark = pytest.mark.django_db


@pytest.fixture
def anonymous() -> Client:
    """A mail program: no session, and CSRF checks on as in production."""
    return Client(enforce_csrf_checks=True)


INVALID = "The link is not valid: it may be incomplete or altered. Nothing has been changed."
EXPIRED = "The link has expired. Nothing has been changed."


def in_dutch(message: str) -> str:
    """The page speaks the member's language (Dutch here), with the catalogue as it stands."""
    with translation.override("nl"):
        return escape(translation.gettext(message))


def url(token: str) -> str:
    return reverse("unsubscribe", args=[token])


def test_get_shows_what_will_stop_in_the_members_language_and_changes_nothing(anonymous, member):
    set_language(member=member, language="en")
    response = anonymous.get(url(make_token(member.pk, DIGEST)))
    assert response.status_code == 200 and response["Content-Language"] == "en"
    body = response.content.decode()
    assert "stop the digest (the daily or weekly summary)" in body
    assert 'method="post"' in body
    assert not EmailPreference.objects.filter(member=member).exists()


@pytest.mark.parametrize("method", ["get", "post", "post-everything"])
def test_whoever_holds_the_link_sees_the_address_masked_enough_for_its_owner_to_recognise(anonymous, member, method):
    Member.objects.filter(pk=member.pk).update(email="fatima.el-amrani@denhaag.nl")
    token_url = url(make_token(member.pk, DIGEST))
    if method == "get":
        response = anonymous.get(token_url)
    else:
        response = anonymous.post(token_url, {"everything": "1"} if method == "post-everything" else {})
    body = response.content.decode()
    assert response.status_code == 200
    assert "f•••••••••••••••@d••••••.nl" in body
    for part in ("fatima", "el-amrani", "denhaag", "atima"):
        assert part not in body, part


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("fatima@delft.nl", "f•••••@d••••.nl"),
        ("jan@mail.gemeente.example", "j••@m•••.g•••••••.example"),
        ("a@b.nl", "a•@b•.nl"),
        ("zoë@bücher.example", "z••@b•••••.example"),
        ("localhost-only", "l•••••••••••••"),
    ],
)
def test_an_address_is_masked_but_for_first_letters_and_the_top_level_domain(address, masked):
    assert mask_email(address) == masked


def test_the_one_click_post_stops_the_digest_without_session_or_csrf_token(anonymous, member):
    response = anonymous.post(
        url(make_token(member.pk, DIGEST)),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    settings = bulk_settings([member.pk])[member.pk]
    assert settings.digest == "off"
    assert settings.delivery("mentioned") == "immediately", "only what the link names stops"


def test_a_kind_link_stops_that_kind_only(anonymous, member):
    anonymous.post(url(make_token(member.pk, kind_scope("mentioned"))), {"List-Unsubscribe": "One-Click"})
    settings = bulk_settings([member.pk])[member.pk]
    assert settings.delivery("mentioned") == "never"
    assert settings.delivery("replied") == "immediately" and settings.digest == "weekly"


def test_the_page_can_stop_all_forum_e_mail(anonymous, member):
    anonymous.post(url(make_token(member.pk, kind_scope("replied"))), {"everything": "1"})
    settings = bulk_settings([member.pk])[member.pk]
    assert settings.digest == "off" and set(settings.as_choices().values()) == {"never"}


def test_unsubscribing_twice_is_harmless(anonymous, member):
    token = make_token(member.pk, DIGEST)
    assert anonymous.post(url(token)).status_code == 200
    assert anonymous.post(url(token)).status_code == 200
    assert bulk_settings([member.pk])[member.pk].digest == "off"


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_token_gets_a_clear_error_and_changes_nothing(anonymous, member, colleague, method):
    token = make_token(member.pk, DIGEST)
    payload, timestamp, signature = token.split(":")
    other_payload = signing.b64_encode(
        json.dumps({"m": colleague.pk, "s": DIGEST}, separators=(",", ":")).encode()
    ).decode()
    forged = {
        "altered signature": f"{payload}:{timestamp}:{signature[:-2]}xx",
        "someone else's id": f"{other_payload}:{timestamp}:{signature}",
        "signed with another salt": signing.dumps({"m": member.pk, "s": DIGEST}, salt="samenleven.verify-email"),
        "garbage": "niet-een-token",
    }
    for label, bad in forged.items():
        response = getattr(anonymous, method)(url(bad))
        assert response.status_code == 400, label
        assert in_dutch(INVALID) in response.content.decode(), label
    assert not EmailPreference.objects.exists()


def test_an_expired_token_says_so_and_changes_nothing(anonymous, member, settings, monkeypatch):
    token = make_token(member.pk, DIGEST)
    real_time = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + settings.UNSUBSCRIBE_MAX_AGE + 60)
    response = anonymous.post(url(token), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 400
    assert in_dutch(EXPIRED) in response.content.decode()
    assert not EmailPreference.objects.exists()


def test_a_token_for_an_unknown_kind_is_refused(member):
    with pytest.raises(signing.BadSignature):
        read_token(make_token(member.pk, kind_scope("no_such_kind")))
