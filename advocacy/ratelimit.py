"""Fixed-window rate limits on the cache (Redis in production and tests).

One counter per (scope, key, window), created with the window as its expiry and bumped
atomically in Redis, so concurrent requests on many web processes agree; all counters of one
check cost one round trip. Fixed windows let a client burst up to twice the limit across a
boundary; for signing forms that is an acceptable price for that single round trip.

When Redis is unreachable, limits fail OPEN (a warning is logged): losing abuse protection
for a while is better than refusing every supporter.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.commands.core import Script

from advocacy.emails import normalise_email
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


@dataclass(frozen=True)
class Counter:
    scope: str
    key: str
    limit: int


def _key_digest(key: str) -> str:
    """No raw e-mail address in a Redis key, nor a plain hash of one (a list of addresses
    hashed the same way would name them): a keyed hash, under a key derived from SECRET_KEY."""
    return hmac.new(_digest_key(), key.encode(), hashlib.sha256).hexdigest()[:32]


@functools.cache
def _digest_key_for(secret: str) -> bytes:
    return hashlib.sha256(f"resolute.ratelimit:{secret}".encode()).digest()


def _digest_key() -> bytes:
    return _digest_key_for(settings.SECRET_KEY)


def _window(window_seconds: int) -> tuple[int, int]:
    """This window's start and the seconds until the next one."""
    now = int(time.time())
    window_start = now - now % window_seconds
    return window_start, max(1, window_start + window_seconds - now)


def _keys(counters: Sequence[Counter], window_start: int) -> list[str]:
    """The counters' keys in this window: the same for counting and for looking."""
    return [f"rl:{c.scope}:{_key_digest(c.key)}:{window_start}" for c in counters]


def ratelimit_counts(*, counters: Sequence[Counter], window_seconds: int) -> list[RateLimitResult]:
    """Each counter's count in the current window, without counting anything; allowed while
    below its limit (one more event would still be within it). Fails open like the hits."""
    window_start, retry_after = _window(window_seconds)
    keys = _keys(counters, window_start)
    try:
        found = caches["default"].get_many(keys)
    except Exception as exc:  # redis-py raises many types; all mean "no counter"
        logger.warning("rate limiting unavailable, failing open: %s", exc)
        return [RateLimitResult(True, 0, 0) for _ in counters]
    counts = [int(found.get(key) or 0) for key in keys]
    return [
        RateLimitResult(count < c.limit, count, retry_after)
        for c, count in zip(counters, counts, strict=True)
    ]


def ratelimit_hits(*, counters: Sequence[Counter], window_seconds: int) -> list[RateLimitResult]:
    """Count one event on each counter in the current window and say, for each, whether it is
    within its limit. On Redis all counters are bumped in one round trip."""
    window_start, retry_after = _window(window_seconds)
    keys = _keys(counters, window_start)
    try:
        counts = _incr_all(keys, timeout=window_seconds + 1)
    except Exception as exc:  # redis-py raises many types; all mean "no counter"
        logger.warning("rate limiting unavailable, failing open: %s", exc)
        return [RateLimitResult(True, 0, 0) for _ in counters]
    return [
        RateLimitResult(count <= c.limit, count, retry_after)
        for c, count in zip(counters, counts, strict=True)
    ]


# KEYS: the counters; ARGV[1]: their expiry in seconds. Returns each counter's new value.
_INCR_LUA = """
local counts = {}
for i, key in ipairs(KEYS) do
    counts[i] = redis.call('INCR', key)
    if counts[i] == 1 then redis.call('EXPIRE', key, ARGV[1]) end
end
return counts
"""
# EVALSHA, loading the script into a server that does not know it yet.
_INCR_SCRIPT = Script(None, _INCR_LUA.encode())  # type: ignore[arg-type]  # bound per call


# One redis-py client per Django cache client (so per thread), over that client's pool.
_write_clients: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _write_client(backend: RedisCache) -> Any:
    # Django builds a new redis-py client for every cache call; building one copies redis-py's
    # ~170 response callbacks, a twentieth of a signing request's CPU.
    cache_client = backend._cache
    client = _write_clients.get(cache_client)
    if client is None:
        client = _write_clients[cache_client] = cache_client.get_client(write=True)
    return client


def _incr_all(keys: Sequence[str], *, timeout: int) -> list[int]:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # Why not cache.add + cache.incr: each call of Django's Redis cache builds a client
        # (0.2–0.5 ms of CPU), and two of them per counter were a tenth of a signing request.
        # One script bumps every counter atomically, setting the expiry on creation, so a
        # counter never outlives its window without one.
        client = _write_client(backend)
        full_keys = [backend.make_and_validate_key(key) for key in keys]
        return [int(n) for n in _INCR_SCRIPT(keys=full_keys, args=[timeout], client=client)]
    counts = []
    for key in keys:  # other backends (the file cache of the embedded defaults)
        if backend.add(key, 1, timeout=timeout):
            counts.append(1)
            continue
        try:
            counts.append(backend.incr(key))
        except ValueError:  # expired between add and incr: the first hit of a new window
            backend.add(key, 1, timeout=timeout)
            counts.append(1)
    return counts


def ratelimit_hit(*, scope: str, key: str, limit: int, window_seconds: int) -> RateLimitResult:
    """Count one event for `key` in the current window and say whether it is within `limit`."""
    [result] = ratelimit_hits(counters=[Counter(scope, key, limit)], window_seconds=window_seconds)
    return result


def _email_key(email: str) -> str:
    """One counter per mailbox, however the domain is spelt (`bücher.de`, `xn--bcher-kva.de`,
    full-width letters): the address as signing stores it, lower-cased."""
    try:
        return normalise_email(email).lower()
    except ValueError:  # a domain IDNA refuses: the signing itself refuses it next
        return email.strip().lower()


def attempts_ratelimit_check(
    *, action: str, ip: str, email: str, per_ip: int | None = None
) -> None:
    """Raise RateLimitedError (429, with Retry-After) when this IP or this address has made too
    many `action` attempts in the current window. Both counters are bumped on every attempt;
    each action counts separately. `per_ip` replaces RATELIMIT_PER_IP for this action."""
    if not settings.RATELIMIT_ENABLED:
        return
    counters = []
    if ip and ip not in settings.RATELIMIT_ALLOWED_IPS:
        limit = settings.RATELIMIT_PER_IP if per_ip is None else per_ip
        counters.append(Counter(f"{action}-ip", ip, limit))
    if email:
        counters.append(Counter(f"{action}-email", _email_key(email), settings.RATELIMIT_PER_EMAIL))
    if not counters:
        return
    results = ratelimit_hits(
        counters=counters, window_seconds=int(settings.RATELIMIT_WINDOW_SECONDS)
    )
    refused = [result for result in results if not result.allowed]
    if refused:
        raise SigningRateLimitedError(
            "Too many attempts. Please wait a while and try again.",
            retry_after=max(result.retry_after for result in refused),
        )


def signing_ratelimit_check(*, ip: str, email: str) -> None:
    attempts_ratelimit_check(action="sign", ip=ip, email=email)
