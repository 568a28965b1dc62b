"""Privacy (GDPR, SPEC F1): a member downloads all their data as JSON, and deletes
their account after confirming with their password: personal data removed in
every table, posts kept and shown as from "voormalig lid"."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community import actions as community_actions
from community.models import Member, Membership, ModerationLogEntry, Session
from notifications import actions as notification_actions
from notifications.models import Notification, Watch
from tests.factories import PASSWORD
from tests.threads.conftest import colleague, plein, themes
from threads import actions
from threads.models import Flag, Mark, Mention, Post, PostRevision, ReadState

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(member, colleague, staff, ambassador, plein, themes, django_capture_on_commit_callbacks):
    """Fatima's life on the site: a thread and an edited reply, a nuttig mark and a
    flag she gave, notifications, watch levels, e-mail preferences, a suspension with
    a reason that names her, and colleagues who mention and quote her."""
    with django_capture_on_commit_callbacks(execute=True):
        thread = actions.create_thread(
            author=member,
            group=plein,
            title="Taalcafés voor nieuwkomers",
            kind="question",
            body="Wie heeft ervaring met taalcafés?",
            themes=[themes[2]],
        )
        reply = actions.reply_to_thread(author=member, thread=thread, body="Aanvulling: ook voor statushouders.")
        actions.edit_post(editor=member, post=reply, body="Aanvulling: ook voor statushouders en expats.")
        other = actions.create_thread(
            author=colleague,
            group=plein,
            title="Werk voor arbeidsmigranten",
            kind="experience",
            body="Onze aanpak.",
            themes=[themes[1]],
        )
        their_post = other.posts.get()
        actions.mark_useful(member=member, post=their_post)
        answer = actions.reply_to_thread(
            author=colleague, thread=thread, body="Bij ons elke dinsdag. @fatima, kom eens kijken!"
        )
        actions.reply_to_thread(
            author=colleague,
            thread=thread,
            body=f"[quote=post:{reply.pk}]\nook voor statushouders\n[/quote]\n\nGoed punt.",
        )
        actions.mark_useful(member=colleague, post=reply)
        flagged = actions.reply_to_thread(author=colleague, thread=other, body="Bezoek mijn adviesbureau!")
        actions.flag_post(member=member, post=flagged, reason="other", text="Dit is reclame.")
        notification_actions.set_watch_level(member=member, theme=themes[0], level=Watch.Level.WATCHING)
        try:
            from notifications.email.actions import set_email_preferences

            set_email_preferences(member=member, kinds={}, digest="daily")
        except ImportError:  # the e-mail part is not there yet
            pass
        community_actions.suspend_member(
            actor=ambassador,
            member=member,
            until=timezone.now() + timedelta(days=1),
            reason=f"{member.name} (@fatima) plaatste reclame.",
        )
        community_actions.lift_suspension(actor=ambassador, member=member, reason="Excuses van Fatima el Amrani.")
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(Member),
        object_id=str(member.pk),
        object_repr=str(member),
        action_flag=CHANGE,
        change_message=f"Bio van {member.name} aangepast",
    )
    member.refresh_from_db()
    return {"thread": thread, "reply": reply, "answer": answer, "their_post": their_post, "flagged": flagged}


def download(client, handle: str = "fatima") -> dict:
    response = client.post(reverse("export_data"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(f'attachment; filename="samenleven-{handle}-')
    assert response["Cache-Control"] == "no-store"
    return json.loads(response.content)


# --- The download ------------------------------------------------------------------


def test_the_download_holds_all_of_the_members_data(client, login, member, history):
    login(member)
    data = download(client)
    profile = data["profile"]
    assert (profile["name"], profile["email"], profile["handle"]) == (member.name, member.email, "fatima")
    assert profile["municipality"] == {"code": "GM0518", "name": "'s-Gravenhage"}
    assert {"het-plein", "zuid-holland"} <= {m["group_slug"] for m in data["memberships"]}
    assert [t["title"] for t in data["threads_started"]] == ["Taalcafés voor nieuwkomers"]
    reply = next(p for p in data["posts"] if p["id"] == history["reply"].pk)
    assert reply["text_markdown"] == "Aanvulling: ook voor statushouders en expats."
    assert [r["text_markdown"] for r in reply["revisions"]] == ["Aanvulling: ook voor statushouders."]
    assert [m["post"] for m in data["useful_marks"]] == [history["their_post"].pk]
    assert [(f["post"], f["reason"], f["explanation"]) for f in data["flags"]] == [
        (history["flagged"].pk, "other", "Dit is reclame.")
    ]
    kinds = [n["kind"] for n in data["notifications"]]
    assert {"mentioned", "quoted", "suspended", "useful"} <= set(kinds)
    assert any("Thijs Willems" in n["text"] for n in data["notifications"])
    assert "wonen" in [w["theme"] for w in data["watch_levels"]]
    assert history["thread"].pk in [w["thread"] for w in data["watch_levels"]]  # watching the thread she started
    assert [d["action"] for d in data["moderation_decisions_about_you"]][-2:] == ["suspend_member", "lift_suspension"]
    if apps.is_installed("notifications") and "EmailPreference" in {
        m.__name__ for m in apps.get_app_config("notifications").get_models()
    }:
        assert data["preferences"][0]["digest"] == "daily"


def test_the_download_holds_nobody_elses_e_mail_address(client, login, member, colleague, history):
    login(member)
    text = client.post(reverse("export_data")).content.decode()
    assert colleague.email not in text
    assert member.email in text


def test_the_download_is_a_post_for_members_only(client, login, member, pending_member):
    assert client.post(reverse("export_data")).status_code == 302
    login(member)
    assert client.get(reverse("export_data")).status_code == 405
    login(pending_member)  # GDPR rights do not wait for approval
    assert download(client, "sara")["profile"]["status"] == "pending"


def test_the_privacy_page_is_linked_from_the_account_pages(client, login, member):
    login(member)
    assert reverse("privacy") in client.get(reverse("edit_profile")).content.decode()
    body = client.get(reverse("privacy")).content.decode()
    assert reverse("export_data") in body and reverse("delete_account") in body


def test_the_settings_page_has_a_privacy_section_when_it_exists(client, login, member):
    from django.urls import NoReverseMatch

    try:
        url = reverse("email_settings")
    except NoReverseMatch:
        pytest.skip("there is no /settings/ page yet")
    login(member)
    body = client.get(url).content.decode()
    assert 'id="privacy-heading"' in body and reverse("export_data") in body and reverse("delete_account") in body


# --- Deleting the account -------------------------------------------------------------


def personal_values(member: Member) -> dict[str, str]:
    return {"name": member.name, "email": member.email, "handle": member.handle}


def rows_naming(values: dict[str, str]) -> list[str]:
    """Every row of every model whose text, character or e-mail fields contain one of ``values``."""
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField))]
        if not fields:
            continue
        for label, value in values.items():
            query = models.Q()
            for field in fields:
                query |= models.Q(**{f"{field.name}__icontains": value})
            for row in model._default_manager.filter(query):
                hits = [f.name for f in fields if value.lower() in str(getattr(row, f.attname) or "").lower()]
                found.append(f"{model._meta.label} #{row.pk}: {label} in {hits}")
    return found


def test_deleting_the_account_needs_the_password_and_changes_nothing_without_it(client, login, member, history):
    login(member)
    response = client.post(reverse("delete_account"), {"password": "niet-mijn-wachtwoord"})
    assert response.status_code == 200 and response.context["form"].errors["password"]
    member.refresh_from_db()
    assert member.name == "Fatima el Amrani" and member.is_active and member.deleted_at is None


def test_deleting_the_account_removes_every_piece_of_personal_data_and_keeps_the_posts(
    client, login, member, colleague, history, django_capture_on_commit_callbacks
):
    values = personal_values(member)
    assert rows_naming(values)  # the scan finds her before
    other_client = Client()
    other_client.force_login(member, backend="community.auth.EmailBackend")  # her second browser
    post_ids = set(Post.objects.filter(author=member).values_list("pk", flat=True))
    login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("delete_account"), {"password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")

    assert rows_naming(values) == []
    former = Member.objects.get(pk=member.pk)
    assert former.name == "voormalig lid" and former.is_former_member and not former.is_active
    assert former.bio == "" and former.municipality is None and not former.has_usable_password()
    # Posts stay, numbered as before, shown as from a former member.
    assert set(Post.objects.filter(author=former).values_list("pk", flat=True)) == post_ids
    assert PostRevision.objects.filter(post=history["reply"]).count() == 1
    # Memberships, watch levels, read states, mentions and notifications are gone; sessions too.
    assert not Membership.objects.filter(member=former).exists()
    assert not Watch.objects.filter(member=former).exists()
    assert not ReadState.objects.filter(member=former).exists()
    assert not Mention.objects.filter(member=former).exists()
    assert not Notification.objects.filter(recipient=former).exists()
    assert not Notification.objects.filter(actor=former).exists()
    assert not Session.objects.filter(member=former).exists()
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(former.pk)]
    # What she gave stays, anonymously: the nuttig mark and the flag.
    assert Mark.objects.filter(member=former).count() == 1 and Flag.objects.filter(member=former).count() == 1
    assert ModerationLogEntry.objects.filter(action="delete_account", target_member=former).exists()
    # Logged out here and in the other browser; the old address no longer logs in.
    assert "_auth_user_id" not in client.session
    assert other_client.get(reverse("groups")).status_code == 302
    assert not Client().login(username=values["email"], password=PASSWORD)

    login(colleague)
    body = client.get(history["thread"].get_absolute_url() + "?page=1").content.decode()
    assert "Wie heeft ervaring met taalcafés?" in body and "voormalig lid" in body
    assert "Fatima" not in body
    assert client.get(reverse("member", args=[values["handle"]])).status_code == 404
    assert client.get(reverse("member", args=[former.handle])).status_code == 404


def test_a_deleted_account_is_shown_as_former_member_in_english_too(client, login, member, colleague, history):
    community_actions.delete_account(member=member)
    login(colleague)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(history["thread"].get_absolute_url() + "?page=1").content.decode()
    assert "former member" in body


def test_a_pending_member_deletes_their_sign_up(client, login, pending_member):
    login(pending_member)
    assert client.get(reverse("delete_account")).status_code == 200
    client.post(reverse("delete_account"), {"password": PASSWORD})
    assert Member.objects.get(pk=pending_member.pk).is_former_member
    assert rows_naming({"email": "sara", "name": "Sara Bouzid"}) == []


def test_wrong_passwords_are_limited(client, login, member, settings):
    settings.LOGIN_THROTTLE = {**settings.LOGIN_THROTTLE, "per_address_and_ip": 2}
    login(member)
    for _attempt in range(2):
        client.post(reverse("delete_account"), {"password": "fout"})
    response = client.post(reverse("delete_account"), {"password": PASSWORD})
    assert response.status_code == 200 and response.context["form"].errors["password"]
    assert not Member.objects.get(pk=member.pk).is_former_member


def test_parallel_wrong_passwords_for_deleting_get_no_extra_guess(member, settings):
    """Six guesses at once, each as slow as a production password check: two checked,
    four refused (the limit is counted before the check)."""
    from community.forms import DeleteAccountForm

    settings.LOGIN_THROTTLE = {**settings.LOGIN_THROTTLE, "per_address_and_ip": 2}
    parallel = 6
    start = threading.Barrier(parallel)
    original = Member.check_password

    def slow_check(self, raw_password):
        time.sleep(0.2)
        return original(self, raw_password)

    codes: list[str] = []

    def guess(number: int) -> None:
        form = DeleteAccountForm({"password": f"gok-{number}"}, member=member)
        start.wait(timeout=10)
        form.is_valid()
        codes.append(form.errors.as_data()["password"][0].code)

    with mock.patch.object(Member, "check_password", slow_check):
        threads = [threading.Thread(target=guess, args=(number,)) for number in range(parallel)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(codes) == ["throttled"] * 4 + ["wrong_password"] * 2


def test_the_right_password_does_not_use_up_a_guess(member, settings):
    from community.forms import DeleteAccountForm

    settings.LOGIN_THROTTLE = {**settings.LOGIN_THROTTLE, "per_address_and_ip": 2}
    assert [DeleteAccountForm({"password": PASSWORD}, member=member).is_valid() for _attempt in range(3)] == [True] * 3
    assert not DeleteAccountForm({"password": "fout"}, member=member).is_valid()
    assert DeleteAccountForm({"password": PASSWORD}, member=member).is_valid()


def test_nobody_can_take_the_handle_of_a_deleted_account(member, dutch_data):
    community_actions.delete_account(member=member)
    with pytest.raises(Exception):
        community_actions.check_handle_available(f"verwijderd_{member.pk + 1}")
    assert community_actions.derive_handle("Verwijderd 12") != "verwijderd_12"
