"""Cursor pages of the organisation API: a cursor the client tampered with is refused with a
400 naming `cursor`, never a 500 from the database nor a 404 for a page that exists."""

from __future__ import annotations

from base64 import b64encode
from typing import Any

import pytest
from rest_framework.test import APIClient

from campaign.models import Organisation, OrganisationRole
from tests.factories import OrganisationFactory, PetitionFactory, SignatureFactory, org_api_client

LISTS = [
    "/api/v1/org/campaigns/",
    "/api/v1/org/letter-templates/",
    "/api/v1/org/signatures/",
    "/api/v1/org/letters/",
]


def _cursor(querystring: str) -> str:
    return b64encode(querystring.encode()).decode()


TAMPERED = {
    "letters": _cursor("p=abc"),
    "empty": _cursor("p="),
    "exponent": _cursor("p=1e9"),
    "date": _cursor("p=2026-01-01"),
    "nan": _cursor("p=NaN"),
    "negative": _cursor("p=-5"),
    "zero": _cursor("p=0"),
    "fraction": _cursor("p=1.5"),
    "superscript": _cursor("p=%C2%B2"),  # "²": str.isdigit() says yes, int() says no
    "5000 digits": _cursor("p=" + "9" * 5000),
    "beyond bigint": _cursor("p=" + "9" * 19),
    "bad offset": _cursor("o=abc"),
    "bad reverse": _cursor("r=maybe"),
    "not base64": "abc",
    "not ascii": "é",
    "non-ascii inside": "w6k=",
}


@pytest.fixture
def organisation() -> Organisation:
    return OrganisationFactory()


@pytest.fixture
def api(organisation: Organisation) -> APIClient:
    return org_api_client(organisation, OrganisationRole.VIEWER)


@pytest.mark.django_db
@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("cursor", TAMPERED.values(), ids=TAMPERED.keys())
def test_a_tampered_cursor_is_a_400_naming_the_cursor(api: APIClient, url: str, cursor: str):
    response = api.get(url, {"cursor": cursor})

    assert response.status_code == 400
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["cursor"]


@pytest.mark.django_db
def test_cursors_the_api_hands_out_still_page_both_ways(api: APIClient, organisation: Organisation):
    petition = PetitionFactory(campaign__organisation=organisation)
    created = [SignatureFactory(petition=petition) for _ in range(5)]
    newest_first = [s.pk for s in reversed(created)]

    first = api.get("/api/v1/org/signatures/", {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    back = api.get(second["previous"]).json()

    assert [r["id"] for r in first["results"]] == newest_first[:2]
    assert [r["id"] for r in second["results"]] == newest_first[2:4]
    assert [r["id"] for r in back["results"]] == newest_first[:2]


@pytest.mark.django_db
def test_a_hand_made_cursor_with_a_plain_id_is_accepted(api: APIClient, organisation: Organisation):
    petition = PetitionFactory(campaign__organisation=organisation)
    older, newer = SignatureFactory(petition=petition), SignatureFactory(petition=petition)

    response = api.get("/api/v1/org/signatures/", {"cursor": _cursor(f"p={newer.pk}")})

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [older.pk]
