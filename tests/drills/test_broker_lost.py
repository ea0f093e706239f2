"""Drill 3: Redis restarts (it keeps nothing on disk) with 1,000 letters queued. The broker was
only a doorbell: the sweep finds every row still `queued` and the letters go out, each once."""

from __future__ import annotations

import pytest
from django.conf import settings

from advocacy.models import OutboundEmail, OutboundEmailStatus
from tests.drills.support import (
    Delivery,
    RedisServer,
    drill_print,
    letters_create,
    publish_each,
    status_counts,
    sweep_in_subprocess,
)
from tests.support import processes
from tests.support.processes import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LETTERS = 1000


def _all_sent() -> bool:
    return OutboundEmail.objects.exclude(status=OutboundEmailStatus.SENT).count() == 0


def test_a_redis_restart_with_1000_letters_queued_loses_none(drill_smtp, workers, outbox_fast):
    redis = RedisServer().start()
    try:
        broker = {"REDIS_URL": redis.url(), "CELERY_BROKER_URL": redis.url()}
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        letters = letters_create(LETTERS, tag="broker")
        publish_each([e.pk for e in letters], broker_url=redis.url())
        queued_before = redis.queue_length(queue)

        worker = workers(drill_smtp.url, concurrency=2, name="broker", extra_env=broker)
        assert wait_until(lambda: len(drill_smtp.received) >= 150, 90), worker.log()[-3000:]
        redis.kill()
        at_crash = len(drill_smtp.received)
        redis.start()  # same port, empty: every queued and unacked message is gone
        queued_after = redis.queue_length(queue)
        wait_until(lambda: False, 5)
        stalled_at = len(drill_smtp.received)
        assert worker.process is not None
        # Celery 5.7/kombu 5.7 may die here with "Unrecoverable error: AttributeError(
        # 'NoneType' object has no attribute 'hostname')" (restoring unacked messages on a
        # closed connection); production runs workers under `restart: unless-stopped`, so
        # the drill restarts it the way the supervisor would, and reports it.
        worker_died = worker.process.poll() is not None
        if worker_died:
            worker = workers(
                drill_smtp.url, concurrency=2, name="broker-restarted", extra_env=broker
            )

        sweep_env = {
            **broker,
            "DATABASE_URL": processes.test_database_url(),
            "CELERY_QUEUE": queue,
            "OUTBOX_STALE_SENDING_SECONDS": "5",
            "OUTBOX_STALE_QUEUED_SECONDS": "1",
        }
        sweeps = [sweep_in_subprocess(sweep_env)]
        # Rows that were in flight when Redis died finished or sit in `sending` until stale.
        while not wait_until(_all_sent, 30) and len(sweeps) < 5:
            sweeps.append(sweep_in_subprocess(sweep_env))
        wait_until(lambda: False, 2)
        delivery = Delivery.count(drill_smtp, [e.message_id for e in letters])
        drill_print(
            "broker-lost",
            f"{LETTERS} letters published ({queued_before} messages in Redis), worker delivered "
            f"{at_crash}, Redis SIGKILLed and restarted empty ({queued_after} messages left), "
            f"worker {'DIED (kombu AttributeError) and was restarted' if worker_died else 'alive'}"
            f" and idle ({stalled_at} delivered 5 s later), sweeps: "
            f"{'; '.join(sweeps)}; {delivery}; statuses {dict(status_counts())}",
        )
        assert _all_sent(), (dict(status_counts()), worker.log()[-3000:])
        assert queued_after == 0
        assert delivery.exactly_once, delivery
    finally:
        redis.kill()
