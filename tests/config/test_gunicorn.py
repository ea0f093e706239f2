"""The web processes' worker count: the cores plus one, unless WEB_CONCURRENCY says otherwise
(config/gunicorn.py; gunicorn's --workers overrides both)."""

from __future__ import annotations

import importlib
import math
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
    quota = config.gunicorn._cpu_quota()
    if quota is not None:
        cores = max(1, min(cores, math.ceil(quota)))
    assert reload_config().workers == cores + 1


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu.max": "150000 100000\n"}, 1.5),
        ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2.0),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({"cpu.max": "garbage"}, None),
        ({}, None),
    ],
    ids=["v2 unlimited", "v2 1.5 CPUs", "v1 2 CPUs", "v1 unlimited", "unreadable", "no cgroup"],
)
def test_a_cgroup_cpu_quota_is_read_in_either_version(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert config.gunicorn._cpu_quota(tmp_path) == expected


def test_a_quota_caps_the_cores(monkeypatch):
    monkeypatch.setattr(config.gunicorn, "_cpu_quota", lambda: 1.5)
    assert config.gunicorn._cores() == min(2, len(os.sched_getaffinity(0)))


def test_web_concurrency_sets_the_count(reload_config):
    assert reload_config(WEB_CONCURRENCY="7").workers == 7


@pytest.mark.parametrize("value", ["0", "four", "-2", "1.5", "²"])
def test_a_web_concurrency_that_is_not_a_count_is_refused_by_name(reload_config, value):
    with pytest.raises(ValueError, match="WEB_CONCURRENCY"):
        reload_config(WEB_CONCURRENCY=value)


@pytest.mark.parametrize("argv", [[], ["--workers", "2"]], ids=["config file", "command line"])
def test_gunicorn_takes_the_count_from_the_config_file_unless_told_otherwise(
    reload_config, monkeypatch, argv
):
    """Without WEB_CONCURRENCY gunicorn's own default is 1 worker: the cores + 1 can only come
    from the config file."""
    from gunicorn.app.wsgiapp import WSGIApplication

    expected = 2 if argv else reload_config().workers
    monkeypatch.setattr(
        "sys.argv", ["gunicorn", "-c", "python:config.gunicorn", *argv, "config.wsgi:application"]
    )
    assert WSGIApplication().cfg.workers == expected
    assert expected != 1
