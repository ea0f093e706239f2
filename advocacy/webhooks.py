"""Webhooks: organisations receive confirmed signatures and sent letters as signed POSTs.

Same reliability model as the e-mail outbox: a WebhookDelivery row is written in the
transaction of the event, the task is published on commit, a conditional UPDATE claims it,
failures retry with exponential backoff and jitter, a sweep re-publishes what was lost.

Receivers verify `X-Resolute-Signature: sha256=<hex>`, the HMAC-SHA256 of
`<X-Resolute-Timestamp>.<raw body>` under the webhook's secret, and should reject old
timestamps to stop replays.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import threading
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from advocacy.models import Webhook, WebhookDelivery, WebhookDeliveryStatus
from advocacy.outbox import retry_delay
from campaign.models import Organisation
from config.errors import DomainError

logger = logging.getLogger(__name__)

PENDING = WebhookDeliveryStatus.PENDING
DELIVERING = WebhookDeliveryStatus.DELIVERING


class WebhookUrlError(DomainError):
    code = "webhook_url_invalid"
    status = 400


def webhook_url_check(*, url: str) -> None:
    """Refuse URLs that would make Resolute a proxy into its own network (SSRF): plain HTTP
    and private, loopback or link-local addresses, unless the deployment allows them."""
    _target(url)


# IPv6 forms that carry an IPv4 address: NAT64 (64:ff9b::/96) reaches it through a gateway,
# 6to4 and IPv4-mapped addresses name it directly; `is_global` judges the IPv6 wrapper only.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return embedded.is_global
    return True


def _target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address) for a webhook URL: the one address a delivery connects
    to, resolved once and checked, so the name cannot resolve to a public address for the
    check and to a private one for the connection (DNS rebinding)."""
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise WebhookUrlError("The URL must be an absolute https:// URL.")
    if parts.scheme == "http" and not settings.WEBHOOK_ALLOW_HTTP:
        raise WebhookUrlError("The URL must use https://.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise WebhookUrlError(f"The host {parts.hostname!r} cannot be resolved.") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise WebhookUrlError(f"The host {parts.hostname!r} cannot be resolved.")
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        for address in addresses:
            if not _is_public(ipaddress.ip_address(address)):
                raise WebhookUrlError(f"The host {parts.hostname!r} is not a public address.")
    return parts.scheme, parts.hostname, port, addresses[0]


def _new_secret() -> str:
    return secrets.token_hex(32)


def webhook_create(*, organisation: Organisation, url: str, events: list[str]) -> Webhook:
    webhook_url_check(url=url)
    return Webhook.objects.create(
        organisation=organisation, url=url, events=events, secret=_new_secret()
    )


def webhook_secret_rotate(*, webhook: Webhook) -> Webhook:
    """Replace the signing secret (a lost or leaked one). Deliveries read the secret when
    they are sent (webhook_delivery_send), so those still queued go out under the new one."""
    webhook.secret = _new_secret()
    webhook.save(update_fields=["secret"])
    return webhook


def webhook_event_emit(
    *, organisation_id: int, event: str, event_id: str, data: dict[str, Any]
) -> int:
    """Queue `event` for every active webhook of the organisation that subscribed to it.
    Call inside the transaction of the event. The same event_id is queued once per webhook."""
    webhooks = [
        webhook
        for webhook in Webhook.objects.filter(organisation_id=organisation_id, active=True)
        if event in webhook.events
    ]
    if not webhooks:
        return 0
    now = timezone.now()
    payload = {"event": event, "id": event_id, "occurred_at": now.isoformat(), "data": data}
    created = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                webhook=webhook, event=event, event_id=event_id, payload=payload, not_before=now
            )
            for webhook in webhooks
        ],
        ignore_conflicts=True,
    )
    ids = list(
        WebhookDelivery.objects.filter(
            webhook__in=webhooks, event_id=event_id, status=PENDING
        ).values_list("id", flat=True)
    )
    transaction.on_commit(lambda: _publish(ids))
    return len(created)


def _publish(delivery_ids: list[int]) -> None:
    from advocacy.tasks import webhook_delivery_send_task

    for delivery_id in delivery_ids:
        try:
            webhook_delivery_send_task.apply_async(args=(delivery_id,), retry=False)
        except Exception as exc:  # the sweep will publish it
            logger.warning(
                "broker unavailable, webhook delivery %s left for the sweep: %s", delivery_id, exc
            )


def signature_header(*, secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


class _Pinned:
    """An HTTP(S) connection to one checked address (TLS still verifies the URL's host name)
    that gives up after a total deadline, however slowly the other side drips its answer: a
    socket timeout bounds each read, not the whole exchange. No proxy, no redirect: what
    http.client does not do by itself."""

    def __init__(self, *, address: str, port: int, seconds: float) -> None:
        self.address, self.port, self.seconds = address, port, seconds
        self.raw: socket.socket | None = None
        self.watchdog: threading.Timer | None = None

    def open(self, timeout: float | None) -> socket.socket:
        self.raw = socket.create_connection((self.address, self.port), timeout)
        self.watchdog = threading.Timer(self.seconds, self.expire)
        self.watchdog.daemon = True
        self.watchdog.start()
        return self.raw

    def expire(self) -> None:
        if self.raw is not None:
            with contextlib.suppress(OSError):  # already closed
                self.raw.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, pin: _Pinned, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pin = pin

    def connect(self) -> None:
        self.sock = self.pin.open(self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, pin: _Pinned, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.pin = pin

    def connect(self) -> None:
        raw = self.pin.open(self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def _post(url: str, *, body: bytes, headers: dict[str, str]) -> int:
    """POST to the webhook's URL; its HTTP status, or OSError / HTTPException /
    WebhookUrlError. Never longer than WEBHOOK_TIMEOUT_SECONDS in all."""
    scheme, host, port, address = _target(url)  # again at each delivery: DNS may change
    seconds = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    pin = _Pinned(address=address, port=port, seconds=seconds)
    connection_class = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = connection_class(host, port, pin=pin, timeout=seconds)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(_RESPONSE_READ_LIMIT)  # the answer is not used: a little, never more
        return int(response.status)
    finally:
        pin.cancel()
        connection.close()


_RESPONSE_READ_LIMIT = 64 * 1024


def webhook_delivery_send(*, delivery_id: int) -> float | None:
    """Deliver one row. Returns the retry delay when it should be tried again, else None.
    Idempotent: a row not pending-and-due is left alone."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=PENDING, not_before__lte=now
    ).update(status=DELIVERING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    body = json.dumps(delivery.payload, cls=DjangoJSONEncoder, sort_keys=True).encode()
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Resolute-Webhooks/1",
        "X-Resolute-Event": delivery.event,
        "X-Resolute-Delivery": delivery.event_id,
        "X-Resolute-Timestamp": timestamp,
        "X-Resolute-Signature": signature_header(
            secret=delivery.webhook.secret, timestamp=timestamp, body=body
        ),
    }
    status_code: int | None = None
    error = ""
    try:
        status_code = _post(delivery.webhook.url, body=body, headers=headers)
    except WebhookUrlError as exc:
        error = exc.message[:500]
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # The kind of failure only: the detail (a TLS alert, a reset) would tell an organiser
        # reading the deliveries what answers on an address they do not control.
        error = f"Could not deliver ({type(exc).__name__})."
    if status_code is not None and 200 <= status_code < 300:
        WebhookDelivery.objects.filter(pk=delivery_id, status=DELIVERING).update(
            status=WebhookDeliveryStatus.DELIVERED,
            delivered_at=timezone.now(),
            response_status=status_code,
            last_error="",
        )
        return None
    error = error or f"HTTP {status_code}"
    if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        WebhookDelivery.objects.filter(pk=delivery_id, status=DELIVERING).update(
            status=WebhookDeliveryStatus.FAILED, response_status=status_code, last_error=error
        )
        logger.warning("webhook delivery %s failed for good: %s", delivery_id, error)
        return None
    delay = retry_delay(delivery.attempts)
    WebhookDelivery.objects.filter(pk=delivery_id, status=DELIVERING).update(
        status=PENDING,
        not_before=timezone.now() + timedelta(seconds=delay),
        response_status=status_code,
        last_error=error,
    )
    return delay


def webhook_delivery_sweep() -> int:
    """Re-publish due pending deliveries and reclaim ones a dead worker left delivering."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_STALE_SENDING_SECONDS)
    WebhookDelivery.objects.filter(status=DELIVERING, claimed_at__lt=stale).update(
        status=PENDING, not_before=now
    )
    ids = list(
        WebhookDelivery.objects.filter(status=PENDING, not_before__lte=now).values_list(
            "id", flat=True
        )[:5000]
    )
    _publish(ids)
    return len(ids)
