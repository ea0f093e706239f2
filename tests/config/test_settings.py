"""Settings come only from the environment and fail loudly on malformed values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[2]


def test_env_readers_parse_and_default(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_LIST", "a.example, b.example ,")
    assert env_bool("X_BOOL", False) is True
    assert env_int("X_INT", 1) == 42
    assert env_list("X_LIST", []) == ["a.example", "b.example"]
    assert env_str("X_MISSING", "fallback") == "fallback"


@pytest.mark.parametrize(
    ("reader", "value"),
    [(lambda: env_bool("X", False), "perhaps"), (lambda: env_int("X", 1), "ten")],
)
def test_malformed_values_stop_the_process(monkeypatch, reader, value):
    monkeypatch.setenv("X", value)
    with pytest.raises(ImproperlyConfigured, match="X="):
        reader()


def test_secrets_can_come_from_files(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_str("X_SECRET") == "from-a-file"


def _production_env(**overrides: str) -> dict[str, str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "SECRET_KEY": "p" + "rod-" * 5 + "0123456789abcdefghijklmnopqrstuvwxyzABCDEF",
        "ALLOWED_HOSTS": "resolute.example.org",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
    env.update(overrides)
    return env


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = _production_env()
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL='VERBOSE' is not one of"),
        ({"SMTP_URL": "smtp://relay.example.org:25?timeout=x"}, "SMTP_URL ?timeout='x'"),
        ({"SMTP_URL": "smtp://relay.example.org:25?timeout=0"}, "SMTP_URL ?timeout='0'"),
    ],
)
def test_a_malformed_log_level_or_smtp_timeout_is_named_not_a_traceback(overrides, named):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_production_env(**overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert named in result.stderr
    assert "ValueError" not in result.stderr and "invalid literal" not in result.stderr


def test_the_development_server_logs_request_lines_without_tokens():
    import logging

    from django.core.servers.basehttp import WSGIRequestHandler  # noqa: F401  (its logger)

    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        (
            "GET /confirm/12:1xXNIr:_V2STlaY7NFY7G4y98pkWAgyXPRepjGXNlBfl21zBjk/ HTTP/1.1",
            "200",
            "9",
        ),
        None,
    )
    handler = logging.getLogger("django.server").handlers[0]
    for log_filter in handler.filters:
        log_filter.filter(record)

    line = handler.format(record)
    assert "_V2STlaY7NFY7G4y98pkWAgyXPRepjGXNlBfl21zBjk" not in line
    assert "/confirm/[token]/" in line
