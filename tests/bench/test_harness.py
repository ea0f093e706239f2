"""The benchmark harness's own pure pieces: reading wrk's output, choosing which PostgreSQL
processes count, the pacing window, CPU accounting. Fast; no processes started."""

from __future__ import annotations

import pytest

from bench.harness import (
    CpuMonitor,
    cpu_ms_per_unit,
    format_table,
    parse_wrk,
    postgres_process_counts,
    relative_to_reference,
    sliding_window_max,
)

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    40.10ms   10.00ms  95.00ms   70.00%
  6000 requests in 10.00s, 1.00MB read
  Non-2xx or 3xx responses: 3
BENCH_JSON {"requests":6000,"duration_us":10000000,"bytes":1000000,"connect_errors":0,\
"read_errors":1,"write_errors":0,"status_errors":3,"timeouts":2,"p50_us":40000,\
"p90_us":60000,"p99_us":90500,"max_us":95000,"mean_us":40100.0}
"""


def test_wrk_output_is_read_from_the_bench_json_line():
    result = parse_wrk(WRK_OUTPUT)

    assert result.requests == 6000
    assert result.rps == 600
    assert result.errors == 6  # read + non-2xx + timeouts
    assert result.accepted == 5997
    assert (result.p99_ms, result.max_ms) == (90.5, 95.0)


def test_wrk_output_without_the_line_is_an_error():
    with pytest.raises(ValueError, match="no BENCH_JSON"):
        parse_wrk("Running 10s test\n  0 requests in 10.00s\n")


@pytest.mark.parametrize(
    ("cmdline", "counts"),
    [
        ("postgres: 15/main: postgres resolute_bench 127.0.0.1(51234) idle", True),
        ("postgres: 15/main: postgres test_resolute 127.0.0.1(51234) idle", False),
        ("postgres: postgres resolute_bench [local] SELECT", True),
        ("postgres: 15/main: checkpointer ", True),
        ("/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main", True),
        ("postgres: 15/main: autovacuum worker test_resolute", False),
        ("postgres: 15/main: autovacuum worker resolute_bench", True),
    ],
)
def test_only_the_benchmark_databases_postgres_backends_count(cmdline, counts):
    assert postgres_process_counts(cmdline, "resolute_bench") is counts


def test_the_sliding_window_counts_the_busiest_hour():
    hour = 3600.0
    times = [0, 1, 2, hour - 1, hour, hour + 1, 5 * hour]
    assert sliding_window_max(times, hour) == 4  # 1, 2, hour-1 and hour: [1, 3601)
    assert sliding_window_max([], hour) == 0


def test_cpu_deltas_count_processes_born_during_the_window():
    before = {(1, 0.0): ("gunicorn", 10.0)}
    after = {(1, 0.0): ("gunicorn", 12.5), (2, 5.0): ("gunicorn", 1.0), (3, 5.0): ("redis", 0.5)}

    assert CpuMonitor.delta(before, after) == {"gunicorn": 3.5, "redis": 0.5}


def test_cpu_per_unit_leaves_out_the_load_generator():
    per_unit = cpu_ms_per_unit({"gunicorn": 2.0, "postgres": 1.0, "load generator": 5.0}, 1000)
    assert per_unit == {"gunicorn": 2.0, "postgres": 1.0, "total": 3.0}


def test_the_table_lines_up_its_columns():
    text = format_table([["a", "bb"], ["ccc", "d"]])
    assert text.splitlines() == ["a    bb", "---  --", "ccc  d"]


def test_the_export_driver_reports_its_own_peak_memory_not_its_parents():
    import subprocess
    import sys
    from pathlib import Path

    ballast = bytearray(300 * 1024 * 1024)  # the parent's peak: ~300 MB more than the child's
    ballast[::4096] = b"\x01" * len(ballast[::4096])
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "from bench.scenarios.export_driver import peak_rss_mb; print(peak_rss_mb())",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    del ballast
    assert 1 < float(child.stdout) < 200


def test_a_rate_is_read_against_the_reference_endpoint():
    share, note = relative_to_reference(606.0, 1219.0, 600)
    assert round(share, 2) == 0.5
    assert note == (
        "0.50× the reference endpoint's rate on this machine; the goal, 600/s where it did "
        "790/s, is 0.76×"
    )
    assert relative_to_reference(606.0, None, 600) is None
