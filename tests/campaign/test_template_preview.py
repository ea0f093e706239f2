"""Organisers preview a letter for a chosen MEP and a sample supporter before saving."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaign.models import OrganisationRole
from tests.factories import (
    LetterTemplateFactory,
    MandateFactory,
    MembershipFactory,
    MepFactory,
    RollCallFactory,
    RollCallVoteFactory,
)

BODY = (
    "{{ mep.salutation }},\n"
    '{% if mep.vote == "for" %}Thank you for voting for the resolution.'
    "{% else %}Please act now.{% endif %}\n{{ supporter.full_name }}"
)


@pytest.fixture
def setup(client):
    membership = MembershipFactory(role=OrganisationRole.EDITOR)
    client.force_login(membership.user)
    template = LetterTemplateFactory(
        campaign__organisation=membership.organisation,
        campaign__call__resolution__procedure_reference="2022/2505(RSP)",
        body=BODY,
        targeting={"countries": ["DE"]},
    )
    roll_call = RollCallFactory(procedure_reference="2022/2505(RSP)", is_final_vote=True)
    voted_for = MepFactory(last_name="MÜLLER", first_name="Anna", gender="F", country_code="DE")
    MandateFactory(mep=voted_for)
    RollCallVoteFactory(roll_call=roll_call, mep=voted_for, position="for")
    absent = MepFactory(last_name="SCHMIDT", first_name="Jan", gender="M", country_code="DE")
    MandateFactory(mep=absent)
    return template, voted_for, absent


@pytest.mark.django_db
def test_the_preview_renders_for_the_chosen_mep_with_their_vote(client, setup):
    template, voted_for, absent = setup
    url = reverse("admin:campaign_lettertemplate_preview", args=[template.pk])

    thanked = client.get(url, {"mep": voted_for.ep_id})
    asked = client.get(url, {"mep": absent.ep_id})

    assert thanked.status_code == 200
    assert "Thank you for voting for the resolution." in thanked.content.decode()
    assert "Ana Example" in thanked.content.decode()
    assert "Please act now." in asked.content.decode()
    assert asked.context["vote"] == "did_not_vote"


@pytest.mark.django_db
def test_previewing_unsaved_text_shows_the_sandbox_problem_and_saves_nothing(client, setup):
    template, voted_for, _ = setup
    url = reverse("admin:campaign_lettertemplate_preview", args=[template.pk])

    response = client.post(
        url, {"mep": voted_for.ep_id, "subject": "Hi", "body": "{{ settings.SECRET_KEY }}"}
    )

    assert response.status_code == 200
    assert response.context["problem"]
    assert "settings" in response.context["problem"]
    template.refresh_from_db()
    assert template.body == BODY


@pytest.mark.django_db
def test_another_organisations_template_cannot_be_previewed(client, setup):
    theirs = LetterTemplateFactory()
    url = reverse("admin:campaign_lettertemplate_preview", args=[theirs.pk])
    assert client.get(url).status_code == 404
