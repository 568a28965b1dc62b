"""Second factors in tests: enrol a member, compute the code their app would show, and
give a test client a session that has passed the second step.

The requirement stays on in the tests; a test that acts as staff or as a moderator logs
in with ``log_in_verified`` (the ``login`` fixture does so for them).
"""

from __future__ import annotations

import binascii
import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from community.models import Member
from community.twofactor.actions import enrol_second_factor
from community.twofactor.devices import totp_device
from community.twofactor.state import DUE_SESSION_KEY, requires_second_factor


def enrol(member: Member, *, key: str | None = None) -> tuple[TOTPDevice, list[str]]:
    """Turn the member's second factor on (through the action); the device and the codes."""
    return enrol_second_factor(member=member, key=key or random_hex(20))


def code_at(key_hex: str, time_step: int, digits: int = 6) -> str:
    return f"{hotp(binascii.unhexlify(key_hex), time_step, digits=digits):0{digits}d}"


def next_code(device: TOTPDevice) -> str:
    """A code the device accepts now and for as long as it can: the current time step if it
    was not used yet, else a later one within the tolerance (waiting for the clock when all
    of those were used). An earlier step would be refused as soon as the clock moved on,
    which on a fast machine can be before the code is sent."""
    device.refresh_from_db()
    while True:
        now = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()
        for step in range(now, now + device.tolerance + 1):
            if step > device.last_t:
                return code_at(device.key, step, device.digits)
        time.sleep(1)


def needs_second_factor(member: Member) -> bool:
    return requires_second_factor(Member.objects.get(pk=member.pk)) or totp_device(member) is not None


def verify_session(client: Client, member: Member) -> None:
    """Mark the client's (logged-in) session as having passed the member's second factor,
    as the code step does."""
    device = totp_device(member)
    assert device is not None, f"{member} has no second factor"
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.pop(DUE_SESSION_KEY, None)
    session.save()


def log_in_client(client: Client, member: Member, *, verified: bool = True) -> Client:
    """Log ``member`` in on ``client`` as the login form would: staff and moderators (and
    members who turned it on) with a session that passed the second step, unless
    ``verified=False`` (the session the password alone opens)."""
    if verified and needs_second_factor(member):
        return log_in_verified(client, member)
    client.force_login(member, backend="community.auth.EmailBackend")
    return client


def log_in_verified(client: Client, member: Member) -> Client:
    """Log ``member`` in on ``client`` with a verified second factor (enrolled first if
    they have none: enrolling ends the member's other sessions)."""
    if totp_device(member) is None:
        enrol(member)
    client.force_login(member, backend="community.auth.EmailBackend")
    verify_session(client, member)
    return client
