"""Data migrations do what they say on a database holding rows from before them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone


@contextmanager
def _before(migration: str) -> Iterator[Callable[..., Any]]:
    """Migrate advocacy back to `migration`, yield a writer of letters (one new supporter
    each, to one MEP of one letter campaign) through that state's models, then migrate
    forward to the latest state."""
    executor = MigrationExecutor(connection)
    state = [("advocacy", migration)]
    executor.migrate(state)
    try:
        apps = executor.loader.project_state(state).apps
        from tests.factories import LetterTemplateFactory, MepFactory, SupporterFactory

        template = LetterTemplateFactory()
        mep = MepFactory()

        def letter(**fields: Any) -> Any:
            supporter = SupporterFactory(organisation=template.campaign.organisation)
            consent = apps.get_model("advocacy", "Consent").objects.create(
                supporter_id=supporter.pk,
                purpose="letter",
                text="I agree.",
                version=1,
                given_at=timezone.now(),
                channel="api",
            )
            request = apps.get_model("advocacy", "LetterRequest").objects.create(
                campaign_id=template.campaign_id,
                supporter_id=supporter.pk,
                consent=consent,
                channel="api",
            )
            values = {"subject": "s", "body": "b", "status": "queued", **fields}
            return apps.get_model("advocacy", "Letter").objects.create(
                request=request,
                campaign_id=template.campaign_id,
                supporter_id=supporter.pk,
                mep_id=mep.pk,
                **values,
            )

        letter.apps = apps  # type: ignore[attr-defined]
        yield letter
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest state


@pytest.mark.django_db(transaction=True)
def test_letters_queued_before_0003_get_their_outbox_slot():
    slot = timezone.now().replace(microsecond=0) + timezone.timedelta(hours=3)
    with _before("0002_webhooks") as letter:
        email = letter.apps.get_model("advocacy", "OutboundEmail").objects.create(
            kind="letter",
            recipient="mep@example.eu",
            sender="a@example.org",
            subject="s",
            body_text="b",
            message_id="<migration-test@example.org>",
            not_before=slot,
        )
        queued = letter(outbound_email=email)

    from advocacy.models import Letter

    assert Letter.objects.get(pk=queued.pk).scheduled_for == slot


@pytest.mark.django_db(transaction=True)
def test_twin_letters_from_before_0004_are_made_distinct_and_erased_ones_left_alone():
    with _before("0003_letter_pacing_slot") as letter:
        twins = [letter(body="Dear MEP,\n\nAct.\n").pk for _ in range(3)]
        erased = [letter(body="").pk for _ in range(2)]

    from advocacy.models import Letter

    bodies = dict(Letter.objects.filter(pk__in=twins).values_list("pk", "body"))
    assert bodies[twins[0]] == "Dear MEP,\n\nAct.\n"
    assert len(set(bodies.values())) == 3
    assert bodies[twins[2]] == f"Dear MEP,\n\nAct.\n\n(letter {twins[2]})\n"
    assert set(Letter.objects.filter(pk__in=erased).values_list("body", flat=True)) == {""}


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's CONCURRENTLY")
@pytest.mark.parametrize(
    ("migration", "new", "old"),
    [
        ("0005", "outbox_due_queued_in_order", "outbox_due_queued"),
        ("0006", "outbox_sending_claim_id", "outbox_sending"),
    ],
)
def test_outbox_indexes_are_replaced_without_holding_off_new_outbox_rows(migration, new, old):
    """Building an index reads the whole outbox; a plain CREATE INDEX would block every new
    outbox row (every signature) meanwhile. The new index exists before the old one goes."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("sqlmigrate", "advocacy", migration, stdout=out)
    sql = [line for line in out.getvalue().splitlines() if line and not line.startswith("--")]
    assert sql[0].startswith(f'CREATE INDEX CONCURRENTLY "{new}"')
    assert sql[1].startswith(f'DROP INDEX CONCURRENTLY IF EXISTS "{old}"')
    assert not any(line.startswith(("BEGIN", "COMMIT")) for line in sql)


@pytest.mark.django_db
def test_a_signature_inserted_by_the_previous_release_gets_no_news_opt_in():
    """Between `migrate` and the restart, processes of the previous release insert signatures
    without naming the new column; the database fills it in rather than refusing the row."""
    from tests.factories import PetitionFactory, SupporterFactory

    petition = PetitionFactory()
    supporter = SupporterFactory(organisation=petition.campaign.organisation)
    consent = supporter.consents.create(
        purpose="signature", text="I agree.", version=1, given_at=timezone.now(), channel="api"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO advocacy_signature (petition_id, supporter_id, status, consent_id, "
            "country, channel, created_at) VALUES (%s, %s, 'pending', %s, 'DE', 'api', %s) "
            "RETURNING wants_organisation_news",
            [petition.pk, supporter.pk, consent.pk, timezone.now()],
        )
        assert cursor.fetchone()[0] in (False, 0)


def _single_column_indexes(table: str) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        info["columns"][0]
        for info in constraints.values()
        if info["index"] and not info["unique"] and not info["primary_key"]
        if len(info["columns"]) == 1
    }


def _foreign_keys(table: str) -> dict[str, tuple[str, str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {name: info["foreign_key"] for name, info in constraints.items() if info["foreign_key"]}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("before", "covered", "wider"),
    [
        (
            "0007_signature_wants_organisation_news",
            [("advocacy_signature", "petition_id"), ("advocacy_supporter", "organisation_id")],
            ("advocacy_signature", ["petition_id", "supporter_id"]),
        ),
        (
            "0008_fk_indexes_covered_by_composites",
            [("advocacy_letter", "campaign_id")],
            ("advocacy_letter", ["campaign_id", "supporter_id", "mep_id"]),
        ),
    ],
)
def test_covered_foreign_key_indexes_go_without_touching_the_constraints(before, covered, wider):
    """0008 and 0009 drop foreign-key indexes that wider indexes cover, CONCURRENTLY and
    without re-adding the foreign keys (which would check every row while holding off
    signing and writing); going back builds them again."""
    tables = {table for table, _ in covered}
    executor = MigrationExecutor(connection)
    executor.migrate([("advocacy", before)])
    for table, column in covered:
        assert column in _single_column_indexes(table)
    keys_before = {table: _foreign_keys(table) for table in tables}

    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    executor = MigrationExecutor(connection)
    with connection.execute_wrapper(record):
        executor.migrate(executor.loader.graph.leaf_nodes())

    for table, column in covered:
        assert column not in _single_column_indexes(table)
    assert {table: _foreign_keys(table) for table in tables} == keys_before
    schema = [s for s in statements if s.lstrip().upper().startswith(("ALTER", "DROP", "CREATE"))]
    assert schema and all(s.startswith("DROP INDEX CONCURRENTLY IF EXISTS") for s in schema)
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, wider[0])
    assert wider[1] in [c["columns"] for c in constraints.values()]
