"""The organisation API: token auth, per-organisation scope, roles, filters, cursor pages,
import, webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from advocacy.models import Webhook, WebhookDelivery, WebhookDeliveryStatus
from advocacy.webhooks import webhook_delivery_send, webhook_event_emit
from campaign.api_tokens import api_token_create, api_token_revoke
from campaign.models import AuditEntry, Campaign, CampaignStatus, LetterTemplate, OrganisationRole
from tests.factories import (
    CampaignFactory,
    LetterFactory,
    LetterTemplateFactory,
    OrganisationFactory,
    PetitionFactory,
    SignatureFactory,
    oeil_summary,
    org_api_client,
)

KAZAKHSTAN = (
    Path(__file__).resolve().parents[2]
    / "campaign/fixtures/resolutions/oeil-2022-2505-RSP-kazakhstan.txt"
).read_text()


@pytest.fixture
def org_a():
    return OrganisationFactory(name="A")


@pytest.fixture
def org_b():
    return OrganisationFactory(name="B")


@pytest.fixture
def api_a(org_a):
    return org_api_client(org_a)


# --- Authentication -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header", [None, "Bearer nope", "Bearer rsl_deadbeef_unknown", "Token abc", "Bearer "]
)
def test_requests_without_a_valid_token_are_refused_in_the_error_shape(header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/org/campaigns/")
    assert response.status_code in (401, 403)
    assert set(response.json()["error"]) == {"code", "message", "fields"}


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_scheme_is_read_whatever_its_case(org_a, scheme):
    _, raw = api_token_create(organisation=org_a, name="t", role="viewer")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {raw}")

    assert client.get("/api/v1/org/campaigns/").status_code == 200


@pytest.mark.django_db
def test_a_revoked_token_stops_working(org_a):
    token, raw = api_token_create(organisation=org_a, name="t", role="editor")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/org/campaigns/").status_code == 200
    api_token_revoke(token=token)
    assert client.get("/api/v1/org/campaigns/").status_code == 401


# --- Scope ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_organisation_sees_only_its_own_campaigns(api_a, org_a, org_b):
    mine = CampaignFactory(organisation=org_a, title="Mine")
    PetitionFactory(campaign=mine)
    theirs = CampaignFactory(organisation=org_b, title="Theirs")

    listing = api_a.get("/api/v1/org/campaigns/").json()
    assert [c["title"] for c in listing["results"]] == ["Mine"]
    assert api_a.get(f"/api/v1/org/campaigns/{theirs.pk}/").status_code == 404
    assert api_a.patch(f"/api/v1/org/campaigns/{theirs.pk}/", {"title": "x"}).status_code == 404
    assert api_a.delete(f"/api/v1/org/campaigns/{theirs.pk}/").status_code == 404
    assert api_a.get(f"/api/v1/org/campaigns/{theirs.pk}/petition/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.title == "Theirs"


@pytest.mark.django_db
def test_filters_cannot_reach_another_organisations_rows(api_a, org_a, org_b):
    theirs = SignatureFactory(petition__campaign__organisation=org_b)
    SignatureFactory(petition__campaign__organisation=org_a)
    response = api_a.get(f"/api/v1/org/signatures/?campaign={theirs.petition.campaign_id}")
    assert response.status_code == 200
    assert response.json()["results"] == []
    template = LetterTemplateFactory(campaign__organisation=org_b)
    assert api_a.get(f"/api/v1/org/letter-templates/{template.pk}/").status_code == 404
    assert (
        api_a.get(f"/api/v1/org/letter-templates/?campaign={template.campaign_id}").json()[
            "results"
        ]
        == []
    )


@pytest.mark.django_db
def test_a_template_cannot_be_attached_to_another_organisations_campaign(api_a, org_b):
    theirs = CampaignFactory(organisation=org_b)
    response = api_a.post(
        "/api/v1/org/letter-templates/",
        {"campaign": theirs.pk, "language": "de", "subject": "Hallo", "body": "Text"},
        format="json",
    )
    assert response.status_code == 400
    assert "campaign" in response.json()["error"]["fields"]
    assert not LetterTemplate.objects.filter(campaign=theirs).exists()


@pytest.mark.django_db
def test_a_viewer_token_reads_but_cannot_write(org_a):
    campaign = CampaignFactory(organisation=org_a, status=CampaignStatus.DRAFT)
    viewer = org_api_client(org_a, OrganisationRole.VIEWER)
    assert viewer.get("/api/v1/org/campaigns/").status_code == 200
    assert viewer.post("/api/v1/org/campaigns/", {"title": "New"}).status_code == 403
    assert viewer.patch(f"/api/v1/org/campaigns/{campaign.pk}/", {"title": "x"}).status_code == 403
    assert viewer.delete(f"/api/v1/org/campaigns/{campaign.pk}/").status_code == 403
    assert viewer.post("/api/v1/org/resolutions/import", {"text": KAZAKHSTAN}).status_code == 403


# --- Campaigns, petitions, templates --------------------------------------------------------


@pytest.mark.django_db
def test_creating_publishing_and_editing_a_campaign_is_recorded_in_the_audit_log(api_a, org_a):
    created = api_a.post(
        "/api/v1/org/campaigns/", {"title": "Free the press", "summary": "Now."}, format="json"
    )
    assert created.status_code == 201, created.content
    campaign_id = created.json()["id"]
    assert created.json()["status"] == "draft"
    assert created.json()["petition"]["consent_version"] == 1

    published = api_a.post(
        f"/api/v1/org/campaigns/{campaign_id}/status/", {"status": "live"}, format="json"
    )
    assert published.status_code == 200 and published.json()["status"] == "live"
    petition = api_a.patch(
        f"/api/v1/org/campaigns/{campaign_id}/petition/",
        {"goal": 5000, "consent_text": "New words."},
        format="json",
    )
    assert petition.status_code == 200
    assert petition.json()["goal"] == 5000 and petition.json()["consent_version"] == 2

    actions = list(AuditEntry.objects.filter(organisation=org_a).values_list("action", flat=True))
    assert {"campaign.create", "campaign.status", "petition.update"} <= set(actions)


@pytest.mark.django_db
def test_an_invalid_status_change_is_a_409_naming_the_field(api_a, org_a):
    campaign = CampaignFactory(organisation=org_a, status=CampaignStatus.CLOSED)
    response = api_a.post(
        f"/api/v1/org/campaigns/{campaign.pk}/status/", {"status": "live"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "campaign_transition_invalid"
    assert "status" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_only_drafts_can_be_deleted(api_a, org_a):
    live = CampaignFactory(organisation=org_a, status=CampaignStatus.LIVE)
    draft = CampaignFactory(organisation=org_a, status=CampaignStatus.DRAFT)
    assert api_a.delete(f"/api/v1/org/campaigns/{live.pk}/").status_code == 409
    assert api_a.delete(f"/api/v1/org/campaigns/{draft.pk}/").status_code == 204
    assert list(Campaign.objects.values_list("pk", flat=True)) == [live.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", ["{{ settings.SECRET_KEY }}", "{% load static %}", "{{ mep.__class__ }}", "{{ x }}"]
)
def test_an_unsafe_template_is_refused_with_the_field_named(api_a, org_a, body):
    campaign = CampaignFactory(organisation=org_a)
    response = api_a.post(
        "/api/v1/org/letter-templates/",
        {"campaign": campaign.pk, "language": "fr", "subject": "Objet", "body": body},
        format="json",
    )
    assert response.status_code == 400
    assert "body" in response.json()["error"]["fields"]


# --- Signatures: filters and cursor pages ---------------------------------------------------


@pytest.mark.django_db
def test_signatures_are_filtered_and_paged_with_a_cursor(api_a, org_a):
    petition = PetitionFactory(campaign__organisation=org_a)
    for _ in range(3):
        SignatureFactory(petition=petition, status="confirmed")
    SignatureFactory(petition=petition, status="pending")

    first = api_a.get("/api/v1/org/signatures/?status=confirmed&page_size=2").json()
    assert len(first["results"]) == 2 and first["next"]
    second = api_a.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert {r["status"] for r in first["results"] + second["results"]} == {"confirmed"}
    bad = api_a.get("/api/v1/org/signatures/?status=maybe")
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]
    bad_date = api_a.get("/api/v1/org/signatures/?since=yesterday")
    assert bad_date.status_code == 400 and "since" in bad_date.json()["error"]["fields"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "sees_personal_data"),
    [
        (OrganisationRole.VIEWER, False),
        (OrganisationRole.EDITOR, True),
        (OrganisationRole.OWNER, True),
    ],
)
def test_supporters_names_and_addresses_go_to_editor_and_owner_tokens_only(
    org_a, role, sees_personal_data
):
    petition = PetitionFactory(campaign__organisation=org_a)
    signature = SignatureFactory(
        petition=petition,
        status="confirmed",
        supporter__first_name="Zhanna",
        supporter__email="zhanna@example.org",
    )
    LetterFactory(
        request__campaign=petition.campaign,
        request__supporter=signature.supporter,
        subject="From Zhanna of Almaty",
    )
    webhook = Webhook.objects.create(
        organisation=org_a, url="https://hooks.example.org/x", secret="s" * 64
    )
    webhook_event_emit(
        organisation_id=org_a.pk,
        event="signature.confirmed",
        event_id="e-1",
        data={"supporter": {"first_name": "Zhanna", "email": "zhanna@example.org"}},
    )
    api = org_api_client(org_a, role)

    signatures = api.get("/api/v1/org/signatures/")
    letters = api.get("/api/v1/org/letters/")
    deliveries = api.get(f"/api/v1/org/webhooks/{webhook.pk}/deliveries/")
    assert signatures.status_code == letters.status_code == deliveries.status_code == 200
    one_signature = signatures.json()["results"][0]
    one_letter = letters.json()["results"][0]
    [delivery] = deliveries.json()
    assert delivery["event"] == "signature.confirmed"
    by_id = api.get(f"/api/v1/org/signatures/{signature.pk}/").json()
    # What is not personal stays readable for every role: counts, statuses, dates, countries.
    assert one_signature["status"] == "confirmed" and one_letter["mep_name"]
    if sees_personal_data:
        assert one_signature["supporter"]["email"] == "zhanna@example.org"
        assert by_id["supporter"]["first_name"] == "Zhanna"
        assert one_letter["supporter"]["email"] == "zhanna@example.org"
        assert one_letter["subject"] == "From Zhanna of Almaty"
        assert delivery["payload"]["data"]["supporter"]["email"] == "zhanna@example.org"
    else:
        signature_url = f"/api/v1/org/signatures/{signature.pk}/"
        for body in (signatures, letters, deliveries, api.get(signature_url)):
            assert "zhanna" not in body.content.decode().lower()
        assert one_signature["supporter"] is None and by_id["supporter"] is None
        assert one_letter["supporter"] is None and one_letter["subject"] is None
        assert delivery["payload"] is None


def test_the_schema_says_a_viewer_token_gets_no_personal_data(client):
    components = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    for name, fields in [("Signature", ["supporter"]), ("Letter", ["supporter", "subject"])]:
        for field in fields:
            described = components[name]["properties"][field]
            assert "viewer token" in described["description"], (name, field)
            assert described.get("nullable") or {"type": "null"} in described.get("oneOf", [])


@pytest.mark.django_db
def test_a_campaign_slug_is_lower_case_whether_created_or_changed_and_languages_unique(api_a):
    created = api_a.post("/api/v1/org/campaigns/", {"title": "T", "slug": "UPPER"}, format="json")
    assert created.status_code == 201 and created.json()["slug"] == "upper"
    url = f"/api/v1/org/campaigns/{created.json()['id']}/"

    changed = api_a.patch(url, {"slug": "Free-Them"}, format="json")
    twice = api_a.patch(url, {"languages": ["en", "en"]}, format="json")

    assert changed.status_code == 200 and changed.json()["slug"] == "free-them"
    assert twice.status_code == 400 and "languages" in twice.json()["error"]["fields"]


# --- Import ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_importing_a_resolution_through_the_api(api_a, org_a):
    dry = api_a.post(
        "/api/v1/org/resolutions/import", {"text": KAZAKHSTAN, "dry_run": True}, format="json"
    )
    assert dry.status_code == 200 and len(dry.json()["created"]) == 12
    assert Campaign.objects.count() == 0

    real = api_a.post("/api/v1/org/resolutions/import", {"text": KAZAKHSTAN}, format="json")
    assert real.status_code == 200
    assert Campaign.objects.filter(organisation=org_a).count() == 12
    again = api_a.post("/api/v1/org/resolutions/import", {"text": KAZAKHSTAN}, format="json")
    assert again.json()["created"] == [] and len(again.json()["unchanged"]) == 12

    bad = api_a.post("/api/v1/org/resolutions/import", {"text": "nothing here"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "import_invalid"


IMPORT_URL = "/api/v1/org/resolutions/import"


@pytest.mark.django_db
def test_the_api_reports_the_calls_a_revised_text_no_longer_has(api_a):
    calls = [
        "Parliament called on the authorities to release all political prisoners.",
        "Parliament urged the Commission to halt budget support to the government.",
    ]
    vote = "adopted by 495 votes to 73, with 86 abstentions, a resolution on Georgia"
    first = api_a.post(
        IMPORT_URL, {"text": oeil_summary(vote=vote, call="\n\n".join(calls))}, format="json"
    )
    assert first.status_code == 200 and len(first.json()["created"]) == 2

    revised = api_a.post(
        IMPORT_URL, {"text": oeil_summary(vote=vote, call=calls[0])}, format="json"
    )
    assert revised.status_code == 200
    body = revised.json()
    assert len(body["disappeared"]) == 1 and body["created"] == []
    assert body["disappeared"][0] in first.json()["created"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (" \r\n\t\n", "The file is empty."),
        ("\ufeff", "The file is empty."),
        ("\u200b\n\ufeff", "The file is empty."),
        ("\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0e 2022/2505(RSP) Parliament called on the "
         "Council to act.", "control bytes"),
        (oeil_summary(vote="adopted a text", call="Parliament condemned the arrests."),
         "Could not parse: no vote figures found"),
    ],
)  # fmt: skip
def test_an_unusable_import_text_is_refused_naming_the_text_field(api_a, text, message):
    response = api_a.post(IMPORT_URL, {"text": text}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "import_invalid"
    assert message in error["message"]
    assert message in error["fields"]["text"][0]
    assert Campaign.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "figures", ["3,000,000,000 votes to 3", "1,000,000,000,000,000,000,000 votes to 3"]
)
def test_implausible_vote_figures_come_back_as_a_warning_not_a_server_error(api_a, figures):
    text = oeil_summary(
        vote=f"adopted by {figures}, a resolution on Georgia",
        call="Parliament called on the Council to suspend visa-free travel.",
    )

    response = api_a.post(IMPORT_URL, {"text": text}, format="json")

    assert response.status_code == 200
    assert any("implausible vote figures" in w for w in response.json()["warnings"])
    assert len(response.json()["created"]) == 1


@pytest.mark.django_db
def test_a_call_on_many_addressees_imports_through_the_api(api_a):
    names = [f"the UN Special Rapporteur on freedom of expression in region {n}" for n in range(5)]
    call = f"Parliament called on {', '.join(names[:-1])} and {names[-1]} to release everyone."

    response = api_a.post(
        IMPORT_URL,
        {"text": oeil_summary(vote="adopted by 495 votes to 73", call=call)},
        format="json",
    )

    assert response.status_code == 200
    subject = LetterTemplate.objects.get().subject
    assert len(subject) <= LetterTemplate._meta.get_field("subject").max_length


# --- Webhooks -------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    answers: list[int] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        code = type(self).answers.pop(0) if type(self).answers else 204
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver():
    _Receiver.received, _Receiver.answers = [], []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.mark.django_db
def test_webhooks_are_signed_retried_and_their_attempts_visible(api_a, org_a, receiver, settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    url = f"http://127.0.0.1:{receiver.server_port}/hook"
    registered = api_a.post("/api/v1/org/webhooks/", {"url": url}, format="json")
    assert registered.status_code == 201, registered.content
    secret = registered.json()["secret"]

    webhook_event_emit(
        organisation_id=org_a.pk, event="signature.confirmed", event_id="sig-1", data={"x": 1}
    )
    delivery = WebhookDelivery.objects.get()
    _Receiver.answers = [500]
    retry_in = webhook_delivery_send(delivery_id=delivery.pk)
    assert retry_in is not None
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.PENDING and delivery.response_status == 500

    WebhookDelivery.objects.filter(pk=delivery.pk).update(not_before=delivery.created_at)
    assert webhook_delivery_send(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.DELIVERED and delivery.attempts == 2

    headers, body = _Receiver.received[-1]
    expected = hmac.new(
        secret.encode(), headers["X-Resolute-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Resolute-Signature"] == f"sha256={expected}"
    assert json.loads(body)["event"] == "signature.confirmed"

    attempts = api_a.get(f"/api/v1/org/webhooks/{registered.json()['id']}/deliveries/").json()
    assert attempts[0]["attempts"] == 2 and attempts[0]["status"] == "delivered"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["http://example.org/hook", "https://127.0.0.1/hook", "https://10.0.0.1/x", "ftp://x"]
)
def test_webhook_urls_into_private_networks_or_without_tls_are_refused(api_a, settings, url):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    response = api_a.post("/api/v1/org/webhooks/", {"url": url}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()["error"]["fields"]


def test_the_schema_describes_every_organisation_endpoint_with_bearer_auth(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    document = schema.json()
    paths = document["paths"]
    for path in [
        "/api/v1/org/campaigns/",
        "/api/v1/org/campaigns/{id}/status/",
        "/api/v1/org/campaigns/{id}/petition/",
        "/api/v1/org/letter-templates/",
        "/api/v1/org/signatures/",
        "/api/v1/org/letters/",
        "/api/v1/org/resolutions/import",
        "/api/v1/org/webhooks/{id}/deliveries/",
    ]:
        assert path in paths, path
    assert document["components"]["securitySchemes"]["organisationToken"]["scheme"] == "bearer"
