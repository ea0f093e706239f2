"""Letters to MEPs through the services: drafting, requesting, confirming, pacing, test mode,
copies, cancelling, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advocacy.letters import (
    CONFIRM_PURPOSE,
    CampaignNotLiveError,
    ConsentRequiredError,
    CountryUnknownError,
    LetterInvalidError,
    LetterLockedError,
    MepNotTargetedError,
    letter_counts_by_mep,
    letter_preview,
    letter_request_confirm,
    letter_request_create,
    letter_targets_list,
    letters_cancel_for_mep,
)
from advocacy.models import (
    EmailKind,
    Letter,
    LetterRequest,
    LetterRequestStatus,
    LetterStatus,
    OutboundEmail,
    OutboundEmailStatus,
)
from advocacy.supporters import SupporterInvalidError
from advocacy.tokens import TokenExpiredError, token_make
from campaign.models import Campaign, CampaignStatus, Gender
from tests.factories import (
    BodyFactory,
    BodyMembershipFactory,
    CampaignFactory,
    LetterTemplateFactory,
    MandateFactory,
    MepFactory,
    RollCallFactory,
    RollCallVoteFactory,
)

BODY = (
    "{{ mep.salutation }},\n\n"
    '{% if mep.vote == "for" %}Thank you for voting for the resolution on '
    '{{ resolution.date }}.{% elif mep.vote == "against" %}You voted against the resolution.'
    "{% else %}You did not vote on the resolution.{% endif %}\n\n"
    "Please act on {{ campaign.title }}.\n\n"
    "Yours sincerely,\n{{ supporter.full_name }}"
)


@pytest.fixture
def world(db):
    campaign = CampaignFactory(call__resolution__procedure_reference="2022/2505(RSP)")
    template = LetterTemplateFactory(
        campaign=campaign,
        subject="About {{ campaign.title }}",
        body=BODY,
        targeting={"supporter_country": True},
    )
    roll_call = RollCallFactory()
    dcas = BodyFactory(code="DCAS", name="Delegation for Central Asia")
    anna = MepFactory(first_name="Anna", last_name="FÜR", gender=Gender.FEMALE, ep_id=1001)
    bernd = MepFactory(first_name="Bernd", last_name="GEGEN", gender=Gender.MALE, ep_id=1002)
    nomail = MepFactory(first_name="Nora", last_name="OHNE", email="", ep_id=1003)
    austrian = MepFactory(country_code="AT", ep_id=1004)
    MepFactory(in_office=False, ep_id=1005)  # not sitting: never targeted
    for mep in (anna, bernd, nomail, austrian):
        MandateFactory(mep=mep)
    RollCallVoteFactory(roll_call=roll_call, mep=anna, position="for")
    RollCallVoteFactory(roll_call=roll_call, mep=bernd, position="against")
    BodyMembershipFactory(mep=anna, body=dcas, role="chair")

    class World:
        pass

    w = World()
    w.campaign, w.template, w.anna, w.bernd, w.nomail, w.austrian = (
        campaign,
        template,
        anna,
        bernd,
        nomail,
        austrian,
    )
    return w


def _write(world, *, email="ana@example.net", mep_ids=(1001, 1002, 1003), **kw):
    fields = {
        "campaign": world.campaign,
        "email": email,
        "first_name": "Ana",
        "last_name": "Supporter",
        "country": "DE",
        "city": "Graz",
        "mep_ids": list(mep_ids),
        "consent": True,
    }
    fields.update(kw)
    return letter_request_create(**fields)


def _confirm(request_id: int):
    return letter_request_confirm(token=token_make(purpose=CONFIRM_PURPOSE, object_id=request_id))


# --- Reading --------------------------------------------------------------------------------


def test_the_targets_of_a_country_show_vote_and_roles(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        targets = letter_targets_list(campaign=world.campaign, country="de")
    by_id = {t.mep.ep_id: t for t in targets}
    assert sorted(by_id) == [1001, 1002, 1003]
    assert by_id[1001].vote == "for" and by_id[1002].vote == "against"
    assert by_id[1003].vote == "did_not_vote"
    assert by_id[1001].full_name == "Anna Für"


def test_an_unknown_country_is_refused(world):
    with pytest.raises(CountryUnknownError):
        letter_targets_list(campaign=world.campaign, country="XX")


def test_the_preview_personalises_each_letter_by_vote_and_salutation(world):
    drafts = letter_preview(
        campaign=world.campaign,
        country="DE",
        mep_ids=[1001, 1002, 1003],
        first_name="Ana",
        last_name="Supporter",
        city="Graz",
    )
    anna, bernd, nora = drafts
    assert anna.body.startswith("Dear Ms Für,\n\n")
    assert "Thank you for voting for the resolution" in anna.body
    assert bernd.body.startswith("Dear Mr Gegen,\n\n")
    assert "You voted against the resolution." in bernd.body
    assert "You did not vote" in nora.body and nora.skip_reason
    assert anna.subject == f"About {world.campaign.title}"
    assert "Ana Supporter" in anna.body and "Graz" in anna.body


# --- Writing --------------------------------------------------------------------------------


def test_writing_stores_letters_awaiting_confirmation_and_queues_one_confirmation(world):
    result = _write(world)

    assert result.created == 3
    assert set(Letter.objects.values_list("status", flat=True)) == {
        LetterStatus.AWAITING_CONFIRMATION
    }
    [mail] = OutboundEmail.objects.all()
    assert mail.kind == EmailKind.LETTER_CONFIRMATION
    assert mail.recipient == "ana@example.net"
    assert "/letters/confirm/" in mail.body_text
    assert result.request.consent.purpose == "letter"


def test_writing_again_changes_nothing(world):
    first = _write(world)
    again = _write(world)

    assert again.created == 0
    assert Letter.objects.count() == 3
    assert LetterRequest.objects.count() == 1
    assert again.request.pk == first.request.pk
    # Within the cool-down the confirmation is not sent a second time either.
    assert OutboundEmail.objects.count() == 1


def test_a_pending_request_is_reminded_once_the_cool_down_has_passed(world, settings):
    settings.LETTER_CONFIRMATION_RESEND_COOLDOWN_SECONDS = 600
    first = _write(world)
    request = LetterRequest.objects.get(pk=first.request.pk)
    # A new request carries the time its confirmation mail was queued, without a second write.
    assert request.confirmation_sent_at is not None
    assert abs(request.confirmation_sent_at - timezone.now()) < timedelta(minutes=1)

    LetterRequest.objects.filter(pk=request.pk).update(
        confirmation_sent_at=timezone.now() - timedelta(seconds=601)
    )
    again = _write(world)
    assert again.confirmation_sent and again.created == 0
    assert OutboundEmail.objects.filter(kind=EmailKind.LETTER_CONFIRMATION).count() == 2
    restamped = LetterRequest.objects.get(pk=request.pk).confirmation_sent_at
    assert abs(restamped - timezone.now()) < timedelta(minutes=1)
    # …and then not again within the next cool-down.
    assert not _write(world).confirmation_sent
    assert OutboundEmail.objects.filter(kind=EmailKind.LETTER_CONFIRMATION).count() == 2


def test_letters_to_one_mep_from_different_supporters_are_never_identical(world):
    for i in range(12):
        _write(world, email=f"s{i}@example.net", first_name="Sam", last_name="Same", city="")
    bodies = list(Letter.objects.filter(mep=world.anna).values_list("body", flat=True))
    assert len(bodies) == len(set(bodies)) == 12


def test_the_same_edited_text_from_two_supporters_is_signed_the_second_time(world):
    text = dict.fromkeys((1001, 1002, 1003), "Dear MEP,\n\nRelease the prisoners.\n")
    first = _write(world, bodies=text)
    with CaptureQueriesContext(connection) as to_one:
        _write(world, email="cy@example.net", mep_ids=[1001], bodies={1001: text[1001]})
    with CaptureQueriesContext(connection) as to_three:
        second = _write(world, email="bo@example.net", first_name="Bo", bodies=text)

    # Checking the texts against the table is one query, however many MEPs.
    assert len(to_three) == len(to_one)

    assert {letter.body for letter in first.letters} == {text[1001]}
    assert {letter.body for letter in second.letters} == {
        "Dear MEP,\n\nRelease the prisoners.\n\n(Bo Supporter, bo@example.net)\n"
    }


def test_fresh_texts_are_written_without_looking_up_the_letters_already_there(world):
    _write(world)
    with CaptureQueriesContext(connection) as queries:
        _write(world, email="bo@example.net", first_name="Bo")

    lookups = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT") and '"advocacy_letter"."body"' in q["sql"]
    ]
    assert lookups == []


def test_the_database_refuses_a_second_identical_text_to_one_mep_but_not_erased_ones(world):
    [letter, *_] = _write(world).letters
    twin = {
        "campaign": letter.campaign,
        "mep": letter.mep,
        "request": letter.request,
        "subject": letter.subject,
    }
    other = _write(world, email="bo@example.net", mep_ids=[1002]).request.supporter

    with pytest.raises(IntegrityError), transaction.atomic():
        Letter.objects.create(supporter=other, body=letter.body, **twin)
    Letter.objects.filter(pk=letter.pk).update(body="")  # erased
    Letter.objects.create(supporter=other, body="", **twin)


def test_the_supporter_may_edit_a_letter_unless_it_is_locked(world):
    result = _write(world, mep_ids=[1001], bodies={1001: "Dear Ms Für,\r\n\r\nMy own words."})
    assert result.letters[0].body == "Dear Ms Für,\n\nMy own words.\n"

    world.template.locked = True
    world.template.save()
    with pytest.raises(LetterLockedError):
        _write(world, email="other@example.net", mep_ids=[1002], bodies={1002: "Changed."})


@pytest.mark.parametrize(
    ("overrides", "error", "field"),
    [
        ({"country": "XX"}, CountryUnknownError, "country"),
        ({"first_name": "Ana\r\nBcc: x@example.org"}, SupporterInvalidError, "first_name"),
        ({"last_name": "Evil\nName"}, SupporterInvalidError, "last_name"),
        ({"email": "not-an-address"}, SupporterInvalidError, "email"),
        ({"consent": False}, ConsentRequiredError, "consent"),
        ({"mep_ids": []}, LetterInvalidError, "mep_ids"),
        ({"mep_ids": [1004]}, MepNotTargetedError, "mep_ids"),  # an Austrian MEP
        ({"mep_ids": [1005]}, MepNotTargetedError, "mep_ids"),  # not in office
        ({"bodies": {1001: "x" * 5001}}, LetterInvalidError, "letters"),
        ({"bodies": {1001: "binary \x00\x01 body"}}, LetterInvalidError, "letters"),
        ({"bodies": {1001: "   "}}, LetterInvalidError, "letters"),
        ({"personal_note": "y" * 1001}, LetterInvalidError, "personal_note"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_is_stored(
    world, overrides, error, field
):
    with pytest.raises(error) as caught:
        _write(world, **overrides)
    assert field in caught.value.fields
    assert Letter.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


# --- Confirming and delivering --------------------------------------------------------------


def test_confirming_queues_letters_to_the_test_address_by_default(world):
    result = _write(world, first_name="Zoë", last_name="Müller")
    _confirm(result.request.pk)

    letters = {x.mep.ep_id: x for x in Letter.objects.select_related("outbound_email", "mep")}
    assert letters[1001].status == LetterStatus.QUEUED
    mail = letters[1001].outbound_email
    organisation = world.campaign.organisation
    assert mail.recipient == organisation.test_address
    assert mail.subject == f"[TEST] About {world.campaign.title}"
    assert organisation.sending_address in mail.sender
    assert "ana@example.net" in mail.reply_to
    assert mail.body_text == letters[1001].body
    # Who it would have reached, for the organisation to see (never in a live letter).
    assert mail.headers == {"X-Resolute-Test-Recipient": letters[1001].mep.email}
    # No address: skipped with a visible reason, nothing queued for it.
    assert letters[1003].status == LetterStatus.SKIPPED
    assert "no published e-mail" in letters[1003].status_reason
    assert letters[1003].outbound_email is None


@pytest.mark.parametrize(
    ("allowed", "campaign_live", "to_mep"),
    [(False, False, False), (False, True, False), (True, False, False), (True, True, True)],
)
def test_letters_reach_meps_only_when_deployment_and_campaign_both_allow_it(
    world, settings, allowed, campaign_live, to_mep
):
    settings.LETTERS_LIVE_DELIVERY_ALLOWED = allowed
    world.campaign.live_delivery = campaign_live
    world.campaign.save()
    result = _write(world, mep_ids=[1001])
    _confirm(result.request.pk)

    mail = Letter.objects.get().outbound_email
    assert (mail.recipient == world.anna.email) is to_mep
    assert mail.subject.startswith("[TEST] ") is not to_mep
    assert ("X-Resolute-Test-Recipient" in mail.headers) is not to_mep


def test_confirming_twice_queues_nothing_more(world):
    result = _write(world)
    _confirm(result.request.pk)
    count = OutboundEmail.objects.count()
    _confirm(result.request.pk)
    assert OutboundEmail.objects.count() == count


@pytest.mark.parametrize(
    ("status", "says"), [(CampaignStatus.CLOSED, "has ended"), (CampaignStatus.PAUSED, "paused")]
)
def test_letters_written_before_the_campaign_stopped_are_not_sent(world, status, says):
    result = _write(world)
    queued = OutboundEmail.objects.count()
    Campaign.objects.filter(pk=world.campaign.pk).update(status=status)

    with pytest.raises(CampaignNotLiveError, match=says):
        _confirm(result.request.pk)

    assert OutboundEmail.objects.count() == queued
    assert set(Letter.objects.values_list("status", flat=True)) == {"awaiting_confirmation"}
    Campaign.objects.filter(pk=world.campaign.pk).update(status=CampaignStatus.LIVE)
    _confirm(result.request.pk)  # live again: the same link works
    assert OutboundEmail.objects.count() > queued


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks")
def test_confirming_locks_the_request_not_its_campaign_or_organisation(world):
    result = _write(world)
    with CaptureQueriesContext(connection) as queries:
        _confirm(result.request.pk)

    locks = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    request_lock = next(sql for sql in locks if 'FROM "advocacy_letterrequest" r' in sql)
    assert request_lock.endswith("FOR UPDATE OF r")  # r: the request, not the joined rows


def test_the_confirmation_loads_what_the_orm_would_without_compiling_a_query(
    world, monkeypatch, settings
):
    """The request, its campaign, organisation and supporter from the confirmation's own
    statement are the ORM's, field for field; and confirming compiles no SELECT of them."""
    from django.db.models.sql.compiler import SQLCompiler, SQLUpdateCompiler

    from advocacy.letters import _request_for_confirmation

    result = _write(world)
    with transaction.atomic():
        ours = _request_for_confirmation(result.request.pk)
    theirs = LetterRequest.objects.select_related("campaign__organisation", "supporter").get(
        pk=result.request.pk
    )
    assert ours is not None

    def fields(instance):
        return {
            f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields
        }

    for mine, orm in [
        (ours, theirs),
        (ours.campaign, theirs.campaign),
        (ours.campaign.organisation, theirs.campaign.organisation),
        (ours.supporter, theirs.supporter),
    ]:
        assert fields(mine) == fields(orm)

    settings.LETTERS_PER_MEP_PER_HOUR = 0  # pacing off: its slots are the ORM's queries
    compiled = []
    for compiler in (SQLCompiler, SQLUpdateCompiler):

        def spy(self, *args, _real=compiler.as_sql, **kwargs):
            compiled.append((type(self).__name__, self.query.model))
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(compiler, "as_sql", spy)
    request = _confirm(result.request.pk)
    monkeypatch.undo()

    assert request.status == LetterRequestStatus.CONFIRMED
    assert LetterRequest.objects.get(pk=result.request.pk).confirmed_at == request.confirmed_at
    # Neither the request's lock, its letters' list nor its "confirmed" mark was compiled
    # (the letter to the MEP without an address is still marked skipped through the ORM).
    assert not [model for _, model in compiled if model is LetterRequest]
    if connection.vendor == "postgresql":  # elsewhere the queue reads the letters' texts
        assert not [model for kind, model in compiled if kind == "SQLCompiler"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one data-modifying statement")
@pytest.mark.parametrize("live", [False, True])
def test_confirming_queues_the_letters_without_their_texts_leaving_the_database(
    world, settings, live
):
    settings.LETTERS_LIVE_DELIVERY_ALLOWED = live
    world.campaign.live_delivery = live
    world.campaign.save()
    result = _write(world, mep_ids=[1001, 1002, 1003])
    with CaptureQueriesContext(connection) as queries:
        _confirm(result.request.pk)

    # The texts are read by no SELECT, and one statement writes the outbox rows and marks
    # the letters queued (the MEP without an address is marked skipped by another).
    assert not [q for q in queries if '"advocacy_letter"."body"' in q["sql"]]
    writes = [q["sql"] for q in queries if 'INSERT INTO "advocacy_outboundemail"' in q["sql"]]
    assert len(writes) == 1 and 'UPDATE "advocacy_letter"' in writes[0]
    letters = {
        x.mep.ep_id: x
        for x in Letter.objects.filter(request=result.request).select_related(
            "mep", "outbound_email"
        )
    }
    assert letters[1003].status == LetterStatus.SKIPPED
    sender = f"Ana Supporter <{world.campaign.organisation.sending_address}>"
    for ep_id in (1001, 1002):
        letter = letters[ep_id]
        mail = letter.outbound_email
        assert letter.status == LetterStatus.QUEUED and letter.status_reason == ""
        assert mail.kind == EmailKind.LETTER and mail.status == "queued"
        assert mail.body_text == letter.body and mail.body_html == ""
        assert letter.scheduled_for == mail.not_before
        assert mail.campaign_id == world.campaign.pk
        assert (mail.sender, mail.reply_to) == (sender, "Ana Supporter <ana@example.net>")
        if live:
            assert (mail.recipient, mail.subject, mail.headers) == (
                letter.mep.email,
                letter.subject,
                {},
            )
        else:
            assert mail.recipient == world.campaign.organisation.test_address
            assert mail.subject == f"[TEST] {letter.subject}"
            assert mail.headers == {"X-Resolute-Test-Recipient": letter.mep.email}
    assert letters[1001].body != letters[1002].body
    assert len({letters[e].outbound_email.message_id for e in (1001, 1002)}) == 2


def test_where_the_one_statement_cannot_run_the_letters_are_queued_all_the_same(world, monkeypatch):
    # Other databases than PostgreSQL, or an outbox column no array can carry: the rows go
    # through the outbox's general path and the letters are marked by a second statement.
    monkeypatch.setattr("advocacy.letters.rows_alike", lambda prototype, varying: None)
    result = _write(world, mep_ids=[1001, 1002, 1003])
    _confirm(result.request.pk)

    letters = {
        x.mep.ep_id: x
        for x in Letter.objects.filter(request=result.request).select_related(
            "mep", "outbound_email"
        )
    }
    assert letters[1003].status == LetterStatus.SKIPPED
    for ep_id in (1001, 1002):
        letter = letters[ep_id]
        assert letter.status == LetterStatus.QUEUED
        assert letter.outbound_email.body_text == letter.body
        assert letter.scheduled_for == letter.outbound_email.not_before
        assert letter.outbound_email.subject == f"[TEST] {letter.subject}"


def test_an_expired_link_confirms_nothing(world, settings):
    result = _write(world)
    settings.LETTER_CONFIRM_MAX_AGE_DAYS = -1
    with pytest.raises(TokenExpiredError):
        _confirm(result.request.pk)
    assert not Letter.objects.filter(status=LetterStatus.QUEUED).exists()


def test_the_copy_goes_to_the_supporter_once_with_unsubscribe_headers(world):
    result = _write(world, wants_copy=True)
    _confirm(result.request.pk)
    _confirm(result.request.pk)

    [copy] = OutboundEmail.objects.filter(kind=EmailKind.LETTER_COPY)
    assert copy.recipient == "ana@example.net"
    assert "List-Unsubscribe" in copy.headers
    assert "Thank you for voting for the resolution" in copy.body_text


def test_letters_beyond_the_hourly_limit_per_mep_are_scheduled_later_not_dropped(world, settings):
    settings.LETTERS_PER_MEP_PER_HOUR = 2
    started = timezone.now()
    for i in range(5):
        result = _write(world, email=f"p{i}@example.net", mep_ids=[1001])
        _confirm(result.request.pk)

    slots = sorted(
        OutboundEmail.objects.filter(kind=EmailKind.LETTER).values_list("not_before", flat=True)
    )
    assert len(slots) == 5
    hour = timedelta(hours=1)
    assert all(s < started + timedelta(minutes=1) for s in slots[:2])
    assert all(started + hour <= s < started + hour + timedelta(minutes=1) for s in slots[2:4])
    assert slots[4] >= started + 2 * hour
    # No window of one hour holds more than two.
    assert all(slots[i + 2] - slots[i] >= hour for i in range(3))


def test_each_letter_records_its_slot_and_cancelled_letters_free_theirs(world, settings):
    settings.LETTERS_PER_MEP_PER_HOUR = 2
    for i in range(2):
        _confirm(_write(world, email=f"c{i}@example.net", mep_ids=[1001]).request.pk)
    letters = Letter.objects.filter(status=LetterStatus.QUEUED).select_related("outbound_email")
    assert all(letter.scheduled_for == letter.outbound_email.not_before for letter in letters)

    # Both slots of this hour are taken: the next letter waits an hour…
    _confirm(_write(world, email="c2@example.net", mep_ids=[1001]).request.pk)
    third = Letter.objects.get(supporter__email="c2@example.net")
    assert third.scheduled_for >= timezone.now() + timedelta(minutes=59)
    # …unless letters are cancelled: a cancelled letter no longer holds its slot.
    Letter.objects.filter(pk__in=[x.pk for x in letters]).update(status=LetterStatus.CANCELLED)
    Letter.objects.filter(pk=third.pk).update(status=LetterStatus.CANCELLED)
    _confirm(_write(world, email="c3@example.net", mep_ids=[1001]).request.pk)
    fourth = Letter.objects.get(supporter__email="c3@example.net")
    assert fourth.scheduled_for <= timezone.now()


def test_pacing_set_to_zero_lets_every_letter_leave_now(world, settings):
    settings.LETTERS_PER_MEP_PER_HOUR = 0
    for i in range(5):
        result = _write(world, email=f"z{i}@example.net", mep_ids=[1001])
        _confirm(result.request.pk)
    now = timezone.now()
    slots = OutboundEmail.objects.filter(kind=EmailKind.LETTER).values_list("not_before", flat=True)
    assert len(slots) == 5 and all(s <= now for s in slots)


@pytest.mark.parametrize("limit", [0, 2])
def test_the_mep_rows_are_locked_only_when_there_are_slots_to_hand_out(world, settings, limit):
    settings.LETTERS_PER_MEP_PER_HOUR = limit
    result = _write(world, mep_ids=[1001, 1002])
    with CaptureQueriesContext(connection) as queries:
        _confirm(result.request.pk)

    mep_table = '"campaign_mep"'
    locks = [q["sql"] for q in queries if mep_table in q["sql"] and "FOR UPDATE" in q["sql"]]
    assert len(locks) == (1 if limit else 0) or connection.vendor != "postgresql"
    assert Letter.objects.filter(request=result.request, status=LetterStatus.QUEUED).count() == 2


def test_the_hourly_limit_is_per_mep(world, settings):
    settings.LETTERS_PER_MEP_PER_HOUR = 1
    result = _write(world, mep_ids=[1001, 1002])
    _confirm(result.request.pk)
    now = timezone.now()
    assert all(
        s <= now
        for s in OutboundEmail.objects.filter(kind=EmailKind.LETTER).values_list(
            "not_before", flat=True
        )
    )


# --- Organiser: counts and cancel -----------------------------------------------------------


def test_confirming_letters_that_were_all_cancelled_meanwhile_queues_nothing(world):
    result = _write(world, mep_ids=[1001, 1002])
    letters_cancel_for_mep(campaign=world.campaign, mep=world.anna)
    letters_cancel_for_mep(campaign=world.campaign, mep=world.bernd)

    _confirm(result.request.pk)

    assert LetterRequest.objects.get(pk=result.request.pk).status == "confirmed"
    assert set(Letter.objects.values_list("status", flat=True)) == {LetterStatus.CANCELLED}
    assert not OutboundEmail.objects.filter(kind=EmailKind.LETTER).exists()


def test_cancelling_one_mep_stops_its_queued_and_unconfirmed_letters_only(world):
    confirmed = _write(world, email="a@example.net", mep_ids=[1001, 1002])
    _confirm(confirmed.request.pk)
    _write(world, email="b@example.net", mep_ids=[1001])  # still awaiting confirmation
    sent = _write(world, email="c@example.net", mep_ids=[1001])
    _confirm(sent.request.pk)
    sent_letter = Letter.objects.get(request=sent.request)
    OutboundEmail.objects.filter(pk=sent_letter.outbound_email_id).update(
        status=OutboundEmailStatus.SENT
    )
    Letter.objects.filter(pk=sent_letter.pk).update(status=LetterStatus.SENT)

    cancelled = letters_cancel_for_mep(campaign=world.campaign, mep=world.anna)

    assert cancelled == 2
    statuses = dict(Letter.objects.filter(mep=world.anna).values_list("supporter__email", "status"))
    assert statuses == {
        "a@example.net": LetterStatus.CANCELLED,
        "b@example.net": LetterStatus.CANCELLED,
        "c@example.net": LetterStatus.SENT,
    }
    assert Letter.objects.get(mep=world.bernd).status == LetterStatus.QUEUED
    assert OutboundEmail.objects.filter(status=OutboundEmailStatus.CANCELLED).count() == 1


def test_counts_per_mep_show_each_status(world):
    result = _write(world)
    _confirm(result.request.pk)
    counts = {row["mep_id"]: row for row in letter_counts_by_mep(campaign=world.campaign)}
    assert counts[world.anna.pk]["queued"] == 1
    assert counts[world.nomail.pk]["skipped"] == 1
