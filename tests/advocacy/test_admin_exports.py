"""Organiser exports from the admin: filtered, streamed, scoped and recorded."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaign.models import AuditEntry, OrganisationRole
from tests.factories import (
    LetterFactory,
    MembershipFactory,
    PetitionFactory,
    SignatureFactory,
    SupporterFactory,
)


@pytest.fixture
def editor(client):
    membership = MembershipFactory(role=OrganisationRole.EDITOR)
    client.force_login(membership.user)
    return membership


def _rows(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.django_db
def test_signature_export_filters_by_status_and_date_and_is_recorded(client, editor):
    petition = PetitionFactory(campaign__organisation=editor.organisation)
    old = SignatureFactory(petition=petition, status="confirmed", confirmed_at=timezone.now())
    type(old).objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    SignatureFactory(petition=petition, status="confirmed", confirmed_at=timezone.now())
    SignatureFactory(petition=petition, status="pending")
    url = reverse("admin:advocacy_signature_export", args=[petition.pk])

    assert len(_rows(client.get(url))) == 2
    assert len(_rows(client.get(url, {"status": "all"}))) == 3
    assert len(_rows(client.get(url, {"status": "pending"}))) == 1
    since = (timezone.now() - timedelta(days=2)).date().isoformat()
    assert len(_rows(client.get(url, {"since": since}))) == 1
    assert client.get(url, {"since": "last tuesday"}).status_code == 400
    assert client.get(url, {"status": "maybe"}).status_code == 400
    assert AuditEntry.objects.filter(action="signatures.export").count() == 4


@pytest.mark.django_db
def test_exports_of_another_organisation_are_refused(client, editor):
    theirs = PetitionFactory()
    response = client.get(reverse("admin:advocacy_signature_export", args=[theirs.pk]))
    assert response.status_code in (403, 404)
    response = client.get(reverse("admin:advocacy_letter_export", args=[theirs.campaign_id]))
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action__endswith=".export").exists()


@pytest.mark.django_db
def test_letter_export_streams_a_header_even_when_empty(client, editor):
    petition = PetitionFactory(campaign__organisation=editor.organisation)
    response = client.get(reverse("admin:advocacy_letter_export", args=[petition.campaign_id]))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("letter_id,created_at,status")


@pytest.mark.django_db
def test_letter_export_leaves_out_letters_awaiting_confirmation_unless_asked_by_name(
    client, editor
):
    from advocacy.models import LetterStatus

    campaign = PetitionFactory(campaign__organisation=editor.organisation).campaign
    LetterFactory(request__campaign=campaign, request__supporter__email="typed@example.net")
    sent = LetterFactory(request__campaign=campaign, status=LetterStatus.SENT)
    url = reverse("admin:advocacy_letter_export", args=[campaign.pk])

    # Whoever typed the address may not own it: not handed on in bulk by default.
    default = _rows(client.get(url))
    assert [row["letter_id"] for row in default] == [str(sent.pk)]
    assert "typed@example.net" not in str(default)
    waiting = _rows(client.get(url, {"status": LetterStatus.AWAITING_CONFIRMATION}))
    assert [row["supporter_email"] for row in waiting] == ["typed@example.net"]


@pytest.mark.django_db
def test_supporter_data_export_and_erasure_from_the_admin_are_recorded(client, editor):
    supporter = SupporterFactory(organisation=editor.organisation, first_name="Aigerim")
    changelist = reverse("admin:advocacy_supporter_changelist")

    exported = client.post(
        changelist, {"action": "export_data", "_selected_action": [supporter.pk]}
    )
    assert exported.status_code == 200
    assert "Aigerim" in exported.content.decode()

    client.post(changelist, {"action": "erase", "_selected_action": [supporter.pk]})
    supporter.refresh_from_db()
    assert supporter.erased_at is not None and supporter.first_name == ""
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"supporter.export", "supporter.erase"} <= actions
