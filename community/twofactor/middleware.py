"""The one place where the second factor is enforced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlparse

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from community.twofactor.state import lacks_second_factor, needs_enrolment


class SecondFactorMiddleware:
    """A session that lacks the second factor its member needs (everyone who moderates,
    and members who turned it on) reaches only the pages marked ``@before_second_factor``.

    Every other page, the forum, ``/moderation/``, every moderation action and the admin
    alike, sends it to enrolment (no second factor yet) or to the code step, with ``next``
    set to where it was going. The rule covers every view unless marked, as
    ``ActiveMemberMiddleware`` does for pending members, so a new moderation URL cannot
    forget it. It sets ``request.second_factor_missing`` for the page header.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        missing = user.is_authenticated and lacks_second_factor(user, request.session)
        request.second_factor_missing = missing
        if not missing or getattr(view_func, "before_second_factor", False):
            return None
        target = "two_factor_setup" if needs_enrolment(user, request.session) else "two_factor_verify"
        return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': return_address(request)})}")


def return_address(request: HttpRequest) -> str:
    """Where to go after the second factor: this page (GET), or for a form that was sent
    the page it was sent from, when that is on this site."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parsed = urlparse(referer)
        return parsed.path + (f"?{parsed.query}" if parsed.query else "")
    return reverse("home")
