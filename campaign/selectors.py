"""Reads of campaigns for the public pages and the API. Each selector owns its joins, so no
caller makes N+1 queries."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

from django.db import connections, router
from django.db.models import Model, QuerySet

from campaign.models import Campaign, CampaignStatus, Organisation, Petition
from config.errors import NotFoundError


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
    """The live campaign with this slug; raises CampaignNotFoundError (404)."""
    campaign = campaign_list_live().filter(slug=slug).first()
    if campaign is None:
        raise CampaignNotFoundError("No live campaign has this address.")
    return campaign


def petition_counter_get_live(*, slug: str) -> tuple[int, int, int]:
    """(petition id, confirmed count, goal) of a live campaign's petition: one narrow query
    for the counters API, the most-polled URL of a viral campaign. Raises
    CampaignNotFoundError (404)."""
    row = (
        Petition.objects.filter(campaign__slug=slug, campaign__status=CampaignStatus.LIVE)
        .values_list("pk", "confirmed_count", "goal")
        .first()
    )
    if row is None:
        raise CampaignNotFoundError("No live campaign has this address.")
    return row


Converter = tuple[Callable[..., Any], Any]


@functools.cache
def _signing_lookup() -> tuple[str, list[tuple[type[Model], list[str], list[list[Converter]]]]]:
    """The signing lookup's SQL, built once from the models' current fields, and per model
    its field names and the converters the ORM would apply to each column (JSON, …)."""
    connection = connections[router.db_for_read(Campaign)]
    selects: list[str] = []
    models: list[tuple[type[Model], list[str], list[list[Converter]]]] = []
    for model, alias in ((Campaign, "c"), (Organisation, "o"), (Petition, "p")):
        fields = model._meta.concrete_fields
        selects += [f'{alias}."{field.column}"' for field in fields]
        converters: list[list[Converter]] = []
        for field in fields:
            column = field.get_col(alias)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            converters.append([(converter, column) for converter in found])
        models.append((model, [field.attname for field in fields], converters))
    # Identifiers from the models' metadata only; the slug and status are parameters.
    sql = (
        f"SELECT {', '.join(selects)} FROM {Campaign._meta.db_table} c"  # noqa: S608
        f" JOIN {Organisation._meta.db_table} o ON o.id = c.organisation_id"
        f" JOIN {Petition._meta.db_table} p ON p.campaign_id = c.id"
        " WHERE c.slug = %s AND c.status = %s"
    )
    return sql, models


def campaign_get_live_for_signing(*, slug: str) -> Campaign:
    """The live campaign with this slug, with its organisation and petition loaded: the same
    rows `select_related("organisation", "petition")` reads. Raises CampaignNotFoundError.

    Why raw SQL: the signing API is the hottest write path, and compiling that three-table
    query through the ORM cost 2.5 ms of CPU per request against 0.2 ms for running it
    (bench/profile_paths.py). The SQL is generated once from the models' fields, so a new
    column is picked up without touching this function."""
    sql, models = _signing_lookup()
    db = router.db_for_read(Campaign)
    connection = connections[db]
    with connection.cursor() as cursor:
        cursor.execute(sql, [slug, CampaignStatus.LIVE.value])
        row = cursor.fetchone()
    if row is None:
        raise CampaignNotFoundError("No live campaign has this address.")
    values = iter(row)
    instances = []
    for model, attnames, converters in models:
        converted = []
        for field_converters in converters:
            value = next(values)
            for converter, column in field_converters:
                value = converter(value, column, connection)
            converted.append(value)
        instances.append(model.from_db(db, attnames, converted))
    campaign = cast(Campaign, instances[0])
    petition = cast(Petition, instances[2])
    campaign.organisation = cast(Organisation, instances[1])
    campaign.petition = petition
    petition.campaign = campaign
    return campaign
