"""Schemathesis against the live app: every operation of the served OpenAPI schema, with
generated input, anonymous and with an organisation token. No 5xx, and every response
matches the schema (status code, content type, body)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from campaign.api_tokens import api_token_create
from campaign.models import OrganisationRole
from tests.factories import LetterTemplateFactory, OrganisationFactory, PetitionFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def live_api(live_server, transactional_db, settings):
    # The generator posts far more than 30 signatures an hour from 127.0.0.1.
    settings.RATELIMIT_ALLOWED_IPS = ["127.0.0.1"]
    organisation = OrganisationFactory()
    petition = PetitionFactory(campaign__organisation=organisation, campaign__slug="live-one")
    LetterTemplateFactory(campaign=petition.campaign)
    _, raw = api_token_create(organisation=organisation, name="fuzz", role=OrganisationRole.EDITOR)
    return live_server.url, raw


@pytest.mark.e2e
def test_the_api_keeps_its_schema_under_generated_input(live_api):
    base_url, token = live_api
    schema = schemathesis.openapi.from_url(f"{base_url}/api/schema/?format=json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    cases = 0

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: schemathesis.Case) -> None:
            nonlocal cases
            case.call_and_validate(base_url=base_url, checks=CHECKS)
            case.call_and_validate(
                base_url=base_url, checks=CHECKS, headers={"Authorization": f"Bearer {token}"}
            )
            cases += 2

        run()
    print(f"schemathesis: {len(operations)} operations, {cases} requests, no failure")
    assert cases >= 200
