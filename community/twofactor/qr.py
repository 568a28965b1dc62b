"""The enrolment QR code as inline SVG (segno: no image library, no extra request, and
nothing for the Content Security Policy to allow)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from community.twofactor.devices import CODE_DIGITS


def provisioning_uri(*, secret: str, account: str) -> str:
    """The ``otpauth://`` address authenticator apps read from the QR code
    (Key URI Format: issuer, account, base32 secret, SHA1, 6 digits, 30 seconds)."""
    issuer = getattr(settings, "OTP_TOTP_ISSUER", settings.SITE_NAME).replace(":", "")
    label = quote(f"{issuer}:{account}")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": CODE_DIGITS, "period": 30})
    return f"otpauth://totp/{label}?{query}"


def qr_svg(data: str, *, label: str) -> SafeString:
    """An SVG image of the QR code, black on white with a quiet zone, named for screen readers."""
    # A regular QR code (``make_qr``: never a Micro QR, which authenticator apps cannot read),
    # sized by the stylesheet through its viewBox.
    svg = segno.make_qr(data, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", svgclass="qr-code", lineclass=None, omitsize=True
    )
    named = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" focusable="false" ', 1)
    return mark_safe(named)
