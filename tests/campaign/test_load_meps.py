"""`manage.py load_meps`: the shipped data, loaded and counted against its source."""

from __future__ import annotations

import csv
import io
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from campaign.directory import DATA_DIR
from campaign.models import Body, BodyMembership, Mandate, Mep, RollCall, RollCallVote
from tests.factories import MepFactory

SHARED_DATA = Path("/work/shared/data")
TERM10 = "meps_term10.csv"
VOTES = "ep9_2022_2505_rsp_mep_votes.csv"
ROLL_CALLS = "ep9_2022_2505_rsp_rollcalls.csv"
MEMBERSHIPS = "mep_memberships.csv"


def _load() -> str:
    out = io.StringIO()
    call_command("load_meps", stdout=out)
    return out.getvalue()


@pytest.fixture
def loaded(db: None) -> str:
    return _load()


def test_loading_gives_the_718_sitting_meps_of_the_10th_term(loaded):
    assert Mep.objects.filter(in_office=True).count() == 718
    assert Mep.objects.filter(in_office=True).exclude(term=10).count() == 0


def test_an_mep_of_both_terms_is_one_row_with_two_mandates(loaded):
    # 867 term-9 MEPs + 736 term-10 MEPs, 339 of them in both (README).
    assert Mep.objects.count() == 867 + 736 - 339
    assert Mandate.objects.filter(term=9).count() == 867
    assert Mandate.objects.filter(term=10).count() == 736
    bernhuber = Mep.objects.get(ep_id=197648)
    assert sorted(bernhuber.mandates.values_list("term", flat=True)) == [9, 10]
    assert bernhuber.term == 10 and bernhuber.in_office


def test_the_final_vote_counts_589_for_35_against_47_abstentions(loaded):
    final = RollCall.objects.get(ep_id=139038)
    assert final.is_final_vote
    counts = {
        position: final.votes.filter(position=position).count()
        for position in ("for", "against", "abstention")
    }
    assert counts == {"for": 589, "against": 35, "abstention": 47}
    assert (final.votes_for, final.votes_against, final.abstentions) == (589, 35, 47)
    assert RollCall.objects.count() == 5
    assert RollCallVote.objects.count() == 3381


def test_guessed_addresses_are_left_blank_and_listed_ones_kept(loaded):
    sitting = Mep.objects.filter(term=10)
    assert sitting.filter(email="").count() == 8
    assert Mep.objects.get(ep_id=197648).email == "alexander.bernhuber@europarl.europa.eu"
    # The truncated source address ("@europarl.europ") is not kept either.
    assert not Mep.objects.filter(email__endswith="@europarl.europ").exists()


def test_dcas_has_its_34_members_and_substitutes_in_the_10th_term(loaded):
    dcas = Body.objects.get(code="DCAS")
    assert dcas.body_type == "delegation"
    memberships = BodyMembership.objects.filter(body=dcas, term=10)
    assert memberships.count() == 34
    chair = memberships.get(role="chair").mep
    assert (chair.first_name, chair.last_name) == ("Giusi", "PRINCI")
    assert memberships.filter(role="vice_chair").count() == 2


def test_memberships_without_a_known_body_are_skipped(loaded):
    assert not Body.objects.filter(code="UNKNOWN").exists()
    assert Body.objects.count() == 79
    assert "skipped" in loaded


def test_loading_again_changes_nothing_and_prints_counts(loaded):
    before = (
        Mep.objects.count(),
        Mandate.objects.count(),
        BodyMembership.objects.count(),
        RollCallVote.objects.count(),
    )
    ids = set(Mep.objects.values_list("pk", flat=True))

    output = _load()

    assert (
        Mep.objects.count(),
        Mandate.objects.count(),
        BodyMembership.objects.count(),
        RollCallVote.objects.count(),
    ) == before
    assert set(Mep.objects.values_list("pk", flat=True)) == ids
    assert "meps: 1264 loaded, 718 in office" in output


def test_an_mep_no_longer_in_the_data_is_marked_not_in_office_but_kept(loaded):
    gone = MepFactory(in_office=True)

    _load()

    gone.refresh_from_db()
    assert gone.in_office is False


def test_a_full_load_into_an_empty_database_is_fast(db):
    started = time.monotonic()
    _load()
    assert time.monotonic() - started < 30


# --- Bad input: refused whole, or skipped row by row and reported --------------------------

Rows = list[dict[str, str]]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A private copy of the data to break (the shared copy if present, else the shipped)."""
    source = SHARED_DATA if (SHARED_DATA / TERM10).exists() else DATA_DIR
    target = tmp_path / "data"
    shutil.copytree(source, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


def _edit(
    path: Path, change: Callable[[Rows], object], *, new_columns: tuple[str, ...] = ()
) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = [*(reader.fieldnames or []), *new_columns]
        rows = list(reader)
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def _load_from(data_dir: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("load_meps", "--data-dir", str(data_dir), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _refused(data_dir: Path, *args: str) -> str:
    with pytest.raises(CommandError) as raised:
        _load_from(data_dir, *args)
    message = str(raised.value)
    assert "\n" not in message
    return message


def _sitting() -> int:
    return Mep.objects.filter(in_office=True).count()


@pytest.mark.parametrize("content", ["", "header"])
def test_an_empty_or_header_only_term10_file_is_refused_and_nobody_leaves_office(
    loaded, data, content
):
    path = data / TERM10
    header = path.read_text(encoding="utf-8").splitlines()[0]
    path.write_text(header + "\n" if content else "", encoding="utf-8")

    message = _refused(data)

    assert TERM10 in message
    assert _sitting() == 718


def test_a_load_that_would_retire_most_sitting_meps_needs_allow_retire(loaded, data):
    _edit(data / TERM10, lambda rows: rows.__delitem__(slice(20, None)))

    message = _refused(data)

    assert "--allow-retire" in message and "sitting MEPs out of office" in message
    assert _sitting() == 718
    _load_from(data, "--allow-retire")
    assert _sitting() == 20


def test_a_missing_directory_or_a_file_given_as_directory_is_one_line(db, data):
    assert "no such directory" in _refused(data / "nope")
    assert "not a directory" in _refused(data / TERM10)


def test_a_missing_votes_file_is_named_and_nothing_is_loaded(db, data):
    (data / VOTES).unlink()

    assert VOTES in _refused(data)
    assert not Mep.objects.exists()


def test_a_byte_order_mark_is_not_part_of_the_first_column(db, data):
    path = data / TERM10
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    _load_from(data)

    assert _sitting() == 718


def _resave(path: Path, delimiter: str) -> None:
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)


def test_a_semicolon_separated_file_as_excel_saves_it_in_eu_locales_is_loaded(db, data):
    _resave(data / TERM10, ";")
    _resave(data / VOTES, ";")

    _load_from(data)

    assert _sitting() == 718 and RollCallVote.objects.count() == 3381


def test_a_semicolon_file_without_the_columns_is_refused_by_name(db, data):
    path = data / TERM10
    path.write_text("ep_mep_id;name\n1;A\n", encoding="utf-8")

    message = _refused(data)

    assert TERM10 in message and "semicolons" in message and "country_code" in message


def test_latin1_bytes_are_reported_with_file_line_and_offset(db, data):
    path = data / TERM10
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1", errors="replace"))

    message = _refused(data)

    assert message.startswith(f"nothing loaded: {TERM10}:") and "not UTF-8" in message
    assert "offset" in message


def test_a_missing_required_column_is_named(db, data):
    path = data / TERM10
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("country_code", "land", 1), encoding="utf-8")

    assert "missing required column(s): country_code" in _refused(data)


def _set(column: str, value: str, index: int = 2) -> Callable[[Rows], object]:
    return lambda rows: rows[index].__setitem__(column, value)


def _repeat(index: int) -> Callable[[Rows], object]:
    return lambda rows: rows.append(dict(rows[index]))


# Row 3 of meps_term10.csv is a 10th-term-only MEP with 5 memberships: skipped into an empty
# database, she is one MEP and 5 memberships fewer (each reported), and nothing else is lost.
@pytest.mark.parametrize(
    ("file", "change", "reported", "meps", "votes", "memberships"),
    [
        (TERM10, _set("ep_mep_id", "abc"), f"{TERM10}:4 ep_mep_id=abc:", 1263, 3381, 8235),
        (TERM10, _set("ep_mep_id", ""), f"{TERM10}:4 ep_mep_id=:", 1263, 3381, 8235),
        (TERM10, _set("country_code", "DEU"), f"{TERM10}:4 country_code=DEU:", 1263, 3381, 8235),
        (TERM10, _set("gender", "Female"), f"{TERM10}:4 gender=Female:", 1263, 3381, 8235),
        (TERM10, _repeat(4), f"{TERM10}:738 ep_mep_id=", 1264, 3381, 8240),
        (VOTES, _set("position", "yes"), f"{VOTES}:4 position=yes:", 1264, 3380, 8240),
        (VOTES, _repeat(0), f"{VOTES}:3383 ep_mep_id=", 1264, 3381, 8240),
        (
            VOTES,
            _set("ep_mep_id", "999999999"),
            f"{VOTES}:4 ep_mep_id=999999999:",
            1264,
            3380,
            8240,
        ),
        (MEMBERSHIPS, _set("ep_mep_id", "x"), f"{MEMBERSHIPS}:4 ep_mep_id=x:", 1264, 3381, 8239),
        (MEMBERSHIPS, _set("role", "Boss"), f"{MEMBERSHIPS}:4 role=Boss:", 1264, 3381, 8239),
        (MEMBERSHIPS, _set("term", "11"), f"{MEMBERSHIPS}:4 term=11:", 1264, 3381, 8239),
        # Longer than the database column, or past an integer column: reported, not a crash.
        (
            TERM10,
            _set("eu_group", "Group of the European People's Party (Christian Democrats)"),
            f"{TERM10}:4 eu_group=Group of the European",
            1263,
            3381,
            8235,
        ),
        (TERM10, _set("last_name", "X" * 101), f"{TERM10}:4 last_name=XXX", 1263, 3381, 8235),
        (
            TERM10,
            _set("ep_mep_id", "99999999999"),
            f"{TERM10}:4 ep_mep_id=99999999999: larger than",
            1263,
            3381,
            8235,
        ),
        # Thousands of digits: int() itself refuses them (was a traceback).
        (
            TERM10,
            _set("ep_mep_id", "9" * 5000),
            f"{TERM10}:4 ep_mep_id={'9' * 80}…: larger than",
            1263,
            3381,
            8235,
        ),
        # A terminal escape in a value is shown escaped, never sent to the operator's terminal.
        (
            TERM10,
            _set("country_code", "D\x1b[2JE"),
            f"{TERM10}:4 country_code=D\\x1b[2JE:",
            1263,
            3381,
            8235,
        ),
        (
            VOTES,
            _set("eu_group_at_vote", "G" * 41),
            f"{VOTES}:4 eu_group_at_vote=",
            1264,
            3380,
            8240,
        ),
    ],
)
def test_a_bad_row_is_reported_by_line_and_the_valid_rows_are_loaded(
    db, data, file, change, reported, meps, votes, memberships
):
    _edit(data / file, change)

    err_lines = _stderr_of(data)

    assert any(line.startswith(reported) for line in err_lines), err_lines
    assert (Mep.objects.count(), RollCallVote.objects.count()) == (meps, votes)
    assert BodyMembership.objects.count() == memberships


def _stderr_of(data_dir: Path) -> list[str]:
    """The problem lines of a load that skipped something (and so exited non-zero)."""
    err = io.StringIO()
    with pytest.raises(CommandError, match="problem"):
        call_command("load_meps", "--data-dir", str(data_dir), stdout=io.StringIO(), stderr=err)
    return err.getvalue().splitlines()


def test_a_bad_roll_call_date_skips_that_roll_call_and_says_so(db, data):
    _edit(data / ROLL_CALLS, _set("datetime_utc", "20/01/2022 12:00", index=0))

    err = _stderr_of(data)

    assert err[0].startswith(f"{ROLL_CALLS}:2 datetime_utc=20/01/2022 12:00:")
    assert RollCall.objects.count() == 4
    assert Mep.objects.filter(in_office=True).count() == 718


def test_a_bad_date_keeps_the_stored_mandate_start(loaded, data):
    mandate = Mandate.objects.filter(term=10, start__isnull=False).first()
    assert mandate is not None
    stored = mandate.start
    ep_id = str(mandate.mep.ep_id)
    _edit(
        data / TERM10,
        lambda rows: [r.update(start="16/07/2024") for r in rows if r["ep_mep_id"] == ep_id],
    )

    err = _stderr_of(data)

    assert any("start=16/07/2024: not a date" in line for line in err)
    mandate.refresh_from_db()
    assert mandate.start == stored


def test_a_bad_email_keeps_the_stored_address(loaded, data):
    _edit(
        data / TERM10,
        lambda rows: [r.update(email="not-an-email") for r in rows if r["ep_mep_id"] == "197648"],
    )

    err = _stderr_of(data)

    assert any("email=not-an-email" in line for line in err)
    assert Mep.objects.get(ep_id=197648).email == "alexander.bernhuber@europarl.europa.eu"


def test_a_lower_case_country_is_stored_upper_case(db, data):
    _edit(
        data / TERM10,
        lambda rows: [r.update(country_code="at") for r in rows if r["ep_mep_id"] == "197648"],
    )

    _load_from(data)

    assert Mep.objects.get(ep_id=197648).country_code == "AT"


def test_the_roll_calls_of_any_resolution_in_the_directory_are_loaded(db, data):
    (data / ROLL_CALLS).rename(data / "ep10_2025_0001_rsp_rollcalls.csv")
    (data / VOTES).rename(data / "ep10_2025_0001_rsp_mep_votes.csv")

    _load_from(data)

    assert RollCall.objects.count() == 5 and RollCallVote.objects.count() == 3381


def test_a_skipped_row_leaves_the_stored_mep_in_office_with_her_memberships(loaded, data):
    # 197648 sits in both terms: her term-9 row alone must not make her a former MEP.
    before = BodyMembership.objects.filter(mep__ep_id=197648).count()
    _edit(
        data / TERM10,
        lambda rows: [r.update(gender="Female") for r in rows if r["ep_mep_id"] == "197648"],
    )

    err = _stderr_of(data)

    assert len(err) == 1 and "gender=Female" in err[0]
    bernhuber = Mep.objects.get(ep_id=197648)
    assert bernhuber.in_office and bernhuber.term == 10
    assert BodyMembership.objects.filter(mep=bernhuber).count() == before
    assert _sitting() == 718


# --- Partial directories, spreadsheet edits, files that are not CSV -------------------------


def _only(data: Path, *names: str) -> Path:
    """A directory holding only `names` of the data."""
    target = data.parent / "only"
    target.mkdir()
    for name in names:
        shutil.copy(data / name, target / name)
    return target


def test_the_term10_file_alone_refreshes_the_sitting_meps(db, data):
    out, _ = _load_from(_only(data, TERM10))

    assert _sitting() == 718 and Mep.objects.count() == 736
    assert "meps: 736 loaded, 718 in office" in out


def test_the_term9_file_alone_leaves_the_sitting_meps_as_they_are(loaded, data):
    _load_from(_only(data, "meps_term9.csv"))

    assert _sitting() == 718
    bernhuber = Mep.objects.get(ep_id=197648)
    assert bernhuber.in_office and bernhuber.term == 10
    assert Mandate.objects.filter(term=9).count() == 867


def test_a_new_resolutions_votes_alone_are_loaded_for_the_stored_meps(loaded, data):
    only = _only(data, ROLL_CALLS, VOTES)
    for path in only.iterdir():
        path.rename(only / path.name.replace("ep9_2022_2505_rsp", "ep9_2022_9999_rsp"))
    _edit(only / "ep9_2022_9999_rsp_rollcalls.csv", _set("rollcall_id", "1", index=0))
    _edit(
        only / "ep9_2022_9999_rsp_mep_votes.csv",
        lambda rows: [r.update(rollcall_id="1") for r in rows if r["rollcall_id"] == "139038"],
    )

    _load_from(only)

    assert RollCall.objects.get(ep_id=1).votes.count() == 671
    assert _sitting() == 718 and Body.objects.count() == 79


def test_a_term_file_this_version_does_not_know_is_refused_by_name(db, data):
    shutil.copy(data / TERM10, data / "meps_term11.csv")

    message = _refused(data)

    assert "meps_term11.csv" in message
    assert not Mep.objects.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), "Excel .xlsx"),
        (b"\xff\xfee\x00p\x00_\x00", "UTF-16"),
        (b"\x1f\x8b\x08\x00" + bytes(range(256)), "gzip"),
    ],
)
def test_a_workbook_or_archive_saved_as_csv_is_named_in_one_line(db, data, content, expected):
    (data / TERM10).write_bytes(content)

    message = _refused(data)

    assert message.startswith(f"nothing loaded: {TERM10}:") and expected in message


def test_a_nul_byte_in_a_value_is_refused_in_one_line_not_by_the_database(db, data):
    path = data / TERM10
    path.write_bytes(path.read_bytes().replace(b"BERNHUBER", b"BERN\x00HUBER", 1))

    message = _refused(data)

    assert message.startswith(f"nothing loaded: {TERM10}:2:") and "NUL" in message
    assert not Mep.objects.exists()


def test_a_directory_where_a_file_should_be_is_named(db, data):
    (data / TERM10).unlink()
    (data / TERM10).mkdir()

    assert f"{TERM10}: a directory" in _refused(data)


def test_spreadsheet_edits_of_case_and_blanks_are_read_as_meant(db, data):
    def sitting(rows: Rows) -> None:
        for row in rows:
            row["sitting_at_source_date"] = f" {row['sitting_at_source_date'].title()} "
            row["gender"] = row["gender"].lower()

    _edit(data / TERM10, sitting)
    _edit(data / VOTES, lambda rows: [r.update(position=r["position"].title()) for r in rows])
    _edit(data / MEMBERSHIPS, lambda rows: [r.update(role=r["role"].lower()) for r in rows])
    _edit(data / ROLL_CALLS, lambda rows: [r.update(is_final_vote="YES ") for r in rows[:1]])

    _load_from(data)

    assert _sitting() == 718
    assert Mep.objects.get(ep_id=197648).gender == "M"
    assert RollCallVote.objects.filter(position="against").count() > 0
    assert BodyMembership.objects.count() == 8240
    assert RollCall.objects.get(ep_id=139038).is_final_vote


def test_the_eu_code_el_for_greece_is_stored_as_the_iso_gr_supporters_choose(db, data):
    _edit(
        data / TERM10,
        lambda rows: [r.update(country_code="EL") for r in rows if r["country_code"] == "GR"],
    )

    _load_from(data)

    assert Mep.objects.filter(country_code="GR", in_office=True).count() == 21
    assert not Mep.objects.filter(country_code="EL").exists()


def test_a_past_and_a_current_stint_of_one_mep_give_the_current_seat(db, data):
    def stints(rows: Rows) -> None:
        current = next(r for r in rows if r["ep_mep_id"] == "197648")
        current.update(start="2025-01-01", eu_group="EPP")
        past = {**current, "start": "2024-07-02", "end": "2024-12-31", "eu_group": "ECR"}
        rows.insert(0, {**past, "sitting_at_source_date": "no"})

    _edit(data / TERM10, stints)

    out, err = _load_from(data)

    assert err == ""
    bernhuber = Mep.objects.get(ep_id=197648)
    assert bernhuber.in_office and bernhuber.group == "EPP"
    mandate = bernhuber.mandates.get(term=10)
    assert (str(mandate.start), mandate.end, mandate.group) == ("2024-07-02", None, "EPP")


def test_a_membership_that_has_ended_is_not_loaded(db, data):
    def end_the_chair(rows: Rows) -> None:
        for row in rows:
            ended = row["term"] == "10" and row["body_code"] == "DCAS" and row["role"] == "Chair"
            row["end"] = "2025-01-31" if ended else ""

    _edit(data / MEMBERSHIPS, end_the_chair, new_columns=("end",))

    _load_from(data)

    dcas = BodyMembership.objects.filter(body__code="DCAS", term=10)
    assert not dcas.filter(role="chair").exists()
    assert dcas.count() == 33


def test_a_column_broken_on_every_row_lists_the_first_problems_and_counts_the_rest(db, data):
    _edit(data / TERM10, lambda rows: [r.update(start="16/07/2024") for r in rows])

    err = _stderr_of(data)

    assert len(err) <= 52
    assert any("more problem(s)" in line for line in err)


def test_old_mac_line_endings_load_like_any_others(db, data):
    path = data / TERM10
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))

    _load_from(data)

    assert _sitting() == 718


def test_a_header_past_the_csv_field_limit_is_refused_in_one_line(db, data):
    path = data / TERM10
    path.write_text("ep_mep_id," + "x" * 200_000 + "\n1,2\n", encoding="utf-8")

    message = _refused(data)

    assert message.startswith(f"nothing loaded: {TERM10}:") and "\n" not in message
