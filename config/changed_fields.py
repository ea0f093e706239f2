"""Save only the columns an edit changed.

Why: `Model.save()` writes every column as the instance was read. An edit that read a row
before a concurrent change writes the old value back: a petition's `confirmed_count` (kept
with `F() + 1` by every confirmation) lost counts, a campaign closed meanwhile came back live,
and a webhook secret rotated meanwhile came back as the old, leaked one. The organisation
API's updates and the admin's change forms therefore save only the fields the request sent
or changed (plus any `auto_now` timestamp).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Model


def changed_fields_save(obj: Model, names: Iterable[str]) -> None:
    """Save `obj` writing only the concrete columns among `names` (others, such as
    many-to-many fields, are skipped) and its `auto_now` timestamps. An edit that changed
    nothing writes only those timestamps."""
    wanted = set(names)
    columns = [
        field.name
        for field in obj._meta.concrete_fields
        if not field.primary_key
        and (field.name in wanted or field.attname in wanted or getattr(field, "auto_now", False))
    ]
    if columns:
        obj.save(update_fields=columns)


class SavesSentFieldsMixin:
    """For a DRF ModelSerializer: `update()` sets the validated fields and saves only them.

    ModelSerializer's own `update()` saves the whole row; the serializers using this mixin have
    no many-to-many fields, which that method would also set."""

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        for name, value in validated_data.items():
            setattr(instance, name, value)
        changed_fields_save(instance, validated_data)
        return instance
