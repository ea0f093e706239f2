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

# (table, column) of each index dropped here.
_COVERED = [("advocacy_signature", "petition_id"), ("advocacy_supporter", "organisation_id")]


def _index_name(schema_editor, table: str, column: str) -> str:
    # The name Django gave the foreign key's index when it created the column.
    return schema_editor._create_index_name(table, [column], suffix="")


def _drop(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for table, column in _COVERED:
        name = schema_editor.quote_name(_index_name(schema_editor, table, column))
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


def _create(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for table, column in _COVERED:
        quote = schema_editor.quote_name
        name = quote(_index_name(schema_editor, table, column))
        schema_editor.execute(
            f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON {quote(table)} ({quote(column)})"
        )


class Migration(migrations.Migration):
    atomic = False  # DROP/CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("advocacy", "0007_signature_wants_organisation_news"),
        ("campaign", "0003_single_line_header_values"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="signature",
                    name="petition",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="signatures",
                        to="campaign.petition",
                    ),
                ),
                migrations.AlterField(
                    model_name="supporter",
                    name="organisation",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="supporters",
                        to="campaign.organisation",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(_drop, _create, elidable=False)],
        ),
    ]
