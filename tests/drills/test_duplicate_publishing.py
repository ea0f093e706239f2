"""Drill 5: every send task published twice and two workers racing for them. The claim
(queued → sending under SKIP LOCKED) is the exactly-once gate: each mail is delivered once."""

from __future__ import annotations

import re

import pytest

from advocacy.models import OutboundEmail, OutboundEmailStatus
from tests.drills.support import Delivery, drill_print, letters_create, publish_each
from tests.support.processes import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LETTERS = 300


def test_every_task_published_twice_to_two_workers_delivers_each_letter_once(
    drill_smtp, workers, outbox_fast
):
    racers = [workers(drill_smtp.url, concurrency=2, name=f"racer{i}") for i in range(2)]
    letters = letters_create(LETTERS, tag="dup")
    ids = [e.pk for e in letters]
    publish_each(ids)
    publish_each(ids)

    assert wait_until(
        lambda: OutboundEmail.objects.filter(status=OutboundEmailStatus.SENT).count() == LETTERS,
        120,
    ), racers[0].log()[-3000:]

    def task_results() -> list[str]:
        return [r for w in racers for r in re.findall(r"succeeded in [\d.]+s: (\{.*?\})", w.log())]

    # Let every duplicate run (and find nothing to do) before counting. Counted by its own
    # result, not by the number of tasks run: the session's queue may still hold an earlier
    # drill's swept batches, which these workers run too (and which find nothing of theirs).
    single_skips = str({"skipped": 1})
    assert wait_until(lambda: task_results().count(single_skips) >= LETTERS, 60), task_results()
    wait_until(lambda: False, 1)  # a duplicate beyond one per letter would show by now
    results = task_results()
    delivery = Delivery.count(drill_smtp, [e.message_id for e in letters])
    per_worker = [w.log().count("succeeded in") for w in racers]
    drill_print(
        "duplicate-publishing",
        f"{LETTERS} letters, {2 * LETTERS} tasks published, run by 2 workers x 2 children "
        f"({per_worker[0]} + {per_worker[1]} tasks): {results.count(str({'sent': 1}))} sent, "
        f"{results.count(str({'skipped': 1}))} no-op claims; {delivery}",
    )
    assert delivery.exactly_once, delivery
    assert results.count(single_skips) == LETTERS
    assert results.count(str({"sent": 1})) == LETTERS
