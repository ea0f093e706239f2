"""Two foreign-key indexes that other indexes already cover, dropped.

`advocacy_signature.petition_id` had an index of its own besides the unique
(petition, supporter) index and the (petition, status, confirmed_at) one, which both start with
it; `advocacy_supporter.organisation_id` besides the unique (organisation, email) index. Every
first signature wrote both: two of the twenty-two index entries its one statement writes, for
lookups the wider indexes answer as well (PostgreSQL reads a leading column of a b-tree index
like an index of its own).

Only the indexes go. Django's own AlterField would also drop and re-add the foreign key
constraints, and re-adding one checks every row while holding off writes to the table: on a
live petition, signing would wait for that scan. So the models change in the migration state
only, and on PostgreSQL the indexes are dropped CONCURRENTLY, outside a transaction."""

import django.db.models.deletion
from django.db import migrations, models

from advocacy.migrations._concurrently import drop_covered_fk_indexes


class Migration(migrations.Migration):
    atomic = False  # DROP/CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("advocacy", "0007_signature_wants_organisation_news"),
        ("campaign", "0003_single_line_header_values"),
    ]

    operations = [
        drop_covered_fk_indexes(
            "advocacy",
            [
                (
                    "signature",
                    "petition",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="signatures",
                        to="campaign.petition",
                    ),
                ),
                (
                    "supporter",
                    "organisation",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="supporters",
                        to="campaign.organisation",
                    ),
                ),
            ],
        ),
    ]
