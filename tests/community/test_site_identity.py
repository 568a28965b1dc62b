"""The site's name comes from ``settings.SITE_NAME``, never from the host the request came
in on; the password pages address the member as "je", as the rest of the site does."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_login_page_names_the_site_not_the_host(client, settings):
    settings.SITE_NAME = "Samen Verder"
    page = client.get(reverse("login"), HTTP_HOST="127.0.0.1").content.decode()
    assert "<title>Inloggen · Samen Verder</title>" in page
    assert "Samen Verder is de community" in page
    assert "127.0.0.1 ·" not in page and "127.0.0.1 is" not in page


def test_the_password_reset_mail_and_pages_name_the_site(client, member, settings):
    settings.SITE_NAME = "Samen Verder"
    page = client.get(reverse("password_reset"), HTTP_HOST="127.0.0.1").content.decode()
    assert "· Samen Verder</title>" in page
    client.post(reverse("password_reset"), {"email": member.email}, HTTP_HOST="127.0.0.1")
    [message] = mail.outbox
    assert message.subject == "Kies een nieuw wachtwoord voor Samen Verder"
    assert "je account bij Samen Verder" in message.body
    done = client.get(reverse("password_reset_done")).content.decode()
    assert "· Samen Verder</title>" in done


def test_the_password_pages_say_je_not_u(client, member):
    client.post(reverse("password_reset"), {"email": member.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password-reset/" in line)
    form_page = client.get(link.split("testserver", 1)[1].strip(), follow=True)
    too_short = client.post(form_page.redirect_chain[-1][0], {"new_password1": "12345", "new_password2": "12345"})
    pages = [
        client.get(reverse("password_reset")),
        client.get(reverse("password_reset_done")),
        form_page,
        too_short,
        client.get(reverse("password_reset_complete")),
    ]
    for response in pages:
        main = response.content.decode().split('<main id="main"', 1)[1].split("</main>")[0]
        text = re.sub(r"<[^>]+>", " ", main)
        assert not re.search(r"\b([Uu]w|[Uu])\b", text), (response.request["PATH_INFO"], text)
    assert "Je wachtwoord" in too_short.content.decode()


def test_an_unknown_address_shows_the_sites_own_page_not_found(client):
    response = client.get("/bestaat-niet/")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.content.decode()
