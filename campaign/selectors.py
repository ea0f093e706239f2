"""Reads of campaigns for the public pages and the API. Each selector owns its joins, so no
caller makes N+1 queries."""

from __future__ import annotations

from django.db.models import QuerySet

from campaign.models import Campaign, CampaignStatus, Petition
from config.errors import NotFoundError


class CampaignNotFoundError(NotFoundError):
    code = "campaign_not_found"


def campaign_list_live() -> QuerySet[Campaign]:
    """Live campaigns with a petition, newest published first, with everything a list or
    detail page shows (organisation, petition and its counter, call, resolution)."""
    return (
        Campaign.objects.filter(status=CampaignStatus.LIVE, petition__isnull=False)
        .select_related("organisation", "petition", "call__resolution")
        .order_by("-published_at", "-created_at", "pk")
    )


def campaign_get_live(*, slug: str) -> Campaign:
    """The live campaign with this slug; raises CampaignNotFoundError (404)."""
    campaign = campaign_list_live().filter(slug=slug).first()
    if campaign is None:
        raise CampaignNotFoundError("No live campaign has this address.")
    return campaign


def petition_counter_get_live(*, slug: str) -> tuple[int, int, int]:
    """(petition id, confirmed count, goal) of a live campaign's petition: one narrow query
    for the counters API, the most-polled URL of a viral campaign. Raises
    CampaignNotFoundError (404)."""
    row = (
        Petition.objects.filter(campaign__slug=slug, campaign__status=CampaignStatus.LIVE)
        .values_list("pk", "confirmed_count", "goal")
        .first()
    )
    if row is None:
        raise CampaignNotFoundError("No live campaign has this address.")
    return row


def campaign_get_live_for_signing(*, slug: str) -> Campaign:
    """The live campaign with this slug, with only what signing needs (organisation and
    petition): the signing API is the hottest write path. Raises CampaignNotFoundError."""
    campaign = (
        Campaign.objects.filter(slug=slug, status=CampaignStatus.LIVE, petition__isnull=False)
        .select_related("organisation", "petition")
        .first()
    )
    if campaign is None:
        raise CampaignNotFoundError("No live campaign has this address.")
    return campaign
