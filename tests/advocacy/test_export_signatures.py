"""Organiser admin: counts per campaign, and the streaming CSV export of confirmed
signatures, whose memory stays flat at 100,000 rows."""

from __future__ import annotations

import csv
import io
import tracemalloc

import pytest
from django.utils import timezone

from advocacy.models import Consent, Signature, Supporter
from advocacy.supporters import supporter_erase
from campaign.models import AuditEntry, OrganisationRole
from tests.factories import MembershipFactory, PetitionFactory, SignatureFactory
from tests.support.clock import clear_of_midnight

pytestmark = pytest.mark.django_db


def _organiser(petition, role=OrganisationRole.EDITOR):
    return MembershipFactory(organisation=petition.campaign.organisation, role=role).user


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_the_counts_page_shows_confirmed_pending_and_today(client):
    petition = PetitionFactory()
    clear_of_midnight(30)  # "today" is the page's: it must be the day of these signatures
    SignatureFactory.create_batch(
        2, petition=petition, status="confirmed", confirmed_at=timezone.now()
    )
    SignatureFactory(petition=petition)
    client.force_login(_organiser(petition))

    response = client.get("/admin/advocacy/signature/counts/")

    html = response.content.decode()
    assert response.status_code == 200
    assert petition.campaign.title in html
    assert '<td class="confirmed">2</td>' in html
    assert '<td class="pending">1</td>' in html
    assert '<td class="today">2</td>' in html


def test_organisers_see_only_their_own_campaigns(client):
    mine, theirs = PetitionFactory(), PetitionFactory()
    client.force_login(_organiser(mine))

    html = client.get("/admin/advocacy/signature/counts/").content.decode()

    assert mine.campaign.title in html and theirs.campaign.title not in html
    assert client.get(f"/admin/advocacy/signature/export/{theirs.pk}/").status_code == 404


def test_the_export_needs_a_staff_login(client):
    petition = PetitionFactory()
    response = client.get(f"/admin/advocacy/signature/export/{petition.pk}/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_export_lists_confirmed_signatures_only_and_defuses_formulas(client):
    petition = PetitionFactory()
    confirmed = SignatureFactory(
        petition=petition,
        status="confirmed",
        confirmed_at=timezone.now(),
        supporter__first_name="=HYPERLINK(1)",
        supporter__email="csv@example.net",
    )
    SignatureFactory(petition=petition)  # pending
    erased = SignatureFactory(petition=petition, status="confirmed", confirmed_at=timezone.now())
    supporter_erase(supporter_id=erased.supporter_id)
    client.force_login(_organiser(petition))

    response = client.get(f"/admin/advocacy/signature/export/{petition.pk}/")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = _csv(response)
    assert header[:5] == ["signature_id", "confirmed_at", "first_name", "last_name", "email"]
    assert len(rows) == 2
    by_id = {int(row[0]): row for row in rows}
    assert by_id[confirmed.pk][2] == "'=HYPERLINK(1)"
    assert by_id[confirmed.pk][4] == "csv@example.net"
    assert by_id[erased.pk][2:5] == ["", "", ""]  # erased: still counted, nobody named


def test_exporting_100000_signatures_keeps_memory_flat(client):
    petition = PetitionFactory()
    organisation = petition.campaign.organisation
    now = timezone.now()
    n = 100_000
    supporters = Supporter.objects.bulk_create(
        [
            Supporter(
                organisation=organisation,
                email=f"bulk{i}@example.net",
                first_name="Bulk",
                last_name=f"Signer{i}",
                country="DE",
            )
            for i in range(n)
        ],
        batch_size=5000,
    )
    consents = Consent.objects.bulk_create(
        [
            Consent(
                supporter=s, purpose="signature", text="ok", version=1, given_at=now, channel="page"
            )
            for s in supporters
        ],
        batch_size=5000,
    )
    Signature.objects.bulk_create(
        [
            Signature(
                petition=petition,
                supporter=s,
                consent=c,
                status="confirmed",
                confirmed_at=now,
                country="DE",
                channel="page",
            )
            for s, c in zip(supporters, consents, strict=True)
        ],
        batch_size=5000,
    )
    del supporters, consents
    client.force_login(_organiser(petition))

    tracemalloc.start()
    try:
        response = client.get(f"/admin/advocacy/signature/export/{petition.pk}/")
        lines = 0
        size = 0
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n")
            size += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert lines == n + 1
    assert size > 5_000_000
    # The whole file is several MB; a server-side cursor keeps only one chunk in memory.
    assert peak < 50 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    assert peak < size, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB export"


@pytest.mark.django_db(transaction=True)
def test_an_export_streams_in_its_own_transaction_and_an_abandoned_one_leaves_none_open():
    from django.db import connection

    from advocacy.exports import signatures_csv_lines

    petition = PetitionFactory()
    for _ in range(3):
        SignatureFactory(petition=petition, status="confirmed", confirmed_at=timezone.now())

    lines = signatures_csv_lines(petition_id=petition.pk)
    assert next(lines).startswith("signature_id,")  # the header
    next(lines)  # the first row: the cursor is open, inside the export's transaction
    assert connection.in_atomic_block
    lines.close()  # the client went away
    assert not connection.in_atomic_block
    assert len(list(signatures_csv_lines(petition_id=petition.pk))) == 4


def test_a_viewer_sees_the_counts_but_may_not_download_supporters_data(client):
    petition = PetitionFactory()
    SignatureFactory(petition=petition, status="confirmed", confirmed_at=timezone.now())
    viewer = _organiser(petition, role=OrganisationRole.VIEWER)
    client.force_login(viewer)

    counts = client.get("/admin/advocacy/signature/counts/").content.decode()
    signatures = client.get(f"/admin/advocacy/signature/export/{petition.pk}/?status=all")
    letters = client.get(f"/admin/advocacy/letter/export/{petition.campaign.pk}/")
    dashboard = client.get(f"/admin/dashboard/{petition.campaign.pk}/")

    assert petition.campaign.title in counts
    assert "/signature/export/" not in counts
    # A 403 naming the role, not a 404: the member knows the petition exists.
    assert signatures.status_code == letters.status_code == 403
    assert "editor or owner" in signatures.content.decode()
    assert dashboard.status_code == 200
    assert "/export/" not in dashboard.content.decode()
    assert not AuditEntry.objects.filter(action__endswith=".export").exists()


@pytest.mark.parametrize("role", [OrganisationRole.EDITOR, OrganisationRole.OWNER])
def test_editors_and_owners_are_offered_and_get_the_downloads(client, role):
    petition = PetitionFactory()
    client.force_login(_organiser(petition, role=role))

    counts = client.get("/admin/advocacy/signature/counts/").content.decode()
    dashboard = client.get(f"/admin/dashboard/{petition.campaign.pk}/")
    signatures = client.get(f"/admin/advocacy/signature/export/{petition.pk}/")
    letters = client.get(f"/admin/advocacy/letter/export/{petition.campaign.pk}/")

    assert f"/signature/export/{petition.pk}/" in counts
    assert f"/letter/export/{petition.campaign.pk}/" in dashboard.content.decode()
    assert signatures.status_code == letters.status_code == 200
