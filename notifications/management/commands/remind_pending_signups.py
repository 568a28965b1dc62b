"""``manage.py remind_pending_signups``: remind the reviewers of sign-ups waiting more than
two working days.

Run it once a day from cron or a systemd timer; the mail worker sends what it queues.
Each ambassador gets the sign-ups of their province, the programme team's members and its
mailbox (``SUPPORT_EMAIL``) all of them. Running it again the same day queues nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notifications.email.signups import queue_reminders


class Command(BaseCommand):
    help = "Remind the reviewers of sign-ups waiting more than two working days (once a day)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = queue_reminders()
        self.stdout.write(f"{count} reminders queued.")
