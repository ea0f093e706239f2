"""Reads of campaigns for the public pages and the API. Each selector owns its joins, so no
caller makes N+1 queries."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

from django.db import connections, router
from django.db.models import Field, Model, QuerySet

from campaign.models import Call, Campaign, CampaignStatus, Organisation, Petition, Resolution
from config.errors import NotFoundError
from config.memo import memo


class CampaignNotFoundError(NotFoundError):
    code = "campaign_not_found"


def campaign_list_live() -> QuerySet[Campaign]:
    """Live campaigns with a petition, newest published first, with everything a list or
    detail page shows (organisation, petition and its counter, call, resolution)."""
    return (
        Campaign.objects.filter(status=CampaignStatus.LIVE, petition__isnull=False)
        .select_related("organisation", "petition", "call__resolution")
        .order_by("-published_at", "-created_at", "pk")
    )


def campaign_get_live(*, slug: str) -> Campaign:
    """The live campaign with this slug and everything its page shows (organisation, petition
    and its counter, call, resolution); raises CampaignNotFoundError (404)."""
    return _live_campaign_load(slug=slug, with_call=True)


def petition_counter_get_live(*, slug: str, max_age: int = 0) -> tuple[int, int, int]:
    """(petition id, confirmed count, goal) of a live campaign's petition: one narrow query
    for the counters API and the campaign page, the most-read URLs of a viral campaign. With
    max_age, an answer this process read up to that many seconds ago may be returned instead
    (config/memo.py). Raises CampaignNotFoundError (404).

    Why not the ORM: the campaign page reads this row on every visit, and building and
    compiling the queryset cost more CPU than the rest of the page's view (bench/
    profile_paths.py); the SQL is generated once from the models' metadata instead."""

    def load() -> tuple[int, int, int]:
        with connections[router.db_for_read(Petition)].cursor() as cursor:
            cursor.execute(_counter_lookup(), [slug, CampaignStatus.LIVE.value])
            row = cursor.fetchone()
        if row is None:
            raise CampaignNotFoundError("No live campaign has this address.")
        return row[0], row[1], row[2]

    return memo.get_or_set(f"counter:{slug}", load, max_age)


def _column(model: type[Model], name: str) -> str:
    return str(cast("Field[Any, Any]", model._meta.get_field(name)).column)


@functools.cache
def _counter_lookup() -> str:
    p_table, c_table = Petition._meta.db_table, Campaign._meta.db_table
    columns = ", ".join(
        f'p."{_column(Petition, name)}"' for name in ("id", "confirmed_count", "goal")
    )
    # Identifiers from the models' metadata only; the slug and status are parameters.
    return (
        f'SELECT {columns} FROM "{p_table}" p '  # noqa: S608
        f'JOIN "{c_table}" c '
        f'ON c."{_column(Campaign, "id")}" = p."{_column(Petition, "campaign")}" '
        f'WHERE c."{_column(Campaign, "slug")}" = %s AND c."{_column(Campaign, "status")}" = %s '
        "LIMIT 1"
    )


Converter = tuple[Callable[..., Any], Any]


Loaded = list[tuple[type[Model], list[str], list[list[Converter]]]]

# (model, alias, join): the campaign, then what select_related would join.
_JOINS: tuple[tuple[type[Model], str, str], ...] = (
    (Campaign, "c", ""),
    (Organisation, "o", "JOIN {table} o ON o.id = c.organisation_id"),
    (Petition, "p", "JOIN {table} p ON p.campaign_id = c.id"),
    (Call, "k", "LEFT JOIN {table} k ON k.id = c.call_id"),
    (Resolution, "r", "LEFT JOIN {table} r ON r.id = k.resolution_id"),
)


@functools.cache
def _live_campaign_lookup(with_call: bool) -> tuple[str, Loaded]:
    """The live-campaign lookup's SQL, built once from the models' current fields, and per
    model its field names and the converters the ORM would apply to each column (JSON, …)."""
    connection = connections[router.db_for_read(Campaign)]
    selects: list[str] = []
    joins: list[str] = []
    models: Loaded = []
    for model, alias, join in _JOINS if with_call else _JOINS[:3]:
        fields = model._meta.concrete_fields
        selects += [f'{alias}."{field.column}"' for field in fields]
        converters: list[list[Converter]] = []
        for field in fields:
            column = field.get_col(alias)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            converters.append([(converter, column) for converter in found])
        models.append((model, [field.attname for field in fields], converters))
        if join:
            joins.append(join.format(table=model._meta.db_table))
    # Identifiers from the models' metadata only; the slug and status are parameters.
    sql = (
        f"SELECT {', '.join(selects)} FROM {Campaign._meta.db_table} c "  # noqa: S608
        f"{' '.join(joins)} WHERE c.slug = %s AND c.status = %s"
    )
    return sql, models


def _live_campaign_load(*, slug: str, with_call: bool) -> Campaign:
    """The live campaign with this slug, with its organisation and petition (and its call and
    resolution) loaded: the rows `select_related` reads, without compiling a query.

    Why not the ORM: these are the hottest paths (the signing API, the campaign page), and
    compiling the joined query cost 2.5 ms of CPU per request against 0.2 ms for running it
    (bench/profile_paths.py). The SQL is generated once from the models' fields, so a new
    column is picked up without touching this code."""
    sql, models = _live_campaign_lookup(with_call)
    db = router.db_for_read(Campaign)
    connection = connections[db]
    with connection.cursor() as cursor:
        cursor.execute(sql, [slug, CampaignStatus.LIVE.value])
        row = cursor.fetchone()
    if row is None:
        raise CampaignNotFoundError("No live campaign has this address.")
    values = iter(row)
    instances: list[Model | None] = []
    for model, attnames, converters in models:
        converted = []
        for field_converters in converters:
            value = next(values)
            for converter, column in field_converters:
                value = converter(value, column, connection)
            converted.append(value)
        # A LEFT JOIN that found nothing: no instance, as select_related would give None.
        instances.append(None if converted[0] is None else model.from_db(db, attnames, converted))
    campaign = cast(Campaign, instances[0])
    petition = cast(Petition, instances[2])
    campaign.organisation = cast(Organisation, instances[1])
    campaign.petition = petition
    petition.campaign = campaign
    if with_call:
        call = cast(Call | None, instances[3])
        campaign.call = call
        if call is not None:
            call.resolution = cast(Resolution, instances[4])
    return campaign


def campaign_get_live_for_signing(*, slug: str, max_age: int = 0) -> Campaign:
    """The live campaign with this slug, with only what signing needs (organisation and
    petition): the signing API is the hottest write path. Raises CampaignNotFoundError.

    With max_age, the campaign this process loaded up to that many seconds ago may be returned
    instead (config/memo.py), shared and read-only. Signing does not trust it for what
    decides: its insert checks in the same statement that the campaign is still live and its
    consent text unchanged (advocacy/signatures.py), and reloads it when not."""
    return memo.get_or_set(
        f"signing:{slug}", lambda: _live_campaign_load(slug=slug, with_call=False), max_age
    )
