"""Exports tell their reader what is theirs to know and nothing more: a supporter's file names
the organisation's systems without their secrets, an organiser cannot probe for petitions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from advocacy.models import Webhook
from advocacy.signatures import signature_confirm
from advocacy.supporters import data_token_make
from advocacy.tokens import token_make
from campaign.models import AuditEntry, OrganisationRole, Petition
from tests.factories import MembershipFactory, PetitionFactory, SignatureFactory


@pytest.mark.django_db
def test_the_personal_data_export_names_the_webhooks_host_but_not_its_secret_path(client):
    signature = SignatureFactory()
    Webhook.objects.create(
        organisation=signature.petition.campaign.organisation,
        url="https://user:PASSWORDKEY@hooks.example.org:8443/catch/123/SECRETPATHKEY/?k=QUERYKEY",
        secret="s" * 64,
    )
    signature_confirm(token=token_make(purpose="signature_confirm", object_id=signature.pk))
    token = data_token_make(supporter_id=signature.supporter_id)

    response = client.get(reverse("advocacy:supporter-data-export", args=[token]))

    assert response.status_code == 200
    [shared] = response.json()["shared_with_the_organisations_systems"]
    assert (shared["event"], shared["to"]) == ("signature.confirmed", "https://hooks.example.org")
    for secret in ("PASSWORDKEY", "SECRETPATHKEY", "QUERYKEY"):
        assert secret not in response.content.decode()


@pytest.mark.django_db
def test_another_organisations_petition_and_a_missing_one_both_export_as_404(client):
    editor = MembershipFactory(role=OrganisationRole.EDITOR)
    client.force_login(editor.user)
    theirs = PetitionFactory()
    missing = (Petition.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000

    other = client.get(reverse("admin:advocacy_signature_export", args=[theirs.pk]))
    absent = client.get(reverse("admin:advocacy_signature_export", args=[missing]))

    assert other.status_code == absent.status_code == 404
    assert not AuditEntry.objects.filter(action="signatures.export").exists()


@pytest.mark.django_db
def test_an_organiser_still_exports_their_own_petition(client):
    editor = MembershipFactory(role=OrganisationRole.EDITOR)
    client.force_login(editor.user)
    mine = PetitionFactory(campaign__organisation=editor.organisation)

    response = client.get(reverse("admin:advocacy_signature_export", args=[mine.pk]))

    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="signatures.export").count() == 1
