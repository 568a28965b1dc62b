"""The programme team's admin: every model, searchable, and approval through the action."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group as AuthGroup
from django.urls import reverse
from django.utils import translation

from community import actions
from community.admin import MemberAdmin
from community.errors import DomainError
from community.models import Group, Member, Membership, ModerationLogEntry
from tests.capture import access_signals

pytestmark = pytest.mark.django_db


def test_the_unused_auth_group_is_not_in_the_admin():
    assert AuthGroup not in admin.site._registry


@pytest.mark.parametrize(
    "model",
    [m for m in admin.site._registry if m._meta.app_label in {"community", "threads", "notifications"}],
    ids=lambda m: m.__name__,
)
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


# --- SPEC F7: the admin changes nothing that the actions would log, mail or push ------


def change_form_data(response) -> dict:
    """What the change form would send back unchanged: its editable fields and inlines."""
    data: dict = {}

    def add(form) -> None:
        for name, field in form.fields.items():
            if field.disabled:
                continue
            value = form[name].value()
            if value is None or value is False:
                continue
            if isinstance(field.widget, forms.MultiWidget):  # a date and a time
                for index, part in enumerate(field.widget.decompress(value)):
                    data[f"{form.add_prefix(name)}_{index}"] = "" if part is None else str(part)
                continue
            data[form.add_prefix(name)] = "on" if value is True else value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def outbox_kinds(member: Member) -> list[str]:
    from notifications.models import OutboxMessage

    return list(OutboxMessage.objects.filter(recipient=member).order_by("pk").values_list("kind", flat=True))


def member_snapshot(member: Member) -> dict:
    fresh = Member.objects.get(pk=member.pk)
    return {
        **{name: getattr(fresh, name) for name in MemberAdmin.protected_fields if name != "user_permissions"},
        "user_permissions": list(fresh.user_permissions.values_list("pk", flat=True)),
        "memberships": sorted(fresh.memberships.values_list("group_id", "role")),
    }


def step_url(member: Member, step: str) -> str:
    return reverse("admin:community_member_step", args=[member.pk, step])


def test_status_rights_and_roles_posted_in_the_member_form_change_nothing(client, login, staff, member):
    from django.contrib.auth.models import Permission

    login(staff)
    url = reverse("admin:community_member_change", args=[member.pk])
    response = client.get(url)
    assert response.status_code == 200
    before = member_snapshot(member)
    data = change_form_data(response)
    data["bio"] = "Wethouder sinds 2022."
    data.update(
        status="suspended",
        status_reason="Zomaar.",
        suspended_until_0="2030-01-01",
        suspended_until_1="00:00:00",
        email_verified_at_0="",
        email_verified_at_1="",
        approved_at_0="",
        approved_at_1="",
        deleted_at_0="2030-01-01",
        deleted_at_1="00:00:00",
        is_active="",
        is_staff="on",
        is_superuser="on",
        user_permissions=[Permission.objects.first().pk],
    )
    membership_rows = [key[: -len("-role")] for key in data if key.startswith("memberships-") and key.endswith("-role")]
    assert membership_rows, "the form shows the memberships"
    for row in membership_rows:
        data[f"{row}-role"] = "moderator"
        data[f"{row}-DELETE"] = "on"
    data["memberships-TOTAL_FORMS"] = str(len(membership_rows) + 1)
    new_row = f"memberships-{len(membership_rows)}"
    data.update(
        {
            f"{new_row}-group": Group.objects.get(slug="flevoland").pk,
            f"{new_row}-role": "moderator",
            f"{new_row}-created_0": "2026-01-01",
            f"{new_row}-created_1": "10:00:00",
        }
    )
    with access_signals() as calls:
        response = client.post(url, data)
    assert response.status_code == 302
    assert Member.objects.get(pk=member.pk).bio == "Wethouder sinds 2022."  # the form was saved
    assert member_snapshot(member) == before
    assert calls == []
    assert not ModerationLogEntry.objects.exclude(action=ModerationLogEntry.Action.APPROVE_MEMBER).exists()


def test_the_member_form_shows_status_rights_and_roles_without_inputs(client, login, staff, ambassador):
    login(staff)
    response = client.get(reverse("admin:community_member_change", args=[ambassador.pk]))
    form = response.context["adminform"].form
    assert not set(MemberAdmin.protected_fields) & set(form.fields)
    body = response.content.decode()
    assert 'name="is_staff"' not in body and 'name="status"' not in body and 'name="memberships-0-role"' not in body
    # The steps offered for an approved ambassador, as links at the top of the page.
    for step in (
        "suspend_selected",
        "make_moderator_selected",
        "remove_moderator_selected",
        "grant_staff_selected",
        "delete_account_selected",
    ):
        assert step_url(ambassador, step) in body
    for step in ("approve_selected", "reject_selected", "lift_suspension_selected", "revoke_staff_selected"):
        assert step_url(ambassador, step) not in body


def test_members_are_never_hard_deleted_in_the_admin(client, login, staff, member):
    login(staff)
    delete_url = reverse("admin:community_member_delete", args=[member.pk])
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:community_member_changelist")
    assert "delete_selected" not in dict(client.get(changelist).context["action_form"].fields["action"].choices)
    client.post(changelist, {"action": "delete_selected", "_selected_action": [member.pk], "post": "yes"})
    assert Member.objects.get(pk=member.pk).name == "Fatima el Amrani"


def test_approval_from_the_admin_logs_mails_and_changes_access(client, login, staff, pending_member):
    login(staff)
    with access_signals() as calls:
        response = client.post(
            reverse("admin:community_member_changelist"),
            {"action": "approve_selected", "_selected_action": [pending_member.pk]},
        )
    assert response.status_code == 302
    assert calls == [("member", pending_member.pk)]
    entry = ModerationLogEntry.objects.get(
        action=ModerationLogEntry.Action.APPROVE_MEMBER, target_member=pending_member
    )
    assert entry.actor == staff
    assert outbox_kinds(pending_member) == ["signup_approved"]


def test_a_rejection_asks_for_a_reason_then_logs_and_mails_it(client, login, staff, pending_member):
    login(staff)
    changelist = reverse("admin:community_member_changelist")
    chosen = {"action": "reject_selected", "_selected_action": [pending_member.pk]}
    response = client.post(changelist, chosen)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in body and 'name="reason"' in body and "Sara Bouzid" in body
    response = client.post(changelist, {**chosen, "apply": "yes", "reason": ""})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    assert Member.objects.get(pk=pending_member.pk).status == Member.Status.PENDING
    with access_signals() as calls:
        response = client.post(changelist, {**chosen, "apply": "yes", "reason": "Geen gemeentelijke functie."})
    assert response.status_code == 302
    assert calls == [("member", pending_member.pk)]
    rejected = Member.objects.get(pk=pending_member.pk)
    assert (rejected.status, rejected.status_reason, rejected.is_active) == (
        Member.Status.REJECTED,
        "Geen gemeentelijke functie.",
        False,
    )
    entry = ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.REJECT_MEMBER)
    assert (entry.actor, entry.target_member, entry.reason) == (staff, pending_member, "Geen gemeentelijke functie.")
    assert outbox_kinds(pending_member) == ["signup_rejected"]


def test_a_step_for_several_members_reports_each_one_it_could_not_change(client, login, staff, pending_member, member):
    login(staff)
    response = client.post(
        reverse("admin:community_member_changelist"),
        {
            "action": "reject_selected",
            "_selected_action": [pending_member.pk, member.pk],
            "apply": "yes",
            "reason": "Dubbel account.",
        },
        follow=True,
    )
    texts = [str(message) for message in response.context["messages"]]
    assert "Fatima el Amrani (@fatima): Over deze aanmelding is al een besluit genomen." in texts
    assert "1 aanmelding afgewezen." in texts
    assert Member.objects.get(pk=member.pk).status == Member.Status.ACTIVE
    assert Member.objects.get(pk=pending_member.pk).status == Member.Status.REJECTED


def test_a_member_is_suspended_from_their_own_page_in_the_admin(client, login, staff, member):
    from datetime import timedelta

    from django.utils import timezone

    login(staff)
    url = step_url(member, "suspend_selected")
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="until"' in response.content.decode() and 'name="csrfmiddlewaretoken"' in response.content.decode()
    response = client.post(url, {"apply": "yes", "until": timezone.localdate().isoformat(), "reason": "Reclame."})
    assert response.status_code == 200 and response.context["form"].errors["until"]
    day = timezone.localdate() + timedelta(days=7)
    with access_signals() as calls:
        response = client.post(
            url, {"apply": "yes", "until": day.isoformat(), "reason": "Herhaaldelijk reclame geplaatst."}
        )
    assert response.status_code == 302 and response.url == reverse("admin:community_member_change", args=[member.pk])
    assert calls == [("member", member.pk)]
    suspended = Member.objects.get(pk=member.pk)
    assert suspended.is_suspended and suspended.status_reason == "Herhaaldelijk reclame geplaatst."
    entry = ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.SUSPEND_MEMBER)
    assert (entry.actor, entry.target_member) == (staff, member)
    assert outbox_kinds(member) == ["signup_approved", "member_suspended"]


def test_a_suspension_is_lifted_from_the_changelist(client, login, staff, member):
    from datetime import timedelta

    from django.utils import timezone

    actions.suspend_member(
        actor=staff, member=member, until=timezone.now() + timedelta(days=3), reason="Even afkoelen."
    )
    login(staff)
    chosen = {"action": "lift_suspension_selected", "_selected_action": [member.pk]}
    assert client.post(reverse("admin:community_member_changelist"), chosen).status_code == 200
    with access_signals() as calls:
        response = client.post(
            reverse("admin:community_member_changelist"), {**chosen, "apply": "yes", "reason": "Excuses aangeboden."}
        )
    assert response.status_code == 302
    assert calls == [("member", member.pk)]
    assert Member.objects.get(pk=member.pk).status == Member.Status.ACTIVE
    entry = ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.LIFT_SUSPENSION)
    assert (entry.actor, entry.reason) == (staff, "Excuses aangeboden.")
    assert outbox_kinds(member) == ["signup_approved", "member_suspended"]  # lifting sends no e-mail, as on the site


def test_moderator_roles_and_memberships_change_through_steps_with_a_group(client, login, staff, member):
    login(staff)
    region = Group.objects.get(slug="zuid-holland")
    response = client.get(step_url(member, "make_moderator_selected"))
    assert response.status_code == 200 and 'name="group"' in response.content.decode()
    assert (
        client.post(step_url(member, "make_moderator_selected"), {"apply": "yes", "group": ""})
        .context["form"]
        .errors["group"]
    )
    with access_signals() as calls:
        assert (
            client.post(step_url(member, "make_moderator_selected"), {"apply": "yes", "group": region.pk}).status_code
            == 302
        )
        assert Membership.objects.get(member=member, group=region).role == Membership.Role.MODERATOR
        assert (
            client.post(step_url(member, "remove_moderator_selected"), {"apply": "yes", "group": region.pk}).status_code
            == 302
        )
        assert Membership.objects.get(member=member, group=region).role == Membership.Role.MEMBER
        assert (
            client.post(
                step_url(member, "remove_from_group_selected"), {"apply": "yes", "group": region.pk}
            ).status_code
            == 302
        )
        assert not Membership.objects.filter(member=member, group=region).exists()
    assert calls == [("member", member.pk)] * 3
    entries = (
        ModerationLogEntry.objects.filter(target_member=member, actor=staff)
        .exclude(action="approve_member")
        .order_by("pk")
    )
    assert [(e.action, e.group) for e in entries] == [
        ("make_moderator", region),
        ("remove_moderator", region),
        ("remove_from_group", region),
    ]
    assert outbox_kinds(member) == ["signup_approved"]  # no e-mail, as on the site
    response = client.post(
        step_url(member, "remove_from_group_selected"), {"apply": "yes", "group": region.pk}, follow=True
    )
    assert "Fatima el Amrani (@fatima): Dit lid zit niet in deze groep." in [
        str(m) for m in response.context["messages"]
    ]


def test_programme_team_rights_are_granted_and_revoked_after_a_confirmation(client, login, staff, member):
    login(staff)
    changelist = reverse("admin:community_member_changelist")
    chosen = {"action": "grant_staff_selected", "_selected_action": [member.pk]}
    response = client.post(changelist, chosen)
    assert response.status_code == 200 and 'name="apply"' in response.content.decode()
    assert not Member.objects.get(pk=member.pk).is_staff
    with access_signals() as calls:
        assert client.post(changelist, {**chosen, "apply": "yes"}).status_code == 302
        assert Member.objects.get(pk=member.pk).is_staff
        assert client.get(step_url(member, "revoke_staff_selected")).status_code == 200
        assert Member.objects.get(pk=member.pk).is_staff  # GET only asks
        assert client.post(step_url(member, "revoke_staff_selected"), {"apply": "yes"}).status_code == 302
    assert not Member.objects.get(pk=member.pk).is_staff
    assert calls == [("member", member.pk)] * 2
    assert list(
        ModerationLogEntry.objects.filter(actor=staff, target_member=member)
        .exclude(action="approve_member")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == [
        "grant_staff",
        "revoke_staff",
    ]


def test_an_account_is_deleted_with_the_gdpr_action_after_a_confirmation(client, login, staff, member):
    login(staff)
    changelist = reverse("admin:community_member_changelist")
    chosen = {"action": "delete_account_selected", "_selected_action": [member.pk, staff.pk]}
    response = client.post(changelist, chosen)
    assert response.status_code == 200 and "Definitief verwijderen" in response.content.decode()
    assert not Member.objects.get(pk=member.pk).is_former_member
    with access_signals() as calls:
        response = client.post(changelist, {**chosen, "apply": "yes"}, follow=True)
    assert calls == [("member", member.pk)]
    former = Member.objects.get(pk=member.pk)
    assert former.is_former_member and former.email.endswith("@samenleven.invalid") and not former.memberships.exists()
    entry = ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.DELETE_MEMBER)
    assert (entry.actor, entry.target_member) == (staff, former)
    texts = [str(message) for message in response.context["messages"]]
    assert (
        "Programmateam (@team): Verwijder je eigen account op je privacypagina." in texts
        and "1 account verwijderd." in texts
    )
    # The deleted account stays anonymous: nothing of it can be edited back.
    response = client.get(reverse("admin:community_member_change", args=[member.pk]))
    assert set(response.context["adminform"].form.fields) <= {"password"}


def test_steps_need_a_post_with_the_csrf_token(staff, member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff, backend="community.auth.EmailBackend")
    assert client.post(step_url(member, "grant_staff_selected"), {"apply": "yes"}).status_code == 403
    assert not Member.objects.get(pk=member.pk).is_staff


def test_members_who_are_not_staff_cannot_take_a_step(client, login, member, ambassador):
    login(ambassador)
    response = client.post(
        step_url(member, "suspend_selected"), {"apply": "yes", "until": "2099-01-01", "reason": "Nee."}
    )
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert Member.objects.get(pk=member.pk).status == Member.Status.ACTIVE


def test_an_unknown_step_is_not_found(client, login, staff, member):
    login(staff)
    assert client.get(step_url(member, "make_superuser")).status_code == 404
    assert client.get(reverse("admin:community_member_step", args=[999999, "suspend_selected"])).status_code == 404


def test_the_step_pages_are_dutch_by_default_and_english_on_request(client, login, staff, member):
    login(staff)
    body = client.get(step_url(member, "suspend_selected")).content.decode()
    assert "Schorsen" in body and "Annuleren" in body
    client.post("/language/", {"language": "en", "next": "/"})
    body = client.get(step_url(member, "suspend_selected")).content.decode()
    assert "Suspend" in body and "Cancel" in body


# --- Groups ------------------------------------------------------------------------------


def test_who_may_read_a_group_cannot_be_posted_in_its_form(client, login, staff):
    login(staff)
    region = Group.objects.get(slug="zuid-holland")
    url = reverse("admin:community_group_change", args=[region.pk])
    response = client.get(url)
    data = change_form_data(response)
    data.update(read_access="everyone", kind="theme", region="", description="Voor de hele provincie.")
    with access_signals() as calls:
        assert client.post(url, data).status_code == 302
    region = Group.objects.get(pk=region.pk)
    assert (region.read_access, region.kind, region.description) == ("members", "region", "Voor de hele provincie.")
    assert calls == []


def test_who_may_read_a_group_changes_through_a_step_that_logs_and_tells(client, login, staff):
    login(staff)
    region = Group.objects.get(slug="zuid-holland")
    changelist = reverse("admin:community_group_changelist")
    chosen = {"action": "set_read_access_selected", "_selected_action": [region.pk]}
    response = client.post(changelist, chosen)
    assert response.status_code == 200 and 'name="read_access"' in response.content.decode()
    assert (
        client.post(changelist, {**chosen, "apply": "yes", "read_access": "all"}).context["form"].errors["read_access"]
    )
    with access_signals() as calls:
        assert client.post(changelist, {**chosen, "apply": "yes", "read_access": "everyone"}).status_code == 302
    assert calls == [("group", region.pk)]
    assert Group.objects.get(pk=region.pk).read_access == Group.ReadAccess.EVERYONE
    entry = ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.OPEN_GROUP)
    assert (entry.actor, entry.group) == (staff, region)
    url = reverse("admin:community_group_step", args=[region.pk, "set_read_access_selected"])
    with access_signals() as calls:
        assert client.post(url, {"apply": "yes", "read_access": "members"}).status_code == 302
    assert calls == [("group", region.pk)]
    assert ModerationLogEntry.objects.filter(action=ModerationLogEntry.Action.CLOSE_GROUP, actor=staff).count() == 1


def test_a_group_with_threads_cannot_be_deleted(client, login, staff, member):
    from threads import actions as thread_actions
    from threads.models import Theme

    login(staff)
    region = Group.objects.get(slug="zuid-holland")
    thread_actions.create_thread(
        author=member,
        group=region,
        title="Alleen voor Zuid-Holland",
        kind="question",
        body="Vraag.",
        themes=[Theme.objects.first()],
    )
    url = reverse("admin:community_group_delete", args=[region.pk])
    response = client.get(url)
    assert response.status_code == 200 and response.context["protected"]
    assert 'type="submit"' not in response.content.decode().split('id="content"')[1]
    client.post(url, {"post": "yes"})
    client.post(
        reverse("admin:community_group_changelist"),
        {"action": "delete_selected", "_selected_action": [region.pk], "post": "yes"},
    )
    assert Group.objects.filter(pk=region.pk).exists()
    with translation.override("en"), pytest.raises(DomainError, match="still has threads"):
        actions.delete_group(actor=staff, group=region)
    assert Group.objects.filter(pk=region.pk).exists()
    assert not ModerationLogEntry.objects.filter(action=ModerationLogEntry.Action.DELETE_GROUP).exists()


def test_a_group_without_threads_is_deleted_through_the_action(client, login, staff, member, ambassador):
    login(staff)
    group = Group.objects.create(slug="tijdelijk", name="Tijdelijk", kind=Group.Kind.THEME)
    actions.join_group(member=member, group=group)
    actions.make_moderator(actor=staff, member=ambassador, group=group)
    with access_signals() as calls:
        response = client.post(reverse("admin:community_group_delete", args=[group.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Group.objects.filter(pk=group.pk).exists()
    assert sorted(calls) == sorted([("member", member.pk), ("member", ambassador.pk)])
    entry = ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.DELETE_GROUP)
    assert (entry.actor, entry.target_label, entry.target_id, entry.group) == (staff, "Tijdelijk", group.pk, None)
    assert group.pk not in Member.objects.get(pk=ambassador.pk).roles.moderated_group_ids


def test_memberships_cannot_be_added_changed_or_deleted_in_the_admin(client, login, staff, member):
    login(staff)
    membership = Membership.objects.filter(member=member).first()
    assert client.get(reverse("admin:community_membership_change", args=[membership.pk])).status_code == 200
    response = client.post(
        reverse("admin:community_membership_change", args=[membership.pk]),
        {"role": "moderator", "member": member.pk, "group": membership.group_id},
    )
    assert response.status_code == 403
    assert client.get(reverse("admin:community_membership_add")).status_code == 403
    assert (
        client.post(reverse("admin:community_membership_delete", args=[membership.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Membership.objects.get(pk=membership.pk).role == Membership.Role.MEMBER


def test_a_new_account_is_still_added_with_the_add_form_and_waits_for_approval(client, login, staff):
    login(staff)
    response = client.post(
        reverse("admin:community_member_add"),
        {
            "email": "nieuw@denhaag.nl",
            "name": "Nieuw Lid",
            "handle": "nieuw_lid",
            "password1": "een-lang-wachtwoord-9",
            "password2": "een-lang-wachtwoord-9",
        },
    )
    assert response.status_code == 302
    added = Member.objects.get(email="nieuw@denhaag.nl")
    assert (added.status, added.is_staff) == (Member.Status.PENDING, False)


def test_a_password_set_by_staff_ends_the_members_sessions_and_closes_their_sockets(
    client, login, staff, member, published, django_capture_on_commit_callbacks
):
    from django.test import Client

    elsewhere = Client()
    elsewhere.force_login(member, backend="community.auth.EmailBackend")
    session_key = elsewhere.session.session_key
    login(staff)
    url = reverse("admin:auth_user_password_change", args=[member.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {"password1": "een-nieuw-wachtwoord-42", "password2": "een-nieuw-wachtwoord-42", "usable_password": "true"},
        )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("een-nieuw-wachtwoord-42")
    assert elsewhere.get("/notifications/").status_code == 302  # logged out there
    from notifications.groups import session_group

    assert ([session_group(session_key)], {"type": "session.close", "code": 4401}) in published
