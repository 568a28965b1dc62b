"""Request-wide rules: no NUL characters, the member's language, and who may see forum content."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.auth.middleware import get_user
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

NUL = "\x00"


def holds_nul(request: HttpRequest) -> bool:
    """Whether the path, a query parameter or a form field (name or value) holds a NUL."""
    if NUL in request.path_info:
        return True
    fields = [request.GET, request.POST] if request.method == "POST" else [request.GET]
    for data in fields:
        for name, values in data.lists():
            if NUL in name or any(NUL in value for value in values):
                return True
    return False


def cookies_hold_nul(request: HttpRequest) -> bool:
    return any(NUL in name or NUL in value for name, value in request.COOKIES.items())


def activate_member_language(request: HttpRequest) -> None:
    user = request.user
    if user.is_authenticated and user.language:
        translation.activate(user.language)
        request.LANGUAGE_CODE = translation.get_language()


class RejectNulMiddleware:
    """A request holding a NUL character gets the "bad request" page (400), before any view.

    No browser sends one, and PostgreSQL text cannot hold it: a NUL that reached a query
    (a search, an autocomplete, a handle in the path, the session cookie) would fail it
    with a server error. One rule here instead of a check at every parameter. It runs
    before the session is read, so that a forged session cookie never reaches the
    database; with sound cookies the page is shown as the member sees the site (their
    language, their header), else as to a visitor.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        bad_cookies = cookies_hold_nul(request)
        if not bad_cookies and not holds_nul(request):
            return self.get_response(request)
        if not bad_cookies:
            request.user = get_user(request)
            activate_member_language(request)
        reason = _("The address or the form holds a character that is not allowed (a NUL character).")
        return render(request, "400.html", {"reason": reason}, status=400)


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with ``request.user`` loaded at once instead of behind a lazy proxy.

    Every page needs the member (the language, the login requirement, the header), and
    a page's permission checks and templates read ``request.user`` hundreds of times;
    through the proxy each read is a function call.
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = get_user(request)


class MemberLanguageMiddleware:
    """A logged-in member sees the site in the language of their profile."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        activate_member_language(request)
        return self.get_response(request)


class ActiveMemberMiddleware:
    """Pending and suspended members see only their own account pages.

    Every view is forum content unless marked with ``@account_page`` (or public,
    with ``@login_not_required``); the rule lives here once instead of in each view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_participant:
            return None
        if getattr(view_func, "account_page", False) or getattr(view_func, "login_required", True) is False:
            return None
        return redirect("account_status")
