"""Shared fixtures. The suite runs against real PostgreSQL and Redis (scripts/test.sh sets
DATABASE_URL and REDIS_URL), real Celery worker processes and a real SMTP server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

# One broker queue per test session: parallel runs on one Redis never steal each other's
# tasks. Must be set before Django's settings are read.
os.environ.setdefault("CELERY_QUEUE", f"test-{uuid.uuid4().hex[:12]}")

from tests.support.processes import CeleryProcess, start_worker
from tests.support.smtp import SmtpServer


@pytest.fixture(autouse=True)
def _local_page_cache_cleared() -> Iterator[None]:
    """Each test starts with an empty per-process memo (config/memo.py), as a fresh web
    process would."""
    from config.memo import memo

    memo.clear()
    yield


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def celery_worker_process(
    smtp_server: SmtpServer, transactional_db: None
) -> Iterator[CeleryProcess]:
    """A real `celery worker` (prefork, concurrency 1) consuming this session's queue and
    delivering to `smtp_server`."""
    from django.conf import settings

    worker = start_worker(smtp_url=smtp_server.url, queue=settings.CELERY_TASK_DEFAULT_QUEUE)
    yield worker
    worker.stop()
