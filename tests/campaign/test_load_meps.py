"""`manage.py load_meps`: the shipped data, loaded and counted against its source."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import call_command

from campaign.models import Body, BodyMembership, Mandate, Mep, RollCall, RollCallVote
from tests.factories import MepFactory


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
