"""The organiser's day in a real headless Chromium: log in, import the founding resolution
(paste → preview → create), publish one campaign, and watch a supporter's signature arrive on
the campaign's dashboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from advocacy.models import Signature
from advocacy.tokens import token_make
from campaign.models import Campaign, CampaignStatus, OrganisationRole
from tests.factories import MembershipFactory
from tests.support.browser import CHROMIUM, launch, prepare_live_site
from tests.support.clock import clear_of_midnight

FOUNDING_TEXT = (
    Path(__file__).resolve().parents[2]
    / "campaign/fixtures/resolutions/oeil-2022-2505-RSP-kazakhstan.txt"
).read_text()
CAMPAIGN = "Release all political prisoners in Kazakhstan"


@pytest.fixture
def site(live_server, settings, monkeypatch):
    prepare_live_site(live_server, settings, monkeypatch)
    return live_server


@pytest.mark.e2e
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium package is not installed")
def test_an_organiser_imports_publishes_and_sees_a_signature_arrive(site):
    from playwright.sync_api import expect, sync_playwright

    membership = MembershipFactory(role=OrganisationRole.EDITOR, user__username="organiser")

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            admin = browser.new_page()
            admin.goto(f"{site.url}/admin/")
            admin.get_by_label("Username").fill("organiser")
            admin.get_by_label("Password").fill("correct horse battery staple")
            admin.get_by_role("button", name="Log in").click()
            expect(admin.get_by_role("link", name="Resolutions")).to_be_visible()

            # Import: paste, preview (12 calls with their source sentences), create.
            admin.goto(f"{site.url}/admin/campaign/resolution/")
            admin.get_by_role("link", name="Import a resolution").click()
            admin.get_by_label("Organisation").select_option(str(membership.organisation.pk))
            admin.get_by_label("Text").fill(FOUNDING_TEXT)
            admin.get_by_role("button", name="Preview").click()
            expect(admin.locator("#calls tbody tr")).to_have_count(12)
            expect(admin.get_by_role("cell", name="2022/2505(RSP)")).to_be_visible()
            admin.get_by_role("button", name="Create draft campaigns").click()
            expect(admin.get_by_text("created 12")).to_be_visible()
            assert Campaign.objects.filter(status=CampaignStatus.DRAFT).count() == 12

            # Publish one campaign with the admin action.
            campaign = Campaign.objects.get(title=CAMPAIGN)
            admin.goto(f"{site.url}/admin/campaign/campaign/")
            admin.locator(f'input[name="_selected_action"][value="{campaign.pk}"]').check()
            admin.locator('select[name="action"]').select_option("publish")
            admin.get_by_role("button", name=re.compile("^(Go|Run)$")).click()
            expect(admin.get_by_text("1 campaign(s) now live.")).to_be_visible()

            # A supporter signs on the public page and confirms.
            supporter = browser.new_page()
            supporter.goto(f"{site.url}/campaigns/{campaign.slug}/")
            supporter.get_by_label("First name", exact=True).fill("Dana")
            supporter.get_by_label("Last name", exact=True).fill("Supporter")
            supporter.get_by_label("E-mail", exact=True).fill("dana.supporter@example.net")
            supporter.get_by_label("Country", exact=True).select_option("BE")
            supporter.get_by_label(campaign.petition.consent_text).check()
            supporter.get_by_role("button", name="Sign the petition").click()
            expect(supporter.get_by_role("heading", level=1)).to_contain_text("check your inbox")
            signature = Signature.objects.get(petition__campaign=campaign)
            # The mail path (outbox → worker → SMTP) has its own browser test; here the link
            # is built the same way the confirmation mail builds it.
            token = token_make(purpose="signature_confirm", object_id=signature.pk)
            clear_of_midnight(60)  # confirmed "today" as the dashboard below counts it
            supporter.goto(f"{site.url}/confirm/{token}/")
            supporter.get_by_role("button", name="Confirm my signature").click()
            expect(supporter.locator("#signature-count")).to_have_text("1")

            # The organiser's dashboard shows it.
            admin.goto(f"{site.url}/admin/campaign/campaign/")
            admin.get_by_role("row", name=re.compile(CAMPAIGN)).get_by_role(
                "link", name="Dashboard"
            ).click()
            expect(admin.locator("#confirmed-count")).to_have_text("1")
            expect(admin.locator("#today-count")).to_have_text("1")
            expect(admin.locator("#dashboard")).to_contain_text("BE")
        finally:
            browser.close()
