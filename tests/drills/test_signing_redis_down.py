"""Drill 3b: Redis (broker AND cache of the web process and the worker) is stopped for 60 s
while supporters keep signing through the real web process. No 5xx; every accepted signature
is in PostgreSQL; rate limits fail open while Redis is gone (and work again after); every
confirmation goes out once Redis is back (worker + sweep), exactly once."""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections import Counter

import pytest
from django.conf import settings

from advocacy.models import OutboundEmail, OutboundEmailStatus, Signature
from tests.drills.support import (
    Delivery,
    RedisServer,
    WebProcess,
    drill_print,
    status_counts,
    sweep_in_subprocess,
)
from tests.factories import PetitionFactory
from tests.support import processes
from tests.support.clock import clear_of_window_end
from tests.support.processes import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = 60
SIGNERS = 3  # concurrent supporters during the outage
PER_IP = 15  # the web process's RATELIMIT_PER_IP: the outage alone sends far more than this


def _all_sent() -> bool:
    return not OutboundEmail.objects.exclude(status=OutboundEmailStatus.SENT).exists()


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    values = sorted(values)
    return (
        f"median {statistics.median(values) * 1000:.0f} ms, "
        f"max {values[-1] * 1000:.0f} ms over {len(values)}"
    )


def test_signing_while_redis_is_stopped_for_60_seconds(drill_smtp, workers, outbox_fast):
    slug = PetitionFactory().campaign.slug
    redis = RedisServer().start()
    broker = {"REDIS_URL": redis.url(), "CELERY_BROKER_URL": redis.url()}
    web = WebProcess(
        {
            "DATABASE_URL": processes.test_database_url(),
            **broker,
            "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "RATELIMIT_PER_IP": str(PER_IP),
            "RATELIMIT_PER_EMAIL": "5",
        }
    )
    tag = uuid.uuid4().hex[:6]
    accepted: list[str] = []
    seen: dict[str, Counter[int]] = {"before": Counter(), "outage": Counter(), "after": Counter()}
    took: dict[str, list[float]] = {"before": [], "outage": [], "after": []}
    lock = threading.Lock()
    serial = iter(range(1_000_000))

    def sign(phase: str) -> int:
        with lock:
            address = f"r3b-{tag}-{next(serial)}@example.net"
        started = time.monotonic()
        status, body = web.sign(slug, address, timeout=60)
        with lock:
            took[phase].append(time.monotonic() - started)
            seen[phase][status] += 1
            if 200 <= status < 300:
                accepted.append(address)
        return status

    try:
        web.start()
        worker = workers(drill_smtp.url, concurrency=2, name="redis-down", extra_env=broker)
        for _ in range(5):
            sign("before")
        assert wait_until(lambda: len(drill_smtp.received) == 5, 60), worker.log()[-3000:]

        redis.kill()
        down_at = time.monotonic()

        def keep_signing() -> None:
            while time.monotonic() - down_at < OUTAGE_SECONDS:
                sign("outage")
                time.sleep(0.2)

        threads = [threading.Thread(target=keep_signing) for _ in range(SIGNERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        delivered_during = len(drill_smtp.received)
        outage_accepted = seen["outage"][202]

        redis.start()  # same port, empty: counters and queued messages are gone
        # After Redis is back the per-IP limit counts again from zero: PER_IP accepted, the
        # rest 429 (the outage's requests were not counted anywhere: fail open). All in one
        # rate-limit window, or the count would start again at its end.
        clear_of_window_end(settings.RATELIMIT_WINDOW_SECONDS, 60)
        for _ in range(PER_IP + 5):
            sign("after")
        worker_alive = worker.process is not None and worker.process.poll() is None
        if not worker_alive:  # see drill 3: a supervisor restarts it
            worker = workers(drill_smtp.url, concurrency=2, name="redis-back", extra_env=broker)

        sweep_env = {
            **broker,
            "DATABASE_URL": processes.test_database_url(),
            "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "OUTBOX_STALE_SENDING_SECONDS": "5",
            "OUTBOX_STALE_QUEUED_SECONDS": "1",
        }
        sweeps = [sweep_in_subprocess(sweep_env)]
        while not wait_until(_all_sent, 30) and len(sweeps) < 5:
            sweeps.append(sweep_in_subprocess(sweep_env))
        time.sleep(2)

        signed = set(
            Signature.objects.filter(supporter__email__startswith=f"r3b-{tag}-").values_list(
                "supporter__email", flat=True
            )
        )
        expected = list(
            OutboundEmail.objects.filter(recipient__in=accepted).values_list(
                "message_id", flat=True
            )
        )
        delivery = Delivery.count(drill_smtp, expected)
        failopen_logs = web.log().count("rate limiting unavailable, failing open")
        drill_print(
            "signing-redis-down",
            f"responses before {dict(seen['before'])}; Redis stopped {OUTAGE_SECONDS} s with "
            f"{SIGNERS} supporters signing: {dict(seen['outage'])} (per-IP limit {PER_IP}, so "
            f"the rate limit failed open: {outage_accepted} accepted from one IP, "
            f"{failopen_logs} fail-open warnings), request time {_ms(took['outage'])} "
            f"(before: {_ms(took['before'])}); {delivered_during} mails delivered by the end "
            f"of the outage; after restart {dict(seen['after'])} ({_ms(took['after'])}); worker "
            f"{'alive' if worker_alive else 'DIED and was restarted'}; {len(accepted)} accepted "
            f"= {len(signed & set(accepted))} signatures in PostgreSQL; sweeps: "
            f"{'; '.join(sweeps)}; confirmations {delivery}; statuses {dict(status_counts())}",
        )
        assert not any(code >= 500 or code == 0 for c in seen.values() for code in c)
        assert seen["outage"] == Counter({202: outage_accepted}) and outage_accepted > PER_IP
        assert seen["after"] == Counter({202: PER_IP, 429: 5})
        assert signed == set(accepted)
        assert len(expected) == len(accepted)
        assert _all_sent(), dict(status_counts())
        assert delivery.exactly_once, delivery
    finally:
        web.kill()
        redis.kill()
