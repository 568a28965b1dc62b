"""Pages of the community app. Thin: parse, access, check, one action, respond."""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core import signing
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import InterfaceError, OperationalError, connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from community import actions, permissions, throttle
from community.decorators import account_page
from community.errors import DomainError
from community.forms import (
    DeleteAccountForm,
    LiftSuspensionForm,
    MemberFilterForm,
    MunicipalityFilterForm,
    ProfileForm,
    RejectForm,
    SignupForm,
    SuspendForm,
)
from community.models import Group, Member, Municipality
from community.privacy import export_personal_data
from community.tokens import read_verification_token
from community.twofactor.state import before_second_factor

logger = logging.getLogger(__name__)

MEMBERS_PER_PAGE = 30


# --- Home and health ------------------------------------------------------------


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Is the database reachable, and can the channel layer carry a message?"""
    checks = {"database": _check_database(), "channel_layer": _check_channel_layer()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health check: database unreachable")
        return "error"
    return "ok"


def _check_channel_layer() -> str:
    layer = get_channel_layer()
    if layer is None:
        return "error"

    async def round_trip() -> None:
        channel = await layer.new_channel("healthz.")
        token = uuid.uuid4().hex
        await layer.send(channel, {"type": "healthz.ping", "token": token})
        message = await layer.receive(channel)
        if message.get("token") != token:
            raise RuntimeError("channel layer returned another message")

    async def bounded() -> None:
        await asyncio.wait_for(round_trip(), timeout=2)

    try:
        async_to_sync(bounded)()
    except Exception:
        logger.exception("Health check: channel layer unreachable")
        return "error"
    return "ok"


@login_not_required
@before_second_factor
@account_page
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switch: remembered in a cookie, and on the profile of a member."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in dict(settings.LANGUAGES) and check_for_language(language):
        if request.user.is_authenticated:
            actions.set_language(member=request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            samesite="Lax",
        )
    return response


# --- Sign-up and account --------------------------------------------------------


@login_not_required
def signup(request: HttpRequest) -> HttpResponse:
    """Sign up. An address that already has an account gets the same answer as a new one
    (its owner is mailed instead, ``actions.sign_up``), so the form tells nobody which
    addresses have accounts; every sign-up that gets that far counts toward the limit."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = throttle.client_ip(request)
        limits = settings.SIGNUP_THROTTLE
        # Counted before acting, so that parallel sign-ups cannot pass the limit.
        if throttle.hit("signup-ip", ip, window_seconds=limits["window_seconds"]) > limits["per_ip"]:
            throttle.unhit("signup-ip", ip)
            form.add_error(None, _("Too many sign-ups from this network. Try again in an hour."))
            form.ask_for_the_password_again()
        else:
            data = form.cleaned_data
            try:
                actions.sign_up(
                    name=data["name"],
                    email=data["email"],
                    password=data["password"],
                    municipality=data["municipality"],
                    position=data["position"],
                    handle=data["handle"],
                    language=request.LANGUAGE_CODE if request.LANGUAGE_CODE in dict(settings.LANGUAGES) else "nl",
                )
            except DomainError as error:
                form.add_error(None, error.message)
                form.ask_for_the_password_again()
            else:
                return redirect("signup_sent")
    return render(request, "community/signup.html", {"form": form})


@login_not_required
@require_safe
def signup_sent(request: HttpRequest) -> HttpResponse:
    """After signing up: check your e-mail (the same page whether or not the address was new)."""
    return render(request, "community/signup_sent.html")


@login_not_required
@require_safe
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        member_id, email = read_verification_token(token)
    except signing.SignatureExpired:
        return render(request, "community/verify_failed.html", {"expired": True}, status=400)
    except signing.BadSignature:
        return render(request, "community/verify_failed.html", {"expired": False}, status=400)
    member = Member.objects.filter(pk=member_id, email__iexact=email).first()
    if member is None:
        return render(request, "community/verify_failed.html", {"expired": False}, status=400)
    member = actions.verify_email(member=member)
    if member.is_participant:
        messages.success(request, _("Your e-mail address is verified and your account is active. Welcome!"))
    else:
        messages.success(
            request, _("Your e-mail address is verified. An ambassador of your province will review your sign-up.")
        )
    if request.user.is_authenticated and request.user.pk == member.pk:
        return redirect("account_status" if not member.is_participant else "home")
    return redirect("login")


@account_page
@require_POST
def resend_verification(request: HttpRequest) -> HttpResponse:
    member = request.user
    if member.is_email_verified:
        messages.info(request, _("Your e-mail address is already verified."))
    elif throttle.hit("verify-resend", str(member.pk), window_seconds=600) > 3:
        messages.error(
            request, _("We have sent several links already. Check your spam folder, or try again in ten minutes.")
        )
    else:
        actions.send_verification_email(member=member)
        messages.success(request, _("We have sent a new verification link to %(email)s.") % {"email": member.email})
    return redirect("account_status")


@account_page
@require_safe
def account_status(request: HttpRequest) -> HttpResponse:
    """Where pending and suspended members land: what their status means and what happens next."""
    return render(request, "community/account_status.html", {"member": request.user})


@account_page
def edit_profile(request: HttpRequest) -> HttpResponse:
    member = request.user
    form = ProfileForm(request.POST or None, instance=Member.objects.get(pk=member.pk))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_profile(
                member=member,
                name=data["name"],
                handle=data["handle"],
                position=data["position"],
                bio=data["bio"],
                language=data["language"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your profile has been saved."))
            response = redirect("edit_profile")
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, member.language, samesite="Lax", secure=settings.LANGUAGE_COOKIE_SECURE
            )
            return response
    return render(request, "community/profile_edit.html", {"form": form})


@account_page
def change_password(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        member = actions.change_password(
            member=request.user, password=form.cleaned_data["new_password1"], keep=request.session.session_key
        )
        update_session_auth_hash(request, member)
        messages.success(request, _("Your password has been changed. You have been logged out on your other devices."))
        return redirect("edit_profile")
    return render(request, "community/password_change.html", {"form": form})


@before_second_factor
@account_page
@require_POST
def log_out_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session of the member, this one too, and close their open pages' sockets."""
    actions.log_out_everywhere(member=request.user)
    logout(request)
    messages.success(request, _("You have been logged out on every device, this one too."))
    return redirect("login")


# --- Members --------------------------------------------------------------------


@require_safe
def member_autocomplete(request: HttpRequest) -> JsonResponse:
    """Handles for @mention completion: approved members whose handle or name starts with the text."""
    text = request.GET.get("q", "").strip().lstrip("@")[:30]
    if len(text) < 1:
        return JsonResponse({"members": []})
    members = (
        Member.objects.approved()
        .filter(Q(handle__istartswith=text) | Q(name__istartswith=text) | Q(name__icontains=f" {text}"))
        .select_related("municipality")
        .order_by("handle")[:8]
    )
    return JsonResponse(
        {
            "members": [
                {"handle": m.handle, "name": m.name, "municipality": m.municipality.name if m.municipality else ""}
                for m in members
            ]
        }
    )


@require_safe
def member_list(request: HttpRequest) -> HttpResponse:
    """The directory: who can I ask about this?"""
    form = MemberFilterForm(request.GET or None)
    members = Member.objects.approved().with_card_data().order_by("name", "pk")
    if form.is_valid():
        data = form.cleaned_data
        members = members.search(data["q"])
        if data["municipality"]:
            members = members.filter(municipality=data["municipality"])
        if data["region"]:
            members = members.filter(municipality__region=data["region"])
        if data["typology"]:
            members = members.filter(municipality__typologies=data["typology"])
        if data["position"]:
            members = members.filter(position=data["position"])
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "community/member_list.html", {"form": form, "page": page, "query": query.urlencode()})


# --- Municipalities -------------------------------------------------------------


@require_safe
def municipality_list(request: HttpRequest) -> HttpResponse:
    form = MunicipalityFilterForm(request.GET or None)
    municipalities = Municipality.objects.with_typologies().with_member_counts().order_by("region__name", "name")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            municipalities = municipalities.filter(name__icontains=data["q"].strip())
        if data["region"]:
            municipalities = municipalities.filter(region=data["region"])
        if data["typology"]:
            municipalities = municipalities.filter(typologies=data["typology"])
    return render(request, "community/municipality_list.html", {"form": form, "municipalities": municipalities})


# --- Groups ---------------------------------------------------------------------


@require_safe
def group_list(request: HttpRequest) -> HttpResponse:
    groups = Group.objects.select_related("region", "typology").order_by("kind", "name")
    by_kind: dict[str, list[Group]] = {}
    for group in groups:
        by_kind.setdefault(group.kind, []).append(group)
    headings = {
        Group.Kind.PLAZA: _("The plaza"),
        Group.Kind.REGION: _("Regional groups"),
        Group.Kind.TYPOLOGY: _("Typology groups"),
        Group.Kind.THEME: _("Theme groups"),
    }
    sections = [(headings[kind], by_kind[kind]) for kind in Group.Kind.values if by_kind.get(kind)]
    return render(
        request, "community/group_list.html", {"sections": sections, "my_group_ids": request.user.roles.group_ids}
    )


@require_POST
def join_group(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(Group, slug=slug)
    permissions.check_join_group(request.user, group)
    actions.join_group(member=request.user, group=group)
    messages.success(request, _("You have joined %(group)s.") % {"group": group.name})
    return redirect(group)


@require_POST
def leave_group(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(Group, slug=slug)
    permissions.check_leave_group(request.user, group)
    actions.leave_group(member=request.user, group=group)
    messages.success(request, _("You have left %(group)s.") % {"group": group.name})
    return redirect(group)


# --- Moderation: sign-ups and members ---------------------------------------------
# The /moderation/ page itself shows threads data too, so it lives in threads.views.moderation.


@require_POST
def approve_signup(request: HttpRequest, pk: int) -> HttpResponse:
    applicant = permissions.access_applicant(request.user, pk)
    permissions.check_decide_signup(request.user, applicant)
    try:
        actions.approve_member(actor=request.user, member=applicant)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s has been approved and informed by e-mail.") % {"name": applicant.name})
    return redirect("moderation")


def reject_signup(request: HttpRequest, pk: int) -> HttpResponse:
    applicant = permissions.access_applicant(request.user, pk)
    permissions.check_decide_signup(request.user, applicant)
    form = RejectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.reject_member(actor=request.user, member=applicant, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("The sign-up of %(name)s has been rejected; they were told why.") % {"name": applicant.name}
            )
            return redirect("moderation")
    return render(request, "community/reject.html", {"applicant": applicant, "form": form})


def suspend_member(request: HttpRequest, handle: str) -> HttpResponse:
    """Suspend a member of the moderator's province until a day, with a reason."""
    member = permissions.access_suspendable(request.user, handle)
    permissions.check_suspend_member(request.user, member)
    form = SuspendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.suspend_member(actor=request.user, member=member, until=data["until"], reason=data["reason"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("%(name)s is suspended and has been told why.") % {"name": member.name})
            return redirect(member)
    return render(request, "community/suspend.html", {"profile": member, "form": form})


def lift_suspension(request: HttpRequest, handle: str) -> HttpResponse:
    member = permissions.access_suspendable(request.user, handle)
    permissions.check_suspend_member(request.user, member)
    form = LiftSuspensionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.lift_suspension(actor=request.user, member=member, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The suspension of %(name)s has been lifted.") % {"name": member.name})
            return redirect(member)
    return render(request, "community/lift_suspension.html", {"profile": member, "form": form})


# --- Privacy (GDPR): download and delete -------------------------------------------


@account_page
@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "community/privacy.html")


@account_page
@require_POST
def export_data(request: HttpRequest) -> HttpResponse:
    """All of the member's data as a JSON download (POST: nothing is prefetched or cached)."""
    member = request.user
    data = export_personal_data(member)
    response = JsonResponse(data, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False, "indent": 2})
    filename = f"samenleven-{member.handle}-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@account_page
def delete_account(request: HttpRequest) -> HttpResponse:
    """Delete the account after the member confirms with their password."""
    member = request.user
    form = DeleteAccountForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            actions.delete_account(member=member)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            logout(request)
            messages.success(
                request, _("Your account has been deleted. Your posts remain, shown as from a former member.")
            )
            return redirect("home")
    return render(request, "community/delete_account.html", {"form": form})


@login_not_required
@account_page
def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page; while the database cannot be reached, a 503 that says so (``503.html``,
    ``Retry-After``). Both are rendered without a request: no member, no query."""
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = "30"
        return response
    return defaults.server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form whose CSRF check failed: explain, in the site's own layout."""
    return render(request, "403_csrf.html", status=403)


def SiteNamed(view: type) -> type:
    """One of Django's account views with the site's own name (``settings.SITE_NAME``, read
    per request) as ``site_name``, on its page and in the e-mail it sends: Django puts the
    host's name there (a ``RequestSite``), such as "127.0.0.1:8000"."""

    class Named(view):  # type: ignore[valid-type,misc]
        def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
            return {**super().get_context_data(**kwargs), "site_name": settings.SITE_NAME}

        def form_valid(self, form: Any) -> Any:
            if hasattr(self, "extra_email_context"):
                self.extra_email_context = {**(self.extra_email_context or {}), "site_name": settings.SITE_NAME}
            return super().form_valid(form)

    Named.__name__ = Named.__qualname__ = view.__name__
    return Named
