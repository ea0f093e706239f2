"""Celery entry points: they receive ids, call a service, and own the retry policy."""

from __future__ import annotations

import logging

from celery import shared_task

from advocacy.outbox import (
    outbound_email_dispatch,
    outbound_email_send_many,
    outbound_email_sweep,
)

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def outbound_email_send_many_task(email_ids: list[int]) -> dict[str, int]:
    """Deliver outbox rows. Safe to run twice for the same ids: the claim is atomic.

    Transient failures were already written back to the row with their backoff; the retry is
    re-published here with that countdown, and the sweep re-publishes it anyway if this
    message is lost."""
    outcomes = outbound_email_send_many(email_ids=email_ids)
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
        if outcome.result == "retry" and outcome.retry_in is not None:
            try:
                outbound_email_send_many_task.apply_async(
                    args=([outcome.email_id],), countdown=outcome.retry_in, retry=False
                )
            except Exception as exc:
                logger.warning("could not schedule retry of %s: %s", outcome.email_id, exc)
    return counts


@shared_task(acks_late=True, ignore_result=True)
def outbound_email_sweep_task() -> dict[str, int]:
    """Re-publish due rows whose message was lost; reclaim rows of dead workers."""
    result = outbound_email_sweep()
    return {"reclaimed": result.reclaimed, "published": result.published}


@shared_task(acks_late=True, ignore_result=True)
def outbound_email_dispatch_task() -> dict[str, int]:
    """Claim due outbox rows in batches and send them (OUTBOX_PUBLISH_ON_COMMIT=false; beat
    runs it every OUTBOX_DISPATCH_INTERVAL_SECONDS). Safe to run concurrently and repeatedly:
    each run claims disjoint rows, and an idle run costs one indexed query."""
    result = outbound_email_dispatch()
    return {"sent": result.sent, "retried": result.retried, "failed": result.failed}


# --- Petitions ------------------------------------------------------------------------------


@shared_task(acks_late=True, ignore_result=True)
def signature_unconfirmed_purge_task() -> int:
    """Delete unconfirmed signatures past SIGNATURE_UNCONFIRMED_RETENTION_DAYS and unconfirmed
    letter requests past LETTER_UNCONFIRMED_RETENTION_DAYS (the beat entry keeps its name).
    Idempotent."""
    from advocacy.letters import letter_request_unconfirmed_purge
    from advocacy.signatures import signature_unconfirmed_purge

    return signature_unconfirmed_purge() + letter_request_unconfirmed_purge()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def webhook_delivery_send_task(delivery_id: int) -> None:
    """POST one webhook delivery; on failure re-publish with the row's backoff. Idempotent."""
    from advocacy.webhooks import webhook_delivery_send

    retry_in = webhook_delivery_send(delivery_id=delivery_id)
    if retry_in is not None:
        try:
            webhook_delivery_send_task.apply_async(
                args=(delivery_id,), countdown=retry_in, retry=False
            )
        except Exception as exc:  # the sweep re-publishes it
            logger.warning("could not schedule webhook retry %s: %s", delivery_id, exc)


@shared_task(acks_late=True, ignore_result=True)
def webhook_delivery_sweep_task() -> int:
    from advocacy.webhooks import webhook_delivery_sweep

    return webhook_delivery_sweep()
