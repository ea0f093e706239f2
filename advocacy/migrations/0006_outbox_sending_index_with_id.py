"""The index of rows in flight gets the row's id: (claimed_at, id) where status = 'sending'.

Every outcome of a send is a conditional UPDATE `… WHERE id = %s AND status = 'sending' AND
claimed_at = %s`. PostgreSQL serves it from this small partial index rather than the primary
key, and a batch's rows share one claimed_at: on (claimed_at) alone each "sent" mark read the
entries and rows of the whole batch in flight (26 of them on average in a batch of 50) to
update one. With the id in the index it reads one. The sweep's `claimed_at < stale` is served
as before.

Built CONCURRENTLY before the old one is dropped, as in 0005: the outbox takes every
signature's row, and a plain CREATE INDEX would hold them off while it reads the table."""

from django.db import migrations, models

from advocacy.migrations._concurrently import (
    AddIndexConcurrentlyOnPostgres,
    RemoveIndexConcurrentlyOnPostgres,
)


class Migration(migrations.Migration):
    atomic = False  # CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("advocacy", "0005_outbox_due_index_in_claim_order"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="outboundemail",
            index=models.Index(
                condition=models.Q(("status", "sending")),
                fields=["claimed_at", "id"],
                name="outbox_sending_claim_id",
            ),
        ),
        RemoveIndexConcurrentlyOnPostgres(
            model_name="outboundemail",
            name="outbox_sending",
        ),
    ]
