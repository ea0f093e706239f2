"""A petition with many confirmed signatures, for the reading and export scenarios.

Seeded with INSERT … SELECT generate_series (a million rows through the signing API would take
the whole benchmark's time): supporters, their consents and their confirmed signatures, as the
product would have stored them, then the petition's maintained counter, ANALYZE and a
CHECKPOINT."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.harness import Bench

_seeded: dict[str, Any] = {}

CHUNK = 200_000

SQL = """
WITH s AS (
    INSERT INTO advocacy_supporter
        (organisation_id, email, first_name, last_name, country, postcode, city,
         wants_organisation_news, created_at)
    SELECT %(organisation)s, 'r' || %(tag)s || '-' || g || '@read.example.org',
           'Reader', 'Number ' || g, 'DE', lpad((g %% 99999)::text, 5, '0'), '',
           (g %% 3 = 0), now() - interval '40 days'
    FROM generate_series(%(start)s::int, %(stop)s::int) AS g
    RETURNING id
), c AS (
    INSERT INTO advocacy_consent (supporter_id, purpose, text, version, given_at, channel, source)
    SELECT id, 'signature', %(consent_text)s, 1, now() - interval '40 days', 'api', '{}'::jsonb
    FROM s
    RETURNING id, supporter_id
)
INSERT INTO advocacy_signature
    (petition_id, supporter_id, status, consent_id, country, channel, created_at,
     confirmed_at, confirmation_sent_at)
SELECT %(petition)s, supporter_id, 'confirmed', id, 'DE', 'api',
       now() - interval '40 days', now() - random() * interval '39 days',
       now() - interval '40 days'
FROM c
"""


def big_petition(bench: Bench) -> dict[str, Any]:
    """The seeded petition (seeding it on first use): campaign slug, petition id, rows."""
    if _seeded:
        return _seeded
    from django.db import connection, transaction
    from django.db.models import F

    from bench.scenarios.common import live_petition_campaigns
    from campaign.models import Petition

    campaigns = live_petition_campaigns()
    campaign = campaigns[-1]  # not the one the signing scenario writes to
    rows = 50_000 if bench.short else 1_000_000
    started = time.monotonic()
    for start in range(1, rows + 1, CHUNK):
        stop = min(rows, start + CHUNK - 1)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                SQL,
                {
                    "organisation": campaign.organisation_id,
                    "tag": bench.run_tag,
                    "start": start,
                    "stop": stop,
                    "consent_text": campaign.petition.consent_text,
                    "petition": campaign.petition.pk,
                },
            )
        print(f"bench: seeded {stop:,} signatures", flush=True)
    Petition.objects.filter(pk=campaign.petition.pk).update(
        confirmed_count=F("confirmed_count") + rows
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE advocacy_supporter, advocacy_consent, advocacy_signature")
        # The bulk load leaves ~1 GB of WAL behind; without this its checkpoint (writes and
        # fsyncs) lands in the middle of the next measurement. A real campaign gathers its
        # million over hours, with checkpoints spread across them.
        cursor.execute("CHECKPOINT")
    _seeded.update(
        slug=campaign.slug,
        petition_id=campaign.petition.pk,
        rows=rows,
        seed_seconds=round(time.monotonic() - started, 1),
    )
    return _seeded
