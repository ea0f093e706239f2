"""The hand-built signing lookup reads what the ORM would, and nothing it should not."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from campaign.models import Campaign, CampaignStatus
from campaign.selectors import (
    CampaignNotFoundError,
    campaign_get_live,
    campaign_get_live_for_signing,
)
from tests.factories import CampaignFactory, PetitionFactory

pytestmark = pytest.mark.django_db


def test_the_signing_lookup_loads_the_same_rows_as_select_related(django_assert_num_queries):
    petition = PetitionFactory(consent_version=3, goal=25_000)
    PetitionFactory()  # another live campaign, not returned
    expected = Campaign.objects.select_related("organisation", "petition").get(
        pk=petition.campaign.pk
    )

    with django_assert_num_queries(1):
        campaign = campaign_get_live_for_signing(slug=petition.campaign.slug)
        # Everything signing reads is loaded: no lazy query behind these attributes.
        assert campaign.organisation.sending_address
        assert campaign.petition.campaign is campaign
        assert campaign.petition.consent_version == 3

    assert model_to_dict(campaign) == model_to_dict(expected)
    assert model_to_dict(campaign.organisation) == model_to_dict(expected.organisation)
    assert model_to_dict(campaign.petition) == model_to_dict(expected.petition)
    assert campaign.created_at == expected.created_at
    assert not campaign._state.adding and campaign._state.db == "default"


@pytest.mark.parametrize("status", [CampaignStatus.DRAFT, CampaignStatus.PAUSED])
def test_the_signing_lookup_refuses_a_campaign_that_is_not_live(status):
    petition = PetitionFactory(campaign__status=status)
    with pytest.raises(CampaignNotFoundError):
        campaign_get_live_for_signing(slug=petition.campaign.slug)


def test_the_signing_lookup_refuses_a_campaign_without_a_petition_or_an_unknown_slug():
    campaign = CampaignFactory()
    with pytest.raises(CampaignNotFoundError):
        campaign_get_live_for_signing(slug=campaign.slug)
    with pytest.raises(CampaignNotFoundError):
        campaign_get_live_for_signing(slug="no-such-campaign")


def test_the_page_lookup_loads_call_and_resolution_as_select_related(django_assert_num_queries):
    petition = PetitionFactory()
    expected = Campaign.objects.select_related("organisation", "petition", "call__resolution").get(
        pk=petition.campaign.pk
    )

    with django_assert_num_queries(1):
        campaign = campaign_get_live(slug=petition.campaign.slug)
        resolution = campaign.call.resolution
        assert campaign.petition.campaign is campaign

    assert model_to_dict(campaign.call) == model_to_dict(expected.call)
    assert model_to_dict(resolution) == model_to_dict(expected.call.resolution)
    assert resolution.adopted_on == expected.call.resolution.adopted_on


def test_the_page_lookup_of_a_campaign_without_a_call(django_assert_num_queries):
    petition = PetitionFactory(campaign__call=None)
    with django_assert_num_queries(1):
        campaign = campaign_get_live(slug=petition.campaign.slug)
        assert campaign.call is None
    assert campaign.petition.pk == petition.pk
