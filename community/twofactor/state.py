"""Who needs a second factor, and what a session knows about it.

The session holds two facts: ``otp_device_id`` (django-otp's key: this session passed the
second factor, with that device) and ``second_factor_due`` (the member had a second
factor when they logged in, so this session must pass it). Neither costs a query to read;
the rule for moderators is read from their roles, loaded once per request anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login

from community.twofactor.devices import has_second_factor

if TYPE_CHECKING:
    from django_otp.models import Device

    from community.models import Member

DUE_SESSION_KEY = "second_factor_due"
#: The secret shown on the enrolment page, kept until the member confirms it with a code.
SETUP_KEY_SESSION_KEY = "second_factor_setup_key"
#: New recovery codes, shown once on the next page and then forgotten.
NEW_CODES_SESSION_KEY = "second_factor_new_codes"

View = TypeVar("View", bound=Callable)


def before_second_factor(view: View) -> View:
    """A page that a session lacking its second factor may use: enrolment, the code step,
    recovery, logging out, the language switch. Every other page needs the second factor
    (``community.twofactor.middleware``)."""
    view.before_second_factor = True
    return view


def requires_second_factor(member: Any) -> bool:
    """Everyone who moderates logs in with a second factor: the programme team and the
    moderators of any group (the ambassadors among them). No query once roles are loaded."""
    if member is None or not member.is_authenticated or not member.is_active:
        return False
    return bool(member.is_staff or member.roles.moderated_group_ids)


def is_verified(session: SessionBase) -> bool:
    return bool(session.get(DEVICE_ID_SESSION_KEY))


def lacks_second_factor(member: Any, session: SessionBase) -> bool:
    """Must this session pass the second factor before it may go on? True for a session
    without a verified second factor of a member who has one or who moderates."""
    if member is None or not member.is_authenticated or is_verified(session):
        return False
    return bool(session.get(DUE_SESSION_KEY)) or requires_second_factor(member)


def start_session(session: SessionBase, member: Member) -> None:
    """At every login: the new session has not passed the second factor (yet)."""
    session.pop(DEVICE_ID_SESSION_KEY, None)
    session.pop(SETUP_KEY_SESSION_KEY, None)
    session.pop(NEW_CODES_SESSION_KEY, None)
    if has_second_factor(member):
        session[DUE_SESSION_KEY] = True
    else:
        session.pop(DUE_SESSION_KEY, None)


def mark_verified(request: HttpRequest, device: Device) -> None:
    """The session passed the second factor with ``device``; it lasts for the session.
    The session key changes, as at a login: a key seen before the step is worth nothing."""
    request.session.cycle_key()
    otp_login(request, device)
    request.session.pop(DUE_SESSION_KEY, None)


def forget_verification(session: SessionBase) -> None:
    """The second factor was turned off: the session no longer holds a verified one."""
    session.pop(DEVICE_ID_SESSION_KEY, None)
    session.pop(DUE_SESSION_KEY, None)


def needs_enrolment(member: Member, session: SessionBase) -> bool:
    """Where a session lacking its second factor goes: enrolment (True) or the code step."""
    return not session.get(DUE_SESSION_KEY) and not has_second_factor(member)
