"""Erasure reaches letters and mail; confirmations and sent letters reach webhooks."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from advocacy.models import (
    Consent,
    EmailKind,
    Letter,
    LetterRequest,
    LetterStatus,
    OutboundEmail,
    OutboundEmailStatus,
    Webhook,
    WebhookDelivery,
)
from advocacy.outbox import outbound_email_create, outbound_email_send_many
from advocacy.signatures import signature_confirm
from advocacy.supporters import supporter_erase
from advocacy.tokens import token_make
from tests.factories import CampaignFactory, MepFactory, SignatureFactory, SupporterFactory


def _letter(campaign, supporter, status, email_status=None):
    consent = Consent.objects.create(
        supporter=supporter,
        purpose="letter",
        text="ok",
        version=1,
        given_at=timezone.now(),
        channel="page",
    )
    request = LetterRequest.objects.create(
        campaign=campaign, supporter=supporter, consent=consent, channel="page"
    )
    mep = MepFactory()
    email = None
    if email_status:
        with transaction.atomic():
            email = outbound_email_create(
                kind=EmailKind.LETTER,
                recipient=mep.email,
                subject="Please act",
                body_text=f"Dear MEP, from {supporter.first_name}",
                reply_to=supporter.email,
                publish=False,
            )
        OutboundEmail.objects.filter(pk=email.pk).update(status=email_status)
    return Letter.objects.create(
        request=request,
        campaign=campaign,
        supporter=supporter,
        mep=mep,
        subject="Please act",
        body=f"My own words, {supporter.first_name}",
        status=status,
        outbound_email=email,
    )


@pytest.mark.django_db
def test_erasure_cancels_unsent_letters_and_blanks_every_letters_text():
    campaign = CampaignFactory()
    supporter = SupporterFactory(organisation=campaign.organisation, first_name="Zhanna")
    waiting = _letter(campaign, supporter, LetterStatus.AWAITING_CONFIRMATION)
    queued = _letter(campaign, supporter, LetterStatus.QUEUED, OutboundEmailStatus.QUEUED)
    sent = _letter(campaign, supporter, LetterStatus.SENT, OutboundEmailStatus.SENT)

    supporter_erase(supporter_id=supporter.pk)

    for letter in (waiting, queued, sent):
        letter.refresh_from_db()
        assert letter.body == "" and "Zhanna" not in letter.subject
    assert waiting.status == LetterStatus.CANCELLED
    assert queued.status == LetterStatus.CANCELLED
    assert sent.status == LetterStatus.SENT  # it was delivered; the count stays right
    assert OutboundEmail.objects.get(pk=queued.outbound_email_id).status == "cancelled"
    assert not OutboundEmail.objects.filter(body_text__contains="Zhanna").exists()


@pytest.mark.django_db
def test_confirming_a_signature_queues_one_webhook_delivery(django_capture_on_commit_callbacks):
    signature = SignatureFactory()
    Webhook.objects.create(
        organisation=signature.petition.campaign.organisation,
        url="https://hooks.example.org/x",
        secret="s" * 64,
    )
    token = token_make(purpose="signature_confirm", object_id=signature.pk)

    signature_confirm(token=token)
    signature_confirm(token=token)  # twice: still one event

    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "signature.confirmed"
    assert delivery.payload["data"]["signature_id"] == signature.pk
    assert delivery.payload["data"]["supporter"]["email"] == signature.supporter.email


@pytest.mark.django_db
def test_a_sent_letter_queues_a_letter_sent_webhook_delivery():
    campaign = CampaignFactory()
    supporter = SupporterFactory(organisation=campaign.organisation)
    letter = _letter(campaign, supporter, LetterStatus.QUEUED, OutboundEmailStatus.QUEUED)
    Webhook.objects.create(
        organisation=campaign.organisation,
        url="https://hooks.example.org/x",
        secret="s" * 64,
        events=["letter.sent"],
    )

    [outcome] = outbound_email_send_many(email_ids=[letter.outbound_email_id])

    assert outcome.result == "sent"
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "letter.sent"
    assert delivery.payload["data"]["mep"]["ep_id"] == letter.mep.ep_id
