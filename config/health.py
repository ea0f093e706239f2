"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from config.celery import app as celery_app

logger = logging.getLogger(__name__)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving; touches nothing else."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure means "not ready"; the reason goes in the reply
        return f"{type(exc).__name__}: {exc}".strip()[:200]
    return None


def _check_broker() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()[:200]
    return None


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database and the broker answer; 503 names the failing part."""
    failures = {
        name: problem
        for name, problem in (("database", _check_database()), ("broker", _check_broker()))
        if problem
    }
    if failures:
        logger.warning("not ready: %s", failures)
        return JsonResponse({"status": "unavailable", "failing": failures}, status=503)
    return JsonResponse({"status": "ok", "checks": {"database": "ok", "broker": "ok"}})
