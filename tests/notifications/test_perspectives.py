"""Handelingsperspectieven in notifications and digests: cited members hear of the
publication (stored, pushed live, e-mailed), and the weekly digest has the new and
updated perspectives for the typologies of the member's municipality."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from community.models import Municipality
from notifications.email.rendering import render_rows
from notifications.models import Notification, OutboxMessage
from notifications.texts import describe, target_url
from tests.conftest import approved_member
from tests.notifications.test_digests import digest_of, weekly
from tests.notifications.test_email_outbox import SITE
from tests.perspectives.conftest import draft_perspective, expat, perspective, publish, regional, solved
from threads.perspectives import actions

pytestmark = pytest.mark.django_db
KIND = Notification.Kind.PERSPECTIVE_CITED


def test_cited_members_are_notified_when_the_perspective_is_published(
    perspective,
    ambassador,
    flevoland_ambassador,
    answer,
    regional,
    member,
    colleague,
    published,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.SITE_URL = SITE
    actions.cite_post(actor=ambassador, perspective=perspective, post=answer)
    actions.cite_post(actor=ambassador, perspective=perspective, post=regional.posts.get(number=1))
    assert not Notification.objects.filter(kind=KIND).exists()  # a draft tells nobody
    with django_capture_on_commit_callbacks(execute=True):
        publish(perspective, writer=ambassador, reviewer=flevoland_ambassador)
    rows = list(Notification.objects.filter(kind=KIND).order_by("recipient_id"))
    assert [row.recipient for row in rows] == sorted([member, colleague], key=lambda m: m.pk)
    notification = rows[0]
    assert notification.actor == flevoland_ambassador and notification.title == "Expats wegwijs maken in de gemeente"
    assert target_url(notification) == perspective.get_absolute_url()
    with translation.override("nl"):
        assert describe(notification) == (
            "Je bericht is een voorbeeld in het handelingsperspectief “Expats wegwijs maken in de gemeente”, gepubliceerd door Esther Bakker"
        )
    pushed = [event for groups, event in published if event["type"] == "notification.created"]
    assert sorted(event["url"] for event in pushed) == [perspective.get_absolute_url()] * 2
    # At once by e-mail, by default: it is about their own words.
    mail = OutboxMessage.objects.get(recipient=colleague, kind=KIND)
    _subject, text, _html, _headers = render_rows([mail])[mail.pk]  # rendered when the worker sends it
    assert SITE + perspective.get_absolute_url() in text


def test_a_new_version_tells_only_the_members_cited_for_the_first_time(
    perspective, ambassador, flevoland_ambassador, staff, answer, solved, member, colleague
):
    actions.cite_post(actor=ambassador, perspective=perspective, post=answer)
    publish(perspective, writer=ambassador, reviewer=flevoland_ambassador)
    actions.cite_post(actor=staff, perspective=perspective, post=solved.posts.get(number=1))
    publish(perspective, writer=staff, reviewer=flevoland_ambassador)
    assert list(Notification.objects.filter(kind=KIND).values_list("recipient_id", flat=True).order_by("id")) == [
        colleague.pk,
        member.pk,
    ]


def test_the_editor_who_publishes_is_not_told_about_their_own_post(
    perspective, ambassador, flevoland_ambassador, themes
):
    from community.models import Group
    from threads import actions as thread_actions

    thread = thread_actions.create_thread(
        author=flevoland_ambassador,
        group=Group.objects.get(slug="het-plein"),
        title="Een ervaring van Esther",
        kind="experience",
        body="Zo deden wij het.",
        themes=themes[:1],
    )
    actions.cite_post(actor=ambassador, perspective=perspective, post=thread.posts.get())
    publish(perspective, writer=ambassador, reviewer=flevoland_ambassador)
    assert not Notification.objects.filter(kind=KIND).exists()


def test_the_cited_kind_has_its_place_on_the_e_mail_settings_page(client, login, member):
    login(member)
    body = client.get(reverse("email_settings")).content.decode()
    assert "Je bericht is een voorbeeld in een handelingsperspectief" in body


# --- The weekly digest -------------------------------------------------------------------------------------------


@pytest.fixture
def amsterdam(dutch_data, staff):
    """Sanne from Amsterdam, an expat municipality."""
    return approved_member(Municipality.objects.get(code="GM0363"), name="Sanne de Vries", handle="sanne")


def test_the_weekly_digest_has_new_and_updated_perspectives_for_the_members_typologies(
    perspective, ambassador, flevoland_ambassador, amsterdam, outsider, expat, settings
):
    settings.SITE_URL = SITE
    publish(perspective, writer=ambassador, reviewer=flevoland_ambassador)
    weekly()
    row = digest_of(amsterdam)
    assert row is not None
    for body in (row.text, row.html):
        assert "Handelingsperspectieven voor gemeenten zoals de uwe" in body
        assert "Expats wegwijs maken in de gemeente" in body and "nieuw" in body
        assert SITE + perspective.get_absolute_url() in body
    assert row.subject.endswith(": 1 item")
    other = digest_of(outsider)  # Venray is no expat municipality: nothing else happened for Iris
    assert other is None


def test_an_updated_perspective_is_announced_as_a_new_version(
    perspective, ambassador, flevoland_ambassador, amsterdam, expat, settings
):
    publish(perspective, writer=ambassador, reviewer=flevoland_ambassador)
    actions.add_source(actor=ambassador, perspective=perspective, title="Nieuw rapport over expats")
    publish(perspective, writer=ambassador, reviewer=flevoland_ambassador)
    weekly()
    body = digest_of(amsterdam).text
    assert "bijgewerkt: versie 2" in body and body.count("Expats wegwijs maken in de gemeente") == 1


def test_a_superseded_perspective_is_not_in_the_digest(perspective, ambassador, flevoland_ambassador, amsterdam, expat):
    publish(perspective, writer=ambassador, reviewer=flevoland_ambassador)
    successor = draft_perspective(flevoland_ambassador, title="Expats: de nieuwe aanpak", typologies=[expat])
    publish(successor, writer=flevoland_ambassador, reviewer=ambassador)
    actions.supersede_perspective(actor=ambassador, perspective=perspective, successor=successor)
    weekly()
    body = digest_of(amsterdam).text
    assert "Expats: de nieuwe aanpak" in body and "Expats wegwijs maken" not in body
