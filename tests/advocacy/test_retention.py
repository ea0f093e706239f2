"""What a supporter never confirmed is not kept: past retention, pending signatures and letter
requests go, with their letters and consents, the supporters only they justified, and what
the organisation's mail to those supporters held (the address, the name, the campaign)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from advocacy.letters import letter_request_unconfirmed_purge
from advocacy.models import (
    Consent,
    EmailKind,
    Letter,
    LetterRequest,
    LetterRequestStatus,
    OutboundEmail,
    OutboundEmailStatus,
    Signature,
    Supporter,
)
from advocacy.outbox import outbound_email_create
from advocacy.signatures import signature_unconfirmed_purge
from tests.factories import LetterFactory, OrganisationFactory, SignatureFactory

pytestmark = pytest.mark.django_db
LONG_AGO = timezone.now() - timedelta(days=30)


def _mail_to(supporter: Supporter, kind: str, status: str = OutboundEmailStatus.SENT) -> int:
    email = outbound_email_create(
        publish=False,
        kind=kind,
        recipient=supporter.email or "",
        subject="Please confirm: Free the prisoners",
        body_text=f"Dear {supporter.first_name}, …",
        organisation=supporter.organisation,
    )
    OutboundEmail.objects.filter(pk=email.pk).update(status=status)
    return email.pk


def test_purging_a_signature_never_confirmed_forgets_the_mail_that_named_its_signer(settings):
    settings.SIGNATURE_UNCONFIRMED_RETENTION_DAYS = 14
    pending = SignatureFactory(supporter__email="never@example.net", supporter__first_name="Ana")
    sent = _mail_to(pending.supporter, EmailKind.SIGNATURE_CONFIRMATION)
    queued = _mail_to(pending.supporter, EmailKind.SIGNATURE_CONFIRMATION, "queued")
    Signature.objects.filter(pk=pending.pk).update(created_at=LONG_AGO)
    # The same address in another organisation is another supporter, and is left alone.
    elsewhere = SignatureFactory(supporter__email="never@example.net")
    theirs = _mail_to(elsewhere.supporter, EmailKind.SIGNATURE_CONFIRMATION)

    assert signature_unconfirmed_purge() == 1

    assert not Supporter.objects.filter(pk=pending.supporter_id).exists()
    for pk in (sent, queued):
        row = OutboundEmail.objects.get(pk=pk)
        assert (row.recipient, row.subject, row.body_text) == ("erased@invalid", "[erased]", "")
    assert OutboundEmail.objects.get(pk=queued).status == OutboundEmailStatus.CANCELLED
    assert OutboundEmail.objects.get(pk=theirs).recipient == "never@example.net"
    assert not OutboundEmail.objects.filter(recipient="never@example.net").exclude(pk=theirs)


def test_a_letter_request_never_confirmed_goes_with_its_letters_consent_supporter_and_mail(
    settings,
):
    settings.LETTER_UNCONFIRMED_RETENTION_DAYS = 14
    old = LetterFactory(request__supporter__email="typed-by-someone@example.net")
    LetterFactory(request=old.request)  # a second MEP in the same request
    mail = _mail_to(old.supporter, EmailKind.LETTER_CONFIRMATION)
    LetterRequest.objects.filter(pk=old.request_id).update(created_at=LONG_AGO)
    recent = LetterFactory()
    confirmed = LetterFactory()
    LetterRequest.objects.filter(pk=confirmed.request_id).update(
        created_at=LONG_AGO, status=LetterRequestStatus.CONFIRMED, confirmed_at=LONG_AGO
    )

    assert letter_request_unconfirmed_purge() == 1

    assert not LetterRequest.objects.filter(pk=old.request_id).exists()
    assert not Letter.objects.filter(request_id=old.request_id).exists()
    assert not Consent.objects.filter(pk=old.request.consent_id).exists()
    assert not Supporter.objects.filter(pk=old.supporter_id).exists()
    row = OutboundEmail.objects.get(pk=mail)
    assert (row.recipient, row.body_text) == ("erased@invalid", "")
    # Recent and confirmed requests stay, letters and all.
    assert Letter.objects.filter(pk__in=[recent.pk, confirmed.pk]).count() == 2


def test_a_supporter_with_something_confirmed_keeps_their_record(settings):
    settings.LETTER_UNCONFIRMED_RETENTION_DAYS = 14
    signature = SignatureFactory(status="confirmed", supporter__email="both@example.net")
    organisation_mail = _mail_to(signature.supporter, EmailKind.SIGNATURE_CONFIRMATION)
    letter = LetterFactory(
        request__campaign=signature.petition.campaign, request__supporter=signature.supporter
    )
    LetterRequest.objects.filter(pk=letter.request_id).update(created_at=LONG_AGO)

    assert letter_request_unconfirmed_purge() == 1

    assert Supporter.objects.filter(pk=signature.supporter_id).exists()
    assert OutboundEmail.objects.get(pk=organisation_mail).recipient == "both@example.net"


def test_the_command_purges_both_and_says_how_many():
    signature = SignatureFactory()
    Signature.objects.filter(pk=signature.pk).update(created_at=LONG_AGO)
    letter = LetterFactory(request__campaign__organisation=OrganisationFactory())
    LetterRequest.objects.filter(pk=letter.request_id).update(created_at=LONG_AGO)
    out = StringIO()

    call_command("purge_unconfirmed_signatures", "--days", "7", stdout=out)

    assert out.getvalue().splitlines() == [
        "Deleted 1 unconfirmed signature(s).",
        "Deleted 1 unconfirmed letter request(s).",
    ]
    assert not Signature.objects.exists() and not LetterRequest.objects.exists()


def test_the_letters_purge_refuses_zero_days():
    with pytest.raises(ValueError, match="at least 1"):
        letter_request_unconfirmed_purge(older_than_days=0)
