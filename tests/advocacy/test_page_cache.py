"""The per-process page cache (config/memo.py): a campaign page is rendered at most once per
PAGE_CACHE_SECONDS and the public counter API read once per COUNTERS_CACHE_SECONDS, while what
differs per visitor (CSRF token, form action, referrer) and the page's count are filled in per
request, escaped."""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from advocacy.models import Signature
from advocacy.views import _SLOTS
from campaign.models import CampaignStatus, Petition
from tests.factories import PetitionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _caches_on(settings):
    settings.RATELIMIT_ENABLED = False
    settings.PAGE_CACHE_SECONDS = 60
    settings.COUNTERS_CACHE_SECONDS = 60


@pytest.fixture
def petition():
    return PetitionFactory(campaign__title="Free them all")


def _page(petition, query=""):
    return f"/campaigns/{petition.campaign.slug}/{query}"


def _csrf_field(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _queries(callable_):
    with CaptureQueriesContext(connection) as queries:
        result = callable_()
    return result, len(queries)


def test_a_second_visitor_is_served_from_memory_with_their_own_token_action_and_referrer(
    petition,
):
    first, first_queries = _queries(lambda: Client().get(_page(petition)))
    second, second_queries = _queries(
        lambda: Client().get(
            _page(petition, "?utm_source=news&x=<b>"),
            HTTP_REFERER='https://evil.example/"><script>alert(1)</script>',
        )
    )

    assert first.status_code == second.status_code == 200
    assert first_queries > 1 and second_queries == 1  # the counter's row, read fresh
    html = second.content.decode()
    assert "Free them all" in html
    assert not any(slot in html for slot in _SLOTS.values())
    assert _csrf_field(html) != _csrf_field(first.content.decode())
    assert 'action="/campaigns/' in html and "utm_source=news&amp;x=%3Cb%3E" in html
    assert "<script>alert(1)" not in html
    assert 'value="https://evil.example/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_a_filled_in_value_is_never_scanned_again_for_placeholders(petition):
    Client().get(_page(petition))  # cached

    response = Client().get(_page(petition), HTTP_REFERER=_SLOTS["csrf"])

    html = response.content.decode()
    assert f'name="referrer" value="{_SLOTS["csrf"]}"' in html
    assert _csrf_field(html) != _SLOTS["csrf"]


def test_the_token_of_a_page_served_from_memory_signs(petition):
    Client().get(_page(petition))  # the next visitor gets the cached copy
    visitor = Client(enforce_csrf_checks=True)
    html = visitor.get(_page(petition)).content.decode()

    response = visitor.post(
        _page(petition),
        {
            "csrfmiddlewaretoken": _csrf_field(html),
            "first_name": "Ana",
            "last_name": "Supporter",
            "email": f"cached-{uuid.uuid4().hex[:8]}@example.net",
            "country": "DE",
            "consent": "on",
        },
    )

    assert response.status_code == 303, response.content.decode()[:2000]
    assert Signature.objects.filter(petition=petition).count() == 1


def test_an_edit_shows_at_once_in_the_process_that_saved_it(petition):
    assert "Free them all" in Client().get(_page(petition)).content.decode()
    campaign = petition.campaign
    campaign.title = "Release every political prisoner"
    campaign.save()

    assert "Release every political prisoner" in Client().get(_page(petition)).content.decode()

    campaign.status = CampaignStatus.CLOSED
    campaign.save()
    assert Client().get(_page(petition)).status_code == 404


def test_the_count_and_whether_the_campaign_is_open_are_read_fresh(petition):
    assert 'id="signature-count">0<' in Client().get(_page(petition)).content.decode()
    # Changes another process made: no signal reaches this one.
    Petition.objects.filter(pk=petition.pk).update(confirmed_count=1, goal=50)

    html = Client().get(_page(petition)).content.decode()
    assert 'id="signature-count">1</strong> person has signed. Our goal: 50.' in html
    Petition.objects.filter(pk=petition.pk).update(confirmed_count=2)
    html = Client().get(_page(petition)).content.decode()
    assert 'id="signature-count">2</strong> people have signed. Our goal: 50.' in html

    type(petition.campaign).objects.filter(pk=petition.campaign.pk).update(
        status=CampaignStatus.CLOSED
    )
    assert Client().get(_page(petition)).status_code == 404


def test_with_the_cache_off_every_visit_reads_the_database(petition, settings):
    settings.PAGE_CACHE_SECONDS = 0
    Client().get(_page(petition))

    response, queries = _queries(lambda: Client().get(_page(petition)))

    assert response.status_code == 200 and queries > 1


def test_an_unknown_campaign_is_a_404_and_is_not_remembered(petition):
    assert Client().get("/campaigns/no-such-campaign/").status_code == 404
    _, queries = _queries(lambda: Client().get("/campaigns/no-such-campaign/"))
    assert queries >= 1


def test_the_public_counter_is_read_once_per_max_age_and_fresh_with_caching_off(petition, settings):
    url = f"/api/v1/campaigns/{petition.campaign.slug}/counters/"
    assert Client().get(url).json()["confirmed"] == 0
    Petition.objects.filter(pk=petition.pk).update(confirmed_count=7)  # a confirmation elsewhere

    cached, queries = _queries(lambda: Client().get(url))
    assert cached.json()["confirmed"] == 0 and queries == 0
    assert cached["Cache-Control"] == "public, max-age=60"

    settings.COUNTERS_CACHE_SECONDS = 0
    assert Client().get(url).json()["confirmed"] == 7
