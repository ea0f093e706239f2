"""The outbox: how every e-mail leaves Resolute.

1. `outbound_email_create` writes the row inside the caller's transaction and publishes the
   row id to the broker on commit (never before: a worker must not see an uncommitted row).
2. `outbound_email_send_many` claims rows (queued → sending, a conditional UPDATE under
   SKIP LOCKED), commits, sends them over one SMTP connection, and records each outcome.
   Transient failures go back to `queued` with an exponential, jittered `not_before`;
   permanent ones end `failed` with the server's reply.
3. `outbound_email_sweep` (Celery beat) re-publishes rows whose broker message was lost and
   hands rows stranded in `sending` by a dead worker back to `queued`.

The broker is only a doorbell. A lost message costs latency, never a mail; a duplicate
message costs one no-op claim, never a second mail.
"""

from __future__ import annotations

import contextlib
import logging
import random
import smtplib
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from advocacy.models import EmailKind, Letter, LetterStatus, OutboundEmail, OutboundEmailStatus
from campaign.models import Campaign, Organisation
from config.errors import DomainError

logger = logging.getLogger(__name__)

QUEUED = OutboundEmailStatus.QUEUED
SENDING = OutboundEmailStatus.SENDING


class HeaderInjectionError(DomainError):
    code = "header_injection"
    status = 400


def _check_header_value(name: str, value: str) -> None:
    # Django refuses newlines in headers too, but only at send time, in the worker. Refusing
    # them here keeps a poisoned row out of the outbox and tells the caller which field.
    if any(ch in value for ch in ("\r", "\n", "\x00", "\u2028", "\u2029", "\x85")):
        raise HeaderInjectionError(
            f"The {name} header may not contain line breaks.", fields={name: ["Line break."]}
        )


def _message_id_domain() -> str:
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return address.rpartition("@")[2] or "resolute.invalid"


def new_message_id() -> str:
    return f"<{uuid.uuid4().hex}@{_message_id_domain()}>"


def outbound_email_create(
    *,
    kind: str,
    recipient: str,
    subject: str,
    body_text: str,
    sender: str | None = None,
    reply_to: str = "",
    body_html: str = "",
    headers: dict[str, str] | None = None,
    not_before: datetime | None = None,
    organisation: Organisation | None = None,
    campaign: Campaign | None = None,
    publish: bool = True,
) -> OutboundEmail:
    """Write one outbox row. Call inside the transaction of the action that caused the mail:
    the row commits or rolls back with it. The send task is published on commit; a row whose
    `not_before` lies in the future is published by the sweep once due."""
    headers = dict(headers or {})
    sender = sender or settings.DEFAULT_FROM_EMAIL
    for name, value in (
        ("To", recipient),
        ("From", sender),
        ("Reply-To", reply_to),
        ("Subject", subject),
        *headers.items(),
    ):
        _check_header_value(name, value)
    now = timezone.now()
    email = OutboundEmail.objects.create(
        kind=kind,
        recipient=recipient,
        sender=sender,
        reply_to=reply_to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        headers=headers,
        message_id=new_message_id(),
        not_before=not_before or now,
        organisation=organisation,
        campaign=campaign,
    )
    if publish and email.not_before <= now:
        email_id = email.pk
        transaction.on_commit(lambda: publish_send([email_id]))
    return email


def publish_send(email_ids: Sequence[int]) -> None:
    """Ring the doorbell. Never raises: when the broker is down the rows wait for the sweep,
    and the web request that wrote them still succeeds."""
    from advocacy.tasks import outbound_email_send_many_task

    try:
        outbound_email_send_many_task.apply_async(args=(list(email_ids),), retry=False)
    except Exception as exc:  # kombu/redis raise many types; all mean "not published"
        logger.warning(
            "broker unavailable, %d outbox row(s) left for the sweep: %s", len(email_ids), exc
        )


# --- Sending --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendOutcome:
    email_id: int
    result: str  # "sent" | "retry" | "failed" | "skipped"
    retry_in: float | None = None
    detail: str = ""


def _is_permanent(exc: BaseException) -> bool:
    """SMTP 5xx replies are permanent; 4xx, 421, timeouts and disconnects are transient."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    # Disconnects, timeouts, refused connections and other SMTP trouble are transient.
    # Anything else (a malformed message, a bug) will fail the same way every time.
    return not isinstance(exc, OSError | smtplib.SMTPException | socket.timeout)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{rcpt}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for rcpt, (code, msg) in exc.recipients.items()
        )[:2000]
    if isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error
        text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        return f"{exc.smtp_code} {text}"[:2000]
    return f"{type(exc).__name__}: {exc}"[:2000]


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter: base·2^(n-1), capped, then drawn from [½d, d] so that
    a burst of failures does not retry in lockstep."""
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    delay = min(settings.OUTBOX_RETRY_MAX_SECONDS, base * 2 ** max(0, attempts - 1))
    return random.uniform(delay / 2, delay)  # noqa: S311  (jitter, not security)


def _build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    headers: dict[str, Any] = {"Message-ID": email.message_id, **email.headers}
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.sender,
        to=[email.recipient],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers=headers,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message


def _claim(email_ids: Iterable[int]) -> list[OutboundEmail]:
    """Move due rows queued → sending. SKIP LOCKED lets two workers holding the same ids
    split them instead of waiting; the status filter makes a repeat claim a no-op."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(id__in=list(email_ids), status=QUEUED, not_before__lte=now)
            .order_by("id")
        )
        if rows:
            OutboundEmail.objects.filter(id__in=[row.pk for row in rows]).update(
                status=SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
    for row in rows:
        row.status = SENDING
        row.claimed_at = now
        row.attempts += 1
    return rows


def _record_sent(email: OutboundEmail) -> None:
    now = timezone.now()
    updated = OutboundEmail.objects.filter(
        pk=email.pk, status=SENDING, claimed_at=email.claimed_at
    ).update(status=OutboundEmailStatus.SENT, sent_at=now, last_error="")
    if updated and email.kind == EmailKind.LETTER:
        Letter.objects.filter(outbound_email_id=email.pk).update(status=LetterStatus.SENT)


def _record_failure(email: OutboundEmail, exc: BaseException) -> SendOutcome:
    detail = _describe(exc)
    if _is_permanent(exc) or email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        reason = detail if _is_permanent(exc) else f"gave up after {email.attempts}: {detail}"
        updated = OutboundEmail.objects.filter(
            pk=email.pk, status=SENDING, claimed_at=email.claimed_at
        ).update(status=OutboundEmailStatus.FAILED, last_error=reason)
        if updated and email.kind == EmailKind.LETTER:
            Letter.objects.filter(outbound_email_id=email.pk).update(
                status=LetterStatus.FAILED, status_reason=reason[:300]
            )
        logger.warning("outbox %s failed permanently: %s", email.pk, reason)
        return SendOutcome(email.pk, "failed", detail=reason)
    delay = retry_delay(email.attempts)
    OutboundEmail.objects.filter(pk=email.pk, status=SENDING, claimed_at=email.claimed_at).update(
        status=QUEUED,
        not_before=timezone.now() + timedelta(seconds=delay),
        last_error=detail,
    )
    logger.info(
        "outbox %s attempt %s failed, retry in %.0fs: %s", email.pk, email.attempts, delay, detail
    )
    return SendOutcome(email.pk, "retry", retry_in=delay, detail=detail)


def outbound_email_send_many(*, email_ids: Sequence[int]) -> list[SendOutcome]:
    """Deliver these outbox rows, one SMTP connection for all. Idempotent: rows not queued and
    due (already sent, being sent by another worker, scheduled later) are skipped. Holds no
    transaction across network I/O: claim, commit, send, record."""
    rows = _claim(email_ids)
    claimed_ids = {row.pk for row in rows}
    outcomes = [SendOutcome(i, "skipped") for i in email_ids if i not in claimed_ids]
    if not rows:
        return outcomes
    connection = mailers.default
    try:
        for email in rows:
            try:
                connection.send_messages([_build_message(email)])
            except Exception as exc:
                outcomes.append(_record_failure(email, exc))
                # The session may be unusable after an error: start the next one afresh.
                with contextlib.suppress(Exception):  # already broken; nothing to tell
                    connection.close()
            else:
                _record_sent(email)
                outcomes.append(SendOutcome(email.pk, "sent"))
    finally:
        try:
            connection.close()
        except Exception as exc:
            logger.info("closing the SMTP connection failed: %s", exc)
    return outcomes


# --- Sweep ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    reclaimed: int
    published: int


def outbound_email_sweep(*, limit: int = 10_000) -> SweepResult:
    """Safety net, run by beat. Hands back rows stranded in `sending` (their worker died before
    recording an outcome) and re-publishes due `queued` rows whose message was lost or which
    were scheduled for later. Safe to run at any time, any number of times."""
    now = timezone.now()
    stale_sending = now - timedelta(seconds=settings.OUTBOX_STALE_SENDING_SECONDS)
    stranded = OutboundEmail.objects.filter(status=SENDING, claimed_at__lt=stale_sending)
    stranded_ids = list(stranded.values_list("id", flat=True)[:limit])
    # Same filter again in the UPDATE: a row its worker finished meanwhile stays as it is.
    reclaimed = stranded.filter(id__in=stranded_ids).update(status=QUEUED, not_before=now)
    stale_queued = now - timedelta(seconds=settings.OUTBOX_STALE_QUEUED_SECONDS)
    due_ids = list(
        OutboundEmail.objects.filter(status=QUEUED, not_before__lte=now)
        .filter(
            # Published on commit but never claimed: the message was lost.
            Q(created_at__lte=stale_queued)
            # Scheduled later (pacing, retry, or just reclaimed): nobody published it when due.
            | Q(not_before__gt=F("created_at") + timedelta(seconds=1))
        )
        .order_by("not_before")
        .values_list("id", flat=True)[:limit]
    )
    due_ids = list(dict.fromkeys([*stranded_ids, *due_ids]))
    batch = settings.OUTBOX_BATCH_SIZE
    for start in range(0, len(due_ids), batch):
        publish_send(due_ids[start : start + batch])
    if reclaimed or due_ids:
        logger.info(
            "outbox sweep: %d reclaimed from dead workers, %d re-published", reclaimed, len(due_ids)
        )
    return SweepResult(reclaimed=reclaimed, published=len(due_ids))
