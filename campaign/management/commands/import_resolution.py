"""`manage.py import_resolution FILE|-`: a Legislative Observatory summary → draft campaigns."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from campaign.importer.services import (
    MAX_IMPORT_BYTES,
    ImportInputError,
    resolution_import,
    resolution_text_decode,
)
from campaign.models import Organisation


class Command(BaseCommand):
    help = (
        "Import a European Parliament Legislative Observatory (OEIL) summary: its metadata and "
        "calls, each call becoming a draft campaign. Re-running with the same text changes "
        "nothing; a revised text updates only drafts no organiser has edited."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="Path to the summary text (UTF-8), or - for stdin.")
        parser.add_argument(
            "--organisation", help="Slug of the organisation (needed when there are several)."
        )
        parser.add_argument("--source-url", default="", help="Where the text comes from.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would change; change nothing."
        )
        parser.add_argument(
            "--publish", action="store_true", help="Publish new campaigns (default: drafts)."
        )

    def _read(self, name: str) -> bytes:
        if name == "-":
            return sys.stdin.buffer.read(MAX_IMPORT_BYTES + 1)
        path = Path(name)
        if path.is_dir():
            raise CommandError(f"{name}: is a directory, not a file.")
        if not path.is_file():
            raise CommandError(f"{name}: no such file.")
        try:
            with path.open("rb") as handle:
                return handle.read(MAX_IMPORT_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"{name}: cannot be read ({exc.strerror}).") from exc

    def _organisation(self, slug: str | None) -> Organisation:
        if slug:
            try:
                return Organisation.objects.get(slug=slug)
            except Organisation.DoesNotExist:
                raise CommandError(f"No organisation with slug {slug!r}.") from None
        slugs = list(Organisation.objects.order_by("slug").values_list("slug", flat=True)[:6])
        if not slugs:
            raise CommandError(
                "No organisation exists yet: create one in the admin first (or run seed_demo)."
            )
        if len(slugs) > 1:
            listed = ", ".join(slugs[:5]) + (", …" if len(slugs) > 5 else "")
            raise CommandError(f"Say which organisation with --organisation SLUG ({listed}).")
        return Organisation.objects.get(slug=slugs[0])

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = self._organisation(options["organisation"])
        data = self._read(options["file"])
        try:
            text = resolution_text_decode(data=data)
            report = resolution_import(
                organisation=organisation,
                text=text,
                source_url=options["source_url"],
                publish=options["publish"],
                dry_run=options["dry_run"],
            )
        except ImportInputError as exc:
            raise CommandError(f"{options['file']}: {exc.message}") from exc

        prefix = "Would " if report.dry_run else ""
        state = (
            "new"
            if report.resolution_created
            else "revised"
            if report.resolution_updated
            else "unchanged"
        )
        self.stdout.write(f"Resolution {report.procedure_reference}: {state}.")
        for warning in report.warnings:
            self.stdout.write(f"  could not parse: {warning}")
        for verb, titles in (
            ("create", report.created),
            ("update", report.updated),
        ):
            for title in titles:
                addressed = ", ".join(report.addressees.get(title, ())) or "no one named"
                self.stdout.write(
                    f"  {prefix.lower() + verb if prefix else verb + 'd'}: {title}  → {addressed}"
                )
        for title in report.left_alone:
            self.stdout.write(f"  left alone (edited by an organiser or published): {title}")
        for title in report.disappeared:
            self.stdout.write(f"  no longer in the text (campaign kept, please review): {title}")
        summary = (
            f"{prefix}{'create' if prefix else 'created'} {len(report.created)}, "
            f"{'update' if prefix else 'updated'} {len(report.updated)}, "
            f"unchanged {len(report.unchanged)}, left alone {len(report.left_alone)} campaign(s)"
        )
        if report.dry_run:
            summary += " — dry run, nothing was written"
        self.stdout.write(self.style.SUCCESS(summary + "."))
