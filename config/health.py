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


def _check_static_files() -> str | None:
    """Every page links the site's stylesheet by its hashed name; without `collectstatic` the
    manifest lacks it and every page is a 500 while the database and broker are fine."""
    from django.templatetags.static import static

    try:
        static("advocacy/site.css")
    except Exception as exc:
        return f"{type(exc).__name__}: {exc} (run manage.py collectstatic)".strip()[:200]
    return None


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database and the broker answer and the static files are collected; 503
    names the failing part."""
    checks = {
        "database": _check_database(),
        "broker": _check_broker(),
        "static_files": _check_static_files(),
    }
    failures = {name: problem for name, problem in checks.items() if problem}
    if failures:
        logger.warning("not ready: %s", failures)
        return JsonResponse({"status": "unavailable", "failing": failures}, status=503)
    return JsonResponse({"status": "ok", "checks": dict.fromkeys(checks, "ok")})
