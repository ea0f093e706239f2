"""Letters: supporters each writing to the MEPs of one country — rendered, stored, confirmed
and queued through the letters services (bench/scenarios/letters_driver.py) — once with
per-MEP pacing off, once with it on (the schedule must hold the per-MEP limit exactly).

Supporters write at the same time, as they do through the web processes: the supporters are
shared among as many driver processes as gunicorn has workers (`--web-workers`, the cores + 1
by default), and the rate is all their letters over the wall time from the first one's start
to the last one's end. The per-MEP pacing is then checked under concurrent confirmations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bench.harness import ScenarioResult, sliding_window_max
from bench.scenarios.common import missing, run_drivers, skipped

if TYPE_CHECKING:
    from bench.harness import Bench

NAME = "letters"
GOAL = ">= 2,000 letters/s rendered and queued (pacing off); pacing exact (on)"
PACING_LIMIT = 30


def _pacing_check(campaign_id: int) -> dict[str, object]:
    from advocacy.models import EmailKind, Letter

    slots: dict[int, list[float]] = {}
    for mep_id, not_before in Letter.objects.filter(
        campaign_id=campaign_id, outbound_email__kind=EmailKind.LETTER
    ).values_list("mep_id", "outbound_email__not_before"):
        slots.setdefault(mep_id, []).append(not_before.timestamp())
    worst = max((sliding_window_max(times, 3600) for times in slots.values()), default=0)
    full_first_hour = all(
        sliding_window_max(times, 3600) == min(PACING_LIMIT, len(times)) for times in slots.values()
    )
    return {
        "meps": len(slots),
        "letters_scheduled": sum(len(t) for t in slots.values()),
        "max_in_any_hour": worst,
        "limit": PACING_LIMIT,
        "limit_reached_not_exceeded": full_first_hour,
    }


def run(bench: Bench) -> ScenarioResult:
    what = missing(
        "advocacy.letters:letter_request_create",
        "advocacy.letters:letter_request_confirm",
        "advocacy.letters:letter_targets_list",
        "campaign.models:Mep",
    )
    if what:
        return skipped(NAME, GOAL, what)
    from campaign.models import Mep

    if not Mep.objects.exists():
        return skipped(NAME, GOAL, "no MEPs loaded (manage.py load_meps)")
    supporters = 100 if bench.short else 1000
    result = ScenarioResult(NAME, "fail", GOAL)
    bench.outbox_drain(180)
    writers = max(1, bench.web_workers)
    with bench.measure(result):
        off = _write_at_once(
            bench,
            writers,
            supporters,
            ["--campaign-index", "1"],
            tag=f"lo{bench.run_tag}",
            env={"LETTERS_PER_MEP_PER_HOUR": "0"},  # 0 = pacing off
        )
    delivery_seconds = bench.outbox_drain(600)
    # Pacing on: fewer supporters suffice to check the schedule (each MEP still gets several
    # hours' worth), and its per-letter cost grows with the MEP's queue (see docs).
    on = _write_at_once(
        bench,
        writers,
        min(supporters, 200),
        ["--campaign-index", "2", "--country", off["country"]],
        tag=f"ln{bench.run_tag}",
        env={"LETTERS_PER_MEP_PER_HOUR": str(PACING_LIMIT)},
    )
    pacing = _pacing_check(on["campaign_id"])
    bench.outbox_drain(180)
    rate = off["letters"] / off["seconds"] if off["seconds"] else 0.0
    result.notes.append(
        f"{off['writers']} writers at once (as many as gunicorn has workers), each writing "
        f"{off['one_writer_letters_per_second']:.0f} letters/s of its own time"
    )
    result.metrics = {
        "pacing_off": {**off, "letters_per_second": round(rate, 1)},
        "pacing_off_delivery_seconds_after_queueing": round(delivery_seconds, 1),
        "pacing_on": {
            **on,
            "letters_per_second": round(on["letters"] / on["seconds"], 1) if on["seconds"] else 0,
            **pacing,
        },
    }
    result.checks = {
        "rate >= 2000/s (pacing off)": rate >= 2000,
        "pacing: never more than the limit per MEP-hour": pacing["max_in_any_hour"] <= PACING_LIMIT,
        "pacing: the limit is used, not undercut": bool(pacing["limit_reached_not_exceeded"]),
    }
    result.status = "pass" if all(result.checks.values()) else "fail"
    result.summary = (
        f"{rate:.0f} letters/s ({off['letters']} to {off['meps']} MEPs of {off['country']}); "
        f"paced: {on['letters'] / on['seconds']:.0f}/s, max {pacing['max_in_any_hour']}/MEP-hour"
    )
    return result


def _write_at_once(
    bench: Bench,
    writers: int,
    supporters: int,
    args: list[str],
    *,
    tag: str,
    env: dict[str, str],
) -> dict[str, Any]:
    """`supporters` shared among `writers` drivers running at once, reported as one: all
    their letters, and the wall time from the first driver's start to the last one's end."""
    shares = [len(range(k, supporters, writers)) for k in range(writers)]
    if not args.count("--country"):
        # Every writer must write to the same MEPs: the first chooses the country alone.
        first = run_drivers(
            bench, "bench.scenarios.letters_driver",
            [["--supporters", "0", *args, "--tag", f"{tag}x"]], env=env,
        )[0]  # fmt: skip
        args = [*args, "--country", first["country"]]
    runs = run_drivers(
        bench,
        "bench.scenarios.letters_driver",
        [
            ["--supporters", str(share), "--first", str(sum(shares[:k])), *args, "--tag", tag]
            for k, share in enumerate(shares)
            if share
        ],
        env=env,
    )
    seconds = max(r["ended_at"] for r in runs) - min(r["started_at"] for r in runs)
    own = max(runs, key=lambda r: r["supporters"])
    return {
        **{key: runs[0][key] for key in ("campaign", "campaign_id", "country", "meps")},
        "supporters": sum(r["supporters"] for r in runs),
        "letters": sum(r["letters"] for r in runs),
        "seconds": round(seconds, 2),
        "writers": len(runs),
        "create_seconds": round(sum(r["create_seconds"] for r in runs), 2),
        "confirm_seconds": round(sum(r["confirm_seconds"] for r in runs), 2),
        "one_writer_letters_per_second": (
            own["letters"] / own["seconds"] if own["seconds"] else 0.0
        ),
    }
