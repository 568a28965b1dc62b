"""A NUL character anywhere a request carries text is a clear 400, never a server error.

PostgreSQL text cannot hold NUL: a query parameter, form field, path part or session
cookie with one that reached a query failed with a 500 there (SQLite did not mind).
The walk sends a NUL in every parameter the views read, found in their source, to
every URL pattern, as a visitor, a member and the programme team.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django import forms
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.community.test_access import all_routes, fill, world

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = ("community", "threads", "notifications")
NUL = "\x00"
# Read by Django's own views and forms the site uses (log in and out, password reset).
DJANGO_GET = {"next"}
DJANGO_POST = {"next", "username", "password", "email", "old_password", "new_password1", "new_password2"}


def sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def module_of(path: Path):
    return importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))


def read_parameters(method: str) -> set[str]:
    """The names views read from request.GET or request.POST: direct reads
    (``request.GET.get("q")``, ``request.POST["next"]``) and the fields of the forms
    bound to it (``SearchForm(request.GET or None, ...)``)."""
    names: set[str] = set()
    direct = re.compile(rf"""request\.{method}(?:\.get|\.getlist)?[\[(]\s*["'](\w+)["']""")
    bound = re.compile(rf"\b(\w+Form)\(\s*(?:\w+,\s*)?request\.{method}\b")
    for path in sources():
        text = path.read_text()
        names |= set(direct.findall(text))
        for form_name in set(bound.findall(text)):
            form_class = getattr(module_of(path), form_name)
            assert issubclass(form_class, forms.BaseForm), form_name
            names |= set(form_class.base_fields)
    return names


GET_NAMES = read_parameters("GET") | DJANGO_GET
POST_NAMES = read_parameters("POST") | DJANGO_POST


def test_the_parameters_found_in_the_source_are_the_ones_the_views_read():
    assert {
        "q",
        "page",
        "members",
        "quote",
        "queue",
        "municipality",
        "region",
        "typology",
        "position",
        "group",
        "theme",
        "kind",
        "period",
    } <= GET_NAMES
    assert {"language", "next", "level", "everything", "body", "title", "reason", "name", "email"} <= POST_NAMES


def with_nul(values: dict[str, str]) -> dict[str, str]:
    return {name: value + "%00" for name, value in values.items()}


def nul_requests(client: Client, values: dict[str, str], login=None):
    """Every route: a GET with each read parameter holding a NUL, a GET and a POST with a
    NUL in each path part, and a POST with a NUL in every form field. Yields
    (method, url, response)."""
    for _name, route in all_routes():
        if login is not None:
            login()  # a route may have logged out or deleted the account
        path = fill(route, values)
        for name in sorted(GET_NAMES):
            url = f"{path}?{name}=%00"
            yield "GET", url, client.get(url)
        if "<" in route:
            nul_path = fill(route, with_nul(values))
            yield "GET", nul_path, client.get(nul_path)
            yield "POST", nul_path, client.post(nul_path)
        yield "POST", path, client.post(path, dict.fromkeys(POST_NAMES, NUL))
        yield "POST", path + "?next=%00", client.post(path + "?next=%00", {"next": "/"})


@pytest.fixture
def nul_client(client):
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("who", ["anonymous", "member", "staff"])
def test_a_nul_in_any_parameter_of_any_page_is_a_bad_request_and_never_a_server_error(nul_client, world, who, request):
    person = None if who == "anonymous" else request.getfixturevalue(who)

    def login():
        nul_client.force_login(type(person).objects.get(pk=person.pk), backend="community.auth.EmailBackend")

    errors, refused = [], 0
    for method, url, response in nul_requests(nul_client, world, login=login if person else None):
        if response.status_code >= 500:
            errors.append(f"{method} {url}: {response.status_code}")
        refused += response.status_code == 400
    assert errors == []
    assert refused > 1000


def test_a_nul_in_a_search_of_the_admin_is_a_bad_request(nul_client, staff):
    nul_client.force_login(staff, backend="community.auth.EmailBackend")
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for name in ("q", "o", "p", "status__exact", "_changelist_filters"):
            assert nul_client.get(f"{url}?{name}=%00").status_code == 400, f"{url}?{name}"


def test_a_nul_in_the_session_cookie_is_a_bad_request(nul_client, member):
    nul_client.cookies["sessionid"] = "abcdefghijklmnop" + NUL
    assert nul_client.get(reverse("home")).status_code == 400


def test_the_bad_request_page_explains_in_the_visitors_language(nul_client, login, member):
    response = nul_client.get(reverse("member_autocomplete") + "?q=%00")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Ongeldig verzoek" in page and "NUL-teken" in page and '<html lang="nl">' in page
    response = nul_client.get(reverse("member_autocomplete") + "?q=%00", HTTP_ACCEPT_LANGUAGE="en")
    assert "Bad request" in response.content.decode() and "NUL character" in response.content.decode()


def test_a_member_gets_the_page_in_the_language_of_their_profile_with_their_header(nul_client, login, member):
    from community.actions import set_language

    set_language(member=member, language="en")
    login(member)
    response = nul_client.get(reverse("members") + "?region=%00", HTTP_ACCEPT_LANGUAGE="nl")
    page = response.content.decode()
    assert response.status_code == 400 and '<html lang="en">' in page
    assert "Bad request" in page and "NUL character" in page and "My account" in page


def test_a_nul_in_a_parameter_name_or_an_encoded_path_is_refused_too(nul_client, login, member):
    login(member)
    assert nul_client.get(reverse("members") + "?q%00=x").status_code == 400
    assert nul_client.get("/members/" + quote("fatima\x00") + "/").status_code == 400
    assert nul_client.post(reverse("search"), {"q\x00": "x"}).status_code == 400


def test_ordinary_requests_pass(nul_client, login, member):
    login(member)
    assert nul_client.get(reverse("member_autocomplete") + "?q=fat").status_code == 200
    assert nul_client.get(reverse("members") + "?q=%C3%AB%01").status_code == 200
