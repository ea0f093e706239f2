"""The outbox in the admin: organisers see what was sent, never the supporters' links."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from advocacy.admin import links_hidden
from advocacy.models import OutboundEmail
from advocacy.signatures import signature_create
from campaign.models import CampaignStatus, OrganisationRole
from tests.factories import MembershipFactory, PetitionFactory


def test_links_are_cut_to_their_site():
    assert links_hidden(
        "Confirm: https://example.org/confirm/eyJhbGci.abc/?x=1 — or write to "
        "<mailto:unsubscribe+tok123@example.org>, see http://example.org."
    ) == (
        "Confirm: https://example.org/\u2026 — or write to <mailto:\u2026>, "
        "see http://example.org./\u2026"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", [OrganisationRole.VIEWER, OrganisationRole.OWNER])
def test_an_organiser_sees_a_confirmation_mail_without_its_working_links(client, role):
    membership = MembershipFactory(role=role)
    petition = PetitionFactory(
        campaign__organisation=membership.organisation, campaign__status=CampaignStatus.LIVE
    )
    signature_create(
        petition=petition,
        email="ana@example.net",
        first_name="Ana",
        last_name="Supporter",
        country="DE",
        channel="page",
    )
    mail = OutboundEmail.objects.get()
    links = re.findall(r"https?://\S+", mail.body_text + str(mail.headers))
    assert links  # a confirmation link and an unsubscribe link at least
    client.force_login(membership.user)

    page = client.get(reverse("admin:advocacy_outboundemail_change", args=[mail.pk]))

    assert page.status_code == 200
    text = page.content.decode()
    assert "Body (links hidden)" in text and mail.subject in text
    for link in links:
        assert link.rstrip(">") not in text
