"""gunicorn settings for Resolute's web processes:

    gunicorn -c python:config.gunicorn config.wsgi:application --bind … --workers …

Binding stays on the command line (Dockerfile, docker-compose.yml, bench); this file holds
what every deployment wants, the worker count included (`WEB_CONCURRENCY` or `--workers`
override it).
"""

from __future__ import annotations

import logging
import os
from typing import Any


def _cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _workers() -> int:
    """Sync workers, one request at a time each: the cores plus one, unless WEB_CONCURRENCY
    (or --workers) says otherwise. On two cores shared with PostgreSQL, Redis and the mail
    worker, three workers signed 354–359 signatures a second where two signed 346, four 323
    and eight 279: a request waits on PostgreSQL and Redis, so one worker more than cores
    keeps them busy, and more only add switching between processes (docs/performance.md,
    the ninth round)."""
    given = os.environ.get("WEB_CONCURRENCY", "").strip()
    if not given:
        return _cores() + 1
    if not given.isdigit() or int(given) < 1:
        raise ValueError(f"WEB_CONCURRENCY must be a whole number of workers, 1 or more: {given!r}")
    return int(given)


workers = _workers()


def post_worker_init(worker: Any) -> None:
    """Warm each worker before it accepts requests (config/warmup.py)."""
    from config.warmup import warm

    try:
        done = warm()
    except Exception:  # a worker that could not warm up still serves, just slower at first
        logging.getLogger("config.warmup").exception("warm-up failed; serving cold")
        return
    worker.log.info("warmed up: %s", done)
