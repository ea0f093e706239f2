"""The petitions API: campaigns, signing, counters, and the one error shape."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from advocacy.api import SIGNED_MESSAGE
from advocacy.models import Channel, OutboundEmail, Signature, SignatureStatus
from advocacy.signatures import confirmation_url, signature_confirm
from campaign.models import CampaignStatus
from tests.factories import PetitionFactory, SignatureFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # Rate limits have their own tests (test_ratelimit.py); elsewhere they would make tests
    # depend on each other through the shared Redis.
    settings.RATELIMIT_ENABLED = False


@pytest.fixture(autouse=True)
def _campaign_remembered_for_the_whole_test(settings):
    # The tests of the memo (below) sign twice and need this process's copy of the campaign
    # still there the second time: the default 5 s can pass on a loaded machine.
    settings.PAGE_CACHE_SECONDS = 60


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def petition():
    return PetitionFactory()


def _payload(**overrides):
    body = {
        "first_name": "Ana",
        "last_name": "Supporter",
        "email": f"ana-{uuid.uuid4().hex[:8]}@example.net",
        "country": "DE",
        "postcode": "10115",
        "consent": True,
        "consent_version": 1,
        "organisation_news": False,
        "source": {"utm_source": "partner", "utm_campaign": "spring"},
    }
    body.update(overrides)
    return body


def _sign_url(petition):
    return f"/api/v1/campaigns/{petition.campaign.slug}/signatures/"


def _assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    return body["error"]


def test_the_list_shows_live_campaigns_only(client, petition):
    PetitionFactory(campaign__status=CampaignStatus.DRAFT)

    response = client.get("/api/v1/campaigns/")

    assert response.status_code == 200
    [item] = response.json()
    assert item["slug"] == petition.campaign.slug
    assert item["confirmed_count"] == 0
    assert item["goal"] == petition.goal
    assert item["page_url"] == f"/campaigns/{petition.campaign.slug}/"


def test_listing_campaigns_does_not_query_per_campaign(client, django_assert_max_num_queries):
    for _ in range(5):
        PetitionFactory()
    with django_assert_max_num_queries(2):
        assert len(client.get("/api/v1/campaigns/").json()) == 5


def test_a_campaign_shows_its_petition_consent_and_resolution(client, petition):
    response = client.get(f"/api/v1/campaigns/{petition.campaign.slug}/")

    body = response.json()
    assert response.status_code == 200
    assert body["consent_text"] == petition.consent_text
    assert body["consent_version"] == 1
    assert body["resolution"]["votes_for"] == 589
    assert body["call"]["action"]


def test_the_signing_answer_is_what_the_api_renderer_writes(client, petition):
    """The 202 body is rendered once, ahead of time: it must be the bytes, type and headers
    the API's renderer gives every other answer."""
    from rest_framework.renderers import JSONRenderer

    from advocacy.api import _SIGNED_BODY

    response = client.post(_sign_url(petition), _payload(), format="json")

    assert response.status_code == 202
    assert response.content == JSONRenderer().render(_SIGNED_BODY)
    assert response["Content-Type"] == "application/json"
    assert response["Allow"] == "POST, OPTIONS"
    assert response.json() == {"status": "pending_confirmation", "message": SIGNED_MESSAGE}


def test_a_draft_campaign_is_not_found(client):
    draft = PetitionFactory(campaign__status=CampaignStatus.DRAFT)
    response = client.get(f"/api/v1/campaigns/{draft.campaign.slug}/")
    _assert_error(response, 404, "campaign_not_found")


def test_signing_answers_202_and_creates_a_pending_signature_with_api_channel(client, petition):
    response = client.post(_sign_url(petition), _payload(email="Api@Example.NET"), format="json")

    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending_confirmation"
    signature = Signature.objects.select_related("consent", "supporter").get()
    assert signature.status == SignatureStatus.PENDING
    assert signature.channel == Channel.API
    assert signature.consent.channel == Channel.API
    assert signature.consent.source == {"utm_source": "partner", "utm_campaign": "spring"}
    assert signature.supporter.email == "Api@example.net"
    assert OutboundEmail.objects.count() == 1


def test_signing_twice_gets_the_same_answer_and_creates_nothing(client, petition):
    payload = _payload()
    first = client.post(_sign_url(petition), payload, format="json")
    second = client.post(_sign_url(petition), payload, format="json")

    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert Signature.objects.count() == 1
    assert OutboundEmail.objects.count() == 1


@pytest.mark.parametrize("missing", ["first_name", "last_name", "email", "country", "consent"])
def test_a_missing_field_is_named_in_the_error(client, petition, missing):
    payload = _payload()
    del payload[missing]
    error = _assert_error(client.post(_sign_url(petition), payload, format="json"), 400, "invalid")
    assert missing in error["fields"]
    assert Signature.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", "ana@"),
        ("email", "a" * 300 + "@example.net"),
        ("first_name", "x" * 10_000),
        ("first_name", "<script>alert(1)</script>"),
        ("last_name", "<b>bold</b>"),
        ("first_name", "Ana\r\nBcc: victim@example.org"),
        ("last_name", "Tab\there"),
        ("country", "XX"),
        ("postcode", "<>"),
        ("consent", False),
        # A consent or an opt-in is a ticked box, JSON true; nothing merely truthy.
        ("consent", "true"),
        ("consent", "yes"),
        ("consent", 1),
        ("consent", "on"),
        ("organisation_news", "yes"),
        ("organisation_news", 1),
    ],
)
def test_bad_input_is_refused_with_400_and_the_field_named(client, petition, field, value):
    response = client.post(_sign_url(petition), _payload(**{field: value}), format="json")
    error = _assert_error(response, 400, "invalid")
    assert field in error["fields"]
    assert Signature.objects.count() == 0


def test_malformed_json_is_a_400_in_the_error_shape(client, petition):
    response = client.post(_sign_url(petition), "{not json", content_type="application/json")
    _assert_error(response, 400, "parse_error")


def test_an_outdated_consent_version_is_refused(client, petition):
    response = client.post(_sign_url(petition), _payload(consent_version=0 + 2), format="json")
    _assert_error(response, 409, "consent_outdated")


def test_a_disposable_address_is_refused(client, petition):
    response = client.post(_sign_url(petition), _payload(email="x@yopmail.com"), format="json")
    error = _assert_error(response, 400, "email_disposable")
    assert "email" in error["fields"]


def test_signing_a_paused_campaign_is_not_found(client, petition):
    petition.campaign.status = CampaignStatus.PAUSED
    petition.campaign.save()
    _assert_error(
        client.post(_sign_url(petition), _payload(), format="json"), 404, "campaign_not_found"
    )


def test_public_counters_count_confirmed_signatures_only(client, petition):
    pending = SignatureFactory(petition=petition)
    SignatureFactory(petition=petition)
    signature_confirm(token=confirmation_url(signature_id=pending.pk).rstrip("/").rsplit("/")[-1])

    body = client.get(f"/api/v1/campaigns/{petition.campaign.slug}/counters/").json()

    assert body == {"confirmed": 1, "goal": petition.goal, "pending": None, "today": None}


def test_organisers_also_see_pending_counts(client, petition):
    from tests.factories import MembershipFactory

    SignatureFactory(petition=petition)
    membership = MembershipFactory(organisation=petition.campaign.organisation, role="viewer")
    client.force_login(membership.user)

    body = client.get(f"/api/v1/campaigns/{petition.campaign.slug}/counters/").json()

    assert body["pending"] == 1 and body["confirmed"] == 0 and body["today"] == 0


def test_staff_of_another_organisation_do_not_see_pending_counts(client, petition):
    SignatureFactory(petition=petition)
    client.force_login(UserFactory(is_staff=True))

    body = client.get(f"/api/v1/campaigns/{petition.campaign.slug}/counters/").json()

    assert body["pending"] is None and body["today"] is None


def test_the_schema_documents_every_petition_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    import yaml

    schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    sign = paths["/api/v1/campaigns/{slug}/signatures/"]["post"]
    assert {"202", "400", "404", "409", "429", "503"} <= set(sign["responses"])
    assert "SignatureCreateInputRequest" in str(sign["requestBody"])
    assert "/api/v1/campaigns/" in paths
    assert "/api/v1/campaigns/{slug}/" in paths
    assert "/api/v1/campaigns/{slug}/counters/" in paths


def test_the_public_counters_may_be_cached_briefly_but_an_organisers_never(client, petition):
    from tests.factories import MembershipFactory

    url = f"/api/v1/campaigns/{petition.campaign.slug}/counters/"
    assert client.get(url)["Cache-Control"] == "public, max-age=5"

    membership = MembershipFactory(organisation=petition.campaign.organisation, role="viewer")
    client.force_login(membership.user)
    assert client.get(url)["Cache-Control"] == "private, no-store"


# --- The campaign as this process remembers it (PAGE_CACHE_SECONDS) --------------------------
# The signing API reads the campaign from the per-process memo. A change made by another
# process (here: a queryset update, which sends no signal) reaches this one only when the
# entry expires, so the insert itself must refuse what the database no longer allows.


def _remembered(client, petition):
    """Sign once, so that this process remembers the campaign; return that first signature."""
    assert client.post(_sign_url(petition), _payload(), format="json").status_code == 202
    return Signature.objects.get()


def _nothing_more_written(signatures=1):
    from advocacy.models import Consent, Supporter

    assert Signature.objects.count() == signatures
    assert Supporter.objects.count() == signatures
    assert Consent.objects.count() == signatures
    assert OutboundEmail.objects.count() == signatures


def test_a_remembered_campaign_costs_the_signing_request_no_lookup(client, petition):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from advocacy.signatures import _keys, _keys_take

    _remembered(client, petition)
    # A fresh block of keys is taken (15 left whatever earlier tests used): what remains
    # is the signature itself.
    _keys.clear()
    _keys_take()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(_sign_url(petition), _payload(), format="json")

    assert response.status_code == 202, response.content
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == 1 and statements[0].lstrip().startswith("WITH sup AS")
    assert Signature.objects.count() == 2


@pytest.mark.parametrize("known", [False, True], ids=["new address", "known supporter"])
def test_a_campaign_closed_by_another_process_refuses_at_once_and_writes_nothing(
    client, petition, known
):
    from campaign.models import Campaign

    _remembered(client, petition)
    payload = _payload()
    if known:  # the general path: a supporter of this organisation signing again
        payload["email"] = Signature.objects.get().supporter.email
    Campaign.objects.filter(pk=petition.campaign_id).update(status=CampaignStatus.CLOSED)

    response = client.post(_sign_url(petition), payload, format="json")

    _assert_error(response, 409, "petition_closed")
    _nothing_more_written()


def test_a_consent_text_changed_by_another_process_is_asked_for_again(client, petition):
    from campaign.models import Petition

    _remembered(client, petition)
    # Even a text changed without a new version number: what was shown is not what is stored.
    Petition.objects.filter(pk=petition.pk).update(consent_text="A different promise.")

    response = client.post(_sign_url(petition), _payload(), format="json")

    error = _assert_error(response, 409, "consent_outdated")
    assert error["fields"] == {"consent_version": ["Current version: 1."]}
    _nothing_more_written()


def test_a_supporter_who_saw_a_newer_consent_text_than_this_process_can_sign(client, petition):
    from advocacy.models import Consent
    from campaign.models import Petition

    _remembered(client, petition)
    Petition.objects.filter(pk=petition.pk).update(consent_text="Version two.", consent_version=2)

    old = client.post(_sign_url(petition), _payload(consent_version=1), format="json")
    new = client.post(_sign_url(petition), _payload(consent_version=2), format="json")

    _assert_error(old, 409, "consent_outdated")
    assert new.status_code == 202, new.content
    latest = Consent.objects.order_by("-pk").first()
    assert (latest.version, latest.text) == (2, "Version two.")
    _nothing_more_written(signatures=2)
