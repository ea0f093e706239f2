"""Searching the admin by an address: as the organiser types it, whatever its stored spelling."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from advocacy.models import EmailKind, OutboundEmail
from campaign.models import OrganisationRole
from tests.factories import MembershipFactory, SupporterFactory

pytestmark = pytest.mark.django_db


def _found(client, admin_name: str, term: str) -> str:
    page = client.get(reverse(f"admin:advocacy_{admin_name}_changelist"), {"q": term})
    assert page.status_code == 200
    return page.content.decode()


@pytest.fixture
def organiser(client):
    membership = MembershipFactory(role=OrganisationRole.OWNER)
    client.force_login(membership.user)
    return membership


@pytest.mark.parametrize("typed", ["ana@bücher.de", "Ana@BÜCHER.de", " ana@xn--bcher-kva.de "])
def test_a_supporter_is_found_by_the_address_as_typed(client, organiser, typed):
    SupporterFactory(organisation=organiser.organisation, email="ana@xn--bcher-kva.de")
    SupporterFactory(organisation=organiser.organisation, email="bea@example.net")

    page = _found(client, "supporter", typed)

    assert "ana@xn--bcher-kva.de" in page
    assert "bea@example.net" not in page


def test_a_supporter_stored_before_normalisation_is_still_found(client, organiser):
    SupporterFactory(organisation=organiser.organisation, email="old@bücher.de")

    assert "old@bücher.de" in _found(client, "supporter", "old@bücher.de")


def test_the_search_stays_within_the_organisation(client, organiser):
    SupporterFactory(email="ana@xn--bcher-kva.de")  # another organisation's supporter

    assert "ana@xn--bcher-kva.de" not in _found(client, "supporter", "ana@bücher.de")


def test_an_address_that_cannot_be_normalised_is_searched_as_typed(client, organiser):
    SupporterFactory(organisation=organiser.organisation, email="bea@example.net")

    page = _found(client, "supporter", "x@" + "a" * 70 + ".de")  # a label IDNA refuses

    assert "bea@example.net" not in page


def test_an_outbox_mail_is_found_by_its_recipient_as_typed(client, organiser):
    OutboundEmail.objects.create(
        organisation=organiser.organisation,
        kind=EmailKind.SIGNATURE_CONFIRMATION,
        recipient="ana@xn--bcher-kva.de",
        subject="Please confirm",
        body_text="…",
        message_id="<1@example.org>",
        sender="Campaigns <campaigns@example.org>",
        not_before=timezone.now(),
    )

    assert "ana@xn--bcher-kva.de" in _found(client, "outboundemail", "ana@BÜCHER.de")
