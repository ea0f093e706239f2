"""Reference: the issue's bare endpoint (bench/reference/app.py) on this machine, as the issue
measured it on its own: gunicorn with 4 sync workers, wrk with 32 connections, a new signer
per request. No goal: it says how fast the machine is, so that the signing figure can be
read against it (the issue's machine: about 790 requests/s, p99 ≈ 50 ms)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from bench.harness import (
    ISSUE_REFERENCE_RPS,
    PG_SERVER,
    PYTHON,
    REFERENCE_DB,
    ROOT,
    ScenarioResult,
    cpu_ms_per_unit,
    free_port,
)

if TYPE_CHECKING:
    from bench.harness import Bench

NAME = "reference"
GOAL = "none: the machine's speed (the issue's machine: ~790 requests/s, p99 ~50 ms)"


def _database(action: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [REFERENCE_DB],
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{REFERENCE_DB}"')
        if action == "create":
            conn.execute(f'CREATE DATABASE "{REFERENCE_DB}"')


def run(bench: Bench) -> ScenarioResult:
    env = {**bench.env, "REFERENCE_DATABASE_URL": f"{PG_SERVER}/{REFERENCE_DB}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the reference configures its own settings
    _database("create")
    server = None
    try:
        subprocess.run(
            [PYTHON, "-m", "bench.reference.app", "--create-tables"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        port = free_port()
        gunicorn = str(Path(PYTHON).with_name("gunicorn"))
        server = bench.spawn(
            "reference",
            "reference",
            [
                gunicorn,
                "bench.reference.app:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "4",
                "--log-level",
                "warning",
            ],
            env=env,
        )
        url = f"http://127.0.0.1:{port}"
        bench.wait_for(lambda: _answers(url), 60, "the reference endpoint")
        duration = 5 if bench.short else 30
        result = ScenarioResult(NAME, "info", GOAL)
        with bench.measure(result):
            load, wrk_cpu = bench.wrk("sign.lua", duration, ["reference", "1", "ref"], url=url)
        result.cpu_seconds["load generator"] = round(wrk_cpu, 2)
        bench.reference_rps = load.rps if not load.errors else None
        result.metrics = {
            "requests_per_second": round(load.rps, 1),
            "p50_ms": load.p50_ms,
            "p99_ms": load.p99_ms,
            "errors": load.errors,
            "relative_to_the_issues_machine": round(load.rps / ISSUE_REFERENCE_RPS, 2),
            "cpu_ms_per_request": cpu_ms_per_unit(result.cpu_seconds, load.accepted),
        }
        result.summary = (
            f"{load.rps:.0f}/s, p99 {load.p99_ms:.0f} ms, {load.errors} errors: "
            f"{load.rps / ISSUE_REFERENCE_RPS:.2f}× the issue's machine"
        )
        if load.errors:
            result.status = "error"
        return result
    finally:
        if server is not None:
            server.stop()
            bench.procs.remove(server)
        _database("drop")


def _answers(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(url + "/", timeout=5)
    except urllib.error.HTTPError as error:
        return error.code == 404  # Django answering: the server is up
    return True
