"""Request-wide rules: the member's language, and who may see forum content."""

from __future__ import annotations

from typing import Any, Callable

from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.auth.middleware import get_user
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation


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
        user = request.user
        if user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
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

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_participant:
            return None
        if getattr(view_func, "account_page", False) or getattr(view_func, "login_required", True) is False:
            return None
        return redirect("account_status")
