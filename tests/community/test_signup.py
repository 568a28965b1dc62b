"""Signing up: the form, the verification link, auto-approval by e-mail domain."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core import mail, signing
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from community import actions
from community.models import Member, Membership
from community.tokens import VERIFY_SALT, make_verification_token
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def signup_data(**overrides):
    data = {
        "name": "Noor Hendriks",
        "email": "Noor.Hendriks@Gemeente.example",
        "password": "een-lang-wachtwoord-42",
        "municipality": "",
        "position": "raadslid",
        "handle": "",
    }
    data.update(overrides)
    return data


def link_in(message) -> str:
    return re.search(r"http://\S+/accounts/verify/\S+/", message.body).group(0)


def test_signing_up_creates_a_pending_member_and_sends_a_verification_link(
    client, municipality, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("signup"), signup_data(municipality=municipality.pk))
    assert response.status_code == 302
    assert response.url == reverse("signup_sent")
    assert "_auth_user_id" not in client.session
    member = Member.objects.get(email="noor.hendriks@gemeente.example")
    assert member.status == Member.Status.PENDING
    assert member.email_verified_at is None
    assert member.handle == "noor_hendriks"
    assert member.check_password("een-lang-wachtwoord-42")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Noor Hendriks <noor.hendriks@gemeente.example>"]
    assert link_in(message) in message.alternatives[0][0]


def test_the_verification_link_verifies_and_puts_the_member_in_the_queue(
    client, municipality, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("signup"), signup_data(municipality=municipality.pk))
    path = link_in(mail.outbox[0]).split("8000", 1)[1]
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == reverse("login")
    member = Member.objects.get(email="noor.hendriks@gemeente.example")
    assert member.email_verified_at is not None
    assert member.status == Member.Status.PENDING
    assert list(Member.objects.pending_review()) == [member]
    client.post(reverse("login"), {"username": member.email, "password": "een-lang-wachtwoord-42"})
    status_page = client.get(reverse("account_status"))
    assert "ambassador" in status_page.content.decode().lower() or "ambassadeur" in status_page.content.decode().lower()


def test_a_forged_verification_link_is_refused(client, pending_member):
    pending_member.email_verified_at = None
    pending_member.save()
    token = signing.dumps({"m": pending_member.pk, "e": pending_member.email}, salt="another-salt")
    response = client.get(reverse("verify_email", args=[token]))
    assert response.status_code == 400
    pending_member.refresh_from_db()
    assert pending_member.email_verified_at is None


def test_an_expired_verification_link_is_refused_with_its_own_message(client, pending_member, settings):
    pending_member.email_verified_at = None
    pending_member.save()
    token = make_verification_token(pending_member)
    settings.EMAIL_VERIFICATION_MAX_AGE = -1
    response = client.get(reverse("verify_email", args=[token]))
    assert response.status_code == 400
    assert response.context["expired"] is True
    pending_member.refresh_from_db()
    assert pending_member.email_verified_at is None


def test_a_link_for_an_old_address_stops_working_when_the_address_changes(client, pending_member):
    pending_member.email_verified_at = None
    pending_member.save()
    token = make_verification_token(pending_member)
    Member.objects.filter(pk=pending_member.pk).update(email="nieuw@gemeente.example")
    assert client.get(reverse("verify_email", args=[token])).status_code == 400
    assert signing.loads(token, salt=VERIFY_SALT)["e"] != "nieuw@gemeente.example"


def test_an_address_at_the_municipality_domain_is_approved_at_once(
    client, municipality, django_capture_on_commit_callbacks
):
    municipality.email_domains = ["denhaag.nl"]
    municipality.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("signup"), signup_data(municipality=municipality.pk, email="noor@DenHaag.nl"))
    with django_capture_on_commit_callbacks(execute=True):
        client.get(link_in(mail.outbox[0]).split("8000", 1)[1])
    member = Member.objects.get(email="noor@denhaag.nl")
    assert member.status == Member.Status.ACTIVE
    assert member.approved_by is None
    assert Membership.objects.filter(member=member, group__slug="zuid-holland").exists()
    assert [m.subject for m in mail.outbox][-1] == render_subject("signup_approved", member)


def render_subject(name, member):
    from community.emails import render_email

    return render_email(name, member=member, context={"link": ""}).subject


def test_an_address_at_another_domain_is_not_approved_automatically(municipality):
    municipality.email_domains = ["denhaag.nl"]
    municipality.save()
    member = actions.register_member(
        name="Piet",
        email="piet@denhaag.nl.evil.example",
        password="x" * 12,
        municipality=municipality,
        position="other",
    )
    assert actions.verify_email(member=member).status == Member.Status.PENDING


def without_tokens(html: str) -> str:
    """A page without what differs on every request anyway (CSRF tokens, CSP nonces)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'nonce="[^"]+"', "", html)


def sign_up_as_a_stranger(data):
    """POST the sign-up form from a fresh browser; the response and the page it leads to."""
    client = Client()
    client.get(reverse("signup"))
    response = client.post(reverse("signup"), data)
    page = client.get(response.url) if response.status_code == 302 else response
    return response, page, client


def test_an_existing_address_is_answered_exactly_like_a_new_one(
    member, municipality, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        new = sign_up_as_a_stranger(signup_data(municipality=municipality.pk, email="nieuw@gemeente.example"))
        taken = sign_up_as_a_stranger(signup_data(municipality=municipality.pk, email=member.email.upper(), handle=""))
    (new_response, new_page, new_client), (taken_response, taken_page, taken_client) = new, taken
    assert (
        (taken_response.status_code, taken_response.url)
        == (new_response.status_code, new_response.url)
        == (302, reverse("signup_sent"))
    )
    assert sorted(taken_response.cookies) == sorted(new_response.cookies)
    assert taken_page.status_code == new_page.status_code == 200
    assert without_tokens(taken_page.content.decode()) == without_tokens(new_page.content.decode())
    assert "_auth_user_id" not in taken_client.session and "_auth_user_id" not in new_client.session
    with translation.override("nl"):
        assert gettext("Check your e-mail") in new_page.content.decode()
    assert Member.objects.filter(email__iexact=member.email).count() == 1
    assert [message.to for message in mail.outbox] == [
        ["Noor Hendriks <nieuw@gemeente.example>"],
        [f"{member.name} <{member.email}>"],
    ]


def test_the_owner_of_an_existing_address_is_mailed_links_to_log_in_and_to_reset(
    client, member, municipality, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://samenleven.example.nl"
    name, password = member.name, member.password
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("signup"),
            signup_data(
                municipality=municipality.pk,
                email=member.email,
                name="Iemand Anders",
                password="een-ander-wachtwoord-7",
            ),
        )
    (message,) = mail.outbox
    with translation.override("nl"):
        assert message.subject == "Iemand probeerde zich aan te melden met je e-mailadres"
    for link in (
        "https://samenleven.example.nl/accounts/login/",
        "https://samenleven.example.nl/accounts/password-reset/",
    ):
        assert link in message.body and f'href="{link}"' in message.alternatives[0][0]
    assert "/accounts/verify/" not in message.body
    member.refresh_from_db()
    assert (member.name, member.password) == (name, password)


def test_the_owner_is_mailed_in_their_own_language(client, member, municipality, django_capture_on_commit_callbacks):
    member.language = "en"
    member.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("signup"), signup_data(municipality=municipality.pk, email=member.email))
    assert mail.outbox[0].subject == "Someone tried to sign up with your e-mail address"


def test_the_owner_gets_one_notice_per_hour_however_often_their_address_is_tried(
    client, member, municipality, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(5):
            client.post(
                reverse("signup"),
                signup_data(municipality=municipality.pk, email=member.email),
                REMOTE_ADDR=f"198.51.100.{number}",
            )
    assert len(mail.outbox) == 1


def test_form_errors_do_not_differ_for_an_existing_address(client, member, municipality):
    errors = []
    for email in (member.email, "nieuw@gemeente.example"):
        response = client.post(
            reverse("signup"), signup_data(municipality=municipality.pk, email=email, password="12345")
        )
        assert response.status_code == 200
        errors.append(response.context["form"].errors.get_json_data())
    assert errors[0] == errors[1]
    assert list(errors[0]) == ["password"]


def test_a_reserved_handle_is_refused_alike_for_an_existing_address(client, member, municipality):
    errors = []
    for email in (member.email, "nieuw@gemeente.example"):
        response = client.post(
            reverse("signup"), signup_data(municipality=municipality.pk, email=email, handle="admin")
        )
        assert response.status_code == 200
        errors.append(response.context["form"].errors.get_json_data())
    assert errors[0] == errors[1] != {}


def test_an_existing_address_costs_the_same_password_hashing_as_a_new_one(client, member, municipality):
    """The time an answer takes must not tell either: both hash the password once."""
    from django.contrib.auth.hashers import MD5PasswordHasher

    calls = []
    for email in ("nieuw@gemeente.example", member.email):
        with mock.patch.object(
            MD5PasswordHasher, "encode", autospec=True, side_effect=MD5PasswordHasher.encode
        ) as encode:
            client.post(reverse("signup"), signup_data(municipality=municipality.pk, email=email))
        calls.append(encode.call_count)
    assert calls == [1, 1]


def test_a_sign_up_that_loses_the_race_for_its_address_is_treated_as_one_for_an_existing_account(
    member, municipality, django_capture_on_commit_callbacks
):
    """Two sign-ups with one address at once: the second finds no account at first, then
    the database refuses its insert; it mails the owner like any other."""
    with mock.patch.object(actions, "account_for_address", side_effect=[None, member]):
        with django_capture_on_commit_callbacks(execute=True):
            result = actions.sign_up(
                name="Iemand", email=member.email, password="x" * 12, municipality=municipality, position="other"
            )
    assert result is None
    assert [message.to for message in mail.outbox] == [[f"{member.name} <{member.email}>"]]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("password", "12345"),
        ("password", "password123"),
        ("municipality", "999999"),
        ("handle", "Ab!"),
        ("email", "geen-adres"),
    ],
)
def test_bad_sign_up_input_is_refused_field_by_field(client, municipality, field, value):
    data = signup_data(municipality=municipality.pk)
    data[field] = value
    response = client.post(reverse("signup"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Member.objects.filter(email="noor.hendriks@gemeente.example").exists()


def test_a_chosen_handle_must_be_free(client, member, municipality):
    response = client.post(reverse("signup"), signup_data(municipality=municipality.pk, handle=member.handle.upper()))
    assert "handle" in response.context["form"].errors


def test_handles_are_derived_from_names_and_made_unique(municipality):
    MemberFactory(handle="jan_de_vries")
    assert actions.derive_handle("Jan de Vries") == "jan_de_vries2"
    assert actions.derive_handle("Özlem Çelik") == "ozlem_celik"
    assert actions.derive_handle("Admin") == "admin2"
    assert actions.derive_handle("A") == "a_lid"


@override_settings(SIGNUP_THROTTLE={"per_ip": 2, "window_seconds": 3600})
def test_sign_ups_are_limited_per_ip_address(client, municipality):
    for number in range(2):
        client.post(reverse("signup"), signup_data(municipality=municipality.pk, email=f"lid{number}@gemeente.example"))
    response = client.post(reverse("signup"), signup_data(municipality=municipality.pk, email="derde@gemeente.example"))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Member.objects.filter(email="derde@gemeente.example").exists()
    other_ip = client.post(
        reverse("signup"),
        signup_data(municipality=municipality.pk, email="derde@gemeente.example"),
        REMOTE_ADDR="10.1.2.3",
    )
    assert other_ip.status_code == 302


@override_settings(SIGNUP_THROTTLE={"per_ip": 2, "window_seconds": 3600})
def test_sign_ups_with_existing_addresses_count_toward_the_limit(client, member, ambassador, municipality):
    """Else the form would still tell, past the limit, which addresses have accounts."""
    for email in (member.email, ambassador.email):
        assert client.post(reverse("signup"), signup_data(municipality=municipality.pk, email=email)).status_code == 302
    for email in ("nieuw@gemeente.example", member.email):
        response = client.post(reverse("signup"), signup_data(municipality=municipality.pk, email=email))
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
    assert not Member.objects.filter(email="nieuw@gemeente.example").exists()


def test_a_pending_member_can_ask_for_a_new_link(client, municipality, login, django_capture_on_commit_callbacks):
    member = MemberFactory(municipality=municipality, status="pending", email_verified_at=None, approved_at=None)
    login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("resend_verification"))
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/verify/" in mail.outbox[0].body


# --- A form that cannot trip: no chosen position, an error summary, the password --------


def test_the_position_starts_empty_and_must_be_chosen(client, municipality):
    body = client.get(reverse("signup")).content.decode()
    select = re.search(r'<select name="position"[^>]*>(.*?)</select>', body, re.DOTALL)
    assert select and "required" in select.group(0)
    first = re.search(r"<option([^>]*)>([^<]*)</option>", select.group(1))
    assert first.group(1).strip() in ('value=""', 'value="" selected') and first.group(2) == "Kies…"
    assert re.findall(r'<option value="(\w+)" selected', select.group(1)) == []  # no position chosen for you
    response = client.post(reverse("signup"), signup_data(municipality=municipality.pk, position=""))
    assert response.status_code == 200
    assert response.context["form"].errors["position"] == ["Kies je functie."]
    assert not Member.objects.filter(email="noor.hendriks@gemeente.example").exists()


def test_errors_are_summarised_at_the_top_with_a_link_to_each_field(client):
    response = client.post(reverse("signup"), signup_data(name="", municipality="", position=""))
    body = response.content.decode()
    summary = re.search(r'<div class="error-summary" id="error-summary" tabindex="-1"(.*?)</ul>', body, re.DOTALL)
    assert summary, "no error summary"
    assert body.index('class="error-summary"') < body.index('name="name"')  # above the fields
    assert 'role="alert"' in summary.group(1) and "Er is een probleem" in summary.group(1)
    links = re.findall(r'<a href="#(id_\w+)">([^<]*)</a>', summary.group(1))
    assert [target for target, _text in links] == ["id_name", "id_password", "id_municipality", "id_position"]
    assert ("id_municipality", "Gemeente: Kies je gemeente.") in links
    for target, _text in links:
        assert f'id="{target}"' in body  # every link leads to a field


def test_the_password_is_never_sent_back_and_the_form_says_to_type_it_again(client, municipality):
    password = "een-lang-wachtwoord-42"
    response = client.post(reverse("signup"), signup_data(municipality=municipality.pk, position=""))
    body = response.content.decode()
    assert password not in body
    assert response.context["form"].errors["password"] == [
        "Typ je wachtwoord opnieuw: voor je veiligheid sturen we het niet naar je terug."
    ]
    assert '<a href="#id_password">' in body
    # Other fields keep what was typed.
    assert 'value="Noor Hendriks"' in body and f'<option value="{municipality.pk}" selected>' in body
    # Without a password there is nothing to type again: only "required".
    response = client.post(reverse("signup"), signup_data(password="", position=""))
    assert response.context["form"].errors["password"] == ["Dit veld is verplicht."]


def test_the_summary_is_shared_by_other_forms(client, member):
    response = client.post(reverse("login"), {"username": member.email, "password": "wrong-password-123"})
    body = response.content.decode()
    assert "data-error-summary" in body and 'role="alert"' in body
