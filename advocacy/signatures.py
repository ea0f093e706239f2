"""Petition signatures: signing, double opt-in confirmation, re-sending, retention.

A signature is `pending` until its supporter follows the signed link mailed to them; only
then does it count (Petition.confirmed_count, maintained here with F()).
"""

from __future__ import annotations

import collections
import functools
import json
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Field, Model
from django.utils import timezone

from advocacy.disposable import email_disposable_check
from advocacy.emails import (
    header_text,
    organisation_sender,
    token_url,
    unsubscribe_headers,
    unsubscribe_url,
)
from advocacy.models import (
    Consent,
    ConsentPurpose,
    EmailKind,
    OutboundEmail,
    Signature,
    SignatureStatus,
    Supporter,
)
from advocacy.outbox import outbound_email_build, outbound_emails_save, publish_send
from advocacy.supporters import (
    PersonFields,
    consent_record,
    person_fields_clean,
    source_clean,
    supporter_get_or_create,
    unconfirmed_purge,
)
from advocacy.tokens import token_make, token_read
from campaign.models import Campaign, CampaignStatus, Petition
from campaign.selectors import CampaignNotFoundError, campaign_get_live_for_signing
from config.errors import DomainError
from config.rows import insert_fields, insert_values

logger = logging.getLogger(__name__)

CONFIRM_PURPOSE = "signature_confirm"
ORGANISATION_NEWS_CONSENT_VERSION = 1


class PetitionClosedError(DomainError):
    code = "petition_closed"
    status = 409


class SignatureNotFoundError(DomainError):
    code = "signature_not_found"
    status = 404


class ConsentOutdatedError(DomainError):
    code = "consent_outdated"
    status = 409

    def __init__(self, *, current_version: int) -> None:
        super().__init__(
            "The consent text has changed; show the current one and ask again.",
            fields={"consent_version": [f"Current version: {current_version}."]},
        )


@dataclass(frozen=True)
class SignResult:
    signature: Signature
    created: bool
    confirmation_sent: bool


def organisation_news_consent_text(*, organisation_name: str) -> str:
    return (
        f"Yes, {organisation_name} may e-mail me about its campaigns. "
        "I can unsubscribe at any time."
    )


def confirm_max_age_seconds() -> int:
    return int(settings.SIGNATURE_CONFIRM_MAX_AGE_DAYS) * 86400


def confirmation_url(*, signature_id: int) -> str:
    token = token_make(purpose=CONFIRM_PURPOSE, object_id=signature_id)
    return token_url("advocacy:signature-confirm", token)


def _confirmation_email_build(*, signature: Signature, supporter: Supporter) -> OutboundEmail:
    """The confirmation mail's outbox row, not saved."""
    petition = signature.petition
    campaign = petition.campaign
    organisation = campaign.organisation
    if supporter.email is None:  # erased: there is nobody to write to
        raise SignatureNotFoundError("This signature no longer exists.")
    greeting = f"Dear {supporter.first_name}," if supporter.first_name else "Hello,"
    days = settings.SIGNATURE_CONFIRM_MAX_AGE_DAYS
    unsubscribe = unsubscribe_url(supporter_id=supporter.pk)
    body = (
        f"{greeting}\n\n"
        f"Thank you for signing the petition “{campaign.title}”.\n\n"
        "Please confirm your signature: open this link and press the button on the page.\n\n"
        f"{confirmation_url(signature_id=signature.pk)}\n\n"
        f"The link is valid for {days} days. Your signature counts once you have confirmed it.\n"
        + (
            f"You also asked to hear from {organisation.name}: confirming agrees to that too "
            "(every mail lets you unsubscribe).\n"
            if signature.wants_organisation_news
            else ""
        )
        + "If you did not sign, ignore this e-mail and nothing will happen.\n\n"
        f"With thanks,\n{organisation.name}\n\n"
        "--\n"
        f"Unsubscribe: {unsubscribe}\n"
    )
    return outbound_email_build(
        kind=EmailKind.SIGNATURE_CONFIRMATION,
        recipient=supporter.email,
        sender=organisation_sender(organisation),
        subject=f"Please confirm your signature: {header_text(campaign.title)}"[:300],
        body_text=body,
        headers=unsubscribe_headers(url=unsubscribe),
        organisation=organisation,
        campaign=campaign,
    )


def _confirmation_email_write(*, signature: Signature, supporter: Supporter) -> None:
    """Queue the confirmation mail in the caller's transaction."""
    outbound_emails_save([_confirmation_email_build(signature=signature, supporter=supporter)])


def _resend_if_due(*, signature: Signature) -> bool:
    """Re-send the confirmation unless one went out within the cool-down. The conditional
    UPDATE is the lock: of two concurrent re-sends, only one moves the timestamp."""
    if signature.status != SignatureStatus.PENDING:
        return False
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.SIGNATURE_CONFIRMATION_RESEND_COOLDOWN_SECONDS)
    claimed = (
        Signature.objects.filter(pk=signature.pk, status=SignatureStatus.PENDING)
        .filter(confirmation_sent_at__lt=cutoff)
        .update(confirmation_sent_at=now)
    )
    if not claimed:
        claimed = Signature.objects.filter(
            pk=signature.pk, status=SignatureStatus.PENDING, confirmation_sent_at__isnull=True
        ).update(confirmation_sent_at=now)
    if not claimed:
        return False
    signature.confirmation_sent_at = now
    _confirmation_email_write(signature=signature, supporter=signature.supporter)
    return True


def signature_create(
    *,
    petition: Petition,
    email: str,
    first_name: str,
    last_name: str,
    country: str,
    postcode: str = "",
    wants_organisation_news: bool = False,
    channel: str,
    source: Mapping[str, Any] | None = None,
) -> SignResult:
    """Sign `petition` for this person, pending confirmation by e-mail.

    Signing again (same normalised address, same organisation) creates nothing and re-sends
    the confirmation at most once per cool-down; callers show the same answer either way, so
    the form reveals nothing about who signed. Owns its transaction; the confirmation mail is
    an outbox row committed with the signature.

    `petition` may be a copy a few seconds old (the signing API's memo): the campaign's being
    live and the consent text the supporter agreed to are checked against the database before
    anything is written (PetitionClosedError, ConsentOutdatedError otherwise)."""
    campaign = petition.campaign
    if campaign.status != CampaignStatus.LIVE:
        raise PetitionClosedError("This petition is not open for signatures.")
    fields = person_fields_clean(
        email=email,
        first_name=first_name,
        last_name=last_name,
        country=country,
        postcode=postcode,
    )
    email_disposable_check(email=fields.email)
    # The common case, a new address, is one statement, and with autocommit its own
    # transaction: no BEGIN and COMMIT round trips.
    first = _first_signature_insert(
        petition=petition,
        fields=fields,
        channel=channel,
        source=source or {},
        wants_news=wants_organisation_news,
    )
    if first is not None:
        return SignResult(first[1], True, True)
    with transaction.atomic():
        # Not a first signature, or the caller's copy of the petition is out of date: from
        # here on, the petition as the database has it.
        petition = _petition_current(petition)
        campaign = petition.campaign
        supporter, new_supporter = supporter_get_or_create(
            organisation=campaign.organisation,
            email=fields.email,
            first_name=fields.first_name,
            last_name=fields.last_name,
            country=fields.country,
            postcode=fields.postcode,
        )
        # A supporter created in this transaction cannot have signed yet: skip the lookup
        # (most signatures on a busy day are first signatures).
        existing = (
            None if new_supporter else _signature_for_update(petition=petition, supporter=supporter)
        )
        if existing is not None:
            # A tick now is not taken: whoever signs again may not be the address's owner,
            # and the owner confirms with the mail of the first signing (what it says stands).
            return SignResult(existing, False, _resend_if_due(signature=existing))
        try:
            # A savepoint: when a concurrent request inserted the same (petition, supporter)
            # first, the unique constraint fires here and only this savepoint rolls back.
            with transaction.atomic():
                signature = _signature_insert(
                    petition=petition,
                    supporter=supporter,
                    country=fields.country,
                    channel=channel,
                    source=source or {},
                    wants_news=wants_organisation_news,
                )
        except IntegrityError:
            existing = _signature_for_update(petition=petition, supporter=supporter)
            if existing is None:  # not the unique constraint after all
                raise
            return SignResult(existing, False, _resend_if_due(signature=existing))
        _confirmation_email_write(signature=signature, supporter=supporter)
    return SignResult(signature, True, True)


# A person this organisation has never seen before: supporter, consent, signature and the
# confirmation mail's outbox row in one statement (one round trip, no ORM compilation: the
# cost of signing on a viral day is mostly the first signatures of new people). The supporter
# and signature keys are taken from their sequences beforehand (`_keys_take`), because the
# mail's links are signed with them. ON CONFLICT DO NOTHING leaves the existing-supporter case,
# and a concurrent first signature with the same address, to the general path: the statement
# then inserts nothing at all. So does the EXISTS: the caller's petition may be a few seconds
# old (the signing API's memo), and the statement writes only if its campaign is still live and
# its consent text is still the one the supporter agreed to; the general path re-reads both.
_FIRST_SIGNATURE_SQL = """
WITH sup AS (
    INSERT INTO {supporter} ({supporter_columns})
    SELECT {supporter_values}
    WHERE EXISTS (
        SELECT 1 FROM {petition} p JOIN {campaign} c ON c.id = p.{petition_campaign}
        WHERE p.id = %(petition_id)s AND c.{campaign_status} = %(live)s
          AND p.{petition_consent_version} = %(consent_version)s
          AND p.{petition_consent_text} = %(consent_text)s
    )
    ON CONFLICT (organisation_id, email) DO NOTHING
    RETURNING id
), con AS (
    INSERT INTO {consent} ({consent_columns})
    SELECT {consent_values} FROM sup
    RETURNING id, supporter_id
), sig AS (
    INSERT INTO {signature} ({signature_columns})
    SELECT {signature_values} FROM con
    RETURNING id, consent_id
), mail AS (
    INSERT INTO {outbox} ({outbox_columns})
    SELECT {outbox_values} FROM sig
    RETURNING id
)
SELECT sig.consent_id, mail.id FROM sig, mail
"""

# Column → SQL expression (parameters by name; `sup.id`, `con.id` from the CTEs above). Every
# concrete column of each model must be listed: `_first_signature_sql` refuses to build the
# statement otherwise, so a new field cannot be silently left to a database default. The
# outbox row's columns come from the model itself (config.rows), its values from the ORM.
_FIRST_SIGNATURE_VALUES: dict[type[Model], dict[str, str]] = {
    Supporter: {
        "id": "%(supporter_id)s",
        "organisation_id": "%(organisation_id)s",
        "email": "%(email)s",
        "first_name": "%(first_name)s",
        "last_name": "%(last_name)s",
        "country": "%(country)s",
        "postcode": "%(postcode)s",
        "city": "%(city)s",
        "wants_organisation_news": "false",
        "unsubscribed_at": "NULL",
        "created_at": "%(now)s",
        "erased_at": "NULL",
    },
    Consent: {
        "supporter_id": "sup.id",
        "purpose": "%(purpose)s",
        "text": "%(consent_text)s",
        "version": "%(consent_version)s",
        "given_at": "%(now)s",
        "channel": "%(channel)s",
        "source": "%(source)s::jsonb",
        "withdrawn_at": "NULL",
    },
    Signature: {
        "id": "%(signature_id)s",
        "petition_id": "%(petition_id)s",
        "supporter_id": "con.supporter_id",
        "status": "%(status)s",
        "consent_id": "con.id",
        "country": "%(country)s",
        "channel": "%(channel)s",
        "created_at": "%(now)s",
        "confirmed_at": "NULL",
        "confirmation_sent_at": "%(now)s",
        "wants_organisation_news": "%(wants_news)s",
    },
}


def _outbox_fields() -> list[Field[Any, Any]]:
    fields = insert_fields(OutboundEmail)
    if fields is None:
        raise ImproperlyConfigured("OutboundEmail can no longer be inserted by config.rows.")
    return fields


@functools.cache
def _first_signature_sql() -> str:
    parts: dict[str, str] = {}
    for model, name in ((Supporter, "supporter"), (Consent, "consent"), (Signature, "signature")):
        values = _FIRST_SIGNATURE_VALUES[model]
        columns = {
            str(f.column)
            for f in model._meta.concrete_fields
            if not f.primary_key or "id" in values  # a key given here, or the sequence's
        }
        if columns != set(values):
            raise ImproperlyConfigured(
                f"_FIRST_SIGNATURE_VALUES for {model.__name__} is out of date with the model: "
                f"missing {sorted(columns - set(values))}, unknown {sorted(set(values) - columns)}"
            )
        parts[name] = model._meta.db_table
        parts[f"{name}_columns"] = ", ".join(f'"{column}"' for column in values)
        parts[f"{name}_values"] = ", ".join(values.values())
    parts["petition"] = Petition._meta.db_table
    parts["campaign"] = Campaign._meta.db_table
    checked: tuple[tuple[str, type[Model], str], ...] = (
        ("petition_campaign", Petition, "campaign"),
        ("campaign_status", Campaign, "status"),
        ("petition_consent_version", Petition, "consent_version"),
        ("petition_consent_text", Petition, "consent_text"),
    )
    for part, checked_model, field in checked:
        column = cast("Field[Any, Any]", checked_model._meta.get_field(field)).column
        parts[part] = f'"{column}"'
    outbox = _outbox_fields()
    parts["outbox"] = OutboundEmail._meta.db_table
    parts["outbox_columns"] = ", ".join(f'"{field.column}"' for field in outbox)
    parts["outbox_values"] = ", ".join(f"%(outbox_{n})s" for n in range(len(outbox)))
    return _FIRST_SIGNATURE_SQL.format(**parts)


# Keys for first signatures, taken from the supporter and signature sequences a block at a
# time, so that taking them costs a round trip per block, not per signature. Unused keys of a
# process that exits are gaps, as after any rolled-back insert.
_KEY_BLOCK = 16
_keys: collections.deque[tuple[int, int]] = collections.deque()
_keys_owner = 0  # the process the keys were taken for: a forked child takes its own
_keys_lock = threading.Lock()


def _keys_take() -> tuple[int, int]:
    """(supporter key, signature key), unused by anyone else."""
    global _keys_owner
    with _keys_lock:
        if _keys_owner != os.getpid():
            _keys.clear()
            _keys_owner = os.getpid()
        if not _keys:
            sequences = [
                f"nextval(pg_get_serial_sequence('\"{model._meta.db_table}\"', "
                f"'{model._meta.pk.column}'))"
                for model in (Supporter, Signature)
            ]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {', '.join(sequences)} FROM generate_series(1, %s)",  # noqa: S608
                    [_KEY_BLOCK],
                )
                _keys.extend(cursor.fetchall())
        return _keys.popleft()


def _first_signature_insert(
    *,
    petition: Petition,
    fields: PersonFields,
    channel: str,
    source: Mapping[str, Any],
    wants_news: bool,
) -> tuple[Supporter, Signature] | None:
    """Insert supporter, consent, pending signature and the confirmation mail for an address
    the organisation does not know yet; None (and nothing written) when it does. One
    statement: atomic on its own, or part of the caller's transaction if there is one."""
    if connection.vendor != "postgresql":
        return None  # data-modifying CTEs are PostgreSQL's; elsewhere the general path runs
    campaign = petition.campaign
    now = timezone.now()
    supporter_id, signature_id = _keys_take()
    supporter = Supporter(
        id=supporter_id, organisation=campaign.organisation, created_at=now, **asdict(fields)
    )
    signature = Signature(
        id=signature_id,
        petition=petition,
        supporter=supporter,
        status=SignatureStatus.PENDING,
        country=fields.country,
        channel=channel,
        created_at=now,
        confirmation_sent_at=now,
        wants_organisation_news=wants_news,
    )
    mail = _confirmation_email_build(signature=signature, supporter=supporter)
    params: dict[str, Any] = {
        **asdict(fields),
        "supporter_id": supporter_id,
        "signature_id": signature_id,
        "organisation_id": campaign.organisation_id,
        "now": now,
        "purpose": ConsentPurpose.SIGNATURE.value,
        "consent_text": petition.consent_text,
        "consent_version": petition.consent_version,
        "channel": channel,
        "source": json.dumps(source_clean(source)),
        "petition_id": petition.pk,
        "live": CampaignStatus.LIVE.value,
        "status": SignatureStatus.PENDING.value,
        "wants_news": wants_news,
    }
    for n, value in enumerate(insert_values(mail, _outbox_fields(), connection)):
        params[f"outbox_{n}"] = value
    with connection.cursor() as cursor:
        cursor.execute(_first_signature_sql(), params)
        row = cursor.fetchone()
    if row is None:
        return None
    signature.consent_id, mail.pk = row
    for instance in (supporter, signature, mail):
        instance._state.adding = False
        instance._state.db = connection.alias
    if settings.OUTBOX_PUBLISH_ON_COMMIT:
        transaction.on_commit(lambda: publish_send([mail.pk]))
    return supporter, signature


def _petition_current(petition: Petition) -> Petition:
    """The petition as the database has it now, for a caller whose copy may be seconds old;
    refuses if its campaign has closed or its consent text changed since that copy."""
    try:
        current = campaign_get_live_for_signing(slug=petition.campaign.slug).petition
    except CampaignNotFoundError:
        raise PetitionClosedError("This petition is not open for signatures.") from None
    if current.pk != petition.pk:  # the address now belongs to another campaign
        raise PetitionClosedError("This petition is not open for signatures.")
    if (current.consent_version, current.consent_text) != (
        petition.consent_version,
        petition.consent_text,
    ):
        raise ConsentOutdatedError(current_version=current.consent_version)
    return current


def _signature_for_update(*, petition: Petition, supporter: Supporter) -> Signature | None:
    signature = (
        Signature.objects.select_for_update().filter(petition=petition, supporter=supporter).first()
    )
    if signature is not None:
        # The caller already holds both, with the campaign and organisation loaded.
        signature.petition = petition
        signature.supporter = supporter
    return signature


def _signature_insert(
    *,
    petition: Petition,
    supporter: Supporter,
    country: str,
    channel: str,
    source: Mapping[str, Any],
    wants_news: bool,
) -> Signature:
    consent = consent_record(
        supporter=supporter,
        purpose=ConsentPurpose.SIGNATURE,
        text=petition.consent_text,
        version=petition.consent_version,
        channel=channel,
        source=source,
    )
    signature = Signature.objects.create(
        petition=petition,
        supporter=supporter,
        consent=consent,
        country=country,
        channel=channel,
        confirmation_sent_at=timezone.now(),
        wants_organisation_news=wants_news,
    )
    signature.petition = petition
    signature.supporter = supporter
    return signature


def _organisation_news_opt_in(
    *, supporter: Supporter, channel: str, source: Mapping[str, Any]
) -> None:
    consent_record(
        supporter=supporter,
        purpose=ConsentPurpose.ORGANISATION_NEWS,
        text=organisation_news_consent_text(organisation_name=supporter.organisation.name),
        version=ORGANISATION_NEWS_CONSENT_VERSION,
        channel=channel,
        source=source,
    )
    Supporter.objects.filter(pk=supporter.pk).update(wants_organisation_news=True)


def signature_for_confirmation(*, token: str) -> Signature:
    """The signature a confirmation link names, as it stands, confirming nothing (for the page
    the link opens: a mail scanner that follows links must not sign for anyone). Raises as
    `signature_confirm` does, for an unknown, erased or deleted signature too."""
    signature_id = token_read(
        purpose=CONFIRM_PURPOSE, token=token, max_age_seconds=confirm_max_age_seconds()
    )
    signature = (
        Signature.objects.select_related("petition__campaign")
        .filter(pk=signature_id, supporter__erased_at__isnull=True)
        .first()
    )
    if signature is None:
        raise SignatureNotFoundError(
            "This signature no longer exists. Please sign the petition again."
        )
    return signature


def signature_confirm(*, token: str) -> Signature:
    """Confirm the signature named by a confirmation token; raises TokenExpiredError,
    TokenInvalidError or SignatureNotFoundError. Idempotent: confirming twice counts once,
    because only the UPDATE that moves pending → confirmed increments the counter, and both
    happen in one transaction."""
    signature_id = token_read(
        purpose=CONFIRM_PURPOSE, token=token, max_age_seconds=confirm_max_age_seconds()
    )
    now = timezone.now()
    with transaction.atomic():
        moved = Signature.objects.filter(
            pk=signature_id,
            status=SignatureStatus.PENDING,
            supporter__erased_at__isnull=True,
        ).update(status=SignatureStatus.CONFIRMED, confirmed_at=now)
        signature = (
            Signature.objects.select_related("petition__campaign", "supporter")
            .filter(pk=signature_id)
            .first()
        )
        if signature is None or signature.status != SignatureStatus.CONFIRMED:
            # Deleted by the retention task or erased on request.
            raise SignatureNotFoundError(
                "This signature no longer exists. Please sign the petition again."
            )
        if moved:
            Petition.objects.filter(pk=signature.petition_id).update(
                confirmed_count=F("confirmed_count") + 1
            )
            signature.petition.refresh_from_db(fields=["confirmed_count"])
            if signature.wants_organisation_news:
                # Ticked when signing, proven now: the address is the signer's own.
                signed_from = Consent.objects.filter(pk=signature.consent_id).values_list(
                    "source", flat=True
                )
                _organisation_news_opt_in(
                    supporter=signature.supporter,
                    channel=signature.channel,
                    source=signed_from.first() or {},  # the signing's utm_* and referrer
                )
            _webhook_signature_confirmed(signature=signature)
    return signature


def _webhook_signature_confirmed(*, signature: Signature) -> None:
    """Tell the organisation's webhooks, in the confirming transaction (see webhooks.py)."""
    from advocacy.webhooks import webhook_event_emit

    campaign = signature.petition.campaign
    supporter = signature.supporter
    webhook_event_emit(
        organisation_id=campaign.organisation_id,
        event="signature.confirmed",
        event_id=f"signature-{signature.pk}",
        data={
            "signature_id": signature.pk,
            "campaign": {"id": campaign.pk, "slug": campaign.slug, "title": campaign.title},
            "confirmed_at": signature.confirmed_at.isoformat() if signature.confirmed_at else None,
            "country": signature.country,
            "channel": signature.channel,
            "supporter": {
                "first_name": supporter.first_name,
                "last_name": supporter.last_name,
                "email": supporter.email,
            },
        },
    )


def signature_confirmation_resend(*, token: str) -> Signature:
    """Send a fresh confirmation link in exchange for an expired one. The old token still
    proves we sent it (the signature checks out; only its age is ignored). Subject to the
    same cool-down as signing again; raises TokenInvalidError or SignatureNotFoundError."""
    signature_id = token_read(purpose=CONFIRM_PURPOSE, token=token, max_age_seconds=None)
    with transaction.atomic():
        signature = (
            Signature.objects.select_for_update(of=("self",))
            .select_related("petition__campaign__organisation", "supporter")
            .filter(pk=signature_id, supporter__erased_at__isnull=True)
            .first()
        )
        if signature is None:
            raise SignatureNotFoundError(
                "This signature no longer exists. Please sign the petition again."
            )
        _resend_if_due(signature=signature)
    return signature


def signature_id_from_token(*, token: str) -> int:
    """The signature id inside a confirmation token, ignoring its age (for the expired page)."""
    return token_read(purpose=CONFIRM_PURPOSE, token=token, max_age_seconds=None)


def signature_unconfirmed_purge(*, older_than_days: int | None = None) -> int:
    """Delete pending signatures older than the retention period, then the consents and
    supporters that only they justified. Returns the number of signatures deleted. Safe to
    run at any time; a signature confirmed meanwhile is spared by the status filter."""
    days = (
        older_than_days
        if older_than_days is not None
        else settings.SIGNATURE_UNCONFIRMED_RETENTION_DAYS
    )
    return unconfirmed_purge(model=Signature, days=days)
