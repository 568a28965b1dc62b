"""The site header comes from cached fragments: what differs per request (search text,
return address, CSRF token) and per member (rights, unread count, section) still shows."""

from __future__ import annotations

import pytest
from django.test import Client

from community.models import Member

pytestmark = pytest.mark.django_db


def header(response) -> str:
    page = response.content.decode()
    return page[page.index('<header class="site-header">') : page.index("</header>")]


def test_the_search_text_and_return_address_are_this_requests_and_escaped(client, login, member):
    login(member)
    client.get("/search/?q=eerste")
    first = header(client.get("/search/?q=%3Cscript%3Ealert(1)%3C/script%3E"))
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in first
    assert "<script>alert" not in first
    assert 'name="next" value="/search/?q=%3Cscript%3Ealert(1)%3C/script%3E"' in first
    assert "\x00" not in first
    assert 'name="q" value=""' in header(client.get("/latest/"))


def test_the_current_section_and_the_bell_count_follow_the_member(client, login, member):
    Member.objects.filter(pk=member.pk).update(unread_notifications=0)
    login(member)
    assert 'href="/latest/" aria-current="page"' in header(client.get("/latest/"))
    assert 'href="/latest/" aria-current="page"' not in header(client.get("/groups/"))
    assert "data-bell-count hidden" in header(client.get("/latest/"))
    Member.objects.filter(pk=member.pk).update(unread_notifications=3)
    shown = header(client.get("/latest/"))
    assert "data-bell-count>" in shown and "<span data-bell-number>3</span>" in shown


def test_staff_see_the_admin_link_members_do_not(client, login, member, staff):
    login(member)
    assert "/admin/" not in header(client.get("/latest/"))
    login(staff)
    assert "/admin/" in header(client.get("/latest/"))


def test_the_language_switch_posts_with_this_requests_token(member):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member, backend="community.auth.EmailBackend")
    browser.get("/latest/")
    shown = header(browser.get("/latest/"))
    token = shown.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = browser.post("/language/", {"csrfmiddlewaretoken": token, "language": "en", "next": "/latest/"})
    assert response.status_code == 302


def test_visitors_get_log_in_and_sign_up(client):
    shown = header(client.get("/"))
    assert "/accounts/login/" in shown and "Log out" not in shown and "Uitloggen" not in shown
