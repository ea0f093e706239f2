"""Mail: N queued outbox rows delivered by one worker (concurrency 2), exactly once."""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING

from bench.harness import ScenarioResult, cpu_ms_per_unit
from bench.scenarios.common import missing, skipped

if TYPE_CHECKING:
    from bench.harness import Bench

NAME = "mail"
GOAL = ">= 600 mails/s, each exactly once"

BODY = (
    "Dear supporter,\n\n"
    + "Thank you for standing with the people of Kazakhstan. " * 8
    + "\n\nWith thanks,\nThe campaign team\n"
)


def run(bench: Bench) -> ScenarioResult:
    what = missing("advocacy.outbox:outbound_email_create")
    if what:
        return skipped(NAME, GOAL, what)
    from django.db import transaction

    from advocacy.models import EmailKind, OutboundEmail, OutboundEmailStatus
    from advocacy.outbox import outbound_email_create

    count = 2_000 if bench.short else 20_000
    result = ScenarioResult(NAME, "fail", GOAL)
    bench.outbox_drain(120)
    tag = f"m{bench.run_tag}"
    # The rows are written first, in one transaction: they become visible (and, with
    # OUTBOX_PUBLISH_ON_COMMIT=true, are published) at one instant, the start of the clock.
    write_started = time.monotonic()
    with transaction.atomic():
        emails = [
            outbound_email_create(
                kind=EmailKind.NOTIFICATION,
                recipient=f"{tag}-{i}@bench.example.org",
                subject=f"Benchmark mail {i}",
                body_text=BODY,
                headers={"List-Unsubscribe": f"<https://bench.example.org/u/{i}>"},
            )
            for i in range(count)
        ]
        write_seconds = time.monotonic() - write_started
        ids = {e.message_id for e in emails}
        cpu_before = bench.cpu_begin()
        t0 = time.time()  # the commit at the end of this block starts the clock
    deadline = time.monotonic() + max(120, count / 50)
    ours: Counter[str] = Counter()
    last = 0.0
    while time.monotonic() < deadline:
        if bench.sink_stats()["messages"] >= count:
            records = bench.sink_records()
            ours = Counter(mid for mid, _, _ in records if mid in ids)
            last = max((at for mid, _, at in records if mid in ids), default=0.0)
            if len(ours) >= count:
                break
        time.sleep(0.5)
    result.cpu_seconds = bench.cpu_since(cpu_before)
    result.wall_seconds = round(time.time() - t0, 2)
    time.sleep(2)  # anything sent twice would arrive now
    ours = Counter(mid for mid, _, _ in bench.sink_records() if mid in ids)
    sent = OutboundEmail.objects.filter(
        message_id__in=list(ids), status=OutboundEmailStatus.SENT
    ).count()
    seconds = (last - t0) if last else float("inf")
    rate = len(ours) / seconds if seconds and seconds != float("inf") else 0.0
    duplicates = sum(n - 1 for n in ours.values())
    result.metrics = {
        "rows": count,
        "write_seconds": round(write_seconds, 2),
        "delivered_unique": len(ours),
        "duplicates": duplicates,
        "rows_marked_sent": sent,
        "seconds": round(seconds, 2),
        "mails_per_second": round(rate, 1),
        "cpu_ms_per_mail": cpu_ms_per_unit(result.cpu_seconds, count),
    }
    result.checks = {
        "rate >= 600/s": rate >= 600,
        "all delivered": len(ours) == count,
        "no duplicates": duplicates == 0,
        "all rows sent": sent == count,
    }
    result.status = "pass" if all(result.checks.values()) else "fail"
    result.summary = (
        f"{rate:.0f} mails/s ({len(ours)}/{count} in {seconds:.1f} s, {duplicates} dupes)"
    )
    return result
