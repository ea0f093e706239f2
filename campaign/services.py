"""Writes on campaigns: publishing and the status workflow draft → live ⇄ paused → closed."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from campaign.models import Campaign, CampaignStatus, Organisation, Petition
from config.errors import DomainError

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    CampaignStatus.DRAFT: {CampaignStatus.LIVE, CampaignStatus.CLOSED},
    CampaignStatus.LIVE: {CampaignStatus.PAUSED, CampaignStatus.CLOSED},
    CampaignStatus.PAUSED: {CampaignStatus.LIVE, CampaignStatus.CLOSED},
    CampaignStatus.CLOSED: set(),
}


class CampaignTransitionError(DomainError):
    code = "campaign_transition_invalid"
    status = 409


def campaign_status_set(*, campaign: Campaign, status: str) -> Campaign:
    """Move a campaign along its workflow; setting the current status again is a no-op.
    A closed campaign stays closed: supporters' links to it must not come back to life."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status == status:
            return locked
        if status not in ALLOWED_TRANSITIONS.get(locked.status, set()):
            raise CampaignTransitionError(
                f"A {locked.status} campaign cannot become {status}.",
                fields={"status": [f"Not allowed from {locked.status}."]},
            )
        locked.status = status
        if status == CampaignStatus.LIVE and locked.published_at is None:
            locked.published_at = timezone.now()
        locked.save(update_fields=["status", "published_at", "updated_at"])
    campaign.status, campaign.published_at = locked.status, locked.published_at
    return locked


def campaign_create(
    *,
    organisation: Organisation,
    title: str,
    summary: str = "",
    slug: str | None = None,
    languages: list[str] | None = None,
    live_delivery: bool = False,
) -> Campaign:
    """A hand-made draft campaign (not from a resolution) with its petition."""
    from campaign.importer.services import default_consent_text

    base = slugify(slug or title)[:70] or "campaign"
    candidate, n = base, 2
    while Campaign.objects.filter(slug=candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    with transaction.atomic():
        campaign = Campaign.objects.create(
            organisation=organisation,
            slug=candidate,
            title=title,
            summary=summary,
            languages=languages or ["en"],
            live_delivery=live_delivery,
        )
        Petition.objects.create(
            campaign=campaign,
            text=summary or title,
            consent_text=default_consent_text(organisation),
        )
    return campaign
