"""``manage.py send_meeting_reminders``: the day-before reminder of meetings.

Run it once a day (cron or a systemd timer, like ``send_digests``): every registered member
of a meeting that starts before the end of tomorrow gets one reminder (a notification, and
an e-mail as they chose); the join link of a webinar is in it, for them. Running it again,
or on two machines at once, sends nothing twice: a ledger row per meeting and member.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from community.meetings.actions import send_reminders


class Command(BaseCommand):
    help = "Send the day-before reminders of meetings (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_reminders()
        self.stdout.write(f"Meeting reminders: {sent} sent.")
