"""Django's PostgreSQL backend with a health check that needs no round trip when it can
tell without one.

With persistent connections (`CONN_MAX_AGE`) and `CONN_HEALTH_CHECKS`, Django checks a reused
connection with `SELECT 1` before the first query of every request: one more round trip to
PostgreSQL on every page view and signature, and on a busy 2-core machine a wake-up of the
backend process each time. The campaign page, which reads one row, spent more time in that
check than in its own query.

An idle connection's socket has nothing to read unless the server spoke first: a server
that shuts down, restarts or terminates the backend (`pg_terminate_backend`, an idle
timeout) sends an error and closes the socket, both of which make it readable. So a quiet
socket is taken as healthy, and anything else gets Django's own check (which reads what
arrived and closes the connection if it is dead). What neither check can see — a peer that
vanished without a word — is left to the TCP timeouts, as before.

It also hands out, for the few statements that carry arrays of long text, a cursor whose
parameters travel apart from the statement (`binding_cursor`).
"""

from __future__ import annotations

import select
from typing import Any

from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.backends.utils import CursorWrapper
from psycopg import adapters
from psycopg.pq import Format

_TIMESTAMPTZ_OID = adapters.types["timestamptz"].oid


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        if (
            not self.pool
            and self.connection is not None
            and self.health_check_enabled  # type: ignore[attr-defined]  # not in django-stubs
            and not self.health_check_done
            and self._socket_quiet()
        ):
            self.health_check_done: bool = True
            return
        super().close_if_health_check_failed()

    def binding_cursor(self) -> CursorWrapper:
        """A cursor that sends its parameters apart from the statement (server-side binding)
        instead of quoting them into its text, as Django's cursors do. A `%b` placeholder then
        travels in binary. What for: psycopg writes a text array's literal in Python,
        escaping every element character by character (a letter confirmation's outbox rows,
        twenty bodies of ~2 kB: milliseconds), while the binary form is copied as it is.
        With `DATABASE_PREPARED_STATEMENTS` on, every cursor binds this way and this one is
        the same; off, it is the one that does, and it prepares nothing (the connection's
        `prepare_threshold` is None). Like `cursor()`: health check, thread check, query
        logging and execute wrappers."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            binding: Any = base.ServerBindingCursor
            cursor = binding(self.connection)
            # As `create_cursor` does: timestamps read in the connection's time zone.
            loader = self.connection.adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT)
            if self.timezone != loader.timezone:
                register_tzloader(self.timezone, cursor)
            prepare: Any = self._prepare_cursor  # type: ignore[attr-defined]  # not in django-stubs
            return prepare(cursor)  # type: ignore[no-any-return]

    def _socket_quiet(self) -> bool:
        """True if the idle connection's socket has nothing waiting to be read."""
        if not hasattr(select, "poll"):  # not on this platform: always ask the server
            return False
        connection = self.connection
        if connection.closed or connection.broken:
            return False
        try:
            fileno = connection.fileno()
        except Exception:  # psycopg raises when the connection is closed
            return False
        poller = select.poll()
        poller.register(fileno, select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
