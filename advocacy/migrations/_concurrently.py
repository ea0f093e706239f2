"""CREATE/DROP INDEX CONCURRENTLY as migration operations, for PostgreSQL; other databases
take the plain operations. A migration using them sets `atomic = False` (CONCURRENTLY cannot
run inside a transaction). Not a migration itself: the loader skips modules named with `_`."""

from django.db import migrations


def _on_postgres(schema_editor):
    return schema_editor.connection.vendor == "postgresql"


class _Concurrently:
    """Add or drop an index with CONCURRENTLY (PostgreSQL only)."""

    def _change(self, schema_editor, state, app_label, index, *, add):
        model = state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            change = schema_editor.add_index if add else schema_editor.remove_index
            change(model, index, concurrently=True)


class AddIndexConcurrentlyOnPostgres(_Concurrently, migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not _on_postgres(schema_editor):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return self._change(schema_editor, to_state, app_label, self.index, add=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if not _on_postgres(schema_editor):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return self._change(schema_editor, from_state, app_label, self.index, add=False)


class RemoveIndexConcurrentlyOnPostgres(_Concurrently, migrations.RemoveIndex):
    def _index(self, state, app_label):
        return state.models[app_label, self.model_name_lower].get_index_by_name(self.name)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not _on_postgres(schema_editor):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        index = self._index(from_state, app_label)
        return self._change(schema_editor, from_state, app_label, index, add=False)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if not _on_postgres(schema_editor):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        index = self._index(to_state, app_label)
        return self._change(schema_editor, to_state, app_label, index, add=True)


def drop_covered_fk_indexes(app_label, altered):
    """Set `db_index=False` on foreign keys whose index wider indexes cover, and drop those
    indexes: `altered` holds (model name, field name, the field as it becomes) triples.

    The models change in the migration state only (SeparateDatabaseAndState): Django's own
    AlterField would also drop and re-add each foreign key constraint, and re-adding one checks
    every row while holding off writes to the table. In the database, the single-column index
    Django gave each key is dropped, CONCURRENTLY on PostgreSQL (the migration sets `atomic =
    False`), and built again going back."""

    def _sql(apps, schema_editor, create):
        quote = schema_editor.quote_name
        concurrently = "CONCURRENTLY " if _on_postgres(schema_editor) else ""
        for model_name, field_name, _ in altered:
            model = apps.get_model(app_label, model_name)
            table, column = model._meta.db_table, model._meta.get_field(field_name).column
            # The name Django gave the foreign key's index when it created the column.
            name = quote(schema_editor._create_index_name(table, [column], suffix=""))
            if create:
                yield (
                    f"CREATE INDEX {concurrently}IF NOT EXISTS {name}"
                    f" ON {quote(table)} ({quote(column)})"
                )
            else:
                yield f"DROP INDEX {concurrently}IF EXISTS {name}"

    def forwards(apps, schema_editor):
        for statement in _sql(apps, schema_editor, create=False):
            schema_editor.execute(statement)

    def backwards(apps, schema_editor):
        for statement in _sql(apps, schema_editor, create=True):
            schema_editor.execute(statement)

    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.AlterField(model_name=model_name, name=field_name, field=field)
            for model_name, field_name, field in altered
        ],
        database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
    )
