"""Drills 1 and 2: workers die (SIGKILL of the pool child mid-send, SIGKILL of the main process
holding prefetched tasks) or are stopped (SIGTERM, warm shutdown) while letters flow. After a
restart and the sweep every letter reaches the SMTP server; exactly once, except where a kill
landed between the server accepting DATA and the row being marked sent."""

from __future__ import annotations

import os
import signal
import threading

import psutil
import pytest

from advocacy.models import OutboundEmail, OutboundEmailStatus
from tests.drills.support import (
    Delivery,
    ack_window_ms,
    drill_print,
    letters_create,
    publish_each,
    status_counts,
    sweep_until,
)
from tests.support.processes import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LETTERS = 200


def _broker_state() -> dict[str, int]:
    """What the broker holds for this session's queue: messages waiting, and messages handed
    to a worker and not acknowledged (kombu's Redis `unacked` hash, all queues). Printed when
    a drill finds its rows undelivered, to tell a lost message from an idle worker."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    return {
        "waiting": int(client.llen(settings.CELERY_TASK_DEFAULT_QUEUE)),
        "unacked": int(client.hlen("unacked")),
    }


def _all_sent() -> bool:
    return OutboundEmail.objects.exclude(status=OutboundEmailStatus.SENT).count() == 0


def test_killing_the_pool_child_mid_send_loses_no_letter(drill_smtp, workers, outbox_fast):
    worker = workers(drill_smtp.url, concurrency=1, name="kill-child")
    letters = letters_create(LETTERS, tag="kill-child")
    publish_each([e.pk for e in letters])
    handler = drill_smtp.drill_handler

    kills: list[str] = []
    for at, where in ((37, "mid-DATA"), (100, "mid-DATA"), (150, "after-accept")):
        assert wait_until(lambda at=at: len(drill_smtp.received) >= at, 60), worker.log()[-3000:]
        [child] = worker.child_pids()
        if where == "mid-DATA":
            # The next DATA stalls 5 s before its reply; the child dies waiting for it.
            handler.pause_next(5)
            assert handler.paused.wait(30)
            os.kill(child, signal.SIGKILL)
        else:
            # Inside the honest window: the server has taken the message (recorded it) and the
            # child dies before it can read the 250 and mark the row sent.
            killed = threading.Event()

            def kill(child: int = child, killed: threading.Event = killed) -> None:
                os.kill(child, signal.SIGKILL)
                killed.set()

            handler.on_next_accept(kill)
            assert killed.wait(30)
        kills.append(f"{where} at {len(drill_smtp.received)} received")
        # The main process notices, starts a new child and re-queues the message
        # (reject_on_worker_lost); the re-run finds the row `sending` and skips it.
        assert wait_until(lambda child=child: worker.child_pids() not in ([], [child]), 30)

    done, sweeps, reclaimed = sweep_until(_all_sent, timeout=90)
    wait_until(lambda: False, 2)  # let any late duplicate arrive before counting
    delivery = Delivery.count(drill_smtp, [e.message_id for e in letters])
    after_accept = sum(k.startswith("after-accept") for k in kills)
    drill_print(
        "worker-kill-child",
        f"{LETTERS} letters, {len(kills)} SIGKILL of the pool child ({'; '.join(kills)}), "
        f"{handler.aborted} DATA aborted by the kill, {sweeps} sweeps reclaimed {reclaimed} "
        f"stranded rows, {delivery} (kills after acceptance: {after_accept}); "
        f"{ack_window_ms(handler, exclude=delivery.duplicate_ids)}; "
        f"statuses {dict(status_counts())}",
    )
    assert done, (dict(status_counts()), worker.log()[-3000:])
    assert delivery.missing == 0 and delivery.unexpected == 0
    # The one honest window: only a kill after the server accepted DATA may cause a re-send.
    assert delivery.duplicates <= after_accept


def test_killing_the_main_process_with_prefetched_tasks_loses_no_letter(
    drill_smtp, workers, outbox_fast
):
    drill_smtp.drill_handler.delay = 0.03
    worker = workers(drill_smtp.url, concurrency=2, name="kill-main")
    letters = letters_create(LETTERS, tag="kill-main")
    # Batches of 10, as the sweep publishes them: a kill strands up to a whole batch.
    publish_each([e.pk for e in letters], batch=10)

    assert wait_until(lambda: len(drill_smtp.received) >= 60, 60), worker.log()[-3000:]
    assert worker.process is not None
    main = psutil.Process(worker.process.pid)
    children = main.children(recursive=True)
    # Celery's pool children die with their parent (PR_SET_PDEATHSIG = SIGKILL), wherever
    # they are in their send loop: each may be inside the accept→sent window.
    in_flight = set(
        OutboundEmail.objects.filter(status=OutboundEmailStatus.SENDING).values_list(
            "message_id", flat=True
        )
    )
    os.kill(main.pid, signal.SIGKILL)
    worker.process.wait(10)
    at_kill = len(drill_smtp.received)
    # Orphaned pool children finish (or not) on their own; any still alive after 10 s dies too.
    _, alive = psutil.wait_procs(children, timeout=10)
    for child in alive:
        child.kill()
    counts_after_kill = dict(status_counts())
    in_flight |= set(
        OutboundEmail.objects.filter(status=OutboundEmailStatus.SENDING).values_list(
            "message_id", flat=True
        )
    )

    replacement = workers(drill_smtp.url, concurrency=2, name="kill-main-replacement")
    done, sweeps, reclaimed = sweep_until(_all_sent, timeout=90)
    wait_until(lambda: False, 2)
    delivery = Delivery.count(drill_smtp, [e.message_id for e in letters])
    drill_print(
        "worker-kill-main",
        f"{LETTERS} letters in tasks of 10, SIGKILL of the main process at {at_kill} received "
        f"(statuses then {counts_after_kill}; {len(alive)} orphaned children still alive after "
        f"10 s), replacement worker + {sweeps} sweeps reclaimed {reclaimed} stranded rows, "
        f"{delivery} (children killed mid-batch: {len(children)}); "
        f"{ack_window_ms(drill_smtp.drill_handler, exclude=delivery.duplicate_ids)}",
    )
    assert done, (dict(status_counts()), replacement.log()[-3000:])
    assert delivery.missing == 0 and delivery.unexpected == 0
    # A duplicate can only be a row some killed child held (`sending`), at most one per child.
    assert delivery.duplicate_ids <= in_flight
    assert delivery.duplicates <= len(children)


def test_a_warm_shutdown_finishes_its_work_and_hands_back_the_rest(
    drill_smtp, workers, outbox_fast
):
    drill_smtp.drill_handler.delay = 0.03
    worker = workers(drill_smtp.url, concurrency=2, name="warm")
    letters = letters_create(LETTERS, tag="warm")
    publish_each([e.pk for e in letters])

    assert wait_until(lambda: len(drill_smtp.received) >= 50, 60), worker.log()[-3000:]
    worker.signal(signal.SIGTERM)
    assert worker.process is not None
    worker.process.wait(60)
    at_exit = len(drill_smtp.received)
    stranded = OutboundEmail.objects.filter(status=OutboundEmailStatus.SENDING).count()
    broker_at_exit = _broker_state()

    replacement = workers(drill_smtp.url, concurrency=2, name="warm-replacement")
    # No sweep: a warm shutdown must hand back what it held, not leave it for the safety net.
    without_sweep = wait_until(_all_sent, 60)
    state_then = {"rows": dict(status_counts()), "broker": _broker_state()}
    sweeps = 0
    if not without_sweep:
        _, sweeps, _ = sweep_until(_all_sent, timeout=60)
    wait_until(lambda: False, 2)
    delivery = Delivery.count(drill_smtp, [e.message_id for e in letters])
    drill_print(
        "worker-sigterm",
        f"{LETTERS} letters, SIGTERM at ~50 received, worker exited at {at_exit} received with "
        f"{stranded} rows left in `sending`, replacement delivered the rest "
        f"{'without the sweep' if without_sweep else f'after {sweeps} sweeps'}, {delivery}",
    )
    assert stranded == 0
    assert without_sweep, (
        {"broker at the first worker's exit": broker_at_exit, "after 60 s": state_then},
        worker.log()[-4000:],
        replacement.log()[-4000:],
    )
    assert delivery.exactly_once, delivery
