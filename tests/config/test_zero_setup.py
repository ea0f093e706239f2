"""The zero-setup mode (`make run` with nothing configured): SQLite, kombu's filesystem broker,
a real worker, a real SMTP server. One smoke test; the rest of the suite uses PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT, CeleryProcess, wait_until
from tests.support.smtp import SmtpServer


@pytest.mark.e2e
def test_the_zero_setup_mode_delivers_a_mail_through_the_embedded_broker(tmp_path: Path):
    smtp = SmtpServer().start()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY"}
    }
    env.update(
        {"DEBUG": "true", "VAR_DIR": str(tmp_path), "SMTP_URL": smtp.url, "CELERY_QUEUE": "smoke"}
    )
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 180}
    try:
        migrated = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], **run)
        assert migrated.returncode == 0, migrated.stderr
        assert (tmp_path / "resolute.sqlite3").exists()

        worker = CeleryProcess(
            [
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "-Q",
                "smoke",
            ],
            env,
            "zero-setup-worker",
        ).start()
        try:
            queued = subprocess.run(
                [sys.executable, "manage.py", "send_test_email", "smoke@example.org"], **run
            )
            assert queued.returncode == 0, queued.stderr
            assert "Queued outbox row" in queued.stdout
            assert wait_until(lambda: len(smtp.received) == 1, 60), worker.log()[-3000:]

            # …and the row is recorded as sent (SQLite stores times its own way: a raw UPDATE
            # that compared them wrongly would leave it in `sending`, to be sent again).
            def statuses() -> str:
                shown = subprocess.run(
                    [
                        sys.executable,
                        "manage.py",
                        "shell",
                        "-c",
                        "from advocacy.models import OutboundEmail as O; "
                        "print(list(O.objects.values_list('status', flat=True)))",
                    ],
                    **run,
                )
                return (shown.stdout.strip().splitlines() or [""])[-1]

            assert wait_until(lambda: statuses() == "['sent']", 30), statuses()
        finally:
            worker.stop()
        assert "filesystem" in worker.log() or (tmp_path / "broker").exists()
        message = smtp.received[0]
        assert message["To"] == "smoke@example.org"
        assert message["Subject"] == "Resolute test e-mail"
    finally:
        smtp.stop()
