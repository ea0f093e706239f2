"""Drill 12: production settings pass `manage.py check --deploy` at WARNING level."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.drills.support import drill_print
from tests.support.processes import ROOT


def test_production_settings_pass_the_deploy_check():
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "SECRET_KEY": "drill-" + "k3y-" * 5 + "0123456789abcdefghijklmnopqrstuvwxyzABCDEF",
        "ALLOWED_HOSTS": "resolute.example.org",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "SMTP_URL": "smtp+starttls://mailer:secret@smtp.example.org:587",
        "DEFAULT_FROM_EMAIL": "Resolute <noreply@resolute.example.org>",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    drill_print(
        "deploy-check",
        f"exit {result.returncode}: {result.stdout.strip() or result.stderr.strip()[-500:]}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout
