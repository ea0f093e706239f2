"""An edit writes only what it changed: a column changed by someone else between the edit's
read and its write (a confirmation counted, a campaign closed, a secret rotated) survives.

Each test makes that "meanwhile" change at the last moment before the edit's own save (a
pre_save receiver, with a separate UPDATE), which is what a concurrent request committing in
between does; a whole-row save would write the old value back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import F, Model
from django.db.models.signals import pre_save
from django.test import Client

from advocacy.models import Webhook
from campaign.models import AuditEntry, Campaign, CampaignStatus, OrganisationRole, Petition
from tests.factories import MembershipFactory, PetitionFactory, org_api_client


@contextmanager
def meanwhile(model: type[Model], change: Callable[[Any], None]) -> Iterator[list[Any]]:
    """Run `change(instance)` once, just before the first save of a `model` row."""
    seen: list[Any] = []

    def receiver(sender: Any, instance: Any, **kwargs: Any) -> None:
        if not seen:
            seen.append(instance.pk)
            change(instance)

    pre_save.connect(receiver, sender=model, weak=False)
    try:
        yield seen
    finally:
        pre_save.disconnect(receiver, sender=model)


def _confirmed_meanwhile(petition: Any) -> None:
    Petition.objects.filter(pk=petition.pk).update(confirmed_count=F("confirmed_count") + 1)


def _closed_meanwhile(campaign: Any) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CLOSED)


@pytest.fixture
def petition() -> Petition:
    return PetitionFactory(
        campaign__status=CampaignStatus.LIVE, confirmed_count=41, consent_version=2
    )


@pytest.mark.django_db
def test_patching_a_petition_keeps_the_confirmations_counted_meanwhile(petition):
    api = org_api_client(petition.campaign.organisation)
    with meanwhile(Petition, _confirmed_meanwhile) as seen:
        response = api.patch(
            f"/api/v1/org/campaigns/{petition.campaign_id}/petition/", {"goal": 5000}, format="json"
        )

    assert response.status_code == 200 and seen
    petition.refresh_from_db()
    assert (petition.goal, petition.confirmed_count) == (5000, 42)


@pytest.mark.django_db
def test_patching_a_campaign_keeps_a_close_made_meanwhile(petition):
    api = org_api_client(petition.campaign.organisation)
    with meanwhile(Campaign, _closed_meanwhile) as seen:
        response = api.patch(
            f"/api/v1/org/campaigns/{petition.campaign_id}/", {"summary": "New"}, format="json"
        )

    assert response.status_code == 200 and seen
    campaign = Campaign.objects.get(pk=petition.campaign_id)
    assert (campaign.summary, campaign.status) == ("New", CampaignStatus.CLOSED)


@pytest.mark.django_db
def test_patching_a_webhook_keeps_a_secret_rotated_meanwhile(petition):
    organisation = petition.campaign.organisation
    webhook = Webhook.objects.create(
        organisation=organisation, url="https://hooks.example.org/x", secret="old" * 10
    )
    api = org_api_client(organisation)

    def rotated(instance: Any) -> None:
        Webhook.objects.filter(pk=instance.pk).update(secret="new" * 10)

    with meanwhile(Webhook, rotated) as seen:
        response = api.patch(
            f"/api/v1/org/webhooks/{webhook.pk}/", {"active": False}, format="json"
        )

    assert response.status_code == 200 and seen
    webhook.refresh_from_db()
    assert (webhook.active, webhook.secret) == (False, "new" * 10)


def _release_once_a_query_waits_for_a_lock(release: threading.Event) -> None:
    """Set `release` when another session of this database waits for a row lock (the PATCH,
    having read the row, now wants it), or after 30 s."""
    try:
        with connection.cursor() as cursor:
            for _ in range(3000):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.01)
    finally:
        release.set()
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_new_consent_text_counts_its_version_from_the_row_as_locked():
    petition = PetitionFactory(consent_version=2)
    api = org_api_client(petition.campaign.organisation)
    url = f"/api/v1/org/campaigns/{petition.campaign_id}/petition/"
    locked, release = threading.Event(), threading.Event()

    def another_organiser() -> None:
        # Another new text, committed while this PATCH waits for the row: version 3.
        try:
            with transaction.atomic():
                Petition.objects.select_for_update().get(pk=petition.pk)
                locked.set()
                release.wait(30)
                Petition.objects.filter(pk=petition.pk).update(
                    consent_text="Other text", consent_version=3
                )
        finally:
            connection.close()

    other = threading.Thread(target=another_organiser)
    other.start()
    assert locked.wait(30)
    threading.Thread(target=_release_once_a_query_waits_for_a_lock, args=(release,)).start()
    response = api.patch(url, {"consent_text": "Second text"}, format="json")
    other.join(30)

    assert response.status_code == 200
    # A stale read would have made it version 3 again, the other text's number.
    assert response.json()["consent_version"] == 4
    petition.refresh_from_db()
    assert (petition.consent_text, petition.consent_version) == ("Second text", 4)
    same = api.patch(url, {"consent_text": "Second text"}, format="json")
    assert same.json()["consent_version"] == 4


def _admin_change_post(client: Client, campaign: Campaign, **changes: str) -> Any:
    """POST the campaign's admin change form as the organiser saw it, with `changes`."""
    page = client.get(f"/admin/campaign/campaign/{campaign.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data: dict[str, Any] = {
        name: form[name].value() for name in form.fields if form[name].value() is not None
    }
    data["languages"] = form["languages"].value()
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        for inline in formset.formset.forms:
            for name in inline.fields:
                value = inline[name].value()
                if value is not None:
                    data[f"{inline.prefix}-{name}"] = value
    for key, value in changes.items():
        data[key] = value
    data = {key: value for key, value in data.items() if value is not False}
    return client.post(f"/admin/campaign/campaign/{campaign.pk}/change/", data)


@pytest.mark.django_db
def test_the_admin_change_form_keeps_what_others_changed_meanwhile(client, petition):
    campaign = petition.campaign
    owner = MembershipFactory(organisation=campaign.organisation, role=OrganisationRole.OWNER)
    client.force_login(owner.user)

    def confirmed_and_closed(instance: Any) -> None:
        _closed_meanwhile(instance)
        Petition.objects.filter(campaign=instance).update(confirmed_count=F("confirmed_count") + 1)

    with meanwhile(Campaign, confirmed_and_closed) as seen:
        response = _admin_change_post(
            client, campaign, title="Retitled", **{"petition-0-goal": "7000"}
        )

    assert response.status_code == 302, getattr(response, "context", None) and [
        f.errors for f in response.context["inline_admin_formsets"][0].formset.forms
    ]
    assert seen
    campaign.refresh_from_db()
    petition.refresh_from_db()
    assert (campaign.title, campaign.status) == ("Retitled", CampaignStatus.CLOSED)
    assert (petition.goal, petition.confirmed_count) == (7000, 42)


@pytest.mark.django_db
def test_the_admin_counts_a_new_consent_version_and_never_edits_the_status(client, petition):
    campaign = petition.campaign
    owner = MembershipFactory(organisation=campaign.organisation, role=OrganisationRole.OWNER)
    client.force_login(owner.user)

    # A posted status (a form from before this change, or forged) is not a way around the
    # publish/pause/close actions, which keep a closed campaign closed.
    response = _admin_change_post(
        client,
        campaign,
        status=CampaignStatus.DRAFT,
        **{"petition-0-consent_text": "A new consent text", "petition-0-consent_version": "99"},
    )

    assert response.status_code == 302
    campaign.refresh_from_db()
    petition.refresh_from_db()
    assert campaign.status == CampaignStatus.LIVE
    assert (petition.consent_text, petition.consent_version) == ("A new consent text", 3)
    # The inline's change is in the audit log, as the campaign's own would be.
    entry = AuditEntry.objects.get(action="petition.update")
    assert entry.detail == {"fields": ["consent_text", "consent_version"]}
