"""Erasure reaches letters and mail; confirmations and sent letters reach webhooks."""

from __future__ import annotations

from datetime import timedelta

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


def _hook(organisation, events=("letter.sent",), active=True):
    return Webhook.objects.create(
        organisation=organisation,
        url="https://hooks.example.org/x",
        secret="s" * 64,
        events=list(events),
        active=active,
    )


def _consent(supporter):
    return Consent.objects.create(
        supporter=supporter,
        purpose="letter",
        text="ok",
        version=1,
        given_at=timezone.now(),
        channel="page",
    )


def _letter(campaign, supporter, status, email_status=None):
    consent = _consent(supporter)
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
    _hook(campaign.organisation)

    [outcome] = outbound_email_send_many(email_ids=[letter.outbound_email_id])

    assert outcome.result == "sent"
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "letter.sent"
    assert delivery.payload["data"]["mep"]["ep_id"] == letter.mep.ep_id


@pytest.mark.django_db
@pytest.mark.parametrize("hook", ["none", "inactive", "other_event", "other_organisation"])
def test_a_sent_letter_without_a_listening_webhook_is_marked_in_one_statement(hook):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from advocacy.outbox import _claim, _record_sent

    campaign = CampaignFactory()
    supporter = SupporterFactory(organisation=campaign.organisation)
    letter = _letter(campaign, supporter, LetterStatus.QUEUED, OutboundEmailStatus.QUEUED)
    other = CampaignFactory().organisation
    if hook != "none":
        _hook(
            other if hook == "other_organisation" else campaign.organisation,
            events=["signature.confirmed"] if hook == "other_event" else ["letter.sent"],
            active=hook != "inactive",
        )
    [claimed] = _claim([letter.outbound_email_id])

    with CaptureQueriesContext(connection) as queries:
        _record_sent(claimed)

    if connection.vendor == "postgresql":
        # "other_event" costs the webhook lookup (events are filtered in Python), no more.
        assert len(queries) == (2 if hook == "other_event" else 1)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT
    assert OutboundEmail.objects.get(pk=letter.outbound_email_id).status == "sent"
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_a_letter_whose_claim_was_lost_is_neither_marked_nor_announced():
    """The sweep handed the row to another worker (a new claim): this worker's late "sent"
    changes nothing — not the row, not the letter, no webhook."""
    from datetime import timedelta

    from advocacy.outbox import _claim, _record_sent

    campaign = CampaignFactory()
    supporter = SupporterFactory(organisation=campaign.organisation)
    letter = _letter(campaign, supporter, LetterStatus.QUEUED, OutboundEmailStatus.QUEUED)
    _hook(campaign.organisation)
    [claimed] = _claim([letter.outbound_email_id])
    OutboundEmail.objects.filter(pk=claimed.pk).update(
        claimed_at=claimed.claimed_at + timedelta(minutes=5)
    )

    _record_sent(claimed)

    letter.refresh_from_db()
    assert letter.status == LetterStatus.QUEUED
    assert OutboundEmail.objects.get(pk=claimed.pk).status == "sending"
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("statement", ["one", "orm"])
def test_the_letter_sent_event_says_whether_the_mep_was_really_written_to(statement, monkeypatch):
    if statement == "orm":  # the ORM's statements, taken on databases other than PostgreSQL
        from django.db import connection

        monkeypatch.setattr(connection, "vendor", "other")
    campaign = CampaignFactory()
    supporter = SupporterFactory(organisation=campaign.organisation)
    _hook(campaign.organisation)
    live = _letter(campaign, supporter, LetterStatus.QUEUED, OutboundEmailStatus.QUEUED)
    test = _letter(campaign, supporter, LetterStatus.QUEUED, OutboundEmailStatus.QUEUED)
    OutboundEmail.objects.filter(pk=test.outbound_email_id).update(recipient="test@example.org")

    outbound_email_send_many(email_ids=[live.outbound_email_id, test.outbound_email_id])

    events = {d.payload["data"]["letter_id"]: d.payload for d in WebhookDelivery.objects.all()}
    assert events[live.pk]["data"]["test_mode"] is False
    assert events[test.pk]["data"]["test_mode"] is True
    assert events[live.pk]["data"]["mep"] == {
        "ep_id": live.mep.ep_id,
        "name": f"{live.mep.first_name} {live.mep.last_name}",
    }
    assert events[live.pk]["data"]["campaign"] == {"id": campaign.pk, "slug": campaign.slug}
    assert events[live.pk]["id"] == f"letter-{live.pk}"


@pytest.mark.django_db
def test_erasure_takes_the_persons_name_out_of_a_letters_from():
    campaign = CampaignFactory()
    organisation = campaign.organisation
    supporter = SupporterFactory(organisation=organisation, first_name="Zhanna")
    for status in (OutboundEmailStatus.QUEUED, OutboundEmailStatus.SENT):
        letter = _letter(campaign, supporter, LetterStatus.QUEUED, status)
        OutboundEmail.objects.filter(pk=letter.outbound_email_id).update(
            sender=f"Zhanna Leakova <{organisation.sending_address}>", organisation=organisation
        )

    supporter_erase(supporter_id=supporter.pk)

    senders = set(OutboundEmail.objects.values_list("sender", flat=True))
    assert senders == {organisation.sending_address}


@pytest.mark.django_db
def test_erasure_leaves_another_organisations_mail_to_the_same_address_alone():
    mine, theirs = CampaignFactory(), CampaignFactory()
    supporter = SupporterFactory(organisation=mine.organisation, email="shared@example.net")
    SupporterFactory(organisation=theirs.organisation, email="shared@example.net")
    with transaction.atomic():
        for campaign in (mine, theirs):
            outbound_email_create(
                kind=EmailKind.NOTIFICATION,
                recipient="shared@example.net",
                subject=f"News from {campaign.organisation.name}",
                body_text="Hello",
                organisation=campaign.organisation,
                publish=False,
            )

    supporter_erase(supporter_id=supporter.pk)

    ours = OutboundEmail.objects.get(organisation=mine.organisation)
    other = OutboundEmail.objects.get(organisation=theirs.organisation)
    assert (ours.status, ours.recipient) == ("cancelled", "erased@invalid")
    assert (other.status, other.recipient, other.body_text) == (
        "queued",
        "shared@example.net",
        "Hello",
    )


@pytest.mark.django_db
def test_erasure_takes_the_person_out_of_webhook_payloads_sent_or_not():
    signature = SignatureFactory()
    organisation = signature.petition.campaign.organisation
    for url in ("https://hooks.example.org/a", "https://hooks.example.org/b"):
        Webhook.objects.create(organisation=organisation, url=url, secret="s" * 64)
    signature_confirm(token=token_make(purpose="signature_confirm", object_id=signature.pk))
    delivered, pending = WebhookDelivery.objects.order_by("pk")
    WebhookDelivery.objects.filter(pk=delivered.pk).update(status="delivered")
    other = SignatureFactory(petition=signature.petition)
    signature_confirm(token=token_make(purpose="signature_confirm", object_id=other.pk))

    supporter_erase(supporter_id=signature.supporter_id)

    for delivery in (delivered, pending):
        delivery.refresh_from_db()
        assert delivery.payload["data"]["supporter"] == {"erased": True}
        assert delivery.payload["data"]["signature_id"] == signature.pk
    pending.refresh_from_db()
    assert pending.status == "pending"  # the anonymous event still goes out
    others = WebhookDelivery.objects.filter(event_id=f"signature-{other.pk}")
    assert [d.payload["data"]["supporter"]["email"] for d in others] == [other.supporter.email] * 2


@pytest.mark.django_db
def test_erasure_cancels_and_blanks_a_letter_being_sent_right_now():
    campaign = CampaignFactory()
    supporter = SupporterFactory(organisation=campaign.organisation, first_name="Zhanna")
    letter = _letter(campaign, supporter, LetterStatus.QUEUED, OutboundEmailStatus.SENDING)

    supporter_erase(supporter_id=supporter.pk)

    mail = OutboundEmail.objects.get(pk=letter.outbound_email_id)
    assert mail.status == "cancelled"  # never back to the queue after a transient failure
    assert (mail.body_text, mail.reply_to, mail.subject) == ("", "", "[erased]")
    letter.refresh_from_db()
    assert letter.status == LetterStatus.CANCELLED and letter.body == ""


@pytest.mark.django_db
def test_erasure_keeps_the_date_of_a_consent_withdrawn_earlier_and_no_smtp_reply():
    campaign = CampaignFactory()
    supporter = SupporterFactory(organisation=campaign.organisation)
    letter = _letter(campaign, supporter, LetterStatus.SENT, OutboundEmailStatus.FAILED)
    OutboundEmail.objects.filter(pk=letter.outbound_email_id).update(
        last_error=f"550 <{supporter.email}>: no such user"
    )
    earlier = timezone.now() - timedelta(days=30)
    Consent.objects.filter(supporter=supporter).update(withdrawn_at=earlier)
    later = _consent(supporter)

    supporter_erase(supporter_id=supporter.pk)

    assert Consent.objects.exclude(pk=later.pk).get().withdrawn_at == earlier
    later.refresh_from_db()
    assert later.withdrawn_at is not None and later.withdrawn_at > earlier
    assert OutboundEmail.objects.get(pk=letter.outbound_email_id).last_error == ""
