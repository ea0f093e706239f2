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
