"""Reset a member's second factor from the command line: for the programme team's last
account, when nobody is left to do it on the site. Logged like the reset on the site."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from community.errors import DomainError
from community.models import Member
from community.twofactor.actions import reset_second_factor


class Command(BaseCommand):
    help = (
        "Remove a member's two-step verification (lost phone, no recovery codes), with a reason for the moderation log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The member's e-mail address.")
        parser.add_argument(
            "--reason", required=True, help="For the moderation log: why, and how the member was identified."
        )

    def handle(self, *args: Any, email: str, reason: str, **options: Any) -> None:
        member = Member.objects.filter(email__iexact=email.strip()).first()
        if member is None:
            raise CommandError(f"No member with the e-mail address {email}.")
        try:
            reset_second_factor(actor=None, member=member, reason=reason)
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(f"The two-step verification of {member.email} has been reset; their sessions have ended.")
