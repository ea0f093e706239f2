"""The campaign dashboard: counts, chart, countries, letters, outbox health; scoped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.models import EmailKind, OutboundEmail
from campaign.models import AuditEntry, OrganisationRole
from tests.factories import MembershipFactory, PetitionFactory, SignatureFactory
from tests.support.clock import clear_of_midnight


@pytest.fixture
def organiser(client):
    membership = MembershipFactory(role=OrganisationRole.VIEWER)
    client.force_login(membership.user)
    return membership


@pytest.mark.django_db
def test_the_dashboard_shows_counts_chart_and_countries(client, organiser):
    petition = PetitionFactory(campaign__organisation=organiser.organisation, goal=100)
    clear_of_midnight(30)  # "today" is the page's: it must be the day of these signatures
    now = timezone.now()
    for country in ["DE", "DE", "FR"]:
        SignatureFactory(petition=petition, status="confirmed", confirmed_at=now, country=country)
    SignatureFactory(petition=petition, status="confirmed", confirmed_at=now - timedelta(days=3))
    SignatureFactory(petition=petition, status="pending")
    OutboundEmail.objects.create(
        kind=EmailKind.SIGNATURE_CONFIRMATION,
        recipient="x@example.org",
        sender="a@b.c",
        subject="s",
        body_text="b",
        message_id="<d1@x>",
        status="failed",
        last_error="550 no such user",
        not_before=now,
        campaign=petition.campaign,
    )

    response = client.get(f"/admin/dashboard/{petition.campaign_id}/")

    assert response.status_code == 200
    page = response.content.decode()
    dashboard = response.context["dashboard"]
    assert (dashboard.confirmed, dashboard.pending, dashboard.today) == (4, 1, 3)
    assert dashboard.top_countries[0] == ("DE", 3)
    assert sum(p.confirmed for p in dashboard.days) == 4
    section = page.split('<div id="dashboard">')[1]
    assert "<svg" in section and "<script" not in section  # no JavaScript, no CDN
    assert dashboard.outbox["failed"] == 1 and "550 no such user" in page


@pytest.mark.django_db
def test_another_organisations_dashboard_does_not_exist(client, organiser):
    theirs = PetitionFactory()
    assert client.get(f"/admin/dashboard/{theirs.campaign_id}/").status_code == 404


@pytest.mark.django_db
def test_the_dashboard_needs_a_staff_login(client):
    petition = PetitionFactory()
    response = client.get(f"/admin/dashboard/{petition.campaign_id}/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_publishing_from_the_admin_is_recorded_with_who_and_where(client):
    membership = MembershipFactory(role=OrganisationRole.EDITOR)
    client.force_login(membership.user)
    petition = PetitionFactory(
        campaign__organisation=membership.organisation, campaign__status="draft"
    )
    response = client.post(
        "/admin/campaign/campaign/",
        {"action": "publish", "_selected_action": [petition.campaign_id]},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    petition.campaign.refresh_from_db()
    assert petition.campaign.status == "live"
    entry = AuditEntry.objects.get(action="campaign.status")
    assert entry.actor == membership.user
    assert entry.ip_address == "203.0.113.7"
    assert entry.organisation == membership.organisation
    assert entry.detail == {"status": "live"}


@pytest.mark.django_db
def test_the_audit_log_is_read_only_and_scoped(client):
    membership = MembershipFactory(role=OrganisationRole.OWNER)
    client.force_login(membership.user)
    mine = AuditEntry.objects.create(organisation=membership.organisation, action="mine.thing")
    theirs = AuditEntry.objects.create(
        organisation=MembershipFactory().organisation, action="their.thing"
    )
    listing = client.get("/admin/campaign/auditentry/").content.decode()
    assert "mine.thing" in listing and "their.thing" not in listing
    assert client.get(f"/admin/campaign/auditentry/{theirs.pk}/change/").status_code in (302, 404)
    assert (
        client.post(f"/admin/campaign/auditentry/{mine.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEntry.objects.filter(pk=mine.pk).exists()
