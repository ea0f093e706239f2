"""The importer: OEIL summary text → Resolution, Calls and draft Campaigns, idempotently."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from campaign.importer.parser import VOTES_CAST_BOUND
from campaign.importer.services import (
    MAX_CALLS_PER_IMPORT,
    ImportInputError,
    resolution_import,
    resolution_parse,
    resolution_text_decode,
)
from campaign.models import Call, Campaign, CampaignStatus, LetterTemplate, Petition, Resolution
from tests.factories import OrganisationFactory

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "campaign" / "fixtures" / "resolutions"
KAZAKHSTAN = (FIXTURES / "oeil-2022-2505-RSP-kazakhstan.txt").read_text()


def summary(
    *,
    heading: str = "# Resolution on the situation in Georgia",
    metadata: str = "2024/2822(RSP) - 19/09/2024 - Text adopted by Parliament, single reading",
    vote: str = "adopted by 495 votes to 73, with 86 abstentions, a resolution on Georgia",
    calls: tuple[str, ...] = ("Parliament called on the Council to suspend visa-free travel.",),
) -> str:
    """An OEIL summary in the usual layout, with the parts a test is about replaced."""
    parts = [heading, metadata, f"The European Parliament {vote}.", *calls]
    return "\n\n".join(part for part in parts if part) + "\n"


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
        (b"\xef\xbb\xbf", "The file is empty."),
        (b"\xef\xbb\xbf \r\n\t\n", "The file is empty."),
        ("\u200b\u00a0\ufeff\n".encode(), "The file is empty."),
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


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", " \r\n\t\n", "\ufeff", "\u200b \ufeff\n"])
def test_a_text_with_nothing_to_read_is_refused_as_empty(organisation, text):
    with pytest.raises(ImportInputError, match="The text is empty"):
        resolution_import(organisation=organisation, text=text)
    assert Resolution.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "refusal", "warning"),
    [
        (
            summary(vote="adopted a text", calls=("Parliament condemned the arrests.",)),
            "No calls",
            "no vote figures",
        ),
        (summary(metadata="", vote="adopted a text"), "No procedure reference", "no vote figures"),
        (
            summary(heading="", vote="adopted it", calls=("It noted the report.",)),
            "No calls",
            "no title found",
        ),
    ],
)
def test_a_refused_import_says_what_could_not_be_parsed_on_one_line(
    organisation, text, refusal, warning
):
    with pytest.raises(ImportInputError) as refused:
        resolution_import(organisation=organisation, text=text)

    message = refused.value.message
    assert message.startswith(refusal)
    assert "Could not parse: " in message and warning in message.lower()
    assert "\n" not in message
    assert Resolution.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "figures",
    [
        "3,000,000,000 votes to 3",
        "2147483648 votes to 1, with 1 abstention",
        "1,000,000,000,000,000,000,000 votes to 3, with 1 abstention",
        f"{VOTES_CAST_BOUND} votes in favour, 0 against and 0 abstentions",
    ],
)
def test_implausible_vote_figures_are_reported_and_never_stored(organisation, figures):
    text = summary(vote=f"adopted by {figures}, a resolution on Georgia")

    report = resolution_import(organisation=organisation, text=text)

    resolution = Resolution.objects.get()
    assert (resolution.votes_for, resolution.votes_against, resolution.abstentions) == (
        None,
        None,
        None,
    )
    assert any("implausible vote figures" in warning for warning in report.warnings)
    assert len(report.created) == 1
    assert "None" not in Petition.objects.get().text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "addressees",
    [
        [
            "the Vice-President of the Commission / High Representative of the Union for Foreign"
            " Affairs and Security Policy",
            "the Council",
            "the Member States",
            "the European External Action Service",
            "the EU Special Representative for Human Rights",
            "the Organization for Security and Co-operation in Europe",
            "the International Committee of the Red Cross",
        ],
        [f"the UN Special Rapporteur on freedom of expression in region {n}" for n in range(5)],
    ],
)
def test_a_call_on_many_addressees_stores_a_subject_that_fits_its_column(organisation, addressees):
    written = ", ".join(addressees[:-1]) + " and " + addressees[-1]
    text = summary(calls=(f"Parliament called on {written} to release all political prisoners.",))
    limit = LetterTemplate._meta.get_field("subject").max_length

    report = resolution_import(organisation=organisation, text=text)

    assert len(report.created) == 1
    call = Call.objects.get()
    assert len(call.addressees) == len(addressees)
    subject = LetterTemplate.objects.get().subject
    assert len(subject) <= limit
    assert subject.startswith("Please press the ")
    assert call.addressees[0] in subject  # the VP/HR's long title is normalised to "VP/HR"
    if all(name in subject for name in call.addressees):
        assert subject.endswith(" to act: {{ campaign.title }}")
    else:
        assert subject.endswith(" and others to act: {{ campaign.title }}")
    # The five rapporteurs' names do not fit: the subject says so rather than cut one.
    assert ("and others" in subject) is ("Rapporteur" in written)


@pytest.mark.django_db
def test_metadata_longer_than_its_column_is_cut_at_a_word(organisation):
    limit = Resolution._meta.get_field("title").max_length
    heading = "# Resolution on " + " ".join(f"the case of prisoner {n}," for n in range(60))
    assert len(heading) > limit

    resolution_import(organisation=organisation, text=summary(heading=heading))

    title = Resolution.objects.get().title
    assert len(title) <= limit
    assert heading.lstrip("# ").startswith(title)
    assert heading.lstrip("# ")[len(title)] in " ,"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("written", "adopted_on"),
    [
        ("19/10/23", "2023-10-19"),
        ("2023-10-19", "2023-10-19"),
        ("19 October 2023", "2023-10-19"),
        ("Thursday", None),
    ],
)
def test_without_a_heading_the_title_comes_from_the_vote_sentence_not_the_metadata(
    organisation, written, adopted_on
):
    text = summary(
        heading="",
        metadata=f"2023/2890(RSP) - {written} - Text adopted by Parliament, single reading",
        vote="adopted a resolution on the repression in Belarus by 598 votes to 20",
    )

    resolution_import(organisation=organisation, text=text)

    resolution = Resolution.objects.get()
    assert resolution.title == "Resolution on the repression in Belarus"
    assert (str(resolution.adopted_on) if resolution.adopted_on else None) == adopted_on
    assert (resolution.votes_for, resolution.votes_against) == (598, 20)


# --- Re-importing a revised text ------------------------------------------------------------

CALLS = [
    ("the Iranian authorities", "release Narges Mohammadi"),
    ("the Council", "list the Islamic Revolutionary Guard Corps as a terrorist organisation"),
    ("the Member States", "expel the ambassadors"),
    ("the Commission", "fund independent Persian-language media"),
]


def revision(calls: list[tuple[str, str]]) -> str:
    return summary(
        heading="# Resolution on the human rights situation in Iran",
        metadata="2023/2511(RSP) - 19/01/2023 - Text adopted by Parliament, single reading",
        vote="adopted by 516 votes to 4, with 13 abstentions, a resolution on Iran",
        calls=tuple(f"Parliament called on {who} to {what}." for who, what in calls),
    )


def call_of_each_campaign() -> dict[int, str]:
    return dict(Campaign.objects.values_list("pk", "call__action"))


@pytest.fixture
def imported_with_a_published_and_an_edited_campaign(organisation):
    """CALLS imported; the second call's campaign published, the third's draft edited."""
    resolution_import(organisation=organisation, text=revision(CALLS))
    published = Campaign.objects.get(call__action=CALLS[1][1])
    published.status = CampaignStatus.LIVE
    published.save()
    edited = Campaign.objects.get(call__action=CALLS[2][1])
    edited.title = "Send the ambassadors home"
    edited.save()
    return published, edited


@pytest.mark.django_db
@pytest.mark.parametrize("at", [0, 1, 2, 4])
def test_a_call_inserted_in_a_revised_text_leaves_every_campaign_on_its_own_call(
    organisation, imported_with_a_published_and_an_edited_campaign, at
):
    published, edited = imported_with_a_published_and_an_edited_campaign
    before = call_of_each_campaign()
    inserted = ("the Iranian authorities", "halt all executions")
    revised = [*CALLS[:at], inserted, *CALLS[at:]]

    report = resolution_import(organisation=organisation, text=revision(revised))

    assert report.created == ["Halt all executions in Iran"]
    assert report.updated == [] and report.disappeared == []
    after = call_of_each_campaign()
    assert {pk: after[pk] for pk in before} == before
    assert list(Call.objects.order_by("position").values_list("action", flat=True)) == [
        what for _, what in revised
    ]
    assert list(Call.objects.values_list("position", flat=True).order_by("position")) == [
        1,
        2,
        3,
        4,
        5,
    ]
    edited.refresh_from_db()
    published.refresh_from_db()
    assert edited.title == "Send the ambassadors home"
    assert published.status == CampaignStatus.LIVE


@pytest.mark.django_db
@pytest.mark.parametrize("removed", [0, 1, 3])
def test_a_call_removed_from_a_revised_text_is_reported_and_its_campaign_kept(
    organisation, imported_with_a_published_and_an_edited_campaign, removed
):
    before = call_of_each_campaign()
    gone = Campaign.objects.get(call__action=CALLS[removed][1])

    report = resolution_import(
        organisation=organisation, text=revision(CALLS[:removed] + CALLS[removed + 1 :])
    )

    assert report.disappeared == [gone.title]
    assert report.created == [] and report.updated == []
    assert call_of_each_campaign() == before
    gone.refresh_from_db()
    assert gone.call is not None and gone.call.position == len(CALLS)


@pytest.mark.django_db
def test_a_call_reworded_in_place_updates_an_untouched_draft_but_not_a_published_one(
    organisation, imported_with_a_published_and_an_edited_campaign
):
    published, _ = imported_with_a_published_and_an_edited_campaign
    untouched = Campaign.objects.get(call__action=CALLS[3][1])
    reworded = list(CALLS)
    reworded[1] = ("the Council", "list the IRGC as a terrorist organisation without delay")
    reworded[3] = ("the Commission", "fund independent media in Persian")

    report = resolution_import(organisation=organisation, text=revision(reworded))

    assert report.left_alone == [published.title]
    assert report.updated == ["Fund independent media in Persian in Iran"]
    assert report.created == [] and report.disappeared == []
    published.refresh_from_db()
    untouched.refresh_from_db()
    assert published.call is not None
    assert published.call.action == CALLS[1][1]
    assert published.call.position == 2
    assert untouched.call is not None
    assert untouched.call.action == "fund independent media in Persian"


@pytest.mark.django_db
def test_an_insertion_next_to_a_reworded_call_is_never_guessed_onto_its_campaign(
    organisation, imported_with_a_published_and_an_edited_campaign
):
    published, _ = imported_with_a_published_and_an_edited_campaign
    before = call_of_each_campaign()
    revised = [
        CALLS[0],
        ("the Iranian authorities", "halt all executions"),
        ("the Council", "list the IRGC as a terrorist organisation"),
        *CALLS[2:],
    ]

    report = resolution_import(organisation=organisation, text=revision(revised))

    assert report.disappeared == [published.title]
    assert len(report.created) == 2 and report.left_alone == []
    after = call_of_each_campaign()
    assert {pk: after[pk] for pk in before} == before


@pytest.mark.django_db
def test_only_the_ticked_calls_of_a_revised_text_are_created_and_the_rest_keep_their_place(
    organisation, imported_with_a_published_and_an_edited_campaign
):
    before = call_of_each_campaign()
    revised = [("the Iranian authorities", "halt all executions"), *CALLS]

    report = resolution_import(organisation=organisation, text=revision(revised), positions={3, 4})

    assert report.created == []
    assert call_of_each_campaign() == before
    assert list(Call.objects.order_by("position").values_list("position", "action")) == [
        (position, what) for position, (_, what) in enumerate(revised, start=1) if position > 1
    ]


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
    # Each campaign it would create names whom it addresses, checked before anything is written.
    would = [line for line in out.getvalue().splitlines() if "would create: " in line]
    assert len(would) == 12
    assert all("  → " in line for line in would)
    assert any(line.endswith("→ Government of Kazakhstan") for line in would), would
    assert any(line.endswith("→ President Tokayev") for line in would), would


@pytest.mark.django_db
def test_the_command_reports_implausible_vote_figures_and_imports_the_rest(organisation, tmp_path):
    source = tmp_path / "huge.txt"
    source.write_text(summary(vote="adopted by 1,000,000,000,000,000,000,000 votes to 3"))
    out = StringIO()

    call_command("import_resolution", str(source), organisation=organisation.slug, stdout=out)

    assert "could not parse: implausible vote figures" in out.getvalue()
    assert "created 1," in out.getvalue()
    assert Resolution.objects.get().votes_for is None


@pytest.mark.django_db
def test_the_command_lists_the_calls_a_revised_text_no_longer_has(organisation, tmp_path):
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text(revision(CALLS))
    second.write_text(revision(CALLS[1:]))
    call_command("import_resolution", str(first), organisation=organisation.slug, stdout=StringIO())
    out = StringIO()

    call_command("import_resolution", str(second), organisation=organisation.slug, stdout=out)

    assert (
        "no longer in the text (campaign kept, please review): Release Narges Mohammadi in Iran"
    ) in out.getvalue()


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
        (b"\xef\xbb\xbf", "The file is empty."),
        (
            b"2023/2890(RSP) - 19/10/2023\n\nParliament condemned everything.",
            "Could not parse: no procedure stage found; no vote figures found",
        ),
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


# --- Inputs from elsewhere ------------------------------------------------------------------


def test_a_nul_byte_anywhere_is_refused_as_binary_not_stored():
    data = KAZAKHSTAN.encode() + b"\n\nA last paragraph with a \x00 in it.\n"
    assert len(data) > 8192 or data.index(b"\x00") > 4000

    with pytest.raises(ImportInputError, match="binary"):
        resolution_text_decode(data=data)
    with pytest.raises(ImportInputError, match="NUL"):
        resolution_parse(text=data.decode())


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_file_is_named_as_such(encoding):
    with pytest.raises(ImportInputError, match="UTF-16"):
        resolution_text_decode(data=KAZAKHSTAN.encode(encoding))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "problem"),
    [("javascript:alert(1)", "not an http"), ("https://example.org/" + "a" * 600, "longer than")],
)
def test_a_bad_source_url_is_refused_naming_the_field_and_nothing_is_stored(
    organisation, url, problem
):
    with pytest.raises(ImportInputError, match=problem) as refused:
        resolution_import(organisation=organisation, text=KAZAKHSTAN, source_url=url)

    assert list(refused.value.fields) == ["source_url"]
    assert Resolution.objects.count() == 0


@pytest.mark.django_db
def test_the_command_refuses_a_bad_source_url_in_one_line(organisation, tmp_path):
    source = tmp_path / "summary.txt"
    source.write_text(KAZAKHSTAN)

    with pytest.raises(CommandError, match="not an http"):
        call_command("import_resolution", str(source), source_url="ftp://example.org/x")


@pytest.mark.django_db
def test_the_command_says_what_is_wrong_with_the_path_and_the_organisation(tmp_path):
    with pytest.raises(CommandError, match="No organisation exists yet"):
        call_command("import_resolution", str(tmp_path))
    OrganisationFactory(slug="first")
    OrganisationFactory(slug="second")
    with pytest.raises(CommandError, match=r"--organisation SLUG \(first, second\)"):
        call_command("import_resolution", str(tmp_path))
    with pytest.raises(CommandError, match="is a directory"):
        call_command("import_resolution", str(tmp_path), organisation="first")


@pytest.mark.django_db
def test_a_resolution_without_a_date_gets_letters_that_do_not_mention_one(organisation):
    undated = "\n".join(line.replace(" - 20/01/2022", "") for line in KAZAKHSTAN.splitlines())

    resolution_import(organisation=organisation, text=undated)

    bodies = list(LetterTemplate.objects.values_list("body", flat=True))
    assert bodies and not any("adopted on" in body for body in bodies)
    assert all("({{ resolution.reference }}), the European Parliament" in body for body in bodies)


@pytest.mark.django_db
def test_a_text_with_more_calls_than_a_resolution_holds_is_refused_and_nothing_is_written(
    organisation,
):
    calls = "\n\n".join(
        f"Parliament called on the Commission to fund project number {n} in full."
        for n in range(MAX_CALLS_PER_IMPORT + 1)
    )
    text = KAZAKHSTAN + "\n\n" + calls

    with pytest.raises(ImportInputError, match="several resolutions pasted together"):
        resolution_import(organisation=organisation, text=text)
    assert Resolution.objects.count() == 0 and Campaign.objects.count() == 0
