"""Fixed-window rate limits on the cache (Redis in production and tests).

One counter per (scope, key, window): `cache.add` creates it with the window as its expiry,
`cache.incr` bumps it atomically, so concurrent requests on many web processes agree. Fixed
windows let a client burst up to twice the limit across a boundary; for signing forms that
is an acceptable price for two round trips per check.

When Redis is unreachable, limits fail OPEN (a warning is logged): losing abuse protection
for a while is better than refusing every supporter.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from config.errors import RateLimitedError

logger = logging.getLogger(__name__)


class SigningRateLimitedError(RateLimitedError):
    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        # config.api turns this into a Retry-After header.
        self.retry_after = retry_after


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    count: int
    retry_after: int


def ratelimit_hit(*, scope: str, key: str, limit: int, window_seconds: int) -> RateLimitResult:
    """Count one event for `key` in the current window and say whether it is within `limit`."""
    now = int(time.time())
    window_start = now - now % window_seconds
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # no raw e-mails in Redis keys
    cache_key = f"rl:{scope}:{digest}:{window_start}"
    retry_after = window_start + window_seconds - now
    try:
        created = cache.add(cache_key, 1, timeout=window_seconds + 1)
        count = 1 if created else cache.incr(cache_key)
    except ValueError:
        # The key expired between add and incr: this is the first hit of a new window.
        count = 1
        _fail_open_safely(cache_key, window_seconds)
    except Exception as exc:  # redis-py raises many types; all mean "no counter"
        logger.warning("rate limiting unavailable, failing open: %s", exc)
        return RateLimitResult(True, 0, 0)
    return RateLimitResult(count <= limit, count, max(1, retry_after))


def _fail_open_safely(cache_key: str, window_seconds: int) -> None:
    try:
        cache.add(cache_key, 1, timeout=window_seconds + 1)
    except Exception as exc:
        logger.warning("rate limiting unavailable, failing open: %s", exc)


def attempts_ratelimit_check(*, action: str, ip: str, email: str) -> None:
    """Raise RateLimitedError (429, with Retry-After) when this IP or this address has made too
    many `action` attempts in the current window. Both counters are bumped on every attempt;
    each action counts separately."""
    if not settings.RATELIMIT_ENABLED:
        return
    window = int(settings.RATELIMIT_WINDOW_SECONDS)
    results = []
    if ip and ip not in settings.RATELIMIT_ALLOWED_IPS:
        results.append(
            ratelimit_hit(
                scope=f"{action}-ip", key=ip, limit=settings.RATELIMIT_PER_IP, window_seconds=window
            )
        )
    if email:
        results.append(
            ratelimit_hit(
                scope=f"{action}-email",
                key=email.strip().lower(),
                limit=settings.RATELIMIT_PER_EMAIL,
                window_seconds=window,
            )
        )
    refused = [result for result in results if not result.allowed]
    if refused:
        raise SigningRateLimitedError(
            "Too many attempts. Please wait a while and try again.",
            retry_after=max(result.retry_after for result in refused),
        )


def signing_ratelimit_check(*, ip: str, email: str) -> None:
    attempts_ratelimit_check(action="sign", ip=ip, email=email)
