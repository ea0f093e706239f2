"""End to end in a real headless Chromium: sign on the campaign page, receive the
confirmation through the outbox, a real Celery worker and a real SMTP server, follow the
link, see the counter at 1."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest

from tests.factories import PetitionFactory
from tests.support.browser import CHROMIUM, launch, prepare_live_site
from tests.support.processes import CeleryProcess, start_worker, wait_until
from tests.support.smtp import SmtpServer


@pytest.fixture
def petition_site(live_server, settings, monkeypatch):
    prepare_live_site(live_server, settings, monkeypatch)
    return live_server


@pytest.fixture
def petition_worker(petition_site, smtp_server: SmtpServer) -> Iterator[CeleryProcess]:
    from django.conf import settings

    worker = start_worker(
        smtp_url=smtp_server.url,
        queue=settings.CELERY_TASK_DEFAULT_QUEUE,
        extra_env={"SITE_URL": petition_site.url},
    )
    yield worker
    worker.stop()


@pytest.mark.e2e
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium package is not installed")
def test_a_supporter_signs_confirms_by_mail_and_sees_the_counter_at_one(
    petition_site, petition_worker, smtp_server
):
    from playwright.sync_api import expect, sync_playwright

    petition = PetitionFactory(campaign__title="Free the journalists")
    email = f"browser-{uuid.uuid4().hex[:10]}@example.net"

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.goto(f"{petition_site.url}/campaigns/{petition.campaign.slug}/")
            expect(page.get_by_role("heading", level=1)).to_have_text("Free the journalists")
            expect(page.locator("#signature-count")).to_have_text("0")

            page.get_by_label("First name", exact=True).fill("Ana")
            page.get_by_label("Last name", exact=True).fill("Browser")
            page.get_by_label("E-mail", exact=True).fill(email)
            page.get_by_label("Country", exact=True).select_option("AT")
            page.get_by_label(petition.consent_text).check()
            page.get_by_role("button", name="Sign the petition").click()

            expect(page.get_by_role("heading", level=1)).to_contain_text("check your inbox")

            assert wait_until(lambda: smtp_server.messages_to(email), timeout=40), (
                petition_worker.log()[-3000:]
            )
            [message] = smtp_server.messages_to(email)
            assert message["Subject"] == "Please confirm your signature: Free the journalists"
            assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            body = message.get_content()
            link = re.search(r"http://\S+/confirm/\S+/", body)
            assert link, body
            assert link.group(0).startswith(petition_site.url)

            page.goto(link.group(0))  # opening the link asks; the button confirms
            expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your signature")
            page.get_by_role("button", name="Confirm my signature").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Your signature is confirmed")
            expect(page.locator("#signature-count")).to_have_text("1")

            page.goto(f"{petition_site.url}/campaigns/{petition.campaign.slug}/")
            expect(page.locator("#signature-count")).to_have_text("1")
        finally:
            browser.close()
