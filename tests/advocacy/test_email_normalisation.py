"""One mailbox, one address: every spelling of a domain that mail delivery folds together is
one supporter, invisible characters are refused, and addresses on internal hosts too."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from advocacy.emails import normalise_email
from advocacy.letters import letter_request_create
from advocacy.models import Channel, OutboundEmail, Supporter
from advocacy.signatures import signature_create
from advocacy.supporters import clean_email, supporter_data_link_send
from config.memo import memo
from tests.advocacy.test_letters import world  # noqa: F401  (a fixture)
from tests.advocacy.test_ratelimit import _payload  # the signing API's minimal body
from tests.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

INVALID = "Please enter a valid e-mail address."


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.RATELIMIT_ENABLED = False
    memo.clear()


def _sign(petition, email):
    return APIClient().post(
        f"/api/v1/campaigns/{petition.campaign.slug}/signatures/", _payload(email), format="json"
    )


def _write(campaign, *, email, mep_id):
    return letter_request_create(
        campaign=campaign,
        email=email,
        first_name="Ana",
        last_name="Supporter",
        country="DE",
        mep_ids=[mep_id],
        consent=True,
    )


def _error(response, code):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == code
    return error


# --- The rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("dup@bücher.de", "dup@xn--bcher-kva.de"),
        ("dup@BÜCHER.DE", "dup@xn--bcher-kva.de"),
        ("dup@xn--bcher-kva.de", "dup@xn--bcher-kva.de"),
        ("dup@XN--BCHER-KVA.de", "dup@xn--bcher-kva.de"),
        ("dup@bücher\u3002de", "dup@xn--bcher-kva.de"),  # an ideographic full stop
        ("dup@ｅｘａｍｐｌｅ.com", "dup@example.com"),
        ("dup@exa\u00admple.com", "dup@example.com"),
        ("dup@e\u200dxample.com", "dup@example.com"),
        ("Dup@bücher.de", "Dup@xn--bcher-kva.de"),  # the local part keeps its case
    ],
)
def test_every_spelling_of_a_domain_normalises_to_the_one_mail_is_delivered_to(raw, normalised):
    assert normalise_email(raw) == normalised
    assert normalise_email(normalised) == normalised


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        (" Ana@Example.NET ", "Ana@example.net"),
        ("a.b+tag@Sub.Example.org", "a.b+tag@sub.example.org"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("x@xn--ls8h.la", "x@xn--ls8h.la"),
    ],
)
def test_ascii_addresses_normalise_as_they_always_did(raw, normalised):
    assert normalise_email(raw) == normalised
    assert clean_email(raw) == normalised


@pytest.mark.parametrize(
    "raw",
    [
        "dup@exa\u00admple.com",  # soft hyphen
        "dup@exa\u200bmple.com",  # zero-width space
        "dup@exa\u200cmple.com",  # zero-width non-joiner
        "dup@e\u200dxample.com",  # zero-width joiner
        "dup@exa\u2060mple.com",  # word joiner
        "dup@exa\ufeffmple.com",  # byte order mark
        "dup@\u202eexample.com",  # right-to-left override
        "d\u00adup@example.com",  # in the local part too
        "dup@exa\x00mple.com",
    ],
)
def test_invisible_and_control_characters_are_refused_anywhere(raw):
    with pytest.raises(ValueError, match=INVALID):
        clean_email(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "a@localhost",
        "a@LOCALHOST",
        "a@mail.localhost",
        "a@intranet",
        "a@[10.0.0.1]",
        "a@[127.0.0.1]",
    ],
)
def test_addresses_on_internal_hosts_are_refused(raw):
    with pytest.raises(ValueError, match=INVALID):
        clean_email(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "a@xn--example-3ma.com",  # the Punycode of "exa\u00admple": not a name IDNA makes
        "a@xn--a.de",  # not Punycode at all
        "a@exa\ue000mple.com",  # a private-use character, which IDNA prohibits
        "a@" + "ü" * 64 + ".de",  # a label too long once encoded
    ],
)
def test_domains_idna_refuses_are_invalid_not_an_error(raw):
    with pytest.raises(ValueError, match=INVALID):
        clean_email(raw)


# --- Through the API and the services --------------------------------------------------------


def test_signing_with_every_spelling_of_one_mailbox_makes_one_supporter():
    petition = PetitionFactory()
    organisation = petition.campaign.organisation

    for email in ("dup@bücher.de", "dup@xn--bcher-kva.de", "dup@ｂüｃｈｅｒ.de"):
        assert _sign(petition, email).status_code == 202
    for email in ("dup@example.com", "dup@ｅｘａｍｐｌｅ.com"):
        assert _sign(petition, email).status_code == 202
    for email in ("dup@exa\u00admple.com", "dup@e\u200dxample.com"):
        assert "email" in _error(_sign(petition, email), "invalid")["fields"]

    emails = Supporter.objects.filter(organisation=organisation).values_list("email", flat=True)
    assert sorted(emails) == ["dup@example.com", "dup@xn--bcher-kva.de"]
    assert set(OutboundEmail.objects.values_list("recipient", flat=True)) == set(emails)


@pytest.mark.parametrize("email", ["a@localhost", "a@[10.0.0.1]"])
def test_signing_with_an_address_on_an_internal_host_is_a_400_naming_email(email):
    petition = PetitionFactory()

    error = _error(_sign(petition, email), "invalid")

    assert error["fields"]["email"] == [INVALID]
    assert not Supporter.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_a_disposable_domain_in_full_width_letters_is_still_disposable():
    petition = PetitionFactory()

    _error(_sign(petition, "dup@ｍａｉｌｉｎａｔｏｒ.com"), "email_disposable")

    assert not Supporter.objects.exists()


def test_letters_and_signing_find_the_same_supporter_whichever_spelling_came_first(world):  # noqa: F811
    _write(world.campaign, email="dup@bücher.de", mep_id=1001)
    petition = PetitionFactory(campaign=world.campaign)

    signature_create(
        petition=petition,
        email="dup@XN--BCHER-KVA.de",
        first_name="Ana",
        last_name="Supporter",
        country="DE",
        channel=Channel.API,
    )
    _write(world.campaign, email="dup@ｂüｃｈｅｒ.de", mep_id=1002)

    [supporter] = Supporter.objects.filter(organisation=world.campaign.organisation)
    assert supporter.email == "dup@xn--bcher-kva.de"
    assert supporter.letters.count() == 2
    assert supporter.signatures.count() == 1


def test_a_data_request_finds_the_supporter_whichever_spelling_is_typed():
    SignatureFactory(supporter__email="known@xn--bcher-kva.de")

    response = Client().post("/my-data/", {"email": "known@ＢÜＣＨＥＲ.de"})

    assert response.status_code == 200
    [mail] = OutboundEmail.objects.all()
    assert mail.recipient == "known@xn--bcher-kva.de"


def test_a_data_request_for_an_address_that_cannot_be_a_supporters_sends_nothing():
    SignatureFactory(supporter__email="known@example.net")

    assert supporter_data_link_send(email="known@exa\u00admple.net") == 0
    assert supporter_data_link_send(email="known@xn--a.net") == 0
    assert not OutboundEmail.objects.exists()
