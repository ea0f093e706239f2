"""Supporters: upsert, consent records, unsubscribe (RFC 8058), data export and erasure."""

from __future__ import annotations

import json
import re
import unicodedata
from urllib.parse import urlsplit

import pytest
from django.db import connection, transaction
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from advocacy.emails import unsubscribe_url
from advocacy.models import (
    Consent,
    ConsentPurpose,
    EmailKind,
    OutboundEmail,
    Signature,
    Supporter,
)
from advocacy.outbox import outbound_email_create
from advocacy.supporters import (
    SupporterInvalidError,
    consent_record,
    data_token_make,
    person_fields_clean,
    supporter_erase,
    supporter_export,
    supporter_get_or_create_locked,
    supporter_upsert,
)
from tests.advocacy.test_letters import world  # noqa: F401  (a fixture)
from tests.factories import OrganisationFactory, PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATELIMIT_ENABLED = False


def _path(url: str) -> str:
    return urlsplit(url).path


def test_upsert_normalises_the_address_and_finds_the_same_supporter_again():
    organisation = OrganisationFactory()
    first = supporter_upsert(
        organisation=organisation,
        email=" Ana@Example.NET",
        first_name="Ana",
        last_name="Supporter",
        country="de",
    )
    again = supporter_upsert(
        organisation=organisation,
        email="Ana@example.net",
        first_name="Other",
        last_name="Name",
        country="FR",
        city="Lyon",
    )
    assert again.pk == first.pk
    assert again.email == "Ana@example.net"
    assert (again.first_name, again.country, again.city) == ("Ana", "DE", "Lyon")


def _person(email="ana@example.net", **overrides):
    fields = {"first_name": "Ana", "last_name": "Supporter", "country": "DE", "city": ""}
    fields.update(overrides)
    return person_fields_clean(email=email, postcode="", **fields)


def test_the_locked_upsert_creates_then_finds_and_only_fills_blanks():
    from django.db import transaction

    organisation = OrganisationFactory()
    with transaction.atomic():
        first, created = supporter_get_or_create_locked(organisation=organisation, fields=_person())
    assert created and first.pk is not None
    with transaction.atomic():
        again, created = supporter_get_or_create_locked(
            organisation=organisation, fields=_person(first_name="Other", city="Lyon")
        )
    assert not created and again.pk == first.pk
    stored = Supporter.objects.get(pk=first.pk)
    assert (stored.first_name, stored.city) == ("Ana", "Lyon")
    # Another organisation's supporter with the same address is another person.
    with transaction.atomic():
        other, created = supporter_get_or_create_locked(
            organisation=OrganisationFactory(), fields=_person()
        )
    assert created and other.pk != first.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="INSERT … ON CONFLICT")
def test_the_locked_upsert_is_one_statement_whether_it_creates_or_finds():
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    organisation = OrganisationFactory()
    with transaction.atomic(), CaptureQueriesContext(connection) as new:
        created_one, created = supporter_get_or_create_locked(
            organisation=organisation, fields=_person(city="Lyon")
        )
    assert created and len([q for q in new if "advocacy_supporter" in q["sql"]]) == 1
    with transaction.atomic(), CaptureQueriesContext(connection) as known:
        found, created = supporter_get_or_create_locked(
            organisation=organisation, fields=_person(first_name="Other", city="Graz")
        )
    assert not created and found.pk == created_one.pk
    assert len([q for q in known if "advocacy_supporter" in q["sql"]]) == 1  # nothing to fill
    assert (found.first_name, found.city, found.email) == ("Ana", "Lyon", created_one.email)
    assert found.organisation_id == organisation.pk and found.created_at == created_one.created_at
    assert Supporter.objects.filter(organisation=organisation).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_locked_upsert_makes_a_second_submission_wait_for_the_first():
    """Two submissions of one new address at once: the second's insert fails on the unique
    constraint, and it then waits for the first's transaction before it reads the row."""
    import threading
    import time

    from django.db import connection, transaction

    organisation = OrganisationFactory()
    inserted, results, errors = threading.Event(), [], []

    def first():
        try:
            with transaction.atomic():
                results.append(
                    (
                        "first",
                        *supporter_get_or_create_locked(
                            organisation=organisation, fields=_person()
                        ),
                    )
                )
                inserted.set()
                time.sleep(0.5)  # still holding its transaction
                results.append(("first-commit", time.monotonic(), None))
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            inserted.set()
            connection.close()

    def second():
        try:
            inserted.wait(10)
            with transaction.atomic():
                supporter, created = supporter_get_or_create_locked(
                    organisation=organisation, fields=_person(city="Lyon")
                )
                results.append(("second", supporter, created))
                results.append(("second-read", time.monotonic(), None))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors, errors
    by_name = {name: (value, flag) for name, value, flag in results}
    assert by_name["first"][1] is True and by_name["second"][1] is False
    assert by_name["first"][0].pk == by_name["second"][0].pk
    assert by_name["second-read"][0] >= by_name["first-commit"][0]  # it waited
    assert Supporter.objects.filter(organisation=organisation).count() == 1
    assert Supporter.objects.get(organisation=organisation).city == "Lyon"


def test_upsert_refuses_bad_fields():
    with pytest.raises(SupporterInvalidError) as excinfo:
        supporter_upsert(
            organisation=OrganisationFactory(),
            email="nope",
            first_name="A\nB",
            last_name="x" * 101,
            country="ZZ",
        )
    assert set(excinfo.value.fields) == {"email", "first_name", "last_name", "country"}


def test_consent_keeps_only_known_source_keys_and_short_values():
    supporter = SignatureFactory().supporter
    consent = consent_record(
        supporter=supporter,
        purpose=ConsentPurpose.LETTER,
        text="I agree.",
        version=3,
        channel="api",
        source={"utm_source": "x" * 900, "evil": "y", "referrer": "https://a.example/\r\nX"},
    )
    assert set(consent.source) == {"utm_source", "referrer"}
    assert len(consent.source["utm_source"]) == 500
    assert consent.source["referrer"] == "https://a.example/X"
    assert consent.given_at is not None


# --- Unsubscribe ----------------------------------------------------------------------------


def test_get_on_the_unsubscribe_link_only_shows_a_button():
    supporter = SignatureFactory().supporter
    response = Client().get(_path(unsubscribe_url(supporter_id=supporter.pk)))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<form method="post"' in html and "<button" in html
    supporter.refresh_from_db()
    assert supporter.unsubscribed_at is None


def test_an_unsubscribe_link_opens_no_door_to_the_persons_data():
    # It never expires and is in every mail: the data page takes a link sent on request.
    supporter = SignatureFactory().supporter
    client = Client()
    for response in (
        client.get(_path(unsubscribe_url(supporter_id=supporter.pk))),
        client.post(_path(unsubscribe_url(supporter_id=supporter.pk))),
    ):
        html = response.content.decode()
        assert response.status_code == 200
        assert 'href="/my-data/"' in html
        assert re.findall(r'href="/my-data/[^"]+"', html) == []


def test_an_unsubscribe_link_opened_again_says_it_is_done_without_a_button():
    supporter = SignatureFactory().supporter
    path = _path(unsubscribe_url(supporter_id=supporter.pk))
    Client().post(path)
    again = Client().get(path).content.decode()
    assert "You are unsubscribed" in again and "<button" not in again


def test_one_click_post_unsubscribes_without_cookies_or_csrf():
    signature = SignatureFactory(supporter__wants_organisation_news=True)
    supporter = signature.supporter
    Consent.objects.create(
        supporter=supporter,
        purpose=ConsentPurpose.ORGANISATION_NEWS,
        text="news",
        version=1,
        given_at=signature.consent.given_at,
        channel="page",
    )
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        _path(unsubscribe_url(supporter_id=supporter.pk)),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    supporter.refresh_from_db()
    assert supporter.unsubscribed_at is not None
    assert not supporter.wants_organisation_news
    news = Consent.objects.get(purpose=ConsentPurpose.ORGANISATION_NEWS)
    assert news.withdrawn_at is not None


def test_a_forged_unsubscribe_link_is_refused():
    response = Client().post("/unsubscribe/1:abc:def/")
    assert response.status_code == 400


# --- Data export and erasure ----------------------------------------------------------------


def test_a_data_request_mails_a_link_only_to_known_addresses():
    signature = SignatureFactory(supporter__email="known@example.net")
    client = Client()

    known = client.post("/my-data/", {"email": "known@example.net"})
    unknown = client.post("/my-data/", {"email": "unknown@example.net"})

    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content  # reveals nothing
    [mail] = OutboundEmail.objects.all()
    assert mail.recipient == "known@example.net"
    assert "/my-data/" in mail.body_text and "/unsubscribe/" in mail.body_text
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.search(r"http\S+/my-data/\S+/", mail.body_text).group(0)
    page = client.get(_path(link))
    assert page.status_code == 200
    assert "known@example.net" in page.content.decode()
    assert signature.supporter.organisation.name in page.content.decode()


def test_the_signed_link_downloads_the_data_as_json():
    signature = SignatureFactory(supporter__email="export@example.net")
    token = data_token_make(supporter_id=signature.supporter_id)

    response = Client().get(f"/my-data/{token}/export.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["supporter"]["email"] == "export@example.net"
    assert data["signatures"][0]["campaign"] == signature.petition.campaign.title
    assert data["consents"][0]["text"] == signature.consent.text


def test_a_data_token_cannot_be_made_from_an_unsubscribe_token():
    signature = SignatureFactory()
    token = _path(unsubscribe_url(supporter_id=signature.supporter_id)).split("/")[2]
    assert Client().get(f"/my-data/{token}/export.json").status_code == 400


def test_erasure_removes_personal_data_but_keeps_anonymous_counts():
    petition = PetitionFactory(confirmed_count=1)
    confirmed = SignatureFactory(
        petition=petition, status="confirmed", supporter__email="erase@example.net"
    )
    supporter = confirmed.supporter
    pending = SignatureFactory(supporter=supporter, consent__supporter=supporter)
    token = data_token_make(supporter_id=supporter.pk)
    client = Client()

    refused = client.post(f"/my-data/{token}/erase/", {})
    assert refused.status_code == 400  # the box must be ticked

    response = client.post(f"/my-data/{token}/erase/", {"confirm": "on"})

    assert response.status_code == 200
    supporter.refresh_from_db()
    assert supporter.email is None
    assert supporter.first_name == supporter.last_name == supporter.postcode == ""
    assert supporter.erased_at is not None
    confirmed.refresh_from_db()
    assert confirmed.status == "confirmed" and confirmed.country == "DE"
    assert not Signature.objects.filter(pk=pending.pk).exists()
    petition.refresh_from_db()
    assert petition.confirmed_count == 1
    assert client.get(f"/my-data/{token}/export.json").status_code == 404


def test_erasing_twice_is_harmless_and_the_address_can_sign_again():
    signature = SignatureFactory(supporter__email="again@example.net")
    supporter_erase(supporter_id=signature.supporter_id)
    supporter_erase(supporter_id=signature.supporter_id)
    other = SignatureFactory(supporter__email=None)
    supporter_erase(supporter_id=other.supporter_id)  # many erased rows coexist (NULL)
    fresh = supporter_upsert(
        organisation=signature.supporter.organisation,
        email="again@example.net",
        first_name="Ana",
        last_name="New",
        country="DE",
    )
    assert fresh.pk != signature.supporter_id
    assert Supporter.objects.filter(erased_at__isnull=False).count() == 2


def test_the_export_lists_everything_held():
    signature = SignatureFactory()
    data = supporter_export(supporter_id=signature.supporter_id)
    assert set(data) == {
        "supporter",
        "organisation",
        "consents",
        "signatures",
        "letters",
        "letter_requests",
        "emails",
        "shared_with_the_organisations_systems",
    }


def test_the_export_names_the_mails_and_the_systems_the_person_was_sent_to(world):  # noqa: F811
    from advocacy.letters import CONFIRM_PURPOSE, letter_request_confirm, letter_request_create
    from advocacy.models import Webhook
    from advocacy.signatures import signature_confirm
    from advocacy.tokens import token_make

    campaign = world.campaign
    Webhook.objects.create(
        organisation=campaign.organisation, url="https://crm.example.org/in", secret="s" * 64
    )
    written = letter_request_create(
        campaign=campaign,
        email="ana@example.net",
        first_name="Ana",
        last_name="Writer",
        country="DE",
        mep_ids=[1001],
        consent=True,
        wants_copy=True,
    )
    letter_request_confirm(token=token_make(purpose=CONFIRM_PURPOSE, object_id=written.request.pk))
    supporter = written.request.supporter
    petition = PetitionFactory(campaign=campaign)
    signature = SignatureFactory(petition=petition, supporter=supporter)
    signature_confirm(token=token_make(purpose="signature_confirm", object_id=signature.pk))
    # Another organisation's mail to the same address is not this organisation's to export.
    with transaction.atomic():
        outbound_email_create(
            kind=EmailKind.NOTIFICATION,
            recipient="ana@example.net",
            subject="Elsewhere",
            body_text="x",
            organisation=OrganisationFactory(),
            publish=False,
        )

    data = supporter_export(supporter_id=supporter.pk)

    kinds = sorted(m["kind"] for m in data["emails"])
    assert kinds == ["letter", "letter_confirmation", "letter_copy"]
    assert all("body" not in m for m in data["emails"])  # their links still work
    assert data["letter_requests"][0]["wants_copy"] is True
    assert data["letter_requests"][0]["confirmed_at"] is not None
    assert data["letters"][0]["scheduled_for"] is not None
    [shared] = data["shared_with_the_organisations_systems"]
    assert (shared["event"], shared["to"]) == ("signature.confirmed", "https://crm.example.org")


@pytest.mark.parametrize("control", ["\u202e", "\u202d", "\u2066", "\u2069", "\u202a"])
def test_a_name_with_a_text_direction_override_is_refused(control):
    from advocacy.supporters import clean_name

    with pytest.raises(ValueError, match="text-direction"):
        clean_name(f"Ana {control}live", label="first name")


@pytest.mark.parametrize("name", ["\u05e9\u05e8\u05d4", "\u0633\u0627\u0631\u0627\u200f", "Zoë"])
def test_right_to_left_names_and_their_marks_are_fine(name):
    from advocacy.supporters import clean_name

    assert clean_name(name, label="first name") == name


@pytest.mark.parametrize("invisible", ["\u200d", "\ufeff", "\u200b\u200c", "\uffff", "\u200e"])
def test_a_name_of_only_invisible_characters_is_no_name(invisible):
    from advocacy.supporters import clean_name

    with pytest.raises(ValueError, match="Please enter your first name"):
        clean_name(invisible, label="first name")
    assert clean_name(invisible, label="last name", required=False) == ""


@given(st.text(max_size=40) | st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_the_ascii_shortcut_finds_the_characters_the_unicode_rules_find(value):
    """_has_control_characters and _has_format_characters answer ASCII text without looking
    at each character's Unicode category; the answer must be the category rules' own."""
    from advocacy import supporters

    controls = any(unicodedata.category(ch) in {"Cc", "Zl", "Zp"} for ch in value)
    formats = any(unicodedata.category(ch) == "Cf" for ch in value)
    assert supporters._has_control_characters(value) is controls
    assert supporters._has_format_characters(value) is formats


@pytest.mark.parametrize("character", [chr(n) for n in range(128)])
def test_each_ascii_character_is_judged_by_its_category(character):
    from advocacy import supporters

    for value in (character, f"Ana{character}Lee"):
        assert supporters._has_control_characters(value) is (
            unicodedata.category(character) == "Cc"
        )
        assert supporters._has_format_characters(value) is False


@pytest.mark.parametrize("name", ["=?utf-8?q?boss=40example.org?= x", "Ana =?iso-8859-1?b?QQ==?="])
def test_a_name_holding_an_encoded_word_is_refused_as_django_would_not_send_it(name):
    from django.core.mail.backends.smtp import EmailBackend

    from advocacy.supporters import clean_name

    # What would happen to the supporter's letters: the From's display name cannot be sent.
    with pytest.raises(ValueError, match="encoded word"):
        EmailBackend.prep_address(None, f'"{name}" <letters@example.org>')  # type: ignore[arg-type]
    with pytest.raises(ValueError, match='may not contain "=\\?"'):
        clean_name(name, label="first name")
    assert clean_name("Ana = Lee?", label="first name") == "Ana = Lee?"
