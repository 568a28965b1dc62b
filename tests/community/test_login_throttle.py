"""Failed logins: counted per address and client, per address from everywhere, and per
client; counted before the password is checked, so parallel guesses get no extra try;
the owner hears of guessing from elsewhere (community.throttle.login_attempt)."""

from __future__ import annotations

import threading
import time
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connections
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from community.auth import EmailBackend
from community.forms import ThrottledLoginForm
from tests.factories import PASSWORD

LIMITS = {"per_address_and_ip": 5, "per_address": 50, "per_ip": 20, "window_seconds": 900, "warn_after": 10}


@pytest.fixture
def limits(settings):
    settings.LOGIN_THROTTLE = dict(LIMITS)
    return settings.LOGIN_THROTTLE


def log_in(client, email: str, password: str, ip: str):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def outcome(response) -> str:
    """``logged in``, or the code of the login form's error."""
    if response.status_code == 302:
        return "logged in"
    return response.context["form"].non_field_errors().as_data()[0].code


@pytest.mark.django_db
def test_the_owner_still_logs_in_from_their_own_network_while_someone_elsewhere_guesses(client, limits, ambassador):
    guesses = [outcome(log_in(client, ambassador.email, f"gok-{number}", "198.51.100.66")) for number in range(8)]
    assert guesses == ["invalid_login"] * 5 + ["throttled"] * 3
    assert outcome(log_in(client, ambassador.email, PASSWORD, "198.51.100.66")) == "throttled"
    assert outcome(log_in(client, ambassador.email, PASSWORD, "203.0.113.10")) == "logged in"


@pytest.mark.django_db
def test_guesses_from_many_places_stop_at_the_ceiling_for_the_address(client, limits, member):
    limits["per_address"] = 12
    outcomes = [
        outcome(log_in(client, member.email, "fout", f"198.51.100.{number // 5}"))  # five from each place
        for number in range(15)
    ]
    assert outcomes == ["invalid_login"] * 12 + ["throttled"] * 3
    assert outcome(log_in(client, member.email, PASSWORD, "203.0.113.10")) == "throttled"
    assert outcome(log_in(client, "iemand.anders@gemeente.example", "fout", "203.0.113.10")) == "invalid_login"


@pytest.mark.django_db
def test_a_successful_login_does_not_count_as_a_failure(client, limits, member):
    for _attempt in range(4):
        log_in(client, member.email, "fout", "203.0.113.10")
    for _login in range(3):
        assert outcome(log_in(client, member.email, PASSWORD, "203.0.113.10")) == "logged in"
        client.post(reverse("logout"))
    assert outcome(log_in(client, member.email, "fout", "203.0.113.10")) == "invalid_login"
    assert outcome(log_in(client, member.email, "fout", "203.0.113.10")) == "throttled"


@pytest.mark.django_db
def test_the_refusal_is_translated_and_the_same_with_and_without_an_account(client, limits, member):
    pages = {}
    for email in (member.email, "niemand@gemeente.example"):
        for _attempt in range(5):
            log_in(client, email, "fout", "198.51.100.66")
        response = log_in(client, email, "fout", "198.51.100.66")
        pages[email] = (response.status_code, response.context["form"].non_field_errors())
    assert pages[member.email] == pages["niemand@gemeente.example"]
    with translation.override("nl"):
        dutch = ngettext(
            "Too many failed login attempts. Try again in %(minutes)d minute, or reset your password.",
            "Too many failed login attempts. Try again in %(minutes)d minutes, or reset your password.",
            15,
        ) % {"minutes": 15}
    assert dutch.startswith("Je hebt te vaak geprobeerd in te loggen")
    assert pages[member.email] == (200, [dutch])


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_get_no_extra_guess(limits, member):
    """Ten guesses at once, each as slow as a production password check, from one
    client: exactly five are checked, five refused. (Checking the count first and
    recording the failure after the slow check let all ten through.)"""
    parallel = 10
    start = threading.Barrier(parallel)
    original = EmailBackend.authenticate

    def slow_authenticate(self, request, username=None, password=None, **kwargs):
        time.sleep(0.2)
        return original(self, request, username=username, password=password, **kwargs)

    codes: list[str] = []

    def guess(number: int) -> None:
        try:
            request = RequestFactory().post(reverse("login"), REMOTE_ADDR="198.51.100.66")
            form = ThrottledLoginForm(request, data={"username": member.email, "password": f"gok-{number}"})
            start.wait(timeout=10)
            form.is_valid()
            codes.append(form.non_field_errors().as_data()[0].code)
        finally:
            connections.close_all()

    with mock.patch.object(EmailBackend, "authenticate", slow_authenticate):
        threads = [threading.Thread(target=guess, args=(number,)) for number in range(parallel)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(codes) == ["invalid_login"] * 5 + ["throttled"] * 5


# --- The owner hears of it ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_owner_is_mailed_once_when_guesses_from_elsewhere_pass_the_threshold(
    client, limits, member, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://samenleven.example.nl"
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(9):
            log_in(client, member.email, "fout", f"198.51.100.{number // 5}")
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(9, 30):
            log_in(client, member.email, "fout", f"198.51.100.{number // 5}")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [f"{member.name} <{member.email}>"]
    with translation.override("nl"):
        assert message.subject == "Mislukte pogingen om in te loggen op je Samenleven-account"
    assert "https://samenleven.example.nl/accounts/password/" in message.body
    assert "https://samenleven.example.nl/accounts/password/" in message.alternatives[0][0]
    assert "10" in message.body and "15" in message.body  # failures, minutes


@pytest.mark.django_db
def test_the_warning_is_written_in_the_owners_language(client, limits, member, django_capture_on_commit_callbacks):
    member.language = "en"
    member.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(10):
            log_in(client, member.email, "fout", f"198.51.100.{number // 5}")
    assert mail.outbox[0].subject == "Failed attempts to log in to your Samenleven account"
    assert "still safe" in mail.outbox[0].body


@pytest.mark.django_db
def test_mistakes_from_one_place_do_not_mail_the_owner(client, limits, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(30):
            log_in(client, member.email, "fout", "203.0.113.10")
    assert mail.outbox == []


@pytest.mark.django_db
def test_guessing_at_an_address_without_an_account_mails_nobody(
    client, limits, dutch_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(20):
            log_in(client, "niemand@gemeente.example", "fout", f"198.51.100.{number // 5}")
    assert mail.outbox == []


def test_the_threshold_for_the_warning_is_above_what_one_client_may_try():
    limits = django_settings.LOGIN_THROTTLE
    assert limits["warn_after"] > limits["per_address_and_ip"]
    assert limits["per_address"] >= 10 * limits["per_address_and_ip"]
