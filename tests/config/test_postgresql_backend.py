"""The PostgreSQL backend's health check: no round trip on a quiet connection, and a connection
the server dropped is replaced before the request uses it, as with Django's own check."""

from __future__ import annotations

import select
import time
from collections.abc import Iterator

import pytest
from django.db import connection, connections

from config.postgresql.base import DatabaseWrapper

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL backend"),
]


@pytest.fixture
def wrapper() -> Iterator[DatabaseWrapper]:
    """A second connection to the test database, outside the test's transaction, used as a
    persistent connection is between two requests."""
    other = connections.create_connection("default")
    assert isinstance(other, DatabaseWrapper)
    other.settings_dict = {**other.settings_dict, "CONN_HEALTH_CHECKS": True, "CONN_MAX_AGE": 60}
    other.ensure_connection()
    yield other
    other.close()


class _Spy:
    """Counts Django's round-trip health checks on one wrapper."""

    def __init__(self, wrapper: DatabaseWrapper) -> None:
        self.calls = 0
        self._real = wrapper.is_usable
        wrapper.is_usable = self  # type: ignore[method-assign]

    def __call__(self) -> bool:
        self.calls += 1
        return self._real()


def _next_request(wrapper: DatabaseWrapper) -> int:
    """What the end of one request and the first query of the next do; the backend's pid."""
    wrapper.close_if_unusable_or_obsolete()
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_the_settings_use_this_backend():
    assert connection.settings_dict["ENGINE"] == "config.postgresql"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_a_quiet_connection_is_reused_without_a_round_trip(wrapper):
    spy = _Spy(wrapper)
    first = _next_request(wrapper)
    assert [_next_request(wrapper) for _ in range(3)] == [first] * 3
    assert spy.calls == 0


def test_a_connection_the_server_dropped_is_replaced_before_it_is_used(wrapper):
    spy = _Spy(wrapper)
    dropped = _next_request(wrapper)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [dropped])
        assert cursor.fetchone()[0] is True
    # The server's goodbye reaches the socket asynchronously.
    poller = select.poll()
    poller.register(wrapper.connection.fileno(), select.POLLIN)
    deadline = time.monotonic() + 10
    while not poller.poll(50) and time.monotonic() < deadline:
        pass

    replacement = _next_request(wrapper)  # no error: the check caught it first

    assert replacement != dropped
    assert spy.calls == 1


def test_a_closed_connection_is_not_polled(wrapper):
    wrapper.connection.close()
    spy = _Spy(wrapper)
    assert wrapper._socket_quiet() is False
    _next_request(wrapper)
    assert spy.calls == 1


def test_the_binding_cursor_sends_binary_arrays_as_they_are_and_is_logged():
    """What rows_insert relies on: `%b` arrays arrive as they were (text an array literal
    would have to escape included), timestamps come back in the connection's time zone, and
    Django logs the statement like any other."""
    from datetime import UTC, datetime

    from django.test.utils import CaptureQueriesContext

    texts = ['Quote " brace { } comma , backslash \\ NULL', "Zeile\nzwei ü €", "", None]
    moment = datetime(2022, 1, 20, 12, 0, tzinfo=UTC)
    with CaptureQueriesContext(connection) as queries, connection.binding_cursor() as cursor:
        cursor.execute(
            "SELECT t, %b::timestamptz FROM unnest(%b::text[]) WITH ORDINALITY AS u (t, n)"
            " ORDER BY n",
            [moment, texts],
        )
        rows = cursor.fetchall()
    assert [row[0] for row in rows] == texts
    assert rows[0][1] == moment and rows[0][1].tzinfo is not None
    # Logged with its parameters as placeholders, or quoted in when Django's debug cursor
    # can render them (DATABASE_PREPARED_STATEMENTS on: every cursor binds on the server).
    assert len(queries) == 1 and "::text[]) WITH ORDINALITY" in queries[0]["sql"]


def test_the_binding_cursor_writes_in_the_callers_transaction():
    """Its writes are the request's: seen by the ORM's cursor at once, undone with the
    savepoint they were made in."""
    from django.db import transaction

    class Undo(Exception):
        pass

    def count() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM binding_probe")
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE binding_probe (t text)")
    with pytest.raises(Undo), transaction.atomic():
        with connection.binding_cursor() as cursor:
            cursor.execute("INSERT INTO binding_probe SELECT unnest(%b::text[])", [["a", "b"]])
        assert count() == 2
        raise Undo
    assert count() == 0


def _prepared(cursor, marker: str) -> int:
    cursor.execute(
        "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{marker}%"]
    )
    return cursor.fetchone()[0]


def test_a_statement_run_again_and_again_is_prepared_once():
    """The ORM's statements travel with their parameters apart, so a connection that runs one
    five times prepares it and PostgreSQL stops parsing and planning it on every run; other
    values give the right rows from the same prepared statement."""
    from django.db.models import F

    from campaign.models import Mep
    from tests.factories import MepFactory

    meps = [MepFactory(first_name=f"Prepared{i}") for i in range(8)]
    query = Mep.objects.annotate(prepared_probe=F("ep_id")).values_list(
        "first_name", "prepared_probe"
    )
    with connection.cursor() as cursor:
        assert _prepared(cursor, "prepared_probe") == 0
    found = [query.get(pk=mep.pk) for mep in meps]
    assert found == [(f"Prepared{i}", mep.ep_id) for i, mep in enumerate(meps)]
    with connection.cursor() as cursor:
        assert _prepared(cursor, "prepared_probe") == 1


def test_prepared_statements_can_be_switched_off_for_a_pooler():
    """DATABASE_PREPARED_STATEMENTS=false: Django's own client-side binding, nothing prepared
    however often a statement runs (PgBouncer in transaction mode hands each transaction
    another server connection, where a prepared statement does not exist)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = "\n".join(
        [
            "from django.db import connection",
            "for i in range(8):",
            "    with connection.cursor() as c:",
            "        c.execute('SELECT %s::int + 1 AS probe', [i])",
            "        assert c.fetchone()[0] == i + 1",
            "with connection.cursor() as c:",
            "    c.execute('SELECT count(*) FROM pg_prepared_statements'",
            "              \" WHERE statement LIKE '%%AS probe%%'\")",
            "    binding = connection.settings_dict['OPTIONS'].get('server_side_binding')",
            "    print('prepared', c.fetchone()[0], binding)",
        ]
    )
    # The test database, which exists wherever this test runs.
    test_database = (
        os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    )
    results = {}
    for value in ("false", "true"):
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", script],
            cwd=Path(__file__).resolve().parents[2],
            env={
                **os.environ,
                "DATABASE_URL": test_database,
                "DATABASE_PREPARED_STATEMENTS": value,
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        results[value] = done.stdout.split()[-3:]
    assert results == {"false": ["prepared", "0", "None"], "true": ["prepared", "1", "True"]}
