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
