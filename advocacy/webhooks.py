"""Webhooks: organisations receive confirmed signatures and sent letters as signed POSTs.

Same reliability model as the e-mail outbox: a WebhookDelivery row is written in the
transaction of the event, the task is published on commit, a conditional UPDATE claims it,
failures retry with exponential backoff and jitter, a sweep re-publishes what was lost.

Receivers verify `X-Resolute-Signature: sha256=<hex>`, the HMAC-SHA256 of
`<X-Resolute-Timestamp>.<raw body>` under the webhook's secret, and should reject old
timestamps to stop replays.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import urllib.error
import urllib.request
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
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise WebhookUrlError("The URL must be an absolute https:// URL.")
    if parts.scheme == "http" and not settings.WEBHOOK_ALLOW_HTTP:
        raise WebhookUrlError("The URL must use https://.")
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookUrlError(f"The host {parts.hostname!r} cannot be resolved.") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise WebhookUrlError(f"The host {parts.hostname!r} is not a public address.")


def webhook_create(*, organisation: Organisation, url: str, events: list[str]) -> Webhook:
    webhook_url_check(url=url)
    return Webhook.objects.create(
        organisation=organisation, url=url, events=events, secret=secrets.token_hex(32)
    )


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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect could point into the private network after the URL check: never follow.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


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
    request = urllib.request.Request(  # noqa: S310  (scheme checked by webhook_url_check)
        delivery.webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Resolute-Webhooks/1",
            "X-Resolute-Event": delivery.event,
            "X-Resolute-Delivery": delivery.event_id,
            "X-Resolute-Timestamp": timestamp,
            "X-Resolute-Signature": signature_header(
                secret=delivery.webhook.secret, timestamp=timestamp, body=body
            ),
        },
    )
    status_code: int | None = None
    error = ""
    try:
        webhook_url_check(url=delivery.webhook.url)  # again: DNS may have changed
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            status_code = int(response.status)
    except urllib.error.HTTPError as exc:
        status_code, error = exc.code, f"HTTP {exc.code}"
    except (OSError, WebhookUrlError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
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
