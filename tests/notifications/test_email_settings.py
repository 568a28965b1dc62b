"""/settings/: e-mail per notification kind, the digest and the language."""

from __future__ import annotations

import pytest
from django.urls import reverse

from community.models import Member
from notifications.email.preferences import MODERATOR_KINDS, bulk_settings, email_kinds_for
from notifications.models import EmailPreference

pytestmark = pytest.mark.django_db


def form_data(**changes: str) -> dict[str, str]:
    data = {
        "kind_quoted": "immediately",
        "kind_mentioned": "immediately",
        "kind_replied": "immediately",
        "kind_posted": "digest",
        "kind_new_thread": "digest",
        "kind_answer_accepted": "digest",
        "kind_useful": "digest",
        "digest": "weekly",
        "mode": "bundled",
        "language": "nl",
    }
    return data | changes


def complete(data: dict[str, str]) -> dict[str, str]:
    """Every kind the page shows gets a choice (kinds added later default to the digest)."""
    for kind in bulk_settings([0])[0].as_choices():
        data.setdefault(f"kind_{kind}", "digest")
    return data


def test_the_page_shows_every_kind_with_the_defaults_chosen(client, login, member):
    login(member)
    response = client.get(reverse("email_settings"))
    assert response.status_code == 200
    form = response.context["form"]
    kinds = email_kinds_for(member)
    assert [field.name for field in form.kind_fields()] == [f"kind_{kind}" for kind in kinds]
    assert form["kind_mentioned"].value() == "immediately" and form["kind_posted"].value() == "digest"
    assert form["digest"].value() == "weekly" and form["language"].value() == "nl"
    body = response.content.decode()
    form_html = body[body.index('<form method="post" novalidate>') :]
    form_html = form_html[: form_html.index("</form>")]
    # One fieldset with a legend per kind, one for the digest and one for how e-mail arrives
    # (bundled by default), each with its choice made.
    assert form["mode"].value() == "bundled"
    assert form_html.count("<fieldset") == form_html.count("<legend>") == len(kinds) + 2
    assert form_html.count(" checked") == len(kinds) + 2


def test_saving_stores_the_choices_and_the_language(client, login, member):
    login(member)
    response = client.post(
        reverse("email_settings"),
        complete(form_data(kind_mentioned="never", kind_posted="immediately", digest="daily", language="en")),
    )
    assert response.status_code == 302 and response.url == reverse("email_settings")
    settings = bulk_settings([member.pk])[member.pk]
    assert settings.delivery("mentioned") == "never" and settings.delivery("posted") == "immediately"
    assert settings.digest == "daily" and settings.mode == "bundled"
    assert Member.objects.get(pk=member.pk).language == "en"
    assert client.get(reverse("email_settings"))["Content-Language"] == "en"


def test_an_invalid_choice_changes_nothing(client, login, member):
    login(member)
    response = client.post(reverse("email_settings"), complete(form_data(kind_mentioned="sometimes")))
    assert response.status_code == 200
    assert not EmailPreference.objects.filter(member=member).exists()


def test_a_pending_member_may_open_the_settings(client, login, pending_member):
    login(pending_member)
    response = client.get(reverse("email_settings"))
    assert response.status_code == 200
    assert response.context["form"]["digest"].value() == "weekly"


def test_a_visitor_is_asked_to_log_in(client):
    response = client.get(reverse("email_settings"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_settings_page_has_a_constant_query_budget(client, login, member):
    from tests.conftest import assert_queries, steady_queries

    login(member)
    assert_queries(steady_queries(client, reverse("email_settings")), 3, "/settings/")


def test_only_moderators_see_the_moderators_kinds(client, login, member, ambassador):
    login(member)
    shown = {field.name for field in client.get(reverse("email_settings")).context["form"].kind_fields()}
    assert not {f"kind_{kind}" for kind in MODERATOR_KINDS} & shown
    login(ambassador)
    shown = {field.name for field in client.get(reverse("email_settings")).context["form"].kind_fields()}
    existing = MODERATOR_KINDS & set(bulk_settings([0])[0].as_choices())
    assert {f"kind_{kind}" for kind in existing} <= shown


def test_the_mode_is_saved_and_only_the_summary_puts_immediate_kinds_in_the_digest(client, login, member):
    login(member)
    response = client.post(reverse("email_settings"), complete(form_data(mode="summary")))
    assert response.status_code == 302
    settings = bulk_settings([member.pk])[member.pk]
    assert settings.mode == "summary"
    assert settings.chosen("mentioned") == "immediately" and settings.delivery("mentioned") == "digest"
    client.post(reverse("email_settings"), complete(form_data(mode="never")))
    settings = bulk_settings([member.pk])[member.pk]
    assert settings.delivery("mentioned") == "never" and settings.digest_frequency == "off"
