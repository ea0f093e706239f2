"""Delete unconfirmed signatures and letter requests past retention now (beat runs the same
services hourly)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from advocacy.letters import letter_request_unconfirmed_purge
from advocacy.signatures import signature_unconfirmed_purge


def _days(raw: str) -> int:
    # Zero or negative days would delete signatures created moments ago, before the
    # supporter could have opened the confirmation e-mail.
    try:
        days = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number of days") from None
    if days < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 day, not {days}")
    return days


class Command(BaseCommand):
    help = (
        "Delete pending signatures older than SIGNATURE_UNCONFIRMED_RETENTION_DAYS and pending "
        "letter requests older than LETTER_UNCONFIRMED_RETENTION_DAYS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=_days,
            default=None,
            help="Override both retention periods (whole days, at least 1).",
        )

    def handle(self, *args: Any, days: int | None = None, **options: Any) -> None:
        deleted = signature_unconfirmed_purge(older_than_days=days)
        self.stdout.write(f"Deleted {deleted} unconfirmed signature(s).")
        requests = letter_request_unconfirmed_purge(older_than_days=days)
        self.stdout.write(f"Deleted {requests} unconfirmed letter request(s).")
