"""Helpers shared by scenarios: discovery of product code, campaigns, driver processes."""

from __future__ import annotations

import importlib
import json
import subprocess
from typing import TYPE_CHECKING, Any

from bench.harness import PYTHON, ROOT, ScenarioResult

if TYPE_CHECKING:
    from bench.harness import Bench


def missing(*requirements: str) -> str | None:
    """Each requirement is "module" or "module:attribute" or "url:name". Returns what is
    missing, or None when everything is there."""
    from django.urls import NoReverseMatch, reverse

    for requirement in requirements:
        kind, _, rest = requirement.partition(":")
        if kind == "url":
            try:
                reverse(rest, kwargs={"slug": "x"})
            except NoReverseMatch:
                return f"URL {rest!r}"
            continue
        module_name, attribute = kind, rest
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return f"module {module_name}"
        if attribute and not hasattr(module, attribute):
            return f"{module_name}.{attribute}"
    return None


def skipped(name: str, goal: str, what: str) -> ScenarioResult:
    return ScenarioResult(name, "skipped", goal, summary=f"not available yet: {what}")


def live_petition_campaigns() -> list[Any]:
    from campaign.models import Campaign, CampaignStatus

    return list(
        Campaign.objects.filter(status=CampaignStatus.LIVE, petition__isnull=False)
        .select_related("petition", "organisation")
        .order_by("pk")
    )


def run_driver(
    bench: Bench,
    module: str,
    args: list[str],
    env: dict[str, str] | None = None,
    timeout: float = 1800,
) -> dict[str, Any]:
    """Run `python -m module args…` with the benchmark's environment; its last stdout line is
    JSON. Its CPU is accounted to the group "driver"."""
    return run_drivers(bench, module, [args], env=env, timeout=timeout)[0]


def run_drivers(
    bench: Bench,
    module: str,
    args_per_process: list[list[str]],
    env: dict[str, str] | None = None,
    timeout: float = 1800,
) -> list[dict[str, Any]]:
    """`run_driver`, one process per argument list, all running at once (as the web processes
    serve supporters at once); each one's last stdout line, in order."""
    processes = []
    for args in args_per_process:
        popen = subprocess.Popen(
            [PYTHON, "-m", module, *args],
            cwd=ROOT,
            env={**bench.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        bench.extra_pids[popen.pid] = "driver"
        processes.append(popen)
    results = []
    for popen in processes:
        out, err = popen.communicate(timeout=timeout)
        if popen.returncode != 0:
            for other in processes:
                other.kill()
            raise RuntimeError(f"{module} failed:\n{err[-3000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results
