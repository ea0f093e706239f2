"""The supporter pages for letters, through Django's test client (the browser test walks the
same flow in Chromium)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from advocacy.letters import CONFIRM_PURPOSE
from advocacy.models import Letter, LetterStatus, OutboundEmail
from advocacy.tokens import token_make
from tests.advocacy.test_letters import world  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def _no_ratelimit(settings):
    settings.RATELIMIT_ENABLED = False


def _details(**overrides):
    data = {
        "country": "DE",
        "mep": ["1001", "1002"],
        "first_name": "Ana",
        "last_name": "Supporter",
        "email": "ana.page@example.net",
        "city": "Graz",
        "consent": "on",
    }
    data.update(overrides)
    return data


def test_choosing_a_country_lists_its_targeted_meps_with_their_vote(client, world):  # noqa: F811
    url = reverse("letters:start", kwargs={"slug": world.campaign.slug})
    response = client.get(url, {"country": "DE"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Anna Für" in page and "Bernd Gegen" in page
    assert "Voted for" in page and "Voted against" in page
    assert "Chair, Delegation for Central Asia" in page
    assert 'name="mep" value="1004"' not in page  # the Austrian MEP


def test_an_unknown_country_is_a_form_error(client, world):  # noqa: F811
    url = reverse("letters:start", kwargs={"slug": world.campaign.slug})
    response = client.get(url, {"country": "XX"})
    assert response.status_code == 400
    assert "Please check the form" in response.content.decode()


def test_showing_the_letters_then_sending_stores_them_awaiting_confirmation(
    client,
    world,  # noqa: F811
):
    url = reverse("letters:write", kwargs={"slug": world.campaign.slug})
    preview = client.post(url, _details(action="preview"))
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "Dear Ms Für," in page and 'name="body_1001"' in page
    assert not Letter.objects.exists()

    sent = client.post(
        url, _details(action="send", body_1001="Dear Ms Für,\n\nMy words.", body_1002="Hi.")
    )

    assert sent.status_code == 302
    assert Letter.objects.count() == 2
    assert Letter.objects.get(mep__ep_id=1001).body == "Dear Ms Für,\n\nMy words.\n"
    assert OutboundEmail.objects.get().kind == "letter_confirmation"


def test_user_text_is_escaped_on_the_page(client, world):  # noqa: F811
    url = reverse("letters:write", kwargs={"slug": world.campaign.slug})
    response = client.post(url, _details(action="preview", city="<script>x</script>"))
    page = response.content.decode()
    assert "<script>x</script>" not in page


def test_a_name_with_a_line_break_is_refused_on_the_page(client, world):  # noqa: F811
    url = reverse("letters:write", kwargs={"slug": world.campaign.slug})
    response = client.post(url, _details(action="send", first_name="Ana\r\nBcc: x@y.z"))
    assert response.status_code == 400
    assert "line breaks" in response.content.decode()
    assert not Letter.objects.exists()


def test_the_confirmation_link_asks_before_it_sends(client, world):  # noqa: F811
    url = reverse("letters:write", kwargs={"slug": world.campaign.slug})
    client.post(url, _details(action="send"))
    request_id = Letter.objects.first().request_id
    confirm_url = reverse(
        "letters:confirm",
        kwargs={"token": token_make(purpose=CONFIRM_PURPOSE, object_id=request_id)},
    )

    shown = client.get(confirm_url)
    assert shown.status_code == 200
    assert "Confirm and send my letters" in shown.content.decode()
    assert not Letter.objects.filter(status=LetterStatus.QUEUED).exists()

    confirmed = client.post(confirm_url)
    assert confirmed.status_code == 200
    assert "on their way" in confirmed.content.decode()
    assert Letter.objects.filter(status=LetterStatus.QUEUED).count() == 2


def test_a_broken_confirmation_link_says_so(client, db):
    response = client.get(reverse("letters:confirm", kwargs={"token": "nonsense"}))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_a_refused_send_keeps_what_was_typed_and_says_which_letter(client, world):  # noqa: F811
    url = reverse("letters:write", kwargs={"slug": world.campaign.slug})
    sent = client.post(
        url, _details(action="send", body_1001="Dear Ms Für,\n\nMy own words.", body_1002="  ")
    )

    page = sent.content.decode()
    assert sent.status_code == 400
    assert "My own words." in page  # the edited letter is still there…
    # …and the empty one carries its reason, tied to its text box.
    assert '<p class="error" id="body-1002-error">A letter may not be empty.</p>' in page
    assert 'aria-describedby="body-1002-error"' in page
    assert "body-1001-error" not in page
    assert not Letter.objects.exists()


def test_back_from_the_letters_keeps_the_chosen_meps(client, world):  # noqa: F811
    write = reverse("letters:write", kwargs={"slug": world.campaign.slug})
    page = client.post(write, _details(action="preview", mep=["1002"])).content.decode()
    start = reverse("letters:start", kwargs={"slug": world.campaign.slug})
    back = f"{start}?country=DE&amp;mep=1002"
    assert f'href="{back}"' in page

    chosen = client.get(start, {"country": "DE", "mep": "1002"}).content.decode()
    assert 'value="1002" id="mep-1002" checked' in chosen
    assert 'value="1001" id="mep-1001" checked' not in chosen
    fresh = client.get(start, {"country": "DE"}).content.decode()
    assert 'value="1001" id="mep-1001" checked' in fresh  # by default, all with an address


def test_writing_to_no_mep_says_so_on_the_list(client, world):  # noqa: F811
    write = reverse("letters:write", kwargs={"slug": world.campaign.slug})
    response = client.get(write, {"country": "DE"}, follow=True)
    page = response.content.decode()
    assert "Please choose at least one MEP to write to." in page
    assert 'role="alert"' in page


def test_the_letter_form_helps_a_phone_fill_in_the_details(client, world):  # noqa: F811
    url = reverse("letters:write", kwargs={"slug": world.campaign.slug})
    page = client.post(url, _details(action="preview")).content.decode()
    for name, hint in (
        ("first_name", "given-name"),
        ("last_name", "family-name"),
        ("email", "email"),
        ("city", "address-level2"),
        ("postcode", "postal-code"),
    ):
        assert f'autocomplete="{hint}"' in page, name
    start = reverse("letters:start", kwargs={"slug": world.campaign.slug})
    assert 'autocomplete="country"' in client.get(start).content.decode()


def test_the_campaign_page_leads_to_the_letters(client, world):  # noqa: F811
    from tests.factories import PetitionFactory

    PetitionFactory(campaign=world.campaign)
    page = client.get(f"/campaigns/{world.campaign.slug}/").content.decode()
    start = reverse("letters:start", kwargs={"slug": world.campaign.slug})
    assert f'href="{start}"' in page
