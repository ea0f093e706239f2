"""Input that used to reach a 500: each now gets a 4xx naming what was wrong (or, on the
letters pages, is ignored like any other value that is not an MEP id)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from campaign.models import Campaign
from config.memo import memo
from tests.advocacy.test_letters import world  # noqa: F401  (a fixture)
from tests.factories import CampaignFactory, OrganisationFactory, PetitionFactory, org_api_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.RATELIMIT_ENABLED = False
    memo.clear()


def _fields(response: Any) -> dict[str, Any]:
    return response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/org/signatures/?campaign=\u00b2", "campaign"),
        ("/api/v1/org/letters/?campaign=\u00b2", "campaign"),
        ("/api/v1/org/letters/?mep=\u00b9", "mep"),
        ("/api/v1/org/letter-templates/?campaign=\u00b3", "campaign"),
        ("/api/v1/org/signatures/?since=2026-13-45T00:00:00", "since"),
        ("/api/v1/org/signatures/?since=2026-02-30T10:00:00Z", "since"),
        ("/api/v1/org/signatures/?until=2026-02-30T10:00:00", "until"),
        ("/api/v1/org/letters/?status=bogus", "status"),
        ("/api/v1/org/letters/?status=%00", "status"),
    ],
)
def test_filters_that_look_numeric_or_dated_but_are_not_get_a_400_naming_them(path, field):
    response = org_api_client(OrganisationFactory()).get(path)
    assert response.status_code == 400
    assert field in _fields(response)


def test_a_slug_already_taken_is_refused_by_name_on_update():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    campaign = CampaignFactory(organisation=mine, slug="mine")
    CampaignFactory(organisation=mine, slug="also-mine")
    CampaignFactory(organisation=theirs, slug="theirs")
    client = org_api_client(mine)

    for taken in ("theirs", "also-mine"):
        response = client.patch(
            f"/api/v1/org/campaigns/{campaign.pk}/", {"slug": taken}, format="json"
        )
        assert response.status_code == 400
        assert "slug" in _fields(response)
    # Its own slug, and a free one, are fine.
    for slug in ("mine", "free-one"):
        response = client.patch(
            f"/api/v1/org/campaigns/{campaign.pk}/", {"slug": slug}, format="json"
        )
        assert response.status_code == 200
    assert Campaign.objects.get(pk=campaign.pk).slug == "free-one"


def _signing_url() -> str:
    campaign = CampaignFactory(status="live")
    PetitionFactory(campaign=campaign)
    return f"/api/v1/campaigns/{campaign.slug}/signatures/"


@pytest.mark.parametrize(
    "body",
    [
        # Valid JSON, but an unpaired surrogate: no UTF-8 answer could quote it back.
        '{"country": "\\ud800"}',
        '{"first_name": "a\\udfffb", "country": "DE"}',
        '{"source": {"\\ud800": ["x"]}}',
        '{"source": {"utm_source": ["\\ud800"]}}',
        # Deeper than Python's recursion limit.
        "[" * 5000 + "]" * 5000,
        '{"a": ' * 3000 + "1" + "}" * 3000,
    ],
)
def test_json_no_answer_could_repeat_or_no_parser_could_nest_is_a_parse_error(body):
    client = APIClient(raise_request_exception=False)
    response = client.post(_signing_url(), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_a_paired_surrogate_escape_is_an_ordinary_character():
    client = APIClient(raise_request_exception=False)
    body = '{"first_name": "Ana \\ud83d\\ude00", "country": "DE"}'  # an emoji, escaped
    response = client.post(_signing_url(), body, content_type="application/json")
    assert response.status_code == 400  # the other fields are missing…
    assert response.json()["error"]["code"] != "parse_error"  # …but it parsed


def test_the_organiser_api_refuses_surrogates_too():
    organisation = OrganisationFactory()
    campaign = CampaignFactory(organisation=organisation)
    client = org_api_client(organisation)
    for path, body in (
        (f"/api/v1/org/campaigns/{campaign.pk}/status/", '{"status": "\\ud800"}'),
        ("/api/v1/org/webhooks/", '{"url": "https://example.org/h", "events": ["\\ud800"]}'),
    ):
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 400, path
        assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize("mep", ["\u00b2", "9" * 5000, "-1", "1e3", ""])
def test_the_letters_page_ignores_values_that_are_not_mep_ids(world, mep):  # noqa: F811
    client = Client(raise_request_exception=False)
    url = reverse("letters:write", kwargs={"slug": world.campaign.slug})
    for response in (
        client.get(url, {"country": "DE", "mep": mep}),
        client.post(url, {"country": "DE", "mep": mep}),
    ):
        # No MEP left to write to: back to choosing one, in the same country, told why.
        assert response.status_code == 302
        assert response["Location"].endswith("/letters/?country=DE&none_chosen=1")


def test_the_letters_page_redirect_carries_the_country_encoded(world):  # noqa: F811
    client = Client(raise_request_exception=False)
    url = reverse("letters:write", kwargs={"slug": world.campaign.slug})
    response = client.get(url, {"country": "de&x=1#y"})
    assert response.status_code == 302
    assert response["Location"].endswith("/letters/?country=DE%26X%3D1%23Y")
