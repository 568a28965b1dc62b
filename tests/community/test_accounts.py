"""Logging in and out, password reset, throttling, the profile and the language."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from community.models import Member
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_member_logs_in_with_their_e_mail_address_in_any_casing(client, member):
    response = client.post(reverse("login"), {"username": member.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == member.pk


def test_a_wrong_password_gets_a_clear_message(client, member):
    response = client.post(reverse("login"), {"username": member.email, "password": "fout"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_logging_out_needs_a_post(client, login, member):
    login(member)
    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


@override_settings(
    LOGIN_THROTTLE={"per_address_and_ip": 3, "per_address": 30, "per_ip": 100, "window_seconds": 600, "warn_after": 10}
)
def test_failed_logins_are_limited_per_address_from_one_client_even_with_the_right_password_afterwards(client, member):
    for _attempt in range(3):
        client.post(reverse("login"), {"username": member.email, "password": "fout"})
    response = client.post(reverse("login"), {"username": member.email, "password": PASSWORD})
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors().as_data()
    assert errors[0].code == "throttled"
    assert "10" in errors[0].message
    assert "_auth_user_id" not in client.session


@override_settings(
    LOGIN_THROTTLE={
        "per_address_and_ip": 100,
        "per_address": 100,
        "per_ip": 4,
        "window_seconds": 600,
        "warn_after": 101,
    }
)
def test_failed_logins_are_limited_per_ip_address_across_addresses(client, member):
    for number in range(4):
        client.post(reverse("login"), {"username": f"iemand{number}@gemeente.example", "password": "fout"})
    response = client.post(reverse("login"), {"username": member.email, "password": PASSWORD})
    assert response.context["form"].non_field_errors().as_data()[0].code == "throttled"
    other_ip = client.post(reverse("login"), {"username": member.email, "password": PASSWORD}, REMOTE_ADDR="10.1.2.3")
    assert other_ip.status_code == 302


def test_password_reset_looks_the_same_for_known_and_unknown_addresses(client, member):
    known = client.post(reverse("password_reset"), {"email": member.email})
    unknown = client.post(reverse("password_reset"), {"email": "onbekend@gemeente.example"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.email]
    assert "/accounts/password-reset/" in mail.outbox[0].body
    assert "&#x27;" not in mail.outbox[0].body


def test_the_reset_link_sets_a_new_password(client, member):
    client.post(reverse("password_reset"), {"email": member.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password-reset/" in line)
    path = link.split("testserver", 1)[1].strip()
    form_page = client.get(path, follow=True)
    new = "nieuw-en-lang-wachtwoord"
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password(new)


def test_a_member_edits_their_profile_and_handle(client, login, member):
    login(member)
    response = client.post(
        reverse("edit_profile"),
        {
            "name": "Fatima El Amrani",
            "handle": "F_Amrani",
            "position": "wethouder",
            "bio": "Wethouder integratie.",
            "language": "en",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.handle, member.bio, member.language) == (
        "Fatima El Amrani",
        "f_amrani",
        "Wethouder integratie.",
        "en",
    )
    assert client.get(reverse("member", args=["f_amrani"])).status_code == 200


def test_a_handle_that_is_taken_is_refused_and_the_input_kept(client, login, member, ambassador):
    login(member)
    response = client.post(
        reverse("edit_profile"),
        {
            "name": "Nieuwe Naam",
            "handle": ambassador.handle.upper(),
            "position": "wethouder",
            "bio": "",
            "language": "nl",
        },
    )
    assert response.status_code == 200
    assert "handle" in response.context["form"].errors
    assert 'value="Nieuwe Naam"' in response.content.decode()
    member.refresh_from_db()
    assert member.handle == "fatima"


def test_the_profile_cannot_change_the_municipality(client, login, member, almere):
    login(member)
    client.post(
        reverse("edit_profile"),
        {
            "name": member.name,
            "handle": member.handle,
            "position": "wethouder",
            "bio": "",
            "language": "nl",
            "municipality": almere.pk,
        },
    )
    member.refresh_from_db()
    assert member.municipality.code == "GM0518"


def test_the_language_switch_remembers_the_choice_on_the_profile(client, login, member):
    login(member)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("groups")})
    assert response.status_code == 302
    assert response.url == reverse("groups")
    member.refresh_from_db()
    assert member.language == "en"
    page = client.get(reverse("groups"))
    assert page["Content-Language"] == "en"
    assert '<html lang="en">' in page.content.decode()


def test_the_language_switch_refuses_to_redirect_elsewhere(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "https://evil.example/"})
    assert response.url == "/"
    assert response.cookies["django_language"].value == "en"


def test_dutch_is_the_default_language(client):
    response = client.get(reverse("login"))
    assert response["Content-Language"] == "nl"
    assert "Inloggen" in response.content.decode()


def test_a_visitor_can_switch_to_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("login"))
    assert response["Content-Language"] == "en"
    assert "Log in" in response.content.decode()


def test_a_pending_member_can_change_their_password(client, login, pending_member):
    login(pending_member)
    new = "nog-een-lang-wachtwoord"
    response = client.post(
        reverse("change_password"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert Member.objects.get(pk=pending_member.pk).check_password(new)
    assert "_auth_user_id" in client.session
