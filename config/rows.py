"""Insert model instances in one statement without compiling a query: `bulk_create`'s result
for the hottest write paths, at a fraction of its CPU.

Why: every signature writes an outbox row and every letter confirmation twenty; compiling
`bulk_create`'s INSERT (field by field, each value through the compiler) was a fifth of a
signing request's CPU (bench/profile_paths.py). The fields are worked out once per model,
the statement is a plain string join of their columns, and each value goes through the same
`pre_save` and `get_db_prep_save` the ORM applies, so defaults, `auto_now_add`, JSON and
foreign keys come out as `bulk_create` would write them. Models the shortcut does not cover
(database defaults, multi-table inheritance) and other databases than PostgreSQL simply go
through `bulk_create`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model


@functools.cache
def insert_fields(model: type[Model]) -> list[Field[Any, Any]] | None:
    """The fields an INSERT of `model` writes (all concrete ones but the key), or None when the
    model needs the ORM's general path (database defaults, multi-table inheritance)."""
    meta = model._meta
    if meta.parents or meta.pk is None:
        return None
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    if any(field.has_db_default() for field in fields):
        return None
    return fields


def insert_values(obj: Model, fields: Sequence[Field[Any, Any]], connection: Any) -> list[Any]:
    """`obj`'s values for `fields`, as the ORM's INSERT sends them (`pre_save`, then
    `get_db_prep_save`: defaults, `auto_now_add`, JSON, foreign keys)."""
    obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
    return [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]


def rows_insert[M: Model](objs: Sequence[M]) -> Sequence[M]:
    """INSERT `objs` (unsaved instances of one model) and set their primary keys, as
    `Model.objects.bulk_create(objs)` does: no signals, no `save()`."""
    if not objs:
        return objs
    model = type(objs[0])
    using = router.db_for_write(model)
    connection = connections[using]
    fields = insert_fields(model)
    if (
        fields is None
        or connection.vendor != "postgresql"
        or any(type(obj) is not model or obj.pk is not None for obj in objs)
    ):
        model._default_manager.bulk_create(objs)
        return objs
    params: list[Any] = []
    for obj in objs:
        params += insert_values(obj, fields, connection)
    meta = model._meta
    columns = ", ".join(f'"{field.column}"' for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f'INSERT INTO "{meta.db_table}" ({columns}) VALUES '  # noqa: S608 (the model's names)
        f'{", ".join([row] * len(objs))} RETURNING "{meta.pk.column}"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchall()
    for obj, (key,) in zip(objs, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = using
    return objs
