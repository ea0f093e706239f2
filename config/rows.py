"""Insert model instances in one statement without compiling a query: `bulk_create`'s result
for the hottest write paths, at a fraction of its CPU.

Why: every signature writes an outbox row and every letter confirmation twenty; compiling
`bulk_create`'s INSERT (field by field, each value through the compiler) was a fifth of a
signing request's CPU (bench/profile_paths.py). The fields and the statements are worked out
once per model, and each value goes through the same `pre_save` and `get_db_prep_save` the
ORM applies, so defaults, `auto_now_add`, JSON and foreign keys come out as `bulk_create`
would write them. Several rows go in as one array per column (`INSERT … SELECT * FROM
unnest(…)`, as Django's own bulk_create does on PostgreSQL), so the statement's text is the
same whatever the number of rows: psycopg keeps its parsed form instead of splitting a new
query of hundreds of placeholders each time (a letter confirmation's 20 outbox rows), and
the arrays travel in binary. `rows_insert_alike` writes rows that differ from one prototype
in a few fields only, with the prototype through the ORM once. Models
the shortcut does not cover (database defaults, multi-table inheritance, generated columns)
and other databases than PostgreSQL simply go through `bulk_create`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import CharField, Field, Model, TextField


@functools.cache
def insert_fields(model: type[Model]) -> list[Field[Any, Any]] | None:
    """The fields an INSERT of `model` writes (all concrete ones but the key), or None when the
    model needs the ORM's general path (database defaults, multi-table inheritance)."""
    meta = model._meta
    if meta.parents or meta.pk is None:
        return None
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    if any(field.has_db_default() or field.generated for field in fields):
        return None
    return fields


@dataclass(frozen=True)
class _Statements:
    fields: list[Field[Any, Any]]
    one_row: str  # INSERT … VALUES (%s, …) RETURNING pk
    arrays: str | None  # INSERT … SELECT * FROM unnest(%s::type[], …) RETURNING pk, if it can
    arrays_binary: str | None  # the same with %b: each array sent in binary


def _unnest_type(field: Field[Any, Any], connection: Any) -> str | None:
    """The element type of the column's array parameter, or None when the column cannot go
    through unnest (Django's own test: array, geometry and other non-standard types, and
    fields whose placeholder depends on the value). The type's modifiers are dropped, as
    Django does, so a too-long value fails on the column, never by silent truncation."""
    target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
    db_type = field.db_type(connection)
    if (
        db_type is None
        or hasattr(field, "get_placeholder_sql")
        or target.get_internal_type() not in connection.data_types
    ):
        return None
    return str(db_type).split("(")[0]


@functools.cache
def _statements(model: type[Model], alias: str) -> _Statements | None:
    fields = insert_fields(model)
    if fields is None:
        return None
    connection = connections[alias]
    meta = model._meta
    pk = meta.pk
    if pk is None:  # insert_fields refuses such models already
        return None
    # Only the model's own table, column and type names go into the text (S608).
    head = f'INSERT INTO "{meta.db_table}" (' + ", ".join(f'"{f.column}"' for f in fields) + ")"
    returning = f' RETURNING "{pk.column}"'
    one_row = f"{head} VALUES (" + ", ".join(["%s"] * len(fields)) + f"){returning}"
    types = [_unnest_type(field, connection) for field in fields]
    arrays = arrays_binary = None
    if all(types):
        columns = ", ".join(f"%s::{db_type}[]" for db_type in types)
        arrays = f"{head} SELECT * FROM unnest({columns}){returning}"  # noqa: S608
        arrays_binary = arrays.replace("%s::", "%b::")
    return _Statements(fields=fields, one_row=one_row, arrays=arrays, arrays_binary=arrays_binary)


_TEXT_METHODS = ("pre_save", "get_db_prep_save", "get_db_prep_value", "get_prep_value", "to_python")


@functools.cache
def _plain_text_attnames(model: type[Model]) -> frozenset[str]:
    """The model's CharField/TextField columns (EmailField, SlugField… included) whose class
    changes none of the methods an INSERT's value goes through: for those, a `str` value is
    sent as it is (Django's own methods return it unchanged), so it need not go through them.
    A subclass that overrides any of them keeps the ORM's path."""
    names = set()
    for field in model._meta.concrete_fields:
        base = next((b for b in (CharField, TextField) if isinstance(field, b)), None)
        if base is not None and all(
            getattr(type(field), method) is getattr(base, method) for method in _TEXT_METHODS
        ):
            names.add(field.attname)
    return frozenset(names)


def _db_value(field: Field[Any, Any], value: Any, text: frozenset[str], connection: Any) -> Any:
    """`value` as `field` sends it: a `str` in a plain text column as it is (see above),
    anything else through `get_db_prep_save`."""
    if type(value) is str and field.attname in text:
        return value
    return field.get_db_prep_save(value, connection)


def insert_values(obj: Model, fields: Sequence[Field[Any, Any]], connection: Any) -> list[Any]:
    """`obj`'s values for `fields`, as the ORM's INSERT sends them (`pre_save`, then
    `get_db_prep_save`: defaults, `auto_now_add`, JSON, foreign keys)."""
    obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
    text = _plain_text_attnames(type(obj))
    # A plain text column's pre_save is Field's own (a plain read), so reading the attribute
    # first changes nothing; any other field gets its own pre_save.
    return [
        _db_value(
            field,
            getattr(obj, field.attname) if field.attname in text else field.pre_save(obj, True),
            text,
            connection,
        )
        for field in fields
    ]


def rows_insert[M: Model](objs: Sequence[M]) -> Sequence[M]:
    """INSERT `objs` (unsaved instances of one model) and set their primary keys, as
    `Model.objects.bulk_create(objs)` does: no signals, no `save()`."""
    if not objs:
        return objs
    model = type(objs[0])
    using = router.db_for_write(model)
    connection = connections[using]
    statements = _statements(model, using) if connection.vendor == "postgresql" else None
    if statements is None or any(type(obj) is not model or obj.pk is not None for obj in objs):
        model._default_manager.bulk_create(objs)
        return objs
    rows = [insert_values(obj, statements.fields, connection) for obj in objs]
    # An expression (F(), a function) is compiled by the ORM, never sent as a parameter.
    expressions = any(hasattr(value, "as_sql") for row in rows for value in row)
    if expressions or (len(rows) > 1 and statements.arrays is None):
        model._default_manager.bulk_create(objs)
        return objs
    sql, params = statements.one_row, rows[0]
    open_cursor = connection.cursor
    if len(rows) > 1 and statements.arrays is not None:  # one list per column
        sql, params = statements.arrays, [list(column) for column in zip(*rows, strict=True)]
        if hasattr(connection, "binding_cursor") and statements.arrays_binary is not None:
            # Arrays in binary (config/postgresql): quoting twenty letters into an array
            # literal cost more CPU than everything else about their INSERT.
            sql, open_cursor = statements.arrays_binary, connection.binding_cursor
    with open_cursor() as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchall()
    for obj, (key,) in zip(objs, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = using
    return objs


def _alike_fields(model: type[Model], names: Sequence[str]) -> list[Field[Any, Any]]:
    meta = model._meta
    fields = []
    for name in names:
        field = meta.get_field(name)
        if (
            not field.concrete
            or field.is_relation
            or field.primary_key
            or getattr(field, "auto_now", False)
            or getattr(field, "auto_now_add", False)
        ):
            raise ValueError(f"{model.__name__}.{name} cannot vary in rows_insert_alike.")
        fields.append(field)
    return fields


@dataclass(frozen=True)
class AlikeRows:
    """Rows that differ from one prototype in a few fields, as `rows_alike` prepares them
    for a statement that sends each varying column as one array."""

    fields: list[Field[Any, Any]]  # the columns an INSERT writes (`insert_fields`), in order
    types: list[str]  # each column's element type, for its array or cast
    values: list[Any]  # each column's value in the prototype, as the ORM sends it
    columns: dict[str, list[Any]]  # attname → the varying column's values, as sent
    count: int  # rows
    insert_sql: str  # `rows_insert`'s statement for them: one binary array per column


def rows_alike[M: Model](prototype: M, varying: Mapping[str, Sequence[Any]]) -> AlikeRows | None:
    """The prototype's values through the ORM once (`insert_values`: defaults, `auto_now_add`,
    JSON, foreign keys) and the varying ones through their own field's `get_db_prep_save`
    (plain, non-key, non-relation fields, all sequences of one length). None where this
    shortcut does not apply: another database than PostgreSQL, a model or value the ORM
    must compile (see `rows_insert`), no binary arrays, a saved prototype."""
    model = type(prototype)
    fields_varying = _alike_fields(model, list(varying))
    counts = {len(values) for values in varying.values()}
    if len(counts) > 1:
        raise ValueError("rows_insert_alike: the varying sequences differ in length.")
    count = counts.pop() if counts else 0
    using = router.db_for_write(model)
    connection = connections[using]
    statements = _statements(model, using) if connection.vendor == "postgresql" else None
    if (
        statements is None
        or statements.arrays_binary is None
        or not hasattr(connection, "binding_cursor")
        or prototype.pk is not None
    ):
        return None
    base = insert_values(prototype, statements.fields, connection)
    if any(hasattr(value, "as_sql") for value in base):
        return None
    text = _plain_text_attnames(model)
    columns: dict[str, list[Any]] = {}
    for field in fields_varying:
        columns[field.attname] = [
            _db_value(field, value, text, connection) for value in varying[field.name]
        ]
    # An expression among the varying values: the ORM compiles it.
    if any(hasattr(v, "as_sql") for values in columns.values() for v in values):
        return None
    types = [_unnest_type(field, connection) or "" for field in statements.fields]
    return AlikeRows(statements.fields, types, base, columns, count, statements.arrays_binary)


def rows_insert_alike[M: Model](prototype: M, varying: Mapping[str, Sequence[Any]]) -> list[Any]:
    """INSERT one row per position in `varying`'s sequences (all of one length): each is the
    unsaved `prototype` except for the fields `varying` names (plain, non-key, non-relation
    fields), whose values it gives, one per row; a column with a unique constraint must be
    among them. Returns the new primary keys in that order.

    Why: queueing a confirmed request's twenty letters built twenty outbox instances and ran
    every field of each through the ORM, when only five fields differ between them. The
    values come from `rows_alike`; the statement is `rows_insert`'s. Other databases get one
    instance per row."""
    model = type(prototype)
    alike = rows_alike(prototype, varying)
    if alike is not None:
        if alike.count == 0:
            return []
        params = [
            alike.columns.get(field.attname, [value] * alike.count)
            for field, value in zip(alike.fields, alike.values, strict=True)
        ]
        connection = connections[router.db_for_write(model)]
        with connection.binding_cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute(alike.insert_sql, params)
            return [key for (key,) in cursor.fetchall()]
    counts = {len(values) for values in varying.values()}
    if not counts or counts == {0}:
        return []
    count = counts.pop()
    constant = {
        field.attname: getattr(prototype, field.attname)
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in varying
    }
    objs = [
        model(**constant, **{name: values[n] for name, values in varying.items()})
        for n in range(count)
    ]
    rows_insert(objs)
    return [obj.pk for obj in objs]


# --- Reading ------------------------------------------------------------------------------


@functools.cache
def _read_plan(model: type[Model], alias: str) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """`model`'s concrete fields' attnames, and per field the converters the ORM's compiler
    applies to a value read from the database (the backend's, then the field's: JSON parsed,
    for instance), with the column expression they are called with."""
    connection = connections[alias]
    meta = model._meta
    attnames, plan = [], []
    for field in meta.concrete_fields:
        column = field.get_col(meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        attnames.append(field.attname)
        plan.append((column, tuple(converters)))
    return tuple(attnames), tuple(plan)


def columns_sql(model: type[Model], table_alias: str, alias: str = "default") -> str:
    """`model`'s concrete columns for a hand-written SELECT, in the order `instances_from_row`
    reads them: `"t"."id", "t"."name", …`."""
    quote = connections[alias].ops.quote_name
    return ", ".join(
        f"{quote(table_alias)}.{quote(field.column or field.attname)}"  # concrete: a column
        for field in model._meta.concrete_fields
    )


def instances_from_row(
    row: Sequence[Any], models: Sequence[type[Model]], alias: str = "default"
) -> list[Model]:
    """One instance per model from one row of a hand-written SELECT that lists each model's
    `columns_sql` in turn: what the ORM builds from the same row (its converters applied,
    `Model.from_db`, so the instances are "from the database", not new), without compiling a
    query. For the hottest reads only; relations between the instances are the caller's."""
    connection = connections[alias]
    instances: list[Model] = []
    start = 0
    for model in models:
        attnames, plan = _read_plan(model, alias)
        values = []
        for value, (column, converters) in zip(
            row[start : start + len(attnames)], plan, strict=True
        ):
            for converter in converters:
                value = converter(value, column, connection)
            values.append(value)
        instances.append(model.from_db(alias, attnames, values))
        start += len(attnames)
    if start != len(row):
        raise ValueError(f"the row has {len(row)} columns, the models {start}")
    return instances
