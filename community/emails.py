"""E-mails to members, rendered in the member's own language.

Each message is a pair of templates ``emails/<name>.txt`` and ``emails/<name>.html``
plus a one-line ``emails/<name>_subject.txt``. Sending happens after the
transaction commits, so a rolled-back action sends nothing.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from email.utils import quote
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from community.models import Member

logger = logging.getLogger(__name__)
# RFC 5322 specials: a display name holding one of them must be a quoted string
# (the same set as email.utils.formataddr's).
ADDRESS_SPECIALS = re.compile(r'[][\\()<>@,:;".]')


def format_address(name: str, address: str) -> str:
    """``Name <address>`` for a To header, the name quoted where it must be.

    "Vries, Jan de" becomes ``"Vries, Jan de" <jan@...>``: unquoted, the comma
    would make two addresses of it (and ``;:@<`` break it likewise). The
    quoting is email.utils.formataddr's; unlike formataddr, a non-ASCII name
    stays text here (Django encodes it when it sends the message), so that the
    outbox row stays readable, and an internationalised domain is allowed.
    Line breaks and other control characters never reach the header.
    """
    name = " ".join("".join(" " if unicodedata.category(char) == "Cc" else char for char in name).split())
    if not name:
        return address
    if ADDRESS_SPECIALS.search(name):
        name = f'"{quote(name)}"'
    return f"{name} <{address}>"


def member_address(member: Member) -> str:
    return format_address(member.name, member.email)


def render_email(name: str, *, member: Member, context: dict[str, Any]) -> EmailMultiAlternatives:
    context = {"member": member, "site_url": settings.SITE_URL, "site_name": settings.SITE_NAME, **context}
    with translation.override(member.language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
        text = render_to_string(f"emails/{name}.txt", context)
        html = render_to_string(f"emails/{name}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[member_address(member)])
    message.attach_alternative(html, "text/html")
    return message


# E-mails that invite an answer: a reply reaches the programme team, never a noreply address.
INVITE_AN_ANSWER = frozenset({"signup_rejected", "member_suspended"})


def send_email_on_commit(name: str, *, member: Member, context: dict[str, Any]) -> None:
    """Render now (the data is at hand), send once the transaction has committed.

    With an outbox configured (``settings.EMAIL_QUEUE``, the notifications app's)
    the message is a database row written in this transaction: it is sent right
    after the commit, and by the mail worker, with retries, should that fail.
    The setting names the queue, so that this lower app imports no higher one.
    """
    message = render_email(name, member=member, context=context)
    if name in INVITE_AN_ANSWER:
        message.reply_to = [settings.SUPPORT_EMAIL]
    if getattr(settings, "EMAIL_QUEUE", ""):
        import_string(settings.EMAIL_QUEUE)(message, kind=name, recipient_id=member.pk, send_on_commit=True)
        return

    def send() -> None:
        try:
            message.send()
        except OSError:
            # The mail server being down must not undo or fail the member's action.
            logger.exception("Could not send %s e-mail to member %s", name, member.pk)

    transaction.on_commit(send)


def absolute_url(path: str) -> str:
    return settings.SITE_URL + path
