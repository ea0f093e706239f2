"""The importer: OEIL summary text → Resolution, Calls and draft Campaigns, idempotently."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from campaign.importer.services import (
    ImportInputError,
    resolution_import,
    resolution_text_decode,
)
from campaign.models import Call, Campaign, CampaignStatus, LetterTemplate, Petition, Resolution
from tests.factories import OrganisationFactory

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "campaign" / "fixtures" / "resolutions"
KAZAKHSTAN = (FIXTURES / "oeil-2022-2505-RSP-kazakhstan.txt").read_text()


@pytest.fixture
def organisation():
    return OrganisationFactory(slug="amnesty-demo", name="Demo Rights")


@pytest.mark.django_db
def test_the_founding_text_becomes_a_resolution_with_twelve_draft_campaigns(organisation):
    report = resolution_import(organisation=organisation, text=KAZAKHSTAN)

    resolution = Resolution.objects.get()
    assert report.resolution_created and len(report.created) == 12
    assert resolution.procedure_reference == "2022/2505(RSP)"
    assert str(resolution.adopted_on) == "2022-01-20"
    assert (resolution.votes_for, resolution.votes_against, resolution.abstentions) == (589, 35, 47)
    assert resolution.title == "Resolution on the situation in Kazakhstan"
    assert Call.objects.filter(resolution=resolution).count() == 12
    campaigns = Campaign.objects.filter(organisation=organisation)
    assert campaigns.count() == 12
    assert set(campaigns.values_list("status", flat=True)) == {CampaignStatus.DRAFT}
    assert Petition.objects.filter(campaign__in=campaigns).count() == 12
    assert LetterTemplate.objects.filter(campaign__in=campaigns, language="en").count() == 12
    titles = set(campaigns.values_list("title", flat=True))
    assert "Release all political prisoners in Kazakhstan" in titles
    petition = Petition.objects.get(campaign__title="Release all political prisoners in Kazakhstan")
    assert "2022/2505(RSP)" in petition.text and "589" in petition.text


@pytest.mark.django_db
def test_importing_the_same_text_again_creates_nothing(organisation):
    resolution_import(organisation=organisation, text=KAZAKHSTAN)
    before = (Campaign.objects.count(), Call.objects.count(), Petition.objects.count())

    report = resolution_import(organisation=organisation, text=KAZAKHSTAN)

    assert not report.changed_anything
    assert len(report.unchanged) == 12
    assert (Campaign.objects.count(), Call.objects.count(), Petition.objects.count()) == before


@pytest.mark.django_db
def test_a_revised_text_updates_untouched_drafts_and_leaves_edited_ones_alone(organisation):
    resolution_import(organisation=organisation, text=KAZAKHSTAN)
    edited = Campaign.objects.get(title="Release all political prisoners in Kazakhstan")
    edited.title = "Free Kazakhstan's political prisoners"
    edited.save()
    published = Campaign.objects.get(title="Revise the definition of extremism in Kazakhstan")
    published.status = CampaignStatus.LIVE
    published.save()

    revised = KAZAKHSTAN.replace("Kazakhstan", "Kasakhstan").replace("Kazakh ", "Kasakh ")
    report = resolution_import(organisation=organisation, text=revised)

    assert report.resolution_updated
    assert "Free Kazakhstan's political prisoners" in report.left_alone
    assert "Revise the definition of extremism in Kazakhstan" in report.left_alone
    assert len(report.updated) == 10
    edited.refresh_from_db()
    assert edited.title == "Free Kazakhstan's political prisoners"
    assert Campaign.objects.count() == 12
    assert Resolution.objects.get().source_text == revised


@pytest.mark.django_db
def test_a_dry_run_reports_everything_and_writes_nothing(organisation):
    report = resolution_import(organisation=organisation, text=KAZAKHSTAN, dry_run=True)

    assert len(report.created) == 12 and report.dry_run
    assert Resolution.objects.count() == 0
    assert Campaign.objects.count() == 0


@pytest.mark.django_db
def test_only_the_chosen_calls_become_campaigns(organisation):
    report = resolution_import(organisation=organisation, text=KAZAKHSTAN, positions={1, 4})
    assert len(report.created) == 2
    assert Campaign.objects.count() == 2


@pytest.mark.django_db
def test_publishing_on_import_makes_the_campaigns_live(organisation):
    resolution_import(organisation=organisation, text=KAZAKHSTAN, publish=True)
    assert set(Campaign.objects.values_list("status", flat=True)) == {CampaignStatus.LIVE}
    assert not Campaign.objects.filter(published_at=None).exists()


@pytest.mark.django_db
def test_two_organisations_import_the_same_resolution_separately():
    first, second = OrganisationFactory(), OrganisationFactory()
    resolution_import(organisation=first, text=KAZAKHSTAN)
    resolution_import(organisation=second, text=KAZAKHSTAN)
    assert Resolution.objects.count() == 2
    assert Campaign.objects.count() == 24
    assert Campaign.objects.values("slug").distinct().count() == 24


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", sorted(p.name for p in FIXTURES.glob("*.txt") if "condemnations" not in p.name)
)
def test_every_shipped_summary_imports(organisation, name):
    report = resolution_import(organisation=organisation, text=(FIXTURES / name).read_text())
    assert report.created
    assert Campaign.objects.count() == len(report.created)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x00\x01\x02binary", "binary"),
        (bytes(range(1, 32)) * 40, "binary"),
        ("caf\u00e9".encode("latin-1"), "not valid UTF-8"),
        (b"a" * 20_000_000, "larger than"),
    ],
)
def test_bad_files_get_one_clear_error(data, message):
    with pytest.raises(ImportInputError, match=message):
        resolution_text_decode(data=data)


@pytest.mark.django_db
def test_a_text_without_calls_is_refused_and_nothing_is_written(organisation):
    text = (FIXTURES / "condemnations-only.txt").read_text()
    with pytest.raises(ImportInputError, match="No calls"):
        resolution_import(organisation=organisation, text=text)
    assert Resolution.objects.count() == 0


# --- The command ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_imports_a_file_and_prints_what_it_did(organisation):
    out = StringIO()
    call_command(
        "import_resolution",
        str(FIXTURES / "oeil-2022-2505-RSP-kazakhstan.txt"),
        organisation=organisation.slug,
        stdout=out,
    )
    assert "Resolution 2022/2505(RSP): new." in out.getvalue()
    assert "created 12, updated 0, unchanged 0, left alone 0" in out.getvalue()
    assert Campaign.objects.filter(status=CampaignStatus.DRAFT).count() == 12


@pytest.mark.django_db
def test_the_command_dry_run_changes_nothing(organisation):
    out = StringIO()
    call_command(
        "import_resolution",
        str(FIXTURES / "oeil-2022-2505-RSP-kazakhstan.txt"),
        organisation=organisation.slug,
        dry_run=True,
        stdout=out,
    )
    assert "dry run, nothing was written" in out.getvalue()
    assert Campaign.objects.count() == 0


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_organisation(organisation):
    with pytest.raises(CommandError, match="No organisation"):
        call_command("import_resolution", "-", organisation="nope")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "The file is empty."),
        (b"\x00\xff\x00binary", "binary"),
        (b"\xff\xfe not utf-8 \xe9", "not valid UTF-8"),
        (b"Parliament condemned everything.", "No procedure reference"),
    ],
)
def test_the_command_exits_non_zero_with_one_line_on_bad_input(tmp_path, content, expected):
    from tests.support.processes import test_database_url

    OrganisationFactory(slug="only-one")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    import os

    env = {**os.environ, "DATABASE_URL": test_database_url()}
    result = subprocess.run(
        [sys.executable, "manage.py", "import_resolution", str(bad)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert Resolution.objects.count() == 0


@pytest.mark.django_db
def test_slugs_stay_unique_after_many_imports_of_the_same_name_long_or_short():
    from campaign.importer.services import _unique_slug
    from tests.factories import CampaignFactory

    for base in ("release-prisoners", "x" * 80):
        taken = []
        for _ in range(12):
            slug = _unique_slug(base)
            assert len(slug) <= 80 and slug not in taken
            CampaignFactory(slug=slug)
            taken.append(slug)
        assert taken[0] == base and taken[1].endswith("-2") and taken[11].endswith("-12")
