"""Real processes for end-to-end tests: Celery workers (and beat) against the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """The URL of the database the current test uses (pytest-django's test_* database)."""
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class CeleryProcess:
    """`celery worker` or `celery beat` in a child process, logging to a file."""

    def __init__(self, args: list[str], env: Mapping[str, str], name: str) -> None:
        self.args = args
        self.env = dict(env)
        self.name = name
        self.log_path = Path(tempfile.mkstemp(prefix=f"resolute-{name}-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready_text: str | None = "ready.", timeout: float = 45) -> CeleryProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if ready_text and not wait_until(lambda: ready_text in self.log(), timeout):
            self.stop()
            raise RuntimeError(f"{self.name} did not start:\n{self.log()[-4000:]}")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def child_pids(self) -> list[int]:
        import psutil

        assert self.process is not None
        return [c.pid for c in psutil.Process(self.process.pid).children(recursive=True)]

    def signal(self, signum: int) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signum)

    def stop(self, timeout: float = 20) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def process_env(
    *, smtp_url: str, queue: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": test_database_url(),
            "SMTP_URL": smtp_url,
            "CELERY_QUEUE": queue,
            "OUTBOX_RETRY_BASE_SECONDS": "1",
            "OUTBOX_RETRY_MAX_SECONDS": "4",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


def start_worker(
    *,
    smtp_url: str,
    queue: str | None = None,
    concurrency: int = 1,
    name: str = "worker",
    extra_env: Mapping[str, str] | None = None,
    extra_args: list[str] | None = None,
) -> CeleryProcess:
    queue = queue or f"test-{uuid.uuid4().hex[:10]}"
    env = process_env(smtp_url=smtp_url, queue=queue, extra=extra_env)
    args = [
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        "--pool=prefork",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--hostname={name}-{uuid.uuid4().hex[:6]}@%h",
        "-Q",
        queue,
        *(extra_args or []),
    ]
    return CeleryProcess(args, env, name).start()
