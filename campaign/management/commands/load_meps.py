"""`manage.py load_meps`: load or refresh the MEP directory from campaign/data/meps/."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from campaign.directory import DATA_DIR, directory_load


class Command(BaseCommand):
    help = (
        "Load the MEP directory (MEPs, mandates, committees and delegations, roll-call votes) "
        "from the shipped CSV files. Re-runnable: upserts; MEPs no longer in the data are "
        "marked not in office, never deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=DATA_DIR,
            help="Directory holding the CSV files (default: the copy shipped with Resolute).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = directory_load(data_dir=options["data_dir"], log=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"MEP directory loaded in {time.monotonic() - started:.1f}s: "
                f"{result.meps} MEPs ({result.meps_in_office} in office), "
                f"{result.bodies} bodies, {result.roll_calls} roll calls."
            )
        )
