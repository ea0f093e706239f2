"""No Docker engine runs here: the compose file is checked by reading it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _command(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def test_every_part_of_the_product_is_a_service(compose):
    assert {"postgres", "redis", "web", "worker", "beat", "mailpit"} <= set(compose["services"])


def test_every_long_running_service_has_a_healthcheck(compose):
    for name, service in compose["services"].items():
        if name == "migrate":
            continue
        assert "healthcheck" in service, name
        assert service["healthcheck"]["test"], name


def test_the_app_services_run_gunicorn_celery_worker_and_beat(compose):
    services = compose["services"]
    assert _command(services["web"]).startswith(
        "gunicorn config.wsgi:application -c python:config.gunicorn"
    )
    assert "celery -A config worker" in _command(services["worker"])
    assert "celery -A config beat" in _command(services["beat"])
    assert "migrate" in _command(services["migrate"])


def test_the_app_is_wired_to_postgres_redis_and_the_mail_catcher(compose):
    for name in ("web", "worker", "beat", "migrate"):
        env = compose["services"][name]["environment"]
        assert (
            env["DATABASE_URL"].startswith("postgres://")
            and "@postgres:5432/" in env["DATABASE_URL"]
        )
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert "mailpit:1025" in env["SMTP_URL"]
        assert "SECRET_KEY" in env
        depends = compose["services"][name]["depends_on"]
        if name == "migrate":
            assert depends["postgres"]["condition"] == "service_healthy"
        else:
            assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_data_lives_in_named_volumes(compose):
    assert {"pgdata", "redisdata"} <= set(compose["volumes"])
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]


def test_every_environment_variable_the_app_reads_is_documented_in_the_readme():
    import re

    readme = (ROOT / "README.md").read_text()
    names: set[str] = set()
    for path in [ROOT / "config" / "settings.py"]:
        names |= set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', path.read_text()))
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert not missing, f"undocumented settings: {missing}"
