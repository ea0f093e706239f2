"""Demo data for `make run`: an organisation, an organiser login, the MEP directory and the
founding resolution with its campaigns. Safe to re-run: it updates, never duplicates."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand
from django.db import transaction

from campaign.models import Membership, Organisation, OrganisationRole

SEED_RESOLUTION = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "resolutions"
    / "oeil-2022-2505-RSP-kazakhstan.txt"
)


class Command(BaseCommand):
    help = "Create demo data: an organisation, an organiser login, MEPs, the seed resolution."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="organiser")
        parser.add_argument("--no-meps", action="store_true", help="Skip loading the MEPs.")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            organisation, _ = Organisation.objects.get_or_create(
                slug="demo",
                defaults={
                    "name": "Demo Organisation",
                    "sending_address": "campaigns@demo.example.org",
                    "test_address": "letters-test@demo.example.org",
                },
            )
            user, _ = get_user_model().objects.get_or_create(
                username=options["username"],
                defaults={"email": "organiser@demo.example.org", "is_staff": True},
            )
            # A fresh password each run, printed once: nothing secret is kept in the repo.
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.is_staff = True
            user.save()
            Membership.objects.update_or_create(
                user=user, organisation=organisation, defaults={"role": OrganisationRole.OWNER}
            )
        self.stdout.write(f"Organisation: {organisation.name} (slug {organisation.slug})")

        commands = get_commands()
        if not options["no_meps"] and "load_meps" in commands:
            call_command("load_meps", stdout=self.stdout)
        if "import_resolution" in commands and SEED_RESOLUTION.exists():
            call_command(
                "import_resolution",
                str(SEED_RESOLUTION),
                organisation=organisation.slug,
                publish=True,
                stdout=self.stdout,
            )
        else:
            # Say so: otherwise the site starts with no campaign and nothing explains why.
            self.stdout.write(
                self.style.WARNING(
                    f"No demo campaigns: {SEED_RESOLUTION} or the import_resolution command "
                    "is missing; import a resolution with `manage.py import_resolution FILE "
                    "--organisation demo --publish`."
                )
            )
        self.stdout.write(
            self.style.SUCCESS(f"Organiser login: {user.get_username()} / {password}")
        )
