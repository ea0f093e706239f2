"""Driver processes: several at once, reported as one (the letters scenario's writers)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.scenarios import letters
from bench.scenarios.common import run_drivers


def _bench() -> SimpleNamespace:
    return SimpleNamespace(env=dict(os.environ), extra_pids={})


def test_drivers_run_at_once_and_answer_in_order(tmp_path: Path) -> None:
    files = []
    for n in range(3):
        files.append(tmp_path / f"{n}.json")
        files[-1].write_text(json.dumps({"n": n}))
    bench = _bench()

    results = run_drivers(bench, "json.tool", [["--compact", str(f)] for f in files])

    assert results == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert list(bench.extra_pids.values()) == ["driver"] * 3  # their CPU is the drivers'


def test_a_failing_driver_is_reported_with_its_error(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text("{}")

    with pytest.raises(RuntimeError, match="json.tool failed"):
        run_drivers(_bench(), "json.tool", [["--compact", str(good)], [str(tmp_path / "no")]])


def test_writers_share_the_supporters_number_them_apart_and_are_timed_as_one(monkeypatch):
    calls: list[list[list[str]]] = []

    def fake_run_drivers(bench, module, args_per_process, env=None, timeout=1800):
        calls.append(args_per_process)
        runs = []
        for k, args in enumerate(args_per_process):
            supporters = int(args[args.index("--supporters") + 1])
            runs.append(
                {
                    "campaign": "c", "campaign_id": 1, "country": "AT", "meps": 20,
                    "supporters": supporters, "letters": 20 * supporters,
                    "seconds": 10.0, "create_seconds": 8.0, "confirm_seconds": 2.0,
                    "started_at": 100.0 + k, "ended_at": 110.0 + k,
                }
            )  # fmt: skip
        return runs

    monkeypatch.setattr(letters, "run_drivers", fake_run_drivers)

    report = letters._write_at_once(
        _bench(), 3, 1000, ["--campaign-index", "1", "--country", "AT"], tag="t", env={}
    )

    [args_per_process] = calls
    shares = [int(a[a.index("--supporters") + 1]) for a in args_per_process]
    firsts = [int(a[a.index("--first") + 1]) for a in args_per_process]
    assert shares == [334, 333, 333]
    # No two writers number a supporter alike: the same name would be the same letter text.
    assert firsts == [0, 334, 667]
    assert report["supporters"] == 1000 and report["letters"] == 20_000
    assert report["writers"] == 3
    assert report["seconds"] == 12.0  # from the first start (100) to the last end (112)
