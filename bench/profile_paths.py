"""Time (and optionally profile) the hot paths in-process, without HTTP or a load generator.

    .venv/bin/python -m bench.profile_paths [--profile] [--dump DIR] [--n 500] [sign|page|...]

--dump writes each path's raw profile to DIR/<path>.prof, for pstats or snakeviz.

Uses its own database (`resolute_profile`, dropped and re-created) with production settings
(DEBUG=false) and the Django test client, so the figure is what one gunicorn worker spends
inside Django per request: the number to shrink before running `make bench` again.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
DB = "resolute_profile"


def _environment() -> None:
    for key in list(os.environ):
        if key.startswith(("DATABASE_", "REDIS_", "CELERY_", "OUTBOX_", "LETTERS_")):
            del os.environ[key]
    os.environ.update(
        {
            "LETTERS_PER_MEP_PER_HOUR": "0",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": f"{PG_SERVER}/{DB}",
            "REDIS_URL": "redis://127.0.0.1:6379/13",
            "CELERY_QUEUE": f"profile-{os.getpid()}",
            "VAR_DIR": str(ROOT / "var" / "profile"),
            "RATELIMIT_ALLOWED_IPS": "127.0.0.1",
            "OUTBOX_PUBLISH_ON_COMMIT": "false",
            "SMTP_URL": "smtp://127.0.0.1:1",
        }
    )


def _prepare() -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    manage = [sys.executable, str(ROOT / "manage.py")]
    for args in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"], ["seed_demo"]):
        subprocess.run([*manage, *args], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def _time(label: str, n: int, fn, profile: bool, dump: Path | None) -> None:  # type: ignore[no-untyped-def]
    for i in range(min(20, n)):  # warm caches, connections, imports
        fn(-1 - i)
    # CPU time, not wall: waits on PostgreSQL and Redis are not what this process can shrink.
    profiler = cProfile.Profile(time.process_time) if profile else None
    started = time.perf_counter()
    cpu = time.process_time()
    if profiler:
        profiler.enable()
    for i in range(n):
        fn(i)
    if profiler:
        profiler.disable()
    wall = (time.perf_counter() - started) / n * 1000
    cpu_ms = (time.process_time() - cpu) / n * 1000
    print(f"{label:10} {wall:7.2f} ms wall, {cpu_ms:7.2f} ms CPU per call (n={n})", flush=True)
    if profiler:
        if dump:
            dump.mkdir(parents=True, exist_ok=True)
            profiler.dump_stats(dump / f"{label}.prof")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*", default=["sign", "page", "counters", "mail"])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--dump", type=Path, help="with --profile: write DIR/<path>.prof")
    args = parser.parse_args()
    _environment()
    _prepare()
    import django

    django.setup()
    from django.test import Client

    from campaign.models import Campaign

    campaign = Campaign.objects.filter(petition__isnull=False, status="live").order_by("pk")[0]
    petition = campaign.petition
    client = Client(REMOTE_ADDR="127.0.0.1")
    tag = secrets.token_hex(3)
    sign_url = f"/api/v1/campaigns/{campaign.slug}/signatures/"

    def sign(i: int) -> None:
        response = client.post(
            sign_url,
            {
                "first_name": "Bench",
                "last_name": f"Signer {i}",
                "email": f"p{tag}-{i}@bench.example.org",
                "country": "DE",
                "postcode": "10115",
                "consent": True,
                "consent_version": petition.consent_version,
            },
            content_type="application/json",
        )
        assert response.status_code == 202, response.content

    def page(i: int) -> None:
        assert client.get(f"/campaigns/{campaign.slug}/").status_code == 200

    def counters(i: int) -> None:
        assert client.get(f"/api/v1/campaigns/{campaign.slug}/counters/").status_code == 200

    def mail(i: int) -> None:
        from advocacy.models import OutboundEmail
        from advocacy.outbox import _build_message

        row = OutboundEmail.objects.order_by("pk").first()
        assert row is not None
        _build_message(row).message().as_bytes()

    def letters() -> Callable[[int], None]:
        # One supporter writing to every targeted MEP of one country, then confirming (pacing
        # off): what bench/scenarios/letters_driver.py does per supporter.
        from advocacy.letters import campaign_get_for_letters, letter_targets_list
        from bench.scenarios.letters_driver import write_and_confirm

        letter_campaign = None
        for candidate in Campaign.objects.filter(status="live").order_by("pk"):
            try:
                letter_campaign = campaign_get_for_letters(slug=candidate.slug)
                break
            except Exception:  # noqa: S112  (not a letter campaign)
                continue
        assert letter_campaign is not None, "seed_demo made no letter campaign"
        country = "AT"
        targets = letter_targets_list(campaign=letter_campaign, country=country)
        mep_ids = [target.mep.ep_id for target in targets]

        def write(i: int) -> None:
            email = f"l{tag}-{i}@bench.example.org"
            write_and_confirm(letter_campaign, email=email, n=i, country=country, mep_ids=mep_ids)

        print(f"letters: {len(mep_ids)} MEPs of {country} per call", flush=True)
        return write

    for name in args.paths:
        if name == "letters":
            _time(name, args.n, letters(), args.profile, args.dump)
            continue
        fn = {"sign": sign, "page": page, "counters": counters, "mail": mail}[name]
        _time(name, args.n, fn, args.profile, args.dump)


if __name__ == "__main__":
    main()
