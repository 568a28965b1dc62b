"""Import the provinces, municipalities and typologies from the data folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from community.importer import DATA_DIR, DataError, import_dataset, read_dataset


class Command(BaseCommand):
    help = "Import all Dutch municipalities, the provinces and the typologies, and create their groups. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir", type=Path, default=DATA_DIR, help="Folder with the CSV files (default: community/data)."
        )

    def handle(self, *args: Any, data_dir: Path, **options: Any) -> None:
        try:
            dataset = read_dataset(data_dir)
        except DataError as error:
            raise CommandError(f"Nothing imported. {error}") from error
        report = import_dataset(dataset)
        labels = ["provinces", "municipalities", "typologies", "typology memberships", "groups"]
        for label in labels:
            self.stdout.write(
                f"{label}: {report.created[label]} created, {report.updated[label]} updated, {report.unchanged[label]} unchanged"
            )
        if report.changed:
            self.stdout.write(self.style.SUCCESS("Import complete."))
        else:
            self.stdout.write(self.style.SUCCESS("Everything was already up to date; nothing changed."))
