"""Drill 4: the web process crashes between commit and publish. Its broker is a dead port, so
every on-commit publish fails after the signature and its outbox row have committed; then the
web process is SIGKILLed. A worker with a working broker and the sweep deliver every
confirmation, each once: the outbox row, not the broker message, is the record."""

from __future__ import annotations

import time
import uuid

import pytest

from advocacy.models import OutboundEmail, OutboundEmailStatus, Signature
from tests.drills.support import Delivery, WebProcess, drill_print, status_counts, sweep_until
from tests.support import processes
from tests.support.smtp import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIGNINGS = 100


def _all_sent() -> bool:
    return not OutboundEmail.objects.exclude(status=OutboundEmailStatus.SENT).exists()


def test_a_crash_between_commit_and_publish_loses_no_confirmation(drill_smtp, workers, outbox_fast):
    from tests.factories import PetitionFactory

    slug = PetitionFactory().campaign.slug
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    web = WebProcess(
        {
            "DATABASE_URL": processes.test_database_url(),
            "CELERY_BROKER_URL": dead,
            "RATELIMIT_ENABLED": "false",
        }
    )
    try:
        web.start()
        tag = uuid.uuid4().hex[:6]
        codes: dict[int, int] = {}
        started = time.monotonic()
        for i in range(SIGNINGS):
            status, _ = web.sign(slug, f"crash-{tag}-{i}@example.net")
            codes[status] = codes.get(status, 0) + 1
        signing_seconds = time.monotonic() - started
        warnings = web.log().count("broker unavailable")
        web.kill()  # SIGKILL: no graceful shutdown, no retry of anything
        rows_after_kill = dict(status_counts())

        worker = workers(drill_smtp.url, concurrency=2, name="after-crash")
        done, sweeps, _ = sweep_until(_all_sent, timeout=120)
        time.sleep(2)  # anything still on its way would arrive now
        expected = list(OutboundEmail.objects.values_list("message_id", flat=True))
        delivery = Delivery.count(drill_smtp, expected)
        drill_print(
            "crash-before-publish",
            f"{SIGNINGS} signing requests to a web process whose broker is a dead port: "
            f"{codes} in {signing_seconds:.1f} s ({signing_seconds / SIGNINGS * 1000:.0f} ms "
            f"each on average), {warnings} 'broker unavailable' warnings logged; web SIGKILLed; "
            f"{Signature.objects.count()} signatures and outbox {rows_after_kill} in PostgreSQL; "
            f"worker started with a working broker, {sweeps} sweeps: {delivery}; "
            f"statuses {dict(status_counts())}",
        )
        assert codes == {202: SIGNINGS}
        assert warnings == SIGNINGS
        assert rows_after_kill == {"queued": SIGNINGS}
        assert Signature.objects.count() == SIGNINGS
        assert done, worker.log()[-3000:]
        assert len(expected) == SIGNINGS
        assert delivery.exactly_once, delivery
    finally:
        web.kill()
