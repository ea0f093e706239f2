"""Delete unconfirmed signatures past retention now (beat runs the same service hourly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from advocacy.signatures import signature_unconfirmed_purge


class Command(BaseCommand):
    help = "Delete pending signatures older than SIGNATURE_UNCONFIRMED_RETENTION_DAYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=None, help="Override the retention period (days)."
        )

    def handle(self, *args: Any, days: int | None = None, **options: Any) -> None:
        deleted = signature_unconfirmed_purge(older_than_days=days)
        self.stdout.write(f"Deleted {deleted} unconfirmed signature(s).")
