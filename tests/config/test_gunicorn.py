"""The web processes' worker count: the cores plus one, unless WEB_CONCURRENCY says otherwise
(config/gunicorn.py; gunicorn's --workers overrides both)."""

from __future__ import annotations

import importlib
import os

import pytest

import config.gunicorn


@pytest.fixture
def reload_config(monkeypatch):
    def reload(**env: str):
        monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return importlib.reload(config.gunicorn)

    yield reload
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    importlib.reload(config.gunicorn)


def test_the_default_is_one_worker_more_than_the_cores_this_process_may_use(reload_config):
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert reload_config().workers == cores + 1


def test_web_concurrency_sets_the_count(reload_config):
    assert reload_config(WEB_CONCURRENCY="7").workers == 7


@pytest.mark.parametrize("value", ["0", "four", "-2", "1.5"])
def test_a_web_concurrency_that_is_not_a_count_is_refused_by_name(reload_config, value):
    with pytest.raises(ValueError, match="WEB_CONCURRENCY"):
        reload_config(WEB_CONCURRENCY=value)


@pytest.mark.parametrize(
    ("argv", "expected"), [([], 5), (["--workers", "2"], 2)], ids=["config file", "command line"]
)
def test_gunicorn_takes_the_count_from_the_config_file_unless_told_otherwise(
    reload_config, monkeypatch, argv, expected
):
    from gunicorn.app.wsgiapp import WSGIApplication

    reload_config(WEB_CONCURRENCY="5")
    monkeypatch.setattr(
        "sys.argv", ["gunicorn", "-c", "python:config.gunicorn", *argv, "config.wsgi:application"]
    )
    assert WSGIApplication().cfg.workers == expected
