"""The member's settings page (e-mail per kind of notification, the digest, the language)
and one-click unsubscribing from an e-mail."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.signing import BadSignature, SignatureExpired
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from community import actions as community_actions
from community.decorators import account_page
from community.models import Member
from community.twofactor.devices import FEW_CODES, status_of
from notifications.email import actions as email_actions
from notifications.email.forms import EmailPreferencesForm
from notifications.email.preferences import bulk_settings, email_kinds, email_kinds_for, kind_label
from notifications.email.unsubscribe import mask_email, read_token


@account_page
@require_http_methods(["GET", "HEAD", "POST"])
def email_settings(request: HttpRequest) -> HttpResponse:
    """/settings/: e-mail per notification kind, the digest and the language.
    Pending members may set them too (they take effect once approved)."""
    member = request.user
    current = bulk_settings([member.pk])[member.pk]
    form = EmailPreferencesForm(
        request.POST or None, current=current, language=member.language, kinds=email_kinds_for(member)
    )
    if request.method == "POST" and form.is_valid():
        # Kinds not on this member's page keep what they had.
        kinds = {**{k: v for k, v in current.kinds.items() if k in email_kinds()}, **form.chosen_kinds()}
        email_actions.set_email_preferences(
            member=member, kinds=kinds, digest=form.cleaned_data["digest"], mode=form.cleaned_data["mode"]
        )
        language = form.cleaned_data["language"]
        if language != member.language:
            community_actions.set_language(member=member, language=language)
        translation.activate(member.language)
        messages.success(request, _("Your settings have been saved."))
        response = redirect("email_settings")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, member.language, samesite="Lax", secure=settings.LANGUAGE_COOKIE_SECURE
        )
        return response
    second_factor = {"status": status_of(member), "few_codes": FEW_CODES}
    return render(request, "notifications/settings.html", {"form": form, "second_factor": second_factor})


def _unsubscribe_error(request: HttpRequest, *, expired: bool) -> HttpResponse:
    return render(request, "notifications/unsubscribe_invalid.html", {"expired": expired}, status=400)


@login_not_required
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """/unsubscribe/<token>/: GET shows what will stop, POST stops it.

    No login and no CSRF token (RFC 8058 one-click: the mail program POSTs
    ``List-Unsubscribe=One-Click``); the signed token is the authorisation. A
    forged, altered or expired token changes nothing and says so.
    """
    try:
        found = read_token(token)
    except SignatureExpired:
        return _unsubscribe_error(request, expired=True)
    except BadSignature:
        return _unsubscribe_error(request, expired=False)
    member = Member.objects.filter(pk=found.member_id).only("pk", "email", "language").first()
    if member is None:
        return _unsubscribe_error(request, expired=False)
    # The page speaks the language of the e-mail the link came from.
    translation.activate(member.language or settings.LANGUAGE_CODE)
    what = (
        _("the digest (the daily or weekly summary)")
        if found.is_digest
        else _("e-mails about: %(kind)s") % {"kind": kind_label(found.kind or "")}
    )
    # Whoever holds the link (a forwarded mail) sees the address masked, not whole.
    context = {"what": what, "email": mask_email(member.email), "token": token}
    if request.method == "POST":
        everything = request.POST.get("everything") == "1"
        email_actions.unsubscribe(request=found, everything=everything)
        return render(request, "notifications/unsubscribe_done.html", {**context, "everything": everything})
    return render(request, "notifications/unsubscribe.html", context)
