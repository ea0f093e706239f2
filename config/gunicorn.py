"""gunicorn settings for Resolute's web processes:

    gunicorn -c python:config.gunicorn config.wsgi:application --bind … --workers …

Binding stays on the command line (Dockerfile, docker-compose.yml, bench); this file holds
what every deployment wants, the worker count included (`WEB_CONCURRENCY` or `--workers`
override it).
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any

_CGROUP = Path("/sys/fs/cgroup")


def _cpu_quota(root: Path = _CGROUP) -> float | None:
    """The CPUs a cgroup's quota allows (`docker run --cpus`, a Kubernetes CPU limit), or None
    without one: cgroup v2's `cpu.max` ("max 100000" or "150000 100000"), else v1's CFS files.
    A quota does not show in the CPU set: a container limited to 2 CPUs on a 64-core host
    still sees 64."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError, ZeroDivisionError):
        pass
    try:
        quota_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def _cores() -> int:
    """The cores this process may use: its CPU set, capped by a cgroup CPU quota."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    quota = _cpu_quota()
    if quota is not None:
        return max(1, min(cores or 1, math.ceil(quota)))
    return cores or 1


def _workers() -> int:
    """Sync workers, one request at a time each: the cores plus one, unless WEB_CONCURRENCY
    (or --workers) says otherwise. On two cores shared with PostgreSQL, Redis and the mail
    worker, three workers signed 354–359 signatures a second where two signed 346, four 323
    and eight 279: a request waits on PostgreSQL and Redis, so one worker more than cores
    keeps them busy, and more only add switching between processes (docs/performance.md,
    the ninth round). An empty WEB_CONCURRENCY counts as unset."""
    given = os.environ.get("WEB_CONCURRENCY", "").strip()
    if not given:
        return _cores() + 1
    try:
        count = int(given)
    except ValueError:
        count = 0
    if count < 1:
        raise ValueError(f"WEB_CONCURRENCY must be a whole number of workers, 1 or more: {given!r}")
    return count


workers = _workers()
# Access-log lines (when --access-logfile is given) with supporters' link tokens cut out.
logger_class = "config.log_redaction.RedactingGunicornLogger"


def post_worker_init(worker: Any) -> None:
    """Warm each worker before it accepts requests (config/warmup.py)."""
    from config.warmup import warm

    try:
        done = warm()
    except Exception:  # a worker that could not warm up still serves, just slower at first
        logging.getLogger("config.warmup").exception("warm-up failed; serving cold")
        return
    worker.log.info("warmed up: %s", done)
