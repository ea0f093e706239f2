"""Targeting rules: which MEPs a letter template reaches, checked against the loaded data."""

from __future__ import annotations

import csv
from collections import Counter

import pytest
from django.core.management import call_command

from campaign.directory import DATA_DIR
from campaign.models import Mep
from campaign.targeting import TargetingInvalidError, meps_targeted, targeting_parse
from tests.factories import MepFactory


@pytest.fixture(scope="module")
def directory(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_meps", stdout=open("/dev/null", "w"))  # noqa: SIM115
    yield
    with django_db_blocker.unblock():
        from campaign.models import Body, RollCall

        Mep.objects.all().delete()
        Body.objects.all().delete()
        RollCall.objects.all().delete()


def _term10() -> list[dict[str, str]]:
    with (DATA_DIR / "meps_term10.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


pytestmark = pytest.mark.usefixtures("directory")


@pytest.mark.django_db
def test_an_empty_rule_reaches_every_sitting_mep():
    assert meps_targeted(rule={}).count() == 718


@pytest.mark.django_db
def test_countries_are_ored_and_combined_with_groups_by_and():
    sitting = [r for r in _term10() if r["sitting_at_source_date"] == "yes"]
    expected_countries = sum(1 for r in sitting if r["country_code"] in {"DE", "AT"})
    expected_both = sum(
        1 for r in sitting if r["country_code"] in {"DE", "AT"} and r["eu_group"] == "EPP"
    )

    assert meps_targeted(rule={"countries": ["DE", "AT"]}).count() == expected_countries
    assert (
        meps_targeted(rule={"countries": ["de", "at"], "groups": ["EPP"]}).count() == expected_both
    )


@pytest.mark.django_db
def test_supporter_country_limits_to_the_supporters_country_only_when_given():
    rule = {"supporter_country": True, "groups": ["Greens/EFA"]}
    everywhere = meps_targeted(rule=rule)
    german = meps_targeted(rule=rule, supporter_country="DE")
    assert german.count() < everywhere.count()
    assert set(german.values_list("country_code", flat=True)) == {"DE"}


@pytest.mark.django_db
def test_body_roles_select_the_dcas_chair_and_vice_chairs():
    leaders = meps_targeted(rule={"bodies": [{"code": "DCAS", "roles": ["chair", "vice_chair"]}]})
    assert sorted(leaders.values_list("last_name", flat=True)) == ["PELTIER", "PRINCI", "TOOM"]
    everyone = meps_targeted(rule={"bodies": [{"code": "DCAS"}]})
    sitting_ids = set(Mep.objects.filter(in_office=True).values_list("pk", flat=True))
    assert everyone.count() <= 34
    assert set(everyone.values_list("pk", flat=True)) <= sitting_ids


@pytest.mark.django_db
def test_bodies_are_ored_within_the_kind():
    dcas = set(meps_targeted(rule={"bodies": [{"code": "DCAS"}]}).values_list("pk", flat=True))
    droi = set(meps_targeted(rule={"bodies": [{"code": "DROI"}]}).values_list("pk", flat=True))
    both = meps_targeted(rule={"bodies": [{"code": "DCAS"}, {"code": "DROI"}]})
    assert set(both.values_list("pk", flat=True)) == dcas | droi


@pytest.mark.django_db
def test_roll_call_positions_match_the_source_for_sitting_meps():
    sitting = [r for r in _term10() if r["sitting_at_source_date"] == "yes"]
    by_vote = Counter(r["term9_final_vote_2022_2505_rsp"] for r in sitting)

    def count(*positions: str) -> int:
        rule = {"roll_call": {"ep_id": 139038, "positions": list(positions)}}
        return meps_targeted(rule=rule).count()

    assert count("for") == by_vote["for"]
    assert count("against") == by_vote["against"]
    assert count("abstention") == by_vote["abstention"]
    assert count("for", "against", "abstention", "did_not_vote", "not_an_mep") == 718
    # Everyone sitting is one of the five.
    assert (
        sum(count(p) for p in ("for", "against", "abstention"))
        + count("did_not_vote")
        + count("not_an_mep")
        == 718
    )


@pytest.mark.django_db
def test_did_not_vote_means_a_member_on_the_day_without_a_vote_row():
    rule = {
        "roll_call": {"ep_id": 139038, "positions": ["did_not_vote"]},
        "include_former": True,
    }
    # 705 MEPs sat on 20 January 2022, 671 voted.
    assert meps_targeted(rule=rule).count() == 705 - 671
    not_members = {"roll_call": {"ep_id": 139038, "positions": ["not_an_mep"]}}
    sitting_new = sum(
        1 for r in _term10() if r["sitting_at_source_date"] == "yes" and r["was_term9_mep"] == "no"
    )
    assert meps_targeted(rule=not_members).count() >= sitting_new


@pytest.mark.django_db
def test_mep_ids_pick_meps_by_ep_id_and_former_meps_only_on_request():
    former = MepFactory(in_office=False, ep_id=111)
    assert list(meps_targeted(rule={"mep_ids": [197648, 111]}).values_list("ep_id", flat=True)) == [
        197648
    ]
    assert meps_targeted(rule={"mep_ids": [111], "include_former": True}).get() == former


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ([], "JSON object"),
        ({"country": ["DE"]}, "unknown key"),
        ({"countries": "DE"}, "list"),
        ({"countries": ["Germany"]}, "two-letter"),
        ({"supporter_country": "yes"}, "true or false"),
        ({"bodies": [{"code": "DCAS", "roles": ["boss"]}]}, "unknown role"),
        ({"bodies": ["DCAS"]}, "each body"),
        ({"roll_call": {"ep_id": "139038"}}, "roll_call"),
        ({"roll_call": {"ep_id": 139038, "positions": ["yes"]}}, "unknown position"),
        ({"mep_ids": ["197648"]}, "EP ids"),
        ({"mep_ids": [10**30]}, "EP ids"),
        ({"mep_ids": [0]}, "EP ids"),
        ({"roll_call": {"ep_id": 2**31}}, "roll_call"),
        ({"groups": ["Renew\x00"]}, "control characters"),
        ({"countries": ["D\x00"]}, "control characters"),
        ({"bodies": [{"code": "DC\x00AS"}]}, "control characters"),
        ({"bodies": [{"code": " "}]}, "non-empty"),
    ],
)
def test_malformed_rules_are_refused_with_a_message(raw, problem):
    with pytest.raises(TargetingInvalidError) as caught:
        targeting_parse(raw)
    assert problem in caught.value.message
    assert "targeting" in caught.value.fields


@pytest.mark.django_db
def test_references_to_unknown_bodies_or_roll_calls_are_refused_on_save():
    with pytest.raises(TargetingInvalidError, match="unknown body"):
        targeting_parse({"bodies": [{"code": "NOPE"}]}, check_references=True)
    with pytest.raises(TargetingInvalidError, match="unknown roll call"):
        targeting_parse({"roll_call": {"ep_id": 1, "positions": ["for"]}}, check_references=True)


@pytest.mark.django_db
def test_maltas_six_sitting_meps_are_the_supporters_targets():
    malta = meps_targeted(rule={"supporter_country": True}, supporter_country="mt")
    assert malta.count() == 6
    assert set(malta.values_list("country_code", flat=True)) == {"MT"}
    assert not malta.filter(in_office=False).exists()


@pytest.mark.django_db
def test_the_eu_code_el_reaches_the_greek_meps():
    greek = meps_targeted(rule={"countries": ["GR"]}).count()
    assert greek == 21
    assert meps_targeted(rule={"countries": ["EL"]}).count() == greek
    assert meps_targeted(rule={"supporter_country": True}, supporter_country="EL").count() == greek


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        # The UK's MEPs left in 2020: a rule for them alone would write to nobody.
        ({"countries": ["GB"]}, "no sitting MEP of GB"),
        ({"countries": ["DE", "XK"]}, "no sitting MEP of XK"),
        # The source's "PfE" is "Patriots" in the directory (README).
        ({"groups": ["PfE"]}, "Patriots"),
        ({"mep_ids": [197648, 111]}, "EP id 111"),
    ],
)
def test_a_country_group_or_mep_the_directory_lacks_is_refused_on_save(raw, problem):
    with pytest.raises(TargetingInvalidError) as caught:
        targeting_parse(raw, check_references=True)
    assert problem in caught.value.message
    assert targeting_parse(raw).countries == tuple(raw.get("countries", ()))


@pytest.mark.django_db
def test_former_meps_count_for_a_rule_that_includes_them():
    rule = targeting_parse({"countries": ["GB"], "include_former": True}, check_references=True)
    assert meps_targeted(rule=rule).count() == 74


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "values"),
    [
        ("mep_ids", list(range(1, 70_001))),  # past what one query may bind: was a 500
        ("countries", ["DE"] * 61),
        ("groups", ["EPP"] * 61),
        ("bodies", [{"code": "AFET"}] * 201),
    ],
)
def test_a_list_longer_than_the_parliament_has_is_refused_by_name(key, values):
    with pytest.raises(TargetingInvalidError) as caught:
        targeting_parse({key: values}, check_references=True)
    assert f'"{key}" may list at most' in caught.value.message


@pytest.mark.django_db
def test_a_refusal_names_the_first_missing_values_and_counts_the_rest():
    with pytest.raises(TargetingInvalidError) as caught:
        targeting_parse({"mep_ids": list(range(1, 501))}, check_references=True)
    assert "EP id 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 490 more in the directory" in (
        caught.value.message
    )
