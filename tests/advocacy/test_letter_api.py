"""The letters API: list targets, preview, write, confirm; one error shape throughout."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from advocacy.letters import CONFIRM_PURPOSE
from advocacy.models import Letter, LetterStatus, OutboundEmail
from advocacy.tokens import token_make
from tests.advocacy.test_letters import world  # noqa: F401  (fixture)
from tests.advocacy.test_ratelimit import ratelimit_clock_mid_window  # noqa: F401  (fixture)


@pytest.fixture
def api(settings) -> APIClient:
    settings.RATELIMIT_ENABLED = False
    return APIClient()


def _payload(**overrides):
    data = {
        "country": "DE",
        "mep_ids": [1001, 1002],
        "first_name": "Ana",
        "last_name": "Supporter",
        "city": "Graz",
        "email": "ana.api@example.net",
        "consent": True,
    }
    data.update(overrides)
    return data


def test_the_meps_of_a_country_are_listed_with_vote_and_roles(api, world):  # noqa: F811
    response = api.get(f"/api/v1/campaigns/{world.campaign.slug}/meps/?country=DE")

    assert response.status_code == 200
    by_id = {row["ep_id"]: row for row in response.json()}
    assert sorted(by_id) == [1001, 1002, 1003]
    assert by_id[1001]["vote"] == "for"
    assert by_id[1001]["full_name"] == "Anna Für"
    assert by_id[1003]["has_email"] is False


def test_an_unknown_country_gets_the_error_shape(api, world):  # noqa: F811
    response = api.get(f"/api/v1/campaigns/{world.campaign.slug}/meps/?country=ZZ")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "country_unknown"
    assert "country" in response.json()["error"]["fields"]


def test_an_unknown_campaign_is_404(api, db):
    response = api.get("/api/v1/campaigns/nope/meps/?country=DE")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "campaign_not_found"


def test_the_preview_returns_one_personalised_letter_per_mep(api, world):  # noqa: F811
    response = api.post(
        f"/api/v1/campaigns/{world.campaign.slug}/letters/preview", _payload(), format="json"
    )
    assert response.status_code == 200, response.json()
    anna, bernd = response.json()
    assert anna["body"].startswith("Dear Ms Für,") and anna["editable"] is True
    assert bernd["body"].startswith("Dear Mr Gegen,")
    assert not Letter.objects.exists()


def test_writing_then_confirming_queues_the_letters(api, world):  # noqa: F811
    url = f"/api/v1/campaigns/{world.campaign.slug}/letters/"
    response = api.post(
        url,
        _payload(letters=[{"mep_id": 1001, "body": "Dear Ms Für,\n\nMy own words.\n"}]),
        format="json",
    )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "awaiting_confirmation" and Letter.objects.count() == 2
    request_id = Letter.objects.first().request_id

    # Writing again with the same address: the same answer, so it tells a stranger who
    # typed the address nothing about what its owner has written.
    again = api.post(url, _payload(), format="json")
    assert again.status_code == 202 and again.json() == body
    assert Letter.objects.count() == 2

    token = token_make(purpose=CONFIRM_PURPOSE, object_id=request_id)
    confirmed = api.post("/api/v1/letters/confirm", {"token": token}, format="json")
    assert confirmed.status_code == 200
    assert {row["status"] for row in confirmed.json()["letters"]} == {LetterStatus.QUEUED}
    assert Letter.objects.get(mep__ep_id=1001).body == "Dear Ms Für,\n\nMy own words.\n"


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"country": "XX"}, "country_unknown", "country"),
        ({"first_name": "Ana\nBcc: x@example.org"}, "invalid", "first_name"),
        ({"consent": False}, "consent_required", "consent"),
        ({"consent": "yes"}, "invalid", "consent"),
        ({"consent": 1}, "invalid", "consent"),
        ({"wants_copy": "on"}, "invalid", "wants_copy"),
        ({"letters": [{"mep_id": 999, "body": "x"}]}, "letter_invalid", "letters"),
        ({"mep_ids": [1004]}, "mep_not_targeted", "mep_ids"),
        ({"letters": [{"mep_id": 1001, "body": "x" * 6000}]}, "letter_invalid", "letters"),
        ({"letters": [{"mep_id": 1001, "body": "a\u0000b"}]}, "invalid", "letters"),
        ({"mep_ids": "1001"}, "invalid", "mep_ids"),
        # Two texts for one MEP: one would have been dropped without a word.
        (
            {"letters": [{"mep_id": 1001, "body": "a"}, {"mep_id": 1001, "body": "b"}]},
            "invalid",
            "letters",
        ),
        # The same source fields and limits as the signing API's.
        ({"source": {"utm_source": "y" * 501}}, "invalid", "source"),
        ({"source": {"utm_source": 5}}, "invalid", "source"),
    ],
)
def test_bad_input_gets_a_clear_error_and_nothing_is_stored(
    api,
    world,  # noqa: F811
    overrides,
    code,
    field,
):
    response = api.post(
        f"/api/v1/campaigns/{world.campaign.slug}/letters/", _payload(**overrides), format="json"
    )
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == code, error
    assert field in error["fields"], error
    assert not Letter.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_a_bad_token_is_refused(api, db):
    response = api.post("/api/v1/letters/confirm", {"token": "nonsense"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "token_invalid"


def test_the_schema_documents_the_letters_api(api, db):
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = (
        response.json()["paths"] if response["Content-Type"].startswith("application/json") else {}
    )
    text = response.content.decode()
    assert "/api/v1/campaigns/{slug}/letters/preview" in (paths or text)
    assert "letters_confirm" in text


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [("not-a-token", 400, "token_invalid"), ("expired", 410, "token_expired")],
)
def test_a_bad_confirmation_token_is_named_in_the_error(api, world, settings, token, status, code):  # noqa: F811
    if token == "expired":
        token = token_make(purpose=CONFIRM_PURPOSE, object_id=1)
        settings.LETTER_CONFIRM_MAX_AGE_DAYS = -1
    response = api.post("/api/v1/letters/confirm", {"token": token}, format="json")

    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and list(error["fields"]) == ["token"]


@pytest.mark.usefixtures("ratelimit_clock_mid_window")  # eleven previews, one window
def test_previews_are_rate_limited_per_ip_more_loosely_than_writing(world, settings):  # noqa: F811
    import uuid

    settings.RATELIMIT_ENABLED = True
    settings.RATELIMIT_PER_IP = 1  # so ten previews an hour per IP
    n = uuid.uuid4().int  # a fresh address: counters live in the shared Redis
    ip = f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"
    url = f"/api/v1/campaigns/{world.campaign.slug}/letters/preview"

    statuses = [
        APIClient().post(url, _payload(), format="json", REMOTE_ADDR=ip).status_code
        for _ in range(11)
    ]

    assert statuses == [200] * 10 + [429]
