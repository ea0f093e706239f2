"""Signature services: signing, double opt-in, duplicates, races, retention."""

from __future__ import annotations

import collections
import re
import threading
from datetime import timedelta

import pytest
from django.core import signing
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advocacy.models import (
    Consent,
    ConsentPurpose,
    EmailKind,
    OutboundEmail,
    Signature,
    SignatureStatus,
    Supporter,
)
from advocacy.signatures import (
    PetitionClosedError,
    SignatureNotFoundError,
    confirmation_url,
    signature_confirm,
    signature_confirmation_resend,
    signature_create,
    signature_unconfirmed_purge,
)
from advocacy.supporters import SupporterInvalidError
from advocacy.tokens import TokenExpiredError, TokenInvalidError, token_make, token_read
from campaign.models import CampaignStatus
from tests.factories import PetitionFactory, SignatureFactory, SupporterFactory


def _sign(petition, email="ana@example.net", **overrides):
    fields = {
        "petition": petition,
        "email": email,
        "first_name": "Ana",
        "last_name": "Supporter",
        "country": "DE",
        "channel": "page",
        "source": {"utm_source": "newsletter", "referrer": "https://example.org/"},
    }
    fields.update(overrides)
    return signature_create(**fields)


def _tokens_masked(text: str) -> str:
    return re.sub(r"/(confirm|unsubscribe)/[^/\s>]+/", r"/\1/T/", text)


def _token(signature):
    return confirmation_url(signature_id=signature.pk).rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def petition(db):
    return PetitionFactory()


def test_signing_creates_a_pending_signature_with_its_consent_and_a_confirmation_mail(petition):
    result = _sign(petition, email="  Ana.Sign@Example.NET ")

    signature = result.signature
    assert result.created and result.confirmation_sent
    assert signature.status == SignatureStatus.PENDING
    assert signature.supporter.email == "Ana.Sign@example.net"
    assert signature.country == "DE"
    consent = signature.consent
    assert consent.purpose == ConsentPurpose.SIGNATURE
    assert consent.text == petition.consent_text
    assert consent.version == petition.consent_version
    assert consent.channel == "page"
    assert consent.source == {"utm_source": "newsletter", "referrer": "https://example.org/"}
    petition.refresh_from_db()
    assert petition.confirmed_count == 0

    [mail] = OutboundEmail.objects.all()
    assert mail.kind == EmailKind.SIGNATURE_CONFIRMATION
    assert mail.recipient == "Ana.Sign@example.net"
    assert petition.campaign.title in mail.subject
    assert "Dear Ana," in mail.body_text
    assert petition.campaign.title in mail.body_text
    assert confirmation_url(signature_id=signature.pk).split("/confirm/")[0] in mail.body_text
    assert "/confirm/" in mail.body_text and "/unsubscribe/" in mail.body_text
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.headers["List-Unsubscribe"].startswith("<http")
    assert petition.campaign.organisation.sending_address in mail.sender


def test_the_confirmation_mail_link_confirms_the_signature(petition):
    signature = _sign(petition).signature
    mail = OutboundEmail.objects.get()
    link = next(line for line in mail.body_text.splitlines() if "/confirm/" in line)
    token = link.rstrip("/").rsplit("/", 1)[1]

    confirmed = signature_confirm(token=token)

    assert confirmed.pk == signature.pk
    assert confirmed.status == SignatureStatus.CONFIRMED
    assert confirmed.confirmed_at is not None
    petition.refresh_from_db()
    assert petition.confirmed_count == 1


def test_confirming_twice_counts_once(petition):
    signature = _sign(petition).signature
    signature_confirm(token=_token(signature))
    signature_confirm(token=_token(signature))
    petition.refresh_from_db()
    assert petition.confirmed_count == 1


def test_signing_twice_keeps_one_signature_and_resends_only_after_the_cool_down(petition, settings):
    settings.SIGNATURE_CONFIRMATION_RESEND_COOLDOWN_SECONDS = 600
    first = _sign(petition, email="twice@example.net")
    second = _sign(petition, email="TWICE@example.NET".replace("TWICE", "twice"))

    assert not second.created and not second.confirmation_sent
    assert second.signature.pk == first.signature.pk
    assert Signature.objects.count() == 1
    assert Supporter.objects.count() == 1
    assert Consent.objects.count() == 1
    assert OutboundEmail.objects.count() == 1

    Signature.objects.update(confirmation_sent_at=timezone.now() - timedelta(seconds=601))
    third = _sign(petition, email="twice@example.net")
    assert third.confirmation_sent
    assert OutboundEmail.objects.count() == 2
    assert Signature.objects.count() == 1


def test_signing_again_after_confirming_sends_nothing(petition, settings):
    settings.SIGNATURE_CONFIRMATION_RESEND_COOLDOWN_SECONDS = 0
    signature = _sign(petition).signature
    signature_confirm(token=_token(signature))
    again = _sign(petition)
    assert not again.confirmation_sent
    assert OutboundEmail.objects.count() == 1


def test_signing_again_does_not_rename_the_supporter(petition):
    _sign(petition, first_name="Ana")
    _sign(petition, first_name="Mallory")
    assert Supporter.objects.get().first_name == "Ana"


def test_the_same_address_on_two_petitions_of_one_organisation_is_one_supporter(petition):
    other = PetitionFactory(campaign__organisation=petition.campaign.organisation)
    _sign(petition)
    _sign(other)
    assert Supporter.objects.count() == 1
    assert Signature.objects.count() == 2


def test_the_organisation_news_opt_in_is_a_separate_consent_given_on_confirmation(petition):
    result = _sign(petition, wants_organisation_news=True, source={"utm_source": "newsletter"})
    supporter = Supporter.objects.get(pk=result.signature.supporter_id)
    # Whoever typed the address has not shown it is theirs: nothing yet.
    assert not supporter.wants_organisation_news
    assert list(supporter.consents.values_list("purpose", flat=True)) == [ConsentPurpose.SIGNATURE]

    signature_confirm(token=_token(result.signature))

    supporter.refresh_from_db()
    assert supporter.wants_organisation_news
    news = supporter.consents.get(purpose=ConsentPurpose.ORGANISATION_NEWS)
    assert news.source == {"utm_source": "newsletter"} and news.channel == "page"


@pytest.mark.parametrize("first_time", [True, False], ids=["new address", "known address"])
def test_no_one_can_opt_another_persons_address_in_to_news(petition, first_time):
    if not first_time:
        known = _sign(petition, email="known@example.net")
        signature_confirm(token=_token(known.signature))
        petition = PetitionFactory(campaign__organisation=petition.campaign.organisation)
    address = "known@example.net" if not first_time else "someone@example.net"

    result = _sign(petition, email=address, wants_organisation_news=True)
    _sign(petition, email=address, wants_organisation_news=True)  # and again, pending

    assert result.signature.status == "pending"
    assert not Supporter.objects.get(email=address).wants_organisation_news
    assert not Consent.objects.filter(purpose=ConsentPurpose.ORGANISATION_NEWS).exists()


def test_a_news_tick_when_signing_again_is_not_taken(petition):
    # Whoever signs again may not own the address; its owner confirms what the first
    # signing's mail said (here: no news).
    first = _sign(petition)
    _sign(petition, wants_organisation_news=True)

    signature_confirm(token=_token(first.signature))

    assert not Supporter.objects.get().wants_organisation_news


def test_the_confirmation_mail_says_confirming_also_subscribes_to_news(petition):
    _sign(petition, email="news@example.net", wants_organisation_news=True)
    _sign(petition, email="plain@example.net")

    news, plain = (
        OutboundEmail.objects.get(recipient=address).body_text
        for address in ("news@example.net", "plain@example.net")
    )
    assert "You also asked to hear from" in news and "confirming agrees to that too" in news
    assert "hear from" not in plain


def test_unsubscribing_before_confirming_is_not_undone_by_the_confirmation(petition):
    from advocacy.supporters import supporter_unsubscribe

    result = _sign(petition, wants_organisation_news=True)
    supporter_unsubscribe(supporter_id=result.signature.supporter_id)

    signature_confirm(token=_token(result.signature))

    assert not Supporter.objects.get().wants_organisation_news
    assert not Consent.objects.filter(purpose=ConsentPurpose.ORGANISATION_NEWS).exists()


def test_a_paused_campaign_refuses_signatures(petition):
    petition.campaign.status = CampaignStatus.PAUSED
    petition.campaign.save()
    with pytest.raises(PetitionClosedError):
        _sign(petition)
    assert Signature.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", "a" * 250 + "@example.net"),
        ("first_name", ""),
        ("first_name", "x" * 101),
        ("first_name", "Ana\r\nBcc: victim@example.org"),
        ("last_name", "<script>alert(1)</script>"),
        ("last_name", "Null\x00byte"),
        ("country", "XX"),
        ("postcode", "123\n45"),
        ("postcode", "1" * 17),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_is_written(petition, field, value):
    with pytest.raises(SupporterInvalidError) as excinfo:
        _sign(petition, **{field: value})
    assert field in excinfo.value.fields
    assert Supporter.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_a_disposable_address_is_refused(petition):
    from advocacy.disposable import EmailDisposableError

    with pytest.raises(EmailDisposableError):
        _sign(petition, email="someone@mail.yopmail.com")
    assert Signature.objects.count() == 0


def test_the_disposable_check_is_pluggable(petition, settings):
    settings.DISPOSABLE_EMAIL_CHECKER = "tests.advocacy.test_signatures.refuse_example_net"
    from advocacy.disposable import EmailDisposableError

    with pytest.raises(EmailDisposableError):
        _sign(petition, email="ana@example.net")
    _sign(petition, email="ana@example.org")


def refuse_example_net(domain: str) -> bool:
    return domain == "example.net"


def test_an_expired_token_is_refused_and_can_be_exchanged_for_a_new_link(petition, settings):
    settings.SIGNATURE_CONFIRMATION_RESEND_COOLDOWN_SECONDS = 0
    signature = _sign(petition).signature
    token = _token(signature)
    settings.SIGNATURE_CONFIRM_MAX_AGE_DAYS = 7
    later = timezone.now() + timedelta(days=8)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(signing.time, "time", lambda: later.timestamp())
        with pytest.raises(TokenExpiredError):
            signature_confirm(token=token)
        signature_confirmation_resend(token=token)

    assert OutboundEmail.objects.count() == 2
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.PENDING


@pytest.mark.parametrize(
    "token_of",
    [
        lambda s: _token(s)[:-2] + "xx",  # tampered signature
        lambda s: token_make(purpose="unsubscribe", object_id=s.pk),  # another purpose
        lambda s: "garbage",
    ],
)
def test_a_forged_token_is_refused(petition, token_of):
    signature = _sign(petition).signature
    with pytest.raises(TokenInvalidError):
        signature_confirm(token=token_of(signature))
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.PENDING


def test_a_token_for_a_deleted_signature_says_so(petition):
    signature = _sign(petition).signature
    token = _token(signature)
    Signature.objects.all().delete()
    with pytest.raises(SignatureNotFoundError):
        signature_confirm(token=token)


def test_unconfirmed_signatures_past_retention_are_deleted_with_their_personal_data(
    petition, settings
):
    settings.SIGNATURE_UNCONFIRMED_RETENTION_DAYS = 14
    old = _sign(petition, email="old@example.net").signature
    fresh = _sign(petition, email="fresh@example.net").signature
    confirmed = _sign(petition, email="confirmed@example.net").signature
    signature_confirm(token=_token(confirmed))
    Signature.objects.filter(pk__in=[old.pk, confirmed.pk]).update(
        created_at=timezone.now() - timedelta(days=15)
    )

    deleted = signature_unconfirmed_purge()

    assert deleted == 1
    assert set(Signature.objects.values_list("pk", flat=True)) == {fresh.pk, confirmed.pk}
    assert not Supporter.objects.filter(email="old@example.net").exists()
    assert Supporter.objects.filter(email="confirmed@example.net").exists()
    assert Consent.objects.count() == 2


def test_the_purge_keeps_a_supporter_who_signed_something_else(petition):
    other = SignatureFactory(
        petition__campaign__organisation=petition.campaign.organisation, status="confirmed"
    )
    SignatureFactory(
        petition=petition,
        supporter=other.supporter,
        consent__supporter=other.supporter,
    )
    Signature.objects.filter(status="pending").update(
        created_at=timezone.now() - timedelta(days=30)
    )
    assert signature_unconfirmed_purge() == 1
    assert Supporter.objects.filter(pk=other.supporter_id).exists()


def test_the_purge_task_is_registered_with_beat(settings):
    from config.celery import app

    app.finalize(auto=True)
    schedule = app.conf.beat_schedule
    assert schedule["signature-unconfirmed-purge"]["task"] == (
        "advocacy.tasks.signature_unconfirmed_purge_task"
    )


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_signings_with_one_address_make_one_signature():
    petition = PetitionFactory()
    SupporterFactory(organisation=petition.campaign.organisation, email="race@example.net")
    barrier = threading.Barrier(4)
    results, errors = [], []

    def sign():
        try:
            barrier.wait()
            results.append(_sign(petition, email="race@example.net"))
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(result.created for result in results) == 1
    assert Signature.objects.count() == 1
    assert OutboundEmail.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_first_signings_make_one_supporter():
    petition = PetitionFactory()
    barrier = threading.Barrier(4)
    errors = []

    def sign():
        try:
            barrier.wait()
            _sign(petition, email="newrace@example.net")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Supporter.objects.count() == 1
    assert Signature.objects.count() == 1


def test_the_purge_command_deletes_old_pending_signatures(petition):
    from django.core.management import call_command

    SignatureFactory(petition=petition)
    Signature.objects.update(created_at=timezone.now() - timedelta(days=3))
    call_command("purge_unconfirmed_signatures", "--days", "2")
    assert Signature.objects.count() == 0


def test_the_purge_task_calls_the_service(petition):
    from advocacy.tasks import signature_unconfirmed_purge_task

    SignatureFactory(petition=petition)
    Signature.objects.update(created_at=timezone.now() - timedelta(days=30))
    assert signature_unconfirmed_purge_task() == 1


def _stored(signature):
    """What the database holds for a signature and its consent, minus ids and times."""
    row = Signature.objects.filter(pk=signature.pk).values(
        "status", "country", "channel", "confirmed_at", "petition_id"
    )[0]
    consent = Consent.objects.filter(pk=signature.consent_id).values(
        "purpose", "text", "version", "channel", "source", "withdrawn_at"
    )[0]
    supporter = Supporter.objects.filter(pk=signature.supporter_id).values(
        "first_name",
        "last_name",
        "country",
        "postcode",
        "city",
        "wants_organisation_news",
        "unsubscribed_at",
        "erased_at",
    )[0]
    times = Signature.objects.filter(pk=signature.pk).values_list(
        "created_at", "confirmation_sent_at"
    )[0]
    return row, consent, supporter, times


def test_a_first_signature_is_stored_exactly_as_a_known_supporters_signature(petition):
    # The first signature of a new address takes the one-statement path; a known supporter's
    # takes the ORM path. Both must leave the same rows behind.
    SupporterFactory(
        organisation=petition.campaign.organisation,
        email="known@example.net",
        first_name="Ana",
        last_name="Supporter",
        country="DE",
        postcode="",
    )
    fresh = _sign(petition, email="fresh@example.net").signature
    known = _sign(petition, email="known@example.net").signature

    fresh_row, fresh_consent, fresh_supporter, fresh_times = _stored(fresh)
    known_row, known_consent, known_supporter, known_times = _stored(known)
    assert fresh_row == known_row
    assert fresh_consent == known_consent
    assert fresh_supporter == known_supporter
    # The confirmation mails alike too, each with links signed for its own rows.
    fresh_mail, known_mail = (
        OutboundEmail.objects.filter(recipient=address).values().get()
        for address in ("fresh@example.net", "known@example.net")
    )
    own = {"id", "recipient", "message_id", "body_text", "headers", "not_before", "created_at"}
    assert {k: v for k, v in fresh_mail.items() if k not in own} == {
        k: v for k, v in known_mail.items() if k not in own
    }
    assert _tokens_masked(fresh_mail["body_text"]) == _tokens_masked(known_mail["body_text"])
    # … whose links name the fresh rows: the keys were taken before the statement ran.
    confirm_token = re.search(r"/confirm/([^/\s]+)/", fresh_mail["body_text"]).group(1)
    assert signature_confirm(token=confirm_token).pk == fresh.pk
    unsubscribe = re.search(r"/unsubscribe/([^/\s>]+)/", fresh_mail["headers"]["List-Unsubscribe"])
    assert token_read(purpose="unsubscribe", token=unsubscribe.group(1), max_age_seconds=60) == (
        fresh.supporter_id
    )
    assert set(fresh_mail["headers"]) == set(known_mail["headers"])
    assert all(fresh_times) and fresh_times[0] == fresh_times[1]
    # The in-memory objects the caller gets back match the stored rows.
    assert fresh.supporter.pk == fresh.supporter_id
    assert fresh.consent.supporter_id == fresh.supporter_id
    assert Supporter.objects.get(pk=fresh.supporter_id).created_at == fresh.supporter.created_at


def test_the_one_statement_insert_refuses_to_run_once_a_model_gained_a_column(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from advocacy import signatures

    values = {model: dict(columns) for model, columns in signatures._FIRST_SIGNATURE_VALUES.items()}
    del values[Consent]["withdrawn_at"]
    monkeypatch.setattr(signatures, "_FIRST_SIGNATURE_VALUES", values)
    signatures._first_signature_sql.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match="missing \\['withdrawn_at'\\]"):
            signatures._first_signature_sql()
    finally:
        monkeypatch.undo()
        signatures._first_signature_sql.cache_clear()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement path")
@pytest.mark.django_db(transaction=True)
def test_a_first_signature_and_its_mail_are_written_together_or_not_at_all(monkeypatch):
    from advocacy import outbox

    petition = PetitionFactory()
    _sign(petition, email="first@example.net")
    taken = OutboundEmail.objects.get(recipient="first@example.net").message_id
    # The mail's row cannot be written (its Message-ID is taken): nothing else may remain.
    monkeypatch.setattr(outbox, "new_message_id", lambda: taken)

    with pytest.raises(IntegrityError):
        _sign(petition, email="second@example.net")

    assert not Supporter.objects.filter(email="second@example.net").exists()
    assert Signature.objects.count() == 1 and Consent.objects.count() == 1
    assert OutboundEmail.objects.count() == 1
    monkeypatch.undo()
    # And the next signer is not affected by the failure.
    assert _sign(petition, email="second@example.net").created
    assert Signature.objects.count() == OutboundEmail.objects.count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement path")
@pytest.mark.django_db(transaction=True)
def test_a_first_signature_without_news_is_one_statement_outside_any_transaction():
    petition = PetitionFactory()
    from advocacy.signatures import _keys, _keys_take

    # A fresh block of keys is taken (15 left whatever earlier tests used): what remains
    # is the signature itself.
    _keys.clear()
    _keys_take()
    with CaptureQueriesContext(connection) as queries:
        _sign(petition, email="quick@example.net")
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == 1 and statements[0].lstrip().startswith("WITH sup AS")
    # With the news box ticked too: the tick waits on the signature for its confirmation.
    with CaptureQueriesContext(connection) as queries:
        result = _sign(petition, email="news@example.net", wants_organisation_news=True)
    assert len(queries.captured_queries) == 1
    assert Signature.objects.get(pk=result.signature.pk).wants_organisation_news


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement path")
def test_keys_are_unique_and_a_forked_process_takes_its_own(db, monkeypatch):
    from advocacy import signatures

    # From an empty store: keys left by earlier tests would decide whether a block ends used up.
    monkeypatch.setattr(signatures, "_keys", collections.deque())
    taken = [signatures._keys_take() for _ in range(signatures._KEY_BLOCK * 2 + 3)]
    assert len(set(taken)) == len(taken)
    assert len({supporter for supporter, _ in taken}) == len(taken)
    left = list(signatures._keys)
    assert left  # a block is part used
    monkeypatch.setattr(signatures.os, "getpid", lambda: -1)  # as in a forked child
    after_fork = signatures._keys_take()
    assert after_fork not in left and after_fork not in taken


def test_a_title_saved_before_titles_were_checked_still_lets_people_sign(petition):
    from campaign.models import Campaign, Organisation

    Campaign.objects.filter(pk=petition.campaign_id).update(title="Save\tthe\x1ebees")
    Organisation.objects.filter(pk=petition.campaign.organisation_id).update(name="Bee\u2028Org")
    petition = PetitionFactory._meta.model.objects.select_related("campaign__organisation").get(
        pk=petition.pk
    )

    result = _sign(petition)

    assert result.created
    mail = OutboundEmail.objects.get()
    assert mail.subject == "Please confirm your signature: Save the bees"
    assert mail.sender.startswith("Bee Org <")
