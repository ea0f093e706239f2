"""Data migrations do what they say on a database holding rows from before them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone


@pytest.mark.django_db(transaction=True)
def test_letters_queued_before_0003_get_their_outbox_slot():
    executor = MigrationExecutor(connection)
    before = [("advocacy", "0002_webhooks")]
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        from tests.factories import LetterTemplateFactory, MepFactory, SupporterFactory

        template = LetterTemplateFactory()
        campaign_id = template.campaign_id
        supporter = SupporterFactory(organisation=template.campaign.organisation)
        mep = MepFactory()
        Letter = apps.get_model("advocacy", "Letter")
        LetterRequest = apps.get_model("advocacy", "LetterRequest")
        Consent = apps.get_model("advocacy", "Consent")
        OutboundEmail = apps.get_model("advocacy", "OutboundEmail")
        slot = timezone.now().replace(microsecond=0) + timezone.timedelta(hours=3)
        consent = Consent.objects.create(
            supporter_id=supporter.pk,
            purpose="letter",
            text="I agree.",
            version=1,
            given_at=timezone.now(),
            channel="api",
        )
        request = LetterRequest.objects.create(
            campaign_id=campaign_id, supporter_id=supporter.pk, consent=consent, channel="api"
        )
        email = OutboundEmail.objects.create(
            kind="letter",
            recipient="mep@example.eu",
            sender="a@example.org",
            subject="s",
            body_text="b",
            message_id="<migration-test@example.org>",
            not_before=slot,
        )
        queued = Letter.objects.create(
            request=request,
            campaign_id=campaign_id,
            supporter_id=supporter.pk,
            mep_id=mep.pk,
            subject="s",
            body="b",
            status="queued",
            outbound_email=email,
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest state

    from advocacy.models import Letter as CurrentLetter

    assert CurrentLetter.objects.get(pk=queued.pk).scheduled_for == slot


@pytest.mark.django_db(transaction=True)
def test_twin_letters_from_before_0004_are_made_distinct_and_erased_ones_left_alone():
    executor = MigrationExecutor(connection)
    before = [("advocacy", "0003_letter_pacing_slot")]
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        from tests.factories import LetterTemplateFactory, MepFactory, SupporterFactory

        template = LetterTemplateFactory()
        campaign_id = template.campaign_id
        mep = MepFactory()
        Letter = apps.get_model("advocacy", "Letter")
        LetterRequest = apps.get_model("advocacy", "LetterRequest")
        Consent = apps.get_model("advocacy", "Consent")

        def letter(body: str) -> int:
            supporter = SupporterFactory(organisation=template.campaign.organisation)
            consent = Consent.objects.create(
                supporter_id=supporter.pk,
                purpose="letter",
                text="I agree.",
                version=1,
                given_at=timezone.now(),
                channel="api",
            )
            request = LetterRequest.objects.create(
                campaign_id=campaign_id, supporter_id=supporter.pk, consent=consent, channel="api"
            )
            return Letter.objects.create(
                request=request,
                campaign_id=campaign_id,
                supporter_id=supporter.pk,
                mep_id=mep.pk,
                subject="s",
                body=body,
                status="queued",
            ).pk

        twins = [letter("Dear MEP,\n\nAct.\n") for _ in range(3)]
        erased = [letter("") for _ in range(2)]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest state

    from advocacy.models import Letter as CurrentLetter

    bodies = dict(CurrentLetter.objects.filter(pk__in=twins).values_list("pk", "body"))
    assert bodies[twins[0]] == "Dear MEP,\n\nAct.\n"
    assert len(set(bodies.values())) == 3
    assert bodies[twins[2]] == f"Dear MEP,\n\nAct.\n\n(letter {twins[2]})\n"
    assert set(CurrentLetter.objects.filter(pk__in=erased).values_list("body", flat=True)) == {""}
