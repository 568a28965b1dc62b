"""Two-step verification (SPEC F7): enrolment with the password and a code, the code step
of the login, single-use recovery codes, wrong codes limited like wrong passwords, the
requirement for everyone who moderates (every page but a few, walked like the access
test), the programme team's logged reset, sessions, and the demo's shared secret."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from community import actions as community_actions
from community.demo import DEMO_TOTP_SECRET, demo_email
from community.models import Group, Member, ModerationLogEntry, Session
from community.twofactor.devices import base32_secret, key_from_base32, totp_device
from notifications.models import OutboxMessage
from tests.community.test_access import all_routes, fill, world
from tests.factories import PASSWORD
from tests.notifications.test_consumer import layer
from tests.second_factor import code_at, enrol, log_in_verified, next_code

pytestmark = pytest.mark.django_db

#: What a session lacking its second factor may still use.
BEFORE_SECOND_FACTOR = {
    "logout",
    "log_out_everywhere",
    "set_language",
    "two_factor_setup",
    "two_factor_verify",
    "two_factor_recovery",
}
MODERATION_URLS = {
    "moderation",
    "moderation_log",
    "review_flags",
    "approve_signup",
    "reject_signup",
    "suspend_member",
    "lift_suspension",
    "reset_second_factor",
    "pin_thread",
    "unpin_thread",
    "lock_thread",
    "unlock_thread",
    "hide_thread",
    "unhide_thread",
    "move_thread",
    "hide_post",
    "unhide_post",
    "edit_post",
}


def password_login(client: Client, member: Member, next_url: str = "") -> None:
    """The password step of the login form, as a browser sends it."""
    response = client.post(reverse("login"), {"username": member.email, "password": PASSWORD, "next": next_url})
    assert response.status_code == 302, response.content.decode()[:500]


def secret_on_page(body: str) -> str:
    match = re.search(r"data-secret>([A-Z2-7 ]+)<", body)
    assert match, "no secret on the page"
    return match.group(1).replace(" ", "")


def redirect_target(response) -> tuple[str, str]:
    """(path, next) of a redirect."""
    url = urlparse(response.url)
    return url.path, parse_qs(url.query).get("next", [""])[0]


# --- Enrolment -----------------------------------------------------------------------


def test_a_member_turns_on_two_step_verification_with_their_password_and_a_code(client, login, member):
    login(member)
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    body = page.content.decode()
    assert '<svg role="img" aria-label=' in body  # the QR code, inline
    secret = secret_on_page(body)
    key = key_from_base32(secret)
    assert client.get(reverse("two_factor_setup")).content.decode().count(secret[:4]) >= 1  # the same secret on reload
    assert secret_on_page(client.get(reverse("two_factor_setup")).content.decode()) == secret

    response = client.post(
        reverse("two_factor_setup"), {"password": PASSWORD, "code": code_at(key, _now_step()), "next": "/groups/"}
    )
    assert response.status_code == 302
    assert redirect_target(response) == (reverse("two_factor_codes"), "/groups/")
    device = TOTPDevice.objects.get(user=member)
    assert device.confirmed and device.key == key
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id

    codes_page = client.get(response.url).content.decode()
    saved = set(StaticToken.objects.filter(device__user=member).values_list("token", flat=True))
    assert len(saved) == django_settings.SECOND_FACTOR_RECOVERY_CODES == 10
    shown = {code.replace("-", "") for code in re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", codes_page)}
    assert shown == saved
    assert 'href="/groups/"' in codes_page  # and then on to where they were going
    # Shown once: afterwards neither that page nor the settings page shows a code.
    assert client.get(reverse("two_factor_codes")).url == reverse("two_factor")
    settings_page = client.get(reverse("email_settings")).content.decode()
    assert "Tweestapsverificatie" in settings_page and "10 herstelcodes over" in settings_page
    assert not any(code in settings_page or code[:4] + "-" + code[4:] in settings_page for code in saved)


def _now_step() -> int:
    import time

    return int(time.time()) // 30


def test_enrolment_needs_the_current_password_and_a_matching_code(client, login, member):
    login(member)
    secret = secret_on_page(client.get(reverse("two_factor_setup")).content.decode())
    key = key_from_base32(secret)
    wrong_password = client.post(
        reverse("two_factor_setup"), {"password": "not-my-password", "code": code_at(key, _now_step())}
    )
    assert wrong_password.status_code == 200 and wrong_password.context["form"].has_error("password", "wrong_password")
    wrong_code = client.post(reverse("two_factor_setup"), {"password": PASSWORD, "code": code_at(key, _now_step() + 5)})
    assert wrong_code.status_code == 200 and wrong_code.context["form"].has_error("code", "mismatch")
    not_digits = client.post(reverse("two_factor_setup"), {"password": PASSWORD, "code": "abcdef"})
    assert not_digits.context["form"].has_error("code", "format")
    assert not TOTPDevice.objects.filter(user=member).exists()


def test_turning_it_on_ends_the_members_other_sessions(client, login, member, django_capture_on_commit_callbacks):
    elsewhere = Client()
    elsewhere.force_login(member, backend="community.auth.EmailBackend")  # perhaps someone who has the password
    login(member)
    secret = secret_on_page(client.get(reverse("two_factor_setup")).content.decode())
    with django_capture_on_commit_callbacks(execute=True):  # the cached copies of ended sessions go on commit
        client.post(
            reverse("two_factor_setup"), {"password": PASSWORD, "code": code_at(key_from_base32(secret), _now_step())}
        )
    assert elsewhere.get(reverse("groups")).url.startswith(reverse("login"))
    assert client.get(reverse("groups")).status_code == 200


def test_a_password_alone_cannot_move_the_second_factor_to_another_app(client, login, member):
    device, _codes = enrol(member)
    login(member, verified=False)
    response = client.get(reverse("two_factor_setup"))
    assert redirect_target(response)[0] == reverse("two_factor_verify")
    assert client.post(reverse("two_factor_setup"), {"password": PASSWORD, "code": "123456"}).status_code == 302
    assert TOTPDevice.objects.get(user=member).pk == device.pk


# --- The code step of the login ----------------------------------------------------------


def test_logging_in_asks_for_the_code_and_then_goes_where_the_member_was_going(client, member):
    device, _codes = enrol(member)
    password_login(client, member, "/groups/")
    response = client.get("/groups/")
    assert redirect_target(response) == (reverse("two_factor_verify"), "/groups/")
    page = client.get(response.url)
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.content.decode()
    key_before = client.session.session_key
    response = client.post(reverse("two_factor_verify"), {"code": next_code(device), "next": "/groups/"})
    assert response.status_code == 302 and response.url == "/groups/"
    assert client.session.session_key != key_before  # a new key once the second step is passed
    assert client.get("/groups/").status_code == 200
    # It lasts for the session.
    assert client.get(reverse("latest")).status_code == 200


def test_a_code_works_once_and_a_new_session_asks_again(client, member):
    device, _codes = enrol(member)
    password_login(client, member)
    code = next_code(device)
    assert client.post(reverse("two_factor_verify"), {"code": code}).status_code == 302
    client.post(reverse("logout"))
    password_login(client, member)
    assert redirect_target(client.get("/groups/"))[0] == reverse("two_factor_verify")
    again = client.post(reverse("two_factor_verify"), {"code": code})
    assert again.status_code == 200 and again.context["form"].has_error("code")
    assert client.post(reverse("two_factor_verify"), {"code": next_code(device)}).status_code == 302
    assert client.get("/groups/").status_code == 200


def test_a_recovery_code_works_once(client, member):
    _device, codes = enrol(member)
    password_login(client, member)
    response = client.post(
        reverse("two_factor_recovery"), {"code": f"{codes[0][:4]}-{codes[0][4:].upper()}", "next": "/groups/"}
    )
    assert response.status_code == 302 and response.url == "/groups/"
    assert client.get("/groups/").status_code == 200
    assert StaticToken.objects.filter(device__user=member).count() == 9

    other = Client()
    password_login(other, member)
    refused = other.post(reverse("two_factor_recovery"), {"code": codes[0]})
    assert refused.status_code == 200 and refused.context["form"].has_error("code")
    assert redirect_target(other.get("/groups/"))[0] == reverse("two_factor_verify")
    assert other.post(reverse("two_factor_recovery"), {"code": codes[1]}).status_code == 302


def test_the_settings_page_shows_the_recovery_codes_left(client, login, member):
    _device, codes = enrol(member)
    login(member)
    for code in codes[:8]:
        StaticToken.objects.filter(token=code).delete()
    body = client.get(reverse("email_settings")).content.decode()
    assert "2 herstelcodes over" in body and "Maak nieuwe voordat ze op zijn" in body
    assert client.get(reverse("two_factor_new_codes")).status_code == 200
    response = client.post(reverse("two_factor_new_codes"), {"password": PASSWORD})
    assert response.url == reverse("two_factor_codes")
    assert StaticToken.objects.filter(device__user=member).count() == 10
    assert not StaticToken.objects.filter(token__in=codes[8:]).exists()  # the old ones stop working


def test_a_wrong_code_is_limited_like_a_wrong_password(client, member, settings):
    """The code step counts failures per member and per address with the login's limits
    (settings.LOGIN_THROTTLE), and refuses even the right code once they are used up."""
    settings.LOGIN_THROTTLE = {**settings.LOGIN_THROTTLE, "per_address_and_ip": 3, "per_ip": 100, "warn_after": 10}
    device, codes = enrol(member)
    password_login(client, member)
    for _ in range(3):
        wrong = client.post(reverse("two_factor_verify"), {"code": wrong_code(device)})
        assert wrong.context["form"].has_error("code")
    right = client.post(reverse("two_factor_verify"), {"code": next_code(device)})
    assert (
        right.status_code == 200
        and "Te veel verkeerde codes. Probeer het over 15 minuten opnieuw." in right.content.decode()
    )
    assert redirect_target(client.get("/groups/"))[0] == reverse("two_factor_verify")
    # A recovery code counts against the same limit, and is not used up.
    assert client.post(reverse("two_factor_recovery"), {"code": codes[0]}).status_code == 200
    assert StaticToken.objects.filter(device__user=member).count() == 10
    # From another browser, and another address, the member's limit holds just the same.
    other = Client(REMOTE_ADDR="192.0.2.7")
    password_login(other, member)
    assert other.post(reverse("two_factor_verify"), {"code": next_code(device)}).status_code == 200

    # The password step has the same limit: three wrong passwords, then even the right one is refused.
    third = Client(REMOTE_ADDR="192.0.2.8")
    for _ in range(3):
        third.post(reverse("login"), {"username": member.email, "password": "wrong-password!"})
    refused = third.post(reverse("login"), {"username": member.email, "password": PASSWORD})
    assert refused.status_code == 200 and refused.context["form"].has_error("__all__", "throttled")


def wrong_code(device: TOTPDevice) -> str:
    """A code of the device's key, but for a moment far from now: never accepted."""
    return code_at(device.key, _now_step() + 100)


def test_wrong_codes_from_one_address_are_limited_across_members(client, member, colleague_of, settings):
    settings.LOGIN_THROTTLE = {
        **settings.LOGIN_THROTTLE,
        "per_address_and_ip": 100,
        "per_address": 100,
        "per_ip": 4,
        "warn_after": 101,
    }
    people = [member, colleague_of(member, "pieter")]
    devices = [enrol(person)[0] for person in people]
    browsers = []
    for person in people:
        browser = Client(REMOTE_ADDR="198.51.100.9")
        password_login(browser, person)
        browsers.append(browser)
    for browser, device in zip(browsers, devices, strict=False):
        for _ in range(2):
            browser.post(reverse("two_factor_verify"), {"code": wrong_code(device)})
    # Four failures from this address: the right code of either member is refused now.
    assert browsers[1].post(reverse("two_factor_verify"), {"code": next_code(devices[1])}).status_code == 200
    # From another address it goes through.
    elsewhere = Client(REMOTE_ADDR="203.0.113.5")
    password_login(elsewhere, people[1])
    assert elsewhere.post(reverse("two_factor_verify"), {"code": next_code(devices[1])}).status_code == 302


@pytest.fixture
def colleague_of(staff):
    from tests.conftest import approved_member

    def make(member: Member, handle: str) -> Member:
        return approved_member(member.municipality, name=handle.title(), handle=handle)

    return make


# --- Everyone who moderates -------------------------------------------------------------


def admin_paths() -> list[str]:
    """The admin's index, its app pages and, for every model, its list, add and change pages."""
    paths = [reverse("admin:index"), reverse("admin:password_change"), reverse("admin:logout")]
    for model in admin.site._registry:
        meta = model._meta
        paths.append(reverse("admin:app_list", args=[meta.app_label]))
        paths.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        paths.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        paths.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[1]))
    return sorted(set(paths))


def fingerprint() -> tuple:
    from threads.models import Flag, Post, Thread

    return (
        list(Member.objects.order_by("pk").values_list("pk", "status", "is_staff", "suspended_until")),
        list(Thread.objects.order_by("pk").values_list("pk", "pinned", "locked", "hidden", "group_id")),
        list(Post.objects.order_by("pk").values_list("pk", "hidden", "body")),
        Flag.objects.count(),
        ModerationLogEntry.objects.count(),
        list(TOTPDevice.objects.order_by("pk").values_list("pk", "user_id")),
    )


@pytest.mark.parametrize(
    ("who", "enrolled"), [("staff", True), ("staff", False), ("ambassador", True), ("ambassador", False)]
)
def test_every_page_but_the_second_step_is_refused_to_a_moderator_without_a_verified_second_factor(
    client, world, staff, ambassador, who, enrolled
):
    """Walks every URL pattern of the site and the admin, GET and POST, each time right after
    a login with the password alone: every moderation URL, /admin/ and the forum answer
    with a redirect to the second step, and nothing changes."""
    person = staff if who == "staff" else ambassador
    if enrolled:
        enrol(person)
    target = reverse("two_factor_verify" if enrolled else "two_factor_setup")
    before = fingerprint()
    refused = set()
    routes = [(name, fill(route, world)) for name, route in all_routes()] + [("admin", path) for path in admin_paths()]
    for name, path in routes:
        for method in ("get", "post"):
            client.force_login(Member.objects.get(pk=person.pk), backend="community.auth.EmailBackend")
            response = getattr(client, method)(path)
            if name in BEFORE_SECOND_FACTOR:
                continue
            assert response.status_code == 302, f"{method.upper()} {path} answered {response.status_code}"
            where, back = redirect_target(response)
            assert where == target, f"{method.upper()} {path} went to {response.url}"
            if method == "get":
                assert back == path
            refused.add(name)
    assert MODERATION_URLS | {"admin", "home", "groups", "group", "thread", "search", "notifications"} <= refused
    assert fingerprint() == before


def test_a_moderator_without_a_second_factor_is_sent_to_enrolment_with_an_explanation_and_back(client, ambassador):
    password_login(client, ambassador, "/moderation/")
    response = client.get("/moderation/")
    assert redirect_target(response) == (reverse("two_factor_setup"), "/moderation/")
    page = client.get(response.url).content.decode()
    assert "Je modereert op Samenleven" in page
    secret = secret_on_page(page)
    response = client.post(
        reverse("two_factor_setup"),
        {"password": PASSWORD, "code": code_at(key_from_base32(secret), _now_step()), "next": "/moderation/"},
    )
    assert 'href="/moderation/"' in client.get(response.url).content.decode()
    assert client.get("/moderation/").status_code == 200


def test_a_member_made_moderator_in_a_session_without_second_factor_must_enrol_first(client, login, member):
    login(member)
    assert client.get(reverse("groups")).status_code == 200
    community_actions.make_moderator(member=member, group=Group.objects.get(slug="zuid-holland"))
    assert redirect_target(client.get(reverse("groups")))[0] == reverse("two_factor_setup")


def test_members_who_turned_it_on_pass_it_too_and_others_need_not(client, member, colleague_of):
    enrol(member)
    password_login(client, member)
    assert redirect_target(client.get(reverse("groups")))[0] == reverse("two_factor_verify")
    without = Client()
    password_login(without, colleague_of(member, "pieter"))
    assert without.get(reverse("groups")).status_code == 200
    assert without.get(reverse("two_factor_verify")).url == reverse("home")  # nothing to verify


def test_the_header_offers_no_forum_before_the_second_step(client, ambassador):
    enrol(ambassador)
    password_login(client, ambassador)
    body = client.get(reverse("two_factor_verify")).content.decode()
    assert 'href="/moderation/"' not in body and "data-live" not in body and 'href="/latest/"' not in body


def test_the_next_address_must_be_on_this_site(client, member):
    device, _codes = enrol(member)
    password_login(client, member)
    response = client.post(
        reverse("two_factor_verify"), {"code": next_code(device), "next": "https://elders.example/inloggen/"}
    )
    assert response.url == reverse("home")


def test_a_moderator_cannot_turn_it_off_and_a_member_can(
    client, login, member, ambassador, django_capture_on_commit_callbacks
):
    login(ambassador)
    assert client.get(reverse("two_factor_turn_off")).status_code == 403
    assert client.post(reverse("two_factor_turn_off"), {"password": PASSWORD}).status_code == 403
    assert TOTPDevice.objects.filter(user=ambassador).exists()

    enrol(member)
    elsewhere = log_in_verified(Client(), member)
    login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("two_factor_turn_off"), {"password": PASSWORD})
    assert response.url == reverse("two_factor")
    assert not TOTPDevice.objects.filter(user=member).exists() and not StaticDevice.objects.filter(user=member).exists()
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert elsewhere.get(reverse("groups")).url.startswith(reverse("login"))


def test_the_pages_speak_english_too(client, member):
    enrol(member)
    Member.objects.filter(pk=member.pk).update(language="en")
    password_login(client, member)
    english = client.get(reverse("two_factor_verify")).content.decode()
    assert "Two-step verification" in english and "Use a recovery code" in english
    Member.objects.filter(pk=member.pk).update(language="nl")
    dutch = client.get(reverse("two_factor_recovery")).content.decode()
    assert "Inloggen met een herstelcode" in dutch


# --- Sessions -------------------------------------------------------------------------------


def test_log_out_everywhere_ends_verified_sessions(client, login, ambassador, django_capture_on_commit_callbacks):
    other = log_in_verified(Client(), ambassador)
    assert other.get(reverse("moderation")).status_code == 200
    login(ambassador)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("log_out_everywhere"))
    assert other.get(reverse("moderation")).url.startswith(reverse("login"))
    assert client.get(reverse("moderation")).url.startswith(reverse("login"))


def test_a_password_change_ends_the_other_verified_sessions_and_keeps_this_one(
    client, login, ambassador, django_capture_on_commit_callbacks
):
    """The session the password was changed in showed both factors just now; it stays
    verified. Every other session ends."""
    other = log_in_verified(Client(), ambassador)
    login(ambassador)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("change_password"),
            {
                "old_password": PASSWORD,
                "new_password1": "een-nieuw-wachtwoord-42",
                "new_password2": "een-nieuw-wachtwoord-42",
            },
        )
    assert response.status_code == 302
    assert other.get(reverse("moderation")).url.startswith(reverse("login"))
    assert client.get(reverse("moderation")).status_code == 200
    sessions = list(Session.objects.filter(member=ambassador))
    assert len(sessions) == 1 and sessions[0].get_decoded()[DEVICE_ID_SESSION_KEY]


# --- The programme team resets a lost second factor ----------------------------------------


def test_staff_reset_a_members_second_factor_and_the_log_says_so(
    client, login, staff, ambassador, django_capture_on_commit_callbacks
):
    enrol(ambassador)
    ambassadors_browser = log_in_verified(Client(), ambassador)
    login(staff)
    profile = client.get(reverse("member", args=[ambassador.handle])).content.decode()
    assert reverse("reset_second_factor", args=[ambassador.handle]) in profile
    page = client.get(reverse("reset_second_factor", args=[ambassador.handle]))
    assert page.status_code == 200
    without_reason = client.post(reverse("reset_second_factor", args=[ambassador.handle]), {"reason": " "})
    assert without_reason.status_code == 200 and TOTPDevice.objects.filter(user=ambassador).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reset_second_factor", args=[ambassador.handle]),
            {"reason": "Telefoon kwijt; teruggebeld op haar bekende nummer."},
        )
    assert response.url == ambassador.get_absolute_url()
    assert (
        not TOTPDevice.objects.filter(user=ambassador).exists()
        and not StaticDevice.objects.filter(user=ambassador).exists()
    )
    entry = ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.RESET_SECOND_FACTOR)
    assert (entry.actor_id, entry.target_member_id, entry.reason) == (
        staff.pk,
        ambassador.pk,
        "Telefoon kwijt; teruggebeld op haar bekende nummer.",
    )
    log = client.get(reverse("moderation_log")).content.decode()
    assert "tweestapsverificatie" in log and "Telefoon kwijt" in log
    assert OutboxMessage.objects.filter(kind="second_factor_reset", recipient_id=ambassador.pk).exists()
    # Logged out everywhere; at the next login she sets up a new second factor.
    assert ambassadors_browser.get(reverse("moderation")).url.startswith(reverse("login"))
    password_login(ambassadors_browser, ambassador)
    assert redirect_target(ambassadors_browser.get(reverse("moderation")))[0] == reverse("two_factor_setup")


def test_only_staff_reset_and_not_their_own(client, login, staff, ambassador, member):
    enrol(member)
    login(ambassador)
    assert client.get(reverse("reset_second_factor", args=[member.handle])).status_code == 404
    assert (
        client.post(reverse("reset_second_factor", args=[member.handle]), {"reason": "Waarom niet"}).status_code == 404
    )
    assert (
        reverse("reset_second_factor", args=[member.handle])
        not in client.get(reverse("member", args=[member.handle])).content.decode()
    )
    login(staff)
    assert client.get(reverse("reset_second_factor", args=[staff.handle])).status_code == 404
    assert TOTPDevice.objects.filter(user=member).exists()
    assert not ModerationLogEntry.objects.filter(action=ModerationLogEntry.Action.RESET_SECOND_FACTOR).exists()


def test_the_admin_does_not_edit_second_factors():
    assert not admin.site.is_registered(TOTPDevice) and not admin.site.is_registered(StaticDevice)


# --- The live socket ------------------------------------------------------------------------


def _session_cookie(member: Member, *, verified: bool) -> bytes:
    browser = Client()
    if verified:
        log_in_verified(browser, member)
    else:
        browser.force_login(member, backend="community.auth.EmailBackend")
    return (
        f"{django_settings.SESSION_COOKIE_NAME}={browser.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()
    )


@pytest.mark.django_db(transaction=True)
async def test_the_socket_opens_only_after_the_second_step(layer, ambassador):
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator

    from community.asgi import application
    from tests.notifications.test_consumer import ORIGIN

    await sync_to_async(enrol)(ambassador)
    for verified in (False, True):
        cookie = await sync_to_async(_session_cookie)(ambassador, verified=verified)
        communicator = WebsocketCommunicator(application, "/ws/", headers=[ORIGIN, (b"cookie", cookie)])
        connected, _subprotocol = await communicator.connect()
        assert connected
        if verified:
            assert (await communicator.receive_json_from())["type"] == "session.ready"
        else:
            assert await communicator.receive_output() == {"type": "websocket.close", "code": 4403}
        await communicator.disconnect()


# --- Account deletion and the data export --------------------------------------------------


def test_the_data_export_says_whether_it_is_on_but_not_the_secret(client, login, member):
    device, codes = enrol(member)
    login(member)
    body = client.post(reverse("export_data")).content.decode()
    assert '"two_step_verification"' in body and '"recovery_codes_left": 10' in body
    assert device.key not in body and base32_secret(device.key) not in body and codes[0] not in body


def test_deleting_the_account_removes_the_second_factor(client, login, member):
    enrol(member)
    login(member)
    client.post(reverse("delete_account"), {"password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=member).exists() and not StaticDevice.objects.filter(user=member).exists()


# --- The demo -------------------------------------------------------------------------------


def test_the_demo_secret_works_only_when_the_demo_data_was_seeded(client, dutch_data, settings):
    demo_key = key_from_base32(DEMO_TOTP_SECRET)
    # Settings never hold it, in any form.
    for name in dir(django_settings):
        if name.isupper():
            text = repr(getattr(django_settings, name))
            assert DEMO_TOTP_SECRET not in text and demo_key not in text, name
    staff = Member.objects.create_superuser("team@gemeente.example", PASSWORD, name="Team", handle="team2")
    enrol(staff)
    assert not TOTPDevice.objects.filter(key=demo_key).exists()

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    seeded = Member.objects.get(email=demo_email("programmateam"))
    assert totp_device(seeded).key == demo_key
    assert TOTPDevice.objects.filter(key=demo_key).count() == 5  # the programme team and four ambassadors
    assert totp_device(staff).key != demo_key
    ambassador = Member.objects.get(email=demo_email("esther_bakker"))
    response = client.post(
        reverse("login"), {"username": ambassador.email, "password": "samenleven-demo", "next": "/moderation/"}
    )
    assert response.status_code == 302
    assert redirect_target(client.get("/moderation/"))[0] == reverse("two_factor_verify")
    code = code_at(demo_key, _now_step())
    assert client.post(reverse("two_factor_verify"), {"code": code, "next": "/moderation/"}).url == "/moderation/"
    assert client.get("/moderation/").status_code == 200
    # Seeding again leaves the enrolments as they are.
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert TOTPDevice.objects.filter(key=demo_key).count() == 5


def test_the_last_staff_member_is_reset_from_the_command_line(staff):
    enrol(staff)
    call_command(
        "reset_second_factor",
        staff.email,
        "--reason",
        "Enige beheerder, telefoon kwijt.",
        stdout=open("/dev/null", "w"),
    )
    assert not TOTPDevice.objects.filter(user=staff).exists()
    entry = ModerationLogEntry.objects.get(action=ModerationLogEntry.Action.RESET_SECOND_FACTOR)
    assert (
        entry.actor is None
        and entry.target_member_id == staff.pk
        and entry.reason == "Enige beheerder, telefoon kwijt."
    )
    with pytest.raises(CommandError):
        call_command("reset_second_factor", staff.email, "--reason", "Nog eens.", stdout=open("/dev/null", "w"))


def test_a_form_sent_before_the_second_step_comes_back_to_the_page_it_was_sent_from(client, ambassador):
    enrol(ambassador)
    password_login(client, ambassador)
    response = client.post("/t/1/pin/", HTTP_REFERER="http://testserver/t/1/?page=2")
    assert redirect_target(response) == (reverse("two_factor_verify"), "/t/1/?page=2")
    elsewhere = client.post("/t/1/pin/", HTTP_REFERER="https://elders.example/t/1/")
    assert redirect_target(elsewhere) == (reverse("two_factor_verify"), "/")
