"""Supporters and their consent: the one place personal data is written, exported and erased.

`supporter_upsert` and `consent_record` are shared by petitions and letters; keep them generic.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Field, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from advocacy.countries import COUNTRY_CODES
from advocacy.emails import (
    absolute_url,
    header_text,
    normalise_email,
    organisation_sender,
    unsubscribe_headers,
    unsubscribe_url,
)
from advocacy.models import (
    Consent,
    ConsentPurpose,
    EmailKind,
    Letter,
    LetterRequest,
    LetterStatus,
    OutboundEmail,
    OutboundEmailStatus,
    Signature,
    SignatureStatus,
    Supporter,
    WebhookDelivery,
)
from advocacy.outbox import outbound_email_create
from advocacy.tokens import token_make, token_read
from campaign.models import Organisation
from config.errors import DomainError
from config.rows import insert_fields, insert_values, rows_insert

logger = logging.getLogger(__name__)

NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254
POSTCODE_MAX_LENGTH = 16
CITY_MAX_LENGTH = 100

SOURCE_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "referrer")
SOURCE_VALUE_MAX_LENGTH = 500

_POSTCODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]*$")


class SupporterInvalidError(DomainError):
    code = "invalid"
    status = 400


class SupporterNotFoundError(DomainError):
    code = "supporter_not_found"
    status = 404


def _has_control_characters(value: str) -> bool:
    # Cc covers NUL, CR, LF, TAB, ESC…; Zl/Zp are the Unicode line and paragraph separators,
    # which some mail clients render as line breaks (header and log injection). In ASCII the
    # control characters are exactly the unprintable ones: one C-level test, not one lookup
    # per character, for what almost everyone types.
    if value.isascii():
        return not value.isprintable()
    return any(unicodedata.category(ch) in {"Cc", "Zl", "Zp"} for ch in value)


# Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_name(value: str, *, label: str, required: bool = True) -> str:
    """A person's name as typed, with outer whitespace stripped; raises ValueError with a
    human message. Names go into e-mail headers (display names), hence no line breaks."""
    value = unicodedata.normalize("NFC", value).strip()
    if not value and required:
        raise ValueError(f"Please enter your {label}.")
    if value and not any(unicodedata.category(ch)[0] not in "CZ" for ch in value):
        # Only invisible characters (zero-width joiners, a byte-order mark, unassigned code
        # points): a name that shows as nothing in the letter's signature and the export.
        if required:
            raise ValueError(f"Please enter your {label}.")
        return ""
    if len(value) > NAME_MAX_LENGTH:
        raise ValueError(f"Your {label} may be at most {NAME_MAX_LENGTH} characters long.")
    if _has_control_characters(value):
        raise ValueError(f"Your {label} may not contain line breaks or control characters.")
    if any(ch in _BIDI_CONTROLS for ch in value):
        # An override reverses what follows it wherever the name is shown (pages, exports, a
        # display name in a mail's From): "evil" read as "live". No name needs one; the
        # marks (U+200E, U+200F) that right-to-left names may carry stay allowed.
        raise ValueError(f"Your {label} may not contain text-direction control characters.")
    if "<" in value or ">" in value:
        # Not a security measure (output is escaped): no real name contains angle brackets,
        # and refusing them keeps markup out of exports and e-mails read elsewhere.
        raise ValueError(f"Your {label} may not contain < or >.")
    if "=?" in value:
        # An RFC 2047 encoded word ("=?utf-8?q?…?="): a mail client would decode it in the
        # display name of a letter's From, and Django refuses to send such a name at all.
        raise ValueError(f'Your {label} may not contain "=?".')
    return value


def _has_format_characters(value: str) -> bool:
    # Cf: soft hyphen, zero-width space/joiners, word joiner, BOM, bidi controls… Invisible,
    # and IDNA drops some of them, so "exa\u00admple.com" would be one mailbox typed two ways.
    # No address needs one. ASCII has none.
    return not value.isascii() and any(unicodedata.category(ch) == "Cf" for ch in value)


def _is_internet_domain(domain: str) -> bool:
    # Django's validator accepts "localhost" and IP literals ("[10.0.0.1]"), and a dotless name
    # resolves within the sender's network: each would point confirmation mails at internal
    # hosts. RFC 6761 reserves "localhost" and its subdomains for loopback.
    return (
        "." in domain
        and not domain.startswith("[")
        and domain != "localhost"
        and not domain.endswith(".localhost")
    )


def clean_email(value: str) -> str:
    """Normalised address (advocacy.emails.normalise_email: the domain as mail delivery spells
    it), on a domain of the internet; raises ValueError."""
    invalid = "Please enter a valid e-mail address."
    if (
        len(value) > EMAIL_MAX_LENGTH + 10
        or _has_control_characters(value)
        or _has_format_characters(value)
    ):
        raise ValueError(invalid)
    try:
        email = normalise_email(value)
    except ValueError as exc:  # a domain IDNA refuses
        raise ValueError(invalid) from exc
    if not email:
        raise ValueError("Please enter your e-mail address.")
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValueError(f"An e-mail address may be at most {EMAIL_MAX_LENGTH} characters long.")
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValueError(invalid) from exc
    if not _is_internet_domain(email.rpartition("@")[2]):
        raise ValueError(invalid)
    return email


def clean_country(value: str) -> str:
    value = value.strip().upper()
    if value not in COUNTRY_CODES:
        raise ValueError("Please choose your country.")
    return value


def clean_postcode(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    if len(value) > POSTCODE_MAX_LENGTH or not _POSTCODE_RE.fullmatch(value):
        raise ValueError(
            f"A postcode has at most {POSTCODE_MAX_LENGTH} letters, digits, spaces or dashes."
        )
    return value


def clean_city(value: str) -> str:
    return clean_name(value, label="city", required=False) if value else ""


@dataclass(frozen=True)
class PersonFields:
    email: str
    first_name: str
    last_name: str
    country: str
    postcode: str
    city: str


def person_fields_clean(
    *,
    email: str,
    first_name: str,
    last_name: str,
    country: str,
    postcode: str = "",
    city: str = "",
) -> PersonFields:
    """Validate and normalise what a supporter typed. Every channel (page, API, letters) runs
    through this, so the rules cannot drift apart. Raises SupporterInvalidError listing every
    bad field at once."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    checks: tuple[tuple[str, Callable[[], str]], ...] = (
        ("email", lambda: clean_email(email)),
        ("first_name", lambda: clean_name(first_name, label="first name")),
        ("last_name", lambda: clean_name(last_name, label="last name")),
        ("country", lambda: clean_country(country)),
        ("postcode", lambda: clean_postcode(postcode)),
        ("city", lambda: clean_city(city)),
    )
    for field, check in checks:
        try:
            cleaned[field] = check()
        except ValueError as exc:
            errors[field] = [str(exc)]
    if errors:
        names = ", ".join(sorted(errors))
        raise SupporterInvalidError(f"Invalid input: {names}.", fields=errors)
    return PersonFields(**cleaned)


def supporter_upsert(
    *,
    organisation: Organisation,
    email: str,
    first_name: str,
    last_name: str,
    country: str,
    postcode: str = "",
    city: str = "",
) -> Supporter:
    """The organisation's supporter with this (normalised) address, created if new; see
    supporter_get_or_create."""
    supporter, _ = supporter_get_or_create(
        organisation=organisation,
        email=email,
        first_name=first_name,
        last_name=last_name,
        country=country,
        postcode=postcode,
        city=city,
    )
    return supporter


def supporter_get_or_create(
    *,
    organisation: Organisation,
    email: str,
    first_name: str,
    last_name: str,
    country: str,
    postcode: str = "",
    city: str = "",
) -> tuple[Supporter, bool]:
    """The organisation's supporter with this (normalised) address, created if new, and
    whether it was created just now.

    Existing details are only filled in where blank, never overwritten: anyone who knows an
    address can submit a form with it, and an unconfirmed form must not rename its owner.
    Safe under concurrency: the (organisation, email) unique constraint decides, and
    get_or_create re-reads the winner's row after an IntegrityError. Runs in the caller's
    transaction when there is one."""
    fields = person_fields_clean(
        email=email,
        first_name=first_name,
        last_name=last_name,
        country=country,
        postcode=postcode,
        city=city,
    )
    details = _details(fields)
    supporter, created = Supporter.objects.get_or_create(
        organisation=organisation, email=fields.email, defaults=details
    )
    if not created:
        _blanks_fill(supporter, details)
    return supporter, created


def supporter_get_or_create_locked(
    *, organisation: Organisation, fields: PersonFields
) -> tuple[Supporter, bool]:
    """`supporter_get_or_create` for details already cleaned (`person_fields_clean`), with the
    supporter's row locked until the caller's transaction ends, so that two submissions of
    one supporter (a double click) run one after the other. Must run in a transaction.

    On PostgreSQL one statement creates the row or locks the existing one (`_supporter_upsert`):
    a concurrent insert of the same address waits for this transaction and then locks the row
    this one made. Elsewhere it locks as it reads (`SELECT … FOR UPDATE`), and a new row goes
    in under a savepoint, for a race lost to a concurrent insert."""
    details = _details(fields)
    if connection.vendor == "postgresql":
        return _supporter_upsert(organisation=organisation, email=fields.email, details=details)
    mine = Supporter.objects.select_for_update().filter(
        organisation=organisation, email=fields.email
    )
    supporter = mine.first()
    if supporter is None:
        try:
            created = Supporter(organisation=organisation, email=fields.email, **details)
            with transaction.atomic():  # a savepoint: a lost race undoes only the insert
                rows_insert([created])  # `objects.create` without compiling its INSERT
            return created, True
        except IntegrityError:
            supporter = mine.get()  # the other submission's row, once it has committed
    _blanks_fill(supporter, details)
    return supporter, False


@functools.cache
def _supporter_upsert_sql() -> tuple[str, list[Field[Any, Any]], tuple[str, ...]]:
    """The statement, the fields whose values it takes and the attribute names of the columns
    it returns, in order.

    `ON CONFLICT … DO UPDATE` with an unchanged value: a new supporter's row is inserted, an
    existing one is locked as by `SELECT … FOR UPDATE` (the same columns, so the update can be
    HOT), and either way the row comes back, with `xmax = 0` true only for an inserted one
    (the system column is zero on a row version no transaction has deleted or locked; the
    conflicting row's new version carries this transaction's lock; tests check both ways).
    One round trip where reading, a savepoint, the insert and its release took four."""
    fields = insert_fields(Supporter)
    if fields is None:
        raise ImproperlyConfigured("Supporter can no longer be inserted by config.rows.")
    meta = Supporter._meta
    returned = [meta.pk, *fields]

    def quoted(fields: Sequence[Any]) -> str:
        return ", ".join(f'"{field.column}"' for field in fields)

    email = meta.get_field("email").column
    organisation = meta.get_field("organisation").column
    sql = (
        f'INSERT INTO "{meta.db_table}" ({quoted(fields)})'  # noqa: S608 (the model's names)
        f" VALUES ({', '.join(['%s'] * len(fields))})"
        f' ON CONFLICT ("{organisation}", "{email}") DO UPDATE SET "{email}" = EXCLUDED."{email}"'
        f" RETURNING {quoted(returned)}, (xmax = 0)"
    )
    return sql, fields, tuple(str(field.attname) for field in returned)


def _supporter_upsert(
    *, organisation: Organisation, email: str, details: Mapping[str, str]
) -> tuple[Supporter, bool]:
    sql, fields, attnames = _supporter_upsert_sql()
    candidate = Supporter(organisation=organisation, email=email, **details)
    with connection.cursor() as cursor:
        cursor.execute(sql, insert_values(candidate, fields, connection))
        *values, inserted = cursor.fetchone()
    supporter = Supporter.from_db(connection.alias, list(attnames), values)
    supporter.organisation = organisation  # the instance the caller has, not a query later
    if not inserted:
        _blanks_fill(supporter, details)
    return supporter, bool(inserted)


def _details(fields: PersonFields) -> dict[str, str]:
    return {
        "first_name": fields.first_name,
        "last_name": fields.last_name,
        "country": fields.country,
        "postcode": fields.postcode,
        "city": fields.city,
    }


def _blanks_fill(supporter: Supporter, details: Mapping[str, str]) -> None:
    """Fill in the supporter's blank details, never overwriting one: anyone who knows an
    address can submit a form with it."""
    missing = [name for name, value in details.items() if value and not getattr(supporter, name)]
    if missing:
        for name in missing:
            setattr(supporter, name, details[name])
        supporter.save(update_fields=missing)


def source_clean(raw: Mapping[str, Any]) -> dict[str, str]:
    """Keep only the utm_* parameters and the referrer, as short single-line strings."""
    source: dict[str, str] = {}
    for key in SOURCE_KEYS:
        value = raw.get(key)
        if not isinstance(value, str) or not value:
            continue
        value = "".join(ch for ch in value if not _has_control_characters(ch))
        source[key] = value[:SOURCE_VALUE_MAX_LENGTH]
    return source


def consent_record(
    *,
    supporter: Supporter,
    purpose: str,
    text: str,
    version: int,
    channel: str,
    source: Mapping[str, Any],
) -> Consent:
    """Store the exact words agreed to, with time, channel and source. Append-only: consent
    given again is a new row, so the history of what was agreed to is never rewritten."""
    if purpose not in ConsentPurpose.values:
        raise ValueError(f"Unknown consent purpose {purpose!r}.")
    consent = Consent(
        supporter=supporter,
        purpose=purpose,
        text=text,
        version=version,
        given_at=timezone.now(),
        channel=channel,
        source=source_clean(source),
    )
    rows_insert([consent])  # `objects.create` without compiling its INSERT (no signals here)
    return consent


# --- Unsubscribe, export, erasure -----------------------------------------------------------


def _supporter_get(*, supporter_id: int) -> Supporter:
    supporter = Supporter.objects.filter(pk=supporter_id, erased_at__isnull=True).first()
    if supporter is None:
        raise SupporterNotFoundError("We hold no data for this link any more.")
    return supporter


def supporter_unsubscribe(*, supporter_id: int) -> Supporter:
    """Stop all mail but transactional confirmations; withdraw the organisation-news consent.
    Idempotent: the first unsubscribe time is kept."""
    now = timezone.now()
    with transaction.atomic():
        supporter = _supporter_get(supporter_id=supporter_id)
        Supporter.objects.filter(pk=supporter.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=now
        )
        Supporter.objects.filter(pk=supporter.pk).update(wants_organisation_news=False)
        Consent.objects.filter(
            supporter=supporter,
            purpose=ConsentPurpose.ORGANISATION_NEWS,
            withdrawn_at__isnull=True,
        ).update(withdrawn_at=now)
        # A news box ticked on a signature not yet confirmed: confirming it later must not
        # opt back in the person who has just said no.
        Signature.objects.filter(
            supporter=supporter, status=SignatureStatus.PENDING, wants_organisation_news=True
        ).update(wants_organisation_news=False)
        supporter.refresh_from_db()
    return supporter


def supporter_export(*, supporter_id: int) -> dict[str, Any]:
    """Everything Resolute holds about one supporter, as JSON-ready data (GDPR art. 15/20)."""
    supporter = _supporter_get(supporter_id=supporter_id)
    consents = supporter.consents.order_by("given_at", "pk")
    signatures = supporter.signatures.select_related("petition__campaign").order_by("created_at")
    letters = supporter.letters.select_related("campaign", "mep", "outbound_email").order_by(
        "created_at"
    )
    requests = supporter.letter_requests.select_related("campaign").order_by("created_at")
    # Mails to the person (this organisation's) and letters sent in their name; the texts of
    # the letters are above, and Resolute's own mails are left out: they hold links that
    # still work (confirmation, unsubscribe), which a file should not carry around.
    mails = OutboundEmail.objects.filter(
        Q(recipient=supporter.email, organisation_id=supporter.organisation_id)
        | Q(letter__supporter_id=supporter.pk)
    ).order_by("created_at", "pk")
    event_ids = [f"signature-{s.pk}" for s in signatures]
    deliveries = (
        WebhookDelivery.objects.filter(
            webhook__organisation_id=supporter.organisation_id, event_id__in=event_ids
        )
        .select_related("webhook")
        .order_by("created_at", "pk")
    )
    return {
        "supporter": {
            "email": supporter.email,
            "first_name": supporter.first_name,
            "last_name": supporter.last_name,
            "country": supporter.country,
            "postcode": supporter.postcode,
            "city": supporter.city,
            "wants_organisation_news": supporter.wants_organisation_news,
            "unsubscribed_at": _iso(supporter.unsubscribed_at),
            "created_at": _iso(supporter.created_at),
        },
        "organisation": supporter.organisation.name,
        "consents": [
            {
                "purpose": c.purpose,
                "text": c.text,
                "version": c.version,
                "given_at": _iso(c.given_at),
                "channel": c.channel,
                "source": c.source,
                "withdrawn_at": _iso(c.withdrawn_at),
            }
            for c in consents
        ],
        "signatures": [
            {
                "campaign": s.petition.campaign.title,
                "status": s.status,
                "country": s.country,
                "channel": s.channel,
                "created_at": _iso(s.created_at),
                "confirmed_at": _iso(s.confirmed_at),
            }
            for s in signatures
        ],
        "letters": [
            {
                "campaign": letter.campaign.title,
                "to": f"{letter.mep.first_name} {letter.mep.last_name}",
                "subject": letter.subject,
                "body": letter.body,
                "status": letter.status,
                "status_reason": letter.status_reason,
                "created_at": _iso(letter.created_at),
                "scheduled_for": _iso(letter.scheduled_for),
                "sent_at": _iso(letter.outbound_email.sent_at if letter.outbound_email else None),
            }
            for letter in letters
        ],
        "letter_requests": [
            {
                "campaign": r.campaign.title,
                "status": r.status,
                "channel": r.channel,
                "wants_copy": r.wants_copy,
                "created_at": _iso(r.created_at),
                "confirmation_sent_at": _iso(r.confirmation_sent_at),
                "confirmed_at": _iso(r.confirmed_at),
            }
            for r in requests
        ],
        "emails": [
            {
                "kind": m.kind,
                "to": m.recipient,
                "from": m.sender,
                "reply_to": m.reply_to,
                "subject": m.subject,
                "status": m.status,
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
            }
            for m in mails
        ],
        # Where the organisation's own systems were sent the person's name and address.
        "shared_with_the_organisations_systems": [
            {
                "event": d.event,
                "to": _scheme_and_host(d.webhook.url),
                "status": d.status,
                "created_at": _iso(d.created_at),
                "delivered_at": _iso(d.delivered_at),
            }
            for d in deliveries
        ],
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _scheme_and_host(url: str) -> str:
    """A webhook URL cut to "https://hooks.example.org": its path, query and user info often
    carry the receiver's secret (/catch/123/KEY/), which is not the supporter's to hold."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://[{host}]" if ":" in host else f"{parts.scheme}://{host}"


def supporter_erase(*, supporter_id: int) -> None:
    """Remove personal data, keep anonymous counts (GDPR art. 17): the e-mail becomes NULL
    (so the unique constraint lets erased rows coexist), names and address blank, consent
    texts stay but lose their source; signatures keep status and country, so public counters
    do not move. Letters are left to the letters service (they went to a third party).
    Idempotent."""
    now = timezone.now()
    with transaction.atomic():
        person = (
            Supporter.objects.filter(pk=supporter_id, erased_at__isnull=True)
            .values_list("email", "organisation_id")
            .first()
        )
        updated = Supporter.objects.filter(pk=supporter_id, erased_at__isnull=True).update(
            email=None,
            first_name="",
            last_name="",
            postcode="",
            city="",
            wants_organisation_news=False,
            unsubscribed_at=now,
            erased_at=now,
        )
        if not updated or person is None:
            if not Supporter.objects.filter(pk=supporter_id).exists():
                raise SupporterNotFoundError("We hold no data for this link any more.")
            return
        old_email, organisation_id = person
        consents = Consent.objects.filter(supporter_id=supporter_id)
        consents.update(source={})
        # A consent withdrawn earlier keeps its date: the record says when, not just whether.
        consents.filter(withdrawn_at__isnull=True).update(withdrawn_at=now)
        # A pending signature can never be confirmed by an erased person: drop it now
        # rather than let the retention task find it (no counter counts pending ones).
        Signature.objects.filter(supporter_id=supporter_id, status="pending").delete()
        _erase_letters_and_mail(
            supporter_id=supporter_id, organisation_id=organisation_id, email=old_email, now=now
        )
        _erase_webhook_payloads(supporter_id=supporter_id, organisation_id=organisation_id)


ERASED_SUPPORTER = {"erased": True}


def _erase_webhook_payloads(*, supporter_id: int, organisation_id: int) -> None:
    """The `signature.confirmed` events carried the person's name and address to the
    organisation's webhooks: their stored copies lose them, and those not delivered yet go
    out without them (the signature itself, anonymous, still counts)."""
    event_ids = [
        f"signature-{pk}"
        for pk in Signature.objects.filter(supporter_id=supporter_id).values_list("pk", flat=True)
    ]
    deliveries = WebhookDelivery.objects.filter(
        webhook__organisation_id=organisation_id, event_id__in=event_ids
    )
    for delivery in deliveries:
        data = delivery.payload.get("data") if isinstance(delivery.payload, dict) else None
        if isinstance(data, dict) and data.get("supporter") != ERASED_SUPPORTER:
            data["supporter"] = ERASED_SUPPORTER
            WebhookDelivery.objects.filter(pk=delivery.pk).update(payload=delivery.payload)


def _erase_letters_and_mail(
    *, supporter_id: int, organisation_id: int, email: str | None, now: Any
) -> None:
    """Letters carry the supporter's own words and name. Unsent ones are cancelled (the person
    withdrew); every letter keeps its row, MEP and status, so per-MEP counts stay right, but
    loses its text. Mails still queued or being sent to or on behalf of the person are
    cancelled; the texts of mails already out are blanked (they live on only in the
    recipient's inbox)."""
    letters = Letter.objects.filter(supporter_id=supporter_id)
    letters.filter(status=LetterStatus.AWAITING_CONFIRMATION).update(
        status=LetterStatus.CANCELLED, status_reason="Erased at the supporter's request."
    )
    letter_mail = OutboundEmail.objects.filter(letter__supporter_id=supporter_id)
    # This organisation's mail only: another organisation's supporter with the same address
    # is another person as far as this erasure goes (Supporter is per organisation).
    own_mail = (
        OutboundEmail.objects.filter(recipient=email, organisation_id=organisation_id)
        if email
        else None
    )
    _mail_rows_erase(letter_mail, to_the_person=False)
    if own_mail is not None:
        _mail_rows_erase(own_mail, to_the_person=True)
    letters.update(subject="[erased]", body="")


def _mail_rows_erase(rows: QuerySet[OutboundEmail], *, to_the_person: bool) -> None:
    """Mail still queued or being sent is cancelled, with its letter if it carries one; every
    row loses its text (and last_error: a relay's reply may quote the address). Mail to the
    person loses the address; letters (mail on their behalf) lose their From's name, which
    becomes the organisation's address alone."""
    # Rows a worker is sending right now are cancelled too: left alone, they kept the text
    # once sent, and came back to the queue (and out again) after a transient failure. Their
    # outcome then finds no row in flight and is not recorded (like a lost claim), so such a
    # letter may show "cancelled" although it left: a race of seconds, and the person asked
    # for everything to go.
    unsent = (OutboundEmailStatus.QUEUED, OutboundEmailStatus.SENDING)
    cancelled = list(rows.filter(status__in=unsent).values_list("id", flat=True))
    OutboundEmail.objects.filter(id__in=cancelled, status__in=unsent).update(
        status=OutboundEmailStatus.CANCELLED, last_error="Erased at the supporter's request."
    )
    Letter.objects.filter(outbound_email_id__in=cancelled).update(
        status=LetterStatus.CANCELLED, status_reason="Erased at the supporter's request."
    )
    # Every row loses its text: none of them is in flight any more.
    rows.update(
        body_text="", body_html="", reply_to="", headers={}, subject="[erased]", last_error=""
    )
    if to_the_person:
        rows.update(recipient="erased@invalid")
    else:
        rows.update(
            sender=Coalesce(
                Subquery(
                    Organisation.objects.filter(pk=OuterRef("organisation_id")).values(
                        "sending_address"
                    )[:1]
                ),
                Value(settings.DEFAULT_FROM_EMAIL),
            )
        )


def supporters_without_records_delete(*, supporter_ids: Iterable[int]) -> int:
    """Delete those of `supporter_ids` who have no signature, letter request or letter left
    (the retention purges removed what they never confirmed), with what this organisation's
    mail to them still held: the confirmation mails never clicked name the person, the
    campaign they meant to support and the address, which no one could ask to see or erase
    any more once the supporter is gone. Call inside a transaction. Returns how many."""
    doomed = list(
        Supporter.objects.select_for_update(of=("self",))
        .filter(
            pk__in=set(supporter_ids),
            signatures__isnull=True,
            letter_requests__isnull=True,
            letters__isnull=True,
        )
        .values_list("pk", "email", "organisation_id")
    )
    if not doomed:
        return 0
    addresses: dict[int, list[str]] = {}
    for _, email, organisation_id in doomed:
        if email:
            addresses.setdefault(organisation_id, []).append(email)
    for organisation_id, emails in addresses.items():
        _mail_rows_erase(
            OutboundEmail.objects.filter(organisation_id=organisation_id, recipient__in=emails),
            to_the_person=True,
        )
    Supporter.objects.filter(pk__in=[pk for pk, _, _ in doomed]).delete()
    return len(doomed)


def unconfirmed_purge(*, model: type[Signature] | type[LetterRequest], days: int) -> int:
    """Delete `model`'s rows still pending after `days` (pending signatures, pending letter
    requests with their letters), their consents (each row recorded its own), then the
    supporters only they justified and what their mail held (supporters_without_records_delete).
    In batches, each its own transaction; a row being confirmed is locked and skipped, one
    confirmed meanwhile is spared by the status filter. Returns how many rows went."""
    if days < 1:
        # Zero or fewer days would delete rows whose confirmation mail is still on its way:
        # the retention period exists to give supporters time to click.
        raise ValueError(f"older_than_days must be at least 1, not {days}")
    cutoff = timezone.now() - timedelta(days=days)
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                model.objects.select_for_update(skip_locked=True)
                .filter(status="pending", created_at__lt=cutoff)
                .values_list("pk", "consent_id", "supporter_id")[:1000]
            )
            if not batch:
                break
            ids, consent_ids, supporter_ids = zip(*batch, strict=True)
            model.objects.filter(pk__in=ids, status="pending").delete()
            Consent.objects.filter(pk__in=consent_ids).delete()
            supporters_without_records_delete(supporter_ids=supporter_ids)
            total += len(ids)
    if total:
        logger.info(
            "deleted %d unconfirmed %s(s) older than %d days",
            total,
            model._meta.verbose_name,
            days,
        )
    return total


# --- Links that prove a supporter owns their mailbox ----------------------------------------

UNSUBSCRIBE_PURPOSE = "unsubscribe"
DATA_PURPOSE = "supporter_data"


def data_token_make(*, supporter_id: int) -> str:
    return token_make(purpose=DATA_PURPOSE, object_id=supporter_id)


def data_token_read(*, token: str) -> int:
    """Supporter id from a data-request link; raises TokenExpiredError/TokenInvalidError."""
    max_age = int(settings.SUPPORTER_EXPORT_MAX_AGE_HOURS) * 3600
    return token_read(purpose=DATA_PURPOSE, token=token, max_age_seconds=max_age)


def unsubscribe_token_read(*, token: str) -> int:
    """Unsubscribe links never expire: an old mail must still let its reader leave."""
    return token_read(purpose=UNSUBSCRIBE_PURPOSE, token=token, max_age_seconds=None)


def supporter_data_link_send(*, email: str) -> int:
    """Mail a link to their data page to every supporter record with this address (one per
    organisation). Says nothing to the caller about whether the address is known: callers
    show the same answer either way. Returns the number of mails queued."""
    try:
        address = clean_email(email)  # as every stored address was cleaned
    except ValueError:  # so no supporter has this one
        return 0
    supporters = list(
        Supporter.objects.select_related("organisation").filter(
            email=address, erased_at__isnull=True
        )
    )
    hours = settings.SUPPORTER_EXPORT_MAX_AGE_HOURS
    with transaction.atomic():
        for supporter in supporters:
            link = absolute_url(
                reverse(
                    "advocacy:supporter-data",
                    kwargs={"token": data_token_make(supporter_id=supporter.pk)},
                )
            )
            organisation = supporter.organisation
            unsubscribe = unsubscribe_url(supporter_id=supporter.pk)
            outbound_email_create(
                kind=EmailKind.NOTIFICATION,
                recipient=address,
                sender=organisation_sender(organisation),
                subject=f"Your data held by {header_text(organisation.name)}"[:300],
                body_text=(
                    "Hello,\n\n"
                    f"Someone (hopefully you) asked which data {organisation.name} holds about "
                    "this e-mail address. Open this link to download it, or to have it "
                    "erased:\n\n"
                    f"{link}\n\n"
                    f"The link is valid for {hours} hours. If you did not ask, ignore this "
                    "e-mail.\n\n"
                    "--\n"
                    f"Unsubscribe: {unsubscribe}\n"
                ),
                headers=unsubscribe_headers(url=unsubscribe),
                organisation=organisation,
            )
    return len(supporters)
