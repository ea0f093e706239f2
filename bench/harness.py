"""The benchmark harness: `make bench` (or `python -m bench.harness [--short]`).

Starts Resolute with production settings on loopback — gunicorn, a Celery worker, beat, and
an SMTP sink that counts (bench/smtp_sink.py) — in a database and Redis db of its own, seeds
data, runs each scenario (bench/scenarios/), prints a table and writes
bench/results/<date>.json. While a scenario runs, a sampler adds up the CPU seconds (user +
system) of each process group, so the report says who was busy.

Nothing here changes how the product works: the only setting a benchmark needs that
production would not have is RATELIMIT_ALLOWED_IPS=127.0.0.1 (the load generator's address).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
PYTHON = sys.executable

PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
BENCH_DB = os.environ.get("BENCH_DATABASE", "resolute_bench")
# The reference endpoint's own database (bench/reference/app.py, the `reference` scenario).
REFERENCE_DB = f"{BENCH_DB}_reference"
BENCH_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


# --- Pure pieces (tested in tests/bench/test_harness.py) ------------------------------------


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    errors: int  # connect + read + write + timeouts + non-2xx/3xx responses
    status_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def accepted(self) -> int:
        return self.requests - self.status_errors


def parse_wrk(output: str) -> WrkResult:
    """The BENCH_JSON line our Lua scripts' done() prints → WrkResult."""
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line[len("BENCH_JSON ") :])
            break
    else:
        raise ValueError(f"no BENCH_JSON line in wrk output:\n{output[-2000:]}")
    errors = sum(
        int(data[key])
        for key in (
            "connect_errors",
            "read_errors",
            "write_errors",
            "status_errors",
            "timeouts",
        )
    )
    return WrkResult(
        requests=int(data["requests"]),
        duration_s=int(data["duration_us"]) / 1e6,
        errors=errors,
        status_errors=int(data["status_errors"]),
        p50_ms=int(data["p50_us"]) / 1000,
        p90_ms=int(data["p90_us"]) / 1000,
        p99_ms=int(data["p99_us"]) / 1000,
        max_ms=int(data["max_us"]) / 1000,
    )


# Debian names the cluster first ("postgres: 15/main: user db 127.0.0.1(5432) idle").
_PG_PREFIX = r"^postgres: (?:\S+/\S+: )?"
_PG_BACKEND = re.compile(_PG_PREFIX + r"\S+ (\S+) (?:\S+\(\d+\)|\[local\])")
_PG_AUTOVACUUM = re.compile(_PG_PREFIX + r"autovacuum worker(?: process)?\s+(\S+)")


def postgres_process_counts(cmdline: str, database: str) -> bool:
    """Is this PostgreSQL process ours? Backends and autovacuum workers name their database;
    count only those of the benchmark's database. Shared background processes (checkpointer,
    WAL writer, the postmaster…) work for everyone and are counted too."""
    for pattern in (_PG_BACKEND, _PG_AUTOVACUUM):
        match = pattern.match(cmdline)
        if match:
            return match.group(1) == database
    return True


def sliding_window_max(times: list[float], window: float) -> int:
    """The most events inside any half-open window [t, t + window) — for pacing checks."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, value in enumerate(ordered):
        while value - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def format_table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- Processes and CPU accounting -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class CpuMonitor:
    """Samples every process of interest twice a second and keeps each one's latest CPU
    time, so a window's CPU per group is (latest − at start) summed over the processes seen,
    including those that started and ended inside it (up to half a second of their life may
    be missed)."""

    def __init__(self, groups: Callable[[], dict[int, str]], interval: float = 0.5) -> None:
        self._groups = groups
        self._interval = interval
        self._latest: dict[tuple[int, float], tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> CpuMonitor:
        self.poll()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            with contextlib.suppress(Exception):
                self.poll()

    def poll(self) -> None:
        import psutil

        seen: dict[tuple[int, float], tuple[str, float]] = {}
        for pid, group in self._groups().items():
            try:
                proc = psutil.Process(pid)
                times = proc.cpu_times()
                seen[(pid, proc.create_time())] = (group, times.user + times.system)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        with self._lock:
            self._latest.update(seen)

    def snapshot(self) -> dict[tuple[int, float], tuple[str, float]]:
        self.poll()
        with self._lock:
            return dict(self._latest)

    @staticmethod
    def delta(
        before: dict[tuple[int, float], tuple[str, float]],
        after: dict[tuple[int, float], tuple[str, float]],
    ) -> dict[str, float]:
        totals: dict[str, float] = {}
        for key, (group, cpu) in after.items():
            base = before.get(key, (group, 0.0))[1]
            totals[group] = totals.get(group, 0.0) + max(0.0, cpu - base)
        return {group: round(seconds, 2) for group, seconds in sorted(totals.items())}


@dataclass
class Proc:
    name: str
    group: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 20) -> None:
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)


@dataclass
class ScenarioResult:
    name: str
    status: str  # "pass" | "fail" | "skipped" | "error", or "info" (a measurement, no goal)
    goal: str
    summary: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    wall_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


class Bench:
    """The running stack and the helpers scenarios use."""

    def __init__(
        self, *, short: bool, keep: bool, publish_on_commit: bool, web_workers: int
    ) -> None:
        self.short = short
        self.web_workers = web_workers
        self.keep = keep
        self.publish_on_commit = publish_on_commit
        self.run_tag = uuid.uuid4().hex[:8]
        self.var_dir = Path(tempfile.mkdtemp(prefix="resolute-bench-"))
        self.logs_dir = self.var_dir / "logs"
        self.logs_dir.mkdir()
        self.web_port = free_port()
        self.smtp_port = free_port()
        self.control_port = free_port()
        self.procs: list[Proc] = []
        self.extra_pids: dict[int, str] = {}
        self.monitor: CpuMonitor | None = None
        # The reference endpoint's rate on this machine, once its scenario has run.
        self.reference_rps: float | None = None
        self.env = self._environment()

    # -- environment --------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        for key in list(env):
            # Whatever the caller's shell points at, the benchmark uses its own services.
            if key.startswith(("DATABASE_", "REDIS_", "CELERY_", "OUTBOX_", "LETTERS_")):
                del env[key]
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DEBUG": "false",
                "SECRET_KEY": secrets.token_urlsafe(60),
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                # Loopback has no TLS; a real deployment terminates TLS in front of gunicorn.
                "SECURE_SSL_REDIRECT": "false",
                "SESSION_COOKIE_SECURE": "false",
                "CSRF_COOKIE_SECURE": "false",
                "LOG_LEVEL": "WARNING",
                "DATABASE_URL": f"{PG_SERVER}/{BENCH_DB}",
                "REDIS_URL": BENCH_REDIS,
                "CELERY_QUEUE": f"bench-{self.run_tag}",
                "CACHE_KEY_PREFIX": f"bench-{self.run_tag}",
                "SMTP_URL": f"smtp://127.0.0.1:{self.smtp_port}",
                "SITE_URL": f"http://127.0.0.1:{self.web_port}",
                "VAR_DIR": str(self.var_dir),
                "STATIC_ROOT": str(self.var_dir / "static"),
                # The one allowance: the load generator's address is not rate-limited per IP.
                "RATELIMIT_ALLOWED_IPS": "127.0.0.1",
                "OUTBOX_PUBLISH_ON_COMMIT": "true" if self.publish_on_commit else "false",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def django_setup(self) -> None:
        os.environ.update(self.env)
        for key in list(os.environ):
            if key not in self.env:
                del os.environ[key]
        import django

        django.setup()

    # -- database and Redis -------------------------------------------------------------------

    def database_recreate(self) -> None:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [BENCH_DB],
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')

    def database_drop(self) -> None:
        import psycopg
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [BENCH_DB],
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')

    def redis_flush(self) -> None:
        import redis

        redis.Redis.from_url(BENCH_REDIS).flushdb()

    def manage(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    # -- processes ----------------------------------------------------------------------------

    def spawn(
        self, name: str, group: str, args: list[str], env: dict[str, str] | None = None
    ) -> Proc:
        log_path = self.logs_dir / f"{name}.log"
        popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env or self.env,
            stdout=log_path.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc = Proc(name, group, popen, log_path)
        self.procs.append(proc)
        return proc

    def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if predicate():
                    return
            for proc in self.procs:
                if proc.popen.poll() is not None:
                    raise RuntimeError(f"{proc.name} exited:\n{proc.log()[-3000:]}")
            time.sleep(0.2)
        raise RuntimeError(f"timed out waiting for {what}")

    def start_stack(self) -> None:
        self.spawn(
            "smtp-sink",
            "smtp sink",
            [
                PYTHON,
                "-m",
                "bench.smtp_sink",
                "--port",
                str(self.smtp_port),
                "--control",
                str(self.control_port),
            ],
        )
        self.wait_for(lambda: "sink ready" in self.procs[-1].log(), 20, "the SMTP sink")
        gunicorn = str(Path(PYTHON).with_name("gunicorn"))
        self.spawn(
            "gunicorn",
            "gunicorn",
            [
                gunicorn,
                "config.wsgi:application",
                "-c",
                "python:config.gunicorn",  # as production runs it (Dockerfile)
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                str(self.web_workers),
                "--log-level",
                "warning",
            ],
        )
        celery = [PYTHON, "-m", "celery", "-A", "config"]
        self.spawn(
            "worker",
            "worker",
            [
                *celery,
                "worker",
                "--loglevel=WARNING",
                "--concurrency=2",
                "--pool=prefork",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname=bench-{self.run_tag}@%h",
                "-Q",
                self.env["CELERY_QUEUE"],
            ],
        )
        self.spawn(
            "beat",
            "beat",
            [
                *celery,
                "beat",
                "--loglevel=WARNING",
                "--schedule",
                str(self.var_dir / "beat-schedule"),
            ],
        )
        self.wait_for(lambda: self.http_get("/healthz")[0] == 200, 60, "gunicorn")
        self.wait_for(self._worker_ready, 60, "the Celery worker")

    def _worker_ready(self) -> bool:
        from config.celery import app

        replies = app.control.ping(
            destination=[f"bench-{self.run_tag}@{socket.gethostname()}"], timeout=1
        )
        return bool(replies)

    def stop_stack(self) -> None:
        for proc in reversed(self.procs):
            with contextlib.suppress(Exception):
                proc.stop()

    def process_groups(self) -> dict[int, str]:
        """pid → group for every process the report accounts for."""
        import psutil

        groups: dict[int, str] = {os.getpid(): "harness"}
        for proc in self.procs:
            try:
                root = psutil.Process(proc.popen.pid)
                groups[root.pid] = proc.group
                for child in root.children(recursive=True):
                    groups[child.pid] = proc.group
            except psutil.NoSuchProcess:
                continue
        for pid, group in list(self.extra_pids.items()):
            if psutil.pid_exists(pid):
                groups[pid] = group
            else:
                self.extra_pids.pop(pid, None)
        for proc in psutil.process_iter(["name", "cmdline"]):
            name = proc.info["name"] or ""
            if name.startswith("postgres"):
                cmdline = " ".join(proc.info["cmdline"] or [])
                if any(postgres_process_counts(cmdline, db) for db in (BENCH_DB, REFERENCE_DB)):
                    groups[proc.pid] = "postgres"
            elif name.startswith("redis-server"):
                groups[proc.pid] = "redis"
        return groups

    # -- HTTP, load, sink ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def http_get(self, path: str) -> tuple[int, bytes]:
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(self.base_url + path, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def wrk(
        self,
        script: str,
        duration: float,
        args: list[str],
        connections: int = 32,
        url: str | None = None,
    ) -> tuple[WrkResult, float]:
        """Run wrk against `url` (the product's web server unless given); returns its result
        and the CPU seconds wrk itself used (exact, from wait4)."""
        command = [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{int(duration)}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / script),
            url or self.base_url,
            "--",
            *args,
        ]
        popen = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.extra_pids[popen.pid] = "load generator"
        assert popen.stdout is not None
        output = popen.stdout.read().decode(errors="replace")
        _, status, usage = os.wait4(popen.pid, 0)
        popen.returncode = os.waitstatus_to_exitcode(status)
        if popen.returncode != 0:
            raise RuntimeError(f"wrk failed ({popen.returncode}):\n{output[-2000:]}")
        return parse_wrk(output), usage.ru_utime + usage.ru_stime

    def sink_command(self, line: str) -> str:
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=30) as sock:
            sock.sendall(line.encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        return data.decode().strip()

    def sink_stats(self) -> dict[str, int]:
        return json.loads(self.sink_command("STATS"))

    def sink_records(self) -> list[tuple[str, str, float]]:
        path = self.var_dir / f"sink-{uuid.uuid4().hex[:6]}.tsv"
        self.sink_command(f"DUMP {path}")
        records = []
        for line in path.read_text().splitlines():
            message_id, recipient, at = line.split("\t")
            records.append((message_id, recipient, float(at)))
        path.unlink()
        return records

    def outbox_drain(self, timeout: float) -> float:
        """Wait until no outbox row is due and unsent; returns the seconds waited."""
        from django.db import connection
        from django.utils import timezone

        from advocacy.models import OutboundEmail, OutboundEmailStatus

        started = time.monotonic()
        while time.monotonic() - started < timeout:
            due = OutboundEmail.objects.filter(
                status__in=[OutboundEmailStatus.QUEUED, OutboundEmailStatus.SENDING],
                not_before__lte=timezone.now(),
            ).count()
            connection.close()
            if due == 0:
                break
            time.sleep(0.5)
        return time.monotonic() - started

    def cpu_begin(self) -> dict[tuple[int, float], tuple[str, float]]:
        assert self.monitor is not None
        return self.monitor.snapshot()

    def cpu_since(self, before: dict[tuple[int, float], tuple[str, float]]) -> dict[str, float]:
        assert self.monitor is not None
        return CpuMonitor.delta(before, self.monitor.snapshot())

    @contextlib.contextmanager
    def measure(self, result: ScenarioResult) -> Iterator[None]:
        assert self.monitor is not None
        before = self.monitor.snapshot()
        started = time.monotonic()
        try:
            yield
        finally:
            result.wall_seconds = round(time.monotonic() - started, 2)
            result.cpu_seconds = CpuMonitor.delta(before, self.monitor.snapshot())


# --- Report ---------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    import psutil

    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    info: dict[str, Any] = {
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model,
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    with contextlib.suppress(Exception):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["postgresql"] = cursor.fetchone()[0]
            cursor.execute("SHOW synchronous_commit")
            info["synchronous_commit"] = cursor.fetchone()[0]
    with contextlib.suppress(Exception):
        import django

        info["django"] = django.get_version()
    with contextlib.suppress(Exception):
        info["wrk"] = subprocess.run(
            ["wrk", "--version"], capture_output=True, text=True, check=False
        ).stdout.splitlines()[0]
    return info


def cpu_ms_per_unit(cpu: dict[str, float], units: int) -> dict[str, float]:
    """CPU milliseconds per unit of work for each group that served it (the load generator
    and the harness left out) and in total: unlike rates, barely moved by other load on the
    machine, so a noisy run still says what the work costs."""
    served = {g: s for g, s in cpu.items() if g not in ("harness", "load generator", "driver")}
    per_unit = {g: round(1000 * s / units, 3) for g, s in served.items() if units and s}
    per_unit["total"] = round(sum(per_unit.values()), 3)
    return per_unit


# What the issue's bare endpoint did on the issue's machine (bench/scenarios/reference.py).
ISSUE_REFERENCE_RPS = 790.0


def relative_to_reference(
    rate: float, reference_rps: float | None, goal: float
) -> tuple[float, str] | None:
    """`rate` as a share of the reference endpoint's rate on this machine, and a note that
    sets it beside the goal's share on the issue's machine; None without a reference."""
    if not reference_rps:
        return None
    share = rate / reference_rps
    return share, (
        f"{share:.2f}× the reference endpoint's rate on this machine; the goal, {goal:,.0f}/s"
        f" where it did {ISSUE_REFERENCE_RPS:,.0f}/s, is {goal / ISSUE_REFERENCE_RPS:.2f}×"
    )


def busiest(cpu: dict[str, float], wall: float) -> str:
    if not cpu or not wall:
        return ""
    top = sorted(cpu.items(), key=lambda kv: -kv[1])[:3]
    return ", ".join(f"{group} {seconds / wall:.0%}" for group, seconds in top if seconds > 0)


def print_report(results: list[ScenarioResult], info: dict[str, Any], path: Path) -> None:
    rows = [["scenario", "result", "figures", "goal", "CPU (share of one core)"]]
    for result in results:
        rows.append(
            [
                result.name,
                result.status.upper(),
                result.summary,
                result.goal,
                busiest(result.cpu_seconds, result.wall_seconds),
            ]
        )
    print()
    print(
        f"Resolute benchmark — {info.get('cpu_model', '?')}, {info.get('cpus')} CPUs, "
        f"load average at start {info.get('load_average_at_start')}"
    )
    print(format_table(rows))
    for result in results:
        for note in result.notes:
            print(f"  {result.name}: {note}")
    print(f"\nwritten to {path.relative_to(ROOT)}")


# --- Main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Resolute's benchmark scenarios.")
    parser.add_argument("--short", action="store_true", help="Small and quick: checks the harness.")
    parser.add_argument(
        "--only", action="append", default=[], help="Run only this scenario (repeatable)."
    )
    parser.add_argument(
        "--keep", action="store_true", help="Keep the benchmark database afterwards."
    )
    parser.add_argument(
        "--publish-on-commit",
        action="store_true",
        help="Run with OUTBOX_PUBLISH_ON_COMMIT=true (one broker publish per outbox row).",
    )
    parser.add_argument(
        "--web-workers",
        type=int,
        default=None,
        help="gunicorn sync workers (default: the product's, config/gunicorn.py: cores + 1).",
    )
    options = parser.parse_args(argv)
    # A count given here or through WEB_CONCURRENCY is not the product's default: such a run
    # gets its own results file, as any partial run does.
    chosen_workers = options.web_workers is not None or bool(
        os.environ.get("WEB_CONCURRENCY", "").strip()
    )
    if options.web_workers is None:  # the product's count (WEB_CONCURRENCY included)
        from config.gunicorn import workers as product_default

        options.web_workers = product_default
    if options.web_workers < 1:
        parser.error("--web-workers must be at least 1")

    bench = Bench(
        short=options.short,
        keep=options.keep,
        publish_on_commit=options.publish_on_commit,
        web_workers=options.web_workers,
    )
    from bench.scenarios import SCENARIOS

    results: list[ScenarioResult] = []
    started_at = datetime.now(UTC)
    print(
        f"bench: {'short' if options.short else 'full'} run, logs in {bench.logs_dir}", flush=True
    )
    bench.database_recreate()
    bench.redis_flush()
    bench.django_setup()
    info = machine_info()
    try:
        print("bench: migrating and seeding", flush=True)
        bench.manage("migrate", "--noinput", "-v0")
        bench.manage("collectstatic", "--noinput", "-v0")
        bench.manage("seed_demo")
        bench.start_stack()
        bench.monitor = CpuMonitor(bench.process_groups).start()
        for scenario in SCENARIOS:
            if options.only and scenario.NAME not in options.only:
                continue
            print(f"bench: {scenario.NAME} …", flush=True)
            try:
                result = scenario.run(bench)
            except Exception as exc:  # one broken scenario must not hide the others
                import traceback

                traceback.print_exc()
                result = ScenarioResult(
                    scenario.NAME,
                    "error",
                    scenario.GOAL,
                    summary=f"{type(exc).__name__}: {exc}"[:200],
                )
            print(f"bench: {result.name}: {result.status} — {result.summary}", flush=True)
            results.append(result)
    finally:
        if bench.monitor is not None:
            bench.monitor.stop()
        bench.stop_stack()
        if not options.keep:
            with contextlib.suppress(Exception):
                bench.database_drop()
        with contextlib.suppress(Exception):
            bench.redis_flush()

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = started_at.strftime("%Y-%m-%d")
    suffix = "-short" if options.short else ""
    if options.only:  # a partial run never replaces the day's full one
        suffix += "-only-" + "-".join(sorted(set(options.only)))
    if chosen_workers:
        suffix += f"-web{options.web_workers}"
    path = RESULTS_DIR / f"{stamp}{suffix}.json"
    payload = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "mode": "short" if options.short else "full",
        "outbox_publish_on_commit": options.publish_on_commit,
        "web_workers": options.web_workers,
        "machine": info,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "scenarios": [asdict(result) for result in results],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print_report(results, info, path)
    return 0 if all(r.status in ("pass", "skipped", "info") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
