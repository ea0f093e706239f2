"""Operators' check of the whole mail path: writes one outbox row and lets a worker send it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from advocacy.models import EmailKind
from advocacy.outbox import outbound_email_create


class Command(BaseCommand):
    help = "Queue one test e-mail through the outbox (a running worker delivers it)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("recipient")
        parser.add_argument("--subject", default="Resolute test e-mail")

    def handle(self, *args: Any, **options: Any) -> None:
        recipient = options["recipient"].strip()
        try:
            validate_email(recipient)
        except ValidationError as exc:
            raise CommandError(f"{recipient!r} is not an e-mail address.") from exc
        with transaction.atomic():
            email = outbound_email_create(
                kind=EmailKind.NOTIFICATION,
                recipient=recipient,
                subject=options["subject"],
                body_text="This is a test e-mail from Resolute. The outbox works.\n",
            )
        self.stdout.write(f"Queued outbox row {email.pk} ({email.message_id}) to {recipient}.")
