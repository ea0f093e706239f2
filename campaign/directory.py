"""The MEP directory: loading the shipped data (campaign/data/meps/) and reading it.

The loader is a re-runnable upsert keyed on the EP's own ids: an MEP of both terms is one
`Mep` row (by `ep_id`) with two `Mandate` rows; an MEP no longer in the data is marked not in
office, never deleted (letters point at MEPs with PROTECT). Body memberships and roll-call
votes are snapshots, so each load replaces them for the terms/roll calls it reads.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import DatabaseError, models, transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from campaign.models import (
    Body,
    BodyMembership,
    BodyRole,
    BodyType,
    Mandate,
    Mep,
    RollCall,
    RollCallVote,
    VotePosition,
)

DATA_DIR = Path(__file__).resolve().parent / "data" / "meps"
CURRENT_TERM = 10
# Memberships the source could not attribute to a body (README: "written as UNKNOWN").
_UNKNOWN_BODY = "UNKNOWN"
# Keyed in lower case: a spreadsheet user types "member" or "vice-chair" as often as not.
_ROLE_BY_SOURCE = {
    "chair": BodyRole.CHAIR,
    "vice-chair": BodyRole.VICE_CHAIR,
    "member": BodyRole.MEMBER,
    "substitute": BodyRole.SUBSTITUTE,
}
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
# The EU's own codes for Greece and the United Kingdom (EP open data, Eurostat) beside the ISO
# ones the directory and the supporters' country list use: "EL" would reach no Greek supporter.
_COUNTRY_ALIASES = {"EL": "GR", "UK": "GB"}
# Integer columns (PositiveIntegerField): an id past this would fail in the database instead.
_INT_MAX = 2**31 - 1
_GENDERS = {"F", "M", ""}
_POSITIONS = {choice.value for choice in VotePosition}
_BODY_TYPES = {choice.value for choice in BodyType}
# The source's placeholder start for one MEP (README): unknown, not an error to report.
_DATE_PLACEHOLDER = "9999-99-99"
# A load normally retires a handful of MEPs (resignations, replacements). Taking more than
# this share of the sitting Parliament out of office at once means a truncated or wrong file,
# except after an election, which the operator confirms with --allow-retire.
RETIRE_SHARE_LIMIT = 0.05
# Below this many, retirements pass even in a tiny directory (tests, a fresh install).
_RETIRE_ALWAYS_ALLOWED = 5
_VOTES_PER_WRITE = 100_000

_BODIES_FILE = "ep_bodies.csv"
_TERM9_FILE = "meps_term9.csv"
_TERM10_FILE = "meps_term10.csv"
_MEMBERSHIPS_FILE = "mep_memberships.csv"
_ROLL_CALLS_SUFFIX = "_rollcalls.csv"
_VOTES_SUFFIX = "_mep_votes.csv"
_COLUMNS = {
    _BODIES_FILE: ("body_type", "body_code", "name"),
    _TERM9_FILE: (
        "ep_mep_id",
        "first_name",
        "last_name",
        "country_code",
        "gender",
        "email",
        "eu_group_at_2022_01_20_vote",
        "eu_group_latest",
        "national_party",
        "term9_start",
        "term9_end",
        "profile_url",
    ),
    _TERM10_FILE: (
        "ep_mep_id",
        "first_name",
        "last_name",
        "country_code",
        "gender",
        "email",
        "eu_group",
        "national_party",
        "start",
        "end",
        "sitting_at_source_date",
        "profile_url",
    ),
    _MEMBERSHIPS_FILE: ("term", "ep_mep_id", "body_code", "role", "start", "snapshot_date"),
    _ROLL_CALLS_SUFFIX: (
        "rollcall_id",
        "datetime_utc",
        "procedure",
        "label_en",
        "is_final_vote",
        "official_for",
        "official_against",
        "official_abstention",
    ),
    _VOTES_SUFFIX: ("rollcall_id", "ep_mep_id", "position", "eu_group_at_vote"),
}
# Read when present: a membership that has ended is no longer one (README: none has an end
# in the shipped data; an organiser's file may add them).
_OPTIONAL_COLUMNS = {_MEMBERSHIPS_FILE: ("end",)}
_TERM_FILE_RE = re.compile(r"^meps_term(\d+)\.csv$")


def country_code_normalise(code: str) -> str:
    """The directory's code for a country: ISO 3166-1 in capitals, "GR" for the EU's "EL"."""
    code = code.strip().upper()
    return _COUNTRY_ALIASES.get(code, code)


def _max_length(model: type[models.Model], name: str) -> int:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.max_length is None:
        raise TypeError(f"{model.__name__}.{name} is not a text column with a max_length")
    return field.max_length


# Text columns and the database column each ends up in: a longer value (a group's full name,
# "Group of the European People's Party (Christian Democrats)") is reported, not a crash.
_LIMITS = {
    _BODIES_FILE: {"body_code": _max_length(Body, "code"), "name": _max_length(Body, "name")},
    _TERM9_FILE: {
        "first_name": _max_length(Mep, "first_name"),
        "last_name": _max_length(Mep, "last_name"),
        "eu_group_at_2022_01_20_vote": _max_length(Mandate, "group"),
        "eu_group_latest": _max_length(Mep, "group"),
        "national_party": _max_length(Mep, "national_party"),
        "profile_url": _max_length(Mep, "profile_url"),
    },
    _TERM10_FILE: {
        "first_name": _max_length(Mep, "first_name"),
        "last_name": _max_length(Mep, "last_name"),
        "eu_group": _max_length(Mep, "group"),
        "national_party": _max_length(Mep, "national_party"),
        "profile_url": _max_length(Mep, "profile_url"),
    },
    _ROLL_CALLS_SUFFIX: {
        "procedure": _max_length(RollCall, "procedure_reference"),
        "label_en": _max_length(RollCall, "label"),
    },
    _VOTES_SUFFIX: {"eu_group_at_vote": _max_length(RollCallVote, "group_at_vote")},
}
_EMAIL_MAX = _max_length(Mep, "email")
# What some spreadsheet programs save instead of CSV text, by the bytes it starts with.
_NOT_CSV = (
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx or OpenDocument workbook?)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook"),
    (b"\x1f\x8b", "a gzip archive"),
    (codecs.BOM_UTF16_LE, "UTF-16 text"),
    (codecs.BOM_UTF16_BE, "UTF-16 text"),
)


# --- Loading --------------------------------------------------------------------------------


class DirectoryDataError(Exception):
    """The data cannot be loaded at all (a missing or unreadable file, a wrong header, a load
    that would empty Parliament). The message is one line naming the file."""


@dataclass
class LoadResult:
    bodies: int = 0
    meps: int = 0
    meps_in_office: int = 0
    meps_retired: int = 0
    mandates: int = 0
    memberships: int = 0
    roll_calls: int = 0
    votes: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    # One line per row skipped or value rejected: "file:line column=value: reason".
    problems: list[str] = field(default_factory=list)


# (line number, row) for each data row of a file.
_Rows = list[tuple[int, dict[str, str]]]


@dataclass
class _Files:
    # None: the file is not in the directory, and what it would give is left as stored.
    bodies: _Rows | None
    term9: _Rows | None
    term10: _Rows | None
    memberships: _Rows | None
    # (roll-calls file name, its rows, votes file name, its rows), one per resolution.
    votes: list[tuple[str, _Rows, str, _Rows]]


class _Report:
    """Collects row problems in the `file:line column=value: reason` form."""

    def __init__(self, result: LoadResult) -> None:
        self.problems = result.problems

    def add(self, file: str, line: int, column: str, value: str, reason: str) -> None:
        self.problems.append(f"{file}:{line} {column}={_shown(value)}: {reason}")

    def int_(self, file: str, line: int, row: dict[str, str], column: str) -> int | None:
        """A whole number, or None (reported) when the row has to be skipped."""
        raw = row[column].strip()
        # The length first: int() refuses (and would be slow on) thousands of digits.
        if raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) <= _INT_MAX:
            return int(raw)
        reason = "missing" if not raw else "not a whole number"
        if raw.isascii() and raw.isdigit():
            reason = f"larger than {_INT_MAX}"
        self.add(file, line, column, raw, f"{reason}; row skipped")
        return None

    def too_long(self, file: str, line: int, row: dict[str, str]) -> bool:
        """Whether a text is longer than its database column (reported: the row is skipped)."""
        for column, limit in _spec(_LIMITS, file).items():
            if len(row[column]) > limit:
                self.add(
                    file,
                    line,
                    column,
                    row[column][:40] + "…",
                    f"longer than {limit} characters; row skipped",
                )
                return True
        return False

    def date_(
        self, file: str, line: int, row: dict[str, str], column: str, *, kept: date | None
    ) -> date | None:
        """The date, None if blank, `kept` (the stored value) if it is not a date: a typo
        must not turn a known mandate start into "unknown" and the MEP into a non-member."""
        raw = row[column].strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            if raw != _DATE_PLACEHOLDER:
                outcome = "kept the stored value" if kept else "left blank"
                self.add(file, line, column, raw, f"not a date (YYYY-MM-DD); {outcome}")
            return kept

    def email(self, file: str, line: int, row: dict[str, str]) -> str | None:
        """The address, "" if blank, None if rejected (the caller keeps what it had)."""
        value = row["email"].strip()
        if not value:
            return ""
        domain = value.rpartition("@")[2].lower()
        # One TT address is truncated in the source ("@europarl.europ", README): a known
        # defect of the shipped data, dropped quietly; better none than a bounce.
        if domain.startswith("europarl.") and domain != "europarl.europa.eu":
            return None
        if not _EMAIL_RE.match(value) or len(value) > _EMAIL_MAX:
            self.add(file, line, "email", value, "not an e-mail address; kept the stored one")
            return None
        return value


def _spec(specs: dict[str, Any], name: str) -> Any:
    """The entry of `specs` for a file: by its name, or by its suffix (the vote files)."""
    if name in specs:
        return specs[name]
    return next((spec for suffix, spec in specs.items() if name.endswith(suffix)), {})


# A header row is a few hundred characters; past this the file is not one of ours.
_HEADER_MAX_CHARS = 65_536
# How much of a refused value a problem line shows, control characters escaped: a terminal
# must not be driven by what a CSV file holds.
_SHOWN_MAX_CHARS = 80


def _shown(value: str) -> str:
    cut = value[:_SHOWN_MAX_CHARS] + ("…" if len(value) > _SHOWN_MAX_CHARS else "")
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in cut
    )


def _delimiter(text: str, required: tuple[str, ...]) -> str:
    """The separator the header row uses: Excel saves "CSV" with semicolons wherever the
    decimal separator is a comma (most of the EU), so a semicolon file whose header holds the
    required columns is as good as a comma one. Commas when nothing fits (reported later)."""
    lines = text[:_HEADER_MAX_CHARS].splitlines()
    first_line = lines[0] if lines else ""
    for delimiter in (",", ";", "\t"):
        try:
            header = {
                column.strip() for column in next(csv.reader([first_line], delimiter=delimiter))
            }
        except (csv.Error, StopIteration):  # the reader proper reports what is wrong
            continue
        if all(column in header for column in required):
            return delimiter
    return ","


def _decode(name: str, raw: bytes) -> str:
    for magic, kind in _NOT_CSV:
        if raw.startswith(magic):
            raise DirectoryDataError(f'{name}: {kind}, not CSV text; save it as "CSV UTF-8"')
    if b"\x00" in raw:
        # PostgreSQL refuses NUL in text, and no CSV text holds one.
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise DirectoryDataError(
            f'{name}:{line}: a NUL byte; a binary file, not CSV text: save it as "CSV UTF-8"'
        )
    # Spreadsheet programs save "CSV UTF-8" with a byte-order mark; it is not part of a name.
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        return raw[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        line = raw[:offset].count(b"\n") + 1
        raise DirectoryDataError(
            f"{name}:{line}: not UTF-8 (byte 0x{raw[offset]:02x} at offset {offset}); "
            "save the file as UTF-8"
        ) from exc


def _read(path: Path, log: Callable[[str], None]) -> _Rows:
    """The data rows of one CSV file, checked for shape before anything is written. Only the
    columns the loader uses are kept (a vote file of many roll calls stays small in memory),
    with surrounding blanks removed (spreadsheet edits leave "yes " behind)."""
    name = path.name
    required: tuple[str, ...] = _spec(_COLUMNS, name)
    wanted = (*required, *_OPTIONAL_COLUMNS.get(name, ()))
    if path.is_dir():
        raise DirectoryDataError(f"{name}: a directory, not a CSV file ({path.parent})")
    if not path.is_file():
        raise DirectoryDataError(f"{name}: file not found in {path.parent}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DirectoryDataError(f"{name}: cannot be read ({exc.strerror})") from exc
    text = _decode(name, raw)
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(text, required), strict=True
    )
    rows: _Rows = []
    try:
        header = next(reader, None)
        if not header:
            raise DirectoryDataError(f"{name}: empty file; expected a header row and data rows")
        header = [column.strip() for column in header]
        missing = [column for column in required if column not in header]
        if missing and len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            delimiter = "semicolons" if ";" in header[0] else "tabs"
            raise DirectoryDataError(
                f"{name}: columns separated by {delimiter}, and missing required column(s): "
                f"{', '.join(missing)}"
            )
        if missing:
            raise DirectoryDataError(f"{name}: missing required column(s): {', '.join(missing)}")
        twice = sorted({column for column in wanted if header.count(column) > 1})
        if twice:
            raise DirectoryDataError(f"{name}: column(s) listed twice: {', '.join(twice)}")
        kept = [(index, column) for index, column in enumerate(header) if column in wanted]
        line = reader.line_num + 1
        for record in reader:
            if any(value.strip() for value in record):
                if len(record) != len(header):
                    raise DirectoryDataError(
                        f"{name}:{line}: {len(record)} fields where the header has "
                        f"{len(header)}; check the quoting and the delimiter"
                    )
                rows.append((line, {column: record[index].strip() for index, column in kept}))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise DirectoryDataError(f"{name}:{reader.line_num}: {exc}") from exc
    if not rows:
        # A header without rows would otherwise read as "nobody sits any more".
        raise DirectoryDataError(f"{name}: no data rows; refusing to load an empty file")
    for column in _OPTIONAL_COLUMNS.get(name, ()):
        if column not in header:
            for _line, row in rows:
                row[column] = ""
    log(f"read {name}: {len(rows)} rows")
    return rows


def _read_all(data_dir: Path, log: Callable[[str], None]) -> _Files:
    """Every file of the directory the loader knows. Each is optional (a refresh of the
    sitting MEPs is meps_term10.csv alone; a new resolution's vote is its two vote files);
    what is absent is left as stored. Roll calls and their votes come in pairs."""
    if not data_dir.exists():
        raise DirectoryDataError(f"{data_dir}: no such directory")
    if not data_dir.is_dir():
        raise DirectoryDataError(f"{data_dir}: not a directory")
    known_terms = {_TERM9_FILE, _TERM10_FILE}
    for path in sorted(data_dir.glob("meps_term*.csv")):
        if path.name not in known_terms and _TERM_FILE_RE.match(path.name):
            raise DirectoryDataError(
                f"{path.name}: this version loads only {_TERM9_FILE} and {_TERM10_FILE} "
                f"(the current term is {CURRENT_TERM})"
            )
    roll_call_files = sorted(data_dir.glob(f"*{_ROLL_CALLS_SUFFIX}"))
    vote_files = sorted(data_dir.glob(f"*{_VOTES_SUFFIX}"))
    pairs = [
        (path, path.with_name(path.name.removesuffix(_ROLL_CALLS_SUFFIX) + _VOTES_SUFFIX))
        for path in roll_call_files
    ]
    orphans = sorted({path.name for path in vote_files} - {votes.name for _, votes in pairs})
    if orphans:
        raise DirectoryDataError(
            f"{orphans[0]}: no matching *{_ROLL_CALLS_SUFFIX} file for these votes"
        )
    names = (_BODIES_FILE, _TERM9_FILE, _TERM10_FILE, _MEMBERSHIPS_FILE)
    if not pairs and not any((data_dir / name).exists() for name in names):
        raise DirectoryDataError(
            f"{data_dir}: none of {', '.join(names)} or *{_ROLL_CALLS_SUFFIX} is there"
        )

    def optional(name: str) -> _Rows | None:
        if (data_dir / name).exists():
            return _read(data_dir / name, log)
        log(f"{name}: not in {data_dir}; left as stored")
        return None

    return _Files(
        bodies=optional(_BODIES_FILE),
        term9=optional(_TERM9_FILE),
        term10=optional(_TERM10_FILE),
        memberships=optional(_MEMBERSHIPS_FILE),
        votes=[
            (roll_calls.name, _read(roll_calls, log), votes.name, _read(votes, log))
            for roll_calls, votes in pairs
        ],
    )


def directory_load(
    *,
    data_dir: Path = DATA_DIR,
    allow_retire: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> LoadResult:
    """Upsert the directory from `data_dir`. Idempotent; runs in one transaction, so a reader
    never sees half a directory. Bulk statements only: a full load takes a few seconds.

    Every file is read and checked before anything is written; a file that cannot be used
    raises DirectoryDataError and nothing changes. A file left out of `data_dir` leaves what
    it would give as stored (without meps_term10.csv nobody is taken out of office). A bad
    row is skipped and a bad value rejected (the stored one kept); both are listed in
    `result.problems`, the rest is loaded.
    More than RETIRE_SHARE_LIMIT of the sitting MEPs are retired only with `allow_retire`."""
    result = LoadResult()
    report = _Report(result)
    files = _read_all(data_dir, log)
    try:
        with transaction.atomic():
            _load_bodies(files, result, report, log)
            mep_ids, skipped_meps = _load_meps(files, result, report, log, allow_retire)
            _load_memberships(files, mep_ids, skipped_meps, result, report, log)
            _load_roll_calls(files, mep_ids, skipped_meps, result, report, log)
    except DatabaseError as exc:
        # The checks above should leave nothing for the database to refuse; if it still
        # does, the transaction is rolled back and the operator gets one line, not a trace.
        first_line = str(exc).strip().partition("\n")[0]
        raise DirectoryDataError(f"the database refused the data: {first_line}") from exc
    return result


def _load_bodies(
    files: _Files, result: LoadResult, report: _Report, log: Callable[[str], None]
) -> None:
    if files.bodies is None:
        return
    bodies: dict[str, Body] = {}
    for line, row in files.bodies:
        code = row["body_code"].upper()
        body_type = row["body_type"].lower()
        if code == _UNKNOWN_BODY:
            continue
        if not code:
            report.add(_BODIES_FILE, line, "body_code", code, "missing; row skipped")
        elif report.too_long(_BODIES_FILE, line, row):
            pass
        elif body_type not in _BODY_TYPES:
            report.add(
                _BODIES_FILE,
                line,
                "body_type",
                row["body_type"],
                f"not one of {', '.join(sorted(_BODY_TYPES))}; row skipped",
            )
        elif code in bodies:
            report.add(_BODIES_FILE, line, "body_code", code, "listed twice; row skipped")
        else:
            bodies[code] = Body(code=code, body_type=body_type, name=row["name"])
    Body.objects.bulk_create(
        list(bodies.values()),
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["body_type", "name"],
    )
    result.bodies = len(bodies)
    log(f"bodies: {result.bodies} committees and delegations")


def _mep_row(
    file: str,
    line: int,
    row: dict[str, str],
    report: _Report,
    seen: dict[int, int],
    skipped: set[int],
) -> tuple[int, str] | None:
    """The id and country of a usable MEP row, or None (reported) for a row to skip; the id
    of a skipped row goes to `skipped` so that MEP is left as stored, not retired."""
    ep_id = report.int_(file, line, row, "ep_mep_id")
    if ep_id is None:
        return None
    if ep_id in seen:
        report.add(
            file,
            line,
            "ep_mep_id",
            str(ep_id),
            f"listed twice (first on line {seen[ep_id]}); row skipped",
        )
        return None
    seen[ep_id] = line
    country = country_code_normalise(row["country_code"])
    if not _COUNTRY_RE.match(country):
        report.add(
            file,
            line,
            "country_code",
            row["country_code"],
            "not a two-letter country code; row skipped",
        )
    elif row["gender"].upper() not in _GENDERS:
        report.add(file, line, "gender", row["gender"], "not F, M or blank; row skipped")
    elif file == _TERM10_FILE and row["sitting_at_source_date"].lower() not in {"yes", "no"}:
        report.add(
            file,
            line,
            "sitting_at_source_date",
            row["sitting_at_source_date"],
            "not yes or no; row skipped",
        )
    elif not report.too_long(file, line, row):
        return ep_id, country
    skipped.add(ep_id)
    return None


def _merge_stints(rows: _Rows, *, start: str, end: str, sitting: str | None) -> _Rows:
    """One row per MEP where a file lists an MEP's stints in a term one row each (she left and
    came back, or changed group or party: the past row has an end date): the current row,
    else the one that ended last, with the earliest start. Rows that cannot be told apart
    (two current ones, an exact repeat, an unreadable id) are left for the caller to report.

    A past row must not win only because it comes first: it would take a sitting MEP out of
    office and give her the group she left."""

    def current(row: dict[str, str]) -> bool:
        return row[sitting].lower() == "yes" if sitting else not row[end]

    def iso(value: str) -> str | None:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return None

    merged: _Rows = []
    index: dict[str, int] = {}
    for line, row in rows:
        at = index.get(row["ep_mep_id"])
        if at is None or not row["ep_mep_id"]:
            index.setdefault(row["ep_mep_id"], len(merged))
            merged.append((line, row))
            continue
        kept_line, kept = merged[at]
        if row == kept or (current(row) and current(kept)):
            merged.append((line, row))
            continue
        if current(kept) or (not current(row) and (iso(kept[end]) or "") >= (iso(row[end]) or "")):
            winner_line, winner, other = kept_line, kept, row
        else:
            winner_line, winner, other = line, row, kept
        starts = [day for day in (iso(winner[start]), iso(other[start])) if day]
        merged[at] = (winner_line, {**winner, start: min(starts) if starts else winner[start]})
    return merged


def _load_meps(
    files: _Files,
    result: LoadResult,
    report: _Report,
    log: Callable[[str], None],
    allow_retire: bool,
) -> tuple[dict[int, int], set[int]]:
    stored_emails = dict(Mep.objects.values_list("ep_id", "email"))
    stored_terms = dict(Mep.objects.values_list("ep_id", "term"))
    stored_dates = {
        (ep_id, term): (start, end)
        for ep_id, term, start, end in Mandate.objects.values_list(
            "mep__ep_id", "term", "start", "end"
        )
    }
    meps: dict[int, Mep] = {}
    # The MEPs as their term-9 rows describe them: what they are unless a term-10 row says
    # otherwise, and where a term-10 row without an address or gender finds hers.
    term9_meps: dict[int, Mep] = {}
    mandates: dict[tuple[int, int], Mandate] = {}
    skipped: set[int] = set()
    problems_before = len(result.problems)
    seen: dict[int, int] = {}
    term9 = _merge_stints(files.term9 or [], start="term9_start", end="term9_end", sitting=None)
    for line, row in term9:
        parsed = _mep_row(_TERM9_FILE, line, row, report, seen, skipped)
        if parsed is None:
            continue
        ep_id, country = parsed
        email = report.email(_TERM9_FILE, line, row)
        national_party = "" if row["national_party"] == "?" else row["national_party"]
        start, end = stored_dates.get((ep_id, 9), (None, None))
        mandates[(ep_id, 9)] = Mandate(
            term=9,
            start=report.date_(_TERM9_FILE, line, row, "term9_start", kept=start),
            end=report.date_(_TERM9_FILE, line, row, "term9_end", kept=end),
            group=row["eu_group_at_2022_01_20_vote"] or row["eu_group_latest"],
            national_party=national_party,
        )
        term9_meps[ep_id] = Mep(
            ep_id=ep_id,
            first_name=row["first_name"],
            last_name=row["last_name"],
            country_code=country,
            group=row["eu_group_latest"] or row["eu_group_at_2022_01_20_vote"],
            national_party=national_party,
            gender=row["gender"].upper(),
            email=stored_emails.get(ep_id, "") if email is None else email,
            term=9,
            in_office=False,
            profile_url=row["profile_url"],
        )
    seen = {}
    term10 = _merge_stints(
        files.term10 or [], start="start", end="end", sitting="sitting_at_source_date"
    )
    for line, row in term10:
        parsed = _mep_row(_TERM10_FILE, line, row, report, seen, skipped)
        if parsed is None:
            continue
        ep_id, country = parsed
        previous = term9_meps.get(ep_id)
        # Only the listed address: `email_pattern_guess` is a guess (README) and a letter to a
        # guessed address is a letter lost. A term-9 address of the same person is still hers.
        email = report.email(_TERM10_FILE, line, row)
        if email is None:
            email = stored_emails.get(ep_id) or (previous.email if previous else "")
        elif not email:
            email = previous.email if previous else ""
        meps[ep_id] = Mep(
            ep_id=ep_id,
            first_name=row["first_name"],
            last_name=row["last_name"],
            country_code=country,
            group=row["eu_group"],
            national_party=row["national_party"],
            gender=row["gender"].upper() or (previous.gender if previous else ""),
            email=email,
            term=CURRENT_TERM,
            in_office=row["sitting_at_source_date"].lower() == "yes",
            profile_url=row["profile_url"],
        )
        start, end = stored_dates.get((ep_id, CURRENT_TERM), (None, None))
        mandates[(ep_id, CURRENT_TERM)] = Mandate(
            term=CURRENT_TERM,
            start=report.date_(_TERM10_FILE, line, row, "start", kept=start),
            end=report.date_(_TERM10_FILE, line, row, "end", kept=end),
            group=row["eu_group"],
            national_party=row["national_party"],
        )
    for ep_id, mep in term9_meps.items():
        # An MEP of a later term is described by that term's row; loaded without it (the
        # term-9 file alone), she keeps her current country, group and seat.
        if ep_id not in meps and stored_terms.get(ep_id, 9) <= 9:
            meps[ep_id] = mep
    # An MEP with a skipped row is left as stored: half of them (say the term-9 row without
    # the term-10 one) would take a sitting MEP out of office.
    for ep_id in skipped:
        meps.pop(ep_id, None)
    # A skipped row whose id could not be read may be any sitting MEP's: retire nobody
    # absent from the data this time rather than the wrong person. Nor without the current
    # term's file: who sits is then not known.
    unidentified = files.term10 is None or any(
        problem.startswith((f"{_TERM9_FILE}:", f"{_TERM10_FILE}:"))
        and " ep_mep_id=" in problem
        and "listed twice" not in problem
        for problem in result.problems[problems_before:]
    )
    sitting = set(Mep.objects.filter(in_office=True).values_list("ep_id", flat=True))
    staying = {ep_id for ep_id, mep in meps.items() if mep.in_office} | skipped
    if unidentified:
        staying |= sitting - set(meps)
    leaving = sitting - staying
    limit = max(_RETIRE_ALWAYS_ALLOWED, int(RETIRE_SHARE_LIMIT * len(sitting)))
    if len(leaving) > limit and not allow_retire:
        raise DirectoryDataError(
            f"{_TERM10_FILE}: this load would take {len(leaving)} of {len(sitting)} sitting "
            f"MEPs out of office (more than {RETIRE_SHARE_LIMIT:.0%}); check the file, or "
            "pass --allow-retire after an election"
        )
    Mep.objects.bulk_create(
        list(meps.values()),
        update_conflicts=True,
        unique_fields=["ep_id"],
        update_fields=[
            "first_name",
            "last_name",
            "country_code",
            "group",
            "national_party",
            "gender",
            "email",
            "term",
            "in_office",
            "profile_url",
        ],
    )
    # Never deleted: letters reference MEPs, and the history of who was written to stays.
    if leaving:
        Mep.objects.filter(ep_id__in=leaving).update(in_office=False)
    result.meps_retired = len(leaving)
    result.meps = len(meps)
    result.meps_in_office = sum(1 for mep in meps.values() if mep.in_office)
    log(
        f"meps: {result.meps} loaded, {result.meps_in_office} in office, "
        f"{result.meps_retired} taken out of office, {len(skipped)} left as stored "
        "(rows skipped)"
        + (
            "; nobody absent retired (no meps_term10.csv, or a row without a readable id)"
            if unidentified
            else ""
        )
    )
    mep_ids = dict(Mep.objects.values_list("ep_id", "pk"))
    loadable = []
    for (ep_id, _term), mandate in mandates.items():
        if ep_id in mep_ids and ep_id not in skipped:
            mandate.mep_id = mep_ids[ep_id]
            loadable.append(mandate)
    Mandate.objects.bulk_create(
        loadable,
        update_conflicts=True,
        unique_fields=["mep", "term"],
        update_fields=["start", "end", "group", "national_party"],
    )
    result.mandates = len(loadable)
    log(f"mandates: {result.mandates}")
    return mep_ids, skipped


def _unknown_mep(skipped: set[int], ep_id: int) -> str:
    # An MEP stored by an earlier load keeps her memberships and votes even when her own row
    # is skipped this time; only one never loaded has nothing to attach them to.
    if ep_id in skipped:
        return "the MEP's own row was skipped; row skipped"
    return "not an MEP of the term files or the directory; row skipped"


def _load_memberships(
    files: _Files,
    mep_ids: dict[int, int],
    skipped_meps: set[int],
    result: LoadResult,
    report: _Report,
    log: Callable[[str], None],
) -> None:
    if files.memberships is None:
        return
    file = _MEMBERSHIPS_FILE
    body_ids = dict(Body.objects.values_list("code", "pk"))
    seen: set[tuple[int, int, int, str]] = set()
    memberships: list[BodyMembership] = []
    terms: set[int] = set()
    unknown_body = 0
    ended = 0
    today = timezone.localdate()
    problems_before = len(result.problems)
    for line, row in files.memberships:
        term = report.int_(file, line, row, "term")
        ep_id = report.int_(file, line, row, "ep_mep_id")
        if term is None or ep_id is None:
            continue
        if not 1 <= term <= CURRENT_TERM:
            report.add(file, line, "term", str(term), f"not a term 1-{CURRENT_TERM}; row skipped")
            continue
        code = row["body_code"].upper()
        if code == _UNKNOWN_BODY:
            unknown_body += 1
            continue
        body_id = body_ids.get(code)
        mep_id = mep_ids.get(ep_id)
        role = _ROLE_BY_SOURCE.get(row["role"].lower().replace("_", "-").replace(" ", "-"))
        snapshot_date = report.date_(file, line, row, "snapshot_date", kept=None)
        end = report.date_(file, line, row, "end", kept=None)
        # A membership of the current term that has ended is over now; one of a past term is
        # kept if it was in force on its snapshot date (the line-up of that time).
        over_on = today if term == CURRENT_TERM else snapshot_date
        if end is not None and over_on is not None and end < over_on:
            ended += 1
            terms.add(term)
        elif body_id is None:
            report.add(file, line, "body_code", code, f"not in {_BODIES_FILE}; row skipped")
        elif mep_id is None:
            report.add(file, line, "ep_mep_id", str(ep_id), _unknown_mep(skipped_meps, ep_id))
        elif role is None:
            report.add(
                file,
                line,
                "role",
                row["role"],
                f"not one of {', '.join(_ROLE_BY_SOURCE)}; row skipped",
            )
        else:
            key = (mep_id, body_id, term, role)
            # The source repeats a few memberships word for word; one is enough.
            if key in seen:
                continue
            seen.add(key)
            terms.add(term)
            memberships.append(
                BodyMembership(
                    mep_id=mep_id,
                    body_id=body_id,
                    term=term,
                    role=role,
                    start=report.date_(file, line, row, "start", kept=None),
                    snapshot_date=snapshot_date,
                )
            )
    # A snapshot, not a history: what the data no longer lists is no longer true.
    BodyMembership.objects.filter(term__in=terms).delete()
    BodyMembership.objects.bulk_create(memberships, batch_size=2000)
    result.memberships = len(memberships)
    result.skipped["memberships"] = unknown_body
    bad = len(result.problems) - problems_before
    log(
        f"body memberships: {result.memberships} ({unknown_body} without a known body "
        f"skipped, {ended} ended, {bad} problems)"
    )


def _load_roll_calls(
    files: _Files,
    mep_ids: dict[int, int],
    skipped_meps: set[int],
    result: LoadResult,
    report: _Report,
    log: Callable[[str], None],
) -> None:
    for roll_calls_file, roll_call_rows, votes_file, vote_rows in files.votes:
        problems_before = len(result.problems)
        roll_calls: dict[int, RollCall] = {}
        unusable: set[int] = set()
        for line, row in roll_call_rows:
            ep_id = report.int_(roll_calls_file, line, row, "rollcall_id")
            if ep_id is None:
                continue
            if ep_id in roll_calls:
                report.add(
                    roll_calls_file, line, "rollcall_id", str(ep_id), "listed twice; row skipped"
                )
                continue
            raw = row["datetime_utc"].strip()
            try:
                voted_at: datetime | None = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                voted_at = None
            votes_for = report.int_(roll_calls_file, line, row, "official_for")
            against = report.int_(roll_calls_file, line, row, "official_against")
            abstentions = report.int_(roll_calls_file, line, row, "official_abstention")
            if voted_at is None or voted_at.tzinfo is None:
                report.add(
                    roll_calls_file,
                    line,
                    "datetime_utc",
                    raw,
                    "not an ISO date and time in UTC (2022-01-20T14:33:04Z); row skipped",
                )
            elif row["is_final_vote"].lower() not in {"yes", "no"}:
                report.add(
                    roll_calls_file,
                    line,
                    "is_final_vote",
                    row["is_final_vote"],
                    "not yes or no; row skipped",
                )
            elif report.too_long(roll_calls_file, line, row):
                pass
            elif votes_for is not None and against is not None and abstentions is not None:
                roll_calls[ep_id] = RollCall(
                    ep_id=ep_id,
                    procedure_reference=row["procedure"],
                    voted_at=voted_at,
                    label=row["label_en"],
                    is_final_vote=row["is_final_vote"].lower() == "yes",
                    votes_for=votes_for,
                    votes_against=against,
                    abstentions=abstentions,
                )
                continue
            unusable.add(ep_id)
        RollCall.objects.bulk_create(
            list(roll_calls.values()),
            update_conflicts=True,
            unique_fields=["ep_id"],
            update_fields=[
                "procedure_reference",
                "voted_at",
                "label",
                "is_final_vote",
                "votes_for",
                "votes_against",
                "abstentions",
            ],
        )
        roll_call_ids = dict(
            RollCall.objects.filter(ep_id__in=list(roll_calls)).values_list("ep_id", "pk")
        )
        # Only the roll calls read replace their votes; a skipped one keeps what it had.
        RollCallVote.objects.filter(roll_call_id__in=roll_call_ids.values()).delete()
        votes: list[RollCallVote] = []
        written = 0
        seen: dict[tuple[int, int], int] = {}
        orphaned: Counter[int] = Counter()
        for line, row in vote_rows:
            if len(votes) >= _VOTES_PER_WRITE:
                # A term's votes run to millions of rows: written, and counted, as they go.
                RollCallVote.objects.bulk_create(votes, batch_size=2000)
                written += len(votes)
                votes = []
                log(f"individual votes: {written} of {len(vote_rows)} rows written")
            roll_call = report.int_(votes_file, line, row, "rollcall_id")
            ep_id = report.int_(votes_file, line, row, "ep_mep_id")
            if roll_call is None or ep_id is None:
                continue
            if roll_call in unusable:
                orphaned[roll_call] += 1
                continue
            mep_id = mep_ids.get(ep_id)
            position = row["position"].lower()
            if roll_call not in roll_call_ids:
                report.add(
                    votes_file,
                    line,
                    "rollcall_id",
                    str(roll_call),
                    f"not in {roll_calls_file}; row skipped",
                )
            elif mep_id is None:
                report.add(
                    votes_file, line, "ep_mep_id", str(ep_id), _unknown_mep(skipped_meps, ep_id)
                )
            elif position not in _POSITIONS:
                report.add(
                    votes_file,
                    line,
                    "position",
                    position,
                    f"not one of {', '.join(sorted(_POSITIONS))}; row skipped",
                )
            elif report.too_long(votes_file, line, row):
                pass
            elif (roll_call, ep_id) in seen:
                report.add(
                    votes_file,
                    line,
                    "ep_mep_id",
                    str(ep_id),
                    f"second vote in roll call {roll_call} (first on line "
                    f"{seen[(roll_call, ep_id)]}); row skipped",
                )
            else:
                seen[(roll_call, ep_id)] = line
                votes.append(
                    RollCallVote(
                        roll_call_id=roll_call_ids[roll_call],
                        mep_id=mep_id,
                        position=position,
                        group_at_vote=row["eu_group_at_vote"],
                    )
                )
        for roll_call, count in sorted(orphaned.items()):
            result.problems.append(
                f"{votes_file}: {count} votes of roll call {roll_call} skipped: its row in "
                f"{roll_calls_file} was skipped"
            )
        RollCallVote.objects.bulk_create(votes, batch_size=2000)
        written += len(votes)
        result.roll_calls += len(roll_calls)
        result.votes += written
        log(
            f"roll calls: {len(roll_calls)}, individual votes: {written} "
            f"({roll_calls_file}, {len(result.problems) - problems_before} problems)"
        )


# --- Display --------------------------------------------------------------------------------

_UPPER_RUN = re.compile(r"[^\W\d_a-z]{2,}")
# Particles written in lower case inside a family name ("von der Leyen", "van Dalen").
_PARTICLES = {"von", "van", "der", "den", "zu", "ten", "ter", "vom", "zum"}


def display_last_name(last_name: str) -> str:
    """The EP writes family names in capitals (McALLISTER, O'SULLIVAN); a letter should not
    shout. Each run of capitals becomes Title case, the rest is kept as written."""

    def fix(match: re.Match[str]) -> str:
        run = match.group(0)
        return run if not run.isupper() else run[0] + run[1:].lower()

    words = _UPPER_RUN.sub(fix, last_name).split(" ")
    return " ".join(
        word.lower() if word.lower() in _PARTICLES and i < len(words) - 1 else word
        for i, word in enumerate(words)
    )


def mep_full_name(mep: Mep) -> str:
    return f"{mep.first_name} {display_last_name(mep.last_name)}".strip()


# --- Selectors ------------------------------------------------------------------------------


def mep_list_with_details(*, meps: QuerySet[Mep], term: int = CURRENT_TERM) -> QuerySet[Mep]:
    """MEPs with their current body memberships (and bodies) prefetched: no N+1 in lists."""
    return meps.prefetch_related(
        Prefetch(
            "body_memberships",
            queryset=BodyMembership.objects.filter(term=term).select_related("body"),
            to_attr="current_memberships",
        )
    )


def mep_vote_positions(*, roll_call: RollCall, meps: Iterable[Mep]) -> dict[int, str]:
    """The position of each MEP on `roll_call` (by Mep pk): for/against/abstention, or
    did_not_vote (a Member on that date without a vote row) or not_an_mep."""
    mep_list = list(meps)
    ids = [mep.pk for mep in mep_list]
    voted = dict(
        RollCallVote.objects.filter(roll_call=roll_call, mep_id__in=ids).values_list(
            "mep_id", "position"
        )
    )
    vote_date = roll_call.voted_at.date()
    sitting = set(
        Mandate.objects.filter(mep_id__in=ids)
        .filter(_mandate_covers(vote_date))
        .values_list("mep_id", flat=True)
    )
    return {
        mep_id: voted.get(mep_id) or ("did_not_vote" if mep_id in sitting else "not_an_mep")
        for mep_id in ids
    }


def _mandate_covers(day: date, prefix: str = "") -> Q:
    # A mandate with no start date cannot be shown to cover the day (README: 1 blank start).
    return Q(**{f"{prefix}start__lte": day}) & (
        Q(**{f"{prefix}end__isnull": True}) | Q(**{f"{prefix}end__gte": day})
    )


def mandate_covers_q(day: date, prefix: str = "") -> Q:
    """Q for "had a mandate covering `day`", usable from Mep via prefix "mandates__"."""
    return _mandate_covers(day, prefix)


def roll_call_get_final(*, procedure_reference: str) -> RollCall | None:
    return (
        RollCall.objects.filter(procedure_reference=procedure_reference, is_final_vote=True)
        .order_by("-voted_at")
        .first()
    )


def body_memberships_summary(*, mep: Mep) -> list[dict[str, Any]]:
    memberships = getattr(mep, "current_memberships", None)
    if memberships is None:
        memberships = list(mep.body_memberships.filter(term=CURRENT_TERM).select_related("body"))
    return [
        {"code": m.body.code, "name": m.body.name, "type": m.body.body_type, "role": m.role}
        for m in memberships
    ]


def mep_counts_by_country(*, meps: QuerySet[Mep]) -> dict[str, int]:
    return dict(
        meps.order_by()
        .values("country_code")
        .annotate(n=Count("id"))
        .values_list("country_code", "n")
    )
