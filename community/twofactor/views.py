"""Pages of two-step verification. Thin: parse, access, check, one action, respond.

Every page works without JavaScript; the QR code is inline SVG and the secret is also
shown as text, for typing into the app or ``oathtool --totp -b``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe
from django_otp.util import random_hex

from community.decorators import account_page
from community.errors import DomainError
from community.twofactor import actions, permissions
from community.twofactor.devices import (
    FEW_CODES,
    base32_secret,
    format_recovery_code,
    grouped,
    has_second_factor,
    status_of,
)
from community.twofactor.forms import CodeForm, PasswordConfirmForm, RecoveryForm, ResetForm, SetupForm
from community.twofactor.limits import code_attempt, too_many_codes_message
from community.twofactor.qr import provisioning_uri, qr_svg
from community.twofactor.state import (
    NEW_CODES_SESSION_KEY,
    SETUP_KEY_SESSION_KEY,
    before_second_factor,
    forget_verification,
    is_verified,
    lacks_second_factor,
    mark_verified,
    requires_second_factor,
)


def next_url(request: HttpRequest) -> str:
    """``next`` from the form or the address, when it is a page of this site; else home."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


def _with_next(name: str, request: HttpRequest) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url(request)})}"


# --- The settings page's part ----------------------------------------------------------


@account_page
@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    member = request.user
    return render(
        request,
        "twofactor/overview.html",
        {
            "status": status_of(member),
            "required": requires_second_factor(member),
            "few_codes": FEW_CODES,
            "can": {"turn_off": permissions.can_turn_off_second_factor(member)},
        },
    )


# --- Enrolment --------------------------------------------------------------------------


@before_second_factor
@account_page
@never_cache
@sensitive_post_parameters("password", "code")
@require_http_methods(["GET", "HEAD", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Scan the QR code (or type the secret), then confirm with the password and a code.
    Replacing an app needs a verified session: a password alone never moves the factor."""
    member = request.user
    replacing = has_second_factor(member)
    if replacing and not is_verified(request.session):
        return HttpResponseRedirect(_with_next("two_factor_verify", request))
    key = request.session.get(SETUP_KEY_SESSION_KEY) or random_hex(20)
    request.session[SETUP_KEY_SESSION_KEY] = key
    form = SetupForm(request.POST or None, member=member, key=key)
    if request.method == "POST" and form.is_valid():
        device, codes = actions.enrol_second_factor(
            member=member, key=key, last_t=form.time_step or -1, keep=request.session.session_key
        )
        mark_verified(request, device)
        request.session.pop(SETUP_KEY_SESSION_KEY, None)
        request.session[NEW_CODES_SESSION_KEY] = codes
        messages.success(request, _("Two-step verification is on. You have been logged out on your other devices."))
        return HttpResponseRedirect(_with_next("two_factor_codes", request))
    secret = base32_secret(key)
    return render(
        request,
        "twofactor/setup.html",
        {
            "form": form,
            "secret": grouped(secret),
            "qr": qr_svg(
                provisioning_uri(secret=secret, account=member.email), label=_("QR code for your authenticator app")
            ),
            "replacing": replacing,
            "required": requires_second_factor(member),
            "next": next_url(request),
        },
    )


@account_page
@never_cache
@require_safe
def codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, once: no page shows them again."""
    new_codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    if not new_codes:
        return redirect("two_factor")
    return render(
        request,
        "twofactor/codes.html",
        {"codes": [format_recovery_code(code) for code in new_codes], "next": next_url(request)},
    )


@account_page
@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "HEAD", "POST"])
def new_codes(request: HttpRequest) -> HttpResponse:
    member = request.user
    if not has_second_factor(member):
        return redirect("two_factor")
    form = PasswordConfirmForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            request.session[NEW_CODES_SESSION_KEY] = actions.renew_recovery_codes(member=member)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("You have ten new recovery codes; the old ones no longer work."))
            return redirect("two_factor_codes")
    return render(request, "twofactor/new_codes.html", {"form": form})


@account_page
@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "HEAD", "POST"])
def turn_off(request: HttpRequest) -> HttpResponse:
    member = request.user
    permissions.check_turn_off_second_factor(member)
    if not has_second_factor(member):
        return redirect("two_factor")
    form = PasswordConfirmForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            actions.turn_off_second_factor(member=member, keep=request.session.session_key)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            forget_verification(request.session)
            messages.success(
                request, _("Two-step verification is off. You have been logged out on your other devices.")
            )
            return redirect("two_factor")
    return render(request, "twofactor/turn_off.html", {"form": form})


# --- The code step of the login ------------------------------------------------------------


def _verified(request: HttpRequest, device) -> HttpResponseRedirect:
    mark_verified(request, device)
    return HttpResponseRedirect(next_url(request))


@before_second_factor
@account_page
@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of the login: the code from the authenticator app."""
    member = request.user
    if not lacks_second_factor(member, request.session):
        return HttpResponseRedirect(next_url(request))
    if not has_second_factor(member):
        return HttpResponseRedirect(_with_next("two_factor_setup", request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        attempt = code_attempt(request, member)
        if not attempt.allowed:
            form.add_error(None, too_many_codes_message())
        else:
            device = actions.verify_code(member=member, code=form.cleaned_data["code"])
            if device is not None:
                attempt.succeeded()
                return _verified(request, device)
            form.add_error(
                "code", _("This code is not right, or it has been used already. Type the newest code from your app.")
            )
    return render(
        request,
        "twofactor/verify.html",
        {"form": form, "next": next_url(request), "required": requires_second_factor(member)},
    )


@before_second_factor
@account_page
@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "HEAD", "POST"])
def recovery(request: HttpRequest) -> HttpResponse:
    """The second step with a recovery code instead of the app: each code works once."""
    member = request.user
    if not lacks_second_factor(member, request.session):
        return HttpResponseRedirect(next_url(request))
    if not has_second_factor(member):
        return HttpResponseRedirect(_with_next("two_factor_setup", request))
    form = RecoveryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        attempt = code_attempt(request, member)
        if not attempt.allowed:
            form.add_error(None, too_many_codes_message())
        else:
            device = actions.use_recovery_code(member=member, code=form.cleaned_data["code"])
            if device is not None:
                attempt.succeeded()
                left = device.token_set.count()
                messages.warning(
                    request,
                    ngettext(
                        "You have used a recovery code. %(count)d code is left.",
                        "You have used a recovery code. %(count)d codes are left.",
                        left,
                    )
                    % {"count": left}
                    + (" " + _("Make new recovery codes on your settings page.") if left <= FEW_CODES else ""),
                )
                return _verified(request, device)
            form.add_error("code", _("This recovery code is not right, or it has been used already."))
    return render(request, "twofactor/recovery.html", {"form": form, "next": next_url(request)})


# --- The programme team resets a lost second factor ---------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def reset(request: HttpRequest, handle: str) -> HttpResponse:
    actor = request.user
    profile = permissions.access_resettable(actor, handle)
    enabled = has_second_factor(profile)
    form = ResetForm(request.POST or None)
    if request.method == "POST":
        if not enabled:
            raise PermissionDenied(_("This member has no two-step verification to reset."))
        if form.is_valid():
            try:
                actions.reset_second_factor(actor=actor, member=profile, reason=form.cleaned_data["reason"])
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _(
                        "The two-step verification of %(name)s has been reset; they have been logged out and told by e-mail."
                    )
                    % {"name": profile.name},
                )
                return redirect(profile)
    return render(request, "twofactor/reset.html", {"profile": profile, "enabled": enabled, "form": form})
