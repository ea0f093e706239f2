"""The outbox: how every e-mail leaves Resolute.

1. `outbound_email_create` writes the row inside the caller's transaction and publishes the
   row id to the broker on commit (never before: a worker must not see an uncommitted row).
2. `outbound_email_send_many` claims rows (queued → sending, a conditional UPDATE under
   SKIP LOCKED), commits, sends them over one SMTP connection, and records each outcome.
   Transient failures go back to `queued` with an exponential, jittered `not_before`;
   permanent ones end `failed` with the server's reply.
3. `outbound_email_sweep` (Celery beat) re-publishes rows whose broker message was lost and
   hands rows stranded in `sending` by a dead worker back to `queued`.

With OUTBOX_PUBLISH_ON_COMMIT=false nothing is published per row: `outbound_email_dispatch`
(beat, every OUTBOX_DISPATCH_INTERVAL_SECONDS) claims due rows in batches with the same
conditional claim and sends them. A web request then pays no broker round trip at all (about
a quarter of a signing request's CPU), and a burst of rows leaves in batches of
OUTBOX_BATCH_SIZE over one SMTP connection each, instead of one connection per mail.

The broker is only a doorbell. A lost message costs latency, never a mail; a duplicate
message costs one no-op claim, never a second mail.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import random
import select
import smtplib
import socket
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any, ClassVar, Required, TypedDict, Unpack

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from advocacy.mime import OutboxMessage
from advocacy.models import EmailKind, Letter, LetterStatus, OutboundEmail, OutboundEmailStatus
from campaign.models import Campaign, Organisation
from campaign.validators import HEADER_UNSAFE_CHARACTERS
from config.errors import DomainError
from config.log_redaction import redact_addresses
from config.rows import rows_insert, rows_insert_alike

logger = logging.getLogger(__name__)

QUEUED = OutboundEmailStatus.QUEUED
SENDING = OutboundEmailStatus.SENDING


class HeaderInjectionError(DomainError):
    code = "header_injection"
    status = 400


def _check_header_value(name: str, value: str) -> None:
    # Django and advocacy.mime refuse line breaks in headers too, but only at send time, in
    # the worker, where nobody learns which field it was. Refusing every line boundary (the
    # compat32 folding splits on \x1c, \x1d and \x1e as well) and every control character
    # here keeps a poisoned row out of the outbox and tells the caller which header.
    if HEADER_UNSAFE_CHARACTERS.search(value):
        raise HeaderInjectionError(
            f"The {name} header may not contain line breaks or control characters.",
            fields={name: ["Line break or control character."]},
        )


@functools.lru_cache(maxsize=4)
def _domain_of(address: str) -> str:
    _, addr = parseaddr(address)
    return addr.rpartition("@")[2] or "resolute.invalid"


def _message_id_domain() -> str:
    return _domain_of(settings.DEFAULT_FROM_EMAIL)


def new_message_id() -> str:
    return f"<{uuid.uuid4().hex}@{_message_id_domain()}>"


def outbound_email_build(
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
) -> OutboundEmail:
    """One outbox row, checked (no line break in any header) but not saved: hand it, with
    others, to `outbound_emails_save`."""
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
    return OutboundEmail(
        kind=kind,
        recipient=recipient,
        sender=sender,
        reply_to=reply_to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        headers=headers,
        message_id=new_message_id(),
        not_before=not_before or timezone.now(),
        organisation=organisation,
        campaign=campaign,
    )


def outbound_emails_save(emails: Sequence[OutboundEmail], *, publish: bool = True) -> None:
    """Write built outbox rows in one INSERT. Call inside the transaction of the action that
    caused the mails: the rows commit or roll back with it. The send tasks of rows due now are
    published on commit; a row whose `not_before` lies in the future is published by the sweep
    once due. With OUTBOX_PUBLISH_ON_COMMIT off, nothing is published: the dispatcher finds
    the rows."""
    if not emails:
        return
    now = timezone.now()
    rows_insert(emails)  # bulk_create's rows, without compiling its INSERT
    if publish and settings.OUTBOX_PUBLISH_ON_COMMIT:
        due = [email.pk for email in emails if email.not_before <= now]
        if due:
            transaction.on_commit(lambda: publish_send(due))


class OutboundEmailFields(TypedDict, total=False):
    """The keyword arguments of `outbound_email_build`."""

    kind: Required[str]
    recipient: Required[str]
    subject: Required[str]
    body_text: Required[str]
    sender: str | None
    reply_to: str
    body_html: str
    headers: dict[str, str] | None
    not_before: datetime | None
    organisation: Organisation | None
    campaign: Campaign | None


def outbound_email_create(
    *, publish: bool = True, **fields: Unpack[OutboundEmailFields]
) -> OutboundEmail:
    """Write one outbox row (see `outbound_email_build` for the fields and
    `outbound_emails_save` for when it is sent)."""
    email = outbound_email_build(**fields)
    outbound_emails_save([email], publish=publish)
    return email


class OutboundEmailVariant(TypedDict, total=False):
    """What may differ between the rows `outbound_emails_write_alike` writes."""

    recipient: str
    subject: str
    body_text: str
    headers: dict[str, str]
    not_before: datetime


def outbound_emails_alike(
    *, common: OutboundEmailFields, variants: Sequence[OutboundEmailVariant]
) -> tuple[OutboundEmail, dict[str, list[Any]]]:
    """The rows `outbound_emails_write_alike` writes, not written: the unsaved prototype (the
    fields of `common`, as `outbound_email_build` checks them) and, for each field some
    variant sets, one value per variant — the prototype's where a variant leaves it out —
    plus a Message-ID of each row's own. Every variant's headers are checked as well (no
    line break). For a caller that writes the rows in a statement of its own."""
    prototype = outbound_email_build(**common)
    for variant in variants:
        for name, value in (
            ("To", variant.get("recipient")),
            ("Subject", variant.get("subject")),
            *variant.get("headers", {}).items(),
        ):
            if value is not None:
                _check_header_value(name, value)
    names = sorted({name for variant in variants for name in variant})
    varying: dict[str, list[Any]] = {
        name: [variant.get(name, getattr(prototype, name)) for variant in variants]
        for name in names
    }
    varying["message_id"] = [new_message_id() for _ in variants]
    return prototype, varying


def outbound_emails_publish_due(
    email_ids: Sequence[int], due_times: Sequence[datetime], *, now: datetime
) -> None:
    """Publish, on commit, the rows among `email_ids` due by `now` (their `not_before`, in
    the same order) when OUTBOX_PUBLISH_ON_COMMIT is on; otherwise the dispatcher finds them."""
    if not settings.OUTBOX_PUBLISH_ON_COMMIT:
        return
    due = [pk for pk, when in zip(email_ids, due_times, strict=True) if when <= now]
    if due:
        transaction.on_commit(lambda: publish_send(due))


def outbound_emails_write_alike(
    *,
    common: OutboundEmailFields,
    variants: Sequence[OutboundEmailVariant],
    publish: bool = True,
) -> list[int]:
    """Write one outbox row per entry of `variants`: the fields of `common` (as for
    `outbound_email_build`) with the entry's own recipient, subject, body, headers or due
    time, and a Message-ID of its own. The same checks as `outbound_email_build` (no line
    break in any header), one INSERT (`config.rows.rows_insert_alike`), the same publishing as
    `outbound_emails_save`. Returns the rows' ids, in order. Call inside the transaction of
    the action that caused the mails."""
    if not variants:
        return []
    prototype, varying = outbound_emails_alike(common=common, variants=variants)
    now = timezone.now()
    ids = rows_insert_alike(prototype, varying)
    if publish:
        due_times = varying.get("not_before", [prototype.not_before] * len(ids))
        outbound_emails_publish_due(ids, due_times, now=now)
    return ids


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
    if isinstance(exc, SoftTimeLimitExceeded):
        # The task ran out of time (a slow server, a long batch): nothing is wrong with the
        # mail. Without this it fell through to "anything else" below and failed for good.
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    # Disconnects, timeouts, refused connections and other SMTP trouble are transient.
    # Anything else (a malformed message, a bug) will fail the same way every time.
    return not isinstance(exc, OSError | smtplib.SMTPException | socket.timeout)


def _describe(exc: BaseException) -> str:
    """The failure as logged and kept in `last_error`, without the local part of any address
    (a relay's reply quotes the address it refused): logs outlive an erasure."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        text = "; ".join(
            f"{rcpt}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for rcpt, (code, msg) in exc.recipients.items()
        )
    elif isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error
        reply = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        text = f"{exc.smtp_code} {reply}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return redact_addresses(text[:4000])[:2000]


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter: base·2^(n-1), capped, then drawn from [½d, d] so that
    a burst of failures does not retry in lockstep."""
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    delay = min(settings.OUTBOX_RETRY_MAX_SECONDS, base * 2 ** max(0, attempts - 1))
    return random.uniform(delay / 2, delay)  # noqa: S311  (jitter, not security)


def _build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    headers: dict[str, Any] = {"Message-ID": email.message_id, **email.headers}
    message = OutboxMessage(
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


def _claim_walks_the_index() -> None:
    """Inside the claim's transaction: no sort in its plan, so PostgreSQL walks the queued
    rows' index in claim order and stops after `limit` entries.

    Why: the planner picks between that walk and fetching every due row, sorting and keeping
    `limit`, by its estimate of how many rows are queued. The estimate comes from the last
    ANALYZE — taken when nearly every row was sent, or never on a new database — and a burst
    is exactly when it is wrong: measured with 5,000 queued on a database autovacuum had not
    yet analysed, each claim of 50 read every due entry of the index, and more each time, as
    the entries of rows already claimed piled up (a bitmap scan cannot mark them dead). The
    walk reads what it returns. SET LOCAL ends with the outermost transaction (the dispatcher
    runs the claim in a transaction of its own; only plans are affected, never results)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_sort = off")


def _claim_due(limit: int) -> list[OutboundEmail]:
    """Claim up to `limit` due rows, oldest due first, queued → sending. Same gate as `_claim`:
    SKIP LOCKED lets concurrent dispatchers take disjoint batches, and the UPDATE inside the
    same transaction moves them out of `queued` before anyone else can see them there. Uses
    the partial index on queued rows in claim order (`not_before, id`), and says so to the
    planner: see `_claim_walks_the_index`."""
    now = timezone.now()
    with transaction.atomic():
        _claim_walks_the_index()
        rows = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(status=QUEUED, not_before__lte=now)
            .order_by("not_before", "id")[:limit]
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


# Once per mail, so written out: the ORM compiling this UPDATE cost more CPU than building the
# message. Same meaning as .filter(pk=, status=SENDING, claimed_at=).update(status=SENT, …).
_RECORD_SENT_SQL = (
    "UPDATE advocacy_outboundemail SET status = %s, sent_at = %s, last_error = ''"
    " WHERE id = %s AND status = %s AND claimed_at = %s"
)


@functools.cache
def _letter_sent_sql() -> str:
    """A delivered letter in one statement: the outbox row's "sent" mark (the same conditional
    UPDATE as `_RECORD_SENT_SQL`), its letter marked sent, and what the `letter.sent` webhook
    needs — the letter, its campaign and MEP, and whether the organisation has an active
    webhook at all. One round trip, and one transaction, where the ORM took four statements
    (a crash between them left a delivered letter showing "queued"). PostgreSQL runs both
    UPDATEs to completion whatever the SELECT returns."""
    from advocacy.models import Webhook
    from campaign.models import Mep

    outbox, letters = OutboundEmail._meta.db_table, Letter._meta.db_table
    campaigns, meps, webhooks = Campaign._meta.db_table, Mep._meta.db_table, Webhook._meta.db_table
    return (
        f'WITH sent AS (UPDATE "{outbox}" SET status = %s, sent_at = %s,'  # noqa: S608 (table names)
        " last_error = '' WHERE id = %s AND status = %s AND claimed_at = %s RETURNING id),"
        f' letter AS (UPDATE "{letters}" SET status = %s'
        " WHERE outbound_email_id IN (SELECT id FROM sent) RETURNING id, campaign_id, mep_id)"
        " SELECT letter.id, c.id, c.organisation_id, c.slug,"
        " m.ep_id, m.first_name, m.last_name, m.email,"
        f' EXISTS (SELECT 1 FROM "{webhooks}" w'
        " WHERE w.organisation_id = c.organisation_id AND w.active)"
        f' FROM letter JOIN "{campaigns}" c ON c.id = letter.campaign_id'
        f' JOIN "{meps}" m ON m.id = letter.mep_id'
        " ORDER BY letter.id LIMIT 1"
    )


@dataclass(frozen=True)
class _SentLetter:
    letter_id: int
    campaign_id: int
    organisation_id: int
    slug: str
    ep_id: int
    mep_name: str
    mep_email: str


def _numbered_placeholders(sql: str) -> bytes:
    """`sql` (written for a cursor, with %s) for libpq's own calls, which number them: $1, $2…"""
    parts = sql.split("%s")
    numbered = "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], start=1))
    return (numbered + parts[-1]).encode()


_NO_SUCH_PREPARED_STATEMENT = b"26000"  # SQLSTATE invalid_sql_statement_name


class _DeferredSentMark:
    """The "sent" mark of the mail just delivered, on its way to PostgreSQL while the next mail
    goes out.

    Why: a mail costs SMTP round trips (MAIL, RCPT, DATA, the message: four, or two when the
    relay takes them pipelined, advocacy/mime.py) and its mark one more; a worker waited for
    each mark's answer before starting the next mail, and on a busy machine that answer waits
    for the database backend to be scheduled. The mark is sent with
    libpq's asynchronous call, which outside pipeline mode ends the statement with its own
    Sync: the UPDATE commits on its own, exactly like the autocommit statement it replaces,
    whether or not its answer is read. A worker killed before reading it loses nothing the
    waiting mark would have kept.

    `finish()` reads the answer, and must run before anything else uses the connection; only
    the plain mark is deferred (a letter's mark returns what its webhook needs).

    The statement is prepared once per database connection (unless prepared statements are
    off, DATABASE_PREPARED_STATEMENTS): PostgreSQL then neither parses nor plans it for each
    mail, which halved its CPU per mark (0.22 -> 0.10 ms, docs/performance.md)."""

    _SQL = _numbered_placeholders(_RECORD_SENT_SQL)
    # Named after the statement's text, so a release that changes it prepares a new one.
    _NAME = b"resolute_sent_mark_" + hashlib.sha256(_SQL).hexdigest()[:16].encode()
    # Statement name -> the libpq connection it is prepared on (a connection replaced after
    # CONN_MAX_AGE or an error is a new object, and gets the statement prepared again).
    _prepared_on: ClassVar[dict[bytes, Any]] = {}  # one per process

    def __init__(self) -> None:
        self._pgconn: Any = None
        self._values: list[bytes] = []
        self._name: bytes | None = None  # the prepared statement the mark in flight runs

    def _prepared_name(self, pgconn: Any) -> bytes | None:
        """The name of this mark prepared on `pgconn`, preparing it if need be; None when
        prepared statements are off (a pooler that cannot keep them) or preparing failed (the
        mark then travels as before, and reports its own error)."""
        if connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
            return None
        from psycopg import pq

        name = self._NAME
        if self._prepared_on.get(name) is not pgconn:
            if pgconn.prepare(name, self._SQL).status != pq.ExecStatus.COMMAND_OK:
                return None
            self._prepared_on[name] = pgconn
        return name

    def start(self, email: OutboundEmail) -> bool:
        """Send `email`'s mark without waiting for the answer; False when it cannot be
        deferred (a letter, not PostgreSQL, inside a transaction) and the caller must mark
        it with `_record_sent`."""
        self.finish()
        if (
            email.kind == EmailKind.LETTER
            or connection.vendor != "postgresql"
            or connection.in_atomic_block
            or email.claimed_at is None
        ):
            return False
        params = [
            OutboundEmailStatus.SENT.value,
            timezone.now().isoformat(),
            str(email.pk),
            SENDING.value,
            email.claimed_at.isoformat(),
        ]
        with connection.wrap_database_errors:
            connection.ensure_connection()
            pgconn = connection.connection.pgconn
            self._send(pgconn, [value.encode() for value in params], self._prepared_name(pgconn))
        return True

    def _send(self, pgconn: Any, values: list[bytes], name: bytes | None) -> None:
        if name is None:
            pgconn.send_query_params(self._SQL, values)
        else:
            pgconn.send_query_prepared(name, values)
        self._pgconn, self._values, self._name = pgconn, values, name
        while pgconn.flush():  # a non-blocking connection may not have sent it all yet
            select.select([], [pgconn.socket], [])

    def finish(self) -> None:
        """Read the answer of the mark in flight, if any; raises DatabaseError if it failed.
        Interrupted (a soft time limit), it can be called again to read the rest."""
        pgconn = self._pgconn
        if pgconn is None:
            return
        from psycopg import pq

        failure, state = "", b""
        with connection.wrap_database_errors:
            while True:
                while pgconn.is_busy():
                    select.select([pgconn.socket], [], [])
                    pgconn.consume_input()
                result = pgconn.get_result()
                if result is None:
                    self._pgconn = None
                    break
                if result.status != pq.ExecStatus.COMMAND_OK and not failure:
                    failure = (result.error_message or b"").decode(errors="replace").strip()
                    state = result.error_field(pq.DiagnosticField.SQLSTATE) or b""
            if state == _NO_SUCH_PREPARED_STATEMENT and self._name is not None:
                # Gone: psycopg deallocates every prepared statement of a connection after a
                # ROLLBACK on it (a failed transaction, a savepoint rolled back), ours with its
                # own. Nothing was written; the mark is sent whole now, and prepared again on
                # the next mail.
                self._prepared_on.pop(self._name, None)
                self._send(pgconn, self._values, None)
                failure = ""
        if failure:
            raise DatabaseError(f"marking a mail sent failed: {failure}")
        if self._pgconn is not None:  # the mark sent again, whole
            self.finish()


def _record_sent(email: OutboundEmail) -> None:
    adapt = connection.ops.adapt_datetimefield_value  # the stored form (naive UTC on SQLite)
    params = [
        OutboundEmailStatus.SENT.value,
        adapt(timezone.now()),
        email.pk,
        SENDING.value,
        adapt(email.claimed_at),
    ]
    if email.kind == EmailKind.LETTER and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_letter_sent_sql(), [*params, LetterStatus.SENT.value])
            row = cursor.fetchone()  # None: not this worker's to mark, or no letter behind it
        if row is not None and row[-1]:  # … and only an organisation with a webhook hears of it
            letter_id, campaign_id, organisation_id, slug, ep_id, first, last, mep_email, _ = row
            name = f"{first} {last}"
            _webhook_letter_sent(
                email,
                _SentLetter(letter_id, campaign_id, organisation_id, slug, ep_id, name, mep_email),
            )
        return
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_SENT_SQL, params)
        updated = cursor.rowcount
    if updated and email.kind == EmailKind.LETTER:  # other databases: the ORM's statements
        Letter.objects.filter(outbound_email_id=email.pk).update(status=LetterStatus.SENT)
        letter = (
            Letter.objects.filter(outbound_email_id=email.pk)
            .select_related("mep", "campaign")
            .first()
        )
        if letter is not None:
            mep = letter.mep
            _webhook_letter_sent(
                email,
                _SentLetter(
                    letter.pk,
                    letter.campaign_id,
                    letter.campaign.organisation_id,
                    letter.campaign.slug,
                    mep.ep_id,
                    f"{mep.first_name} {mep.last_name}",
                    mep.email,
                ),
            )


def _webhook_letter_sent(email: OutboundEmail, letter: _SentLetter) -> None:
    from advocacy.webhooks import webhook_event_emit

    webhook_event_emit(
        organisation_id=letter.organisation_id,
        event="letter.sent",
        event_id=f"letter-{letter.letter_id}",
        data={
            "letter_id": letter.letter_id,
            "campaign": {"id": letter.campaign_id, "slug": letter.slug},
            "mep": {"ep_id": letter.ep_id, "name": letter.mep_name},
            "message_id": email.message_id,
            "sent_at": timezone.now().isoformat(),
            "test_mode": email.recipient != letter.mep_email,
        },
    )


def _relay() -> str:
    """The relay mail goes to, as SMTP_URL names it (no credentials): what an operator reading
    a failure at 3 a.m. checks first."""
    mailer: dict[str, Any] = settings.MAILERS.get("default", {})
    options: dict[str, Any] = mailer.get("OPTIONS", {})
    if "host" not in options:  # console:// and the like
        return str(mailer.get("BACKEND", "?")).rsplit(".", 2)[-2]
    return f"{options['host']}:{options.get('port', '')}"


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
        logger.warning(
            "outbox %s failed permanently: %s [%s to %s via %s]",
            email.pk,
            reason,
            email.kind,
            _domain_of(email.recipient),
            _relay(),
        )
        return SendOutcome(email.pk, "failed", detail=reason)
    delay = retry_delay(email.attempts)
    OutboundEmail.objects.filter(pk=email.pk, status=SENDING, claimed_at=email.claimed_at).update(
        status=QUEUED,
        not_before=timezone.now() + timedelta(seconds=delay),
        last_error=detail,
    )
    logger.info(
        "outbox %s attempt %s failed, retry in %.0fs: %s [%s to %s via %s]",
        email.pk,
        email.attempts,
        delay,
        detail,
        email.kind,
        _domain_of(email.recipient),
        _relay(),
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
    return outcomes + _send_claimed(rows)


def _claims_renewal_due(rows: Sequence[OutboundEmail]) -> bool:
    claimed_at = rows[0].claimed_at if rows else None
    renew_after = timedelta(seconds=settings.OUTBOX_STALE_SENDING_SECONDS / 3)
    return claimed_at is not None and timezone.now() - claimed_at >= renew_after


def _claims_renew(
    rows: list[OutboundEmail],
) -> tuple[list[OutboundEmail], list[OutboundEmail]]:
    """Keep this worker's claim on the rows it has still to send; return (kept, lost).

    Why: the sweep hands rows left in `sending` longer than OUTBOX_STALE_SENDING_SECONDS back
    to `queued`, and `claimed_at` is stamped once per batch. A batch that outlives that limit
    (a slow server, a long batch) would have its tail handed to another worker while it is
    still in this one's list, and both would send it. Renewing the claim of the unsent rows
    once a third of the limit has passed closes that; a row already handed back is dropped,
    because another worker owns it now. Costs one UPDATE per third of the limit, not per mail.
    """
    if not _claims_renewal_due(rows):
        return rows, []
    now = timezone.now()
    claimed_at = rows[0].claimed_at
    with transaction.atomic():
        kept_ids = set(
            OutboundEmail.objects.select_for_update()
            .filter(id__in=[row.pk for row in rows], status=SENDING, claimed_at=claimed_at)
            .values_list("id", flat=True)
        )
        OutboundEmail.objects.filter(id__in=kept_ids).update(claimed_at=now)
    for row in rows:
        if row.pk in kept_ids:
            row.claimed_at = now
    return [r for r in rows if r.pk in kept_ids], [r for r in rows if r.pk not in kept_ids]


def _claims_release(rows: Sequence[OutboundEmail]) -> list[SendOutcome]:
    """Hand claimed rows that were never tried back to `queued`, due now, with the attempt
    their claim counted taken back."""
    outcomes: list[SendOutcome] = []
    for row in rows:
        released = OutboundEmail.objects.filter(
            pk=row.pk, status=SENDING, claimed_at=row.claimed_at
        ).update(status=QUEUED, not_before=timezone.now(), attempts=F("attempts") - 1)
        outcomes.append(
            SendOutcome(row.pk, "retry", retry_in=0) if released else SendOutcome(row.pk, "skipped")
        )
    return outcomes


def _send_claimed(rows: Sequence[OutboundEmail]) -> list[SendOutcome]:
    """Send rows this process has claimed over one SMTP connection and record each outcome."""
    outcomes: list[SendOutcome] = []
    connection = mailers.default
    pending = list(rows)
    mark = _DeferredSentMark()
    try:
        while pending:
            if _claims_renewal_due(pending):
                mark.finish()  # the renewal needs the database connection
            pending, lost = _claims_renew(pending)
            outcomes.extend(SendOutcome(row.pk, "skipped") for row in lost)
            if not pending:
                break
            email = pending.pop(0)
            try:
                # Opened here, not by send_messages: a backend that opens the connection
                # itself closes it after that one message (a new SMTP session, with its
                # round trips, per mail). After an error this reopens it.
                connection.open()
                connection.send_messages([_build_message(email)])
            except SoftTimeLimitExceeded as exc:
                # The hard limit kills this process soon: retry this row, hand the unsent rest
                # back now instead of leaving it stranded in `sending` until the sweep.
                mark.finish()
                outcomes.append(_record_failure(email, exc))
                outcomes.extend(_claims_release(pending))
                break
            except Exception as exc:
                mark.finish()
                outcomes.append(_record_failure(email, exc))
                # The session may be unusable after an error: start the next one afresh.
                with contextlib.suppress(Exception):  # already broken; nothing to tell
                    connection.close()
            else:
                # The previous mail's mark was answered while this one went out.
                if not mark.start(email):
                    _record_sent(email)
                outcomes.append(SendOutcome(email.pk, "sent"))
    finally:
        try:
            mark.finish()  # also after an error: the connection must not be left mid-answer
        finally:
            try:
                connection.close()
            except Exception as exc:
                logger.info("closing the SMTP connection failed: %s", exc)
    return outcomes


# --- Dispatch (OUTBOX_PUBLISH_ON_COMMIT=false) -----------------------------------------------

# A dispatch run stops claiming after this long, well inside the task's soft time limit; the
# next beat tick carries on, so a backlog never pins a worker process for good.
DISPATCH_TIME_BUDGET_SECONDS = 30.0


@dataclass(frozen=True)
class DispatchResult:
    batches: int
    sent: int
    retried: int
    failed: int


def outbound_email_dispatch(
    *, batch_size: int | None = None, time_budget: float = DISPATCH_TIME_BUDGET_SECONDS
) -> DispatchResult:
    """Claim due rows in batches and send each batch over one SMTP connection, until none is
    due or `time_budget` seconds have passed. Safe to run concurrently (each run claims
    disjoint rows) and at any time. A row whose send failed transiently is back in `queued`
    with a later `not_before`: a later run picks it up once due, so nothing is re-published."""
    size = batch_size or settings.OUTBOX_BATCH_SIZE
    deadline = time.monotonic() + time_budget
    batches = sent = retried = failed = 0
    while True:
        rows = _claim_due(size)
        if not rows:
            break
        batches += 1
        for outcome in _send_claimed(rows):
            sent += outcome.result == "sent"
            retried += outcome.result == "retry"
            failed += outcome.result == "failed"
        if len(rows) < size or time.monotonic() >= deadline:
            break
    return DispatchResult(batches=batches, sent=sent, retried=retried, failed=failed)


# --- Sweep ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    reclaimed: int
    published: int
    given_up: int = 0


def outbound_email_sweep(*, limit: int = 10_000) -> SweepResult:
    """Safety net, run by beat. Hands back rows stranded in `sending` (their worker died before
    recording an outcome) and re-publishes due `queued` rows whose message was lost or which
    were scheduled for later. Safe to run at any time, any number of times."""
    now = timezone.now()
    stale_sending = now - timedelta(seconds=settings.OUTBOX_STALE_SENDING_SECONDS)
    stranded = OutboundEmail.objects.filter(status=SENDING, claimed_at__lt=stale_sending)
    stranded_ids = list(stranded.values_list("id", flat=True)[:limit])
    # A row whose last allowed attempt died with its worker is given up, not handed back: a
    # poison row (its sending kills the process, e.g. past the task's hard time limit) never
    # reaches `_record_failure`, so without this it would kill a worker every sweep, forever.
    poison = stranded.filter(id__in=stranded_ids, attempts__gte=settings.OUTBOX_MAX_ATTEMPTS)
    poison_ids = list(poison.values_list("id", flat=True))
    given_up = 0
    if poison_ids:
        reason = (
            f"gave up after {settings.OUTBOX_MAX_ATTEMPTS} attempts: the worker died while "
            "sending it (killed, or over the task time limit)"
        )
        given_up = poison.filter(id__in=poison_ids).update(
            status=OutboundEmailStatus.FAILED, last_error=reason
        )
        Letter.objects.filter(
            outbound_email_id__in=poison_ids, outbound_email__status=OutboundEmailStatus.FAILED
        ).update(status=LetterStatus.FAILED, status_reason=reason[:300])
        logger.warning("outbox sweep: gave up on %d row(s): %s", given_up, poison_ids)
        stranded_ids = [i for i in stranded_ids if i not in set(poison_ids)]
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
    if not settings.OUTBOX_PUBLISH_ON_COMMIT:
        # The dispatcher claims every due row, reclaimed ones included: publishing them too
        # would only add no-op claims.
        due_ids = []
    batch = settings.OUTBOX_BATCH_SIZE
    for start in range(0, len(due_ids), batch):
        publish_send(due_ids[start : start + batch])
    if reclaimed or due_ids:
        logger.info(
            "outbox sweep: %d reclaimed from dead workers, %d re-published", reclaimed, len(due_ids)
        )
    return SweepResult(reclaimed=reclaimed, published=len(due_ids), given_up=given_up)
