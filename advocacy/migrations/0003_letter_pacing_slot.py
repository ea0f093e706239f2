# Pacing reads each MEP's latest slots from the letters themselves (advocacy.letters._next_slot).

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def slots_from_the_outbox(apps, schema_editor):
    """Letters queued before this migration: their slot is their outbox row's not_before."""
    Letter = apps.get_model("advocacy", "Letter")
    OutboundEmail = apps.get_model("advocacy", "OutboundEmail")
    Letter.objects.filter(outbound_email__isnull=False).update(
        scheduled_for=Subquery(
            OutboundEmail.objects.filter(pk=OuterRef("outbound_email_id")).values("not_before")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("advocacy", "0002_webhooks"),
        ("campaign", "0002_api_tokens_and_audit"),
    ]

    operations = [
        migrations.AddField(
            model_name="letter",
            name="scheduled_for",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="letter",
            index=models.Index(fields=["campaign", "mep", "scheduled_for"], name="letter_pacing"),
        ),
        migrations.RunPython(slots_from_the_outbox, migrations.RunPython.noop),
    ]
