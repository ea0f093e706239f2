"""gunicorn settings for Resolute's web processes:

    gunicorn -c python:config.gunicorn config.wsgi:application --bind … --workers …

Binding and the worker count stay on the command line (Dockerfile, docker-compose.yml,
bench); this file holds what every deployment wants.
"""

from __future__ import annotations

import logging
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Warm each worker before it accepts requests (config/warmup.py)."""
    from config.warmup import warm

    try:
        done = warm()
    except Exception:  # a worker that could not warm up still serves, just slower at first
        logging.getLogger("config.warmup").exception("warm-up failed; serving cold")
        return
    worker.log.info("warmed up: %s", done)
