"""Rate limits on Redis: per IP, per address, trusted proxies, allow-list, failing open."""

from __future__ import annotations

import logging
import time
import uuid
from types import SimpleNamespace

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from advocacy import ratelimit
from advocacy.models import Signature
from advocacy.ratelimit import ratelimit_hit
from config.net import client_ip
from tests.factories import PetitionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ratelimit_clock_mid_window")]


@pytest.fixture
def ratelimit_clock_mid_window(monkeypatch):
    """Counters count per fixed window (an hour, a minute): a test's hits that straddled the
    end of one would start again from 1 in the next. The limiter's clock stands still, 30 min
    30 s into the current hour, in the middle of both."""
    now = int(time.time())
    frozen = now - now % 3600 + 1830
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: frozen))


def _ip() -> str:
    # A fresh address per test: counters live in the shared Redis and outlive the test.
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def _payload(email):
    return {
        "first_name": "Ana",
        "last_name": "Supporter",
        "email": email,
        "country": "DE",
        "consent": True,
        "consent_version": 1,
    }


@pytest.fixture
def petition():
    return PetitionFactory()


def _sign(petition, *, ip, email):
    return APIClient().post(
        f"/api/v1/campaigns/{petition.campaign.slug}/signatures/",
        _payload(email),
        format="json",
        REMOTE_ADDR=ip,
    )


def test_a_counter_allows_up_to_the_limit_then_refuses():
    key = uuid.uuid4().hex
    results = [ratelimit_hit(scope="t", key=key, limit=3, window_seconds=60) for _ in range(4)]
    assert [r.allowed for r in results] == [True, True, True, False]
    assert [r.count for r in results] == [1, 2, 3, 4]
    assert 0 < results[-1].retry_after <= 60


def test_too_many_signings_from_one_ip_are_refused_with_429(petition, settings):
    settings.RATELIMIT_PER_IP = 3
    settings.RATELIMIT_PER_EMAIL = 100
    ip = _ip()
    statuses = [_sign(petition, ip=ip, email=f"{uuid.uuid4().hex}@example.net") for _ in range(4)]

    assert [r.status_code for r in statuses] == [202, 202, 202, 429]
    body = statuses[-1].json()
    assert body["error"]["code"] == "rate_limited"
    assert int(statuses[-1]["Retry-After"]) > 0
    assert Signature.objects.count() == 3
    # Another client is unaffected.
    assert _sign(petition, ip=_ip(), email=f"{uuid.uuid4().hex}@example.net").status_code == 202


def test_too_many_attempts_for_one_address_are_refused_from_any_ip(petition, settings):
    settings.RATELIMIT_PER_IP = 100
    settings.RATELIMIT_PER_EMAIL = 2
    email = f"{uuid.uuid4().hex}@example.net"
    statuses = [_sign(petition, ip=_ip(), email=email).status_code for _ in range(3)]
    assert statuses == [202, 202, 429]


def test_one_mailbox_spelt_several_ways_shares_one_counter(petition, settings):
    settings.RATELIMIT_PER_IP = 100
    settings.RATELIMIT_PER_EMAIL = 2
    local = uuid.uuid4().hex
    spellings = [f"{local}@bücher.de", f"{local}@XN--BCHER-KVA.de", f"{local}@ｂüｃｈｅｒ.de"]

    statuses = [_sign(petition, ip=_ip(), email=email).status_code for email in spellings]

    assert statuses == [202, 202, 429]


def test_allowed_ips_are_exempt(petition, settings):
    ip = _ip()
    settings.RATELIMIT_PER_IP = 1
    settings.RATELIMIT_ALLOWED_IPS = [ip]
    statuses = [
        _sign(petition, ip=ip, email=f"{uuid.uuid4().hex}@example.net").status_code
        for _ in range(3)
    ]
    assert statuses == [202, 202, 202]


def test_the_page_shows_a_message_when_throttled(petition, client, settings):
    settings.RATELIMIT_PER_IP = 1
    ip = _ip()
    data = {
        "first_name": "Ana",
        "last_name": "S",
        "country": "DE",
        "consent": "on",
    }
    first = client.post(
        f"/campaigns/{petition.campaign.slug}/",
        {**data, "email": f"{uuid.uuid4().hex}@example.net"},
        REMOTE_ADDR=ip,
    )
    second = client.post(
        f"/campaigns/{petition.campaign.slug}/",
        {**data, "email": f"{uuid.uuid4().hex}@example.net"},
        REMOTE_ADDR=ip,
    )
    assert first.status_code == 303
    assert second.status_code == 429
    assert "Too many attempts" in second.content.decode()
    assert second["Retry-After"]


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.1.1.1, 2.2.2.2", "9.9.9.9"),  # no trusted proxy: the header is ignored
        (1, "1.1.1.1, 2.2.2.2", "2.2.2.2"),
        (2, "1.1.1.1, 2.2.2.2", "1.1.1.1"),
        (3, "1.1.1.1, 2.2.2.2", "9.9.9.9"),  # fewer entries than proxies: not trusted
    ],
)
def test_the_client_ip_comes_from_the_trusted_proxy_entry(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="9.9.9.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_signing_keeps_working_when_redis_is_down(petition, settings, caplog):
    settings.RATELIMIT_PER_IP = 1
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens here
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    ip = _ip()
    with caplog.at_level(logging.WARNING, logger="advocacy.ratelimit"):
        statuses = [
            _sign(petition, ip=ip, email=f"{uuid.uuid4().hex}@example.net").status_code
            for _ in range(2)
        ]
    assert statuses == [202, 202]
    assert "failing open" in caplog.text


def test_counters_are_bumped_together_and_expire_with_their_window():
    from django.core.cache import caches

    from advocacy.ratelimit import Counter, ratelimit_hits

    a, b = uuid.uuid4().hex, uuid.uuid4().hex
    counters = [Counter("t-a", a, 2), Counter("t-b", b, 1)]
    first = ratelimit_hits(counters=counters, window_seconds=60)
    second = ratelimit_hits(counters=counters, window_seconds=60)
    assert [(r.count, r.allowed) for r in first] == [(1, True), (1, True)]
    assert [(r.count, r.allowed) for r in second] == [(2, True), (2, False)]

    backend = caches["default"]
    client = backend._cache.get_client(write=True)
    keys = client.keys(backend.make_and_validate_key("rl:t-a:*"))
    assert keys
    # Every counter carries an expiry: none outlives its window.
    assert all(0 < client.ttl(key) <= 61 for key in keys)


def test_a_counter_key_names_no_address_and_is_no_plain_hash_of_one(settings):
    import hashlib

    from django.core.cache import caches

    from advocacy.ratelimit import Counter, ratelimit_hits

    address = f"ana.{uuid.uuid4().hex[:8]}@example.org"
    ratelimit_hits(counters=[Counter("t-key", address, 5)], window_seconds=60)

    backend = caches["default"]
    client = backend._cache.get_client(write=True)
    [key] = [k.decode() for k in client.keys(backend.make_and_validate_key("rl:t-key:*"))]
    digest = key.split(":")[-2]
    assert address not in key
    # A list of addresses hashed the same way would name whose counter this is.
    assert digest != hashlib.sha256(address.encode()).hexdigest()[:32]
    # Keyed by the deployment's secret: another secret, another key.
    settings.SECRET_KEY = "another-secret-" + "x" * 50
    assert ratelimit._key_digest(address) != digest
