"""What a long schemathesis campaign and hand-written hostile requests found in the API: each
answer was a 2xx for input the schema refuses, an error that named no field, an error that
was not JSON, or a status the schema did not document. Each test failed before its fix."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from rest_framework.test import APIClient

from campaign.models import LetterTemplate
from config.memo import memo
from tests.factories import (
    CampaignFactory,
    LetterTemplateFactory,
    OrganisationFactory,
    PetitionFactory,
    org_api_client,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.RATELIMIT_ENABLED = False
    memo.clear()


def _error(response: Any) -> dict[str, Any]:
    assert response["Content-Type"] == "application/json", response.content[:200]
    return response.json()["error"]


# --- Pagination: page_size ------------------------------------------------------------------


@pytest.mark.parametrize("page_size", ["abc", "0", "-5", "1.5", "null", "1001", "9" * 30, "²"])
@pytest.mark.parametrize("path", ["/api/v1/org/signatures/", "/api/v1/org/campaigns/"])
def test_a_page_size_outside_the_documented_range_is_a_400_naming_it(path, page_size):
    # Was a 200 with the default page (or the maximum one), as if the client had asked for it.
    response = org_api_client(OrganisationFactory()).get(path, {"page_size": page_size})

    assert response.status_code == 400
    assert "page_size" in _error(response)["fields"]


def test_a_page_size_within_the_range_is_used_as_given_and_beyond_it_refused():
    organisation = OrganisationFactory()
    for _ in range(3):
        CampaignFactory(organisation=organisation)
    client = org_api_client(organisation)

    assert len(client.get("/api/v1/org/campaigns/", {"page_size": "2"}).json()["results"]) == 2
    assert client.get("/api/v1/org/campaigns/", {"page_size": "1000"}).status_code == 200
    # Was cut down to 1000 without a word.
    assert client.get("/api/v1/org/campaigns/", {"page_size": "1001"}).status_code == 400


def test_the_schema_states_the_range_of_page_size_and_of_the_id_filters():
    # Without it, schemathesis took page_size=null and campaign=-1 for valid input.
    schema = APIClient().get("/api/schema/?format=json").json()
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in schema["paths"]["/api/v1/org/letters/"]["get"]["parameters"]
    }

    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert parameters["campaign"]["minimum"] == 0
    assert parameters["mep"]["minimum"] == 0
    assert parameters["mep"]["maximum"] == 10**18 - 1


# --- Errors are JSON, in the one shape, whatever the view renders ---------------------------


@pytest.mark.parametrize(
    ("path", "accept", "status", "usual_type"),
    [
        ("/api/schema/", "text/html", 406, "application/vnd.oai.openapi"),
        ("/api/schema/", "application/xml", 406, "application/vnd.oai.openapi"),
        ("/api/schema/?format=xml", "*/*", 404, "application/vnd.oai.openapi"),
        ("/api/docs/", "application/json", 406, "text/html"),
    ],
)
def test_the_schema_and_docs_views_answer_errors_in_json(path, accept, status, usual_type):
    # The schema's errors came back as YAML (`error:\n  code: not_acceptable`), the docs
    # page's as an HTML fragment.
    client = APIClient()
    response = client.get(path, HTTP_ACCEPT=accept)

    assert response.status_code == status
    assert _error(response)["code"] in {"not_acceptable", "not_found"}
    # What they answer when nothing is wrong is unchanged.
    assert client.get(path.split("?")[0])["Content-Type"].startswith(usual_type)


@pytest.mark.parametrize("method", ["options", "post", "put", "patch", "delete"])
def test_the_docs_page_answers_other_methods_with_a_json_405(method):
    # OPTIONS was rendered with the page's HTML template: a 500 anyone could cause.
    response = getattr(APIClient(), method)("/api/docs/")

    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


def test_every_write_documents_the_413_it_gives_for_an_oversized_body():
    schema = APIClient().get("/api/schema/?format=json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in {"post", "patch", "put"}:
                assert "413" in operation["responses"], f"{method.upper()} {path}"


# --- Request bodies -------------------------------------------------------------------------


def test_a_gzip_body_is_a_415_that_says_compression_is_not_supported():
    # Was a 400 "JSON parse error - 'utf-8' codec can't decode byte 0x8b".
    client = org_api_client(OrganisationFactory())
    response = client.generic(
        "POST",
        "/api/v1/org/campaigns/",
        gzip.compress(b'{"title": "Compressed"}'),
        content_type="application/json",
        HTTP_CONTENT_ENCODING="gzip",
    )

    assert response.status_code == 415
    error = _error(response)
    assert error["code"] == "unsupported_media_type"
    assert "Content-Encoding" in error["message"]
    # `identity` is no encoding at all.
    response = client.generic(
        "POST",
        "/api/v1/org/campaigns/",
        b'{"title": "Plain"}',
        content_type="application/json",
        HTTP_CONTENT_ENCODING="identity",
    )
    assert response.status_code == 201


def test_a_second_template_in_the_same_language_is_refused_naming_language():
    # Was a 400 under non_field_errors: "The fields campaign, language must make a unique set."
    organisation = OrganisationFactory()
    campaign = CampaignFactory(organisation=organisation)
    PetitionFactory(campaign=campaign)
    LetterTemplateFactory(campaign=campaign, language="en")
    other = LetterTemplateFactory(campaign=campaign, language="de")
    client = org_api_client(organisation)
    body = {"campaign": campaign.pk, "language": "en", "subject": "S", "body": "B"}

    created = client.post("/api/v1/org/letter-templates/", body, format="json")
    moved = client.patch(
        f"/api/v1/org/letter-templates/{other.pk}/", {"language": "en"}, format="json"
    )

    for response in (created, moved):
        assert response.status_code == 400
        assert list(_error(response)["fields"]) == ["language"]
    assert LetterTemplate.objects.filter(campaign=campaign).count() == 2
    # Keeping its own language is no conflict.
    response = client.patch(
        f"/api/v1/org/letter-templates/{other.pk}/", {"language": "de"}, format="json"
    )
    assert response.status_code == 200


# --- JSON types as the schema declares them -------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": 12345}, "title"),  # was a campaign titled "12345"
        ({"title": "Typed", "live_delivery": "yes"}, "live_delivery"),  # was True
        ({"title": "Typed", "slug": 7}, "slug"),
    ],
)
def test_a_campaign_field_of_the_wrong_json_type_is_refused_by_name(body, field):
    response = org_api_client(OrganisationFactory()).post(
        "/api/v1/org/campaigns/", body, format="json"
    )

    assert response.status_code == 400
    assert field in _error(response)["fields"]


def test_a_letter_template_campaign_id_must_be_a_whole_number():
    # {"campaign": 1.5} was campaign 1 (Django rounds the lookup down), "1" was too.
    organisation = OrganisationFactory()
    campaign = CampaignFactory(organisation=organisation)
    client = org_api_client(organisation)

    for campaign_id in (campaign.pk + 0.5, str(campaign.pk), True):
        body = {"campaign": campaign_id, "language": "fr", "subject": "S", "body": "B"}
        response = client.post("/api/v1/org/letter-templates/", body, format="json")
        assert response.status_code == 400, campaign_id
        assert list(_error(response)["fields"]) == ["campaign"]
    assert not LetterTemplate.objects.filter(campaign=campaign).exists()
    body = {"campaign": campaign.pk, "language": "fr", "subject": "S", "body": "B"}
    assert client.post("/api/v1/org/letter-templates/", body, format="json").status_code == 201


def test_petition_goal_and_import_flags_take_json_numbers_and_booleans_only():
    organisation = OrganisationFactory()
    campaign = CampaignFactory(organisation=organisation)
    PetitionFactory(campaign=campaign, goal=1000)
    client = org_api_client(organisation)
    url = f"/api/v1/org/campaigns/{campaign.pk}/petition/"

    assert "goal" in _error(client.patch(url, {"goal": "77"}, format="json"))["fields"]
    assert client.patch(url, {"goal": 77.0}, format="json").json()["goal"] == 77  # a JSON 77
    response = client.post(
        "/api/v1/org/resolutions/import", {"text": "x", "dry_run": "no"}, format="json"
    )
    assert "dry_run" in _error(response)["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": 12345}, "first_name"),
        ({"consent_version": "1"}, "consent_version"),
        ({"source": {"utm_source": 5}}, "source"),
    ],
)
def test_the_signing_api_refuses_values_of_the_wrong_json_type_by_name(body, field):
    campaign = CampaignFactory()
    PetitionFactory(campaign=campaign)
    payload = {
        "first_name": "Ana",
        "last_name": "Supporter",
        "email": "ana.types@example.net",
        "country": "DE",
        "consent": True,
        "consent_version": 1,
        **body,
    }
    response = APIClient().post(
        f"/api/v1/campaigns/{campaign.slug}/signatures/", payload, format="json"
    )

    assert response.status_code == 400
    assert list(_error(response)["fields"]) == [field]


def test_the_letters_api_refuses_mep_ids_that_are_strings():
    response = APIClient().post(
        "/api/v1/campaigns/anything/letters/preview",
        {"country": "DE", "mep_ids": ["1001"], "first_name": "A", "last_name": "B"},
        format="json",
    )
    # The campaign is looked up first: an unknown one is a 404 whatever the body.
    assert response.status_code == 404
    campaign = CampaignFactory()
    LetterTemplateFactory(campaign=campaign)
    response = APIClient().post(
        f"/api/v1/campaigns/{campaign.slug}/letters/preview",
        {"country": "DE", "mep_ids": ["1001"], "first_name": "A", "last_name": "B"},
        format="json",
    )
    assert response.status_code == 400
    # The type named, not what became of "1001" once taken for the id 1001.
    assert _error(response)["fields"] == {"mep_ids": ["Must be a JSON whole number."]}


def test_the_schema_says_consent_must_be_true():
    # A schema-valid `"consent": false` was refused: the schema said any boolean.
    schemas = APIClient().get("/api/schema/?format=json").json()["components"]["schemas"]
    for name in ("SignatureCreateInputRequest", "LetterRequestCreateInputRequest"):
        consent = schemas[name]["properties"]["consent"]
        # The enum is hoisted into a component, referred to directly or through allOf.
        ref = consent.get("$ref") or consent["allOf"][0]["$ref"]
        consent = schemas[ref.rsplit("/", 1)[-1]]
        assert consent["enum"] == [True], name


@pytest.mark.parametrize("language", ["e\u202en", "en\u0007", "\U0001f600", "EN", "e n", "\u200d"])
def test_a_template_language_must_be_a_two_letter_code(language):
    # Each was stored: a template that no supporter's country would ever be matched with.
    organisation = OrganisationFactory()
    campaign = CampaignFactory(organisation=organisation)
    body = {"campaign": campaign.pk, "language": language, "subject": "S", "body": "B"}

    response = org_api_client(organisation).post(
        "/api/v1/org/letter-templates/", body, format="json"
    )

    assert response.status_code == 400
    assert list(_error(response)["fields"]) == ["language"]
    assert not LetterTemplate.objects.filter(campaign=campaign).exists()


def test_a_date_time_filter_takes_any_offset_rfc_3339_allows():
    # `+15:30` is a valid `date-time` as the schema documents it, and was a 400.
    organisation = OrganisationFactory()
    client = org_api_client(organisation)

    for value in ("2026-01-01T00:00:00+15:30", "2026-01-01T00:00:00-23:59"):
        response = client.get("/api/v1/org/signatures/", {"since": value, "until": value})
        assert response.status_code == 200, value
    # An instant before year 1 once in UTC cannot be compared with anything: still a 400.
    response = client.get("/api/v1/org/signatures/", {"since": "0001-01-01T00:30:00+01:00"})
    assert response.status_code == 400
    assert "since" in _error(response)["fields"]


def test_a_key_sent_twice_in_one_object_is_refused_by_name():
    # {"consent": false, "consent": true} was read as true: the last one won, silently.
    campaign = CampaignFactory()
    PetitionFactory(campaign=campaign)
    body = (
        '{"first_name": "Ana", "last_name": "S", "email": "ana.twice@example.net", '
        '"country": "DE", "consent_version": 1, "consent": false, "consent": true}'
    )

    response = APIClient().post(
        f"/api/v1/campaigns/{campaign.slug}/signatures/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert list(_error(response)["fields"]) == ["consent"]
    # A key sent twice with a lone surrogate in it cannot be named back: a parse error.
    response = APIClient().post(
        f"/api/v1/campaigns/{campaign.slug}/signatures/",
        '{"\\ud800": 1, "\\ud800": 2}',
        content_type="application/json",
    )
    assert _error(response)["code"] == "parse_error"


def test_the_schema_states_the_goal_range_and_offers_no_filter_where_it_does_nothing():
    # schemathesis sent goal=0 (schema-valid, refused) and ?campaign=10**18 on creating a
    # template (schema-invalid, ignored, so accepted).
    schema = APIClient().get("/api/schema/?format=json").json()
    goal = schema["components"]["schemas"]["PatchedPetitionRequest"]["properties"]["goal"]
    create = schema["paths"]["/api/v1/org/letter-templates/"]["post"]

    assert (goal["minimum"], goal["maximum"]) == (1, 100_000_000)
    assert "campaign" not in {parameter["name"] for parameter in create.get("parameters", [])}
