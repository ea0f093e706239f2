"""Fixtures for the reliability drills: real workers, a stalling SMTP server, short outbox
timeouts (the sweep treats a row `sending` for 5 s as stranded, a queued row as lost after
1 s), and cleanup that kills whatever a drill left running."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.drills.support import DrillSmtpServer
from tests.support.processes import CeleryProcess, start_worker

# What the worker processes run with; the in-process sweep gets the same through `settings`.
WORKER_ENV = {
    "OUTBOX_STALE_SENDING_SECONDS": "5",
    "OUTBOX_STALE_QUEUED_SECONDS": "1",
    "OUTBOX_PUBLISH_ON_COMMIT": "true",
}


@pytest.fixture
def drill_smtp() -> Iterator[DrillSmtpServer]:
    server = DrillSmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def outbox_fast(settings: Any) -> Any:
    settings.OUTBOX_STALE_SENDING_SECONDS = 5
    settings.OUTBOX_STALE_QUEUED_SECONDS = 1
    settings.OUTBOX_RETRY_BASE_SECONDS = 1
    settings.OUTBOX_RETRY_MAX_SECONDS = 4
    settings.OUTBOX_PUBLISH_ON_COMMIT = True
    return settings


@pytest.fixture
def workers(transactional_db: None) -> Iterator[Callable[..., CeleryProcess]]:
    """start(smtp_url, concurrency=1, name=..., extra_env=...) → a worker on this session's
    queue; every worker started is killed at teardown."""
    from django.conf import settings

    started: list[CeleryProcess] = []

    def start(
        smtp_url: str,
        *,
        concurrency: int = 1,
        name: str = "drill-worker",
        extra_env: dict[str, str] | None = None,
        extra_args: list[str] | None = None,
    ) -> CeleryProcess:
        worker = start_worker(
            smtp_url=smtp_url,
            queue=settings.CELERY_TASK_DEFAULT_QUEUE,
            concurrency=concurrency,
            name=name,
            extra_env={**WORKER_ENV, **(extra_env or {})},
            extra_args=extra_args,
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()
