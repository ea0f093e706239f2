"""Reading: the campaign page and the counters API of a petition with (by default) a million
confirmed signatures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.harness import ScenarioResult, cpu_ms_per_unit
from bench.scenarios.common import missing, skipped
from bench.scenarios.seed import big_petition

if TYPE_CHECKING:
    from bench.harness import Bench

NAME = "reading"
GOAL = ">= 1,000 requests/s, p99 < 50 ms (each of page, counters)"


def run(bench: Bench) -> ScenarioResult:
    what = missing("url:advocacy:campaign-detail", "url:api-campaign-counters")
    if what:
        return skipped(NAME, GOAL, what)
    from django.urls import reverse

    seeded = big_petition(bench)
    slug = seeded["slug"]
    paths = {
        "campaign page": reverse("advocacy:campaign-detail", kwargs={"slug": slug}),
        "counters API": reverse("api-campaign-counters", kwargs={"slug": slug}),
    }
    for label, path in paths.items():
        status, _ = bench.http_get(path)
        if status != 200:
            return ScenarioResult(NAME, "error", GOAL, summary=f"{label} {path} answered {status}")
    duration = 5 if bench.short else 30
    result = ScenarioResult(NAME, "fail", GOAL)
    result.metrics = {"signatures_in_table": seeded["rows"], "seed_seconds": seeded["seed_seconds"]}
    parts = []
    wrk_cpu_total = 0.0
    with bench.measure(result):
        for label, path in paths.items():
            load, wrk_cpu = bench.wrk("get.lua", duration, [path])
            wrk_cpu_total += wrk_cpu
            result.metrics[label] = {
                "path": path,
                "requests_per_second": round(load.rps, 1),
                "p50_ms": load.p50_ms,
                "p99_ms": load.p99_ms,
                "max_ms": load.max_ms,
                "errors": load.errors,
            }
            result.checks[f"{label}: >= 1000/s"] = load.rps >= 1000
            result.checks[f"{label}: p99 < 50 ms"] = load.p99_ms < 50
            result.checks[f"{label}: no errors"] = load.errors == 0
            parts.append(f"{label} {load.rps:.0f}/s p99 {load.p99_ms:.0f} ms")
    result.cpu_seconds["load generator"] = round(wrk_cpu_total, 2)
    total_requests = sum(
        int(m["requests_per_second"] * duration)
        for m in result.metrics.values()
        if isinstance(m, dict)
    )
    result.metrics["cpu_ms_per_request"] = cpu_ms_per_unit(result.cpu_seconds, total_requests)
    result.status = "pass" if all(result.checks.values()) else "fail"
    result.summary = "; ".join(parts)
    return result
