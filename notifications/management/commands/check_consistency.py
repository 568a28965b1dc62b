"""``manage.py check_consistency``: stored counters against the rows, and every post's thread.

Prints one line per check and the rows that disagree; exits 1 if any does (after a restore:
``deploy/restore.sh`` runs it). Only reads.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from notifications.consistency import check_consistency


class Command(BaseCommand):
    help = "Check that stored counters equal what the rows say and that every post's thread exists."

    def handle(self, *args: Any, **options: Any) -> None:
        findings = check_consistency()
        for finding in findings:
            if finding.ok:
                self.stdout.write(f"ok    {finding.check}: {finding.what}")
            else:
                self.stdout.write(f"WRONG {finding.check}: {finding.what}: {finding.wrong} rows disagree")
                for example in finding.examples:
                    self.stdout.write(f"        {example}")
        wrong = [finding.check for finding in findings if not finding.ok]
        if wrong:
            raise CommandError(f"{len(wrong)} of {len(findings)} checks found rows that disagree: {', '.join(wrong)}")
        self.stdout.write(self.style.SUCCESS(f"All {len(findings)} checks agree."))
