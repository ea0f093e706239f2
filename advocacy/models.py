"""What supporters do and what goes out: supporters and their consent, signatures, letters,
and the outbox every e-mail passes through."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import MD5

from campaign.models import Campaign, Mep, Organisation, Petition


def _empty_dict() -> dict[str, Any]:
    return {}


class Channel(models.TextChoices):
    PAGE = "page", "Web page"
    API = "api", "API"
    ADMIN = "admin", "Admin"


class Supporter(models.Model):
    """A person acting on an organisation's campaigns. Personal data lives only here (and in
    letters they wrote), so erasure is one place; `erased_at` keeps the anonymous row for
    counts."""

    # No index of its own: the unique (organisation, email) index starts with it.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="supporters", db_index=False
    )
    # Normalised (see advocacy.emails.normalise_email); NULL once erased.
    # NULL (not "") after erasure, so the unique constraint lets many erased rows coexist.
    email = models.EmailField(max_length=254, null=True, blank=True)  # noqa: DJ001
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    postcode = models.CharField(max_length=16, blank=True)
    city = models.CharField(max_length=100, blank=True)
    wants_organisation_news = models.BooleanField(default=False)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"], name="supporter_unique_email_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"Supporter #{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ConsentPurpose(models.TextChoices):
    SIGNATURE = "signature", "Sign a petition"
    LETTER = "letter", "Send letters to MEPs"
    ORGANISATION_NEWS = "organisation_news", "Hear from the organisation"


class Consent(models.Model):
    """The exact words a supporter agreed to, when, through which door, from which source."""

    supporter = models.ForeignKey(Supporter, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=20, choices=ConsentPurpose.choices)
    text = models.TextField()
    version = models.PositiveIntegerField()
    given_at = models.DateTimeField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # utm_* parameters and the referrer, as received (length-limited).
    source = models.JSONField(default=_empty_dict, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} v{self.version} ({self.given_at:%Y-%m-%d})"


class SignatureStatus(models.TextChoices):
    PENDING = "pending", "Pending confirmation"
    CONFIRMED = "confirmed", "Confirmed"


class Signature(models.Model):
    # No index of its own: the unique (petition, supporter) index and the (petition, status,
    # confirmed_at) one start with it; a third was one more write per signature, for nothing.
    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="signatures", db_index=False
    )
    supporter = models.ForeignKey(Supporter, on_delete=models.CASCADE, related_name="signatures")
    status = models.CharField(
        max_length=10, choices=SignatureStatus.choices, default=SignatureStatus.PENDING
    )
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="+")
    # Kept after erasure: country alone identifies no one and feeds "top countries".
    country = models.CharField(max_length=2, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    # The news box ticked when signing: it becomes the supporter's consent only when the
    # signature is confirmed, so no one can opt another person's address in (double opt-in).
    wants_organisation_news = models.BooleanField(default=False)

    class Meta:
        constraints = [
            # One signature per person per petition, enforced by the database (races too).
            models.UniqueConstraint(fields=["petition", "supporter"], name="signature_unique")
        ]
        indexes = [
            models.Index(fields=["petition", "status", "confirmed_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"Signature #{self.pk} ({self.status})"


class LetterRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending confirmation"
    CONFIRMED = "confirmed", "Confirmed"


class LetterRequest(models.Model):
    """One supporter's letters on one campaign, confirmed together by one e-mail link."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="letter_requests")
    supporter = models.ForeignKey(
        Supporter, on_delete=models.CASCADE, related_name="letter_requests"
    )
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10, choices=LetterRequestStatus.choices, default=LetterRequestStatus.PENDING
    )
    wants_copy = models.BooleanField(default=False)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Letter request #{self.pk} ({self.status})"


class LetterStatus(models.TextChoices):
    AWAITING_CONFIRMATION = "awaiting_confirmation", "Awaiting confirmation"
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    SKIPPED = "skipped", "Skipped"


class Letter(models.Model):
    request = models.ForeignKey(LetterRequest, on_delete=models.CASCADE, related_name="letters")
    # No index of its own: the four below (uniqueness, text, status, pacing) all start with it.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="letters", db_index=False
    )
    supporter = models.ForeignKey(Supporter, on_delete=models.CASCADE, related_name="letters")
    mep = models.ForeignKey(Mep, on_delete=models.PROTECT, related_name="letters")
    language = models.CharField(max_length=8, default="en")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(
        max_length=24, choices=LetterStatus.choices, default=LetterStatus.AWAITING_CONFIRMATION
    )
    status_reason = models.CharField(max_length=300, blank=True)
    outbound_email = models.OneToOneField(
        "OutboundEmail", on_delete=models.SET_NULL, null=True, blank=True, related_name="letter"
    )
    # Its pacing slot: when its outbox row was first due (advocacy.letters._next_slot).
    scheduled_for = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One letter per supporter per MEP per campaign: writing again changes nothing.
            models.UniqueConstraint(
                fields=["campaign", "supporter", "mep"], name="letter_unique_per_mep"
            ),
            # No two letters to one MEP alike (advocacy.letters.letter_request_create): the
            # database refuses a repeated text, so writing letters costs no lookup however
            # many letters a campaign holds. Erased letters (empty text) are exempt.
            models.UniqueConstraint(
                F("campaign"),
                F("mep"),
                MD5("body"),
                condition=~Q(body=""),
                name="letter_text_unique_per_mep",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "mep", "status"]),
            # The latest slots of one MEP, read backwards from the top: O(limit) per letter
            # however long the MEP's backlog.
            models.Index(fields=["campaign", "mep", "scheduled_for"], name="letter_pacing"),
        ]

    def __str__(self) -> str:
        return f"Letter #{self.pk} ({self.status})"


class EmailKind(models.TextChoices):
    SIGNATURE_CONFIRMATION = "signature_confirmation", "Signature confirmation"
    LETTER_CONFIRMATION = "letter_confirmation", "Letter confirmation"
    LETTER = "letter", "Letter to an MEP"
    LETTER_COPY = "letter_copy", "Copy of a letter"
    NOTIFICATION = "notification", "Notification"


class OutboundEmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class OutboundEmail(models.Model):
    """The outbox: every e-mail is first a row, written in the transaction of the action that
    caused it. PostgreSQL is the record; the broker only carries row ids."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=24, choices=EmailKind.choices)
    recipient = models.EmailField(max_length=254)
    sender = models.CharField(max_length=320)
    reply_to = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=_empty_dict, blank=True)
    # Stable across retries and re-runs: the receiving side can deduplicate on it.
    message_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(
        max_length=10, choices=OutboundEmailStatus.choices, default=OutboundEmailStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    not_before = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The dispatcher's claim reads the due rows in this order (ORDER BY not_before, id
            # LIMIT n): with `id` in the index it reads n entries; with `not_before` alone
            # PostgreSQL fetched every queued row, sorted them and kept n (26 ms per claim
            # with 20,000 queued, growing with the backlog).
            models.Index(
                fields=["not_before", "id"],
                name="outbox_due_queued_in_order",
                condition=Q(status="queued"),
            ),
            # Rows in flight, for the sweep (claimed_at < stale) and for every outcome's
            # conditional UPDATE (id = …, status = 'sending', claimed_at = …): a batch's rows
            # share one claimed_at, and PostgreSQL takes this small index over the primary
            # key, so with claimed_at alone each "sent" mark read the whole batch's entries.
            models.Index(
                fields=["claimed_at", "id"],
                name="outbox_sending_claim_id",
                condition=Q(status="sending"),
            ),
            models.Index(fields=["recipient", "not_before"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sending", "sent", "failed", "cancelled"]),
                name="outbound_email_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.status})"


# --- Webhooks -------------------------------------------------------------------------------


class WebhookEvent(models.TextChoices):
    SIGNATURE_CONFIRMED = "signature.confirmed", "Signature confirmed"
    LETTER_SENT = "letter.sent", "Letter sent"


def _all_webhook_events() -> list[str]:
    return [event.value for event in WebhookEvent]


class Webhook(models.Model):
    """An organisation's endpoint for events. Payloads are signed with HMAC-SHA256 using
    `secret`, so the receiver can tell them from forgeries."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=64)
    events = models.JSONField(default=_all_webhook_events)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.url} ({'active' if self.active else 'inactive'})"


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERING = "delivering", "Delivering"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one webhook: an outbox row like OutboundEmail, with its attempts."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    event_id = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(
        max_length=12, choices=WebhookDeliveryStatus.choices, default=WebhookDeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    not_before = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event_id"], name="webhook_delivery_once")
        ]
        indexes = [models.Index(fields=["status", "not_before"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook.url} ({self.status})"
