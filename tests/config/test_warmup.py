"""A web worker loads its URLs and templates before its first request, and then freezes
what it loaded out of the garbage collector's sight (config/warmup.py, config/gunicorn.py)."""

from __future__ import annotations

import gc

import pytest
from django.template import engines

from config.warmup import project_templates, warm


def _cached_template_names() -> set[str]:
    engine = engines["django"].engine  # type: ignore[attr-defined]
    names: set[str] = set()
    for loader in engine.template_loaders:
        cache = getattr(loader, "get_template_cache", {})
        names.update(name for name, value in cache.items() if not isinstance(value, type))
    return names


def test_the_project_templates_are_ours_only():
    names = project_templates()
    assert "advocacy/campaign_detail.html" in names
    assert "admin/advocacy/campaign_dashboard.html" in names  # our admin pages count
    # Installed packages' templates do not, even from a virtualenv inside the project.
    assert "admin/base.html" not in names and "rest_framework/api.html" not in names


def test_warming_compiles_every_project_template_and_freezes_what_is_loaded():
    engine = engines["django"].engine  # type: ignore[attr-defined]
    for loader in engine.template_loaders:
        if hasattr(loader, "reset"):
            loader.reset()
    try:
        done = warm()
        assert done["templates"] == len(project_templates()) and done["templates_failed"] == 0
        assert set(project_templates()) <= _cached_template_names()
        # What warm() reports is what it froze; a frozen object whose last reference goes
        # away is still freed (and leaves the count), so the count can only have shrunk.
        frozen_now = gc.get_freeze_count()
        assert done["frozen_objects"] > 10_000
        assert done["frozen_objects"] * 0.99 <= frozen_now <= done["frozen_objects"]
    finally:
        gc.unfreeze()


def test_a_template_that_does_not_load_is_reported_and_the_warm_up_goes_on(monkeypatch, caplog):
    import config.warmup

    names = ["advocacy/no_such_template.html", "advocacy/campaign_detail.html"]
    monkeypatch.setattr(config.warmup, "project_templates", lambda: names)
    try:
        done = warm()
    finally:
        gc.unfreeze()
    assert (done["templates"], done["templates_failed"]) == (1, 1)
    assert "advocacy/no_such_template.html" in caplog.text


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_gunicorn_with_the_production_config_warms_each_worker_before_serving():
    from tests.drills.support import WebProcess
    from tests.support import processes
    from tests.support.processes import wait_until

    web = WebProcess({"DATABASE_URL": processes.test_database_url()}, name="warm", workers=2)
    try:
        web.start()  # answers as soon as one worker is up
        assert wait_until(lambda: web.log().count("warmed up:") == 2, 30), web.log()[-3000:]
        assert "'templates_failed': 0" in web.log()
        assert web.get("/healthz")[0] == 200
    finally:
        web.stop()
