"""Drill 7: PostgreSQL goes away for 30 s (a TCP proxy in front of it closes its listener and
resets every connection). The web process answers 503 with no traceback and writes nothing,
/healthz stays 200, service is back within 10 s of the database; a worker pointed through the
same proxy survives and delivers what was written meanwhile."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter

import pytest

from advocacy.models import OutboundEmail, OutboundEmailStatus, Signature, Supporter
from tests.drills.support import (
    Delivery,
    TcpProxy,
    WebProcess,
    database_port,
    database_url_via,
    drill_print,
    letters_create,
    publish_each,
    status_counts,
    sweep_until,
)
from tests.factories import PetitionFactory
from tests.support.processes import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = 30


def _sign(web: WebProcess, slug: str) -> tuple[int, str]:
    body = {
        "first_name": "Ana",
        "last_name": "Supporter",
        "email": f"ana-{uuid.uuid4().hex[:8]}@example.net",
        "country": "DE",
        "postcode": "10115",
        "consent": True,
        "consent_version": 1,
        "organisation_news": False,
    }
    return web.request(
        f"/api/v1/campaigns/{slug}/signatures/",
        method="POST",
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )


def _all_sent() -> bool:
    return OutboundEmail.objects.exclude(status=OutboundEmailStatus.SENT).count() == 0


def test_the_database_gone_for_30_seconds(drill_smtp, workers, outbox_fast):
    petition = PetitionFactory()
    slug = petition.campaign.slug
    proxy = TcpProxy(database_port()).start()
    web = WebProcess({"DATABASE_URL": database_url_via(proxy.port), "RATELIMIT_ENABLED": "false"})
    try:
        web.start()
        worker = workers(
            drill_smtp.url, concurrency=1, extra_env={"DATABASE_URL": database_url_via(proxy.port)}
        )
        assert web.get("/readyz")[0] == 200 and web.get("/")[0] == 200
        before = letters_create(10, tag="db-before")
        publish_each([e.pk for e in before])
        assert wait_until(lambda: len(drill_smtp.received) == 10, 60), worker.log()[-3000:]
        # …and marked sent: the sink has a mail a moment before the worker records it, and
        # a mail whose mark the outage cuts off is sent again afterwards (at least once, as
        # after a killed worker: drills 1a, 1b). This drill is about what is written meanwhile.
        sent = OutboundEmail.objects.filter(
            pk__in=[e.pk for e in before], status=OutboundEmailStatus.SENT
        )
        assert wait_until(lambda: sent.count() == 10, 30), worker.log()[-3000:]

        proxy.down()
        down_at = time.monotonic()
        seen: Counter[str] = Counter()
        tracebacks = 0
        during: list[OutboundEmail] = []
        while time.monotonic() - down_at < OUTAGE_SECONDS:
            for name, (status, body) in (
                ("healthz", web.get("/healthz")),
                ("readyz", web.get("/readyz")),
                ("page", web.get("/")),
                ("sign", _sign(web, slug)),
            ):
                seen[f"{name} {status}"] += 1
                tracebacks += "Traceback" in body or 'File "/' in body
            if len(during) < 10:
                # Mail written by another part of the system meanwhile (this test process
                # reaches PostgreSQL directly): the worker's claims fail while it is "down".
                during += letters_create(5, tag=f"db-during-{len(during)}")
                publish_each([e.pk for e in during[-5:]])
            time.sleep(1.5)
        sign_body = _sign(web, slug)[1]

        proxy.up()
        up_at = time.monotonic()
        assert wait_until(
            lambda: web.get("/readyz")[0] == 200 and web.get("/")[0] == 200, 30, interval=0.2
        ), web.log()[-3000:]
        recovered_in = time.monotonic() - up_at
        assert _sign(web, slug)[0] == 202
        done, sweeps, _ = sweep_until(_all_sent, timeout=60)
        wait_until(lambda: False, 2)
        # Every outbox row: the letters and the confirmation of the signature made after.
        expected = list(OutboundEmail.objects.values_list("message_id", flat=True))
        delivery = Delivery.count(drill_smtp, expected)
        alive = worker.process is not None and worker.process.poll() is None
        drill_print(
            "database-down",
            f"{OUTAGE_SECONDS} s without PostgreSQL (proxy closed, {proxy.connections} "
            f"connections proxied in all): responses {dict(sorted(seen.items()))}, "
            f"{tracebacks} bodies with a traceback, 503 API body {sign_body[:120]!r}; "
            f"service back {recovered_in:.1f} s after the database; signatures written during "
            f"the outage: {Signature.objects.count() - 1}; worker "
            f"{'alive' if alive else 'DEAD'}, {len(during)} letters written during the outage "
            f"delivered after {sweeps} sweeps: {delivery}; statuses {dict(status_counts())}",
        )
        assert seen["healthz 200"] == sum(v for k, v in seen.items() if k.startswith("healthz"))
        assert seen["readyz 503"] == sum(v for k, v in seen.items() if k.startswith("readyz"))
        assert seen["page 503"] == sum(v for k, v in seen.items() if k.startswith("page"))
        assert seen["sign 503"] == sum(v for k, v in seen.items() if k.startswith("sign"))
        assert tracebacks == 0
        assert '"database_unavailable"' in sign_body
        assert recovered_in <= 10
        assert Signature.objects.count() == 1 and Supporter.objects.count() == 1
        assert alive and done
        assert delivery.exactly_once, delivery
    finally:
        web.kill()
        proxy.stop()
