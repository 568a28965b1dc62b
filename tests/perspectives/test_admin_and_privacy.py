"""Handelingsperspectieven in the admin (to look things up, never to change them) and in a
member's privacy rights (their data export, and erasing their name when they leave)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from community import actions as community_actions
from community.privacy import export_personal_data
from threads import actions as thread_actions
from threads.perspectives import actions
from threads.perspectives.models import Citation, PerspectiveRevision

pytestmark = pytest.mark.django_db
MODELS = [m for m in admin.site._registry if m._meta.app_label == "perspectives"]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_staff_look_things_up_in_the_admin_but_change_nothing_there(client, login, staff, published_perspective, model):
    login(staff)
    opts = model._meta
    assert client.get(reverse(f"admin:perspectives_{opts.model_name}_changelist"), {"q": "a"}).status_code == 200
    model_admin = admin.site._registry[model]
    assert model_admin.search_fields
    request = client.get(reverse("admin:index")).wsgi_request
    assert not (
        model_admin.has_add_permission(request)
        or model_admin.has_change_permission(request)
        or model_admin.has_delete_permission(request)
    )
    obj = model.objects.first()
    if obj is not None:
        assert client.get(reverse(f"admin:perspectives_{opts.model_name}_change", args=[obj.pk])).status_code == 200


def test_the_data_export_has_the_examples_from_your_posts_and_your_suggestions(
    published_perspective, colleague, solved
):
    actions.suggest_thread(member=colleague, thread=solved, note="Dit werkt bij ons ook.")
    data = export_personal_data(colleague)
    [example] = data["perspective_examples_from_your_posts"]
    assert (example["quote"], example["municipality"], example["name_in_public_versions"]) == (
        "Bij ons met een balie op locatie.",
        "Westland",
        True,
    )
    assert [s["note"] for s in data["perspective_suggestions"]] == ["Dit werkt bij ons ook."]
    assert data["perspective_revisions_you_wrote"] == []


def test_a_deleted_account_leaves_no_name_in_quotes_revisions_or_public_versions(
    published_perspective, ambassador, flevoland_ambassador, colleague, question, expat
):
    signed = thread_actions.reply_to_thread(
        author=colleague, thread=question, body="Groet, Thijs Willems, wethouder in Westland"
    )
    actions.edit_perspective(
        actor=ambassador,
        perspective=published_perspective,
        title=published_perspective.title,
        summary=published_perspective.summary,
        situation="Meer.",
        dilemmas="",
        options="",
        typologies=[expat],
        themes=[],
    )
    actions.cite_post(actor=ambassador, perspective=published_perspective, post=signed, name_consent=True)
    community_actions.delete_account(member=colleague)
    for citation in Citation.objects.filter(author=colleague):
        assert "Thijs" not in citation.quote and not citation.name_consent
    for revision in PerspectiveRevision.objects.filter(perspective=published_perspective):
        assert "Thijs" not in str(revision.content)
