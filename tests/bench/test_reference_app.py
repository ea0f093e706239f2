"""The benchmark's reference endpoint (bench/reference/app.py) does what the issue's bare
endpoint did: validate, then insert a signature and an outbox row in one transaction. Run in
its own process: it configures Django settings of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")

SCRIPT = """
import json
from django.test import Client
from bench.reference import app
from bench.reference.models import ReferenceOutbox, ReferenceSignature

app.create_tables()
client = Client()
url = "/api/v1/campaigns/any-slug/signatures/"
body = {"first_name": "Ana", "last_name": "Lee", "email": "ana@example.org", "country": "DE",
        "consent": True, "consent_version": 1}
ok = client.post(url, json.dumps(body), content_type="application/json")
bad = client.post(url, json.dumps({**body, "email": "nope"}), content_type="application/json")
print(ok.status_code, bad.status_code, ReferenceSignature.objects.count(),
      ReferenceOutbox.objects.count())
"""


@pytest.fixture
def database():
    name = f"resolute_reference_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER}/{name}"
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_reference_endpoint_validates_and_writes_two_rows(database):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env={**env, "REFERENCE_DATABASE_URL": database},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["202", "400", "1", "1"]
