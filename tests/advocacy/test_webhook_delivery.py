"""A webhook delivery connects to the one address it checked, and gives up after a total
deadline; addresses that wrap a private IPv4 one are refused like it."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest

from advocacy.models import Webhook, WebhookDelivery, WebhookDeliveryStatus
from advocacy.webhooks import (
    WebhookUrlError,
    webhook_delivery_send,
    webhook_event_emit,
    webhook_url_check,
)
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _delivery(url: str) -> WebhookDelivery:
    organisation = OrganisationFactory()
    Webhook.objects.create(organisation=organisation, url=url, secret="s" * 64)
    webhook_event_emit(
        organisation_id=organisation.pk, event="signature.confirmed", event_id="e-1", data={}
    )
    return WebhookDelivery.objects.get()


def _resolving(monkeypatch: Any, answers: list[str]) -> list[str]:
    """getaddrinfo answering `answers` in turn (the last one from then on); returns the log
    of names asked for."""
    asked: list[str] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        asked.append(host)
        address = answers[min(len(asked), len(answers)) - 1]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_delivery_connects_to_the_address_it_checked_not_to_a_second_answer(
    settings, monkeypatch
):
    # DNS rebinding: a public answer for the check, a private one a moment later. The name is
    # resolved once per delivery and the connection goes to the address that was checked.
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    asked = _resolving(monkeypatch, ["93.184.216.34", "127.0.0.1"])
    delivery = _delivery("https://hooks.example.org/in")
    connected: list[Any] = []

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        connected.append(address)
        raise ConnectionRefusedError("not on this machine")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    webhook_delivery_send(delivery_id=delivery.pk)

    assert asked == ["hooks.example.org"]
    assert connected == [("93.184.216.34", 443)]  # the address, never the name again
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.PENDING
    # The kind of failure only: no detail about what answers there.
    assert delivery.last_error == "Could not deliver (ConnectionRefusedError)."

    # The next attempt gets the private answer: refused before any connection.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(not_before=delivery.created_at)
    webhook_delivery_send(delivery_id=delivery.pk)
    assert connected == [("93.184.216.34", 443)]
    delivery.refresh_from_db()
    assert "not a public address" in delivery.last_error


@pytest.mark.parametrize(
    "address",
    ["::ffff:127.0.0.1", "::ffff:10.1.2.3", "2002:0a00:0001::1", "64:ff9b::c0a8:0101"],
)
def test_ipv6_addresses_wrapping_a_private_ipv4_one_are_refused(settings, monkeypatch, address):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    _resolving(monkeypatch, [address])
    with pytest.raises(WebhookUrlError):
        webhook_url_check(url="https://hooks.example.org/in")


def test_a_receiver_dripping_its_answer_is_given_up_on_at_the_deadline(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def drip() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            for byte in b"HTTP/1.1 204 No Content\r\n\r\n":
                if stop.wait(0.3):  # one byte every 0.3 s: each read well within 1 s
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    delivery = _delivery(f"http://127.0.0.1:{server.getsockname()[1]}/in")
    started = time.monotonic()
    try:
        webhook_delivery_send(delivery_id=delivery.pk)
    finally:
        stop.set()
        server.close()
    elapsed = time.monotonic() - started

    assert elapsed < 3  # the whole answer would take 8 s
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.PENDING
    assert delivery.last_error.startswith("Could not deliver")
