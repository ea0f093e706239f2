"""Failed admin sign-ins are counted per account name and per client address (on Redis); past
a limit, sign-ins are refused, even with the right password, until the window ends."""

from __future__ import annotations

import time
import uuid
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from advocacy import ratelimit

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def clock(monkeypatch):
    """The limiter's clock, standing still in the middle of a 15-minute window; `advance`
    moves it on."""
    now = int(time.time())
    state = {"now": now - now % 900 + 450}
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: state["now"]))
    return state


@pytest.fixture
def throttle(settings):
    settings.RATELIMIT_ENABLED = True
    settings.LOGIN_FAILURES_PER_USER = 3
    settings.LOGIN_FAILURES_PER_IP = 5
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 900


def _organiser() -> str:
    username = f"organiser-{uuid.uuid4().hex[:8]}"
    get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
    return username


def _ip() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def _sign_in(username: str, password: str, ip: str) -> tuple[Client, str]:
    client = Client(REMOTE_ADDR=ip)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )
    return client, response.content.decode() if response.status_code == 200 else ""


def _signed_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_past_the_limit_even_the_right_password_is_refused_until_the_window_ends(throttle, clock):
    username, ip = _organiser(), _ip()
    for _ in range(3):
        client, page = _sign_in(username, "wrong", ip)
        assert "Please enter the correct username and password" in page

    client, page = _sign_in(username, PASSWORD, ip)
    assert "Too many failed sign-ins. Please try again in 8 minute(s)." in page
    assert not _signed_in(client)
    # From elsewhere too: the name is what is being guessed.
    client, page = _sign_in(username, PASSWORD, _ip())
    assert "Too many failed sign-ins" in page

    clock["now"] += 900  # the next window
    client, page = _sign_in(username, PASSWORD, ip)
    assert _signed_in(client)


def test_another_account_is_not_locked_by_someone_guessing_at_one(throttle, clock):
    guessed, other, ip = _organiser(), _organiser(), _ip()
    for _ in range(3):
        _sign_in(guessed, "wrong", ip)

    client, _ = _sign_in(other, PASSWORD, _ip())

    assert _signed_in(client)


def test_one_address_guessing_at_many_names_is_refused(throttle, clock):
    ip = _ip()
    for _ in range(5):
        _sign_in(f"nobody-{uuid.uuid4().hex[:6]}", "wrong", ip)
    username = _organiser()

    client, page = _sign_in(username, PASSWORD, ip)

    assert "Too many failed sign-ins" in page
    assert not _signed_in(client)
    assert _signed_in(_sign_in(username, PASSWORD, _ip())[0])


def test_a_successful_sign_in_counts_nothing(throttle, clock):
    username, ip = _organiser(), _ip()
    for _ in range(5):
        client, _ = _sign_in(username, PASSWORD, ip)
        assert _signed_in(client)
