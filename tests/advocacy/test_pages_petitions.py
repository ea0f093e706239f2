"""Public petition pages: the list, the campaign page and its form, thank-you, confirmation
links, and every refusal as a page with a 4xx status."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from advocacy.models import Channel, OutboundEmail, Signature, SignatureStatus
from advocacy.signatures import confirmation_url
from campaign.models import CampaignStatus
from tests.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATELIMIT_ENABLED = False


@pytest.fixture
def petition():
    return PetitionFactory()


def _form(**overrides):
    data = {
        "first_name": "Ana",
        "last_name": "Supporter",
        "email": f"page-{uuid.uuid4().hex[:8]}@example.net",
        "country": "DE",
        "postcode": "",
        "consent": "on",
        "referrer": "https://partner.example.org/post",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _url(petition, suffix=""):
    return f"/campaigns/{petition.campaign.slug}/{suffix}"


def _confirm_path(signature):
    return urlsplit(confirmation_url(signature_id=signature.pk)).path


def test_the_home_page_lists_live_campaigns_with_their_counters(client, petition):
    draft = PetitionFactory(campaign__status=CampaignStatus.DRAFT)

    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert petition.campaign.title in html
    assert draft.campaign.title not in html
    assert f'href="/campaigns/{petition.campaign.slug}/"' in html
    assert "<progress" in html


def test_the_campaign_page_shows_the_call_resolution_counter_and_an_accessible_form(
    client, petition, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):  # the campaign, its joins; no row counting
        response = client.get(_url(petition), HTTP_REFERER="https://partner.example.org/x")

    html = response.content.decode()
    assert response.status_code == 200
    resolution = petition.campaign.call.resolution
    assert resolution.title in html
    assert "589" in html and "35" in html and "47" in html
    assert petition.text in html
    assert petition.consent_text in html
    assert '<progress max="1000" value="0"' in html
    for name in ("first_name", "last_name", "email", "country", "postcode", "consent"):
        assert f'<label for="id_{name}"' in html, name
    assert 'name="organisation_news"' in html
    assert 'value="https://partner.example.org/x"' in html  # referrer carried to the POST
    assert "<script" not in html and "style=" not in html


def test_signing_on_the_page_redirects_to_the_thank_you_page(client, petition):
    response = client.post(_url(petition) + "?utm_source=mail&utm_medium=news", _form())

    assert response.status_code == 303
    assert response["Location"] == _url(petition, "thanks/")
    signature = Signature.objects.select_related("consent").get()
    assert signature.channel == Channel.PAGE
    assert signature.consent.source == {
        "utm_source": "mail",
        "utm_medium": "news",
        "referrer": "https://partner.example.org/post",
    }
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "check your inbox" in thanks.content.decode().lower()


def test_signing_twice_on_the_page_gets_the_same_answer_and_creates_nothing(client, petition):
    data = _form()
    first = client.post(_url(petition), data)
    second = client.post(_url(petition), data)
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Signature.objects.count() == 1
    assert OutboundEmail.objects.count() == 1


@pytest.mark.parametrize("missing", ["first_name", "last_name", "email", "country", "consent"])
def test_a_missing_field_shows_the_form_again_with_a_message(client, petition, missing):
    response = client.post(_url(petition), _form(**{missing: None}))
    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{missing}_error"' in html
    assert 'role="alert"' in html
    assert Signature.objects.count() == 0


def test_a_refused_form_comes_back_with_its_errors_in_sight(client, petition):
    # No script on the page: the form's fragment scrolls a phone to the error summary, and
    # the title says there is a problem (read first by a screen reader).
    page = client.get(_url(petition)).content.decode()
    assert f'action="{_url(petition)}#form-errors"' in page
    assert "<title>Error:" not in page

    refused = client.post(_url(petition), _form(email=None)).content.decode()
    assert '<div class="errors" role="alert" tabindex="-1" id="form-errors">' in refused
    assert "<h3>Please check the form</h3>" in refused  # inside the form's own h2 section
    assert re.search(r"<title>\s*Error: ", refused)


def test_a_campaign_without_letters_does_not_offer_them(client, petition):
    assert "/letters/" not in client.get(_url(petition)).content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", "a" * 300 + "@example.net"),
        ("first_name", "x" * 10_000),
        ("first_name", "Ana\r\nBcc: x@example.org"),
        ("last_name", "<script>alert('x')</script>"),
        ("country", "XX"),
        ("postcode", "1" * 40),
    ],
)
def test_bad_input_is_refused_with_a_message_in_the_form(client, petition, field, value):
    response = client.post(_url(petition), _form(**{field: value}))
    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in html
    assert "<script>alert" not in html  # echoed values are escaped
    assert Signature.objects.count() == 0


def test_the_honeypot_refuses_bots(client, petition):
    response = client.post(_url(petition), _form(website="http://spam.example"))
    assert response.status_code == 400
    assert "could not accept this form" in response.content.decode()
    assert Signature.objects.count() == 0


def test_a_disposable_address_gets_a_message_in_the_form(client, petition):
    response = client.post(_url(petition), _form(email="x@mailinator.com"))
    assert response.status_code == 400
    assert 'id="id_email_error"' in response.content.decode()


def test_an_unknown_campaign_is_a_404_page(client):
    response = client.get("/campaigns/no-such-campaign/")
    assert response.status_code == 404
    assert "Campaign not found" in response.content.decode()


def test_the_confirmation_link_asks_and_the_button_confirms_and_shows_the_counter(petition):
    client = Client(enforce_csrf_checks=True)
    signature = SignatureFactory(petition=petition)
    # The link carries a timestamp: build it once, as the mail does, so the
    # page's form action is compared with the very link that was opened.
    path = _confirm_path(signature)

    # Opening the link (as a mail scanner does) confirms nothing…
    opened = client.get(path)
    page = opened.content.decode()
    assert opened.status_code == 200
    assert f'<form method="post" action="{path}">' in page
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.PENDING
    assert client.head(path).status_code == 200
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.PENDING

    # …the button does, with the page's CSRF token.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(path, {"csrfmiddlewaretoken": token})

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'id="signature-count">1<', html)
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.CONFIRMED


def test_following_the_link_or_pressing_the_button_again_is_harmless(client, petition):
    signature = SignatureFactory(petition=petition)
    path = _confirm_path(signature)
    client.post(path)
    replay = client.post(path)
    assert replay.status_code == 200
    # Once confirmed, the link shows the confirmation itself.
    opened = client.get(path).content.decode()
    assert "Your signature is confirmed" in opened
    petition.refresh_from_db()
    assert petition.confirmed_count == 1


def test_a_link_to_a_signature_gone_says_so_without_a_button(client, petition):
    from advocacy.supporters import supporter_erase

    signature = SignatureFactory(petition=petition)
    supporter_erase(supporter_id=signature.supporter_id)
    response = client.get(_confirm_path(signature))
    assert response.status_code == 404
    assert "<button" not in response.content.decode()


def test_a_forged_link_gets_a_clear_page(client, petition):
    signature = SignatureFactory(petition=petition)
    response = client.get(_confirm_path(signature)[:-3] + "abc/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.PENDING


def test_an_expired_link_offers_a_new_one(client, petition, monkeypatch, settings):
    settings.SIGNATURE_CONFIRMATION_RESEND_COOLDOWN_SECONDS = 0
    signature = SignatureFactory(petition=petition, confirmation_sent_at=timezone.now())
    path = _confirm_path(signature)
    later = (timezone.now() + timedelta(days=8)).timestamp()
    monkeypatch.setattr(signing.time, "time", lambda: later)

    response = client.get(path)
    assert response.status_code == 410
    html = response.content.decode()
    assert "expired" in html
    assert f'action="{path}resend/"' in html

    resend = client.post(path + "resend/")
    assert resend.status_code == 200
    [mail] = OutboundEmail.objects.all()
    assert "/confirm/" in mail.body_text
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.PENDING


def test_the_form_posts_with_a_csrf_token(petition):
    strict = Client(enforce_csrf_checks=True)
    page = strict.get(_url(petition))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token
    without = strict.post(_url(petition), _form())
    assert without.status_code == 403
    with_token = strict.post(_url(petition), _form(csrfmiddlewaretoken=token.group(1)))
    assert with_token.status_code == 303


def test_signature_forms_share_the_country_list_but_not_their_fields():
    from advocacy.forms import SignatureForm

    first = SignatureForm(consent_text="First text", organisation_name="A")
    second = SignatureForm(consent_text="Second text", organisation_name="B")
    assert first.fields["country"] is not second.fields["country"]
    assert first.fields["country"].choices is second.fields["country"].choices
    assert first.fields["consent"].label == "First text"
    assert second.fields["consent"].label == "Second text"


def test_pages_whose_address_carries_a_token_send_only_their_origin(client, petition):
    signature = SignatureFactory(petition=petition)
    confirm = client.get(_confirm_path(signature))
    assert confirm["Referrer-Policy"] == "strict-origin"  # the browser test posts its forms
    assert "no-store" in confirm["Cache-Control"]
    assert client.get(_url(petition))["Referrer-Policy"] == "same-origin"


def test_a_form_sent_without_its_csrf_token_gets_a_page_that_says_what_to_do(petition):
    client = Client(enforce_csrf_checks=True)
    response = client.post(_url(petition), _form())
    page = response.content.decode()
    assert response.status_code == 403
    assert "reload the page" in page and "<style" not in page
    assert Signature.objects.count() == 0
