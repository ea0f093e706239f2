"""A webhook's signing secret is shown once, when it is made, and never to a reader: whoever
holds it can forge deliveries the organisation's systems will trust."""

from __future__ import annotations

import pytest

from advocacy.models import Webhook
from campaign.models import AuditEntry, OrganisationRole
from tests.factories import OrganisationFactory, org_api_client

SECRET = "f" * 64


@pytest.fixture
def webhook():
    return Webhook.objects.create(
        organisation=OrganisationFactory(), url="https://hooks.example.org/in", secret=SECRET
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", [OrganisationRole.VIEWER, OrganisationRole.OWNER])
def test_listing_and_reading_webhooks_never_shows_the_secret(webhook, role):
    client = org_api_client(webhook.organisation, role)

    listed = client.get("/api/v1/org/webhooks/")
    read = client.get(f"/api/v1/org/webhooks/{webhook.pk}/")

    assert listed.status_code == read.status_code == 200
    assert [row["id"] for row in listed.json()] == [webhook.pk]
    assert "secret" not in listed.json()[0] and "secret" not in read.json()
    assert SECRET not in listed.content.decode() + read.content.decode()


@pytest.mark.django_db
def test_updating_a_webhook_does_not_show_the_secret(webhook):
    response = org_api_client(webhook.organisation).patch(
        f"/api/v1/org/webhooks/{webhook.pk}/", {"active": False}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["active"] is False
    assert SECRET not in response.content.decode()


@pytest.mark.django_db
def test_registering_a_webhook_shows_its_secret_in_that_reply_only(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    organisation = OrganisationFactory()
    client = org_api_client(organisation)

    created = client.post("/api/v1/org/webhooks/", {"url": "http://127.0.0.1/in"}, format="json")

    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert secret == Webhook.objects.get(organisation=organisation).secret
    assert secret not in client.get("/api/v1/org/webhooks/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [OrganisationRole.EDITOR, OrganisationRole.OWNER])
def test_rotating_the_secret_replaces_it_and_shows_the_new_one_once(webhook, role):
    client = org_api_client(webhook.organisation, role)

    response = client.post(f"/api/v1/org/webhooks/{webhook.pk}/rotate-secret/")

    assert response.status_code == 200, response.content
    webhook.refresh_from_db()
    assert response.json()["secret"] == webhook.secret != SECRET
    assert len(webhook.secret) == 64
    assert webhook.secret not in client.get(f"/api/v1/org/webhooks/{webhook.pk}/").content.decode()
    entry = AuditEntry.objects.get(action="webhook.rotate_secret")
    assert entry.object_id == str(webhook.pk)
    assert webhook.secret not in str(entry.detail) + entry.object_repr


@pytest.mark.django_db
def test_a_viewer_token_cannot_rotate_the_secret(webhook):
    client = org_api_client(webhook.organisation, OrganisationRole.VIEWER)

    response = client.post(f"/api/v1/org/webhooks/{webhook.pk}/rotate-secret/")

    assert response.status_code == 403
    assert "secret" not in response.json()
    webhook.refresh_from_db()
    assert webhook.secret == SECRET


@pytest.mark.django_db
def test_another_organisations_webhook_cannot_be_rotated(webhook):
    client = org_api_client(OrganisationFactory(), OrganisationRole.OWNER)

    response = client.post(f"/api/v1/org/webhooks/{webhook.pk}/rotate-secret/")

    assert response.status_code == 404
    webhook.refresh_from_db()
    assert webhook.secret == SECRET


def test_the_schema_puts_the_secret_only_in_the_create_and_rotate_replies(client):
    document = client.get("/api/schema/?format=json").json()
    paths, schemas = document["paths"], document["components"]["schemas"]

    def reply(path: str, method: str, code: str) -> str:
        content = paths[path][method]["responses"][code]["content"]["application/json"]
        return str(content["schema"])

    assert "secret" not in schemas["Webhook"]["properties"]
    assert "secret" in schemas["WebhookWithSecret"]["properties"]
    assert "WebhookWithSecret" in reply("/api/v1/org/webhooks/", "post", "201")
    assert "WebhookWithSecret" in reply("/api/v1/org/webhooks/{id}/rotate-secret/", "post", "200")
    for path, method in [
        ("/api/v1/org/webhooks/", "get"),
        ("/api/v1/org/webhooks/{id}/", "get"),
        ("/api/v1/org/webhooks/{id}/", "patch"),
    ]:
        assert "WithSecret" not in reply(path, method, "200")
