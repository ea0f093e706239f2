"""Organiser admin for the directory, letter templates (validation, reach) and letters."""

from __future__ import annotations

import pytest
from django.urls import reverse

import advocacy.letter_admin  # noqa: F401  (registers LetterAdmin until the lead wires it)
import campaign.directory_admin  # noqa: F401  (registers the directory admins)
from advocacy.models import Letter, LetterStatus
from campaign.models import LetterTemplate
from tests.advocacy.test_letters import _confirm, _write, world  # noqa: F401
from tests.factories import MembershipFactory


@pytest.fixture
def organiser(client, world):  # noqa: F811
    membership = MembershipFactory(organisation=world.campaign.organisation)
    client.force_login(membership.user)
    return client


def _form(world, **overrides):  # noqa: F811
    data = {
        "campaign": world.campaign.pk,
        "language": "de",
        "subject": "Bitte handeln Sie",
        "body": "{{ mep.salutation }},\n\nBitte.\n\n{{ supporter.full_name }}",
        "targeting": '{"supporter_country": true}',
    }
    data.update(overrides)
    return data


def test_a_template_with_a_forbidden_tag_is_refused_with_the_problem_named(
    organiser,
    world,  # noqa: F811
):
    url = reverse("admin:campaign_lettertemplate_add")
    response = organiser.post(url, _form(world, body="{% load static %}{% debug %}"))
    assert response.status_code == 200
    assert "{% load %}" in response.content.decode()
    assert not LetterTemplate.objects.filter(language="de").exists()


def test_a_malformed_targeting_rule_is_refused(organiser, world):  # noqa: F811
    url = reverse("admin:campaign_lettertemplate_add")
    response = organiser.post(url, _form(world, targeting='{"bodies": [{"code": "NOPE"}]}'))
    assert "unknown body code" in response.content.decode()


def test_a_valid_template_is_saved_and_shows_whom_it_reaches(organiser, world):  # noqa: F811
    response = organiser.post(reverse("admin:campaign_lettertemplate_add"), _form(world))
    assert response.status_code == 302
    template = LetterTemplate.objects.get(language="de")
    page = organiser.get(
        reverse("admin:campaign_lettertemplate_change", args=[template.pk])
    ).content.decode()
    assert "4 MEP(s)" in page  # the four sitting MEPs of the fixture
    assert "Anna Für" in page and "no e-mail address" in page


def test_saving_and_changing_a_template_in_the_admin_is_in_the_audit_log(organiser, world):  # noqa: F811
    from campaign.models import AuditEntry

    organiser.post(reverse("admin:campaign_lettertemplate_add"), _form(world))
    template = LetterTemplate.objects.get(language="de")
    organiser.post(
        reverse("admin:campaign_lettertemplate_change", args=[template.pk]),
        _form(world, subject="Bitte handeln Sie jetzt"),
    )

    entries = AuditEntry.objects.filter(action__startswith="lettertemplate.").order_by("pk")
    assert [entry.action for entry in entries] == ["lettertemplate.create", "lettertemplate.update"]
    assert {entry.organisation_id for entry in entries} == {world.campaign.organisation_id}


def test_the_organiser_cancels_the_queued_letters_to_one_mep(organiser, world):  # noqa: F811
    result = _write(world, mep_ids=[1001, 1002])
    _confirm(result.request.pk)
    anna_letter = Letter.objects.get(mep=world.anna)

    response = organiser.post(
        reverse("admin:advocacy_letter_changelist"),
        {"action": "cancel_for_meps", "_selected_action": [anna_letter.pk]},
    )

    assert response.status_code == 302
    assert Letter.objects.get(mep=world.anna).status == LetterStatus.CANCELLED
    assert Letter.objects.get(mep=world.bernd).status == LetterStatus.QUEUED


def test_the_mep_list_shows_letter_counts(organiser, world):  # noqa: F811
    result = _write(world, mep_ids=[1001])
    _confirm(result.request.pk)
    page = organiser.get(reverse("admin:campaign_mep_changelist")).content.decode()
    assert "MEPSON" in page or "FÜR" in page
