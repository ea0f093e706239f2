"""Debian's Chromium, driven by Playwright (never a browser Playwright downloads)."""

from __future__ import annotations

import shutil
from typing import Any

CHROMIUM = shutil.which("chromium")
# Without the background-networking flags Chromium keeps dialling Google's hosts, which this
# machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def prepare_live_site(live_server: Any, settings: Any, monkeypatch: Any) -> Any:
    """Settings a browser test against pytest-django's live server needs."""
    settings.SITE_URL = live_server.url
    settings.RATELIMIT_ENABLED = False
    # The live server speaks plain HTTP: secure-only cookies would never come back.
    settings.CSRF_COOKIE_SECURE = False
    settings.SESSION_COOKIE_SECURE = False
    # Playwright's sync API keeps an event loop in this thread; the ORM calls in these tests
    # are synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    return live_server
