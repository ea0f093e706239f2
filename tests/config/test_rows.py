"""config.rows.rows_insert writes what bulk_create writes, without compiling a query."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advocacy.models import OutboundEmail
from advocacy.outbox import outbound_email_build
from config.rows import rows_insert
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

# What differs between two rows built alike: their keys and their own ids and clocks.
_OWN = {"id", "message_id", "created_at"}


def _build(organisation, subject="Please confirm", headers=None, **extra):
    return outbound_email_build(
        kind="signature_confirmation",
        recipient="ana@example.org",
        sender="Campaigners <campaigns@example.org>",
        subject=subject,
        body_text="Dear Ana,\n\nplease confirm: https://example.org/confirm/abc/\n",
        headers={"List-Unsubscribe": "<https://example.org/u/1/>"} if headers is None else headers,
        organisation=organisation,
        **extra,
    )


def _stored(pk):
    row = OutboundEmail.objects.filter(pk=pk).values().get()
    return {key: value for key, value in row.items() if key not in _OWN}


def test_the_row_is_the_one_bulk_create_writes():
    organisation = OrganisationFactory()
    due = timezone.now()
    ours = _build(organisation, not_before=due)
    theirs = _build(organisation, not_before=due)

    rows_insert([ours])
    OutboundEmail.objects.bulk_create([theirs])

    assert ours.pk is not None and not ours._state.adding and ours._state.db == "default"
    assert _stored(ours.pk) == _stored(theirs.pk)
    stored = OutboundEmail.objects.get(pk=ours.pk)
    assert stored.message_id == ours.message_id
    assert abs(stored.created_at - timezone.now()) < timedelta(minutes=1)  # auto_now_add
    assert stored.created_at == ours.created_at
    # JSON is stored as JSON, not as a string holding JSON.
    assert OutboundEmail.objects.filter(pk=ours.pk, headers__has_key="List-Unsubscribe").exists()


def test_many_rows_are_one_statement_and_each_gets_its_own_key():
    organisation = OrganisationFactory()
    emails = [_build(organisation, subject=f"Mail {n}") for n in range(5)]

    with CaptureQueriesContext(connection) as queries:
        rows_insert(emails)

    assert len(queries) == (1 if connection.vendor == "postgresql" else len(queries))
    assert len({email.pk for email in emails}) == 5
    for n, email in enumerate(emails):
        assert OutboundEmail.objects.get(pk=email.pk).subject == f"Mail {n}"


def test_a_row_with_its_own_key_and_nothing_at_all_are_left_to_the_orm():
    organisation = OrganisationFactory()
    email = _build(organisation)
    email.pk = 987_654

    rows_insert([email])

    assert OutboundEmail.objects.get(pk=987_654).subject == "Please confirm"
    assert rows_insert([]) == []


def test_several_rows_go_in_as_arrays_and_are_the_rows_bulk_create_writes():
    """Several rows: one array per column. Mixed JSON (empty and not), a foreign key set and
    unset, an empty and a set reply-to, and text with quotes, braces and commas — what an
    array literal must escape — come out as bulk_create stores them, in the given order."""
    from tests.factories import CampaignFactory

    organisation = OrganisationFactory()
    campaign = CampaignFactory(organisation=organisation)
    due = timezone.now()
    tricky = 'Quote " brace { } comma , backslash \\ NULL null'

    def batch():
        return [
            _build(organisation, subject="First", not_before=due, campaign=campaign),
            _build(organisation, subject=tricky, not_before=due, reply_to="Ana <ana@example.org>"),
            _build(organisation, subject="NULL", not_before=due, headers={}),
        ]

    ours, theirs = batch(), batch()
    sent: list[str] = []

    def record(execute, sql, params, many, context):  # the statement as the cursor gets it
        sent.append(sql)
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(record):
        rows_insert(ours)
    OutboundEmail.objects.bulk_create(theirs)

    if connection.vendor == "postgresql":
        assert len(queries) == 1 and "unnest(" in queries[0]["sql"]
        # Sent apart from the statement, in binary (`%b`, config/postgresql's binding cursor).
        assert len(sent) == 1 and "unnest(%b::" in sent[0]
    for mine, bulk in zip(ours, theirs, strict=True):
        assert _stored(mine.pk) == _stored(bulk.pk)
    assert [OutboundEmail.objects.get(pk=e.pk).subject for e in ours] == ["First", tricky, "NULL"]
    assert OutboundEmail.objects.get(pk=ours[2].pk).headers == {}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the array statement is PostgreSQL's")
def test_the_statement_is_the_same_text_for_any_number_of_rows():
    organisation = OrganisationFactory()
    texts = set()
    for count in (2, 7, 20):
        with CaptureQueriesContext(connection) as queries:
            rows_insert([_build(organisation, subject=f"Mail {n}") for n in range(count)])
        # The parameters differ; the text PostgreSQL and psycopg parse does not.
        texts.add(queries[0]["sql"].split(" SELECT * FROM unnest(")[0])
    assert len(texts) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the array statement is PostgreSQL's")
def test_a_value_too_long_for_its_column_is_refused_not_cut():
    from django.db import DataError, transaction

    organisation = OrganisationFactory()
    emails = [_build(organisation), _build(organisation, subject="x" * 301)]  # max_length 300

    with pytest.raises(DataError), transaction.atomic():
        rows_insert(emails)
    assert not OutboundEmail.objects.filter(organisation=organisation).exists()


def test_an_expression_value_is_left_to_the_orm():
    from django.db.models.functions import Now

    organisation = OrganisationFactory()
    emails = [_build(organisation), _build(organisation)]
    emails[1].not_before = Now()

    rows_insert(emails)

    assert OutboundEmail.objects.filter(organisation=organisation).count() == 2


def test_text_values_skip_the_orm_only_where_the_orm_would_not_change_them():
    """Plain CharField/TextField columns with `str` values are sent as they are; anything
    else (another type in a text column, a field class that changes the value) still goes
    through the field's own methods."""
    from django.db import models
    from django.test.utils import isolate_apps

    from config.rows import _plain_text_attnames, insert_fields, insert_values

    with isolate_apps("advocacy"):

        class ShoutingField(models.CharField):
            def get_prep_value(self, value):
                return super().get_prep_value(value).upper()

        class Note(models.Model):
            title = models.CharField(max_length=20)
            text = models.TextField()
            address = models.EmailField()
            loud = ShoutingField(max_length=20)
            count = models.IntegerField(default=0)

            class Meta:
                app_label = "advocacy"

            def __str__(self) -> str:
                return self.title

        assert _plain_text_attnames(Note) == {"title", "text", "address"}
        note = Note(title=42, text="Zeile\nzwei", address="a@example.org", loud="hey", count=3)
        fields = insert_fields(Note)
        names = [field.attname for field in fields]
        values = dict(zip(names, insert_values(note, fields, connection), strict=True))
    assert values["title"] == "42"  # an int in a text column: str(), as the ORM does
    assert values["text"] == "Zeile\nzwei"
    assert values["loud"] == "HEY"  # the subclass's own get_prep_value ran
    assert int(values["count"]) == 3


@pytest.mark.parametrize("binding", [True, False], ids=["binary-arrays", "one-instance-each"])
def test_rows_inserted_alike_are_the_rows_inserted_one_by_one(binding, monkeypatch):
    """rows_insert_alike writes what building each row and rows_insert would, keys in order;
    without the binding cursor (another backend) it builds the instances itself."""
    from advocacy.outbox import new_message_id
    from config.postgresql.base import DatabaseWrapper
    from config.rows import rows_insert_alike

    if not binding:
        monkeypatch.delattr(DatabaseWrapper, "binding_cursor")
    organisation = OrganisationFactory()
    due = timezone.now()
    subjects = ["First", 'Quote " brace { } comma , backslash \\ NULL', "NULL"]
    bodies = ["One\n", "Zwei ü\n", ""]
    ids = [new_message_id() for _ in subjects]  # a unique column must vary
    mine = rows_insert_alike(
        _build(organisation, not_before=due),
        {"subject": subjects, "body_text": bodies, "message_id": ids},
    )
    theirs = [_build(organisation, subject=s, not_before=due) for s in subjects]
    for email, body in zip(theirs, bodies, strict=True):
        email.body_text = body
    rows_insert(theirs)

    assert len(mine) == 3
    for pk, email in zip(mine, theirs, strict=True):
        assert _stored(pk) == _stored(email.pk)
    assert [OutboundEmail.objects.get(pk=pk).subject for pk in mine] == subjects
    assert [OutboundEmail.objects.get(pk=pk).message_id for pk in mine] == ids


def test_rows_inserted_alike_refuse_what_cannot_vary():
    from config.rows import rows_insert_alike

    organisation = OrganisationFactory()
    email = _build(organisation)
    for name in ("id", "organisation", "created_at"):
        with pytest.raises(ValueError, match=name):
            rows_insert_alike(email, {name: [None]})
    with pytest.raises(ValueError, match="length"):
        rows_insert_alike(email, {"subject": ["a", "b"], "body_text": ["c"]})
    assert rows_insert_alike(email, {"subject": []}) == []
    assert not OutboundEmail.objects.filter(organisation=organisation).exists()


def test_an_expression_among_the_varying_values_is_left_to_the_orm():
    from django.db.models.functions import Now

    from advocacy.outbox import new_message_id
    from config.rows import rows_insert_alike

    organisation = OrganisationFactory()
    keys = rows_insert_alike(
        _build(organisation),
        {"not_before": [Now(), timezone.now()], "message_id": [new_message_id(), new_message_id()]},
    )

    assert len(keys) == 2
    assert OutboundEmail.objects.filter(pk__in=keys).count() == 2


def _fields(instance):
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_instances_from_a_hand_written_row_are_the_orms():
    """JSON parsed, times aware, NULLs and foreign keys as the ORM loads them, and instances
    marked as read from the database (saving one updates, not inserts)."""
    from campaign.models import Campaign, Organisation
    from config.rows import columns_sql, instances_from_row
    from tests.factories import CampaignFactory

    campaign = CampaignFactory(languages=["de", "fr"], call=None)
    Campaign.objects.filter(pk=campaign.pk).update(published_at=None)
    sql = (
        f"SELECT {columns_sql(Campaign, 'c')}, {columns_sql(Organisation, 'o')}"  # noqa: S608
        ' FROM "campaign_campaign" c JOIN "campaign_organisation" o'
        " ON o.id = c.organisation_id WHERE c.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk])
        row = cursor.fetchone()

    ours, organisation = instances_from_row(row, [Campaign, Organisation])

    orm = Campaign.objects.select_related("organisation").get(pk=campaign.pk)
    assert _fields(ours) == _fields(orm)
    assert _fields(organisation) == _fields(orm.organisation)
    assert ours.languages == ["de", "fr"] and ours.created_at.tzinfo is not None
    assert ours._state.adding is False and ours._state.db == "default"
    with pytest.raises(ValueError, match="columns"):
        instances_from_row(row, [Campaign])
