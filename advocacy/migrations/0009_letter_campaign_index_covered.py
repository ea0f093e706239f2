"""The letter's own `campaign_id` index, dropped: the four other indexes of the table
(one letter per supporter and MEP, one text per MEP, counts by status, pacing) all start with
that column. A letter row is written three times (inserted, queued, sent) and each write
maintained it too. As in 0008: the model changes in the migration state only, and on
PostgreSQL the index is dropped CONCURRENTLY, without re-adding the foreign key."""

import django.db.models.deletion
from django.db import migrations, models

from advocacy.migrations._concurrently import drop_covered_fk_indexes


class Migration(migrations.Migration):
    atomic = False  # DROP/CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("advocacy", "0008_fk_indexes_covered_by_composites"),
        ("campaign", "0003_single_line_header_values"),
    ]

    operations = [
        drop_covered_fk_indexes(
            "advocacy",
            [
                (
                    "letter",
                    "campaign",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="letters",
                        to="campaign.campaign",
                    ),
                ),
            ],
        ),
    ]
