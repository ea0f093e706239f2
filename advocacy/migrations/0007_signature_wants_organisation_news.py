"""Signature.wants_organisation_news: the news box ticked when signing, applied on confirmation.

The column keeps its database default (false), unlike a plain AddField (which drops it once
the rows are filled): processes still running the previous release insert signatures without
naming the column — the first-signature statement lists its columns — and must not fail on
NOT NULL between `migrate` and their restart. On PostgreSQL 11+ adding a column with a
constant default rewrites nothing; the short exclusive lock it takes waits at most 10 s behind
a long transaction, then the migration fails and can simply be run again.
"""

from django.db import migrations, models

TABLE = "advocacy_signature"
COLUMN = "wants_organisation_news"


def _lock_timeout(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET LOCAL lock_timeout = '10s'")


class Migration(migrations.Migration):
    dependencies = [
        ("advocacy", "0006_outbox_sending_index_with_id"),
    ]

    operations = [
        migrations.RunPython(_lock_timeout, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="signature",
                    name=COLUMN,
                    field=models.BooleanField(default=False),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f'ALTER TABLE "{TABLE}" ADD COLUMN "{COLUMN}" boolean DEFAULT false NOT NULL',
                    reverse_sql=f'ALTER TABLE "{TABLE}" DROP COLUMN "{COLUMN}"',
                ),
            ],
        ),
    ]
