"""Which MEPs a letter template targets: the rule in `LetterTemplate.targeting`.

Shape (every key optional; unknown keys are refused):

    {
      "countries": ["DE", "AT"],            # MEPs elected in these countries
      "supporter_country": true,            # only MEPs of the supporter's country
      "groups": ["EPP", "S&D"],             # political groups (as in the directory)
      "bodies": [{"code": "DCAS", "roles": ["chair", "member"]}],  # roles default: all
      "roll_call": {"ep_id": 139038, "positions": ["against", "did_not_vote"]},
      "mep_ids": [197648],                  # EP ids (the number in the MEP's EP web page)
      "include_former": false               # default: sitting MEPs only
    }

Kinds combine with AND; the values inside one kind with OR. Positions: for, against,
abstention, did_not_vote (a Member on the vote date with no vote row), not_an_mep (no mandate
covering the vote date). Body roles are those of the current term.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from campaign.directory import CURRENT_TERM, country_code_normalise, mandate_covers_q
from campaign.models import Body, BodyMembership, BodyRole, Mandate, Mep, RollCall, RollCallVote
from config.errors import DomainError

POSITIONS = ("for", "against", "abstention", "did_not_vote", "not_an_mep")
_KEYS = {
    "countries",
    "supporter_country",
    "groups",
    "bodies",
    "roll_call",
    "mep_ids",
    "include_former",
}
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


class TargetingInvalidError(DomainError):
    code = "targeting_invalid"
    status = 400


@dataclass(frozen=True)
class BodyRule:
    code: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class TargetingRule:
    countries: tuple[str, ...] = ()
    supporter_country: bool = False
    groups: tuple[str, ...] = ()
    bodies: tuple[BodyRule, ...] = ()
    roll_call_ep_id: int | None = None
    positions: tuple[str, ...] = ()
    mep_ids: tuple[int, ...] = ()
    include_former: bool = False


def _fail(problem: str) -> TargetingInvalidError:
    return TargetingInvalidError(f"Targeting rule: {problem}", fields={"targeting": [problem]})


def _str_list(raw: Any, key: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(v, str) and v.strip() for v in raw):
        raise _fail(f'"{key}" must be a list of non-empty texts.')
    # A control character (NUL above all, which PostgreSQL refuses in text) names no group,
    # body or country: refused here, by key, rather than by the database, by nobody.
    if any(unicodedata.category(ch) == "Cc" for v in raw for ch in v):
        raise _fail(f'"{key}" may not contain control characters.')
    return tuple(v.strip() for v in raw)


# EP ids are positive and stored in integer columns: anything past this is no id, and would
# only fail later, in the database, on a supporter's page.
_EP_ID_MAX = 2**31 - 1


# The longest list each key may hold: more than the Parliament has of each (27 states, a
# dozen groups, ~60 bodies, 720 MEPs), far less than a query may bind (65,535 parameters).
_LIST_LIMITS = {"countries": 60, "groups": 60, "bodies": 200, "mep_ids": 1000}
# An error names this many of the values it refuses, then counts the rest.
_NAMED_AT_MOST = 10


def _named(values: list[str]) -> str:
    """'A, B, C' — or the first few and 'and N more' for a long list."""
    shown = ", ".join(values[:_NAMED_AT_MOST])
    more = len(values) - _NAMED_AT_MOST
    return f"{shown} and {more} more" if more > 0 else shown


def _is_ep_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _EP_ID_MAX


def targeting_parse(raw: Any, *, check_references: bool = False) -> TargetingRule:
    """Validate a rule's shape (and, with check_references, that its bodies and roll call
    exist in the directory); return it normalised. Raises TargetingInvalidError."""
    if raw is None or raw == {}:
        return TargetingRule()
    if not isinstance(raw, Mapping):
        raise _fail("must be a JSON object.")
    unknown = set(raw) - _KEYS
    if unknown:
        raise _fail(
            f"unknown key(s) {_named(sorted(unknown))}; allowed: {', '.join(sorted(_KEYS))}."
        )
    for key, limit in _LIST_LIMITS.items():
        if isinstance(raw.get(key), list) and len(raw[key]) > limit:
            raise _fail(f'"{key}" may list at most {limit} values.')
    countries: tuple[str, ...] = ()
    if "countries" in raw:
        countries = tuple(
            country_code_normalise(c) for c in _str_list(raw["countries"], "countries")
        )
        bad = [c for c in countries if not _COUNTRY_RE.match(c)]
        if bad:
            raise _fail(f"countries must be two-letter codes, not {', '.join(bad)}.")
    for flag in ("supporter_country", "include_former"):
        if flag in raw and not isinstance(raw[flag], bool):
            raise _fail(f'"{flag}" must be true or false.')
    groups = _str_list(raw["groups"], "groups") if "groups" in raw else ()
    bodies: list[BodyRule] = []
    if "bodies" in raw:
        if not isinstance(raw["bodies"], list):
            raise _fail('"bodies" must be a list of {"code": …, "roles": […]}.')
        for item in raw["bodies"]:
            if not isinstance(item, Mapping) or not isinstance(item.get("code"), str):
                raise _fail('each body must be {"code": "DCAS", "roles": ["chair", …]}.')
            if set(item) - {"code", "roles"}:
                raise _fail('a body takes only "code" and "roles".')
            roles = _str_list(item["roles"], "roles") if "roles" in item else ()
            bad = [r for r in roles if r not in BodyRole.values]
            if bad:
                raise _fail(f"unknown role(s) {', '.join(bad)}; use {', '.join(BodyRole.values)}.")
            [code] = _str_list([item["code"]], "code")
            bodies.append(BodyRule(code=code.upper(), roles=roles or tuple(BodyRole.values)))
    roll_call_ep_id: int | None = None
    positions: tuple[str, ...] = ()
    if "roll_call" in raw:
        roll_call = raw["roll_call"]
        if (
            not isinstance(roll_call, Mapping)
            or set(roll_call) - {"ep_id", "positions"}
            or not _is_ep_id(roll_call.get("ep_id"))
        ):
            raise _fail('"roll_call" must be {"ep_id": 139038, "positions": ["for", …]}.')
        roll_call_ep_id = roll_call["ep_id"]
        positions = _str_list(roll_call.get("positions", list(POSITIONS)), "positions")
        bad = [p for p in positions if p not in POSITIONS]
        if bad:
            raise _fail(f"unknown position(s) {', '.join(bad)}; use {', '.join(POSITIONS)}.")
    mep_ids: tuple[int, ...] = ()
    if "mep_ids" in raw:
        if not isinstance(raw["mep_ids"], list) or not all(_is_ep_id(v) for v in raw["mep_ids"]):
            raise _fail('"mep_ids" must be a list of EP ids (numbers).')
        mep_ids = tuple(raw["mep_ids"])
    rule = TargetingRule(
        countries=countries,
        supporter_country=bool(raw.get("supporter_country", False)),
        groups=groups,
        bodies=tuple(bodies),
        roll_call_ep_id=roll_call_ep_id,
        positions=positions,
        mep_ids=mep_ids,
        include_former=bool(raw.get("include_former", False)),
    )
    if check_references:
        _check_directory(rule)
        codes = {b.code for b in rule.bodies}
        known = set(Body.objects.filter(code__in=codes).values_list("code", flat=True))
        if codes - known:
            raise _fail(f"unknown body code(s) {', '.join(sorted(codes - known))}.")
        if (
            rule.roll_call_ep_id is not None
            and not RollCall.objects.filter(ep_id=rule.roll_call_ep_id).exists()
        ):
            raise _fail(f"unknown roll call {rule.roll_call_ep_id}.")
    return rule


def _check_directory(rule: TargetingRule) -> None:
    """A country, group or MEP the directory does not hold makes a rule that reaches nobody
    there: a campaign whose letters go to no one. Refused when the rule is saved."""
    meps = Mep.objects.all() if rule.include_former else Mep.objects.filter(in_office=True)
    whom = "MEP" if rule.include_former else "sitting MEP"
    if rule.countries:
        found = set(
            meps.filter(country_code__in=rule.countries).values_list("country_code", flat=True)
        )
        missing = [c for c in rule.countries if c not in found]
        if missing:
            raise _fail(
                f"no {whom} of {_named(missing)} in the MEP directory "
                "(is it loaded? see manage.py load_meps)."
            )
    if rule.groups:
        found = set(meps.filter(group__in=rule.groups).values_list("group", flat=True))
        missing = [g for g in rule.groups if g not in found]
        if missing:
            known = sorted(
                meps.exclude(group="").order_by().values_list("group", flat=True).distinct()
            )
            raise _fail(
                f"no {whom} in the group(s) {_named(missing)}; the directory has "
                f"{', '.join(known) or 'no MEPs'}."
            )
    if rule.mep_ids:
        found_ids = set(meps.filter(ep_id__in=rule.mep_ids).values_list("ep_id", flat=True))
        missing_ids = [str(i) for i in rule.mep_ids if i not in found_ids]
        if missing_ids:
            raise _fail(f"no {whom} with EP id {_named(missing_ids)} in the directory.")


def _roll_call_q(rule: TargetingRule) -> Any:
    roll_call = RollCall.objects.filter(ep_id=rule.roll_call_ep_id or 0).first()
    if roll_call is None:
        raise _fail(f"unknown roll call {rule.roll_call_ep_id}.")
    vote_date = roll_call.voted_at.date()
    voted = RollCallVote.objects.filter(roll_call=roll_call, mep=OuterRef("pk"))
    sitting = Mandate.objects.filter(mandate_covers_q(vote_date), mep=OuterRef("pk"))
    q: Any = Q(pk__in=[])  # OR-ed with Exists(): Django's stubs type the result loosely
    cast = [p for p in rule.positions if p in ("for", "against", "abstention")]
    if cast:
        q |= Exists(voted.filter(position__in=cast))
    if "did_not_vote" in rule.positions:
        q |= Exists(sitting) & ~Exists(voted)
    if "not_an_mep" in rule.positions:
        q |= ~Exists(sitting)
    return q


def meps_targeted(
    *, rule: TargetingRule | Mapping[str, Any], supporter_country: str | None = None
) -> QuerySet[Mep]:
    """The MEPs a rule reaches. `supporter_country` applies the "supporter_country" kind;
    without it (the admin's preview) that kind is left out, i.e. all countries count."""
    if not isinstance(rule, TargetingRule):
        rule = targeting_parse(rule)
    meps = Mep.objects.all()
    if not rule.include_former:
        meps = meps.filter(in_office=True)
    if rule.countries:
        meps = meps.filter(country_code__in=rule.countries)
    if rule.supporter_country and supporter_country:
        meps = meps.filter(country_code=country_code_normalise(supporter_country))
    if rule.groups:
        meps = meps.filter(group__in=rule.groups)
    if rule.bodies:
        in_body: Any = Q(pk__in=[])
        for body in rule.bodies:
            in_body |= Exists(
                BodyMembership.objects.filter(
                    mep=OuterRef("pk"),
                    body__code=body.code,
                    role__in=body.roles,
                    term=CURRENT_TERM,
                )
            )
        meps = meps.filter(in_body)
    if rule.roll_call_ep_id is not None:
        meps = meps.filter(_roll_call_q(rule))
    if rule.mep_ids:
        meps = meps.filter(ep_id__in=rule.mep_ids)
    return meps


def meps_targeted_by_any(
    *, rules: Sequence[TargetingRule | Mapping[str, Any]], supporter_country: str | None = None
) -> QuerySet[Mep]:
    """The union of several templates' rules (a campaign's templates, one per language)."""
    if not rules:
        return Mep.objects.none()
    q = Q(pk__in=[])
    for rule in rules:
        q |= Q(pk__in=meps_targeted(rule=rule, supporter_country=supporter_country).values("pk"))
    return Mep.objects.filter(q)
