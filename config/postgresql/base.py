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
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


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
