"""What the drills break things with: an SMTP server that can stall, a Redis of our own that
can be restarted, a TCP proxy that can "take PostgreSQL down", and a real web process.

Nothing here touches the shared PostgreSQL server or the shared Redis: a drill that loses the
broker restarts its own redis-server, a drill that loses the database closes its own proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tests.support.processes import ROOT, test_database_url, wait_until
from tests.support.smtp import RecordingHandler, SmtpServer, free_port

# --- SMTP -----------------------------------------------------------------------------------


@dataclass
class DrillHandler(RecordingHandler):
    """RecordingHandler plus the stalls the drills need.

    - `delay`: every DATA waits this long before its reply (a slow receiving server).
    - `stall_recipients`: a recipient containing one of these keys stalls that many seconds
      (a poison row: its sending outlives the task's hard time limit).
    - `pause_next(seconds)`: the next DATA stalls, and `paused` is set while it does, so a
      drill can kill the sender while it waits for the reply to DATA.
    - `on_next_accept(callback)`: the callback runs once, right after the next message has
      been accepted (recorded) and before the 250 reply is written: a drill kills the sender
      there, inside the window between "the server has it" and "the outbox row says sent".
    - `accepted_at`: when each Message-ID was first accepted (time.time()), to measure that
      window against the row's `sent_at`.

    A message counts as received only if the client is still connected when the server
    replies: a client killed while waiting cancels the handler (aiosmtpd cancels it on
    connection loss), exactly as a real MTA discards a transaction whose client vanished.
    """

    delay: float = 0.0
    stall_recipients: dict[str, float] = field(default_factory=dict)
    stall_once: set[str] = field(default_factory=set)
    # Client ports of connections stalled by `stall_recipients`, to find (and kill) the sender.
    stalled_peers: list[int] = field(default_factory=list)
    paused: threading.Event = field(default_factory=threading.Event)
    accepted_at: dict[str, float] = field(default_factory=dict)
    aborted: int = 0
    _pause: float = 0.0
    _on_accept: Callable[[], None] | None = None

    def pause_next(self, seconds: float) -> None:
        with self.lock:
            self.paused.clear()
            self._pause = seconds

    def on_next_accept(self, callback: Callable[[], None]) -> None:
        with self.lock:
            self._on_accept = callback

    def _abort(self) -> None:
        with self.lock:
            self.aborted += 1
            self.attempts += 1

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            fault = self.faults[0] if self.faults else None
            pause, self._pause = self._pause, 0.0
        if fault:
            return await super().handle_DATA(server, session, envelope)
        stall = self.delay + pause
        with self.lock:
            for key, seconds in list(self.stall_recipients.items()):
                if any(key in rcpt for rcpt in envelope.rcpt_tos):
                    stall += seconds
                    self.stalled_peers.append(int(session.peer[1]))
                    if key in self.stall_once:
                        del self.stall_recipients[key]
        if pause:
            self.paused.set()
        if stall:
            try:
                await asyncio.sleep(stall)
            except asyncio.CancelledError:
                self._abort()
                raise
        if server.transport is None or server.transport.is_closing():
            self._abort()
            return "421 client gone"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.attempts += 1
            self.received.append(message)
            self.accepted_at.setdefault(str(message["Message-ID"]), time.time())
            callback, self._on_accept = self._on_accept, None
        if callback is not None:
            callback()
        return "250 Message accepted for delivery"


class DrillSmtpServer(SmtpServer):
    def __init__(self, port: int | None = None) -> None:
        super().__init__(port)
        self.handler = DrillHandler()

    @property
    def drill_handler(self) -> DrillHandler:
        assert isinstance(self.handler, DrillHandler)
        return self.handler

    def message_id_counts(self) -> Counter[str]:
        return Counter(str(m["Message-ID"]) for m in self.received)


@dataclass(frozen=True)
class Delivery:
    """What the SMTP server got, against the Message-IDs that should have arrived."""

    expected: int
    unique: int
    duplicates: int
    missing: int
    unexpected: int
    duplicate_ids: frozenset[str] = frozenset()

    @classmethod
    def count(cls, server: SmtpServer, expected_ids: list[str]) -> Delivery:
        counts = Counter(str(m["Message-ID"]) for m in server.received)
        expected = set(expected_ids)
        return cls(
            expected=len(expected),
            unique=len(expected & set(counts)),
            duplicates=sum(n - 1 for mid, n in counts.items() if mid in expected and n > 1),
            missing=len(expected - set(counts)),
            unexpected=len(set(counts) - expected),
            duplicate_ids=frozenset(mid for mid, n in counts.items() if n > 1),
        )

    @property
    def exactly_once(self) -> bool:
        return self.unique == self.expected and self.duplicates == 0 and self.unexpected == 0

    def __str__(self) -> str:
        return (
            f"delivered {self.unique}/{self.expected} unique Message-IDs, "
            f"{self.duplicates} duplicates, {self.missing} missing"
        )


# --- Redis of our own -----------------------------------------------------------------------


class RedisServer:
    """A throw-away redis-server on a free port, keeping nothing on disk: a restart loses
    every queued message, as production's Redis does here."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.dir = tempfile.mkdtemp(prefix="resolute-redis-")

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_until(self.ping, 10):
            raise RuntimeError(f"redis-server on {self.port} did not start")
        return self

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def queue_length(self, queue: str) -> int:
        import redis

        return int(redis.Redis(port=self.port).llen(queue))


# --- A TCP proxy in front of PostgreSQL -----------------------------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target. `down()` closes the listener and resets every
    open connection, so the app sees exactly what a dead server looks like (connection
    refused, connection reset); `up()` listens again on the same port."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.Server | None = None
        self.transports: set[asyncio.BaseTransport] = set()
        self.connections = 0

    def start(self) -> TcpProxy:
        self.thread.start()
        self.up()
        return self

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def up(self) -> None:
        self._run(self._listen())

    def down(self) -> None:
        self._run(self._close())

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.down()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True
        )

    async def _close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for transport in list(self.transports):
            transport.abort()
        self.transports.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        pair = {writer.transport, up_writer.transport}
        self.transports |= pair

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.transports -= pair


def database_url_via(port: int) -> str:
    """The test database's URL, reached through a proxy on `port`."""
    url = test_database_url()
    host_port = url.split("@", 1)[1].split("/", 1)[0]
    return url.replace(f"@{host_port}/", f"@127.0.0.1:{port}/", 1)


def database_port() -> int:
    from django.db import connection

    return int(connection.settings_dict.get("PORT") or 5432)


# --- A real web process ---------------------------------------------------------------------


class WebProcess:
    """gunicorn serving config.wsgi on a free port, with its own environment."""

    def __init__(self, env: Mapping[str, str], name: str = "web", workers: int = 1) -> None:
        self.port = free_port()
        self.workers = workers
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
        self.log_path = Path(tempfile.mkstemp(prefix=f"resolute-{name}-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 45) -> WebProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "-c",
                "python:config.gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                "4",
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if not wait_until(lambda: self.get("/healthz")[0] == 200, timeout, interval=0.3):
            self.kill()
            raise RuntimeError(f"web did not start:\n{self.log()[-4000:]}")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def request(
        self,
        path: str,
        *,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 15,
    ) -> tuple[int, str]:
        req = urllib.request.Request(
            self.base_url + path, data=body, method=method, headers=dict(headers or {})
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")
        except (urllib.error.URLError, OSError) as exc:
            return 0, str(exc)

    def get(self, path: str, timeout: float = 15) -> tuple[int, str]:
        return self.request(path, timeout=timeout)

    def fetch(
        self,
        path: str,
        *,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 15,
    ) -> tuple[int, dict[str, str], str]:
        """Like `request`, plus the response headers (lower-cased names); no redirects
        followed, no cookies kept."""

        class _NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        opener = urllib.request.build_opener(_NoRedirect)
        req = urllib.request.Request(
            self.base_url + path, data=body, method=method, headers=dict(headers or {})
        )
        try:
            with opener.open(req, timeout=timeout) as response:
                got = {k.lower(): v for k, v in response.headers.items()}
                return response.status, got, response.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            got = {k.lower(): v for k, v in exc.headers.items()}
            return exc.code, got, exc.read().decode(errors="replace")

    def sign(
        self,
        slug: str,
        email: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30,
        **fields: Any,
    ) -> tuple[int, str]:
        """POST a signature to the public signing API (JSON), as a supporter's browser would."""
        import json

        body = {
            "first_name": "Ana",
            "last_name": "Supporter",
            "email": email,
            "country": "DE",
            "postcode": "10115",
            "consent": True,
            "consent_version": 1,
            "organisation_news": False,
            **fields,
        }
        return self.request(
            f"/api/v1/campaigns/{slug}/signatures/",
            method="POST",
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **dict(headers or {})},
            timeout=timeout,
        )

    def kill(self) -> None:
        """SIGKILL the whole process group: no graceful shutdown, no on_commit, nothing."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


# --- Running the sweep elsewhere ------------------------------------------------------------


def sweep_in_subprocess(env: Mapping[str, str]) -> str:
    """Run advocacy.outbox.outbound_email_sweep() in a fresh process with `env` (e.g. a broker
    the test process's settings don't point at). Returns what it printed."""
    code = (
        "from advocacy.outbox import outbound_email_sweep; r = outbound_email_sweep(); "
        "print(f'reclaimed={r.reclaimed} published={r.published}')"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().splitlines()[-1]


def drill_print(name: str, text: str) -> None:
    print(f"\ndrill {name}: {text}", flush=True)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


# --- Outbox rows ----------------------------------------------------------------------------


def letters_create(count: int, *, tag: str, recipient: str = "mep{i}-{tag}@europarl.example.eu"):
    """`count` letter rows, committed, not yet published (the drill rings the doorbell)."""
    from django.db import transaction

    from advocacy.models import EmailKind
    from advocacy.outbox import outbound_email_create

    with transaction.atomic():
        return [
            outbound_email_create(
                kind=EmailKind.LETTER,
                recipient=recipient.format(i=i, tag=tag),
                sender="Ana Supporter <campaigns@org.example.org>",
                reply_to=f"ana-{tag}-{i}@example.net",
                subject=f"Release all political prisoners ({tag} {i})",
                body_text=f"Dear Member,\n\nPlease act. Letter {i} of drill {tag}.\n",
                publish=False,
            )
            for i in range(count)
        ]


def publish_each(email_ids: list[int], *, broker_url: str | None = None, batch: int = 1) -> None:
    """Publish the send task the way the product does (only ids), `batch` ids per task, to the
    settings' broker or to `broker_url`."""
    from advocacy.outbox import publish_send
    from advocacy.tasks import outbound_email_send_many_task
    from config.celery import app

    chunks = [email_ids[i : i + batch] for i in range(0, len(email_ids), batch)]
    if broker_url is None:
        for chunk in chunks:
            publish_send(chunk)
        return
    with app.connection_for_write(broker_url) as conn:
        for chunk in chunks:
            outbound_email_send_many_task.apply_async(args=(chunk,), connection=conn)


def status_counts() -> Counter[str]:
    from advocacy.models import OutboundEmail

    return Counter(OutboundEmail.objects.values_list("status", flat=True))


def sweep_until(predicate: Any, timeout: float, interval: float = 1.0) -> tuple[bool, int, int]:
    """Run the sweep in this process every `interval` s until `predicate()`; returns
    (done, sweeps run, rows reclaimed from dead workers)."""
    from advocacy.outbox import outbound_email_sweep

    deadline = time.monotonic() + timeout
    sweeps = reclaimed = 0
    while time.monotonic() < deadline:
        if predicate():
            return True, sweeps, reclaimed
        result = outbound_email_sweep()
        sweeps += 1
        reclaimed += result.reclaimed
        time.sleep(interval)
    return predicate(), sweeps, reclaimed


def ack_window_ms(handler: DrillHandler, exclude: frozenset[str] = frozenset()) -> str:
    """How long after the SMTP server accepted a message its row was marked sent: the only
    window in which a killed worker causes a re-send. Median / 99th percentile / max in ms."""
    from advocacy.models import OutboundEmail, OutboundEmailStatus

    gaps = sorted(
        (sent_at.timestamp() - handler.accepted_at[mid]) * 1000
        for mid, sent_at in OutboundEmail.objects.filter(
            status=OutboundEmailStatus.SENT
        ).values_list("message_id", "sent_at")
        if mid in handler.accepted_at and mid not in exclude and sent_at is not None
    )
    if not gaps:
        return "no window measured"
    p99 = gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))]
    return (
        f"accept→sent window median {gaps[len(gaps) // 2]:.1f} ms, p99 {p99:.1f} ms, "
        f"max {gaps[-1]:.1f} ms over {len(gaps)} mails"
    )


def kill_sender(worker_pids: list[int], peer_port: int) -> int | None:
    """SIGKILL the worker process whose SMTP connection comes from `peer_port`."""
    import psutil

    for pid in worker_pids:
        with contextlib.suppress(psutil.Error):
            if any(
                c.laddr and c.laddr.port == peer_port for c in psutil.Process(pid).net_connections()
            ):
                os.kill(pid, signal.SIGKILL)
                return pid
    return None
