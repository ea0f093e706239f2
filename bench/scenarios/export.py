"""Export: the CSV of a petition's confirmed signatures (a million by default), produced by
the product's streaming export (advocacy.exports.signatures_csv_lines, what the admin's
export view streams) in a process of its own, so its time and peak memory are its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.harness import ScenarioResult
from bench.scenarios.common import missing, run_driver, skipped
from bench.scenarios.seed import big_petition

if TYPE_CHECKING:
    from bench.harness import Bench

NAME = "export"
GOAL = "1,000,000 rows < 30 s, peak memory < 150 MB"


def run(bench: Bench) -> ScenarioResult:
    what = missing("advocacy.exports:signatures_csv_lines")
    if what:
        return skipped(NAME, GOAL, what)
    seeded = big_petition(bench)
    result = ScenarioResult(NAME, "fail", GOAL)
    with bench.measure(result):
        figures = run_driver(
            bench, "bench.scenarios.export_driver", ["--petition-id", str(seeded["petition_id"])]
        )
    result.metrics = figures
    result.checks = {
        "all rows": figures["rows"] == seeded["rows"],
        "< 30 s": figures["seconds"] < 30 * seeded["rows"] / 1_000_000,
        "peak RSS < 150 MB": figures["peak_rss_mb"] < 150,
    }
    result.status = "pass" if all(result.checks.values()) else "fail"
    result.summary = (
        f"{figures['rows']:,} rows in {figures['seconds']:.1f} s "
        f"({figures['rows_per_second']:,.0f}/s), peak RSS {figures['peak_rss_mb']:.0f} MB"
    )
    if seeded["rows"] != 1_000_000:
        result.notes.append(f"short mode: {seeded['rows']:,} rows, time goal scaled")
    return result
