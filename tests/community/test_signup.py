"""Signing up: the form, the verification link, auto-approval by e-mail domain."""

from __future__ import annotations

import re

import pytest
from django.core import mail, signing
from django.test import override_settings
from django.urls import reverse

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


def test_signing_up_creates_a_pending_member_and_sends_a_verification_link(client, municipality, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("signup"), signup_data(municipality=municipality.pk))
    assert response.status_code == 302
    assert response.url == reverse("account_status")
    member = Member.objects.get(email="noor.hendriks@gemeente.example")
    assert member.status == Member.Status.PENDING
    assert member.email_verified_at is None
    assert member.handle == "noor_hendriks"
    assert member.check_password("een-lang-wachtwoord-42")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Noor Hendriks <noor.hendriks@gemeente.example>"]
    assert link_in(message) in message.alternatives[0][0]


def test_the_verification_link_verifies_and_puts_the_member_in_the_queue(client, municipality, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("signup"), signup_data(municipality=municipality.pk))
    path = link_in(mail.outbox[0]).split("8000", 1)[1]
    response = client.get(path)
    assert response.status_code == 302
    member = Member.objects.get(email="noor.hendriks@gemeente.example")
    assert member.email_verified_at is not None
    assert member.status == Member.Status.PENDING
    assert list(Member.objects.pending_review()) == [member]
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


def test_an_address_at_the_municipality_domain_is_approved_at_once(client, municipality, django_capture_on_commit_callbacks):
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
        name="Piet", email="piet@denhaag.nl.evil.example", password="x" * 12, municipality=municipality, position="other"
    )
    assert actions.verify_email(member=member).status == Member.Status.PENDING


def test_an_existing_address_gets_a_clear_error_and_keeps_the_input(client, member, municipality):
    response = client.post(reverse("signup"), signup_data(municipality=municipality.pk, email=member.email.upper(), name="Iemand Anders"))
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert 'value="Iemand Anders"' in response.content.decode()
    assert Member.objects.filter(email__iexact=member.email).count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("password", "12345"), ("password", "password123"), ("municipality", "999999"), ("handle", "Ab!"), ("email", "geen-adres")],
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
        client.post(reverse("logout"))
    response = client.post(reverse("signup"), signup_data(municipality=municipality.pk, email="derde@gemeente.example"))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Member.objects.filter(email="derde@gemeente.example").exists()


def test_a_pending_member_can_ask_for_a_new_link(client, municipality, login, django_capture_on_commit_callbacks):
    member = MemberFactory(municipality=municipality, status="pending", email_verified_at=None, approved_at=None)
    login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("resend_verification"))
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/verify/" in mail.outbox[0].body
