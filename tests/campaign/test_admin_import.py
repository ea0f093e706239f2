"""The admin import: paste → preview with source sentences → create the ticked calls."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from campaign.models import Campaign, CampaignStatus, OrganisationRole, Resolution
from tests.factories import MembershipFactory, OrganisationFactory, oeil_summary

TEXT = (
    Path(__file__).resolve().parents[2]
    / "campaign/fixtures/resolutions/oeil-2022-2505-RSP-kazakhstan.txt"
).read_text()
URL = "/admin/campaign/resolution/import/"


@pytest.fixture
def editor(client):
    membership = MembershipFactory(role=OrganisationRole.EDITOR)
    client.force_login(membership.user)
    return membership


@pytest.mark.django_db
def test_pasting_a_summary_shows_the_metadata_and_every_call_with_its_source(client, editor):
    response = client.post(
        URL, {"organisation": editor.organisation.pk, "text": TEXT, "step": "preview"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "2022/2505(RSP)" in page and "589 for, 35 against, 47 abstentions" in page
    assert page.count('name="positions"') == 12
    assert "immediately release and fully rehabilitate all political prisoners" in page
    assert Resolution.objects.count() == 0  # a preview writes nothing


@pytest.mark.django_db
def test_creating_only_the_ticked_calls(client, editor):
    response = client.post(
        URL,
        {
            "organisation": editor.organisation.pk,
            "text": TEXT,
            "step": "create",
            "positions": ["2", "4", "12"],
        },
    )
    assert response.status_code == 302
    assert Campaign.objects.filter(organisation=editor.organisation).count() == 3
    assert set(Campaign.objects.values_list("status", flat=True)) == {CampaignStatus.DRAFT}


@pytest.mark.django_db
def test_an_uploaded_binary_file_gets_a_clear_message_and_writes_nothing(client, editor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        URL,
        {
            "organisation": editor.organisation.pk,
            "upload": SimpleUploadedFile("x.pdf", b"%PDF\x00\x01\x02"),
            "step": "preview",
        },
    )
    assert response.status_code == 200
    assert "binary" in response.content.decode()
    assert Resolution.objects.count() == 0


@pytest.mark.django_db
def test_an_organiser_cannot_import_into_another_organisation(client, editor):
    other = OrganisationFactory()
    response = client.post(
        URL, {"organisation": other.pk, "text": TEXT, "step": "create", "positions": ["1"]}
    )
    assert response.status_code == 200  # the form refuses the choice
    assert "Select a valid choice" in response.content.decode()
    assert Resolution.objects.count() == 0


@pytest.mark.django_db
def test_a_viewer_cannot_import(client):
    membership = MembershipFactory(role=OrganisationRole.VIEWER)
    client.force_login(membership.user)
    response = client.post(
        URL,
        {
            "organisation": membership.organisation.pk,
            "text": TEXT,
            "step": "create",
            "positions": ["1"],
        },
    )
    assert response.status_code == 302
    assert Resolution.objects.count() == 0


@pytest.mark.django_db
def test_organisers_see_only_their_own_campaigns_in_the_admin(client, editor):
    from tests.factories import CampaignFactory

    mine = CampaignFactory(organisation=editor.organisation, title="Mine")
    theirs = CampaignFactory(title="Theirs")
    listing = client.get(reverse("admin:campaign_campaign_changelist")).content.decode()
    assert "Mine" in listing and "Theirs" not in listing
    assert client.get(reverse("admin:campaign_campaign_change", args=[theirs.pk])).status_code in (
        302,
        404,
    )
    assert client.get(reverse("admin:campaign_campaign_change", args=[mine.pk])).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "figures", ["3,000,000,000 votes to 3", "1,000,000,000,000,000,000,000 votes to 3"]
)
def test_implausible_vote_figures_are_shown_as_a_warning_and_never_stored(client, editor, figures):
    text = oeil_summary(
        vote=f"adopted by {figures}, a resolution on Georgia",
        call="Parliament called on the Council to suspend visa-free travel.",
    )
    form = {"organisation": editor.organisation.pk, "text": text}

    preview = client.post(URL, {**form, "step": "preview"})
    created = client.post(URL, {**form, "step": "create", "positions": ["1"]})

    assert preview.status_code == 200
    assert "Could not parse: implausible vote figures" in preview.content.decode()
    assert created.status_code == 302
    assert Resolution.objects.get().votes_for is None


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["\ufeff", "\ufeff \r\n\t", "\u200b\n"])
def test_a_paste_with_nothing_visible_is_refused_as_empty(client, editor, text):
    response = client.post(
        URL, {"organisation": editor.organisation.pk, "text": text, "step": "preview"}
    )

    assert response.status_code == 200
    assert "The file is empty." in response.content.decode()
    assert Resolution.objects.count() == 0


@pytest.mark.django_db
def test_a_refused_import_shows_what_could_not_be_parsed(client, editor):
    text = oeil_summary(vote="adopted a text", call="Parliament condemned the arrests.")

    response = client.post(
        URL, {"organisation": editor.organisation.pk, "text": text, "step": "preview"}
    )

    page = response.content.decode()
    assert "No calls were found" in page
    assert "Could not parse: no vote figures found" in page
    assert Resolution.objects.count() == 0


@pytest.mark.django_db
def test_a_call_on_many_addressees_is_created_with_a_subject_that_fits(client, editor):
    from campaign.models import LetterTemplate

    names = [f"the UN Special Rapporteur on freedom of expression in region {n}" for n in range(5)]
    call = f"Parliament called on {', '.join(names[:-1])} and {names[-1]} to release everyone."
    text = oeil_summary(vote="adopted by 495 votes to 73", call=call)

    response = client.post(
        URL,
        {
            "organisation": editor.organisation.pk,
            "text": text,
            "step": "create",
            "positions": ["1"],
        },
    )

    assert response.status_code == 302
    subject = LetterTemplate.objects.get().subject
    assert len(subject) <= LetterTemplate._meta.get_field("subject").max_length
    assert subject.startswith(f"Please press {names[0]}")
