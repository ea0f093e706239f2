"""End to end in a real headless Chromium: pick a country, tick MEPs, see and edit the
letters, send, confirm through the link a real worker mailed, and each MEP gets one letter."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest

from advocacy.letters import consent_text
from advocacy.models import Letter, LetterStatus
from campaign.models import Gender
from tests.factories import (
    CampaignFactory,
    LetterTemplateFactory,
    MandateFactory,
    MepFactory,
    RollCallFactory,
    RollCallVoteFactory,
)
from tests.support.browser import CHROMIUM, launch, prepare_live_site
from tests.support.processes import CeleryProcess, start_worker, wait_until
from tests.support.smtp import SmtpServer


@pytest.fixture
def letters_site(live_server, settings, monkeypatch):
    prepare_live_site(live_server, settings, monkeypatch)
    settings.LETTERS_LIVE_DELIVERY_ALLOWED = True
    return live_server


@pytest.fixture
def letters_worker(letters_site, smtp_server: SmtpServer) -> Iterator[CeleryProcess]:
    from django.conf import settings

    worker = start_worker(
        smtp_url=smtp_server.url,
        queue=settings.CELERY_TASK_DEFAULT_QUEUE,
        extra_env={"SITE_URL": letters_site.url, "LETTERS_LIVE_DELIVERY_ALLOWED": "true"},
    )
    yield worker
    worker.stop()


@pytest.mark.e2e
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium package is not installed")
def test_a_supporter_writes_to_the_meps_of_her_country_in_the_browser(
    letters_site, letters_worker, smtp_server
):
    from playwright.sync_api import expect, sync_playwright

    campaign = CampaignFactory(
        title="Free Kazakhstan's prisoners",
        live_delivery=True,
        call__resolution__procedure_reference="2022/2505(RSP)",
    )
    LetterTemplateFactory(
        campaign=campaign,
        subject="Political prisoners in Kazakhstan",
        body=(
            "{{ mep.salutation }},\n\n"
            '{% if mep.vote == "for" %}Thank you for your vote.{% else %}Please act.{% endif %}'
            "\n\nYours sincerely,\n{{ supporter.full_name }}"
        ),
        targeting={"supporter_country": True},
    )
    tag = uuid.uuid4().hex[:8]
    roll_call = RollCallFactory()
    irene = MepFactory(
        country_code="IE",
        first_name="Irene",
        last_name="EIREANN",
        gender=Gender.FEMALE,
        email=f"irene.{tag}@europarl.example.eu",
    )
    sean = MepFactory(
        country_code="IE",
        first_name="Seán",
        last_name="O'BRIEN",
        gender=Gender.MALE,
        email=f"sean.{tag}@europarl.example.eu",
    )
    for mep in (irene, sean):
        MandateFactory(mep=mep)
    RollCallVoteFactory(roll_call=roll_call, mep=irene, position="for")
    email = f"browser-{tag}@example.net"

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.goto(f"{letters_site.url}/campaigns/{campaign.slug}/letters/")
            expect(page.get_by_role("heading", level=1)).to_have_text(campaign.title)
            page.get_by_label("Your country").select_option("IE")
            page.get_by_role("button", name="Show my MEPs").click()

            expect(page.get_by_text("Voted for")).to_be_visible()
            expect(page.get_by_label(re.compile("Irene Eireann"))).to_be_checked()
            expect(page.get_by_label(re.compile("Seán O'Brien"))).to_be_checked()
            page.get_by_role("button", name="Write my letters").click()

            page.get_by_label("First name", exact=True).fill("Aoife")
            page.get_by_label("Last name", exact=True).fill("Browser")
            page.get_by_label("E-mail address", exact=True).fill(email)
            page.get_by_label("Town or city (optional)").fill("Cork")
            page.get_by_label(consent_text(organisation_name=campaign.organisation.name)).check()
            page.get_by_role("button", name="Show my letters").click()

            irene_letter = page.get_by_label("Letter to Irene Eireann")
            expect(irene_letter).to_contain_text("Dear Ms Eireann,")
            expect(page.get_by_label("Letter to Seán O'Brien")).to_contain_text("Dear Mr O'Brien,")
            irene_letter.fill("Dear Ms Eireann,\n\nThank you, from Cork.\n\nAoife Browser")
            page.get_by_role("button", name="Send my letters").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Please check your e-mail")

            assert wait_until(lambda: smtp_server.messages_to(email), 40), letters_worker.log()[
                -3000:
            ]
            [confirmation] = smtp_server.messages_to(email)
            link = re.search(r"http://\S+/letters/confirm/\S+/", confirmation.get_content())
            assert link, confirmation.get_content()
            assert smtp_server.messages_to(irene.email) == []

            page.goto(link.group(0))
            page.get_by_role("button", name="Confirm and send my letters").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("on their way")
        finally:
            browser.close()

    assert wait_until(
        lambda: smtp_server.messages_to(irene.email) and smtp_server.messages_to(sean.email), 40
    ), letters_worker.log()[-3000:]
    [to_irene] = smtp_server.messages_to(irene.email)
    assert to_irene["Subject"] == "Political prisoners in Kazakhstan"
    assert to_irene["Reply-To"].addresses[0].addr_spec == email
    assert to_irene["From"].addresses[0].display_name == "Aoife Browser"
    assert "Thank you, from Cork." in to_irene.get_content()
    [to_sean] = smtp_server.messages_to(sean.email)
    assert to_sean.get_content().startswith("Dear Mr O'Brien,")
    assert wait_until(
        lambda: set(Letter.objects.values_list("status", flat=True)) == {LetterStatus.SENT}, 10
    )
