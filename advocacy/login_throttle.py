"""Failed sign-ins to the admin are counted, and too many refuse the next ones for a while.

Why: the admin holds supporters' personal data, and Django's login form answers as fast as
anyone can guess passwords. Each failure counts against the account's name and against the
client address (fixed windows on the rate-limit counters, advocacy.ratelimit); when either is
over its limit the form refuses before checking the password, so guessing on stops paying,
and says how long to wait. A successful sign-in does not reset the counters: an attacker who
also holds one good account must not get a fresh budget for the others. Like every limit
here, it fails open when Redis is down (a warning is logged), and RATELIMIT_ENABLED=false
turns it off.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest

from advocacy.ratelimit import Counter, ratelimit_counts, ratelimit_hits
from config.net import client_ip

logger = logging.getLogger(__name__)


def _counters(request: HttpRequest | None, username: str) -> list[Counter]:
    counters = [
        Counter("admin-login-user", username.strip().lower(), settings.LOGIN_FAILURES_PER_USER)
    ]
    ip = client_ip(request) if request is not None else ""
    if ip:
        counters.append(Counter("admin-login-ip", ip, settings.LOGIN_FAILURES_PER_IP))
    return counters


def login_failure_record(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    """user_login_failed receiver: one failure more for this name and this address."""
    username = str(credentials.get("username") or "")
    if not username or not settings.RATELIMIT_ENABLED:
        return
    ratelimit_hits(
        counters=_counters(request, username),
        window_seconds=int(settings.LOGIN_FAILURE_WINDOW_SECONDS),
    )


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in form, refusing while the name or the address has failed too often."""

    def clean(self) -> dict[str, Any]:
        username = str(self.data.get("username") or "")
        if username and settings.RATELIMIT_ENABLED:
            results = ratelimit_counts(
                counters=_counters(self.request, username),
                window_seconds=int(settings.LOGIN_FAILURE_WINDOW_SECONDS),
            )
            refused = [result for result in results if not result.allowed]
            if refused:
                wait = max(result.retry_after for result in refused)
                logger.warning("admin sign-in refused after too many failures (%s)", username[:100])
                raise forms.ValidationError(
                    "Too many failed sign-ins. Please try again in %(minutes)d minute(s).",
                    code="throttled",
                    params={"minutes": max(1, -(-wait // 60))},
                )
        cleaned: dict[str, Any] = super().clean()
        return cleaned


def connect() -> None:
    user_login_failed.connect(login_failure_record, dispatch_uid="advocacy-login-failures")
