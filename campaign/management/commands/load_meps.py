"""`manage.py load_meps`: load or refresh the MEP directory from campaign/data/meps/."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaign.directory import DATA_DIR, DirectoryDataError, directory_load

# A file broken the same way on every row (a spreadsheet re-formatting a column) would print
# one line per row; the first ones name the column, and -v 2 lists them all.
PROBLEMS_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Load the MEP directory (MEPs, mandates, committees and delegations, roll-call votes) "
        "from the CSV files. Re-runnable: upserts; MEPs no longer in the data are marked not "
        "in office, never deleted. Any file may be left out (what it holds is then left as "
        "stored); a file that cannot be read stops the load before anything is written. Bad "
        "rows are skipped and listed, the rest is loaded, and the command then exits non-zero."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=DATA_DIR,
            help="Directory holding the CSV files (default: the copy shipped with Resolute): "
            "ep_bodies.csv, meps_term9.csv, meps_term10.csv, mep_memberships.csv, and every "
            "*_rollcalls.csv with its *_mep_votes.csv. UTF-8, comma- or semicolon-separated.",
        )
        parser.add_argument(
            "--allow-retire",
            action="store_true",
            help="Allow one load to take many sitting MEPs out of office (after an election).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            result = directory_load(
                data_dir=options["data_dir"],
                allow_retire=options["allow_retire"],
                log=self.stdout.write,
            )
        except DirectoryDataError as exc:
            raise CommandError(f"nothing loaded: {exc}") from exc
        shown = result.problems if options["verbosity"] > 1 else result.problems[:PROBLEMS_SHOWN]
        for problem in shown:
            self.stderr.write(problem)
        if len(shown) < len(result.problems):
            self.stderr.write(
                f"… and {len(result.problems) - len(shown)} more problem(s) (-v 2 lists them all)"
            )
        summary = (
            f"MEP directory loaded in {time.monotonic() - started:.1f}s: "
            f"{result.meps} MEPs ({result.meps_in_office} in office), "
            f"{result.bodies} bodies, {result.roll_calls} roll calls."
        )
        if result.problems:
            self.stdout.write(summary)
            raise CommandError(
                f"{len(result.problems)} problem(s) in the data (listed above); "
                "the valid rows were loaded"
            )
        self.stdout.write(self.style.SUCCESS(summary))
