"""Import: one resolution summary parsed and its campaigns created."""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING

from bench.harness import ScenarioResult
from bench.scenarios.common import missing, skipped

if TYPE_CHECKING:
    from bench.harness import Bench

NAME = "import"
GOAL = "< 200 ms per summary"
SUMMARY = "campaign/fixtures/resolutions/oeil-2022-2505-RSP-kazakhstan.txt"


def run(bench: Bench) -> ScenarioResult:
    what = missing("campaign.importer.services:resolution_import")
    if what:
        return skipped(NAME, GOAL, what)
    from bench.harness import ROOT
    from campaign.importer.services import resolution_import
    from campaign.models import Organisation

    text = (ROOT / SUMMARY).read_text()
    rounds = 5 if bench.short else 20
    result = ScenarioResult(NAME, "fail", GOAL)
    timings: list[float] = []
    campaigns = 0
    with bench.measure(result):
        for i in range(rounds + 1):
            organisation = Organisation.objects.create(
                name=f"Import bench {bench.run_tag} {i}",
                slug=f"import-{bench.run_tag}-{i}",
                sending_address="campaigns@bench.example.org",
                test_address="test@bench.example.org",
            )
            started = time.perf_counter()
            report = resolution_import(organisation=organisation, text=text)
            elapsed = time.perf_counter() - started
            if i:  # the first round warms caches (imports, templates); a server is warm
                timings.append(elapsed)
                campaigns = len(report.created)
    median = statistics.median(timings) * 1000
    worst = max(timings) * 1000
    result.metrics = {
        "rounds": rounds,
        "campaigns_per_import": campaigns,
        "median_ms": round(median, 1),
        "max_ms": round(worst, 1),
    }
    result.checks = {"median < 200 ms": median < 200, "campaigns created": campaigns > 0}
    result.status = "pass" if all(result.checks.values()) else "fail"
    result.summary = f"median {median:.0f} ms, max {worst:.0f} ms, {campaigns} campaigns"
    return result
