"""The supporter pages on a phone (360 and 320 pixels wide): nothing wider than the screen,
checkboxes big enough to tap, a focus ring that shows, and after each form the page comes back
at what matters (its errors, or what comes next) and says so in its title. Without script:
the pages have none, so fragments and plain HTML do the work."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse

from advocacy.supporters import data_token_make
from tests.advocacy.test_letters import world  # noqa: F401  (fixture)
from tests.advocacy.test_ratelimit import ratelimit_clock_mid_window  # noqa: F401  (fixture)
from tests.factories import PetitionFactory, SignatureFactory
from tests.support.browser import CHROMIUM, launch, prepare_live_site

pytestmark = pytest.mark.django_db

# What organisers and supporters really type: compound words, pasted links, long addresses.
LONG_WORD = "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz"
LONG_URL = (
    "https://www.europarl.europa.eu/doceo/document/TA-9-2022-0123_EN.html"
    "?utm_source=newsletter&utm_campaign=kazakhstan-political-prisoners"
)
LONG_EMAIL = "anna-katharina.mustermann-schmidt@gewerkschaft-beispielverband.example.org"


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATELIMIT_ENABLED = False


def _title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match, html[:500]
    return match.group(1).strip()


def _letters(world, name: str) -> str:  # noqa: F811
    return reverse(f"letters:{name}", kwargs={"slug": world.campaign.slug})


def _details(**overrides: Any) -> dict[str, Any]:
    data = {
        "country": "DE",
        "mep": ["1001", "1002"],
        "first_name": "Ana",
        "last_name": "Supporter",
        "email": f"mobile-{uuid.uuid4().hex[:10]}@example.net",
        "consent": "on",
        "action": "preview",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- Plain HTML -----------------------------------------------------------------------------


def test_the_letters_form_comes_back_at_its_errors_or_else_at_the_letters(client, world):  # noqa: F811
    url = _letters(world, "write")
    page = client.get(url, {"country": "DE", "mep": ["1001"]}).content.decode()
    assert f'action="{url}#outcome"' in page

    preview = client.post(url, _details()).content.decode()
    assert '<section aria-labelledby="letters-heading" id="outcome" tabindex="-1">' in preview
    assert not _title(preview).startswith("Error")

    refused = client.post(url, _details(first_name=None)).content.decode()
    assert '<div class="errors" role="alert" tabindex="-1" id="outcome">' in refused
    assert refused.count('id="outcome"') == 1
    assert _title(refused).startswith("Error: ")


def test_the_country_and_mep_forms_come_back_at_what_comes_next(client, world):  # noqa: F811
    start = _letters(world, "start")
    blank = client.get(start).content.decode()
    assert f'action="{start}#meps"' in blank

    listed = client.get(start, {"country": "DE"}).content.decode()
    assert '<section aria-labelledby="meps-heading" id="meps" tabindex="-1">' in listed
    # The redirect back here when no MEP is ticked keeps this fragment (browsers carry it).
    assert f'action="{_letters(world, "write")}#form-errors"' in listed
    assert not _title(listed).startswith("Error")

    none_chosen = client.get(start, {"country": "DE", "none_chosen": "1"}).content.decode()
    assert '<div class="errors" role="alert" tabindex="-1" id="form-errors">' in none_chosen
    assert _title(none_chosen).startswith("Error: ")

    unknown = client.get(start, {"country": "XX"}).content.decode()
    assert '<div class="errors" role="alert" tabindex="-1" id="meps">' in unknown
    assert _title(unknown).startswith("Error: ")


def test_the_data_forms_come_back_at_their_errors_and_say_so_in_the_title(client):
    request_page = client.get("/my-data/").content.decode()
    assert 'action="/my-data/#form-errors"' in request_page
    refused = client.post("/my-data/", {"email": ""}).content.decode()
    assert _title(refused).startswith("Error: ")
    assert 'id="form-errors"' in refused

    signature = SignatureFactory()
    path = f"/my-data/{data_token_make(supporter_id=signature.supporter_id)}/"
    data_page = client.get(path).content.decode()
    assert f'action="{path}erase/#form-errors"' in data_page
    assert not _title(data_page).startswith("Error")
    not_ticked = client.post(f"{path}erase/", {})
    html = not_ticked.content.decode()
    assert not_ticked.status_code == 400
    assert _title(html).startswith("Error: ")
    # Under the page's "Erase your data" (an h2), the summary is one level down.
    assert "<h3>Please check the form</h3>" in html


@pytest.mark.parametrize("page", ["start", "write", "sent"])
def test_the_letters_pages_of_a_gone_campaign_are_the_site_s_own_404(client, db, page):
    path = reverse(f"letters:{page}", kwargs={"slug": "no-such-campaign"})
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 404
    assert "advocacy/site" in html  # the site's own page and stylesheet…
    assert re.search(r"<title>\s*Campaign not found — Resolute", html)
    assert 'href="/"' in html and "See the campaigns" in html  # …and a way on


def test_a_rate_limited_send_keeps_the_letters_and_details_typed(client, world, settings):  # noqa: F811
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMIT_PER_EMAIL = 1
    settings.RATELIMIT_ALLOWED_IPS = ["127.0.0.1"]  # only the address counts here
    url = _letters(world, "write")
    email = f"limited-{uuid.uuid4().hex[:10]}@example.net"
    assert client.post(url, _details(email=email, action="send")).status_code == 302

    again = client.post(
        url,
        _details(
            email=email,
            first_name="Aoife",
            action="send",
            body_1001="Dear Ms Für,\n\nWords I took a while to write.",
            body_1002="Dear Mr Gegen,\n\nMore of them.",
        ),
    )

    html = again.content.decode()
    assert again.status_code == 429
    assert int(again["Retry-After"]) > 0
    assert "Words I took a while to write." in html and "More of them." in html
    assert 'value="Aoife"' in html and f'value="{email}"' in html
    assert 'role="alert"' in html and _title(html).startswith("Error: ")


def test_refused_sends_build_no_letters_once_the_preview_limit_is_spent(
    client,
    world,  # noqa: F811
    settings,
    monkeypatch,
    ratelimit_clock_mid_window,  # noqa: F811
):
    # Each send or preview builds a letter per MEP ticked (up to 100): a send refused by its
    # limit must not keep building them, or the limit would not limit the work.
    import advocacy.letter_views as views

    settings.RATELIMIT_ENABLED = True
    settings.RATELIMIT_ALLOWED_IPS = []
    settings.RATELIMIT_PER_IP = 1  # one send; ten previews
    settings.RATELIMIT_PER_EMAIL = 100
    client = type(client)(REMOTE_ADDR=f"198.51.100.{uuid.uuid4().int % 250 + 1}")
    built: list[int] = []
    real_preview = views.letter_preview
    monkeypatch.setattr(
        views, "letter_preview", lambda **kwargs: built.append(1) or real_preview(**kwargs)
    )
    url = _letters(world, "write")
    assert client.post(url, _details(action="send")).status_code == 302
    for _ in range(10):
        assert client.post(url, _details()).status_code == 200  # previews, within their limit
    built.clear()

    refused = [client.post(url, _details(action="send", first_name="Aoife")) for _ in range(5)]

    assert [response.status_code for response in refused] == [429] * 5
    assert built == []  # nothing was built for them…
    assert 'value="Aoife"' in refused[-1].content.decode()  # …and what was typed is kept


# --- In a phone-sized Chromium --------------------------------------------------------------

PHONE_WIDTHS = [360, 320]
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")

WIDTH_JS = """() => ({
  scroll: document.documentElement.scrollWidth,
  inner: window.innerWidth,
  wider: [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 6)
    .map(e => e.tagName + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')),
})"""


@pytest.fixture
def phone_site(live_server, settings, monkeypatch):
    prepare_live_site(live_server, settings, monkeypatch)
    # The live server finds static files by their source name, not the hashed one the
    # manifest storage writes into pages: without this the pages load with no stylesheet.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return live_server


@pytest.fixture
def browser(phone_site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


def _phone(browser: Any, width: int = 360) -> Any:
    return browser.new_page(viewport={"width": width, "height": 740})


def _assert_fits(page: Any, what: str) -> None:
    # The stylesheet is there (or the check would be about unstyled HTML).
    button = page.locator("main button").first
    if button.count():
        assert button.evaluate("b => getComputedStyle(b).minHeight") == "44px", what
    measure = page.evaluate(WIDTH_JS)
    assert measure["scroll"] <= measure["inner"], (what, measure)


def _contrast(rgb: str, against: tuple[int, int, int] = (255, 255, 255)) -> float:
    def luminance(channels: tuple[int, ...]) -> float:
        linear = [
            c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
            for c in (v / 255 for v in channels)
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    colour = tuple(int(v) for v in re.findall(r"\d+", rgb)[:3])
    lighter, darker = sorted((luminance(colour), luminance(against)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.e2e
@needs_chromium
@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_no_supporter_page_is_wider_than_the_phone(phone_site, browser, world, width):  # noqa: F811
    petition = PetitionFactory(
        campaign__title=f"Stop the {LONG_WORD}",
        campaign__summary=f"Read the resolution: {LONG_URL}",
        campaign__organisation__name=f"Verein {LONG_WORD}",
        text=f"We call for an end to the {LONG_WORD}. Sources: {LONG_URL}",
        consent_text=f"I agree to the privacy notice at {LONG_URL}.",
    )
    signature = SignatureFactory(petition=petition, supporter__email=LONG_EMAIL)
    world.campaign.title = f"Write about the {LONG_WORD}"
    world.campaign.save(update_fields=["title"])
    site = phone_site.url
    campaign = f"{site}/campaigns/{petition.campaign.slug}/"
    page = _phone(browser, width)

    for what, path in (
        ("home", "/"),
        ("campaign", f"/campaigns/{petition.campaign.slug}/"),
        ("thanks", f"/campaigns/{petition.campaign.slug}/thanks/"),
        ("my data", f"/my-data/{data_token_make(supporter_id=signature.supporter_id)}/"),
        ("letters start", f"{_letters(world, 'start')}?country=DE"),
    ):
        page.goto(site + path)
        _assert_fits(page, what)

    page.goto(campaign)
    page.get_by_role("button", name="Sign the petition").click()
    page.wait_for_load_state()
    _assert_fits(page, "campaign refused")

    page.goto(f"{site}{_letters(world, 'write')}?country=DE&mep=1001&mep=1002")
    page.get_by_label("First name", exact=True).fill("Ana")
    page.get_by_label("Last name", exact=True).fill(LONG_WORD)
    page.get_by_label("E-mail address", exact=True).fill(LONG_EMAIL)
    page.get_by_label("A few words of your own (optional)").fill(f"See {LONG_URL}")
    page.locator("#id_consent").check()
    _assert_fits(page, "letters details")
    page.get_by_role("button", name="Show my letters").click()
    page.get_by_label(re.compile("Letter to Anna")).wait_for()
    _assert_fits(page, "letters preview")


@pytest.mark.e2e
@needs_chromium
def test_checkboxes_are_big_enough_to_tap_and_the_meps_use_the_width(
    phone_site,
    browser,
    world,  # noqa: F811
):
    petition = PetitionFactory()
    page = _phone(browser, 320)

    page.goto(f"{phone_site.url}{_letters(world, 'start')}?country=DE")
    fieldset = page.locator("fieldset").bounding_box()
    mep = page.locator("#mep-1001")
    assert mep.bounding_box()["x"] - fieldset["x"] < 24  # not indented like a bulleted list
    sizes = [page.locator(box).bounding_box() for box in ("#mep-1001", "#mep-1002")]

    page.goto(f"{phone_site.url}/campaigns/{petition.campaign.slug}/")
    sizes += [page.locator(b).bounding_box() for b in ("#id_consent", "#id_organisation_news")]

    for size in sizes:  # WCAG 2.5.8: at least 24 by 24 CSS pixels
        assert size["width"] >= 24 and size["height"] >= 24, size


@pytest.mark.e2e
@needs_chromium
def test_the_keyboard_focus_ring_stands_out_from_the_page(phone_site, browser):
    petition = PetitionFactory()
    page = _phone(browser)
    page.goto(f"{phone_site.url}/campaigns/{petition.campaign.slug}/")
    page.locator("#id_last_name").focus()
    page.keyboard.press("Shift+Tab")  # focus by keyboard: :focus-visible applies

    focused = page.evaluate("document.activeElement.id")
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    )
    assert focused == "id_first_name"
    assert outline[0] == "solid" and outline[1] == "3px", outline
    assert _contrast(outline[2]) >= 3, outline  # WCAG 1.4.11, against the white page


@pytest.mark.e2e
@needs_chromium
def test_the_letters_pages_take_a_phone_to_their_errors_or_to_what_comes_next(
    phone_site,
    browser,
    world,  # noqa: F811
):
    page = _phone(browser)
    site = phone_site.url

    page.goto(f"{site}{_letters(world, 'start')}")
    page.get_by_label("Your country").select_option("DE")
    page.get_by_role("button", name="Show my MEPs").click()
    page.locator("#meps:focus").wait_for()

    for box in ("#mep-1001", "#mep-1002"):
        page.locator(box).uncheck()
    page.get_by_role("button", name="Write my letters").click()
    page.wait_for_url(re.compile("none_chosen"))
    assert page.evaluate("document.activeElement.id") == "form-errors"
    assert page.locator("#form-errors").is_visible()

    page.goto(f"{site}{_letters(world, 'write')}?country=DE&mep=1001")
    page.get_by_role("button", name="Show my letters").click()
    page.locator("#outcome:focus").wait_for()
    assert "Please check the form" in page.locator("#outcome").inner_text()
    assert page.title().startswith("Error: ")

    page.get_by_label("First name", exact=True).fill("Ana")
    page.get_by_label("Last name", exact=True).fill("Supporter")
    page.get_by_label("E-mail address", exact=True).fill("ana.phone@example.net")
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Show my letters").click()
    page.locator("section#outcome:focus").wait_for()
    heading = page.get_by_role("heading", name="Your letters")
    assert heading.bounding_box()["y"] < 740  # on screen, not six fields further down


@pytest.mark.e2e
@needs_chromium
def test_the_letter_boxes_are_as_wide_and_as_legible_as_the_other_fields(
    phone_site,
    browser,
    world,  # noqa: F811
):
    page = _phone(browser, 320)
    page.goto(f"{phone_site.url}{_letters(world, 'write')}?country=DE&mep=1001")
    page.get_by_label("First name", exact=True).fill("Ana")
    page.get_by_label("Last name", exact=True).fill("Supporter")
    page.get_by_label("E-mail address", exact=True).fill("ana.boxes@example.net")
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Show my letters").click()
    letter = page.get_by_label(re.compile("Letter to Anna"))
    letter.wait_for()

    field = page.locator("#id_first_name")
    for box in (page.locator("#id_personal_note"), letter):
        assert box.bounding_box()["width"] == field.bounding_box()["width"]
        # Under 16px a phone's browser zooms in on focus (and 13px monospace is hard to read).
        size = box.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 16, size
        assert box.evaluate("e => getComputedStyle(e).fontFamily") == field.evaluate(
            "e => getComputedStyle(e).fontFamily"
        )


def test_a_letter_in_another_language_is_marked_as_such(client, world):  # noqa: F811
    # The page is English; a letter to a German MEP may be German. Marked, a phone's
    # spellchecker and a screen reader treat it as German.
    world.template.language = "de"
    world.template.save(update_fields=["language"])

    page = client.post(_letters(world, "write"), _details()).content.decode()

    assert 'id="body-1001" lang="de"' in page
    assert '<span lang="de">About ' in page


def test_asking_for_one_s_data_too_often_says_when_to_try_again(client, settings):
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMIT_PER_EMAIL = 1
    settings.RATELIMIT_ALLOWED_IPS = ["127.0.0.1"]  # only the address counts here
    email = f"data-{uuid.uuid4().hex[:10]}@example.net"
    assert client.post("/my-data/", {"email": email}).status_code == 200

    again = client.post("/my-data/", {"email": email})

    html = again.content.decode()
    assert again.status_code == 429
    assert int(again["Retry-After"]) > 0
    assert f'value="{email}"' in html and _title(html).startswith("Error: ")
