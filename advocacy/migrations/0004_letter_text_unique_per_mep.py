# Letters to one MEP in one campaign must differ (advocacy.models.Letter). The code kept them
# apart before this constraint existed, save for a race; any such twin is made distinct first.

import django.db.models.functions.text
from django.db import migrations, models
from django.db.models import Count, Min


def sign_repeated_texts(apps, schema_editor):
    Letter = apps.get_model("advocacy", "Letter")
    twins = (
        Letter.objects.exclude(body="")
        .values("campaign_id", "mep_id", "body")
        .annotate(n=Count("id"), first=Min("id"))
        .filter(n__gt=1)
    )
    for group in twins.iterator():
        repeats = Letter.objects.filter(
            campaign_id=group["campaign_id"], mep_id=group["mep_id"], body=group["body"]
        ).exclude(pk=group["first"])
        for letter in repeats:
            letter.body = letter.body.rstrip("\n") + f"\n\n(letter {letter.pk})\n"
            letter.save(update_fields=["body"])


class Migration(migrations.Migration):
    dependencies = [
        ("advocacy", "0003_letter_pacing_slot"),
        ("campaign", "0002_api_tokens_and_audit"),
    ]

    operations = [
        migrations.RunPython(sign_repeated_texts, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="letter",
            constraint=models.UniqueConstraint(
                models.F("campaign"),
                models.F("mep"),
                django.db.models.functions.text.MD5("body"),
                condition=models.Q(("body", ""), _negated=True),
                name="letter_text_unique_per_mep",
            ),
        ),
    ]
