"""The MEP directory: loading the shipped data (campaign/data/meps/) and reading it.

The loader is a re-runnable upsert keyed on the EP's own ids: an MEP of both terms is one
`Mep` row (by `ep_id`) with two `Mandate` rows; an MEP no longer in the data is marked not in
office, never deleted (letters point at MEPs with PROTECT). Body memberships and roll-call
votes are snapshots, so each load replaces them for the terms/roll calls it reads.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet

from campaign.models import (
    Body,
    BodyMembership,
    BodyRole,
    Mandate,
    Mep,
    RollCall,
    RollCallVote,
)

DATA_DIR = Path(__file__).resolve().parent / "data" / "meps"
CURRENT_TERM = 10
# Memberships the source could not attribute to a body (README: "written as UNKNOWN").
_UNKNOWN_BODY = "UNKNOWN"
_ROLE_BY_SOURCE = {
    "Chair": BodyRole.CHAIR,
    "Vice-Chair": BodyRole.VICE_CHAIR,
    "Member": BodyRole.MEMBER,
    "Substitute": BodyRole.SUBSTITUTE,
}
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)


# --- Loading --------------------------------------------------------------------------------


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


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _date(raw: str) -> date | None:
    # The source has one placeholder start, "9999-99-99" (README): unknown, not an error.
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _email(raw: str) -> str:
    # One TT address is truncated in the source ("@europarl.europ"); better none than a bounce.
    value = raw.strip()
    domain = value.rpartition("@")[2].lower()
    if not _EMAIL_RE.match(value) or (
        domain.startswith("europarl.") and domain != "europarl.europa.eu"
    ):
        return ""
    return value


def directory_load(
    *, data_dir: Path = DATA_DIR, log: Callable[[str], None] = lambda message: None
) -> LoadResult:
    """Upsert the directory from `data_dir`. Idempotent; runs in one transaction, so a reader
    never sees half a directory. Bulk statements only: a full load takes a few seconds."""
    result = LoadResult()
    with transaction.atomic():
        _load_bodies(data_dir, result, log)
        mep_ids = _load_meps(data_dir, result, log)
        _load_memberships(data_dir, mep_ids, result, log)
        _load_roll_calls(data_dir, mep_ids, result, log)
    return result


def _load_bodies(data_dir: Path, result: LoadResult, log: Callable[[str], None]) -> None:
    bodies = [
        Body(code=row["body_code"], body_type=row["body_type"], name=row["name"])
        for row in _rows(data_dir / "ep_bodies.csv")
        if row["body_code"] != _UNKNOWN_BODY
    ]
    Body.objects.bulk_create(
        bodies, update_conflicts=True, unique_fields=["code"], update_fields=["body_type", "name"]
    )
    result.bodies = len(bodies)
    log(f"bodies: {result.bodies} committees and delegations")


def _load_meps(data_dir: Path, result: LoadResult, log: Callable[[str], None]) -> dict[int, int]:
    meps: dict[int, Mep] = {}
    mandates: list[tuple[int, Mandate]] = []
    for row in _rows(data_dir / "meps_term9.csv"):
        ep_id = int(row["ep_mep_id"])
        meps[ep_id] = Mep(
            ep_id=ep_id,
            first_name=row["first_name"],
            last_name=row["last_name"],
            country_code=row["country_code"],
            group=row["eu_group_latest"] or row["eu_group_at_2022_01_20_vote"],
            national_party="" if row["national_party"] == "?" else row["national_party"],
            gender=row["gender"] if row["gender"] in {"F", "M"} else "",
            email=_email(row["email"]),
            term=9,
            in_office=False,
            profile_url=row["profile_url"],
        )
        mandates.append(
            (
                ep_id,
                Mandate(
                    term=9,
                    start=_date(row["term9_start"]),
                    end=_date(row["term9_end"]),
                    group=row["eu_group_at_2022_01_20_vote"] or row["eu_group_latest"],
                    national_party=meps[ep_id].national_party,
                ),
            )
        )
    for row in _rows(data_dir / "meps_term10.csv"):
        ep_id = int(row["ep_mep_id"])
        previous = meps.get(ep_id)
        # Only the listed address: `email_pattern_guess` is a guess (README) and a letter to a
        # guessed address is a letter lost. A term-9 address of the same person is still hers.
        email = _email(row["email"]) or (previous.email if previous else "")
        meps[ep_id] = Mep(
            ep_id=ep_id,
            first_name=row["first_name"],
            last_name=row["last_name"],
            country_code=row["country_code"],
            group=row["eu_group"],
            national_party=row["national_party"],
            gender=row["gender"] or (previous.gender if previous else ""),
            email=email,
            term=CURRENT_TERM,
            in_office=row["sitting_at_source_date"] == "yes",
            profile_url=row["profile_url"],
        )
        mandates.append(
            (
                ep_id,
                Mandate(
                    term=CURRENT_TERM,
                    start=_date(row["start"]),
                    end=_date(row["end"]),
                    group=row["eu_group"],
                    national_party=row["national_party"],
                ),
            )
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
    result.meps_retired = (
        Mep.objects.exclude(ep_id__in=list(meps)).filter(in_office=True).update(in_office=False)
    )
    result.meps = len(meps)
    result.meps_in_office = sum(1 for mep in meps.values() if mep.in_office)
    log(
        f"meps: {result.meps} loaded, {result.meps_in_office} in office, "
        f"{result.meps_retired} no longer in the data marked not in office"
    )
    mep_ids = dict(Mep.objects.values_list("ep_id", "pk"))
    for ep_id, mandate in mandates:
        mandate.mep_id = mep_ids[ep_id]
    Mandate.objects.bulk_create(
        [mandate for _, mandate in mandates],
        update_conflicts=True,
        unique_fields=["mep", "term"],
        update_fields=["start", "end", "group", "national_party"],
    )
    result.mandates = len(mandates)
    log(f"mandates: {result.mandates}")
    return mep_ids


def _load_memberships(
    data_dir: Path, mep_ids: dict[int, int], result: LoadResult, log: Callable[[str], None]
) -> None:
    body_ids = dict(Body.objects.values_list("code", "pk"))
    seen: set[tuple[int, int, int, str]] = set()
    memberships: list[BodyMembership] = []
    terms: set[int] = set()
    skipped = 0
    for row in _rows(data_dir / "mep_memberships.csv"):
        body_id = body_ids.get(row["body_code"])
        mep_id = mep_ids.get(int(row["ep_mep_id"]))
        role = _ROLE_BY_SOURCE.get(row["role"])
        if body_id is None or mep_id is None or role is None:
            skipped += 1
            continue
        term = int(row["term"])
        key = (mep_id, body_id, term, role)
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
                start=_date(row["start"]),
                snapshot_date=_date(row["snapshot_date"]),
            )
        )
    # A snapshot, not a history: what the data no longer lists is no longer true.
    BodyMembership.objects.filter(term__in=terms).delete()
    BodyMembership.objects.bulk_create(memberships, batch_size=2000)
    result.memberships = len(memberships)
    result.skipped["memberships"] = skipped
    log(f"body memberships: {result.memberships} ({skipped} without a known body skipped)")


def _load_roll_calls(
    data_dir: Path, mep_ids: dict[int, int], result: LoadResult, log: Callable[[str], None]
) -> None:
    roll_calls = [
        RollCall(
            ep_id=int(row["rollcall_id"]),
            procedure_reference=row["procedure"],
            voted_at=datetime.fromisoformat(row["datetime_utc"].replace("Z", "+00:00")),
            label=row["label_en"],
            is_final_vote=row["is_final_vote"] == "yes",
            votes_for=int(row["official_for"]),
            votes_against=int(row["official_against"]),
            abstentions=int(row["official_abstention"]),
        )
        for row in _rows(data_dir / "ep9_2022_2505_rsp_rollcalls.csv")
    ]
    RollCall.objects.bulk_create(
        roll_calls,
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
        RollCall.objects.filter(ep_id__in=[rc.ep_id for rc in roll_calls]).values_list(
            "ep_id", "pk"
        )
    )
    votes = [
        RollCallVote(
            roll_call_id=roll_call_ids[int(row["rollcall_id"])],
            mep_id=mep_ids[int(row["ep_mep_id"])],
            position=row["position"],
            group_at_vote=row["eu_group_at_vote"],
        )
        for row in _rows(data_dir / "ep9_2022_2505_rsp_mep_votes.csv")
    ]
    RollCallVote.objects.filter(roll_call_id__in=roll_call_ids.values()).delete()
    RollCallVote.objects.bulk_create(votes, batch_size=2000)
    result.roll_calls = len(roll_calls)
    result.votes = len(votes)
    log(f"roll calls: {result.roll_calls}, individual votes: {result.votes}")


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
