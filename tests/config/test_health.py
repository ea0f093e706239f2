from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ok_when_database_and_broker_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "broker": "ok", "static_files": "ok"}


@pytest.mark.django_db
def test_readyz_names_the_broker_when_it_cannot_be_reached(client, settings):
    from config.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/readyz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert set(body["failing"]) == {"broker"}


def test_readyz_names_the_database_when_it_cannot_be_reached(client, settings):
    from django.db import connections

    connection = connections["default"]
    connection.close()
    saved = dict(connection.settings_dict)
    connection.settings_dict["PORT"] = "1"
    try:
        response = client.get("/readyz")
    finally:
        connection.close()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    assert "database" in response.json()["failing"]


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:No directory at")  # whitenoise, on the missing root
def test_readyz_names_static_files_that_were_never_collected(client, settings):
    # Without collectstatic every page is a 500 while the database and broker answer.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.STATIC_ROOT = "/nonexistent/static-root"

    response = client.get("/readyz")

    assert response.status_code == 503
    failing = response.json()["failing"]
    assert set(failing) == {"static_files"} and "collectstatic" in failing["static_files"]
