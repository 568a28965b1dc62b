"""The programme team's admin: every model, searchable, and approval through the action."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group as AuthGroup
from django.urls import reverse

from community.models import Member, ModerationLogEntry

pytestmark = pytest.mark.django_db


def test_the_unused_auth_group_is_not_in_the_admin():
    assert AuthGroup not in admin.site._registry


@pytest.mark.parametrize("model", [m for m in admin.site._registry if m._meta.app_label in {"community", "threads", "notifications"}], ids=lambda m: m.__name__)
def test_staff_open_every_changelist_with_search_and_filters(client, login, staff, member, model):
    login(staff)
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), {"q": "a"})
    assert response.status_code == 200
    model_admin = admin.site._registry[model]
    assert model_admin.search_fields, f"{model.__name__} has no search"


def test_staff_approve_sign_ups_from_the_admin(client, login, staff, pending_member):
    login(staff)
    response = client.post(
        reverse("admin:community_member_changelist"),
        {"action": "approve_selected", "_selected_action": [pending_member.pk]},
    )
    assert response.status_code == 302
    pending_member.refresh_from_db()
    assert pending_member.status == Member.Status.ACTIVE
    assert pending_member.memberships.filter(group__slug="zuid-holland").exists()


def test_the_moderation_log_cannot_be_edited_in_the_admin(client, login, staff, pending_member):
    from community import actions

    actions.approve_member(actor=staff, member=pending_member)
    login(staff)
    entry = ModerationLogEntry.objects.get()
    response = client.post(reverse("admin:community_moderationlogentry_change", args=[entry.pk]), {"reason": "changed"})
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.reason == ""


def test_members_who_are_not_staff_cannot_open_the_admin(client, login, member):
    login(member)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url
