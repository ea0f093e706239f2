"""Requests the server must refuse cleanly: bodies over the upload limits, NUL characters."""

from __future__ import annotations

import json
import logging

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from campaign.api_tokens import api_token_create
from campaign.models import OrganisationRole
from tests.factories import MembershipFactory, OrganisationFactory


@pytest.fixture
def org_api() -> APIClient:
    _, raw = api_token_create(
        organisation=OrganisationFactory(), name="test", role=OrganisationRole.EDITOR
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.mark.django_db
def test_an_api_post_over_the_upload_limit_is_a_413_logged_without_a_traceback(
    org_api: APIClient, caplog: pytest.LogCaptureFixture
):
    body = json.dumps({"title": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})

    with caplog.at_level(logging.INFO):
        response = org_api.post("/api/v1/org/campaigns/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert any(r.levelno == logging.WARNING for r in caplog.records)


@pytest.mark.django_db
def test_a_form_with_too_many_fields_is_refused_and_logged_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
):
    client = Client(enforce_csrf_checks=True)  # as in production: CSRF reads the form first
    client.get("/my-data/")
    fields = {f"f{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)}
    fields["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value

    with caplog.at_level(logging.INFO):
        response = client.post("/my-data/", fields)

    assert response.status_code in (400, 413)
    assert b"<h1>" in response.content
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.mark.django_db
def test_a_form_over_the_upload_limit_is_a_413_page(caplog: pytest.LogCaptureFixture):
    text = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    with caplog.at_level(logging.INFO):
        response = Client().post("/my-data/", {"email": "someone@example.org", "text": text})

    assert response.status_code == 413
    assert b"Request too large" in response.content
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


# --- NUL characters -------------------------------------------------------------------------


@pytest.fixture
def organiser(client: Client) -> Client:
    membership = MembershipFactory(role=OrganisationRole.OWNER)
    client.force_login(membership.user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/admin/campaign/campaign/?status__exact=%00",
        "/admin/campaign/campaign/?live_delivery__exact=%00",
        "/admin/campaign/auditentry/?action=%00",
        "/admin/advocacy/signature/?status__exact=%00",
        "/admin/advocacy/signature/?channel__exact=a%00b",
        "/admin/campaign/campaign/?q=%00",
        "/admin/campaign/campaign/?%00=1",
    ],
)
def test_a_nul_in_an_admin_filter_is_a_400_not_a_database_error(organiser: Client, url: str):
    response = organiser.get(url)

    assert response.status_code == 400


@pytest.mark.django_db
def test_a_nul_in_a_form_is_a_400(client: Client):
    response = client.post("/my-data/", {"email": "someone@example.org", "x\x00": "1"})

    assert response.status_code == 400
    assert b"NUL" in response.content


@pytest.mark.django_db
def test_a_nul_in_an_api_query_is_a_400_naming_the_parameter(org_api: APIClient):
    response = org_api.get("/api/v1/org/letters/?mep=%00")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"mep": ["NUL characters are not allowed."]}


@pytest.mark.django_db
def test_a_petition_form_with_bytes_that_are_not_utf8_is_a_400_and_stores_nothing():
    from advocacy.models import Signature
    from tests.factories import PetitionFactory

    petition = PetitionFactory(campaign__status="live")
    client = Client()
    body = b"first_name=%ED%A0%80&last_name=Lee&email=p1%40example.org&country=DE&consent=on"

    response = client.post(
        f"/campaigns/{petition.campaign.slug}/",
        body,
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert b"not UTF-8" in response.content
    assert not Signature.objects.exists()


@pytest.mark.django_db
def test_a_query_with_bytes_that_are_not_utf8_is_a_400_naming_the_parameter(org_api: APIClient):
    response = org_api.get("/api/v1/org/letters/?status=%FFqueued")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"status": ["This is not readable UTF-8 text."]}


@pytest.mark.django_db
def test_a_nul_in_a_json_body_is_refused_by_the_api_itself(org_api: APIClient):
    response = org_api.post(
        "/api/v1/org/campaigns/", {"title": "a\x00b", "slug": "a-b"}, format="json"
    )

    assert response.status_code == 400
    assert "title" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_a_post_missing_its_trailing_slash_is_told_where_to_go_and_keeps_its_method(client):
    from tests.factories import PetitionFactory

    petition = PetitionFactory()
    path = f"/api/v1/campaigns/{petition.campaign.slug}/signatures"

    response = client.post(path, {"first_name": "Ana"}, content_type="application/json")

    assert response.status_code == 308  # a client that follows it POSTs again, body and all
    assert response["Location"] == path + "/"
    assert response.json()["error"]["code"] == "trailing_slash"
    # GET keeps Django's permanent redirect.
    assert client.get(f"/api/v1/campaigns/{petition.campaign.slug}").status_code == 301


@pytest.mark.django_db
def test_a_page_that_is_not_there_looks_like_the_site_and_leads_back_to_the_campaigns():
    response = Client().get("/no-such-page/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "<title>Not found — Resolute</title>" in page
    assert "<a href='/'>See the campaigns</a>" in page
    assert "<link rel=stylesheet href='/static/advocacy/site." in page  # the hashed name


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:No directory at")  # whitenoise, on the missing root
def test_the_error_page_goes_plain_rather_than_failing_when_the_static_manifest_is_missing(
    settings,
):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.STATIC_ROOT = "/nonexistent/static-root"

    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert "See the campaigns" in response.content.decode()
    assert "stylesheet" not in response.content.decode()
