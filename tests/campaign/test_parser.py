"""The OEIL summary parser: metadata, calls and their addressees, tolerance, and robustness.

Pure Python: these tests need neither Django nor a database.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.importer.parser import (
    CALL_KINDS,
    VOTES_CAST_BOUND,
    ParsedCall,
    ParsedResolution,
    find_country,
    normalise_addressees,
    parse_oeil_summary,
)

FIXTURES = Path(__file__).resolve().parents[2] / "campaign" / "fixtures" / "resolutions"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def parse_fixture(name: str) -> ParsedResolution:
    return parse_oeil_summary(fixture_text(name))


def summary_of(calls: tuple[ParsedCall, ...]) -> list[tuple[tuple[str, ...], str, str, bool]]:
    """(addressees, first words of the action, kind, explicit) per call, for compact asserts."""
    return [
        (call.addressees, call.action, call.kind, call.has_explicit_addressee) for call in calls
    ]


def assert_calls(
    calls: tuple[ParsedCall, ...], expected: list[tuple[tuple[str, ...], str, str, bool]]
) -> None:
    assert len(calls) == len(expected), [call.action for call in calls]
    for call, (addressees, action_start, kind, explicit) in zip(calls, expected, strict=True):
        assert call.addressees == addressees, call
        assert call.action.startswith(action_start), call
        assert call.kind == kind, call
        assert call.has_explicit_addressee is explicit, call
    assert [call.position for call in calls] == list(range(1, len(calls) + 1))


# ---------------------------------------------------------------------------------------------
# The founding text: 2022/2505(RSP), the situation in Kazakhstan
# ---------------------------------------------------------------------------------------------

KAZAKHSTAN = "oeil-2022-2505-RSP-kazakhstan.txt"
GOVERNMENT = ("Government of Kazakhstan",)
FOUNDING_CALLS: list[tuple[tuple[str, ...], str, str, bool]] = [
    (("President Tokayev",), "publicly cancel any order to shoot to kill", "demand", True),
    (GOVERNMENT, "drop politically motivated charges and put an end to", "demand", True),
    (GOVERNMENT, "immediately release arbitrarily detained demonstrators", "demand", True),
    (GOVERNMENT, "immediately release and fully rehabilitate all political", "demand", True),
    (GOVERNMENT, "lift the measures mandating pre-trial detention", "demand", True),
    (GOVERNMENT, "revise the law on public assemblies", "demand", True),
    (GOVERNMENT, "publicly recognise and fully respect the importance", "demand", True),
    (GOVERNMENT, "refrain from bringing terrorism charges", "demand", True),
    (GOVERNMENT, "revise the definition of extremism", "demand", True),
    ((), "a proper international investigation into the crimes", "investigation", False),
    (GOVERNMENT, "consider setting up a permanent working group under the OSCE's", "other", True),
    (
        (
            "EU institutions and agencies",
            "EEAS",
            "European Bank for Reconstruction and Development",
            "World Bank",
        ),
        "halt financing programmes in Kazakhstan until the government takes",
        "financing",
        True,
    ),
]


def test_founding_text_metadata_is_read_from_heading_metadata_line_and_vote_sentence() -> None:
    parsed = parse_fixture(KAZAKHSTAN)

    assert parsed.title == "Resolution on the situation in Kazakhstan"
    assert parsed.procedure_reference == "2022/2505(RSP)"
    assert parsed.adopted_on == date(2022, 1, 20)
    assert parsed.stage == "Text adopted by Parliament, single reading"
    assert (parsed.votes_for, parsed.votes_against, parsed.abstentions) == (589, 35, 47)
    assert parsed.subject == "the situation in Kazakhstan"
    assert parsed.country == "Kazakhstan"
    assert parsed.warnings == ()


def test_founding_text_yields_exactly_twelve_calls_in_order() -> None:
    parsed = parse_fixture(KAZAKHSTAN)

    assert_calls(parsed.calls, FOUNDING_CALLS)


def test_he_is_urged_resolves_to_the_president_named_in_the_sentence_before() -> None:
    first = parse_fixture(KAZAKHSTAN).calls[0]

    assert first.addressee_as_written == "He"
    assert first.addressees == ("President Tokayev",)
    assert first.action == "publicly cancel any order to shoot to kill without warning"
    assert first.source_sentence == (
        "He is urged to publicly cancel any order to shoot to kill without warning."
    )


def test_bullets_are_addressed_to_the_list_introduction_and_lose_their_trailing_semicolon() -> None:
    calls = parse_fixture(KAZAKHSTAN).calls

    bullets = calls[1:9]
    assert {call.addressee_as_written for call in bullets} == {"The Government of Kazakhstan"}
    assert calls[3].action == "immediately release and fully rehabilitate all political prisoners"
    assert calls[3].source_sentence == (
        "immediately release and fully rehabilitate all political prisoners;"
    )
    # The blank line between the sixth and seventh bullet does not end the list.
    assert calls[7].action.startswith("refrain from bringing terrorism charges")
    assert calls[8].action == (
        "revise the definition of extremism to bring it into line with Kazakhstan's "
        "international obligations"
    )


def test_a_call_with_and_to_stays_one_call() -> None:
    eleventh = parse_fixture(KAZAKHSTAN).calls[10]

    assert eleventh.addressee_as_written == "the Kazakh government"
    assert eleventh.action.endswith(
        "foreign interference or internal power struggles, and to address the root cause of "
        "the unrest"
    )


def test_it_also_urged_names_the_object_not_the_subject_as_addressee() -> None:
    eleventh = parse_fixture(KAZAKHSTAN).calls[10]

    assert eleventh.addressees == ("Government of Kazakhstan",)
    assert "It also urged" in eleventh.source_sentence


def test_parliament_called_for_has_no_explicit_addressee() -> None:
    tenth = parse_fixture(KAZAKHSTAN).calls[9]

    assert tenth.has_explicit_addressee is False
    assert tenth.addressee_as_written == ""
    assert tenth.action == (
        "a proper international investigation into the crimes committed against the people of "
        "Kazakhstan"
    )


def test_condemnations_and_background_stay_context() -> None:
    parsed = parse_fixture(KAZAKHSTAN)

    context = "\n".join(parsed.context)
    assert "Parliament strongly condemned the widespread acts of violence" in context
    assert "The resolution condemned President Tokayev's inflammatory rhetoric" in context
    assert "EPCA" in context
    assert "He is urged" not in context
    assert "is called on to" not in context
    assert "called for a proper" not in context
    assert not any(call.action.startswith("strongly condemned") for call in parsed.calls)


def test_pasted_text_with_crlf_nbsp_curly_quotes_and_extra_spaces_parses_the_same() -> None:
    messy = (
        fixture_text(KAZAKHSTAN)
        .replace("\n", "\r\n")
        .replace("OSCE's", "OSCE\u2019s")
        .replace("589 votes", "589\u00a0votes")
        .replace("Parliament called for", "Parliament  called   for")
        .replace("- immediately release and", "  \u2013  immediately release and")
    )

    parsed = parse_oeil_summary(f"\ufeff  {messy}  \r\n\r\n")

    assert parsed.votes_for == 589
    assert_calls(parsed.calls, FOUNDING_CALLS)
    assert parsed.calls[10].action.startswith("consider setting up a permanent working group")


def test_a_missing_heading_is_tolerated_and_the_title_derived_from_the_vote_sentence() -> None:
    without_heading = fixture_text(KAZAKHSTAN).replace(
        "# Resolution on the situation in Kazakhstan", ""
    )

    parsed = parse_oeil_summary(without_heading)

    assert parsed.title == "Resolution on the situation in Kazakhstan"
    assert any("title derived" in warning for warning in parsed.warnings)
    assert len(parsed.calls) == 12


def test_a_plain_first_line_is_taken_as_the_title() -> None:
    plain = fixture_text(KAZAKHSTAN).replace("# Resolution on", "Resolution on")

    assert parse_oeil_summary(plain).title == "Resolution on the situation in Kazakhstan"


# ---------------------------------------------------------------------------------------------
# Further summaries in the same format
# ---------------------------------------------------------------------------------------------


def test_nicaragua_summary_with_two_lists_and_calls_spread_over_paragraphs() -> None:
    parsed = parse_fixture("nicaragua-human-rights-2023-9101-RSP.txt")

    assert parsed.procedure_reference == "2023/9101(RSP)"
    assert parsed.adopted_on == date(2023, 2, 16)
    assert (parsed.votes_for, parsed.votes_against, parsed.abstentions) == (531, 18, 34)
    assert parsed.country == "Nicaragua"
    authorities = ("Authorities of Nicaragua",)
    council_commission = ("Council", "Commission")
    assert_calls(
        parsed.calls,
        [
            (authorities, "immediately and unconditionally release all political", "demand", True),
            (authorities, "restore the legal status of the civil society", "demand", True),
            (authorities, "allow the return of international human rights bodies", "demand", True),
            (council_commission, "extend the list of individuals and entities", "sanctions", True),
            (council_commission, "suspend budget support to the Nicaraguan", "financing", True),
            (("Member States",), "offer protection and consular assistance", "demand", True),
            (
                ("EEAS", "EU Delegation to Nicaragua"),
                "closely monitor the trials of political prisoners",
                "other",
                True,
            ),
            ((), "an independent international investigation into the deaths", "investigation",
             False),
        ],
    )  # fmt: skip
    # "(b) …; and" loses its "; and"; "(a)" bullets keep their inner commas.
    assert parsed.calls[1].action.endswith("organisations that were closed")
    assert parsed.calls[0].action.endswith("including Bishop Rolando Álvarez")
    assert "expressed deep concern" in "\n".join(parsed.context)


def test_eu_internal_summary_with_members_call_on_the_resolution_calls_on_and_demanded() -> None:
    parsed = parse_fixture("journalists-eu-2024-9102-RSP.txt")

    assert parsed.title == (
        "Resolution on the protection of journalists and human rights defenders in the EU"
    )
    assert (parsed.votes_for, parsed.votes_against, parsed.abstentions) == (402, 149, 36)
    assert parsed.country is None
    assert_calls(
        parsed.calls,
        [
            (("Commission",), "present, without delay, a legislative proposal", "demand", True),
            (("Council", "Commission"), "make the protection of journalists", "demand", True),
            (("Member States",), "transpose the anti-SLAPP directive", "demand", True),
            (("Member States",), "not to use national security as a pretext", "demand", True),
            (
                ("European Union Agency for Fundamental Rights",),
                "collect comparable data",
                "demand",
                True,
            ),
            (("national parliaments",), "hold annual hearings on media freedom", "demand", True),
            # "demanded that the Commission open …": a demand on the Commission.
            (("Commission",), "open infringement proceedings", "demand", True),
        ],
    )
    # "recalled that the Commission should present …" is not a call: kept conservative.
    assert "recalled that the Commission should present" in "\n".join(parsed.context)


def test_a_second_separately_addressed_demand_in_one_sentence_becomes_its_own_call() -> None:
    calls = parse_fixture("journalists-eu-2024-9102-RSP.txt").calls

    transpose, do_not = calls[2], calls[3]
    assert transpose.action == "transpose the anti-SLAPP directive fully and on time"
    assert do_not.addressee_as_written == "them"
    assert do_not.addressees == ("Member States",)
    assert do_not.source_sentence == transpose.source_sentence


def test_belarus_summary_with_they_are_urged_and_a_called_for_list() -> None:
    parsed = parse_fixture("belarus-repression-2023-9103-RSP.txt")

    assert parsed.country == "Belarus"
    assert_calls(
        parsed.calls,
        [
            (("Authorities of Belarus",), "grant all detainees access", "demand", True),
            ((), "the immediate and unconditional release of all political", "demand", False),
            ((), "an end to trials in absentia", "demand", False),
            ((), "an international investigation into the crimes", "investigation", False),
            (("Member States",), "simplify visa procedures", "demand", True),
            (("Commission",), "increase its support for independent", "demand", True),
            (("Council",), "broaden the EU sanctions", "sanctions", True),
            (("Council",), "align the sanctions against Belarus", "sanctions", True),
            (
                ("EU institutions", "Member States", "like-minded partners"),
                "apply the principle of universal jurisdiction and to prosecute",
                "demand",
                True,
            ),
        ],
    )
    assert parsed.calls[0].addressee_as_written == "They"


def test_iran_summary_with_urged_it_also_called_on_and_a_dash_list() -> None:
    parsed = parse_fixture("iran-death-sentences-2023-9104-RSP.txt")

    vp_hr_states = ("VP/HR", "Member States")
    assert_calls(
        parsed.calls,
        [
            (("Authorities of Iran",), "immediately halt all executions and to commute", "demand",
             True),
            (("Judiciary of Iran",), "guarantee fair trials", "demand", True),
            (("Supreme Leader", "President of Iran"), "put an end to the use of the death",
             "demand", True),
            (vp_hr_states, "summon Iranian ambassadors", "demand", True),
            (vp_hr_states, "add those responsible for the executions", "sanctions", True),
            (vp_hr_states, "consider listing the Islamic Revolutionary Guard", "other", True),
            (("Commission",), "suspend all EU funding", "financing", True),
            (("UN Human Rights Council",), "extend the mandate of its fact-finding",
             "investigation", True),
        ],
    )  # fmt: skip
    assert "welcomed the release of some detainees" in "\n".join(parsed.context)


def test_a_text_with_only_condemnations_has_no_calls() -> None:
    parsed = parse_fixture("condemnations-only.txt")

    assert parsed.calls == ()
    assert "no calls found" in parsed.warnings
    assert parsed.procedure_reference == "2024/9105(RSP)"
    # Someone else's call, and Parliament welcoming "the Commission's call on", are context.
    context = "\n".join(parsed.context)
    assert "The UN Secretary-General called on all parties to show restraint." in context
    assert "welcomed the Commission's call on the parties" in context


def test_every_fixture_has_a_source_named_in_the_readme() -> None:
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")

    for path in FIXTURES.glob("*.txt"):
        assert path.name in readme


# ---------------------------------------------------------------------------------------------
# Shapes and edge cases
# ---------------------------------------------------------------------------------------------


def test_empty_text_gives_no_calls_and_says_why() -> None:
    for text in ("", "   \n\r\n \u00a0 \t"):
        parsed = parse_oeil_summary(text)

        assert parsed.calls == ()
        assert parsed.title == ""
        assert parsed.procedure_reference is None
        assert "the text is empty" in parsed.warnings
        assert "no procedure reference found" in parsed.warnings
        assert "no vote figures found" in parsed.warnings
        assert "no calls found" in parsed.warnings


def test_text_without_metadata_or_votes_still_yields_calls_with_warnings() -> None:
    parsed = parse_oeil_summary("Parliament called on the Commission to act now.")

    assert parsed.procedure_reference is None
    assert parsed.adopted_on is None
    assert "no adoption date found" in parsed.warnings
    assert "no vote figures found" in parsed.warnings
    assert [(c.addressees, c.action) for c in parsed.calls] == [(("Commission",), "act now")]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("adopted by 589 votes to 35, with 47 abstentions, a resolution", (589, 35, 47)),
        ("adopted by 589 votes to 35 with 47 abstentions a resolution", (589, 35, 47)),
        ("adopted by 600 votes to 20, with no abstentions", (600, 20, 0)),
        ("adopted by 600 votes to 20, a resolution", (600, 20, None)),
        ("was adopted by 500 votes in favour, 100 against and 30 abstentions", (500, 100, 30)),
        ("adopted a resolution on Belarus by 598 votes to 20, with 66 abstentions", (598, 20, 66)),
        ("adopted, by 598 votes to 20, with 66 abstentions, a resolution", (598, 20, 66)),
        ("adopted with 584 votes in favour, 3 against and 38 abstentions", (584, 3, 38)),
        ("adopted the text with 412 votes for, 97 against, and 10 abstentions", (412, 97, 10)),
        ("voted on the text: 598 votes for, 20 against", (598, 20, None)),
        ("adopted by 331 votes in favour to 290 against, with 9 abstentions", (331, 290, 9)),
    ],
)
def test_vote_figures_are_read_in_their_usual_shapes(
    sentence: str, expected: tuple[int, int, int | None]
) -> None:
    parsed = parse_oeil_summary(f"The European Parliament {sentence}.")

    assert (parsed.votes_for, parsed.votes_against, parsed.abstentions) == expected
    assert "no vote figures found" not in parsed.warnings


def test_the_figures_of_the_adoption_win_over_other_figures_in_the_text() -> None:
    parsed = parse_oeil_summary(
        "A first motion failed with 300 votes for, 310 against.\n\n"
        "The European Parliament then adopted a resolution on Chad by 520 votes to 31."
    )

    assert (parsed.votes_for, parsed.votes_against, parsed.subject) == (520, 31, "Chad")


@pytest.mark.parametrize(
    "subject", ["the situation in Nicaragua", "killings by security forces in Iran", "Belarus"]
)
def test_a_subject_before_the_vote_figures_ends_where_they_begin(subject: str) -> None:
    parsed = parse_oeil_summary(
        f"The European Parliament adopted a resolution on {subject} by 541 votes to 2."
    )

    assert parsed.subject == subject
    assert (parsed.votes_for, parsed.votes_against) == (541, 2)


@pytest.mark.parametrize(
    "figures",
    [
        "1,000,000,000,000,000,000,000 votes to 3, with 1 abstention",
        "3,000,000,000 votes to 3",
        "1 234 votes to 1,005, with 2.001 abstentions",
        "598 votes to 20, with 4000 abstentions",
        "600 votes to 300, with 100 abstentions",
        "99999999999 votes in favour, 3 against and 1 abstention",
    ],
)
def test_implausible_vote_figures_are_reported_and_never_kept(figures: str) -> None:
    parsed = parse_oeil_summary(
        "2023/2890(RSP) - 19/10/2023 - Text adopted\n\n"
        f"The European Parliament adopted by {figures}, a resolution on Belarus.\n\n"
        "Parliament called on the Belarusian authorities to release all political prisoners."
    )

    assert (parsed.votes_for, parsed.votes_against, parsed.abstentions) == (None, None, None)
    assert any(f"fewer than {VOTES_CAST_BOUND:,} Members" in w for w in parsed.warnings)
    assert parsed.subject == "Belarus" and len(parsed.calls) == 1


def test_the_largest_plausible_vote_is_kept() -> None:
    parsed = parse_oeil_summary(
        f"Parliament adopted by {VOTES_CAST_BOUND - 3} votes to 1, with 1 abstention, a text."
    )

    assert (parsed.votes_for, parsed.votes_against, parsed.abstentions) == (
        VOTES_CAST_BOUND - 3,
        1,
        1,
    )


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("20/01/2022", date(2022, 1, 20)),
        ("20.01.2022", date(2022, 1, 20)),
        ("19/10/23", date(2023, 10, 19)),
        ("3.2.99", date(1999, 2, 3)),
        ("2022-07-07", date(2022, 7, 7)),
        ("2024-2-29", date(2024, 2, 29)),
        ("6 October 2022", date(2022, 10, 6)),
        ("14 june 2023", date(2023, 6, 14)),
        ("1 Sept. 2021", date(2021, 9, 1)),
        ("28 Feb 2019", date(2019, 2, 28)),
    ],
)
def test_the_adoption_date_is_read_in_every_usual_shape(written: str, expected: date) -> None:
    parsed = parse_oeil_summary(
        f"2021/2345(RSP) - {written} - Text adopted by Parliament, single reading\n\n"
        "Parliament called on the Commission to act."
    )

    assert parsed.procedure_reference == "2021/2345(RSP)"
    assert parsed.adopted_on == expected
    assert parsed.stage == "Text adopted by Parliament, single reading"
    assert parsed.title == ""
    assert not any("date" in warning for warning in parsed.warnings)


@pytest.mark.parametrize(
    ("line", "reference"),
    [
        ("2023/2890(RSP) - 19 October 2023 - Text adopted by Parliament, single reading",
         "2023/2890(RSP)"),
        ("2019/2876(RSP) 2019-12-19 Text adopted by Parliament", "2019/2876(RSP)"),
        ("2020/2011(INI) - Thursday last week - Text adopted by Parliament, 1st reading",
         "2020/2011(INI)"),
        ("2018/2103 (ini)", "2018/2103(INI)"),
        ("(2017/2131(INI)) Debate in Parliament", "2017/2131(INI)"),
    ],
)  # fmt: skip
def test_a_first_line_opening_with_a_procedure_reference_is_never_the_title(
    line: str, reference: str
) -> None:
    parsed = parse_oeil_summary(
        f"{line}\n\nThe European Parliament adopted by 500 votes to 30 a resolution on Nepal."
        "\n\nParliament called on the Commission to act."
    )

    assert parsed.title == "Resolution on Nepal"
    assert parsed.procedure_reference == reference


def test_an_impossible_date_is_a_warning_not_an_error() -> None:
    parsed = parse_oeil_summary("2022/2505(RSP) - 31/02/2022 - Text adopted by Parliament")

    assert parsed.procedure_reference == "2022/2505(RSP)"
    assert parsed.adopted_on is None
    assert "invalid adoption date '31/02/2022'" in parsed.warnings


@pytest.mark.parametrize(
    ("text", "addressees", "action"),
    [
        ("Parliament called on the Council and the Commission to act.", ("Council", "Commission"),
         "act"),
        ("Parliament urged the Chinese authorities to release Ilham Tohti.",
         ("Authorities of China",), "release Ilham Tohti"),
        ("Parliament asked the Russian government to withdraw the law.", ("Government of Russia",),
         "withdraw the law"),
        ("Parliament invited the Commission to report back.", ("Commission",), "report back"),
        ("The resolution calls on the Member States to act.", ("Member States",), "act"),
        ("Members call on the Commission to act.", ("Commission",), "act"),
        ("Lastly, the Commission is called upon to act.", ("Commission",), "act"),
        ("The Commission and the Council are urged to act.", ("Commission", "Council"), "act"),
        ("It called on the EU Special Representative to Kazakhstan to visit detainees.",
         ("EU Special Representative to Kazakhstan",), "visit detainees"),
        ("Parliament condemned the arrests and called on the authorities to free them.",
         ("authorities",), "free them"),
        ("Parliament urged the government not to adopt the bill.", ("government",),
         "not to adopt the bill"),
        ("Parliament reiterated its call on the Council to adopt sanctions.", ("Council",),
         "adopt sanctions"),
        ("The Chinese and Hong Kong authorities are urged to release Jimmy Lai.",
         ("Authorities of China", "Authorities of Hong Kong"), "release Jimmy Lai"),
        ("Parliament urged the Russian and Belarusian authorities to free all detainees.",
         ("Authorities of Russia", "Authorities of Belarus"), "free all detainees"),
    ],
)  # fmt: skip
def test_sentence_call_shapes(text: str, addressees: tuple[str, ...], action: str) -> None:
    calls = parse_oeil_summary(text).calls

    assert [(call.addressees, call.action) for call in calls] == [(addressees, action)]
    assert calls[0].has_explicit_addressee


@pytest.mark.parametrize(
    "text",
    [
        "The Commission should present a proposal.",
        "Member States must act.",
        "The UN called on the parties to de-escalate.",
        "Parliament welcomed the Council's call on all sides to exercise restraint.",
        "Parliament strongly condemned the attack and deplored the loss of life.",
        "Parliament expressed concern, regretted the delay, noted the report and recalled its "
        "position.",
        "It recalled that the authorities are obliged to protect journalists.",
    ],
)
def test_sentences_that_are_not_calls_by_parliament_stay_context(text: str) -> None:
    parsed = parse_oeil_summary(text)

    assert parsed.calls == ()
    assert text in parsed.context


def test_parliament_demanded_is_a_call_without_an_explicit_addressee() -> None:
    calls = parse_oeil_summary(
        "Parliament demanded the immediate release of all detained journalists."
    ).calls

    assert [(c.addressees, c.action, c.has_explicit_addressee) for c in calls] == [
        ((), "the immediate release of all detained journalists", False)
    ]


def test_bullet_markers_lists_and_their_end() -> None:
    text = (
        "Parliament urged the Commission to:\n"
        "(a) propose a directive;\n\n"
        "* fund civil society; and\n"
        "• review the strategy, taking into\n"
        "account the new data.\n"
        "(iv) report back.\n\n"
        "Parliament noted the report.\n\n"
        "- this bullet follows a non-call paragraph\n"
    )

    parsed = parse_oeil_summary(text)

    assert [call.action for call in parsed.calls] == [
        "propose a directive",
        "fund civil society",
        "review the strategy, taking into account the new data",
        "report back",
    ]
    assert {call.addressees for call in parsed.calls} == {("Commission",)}
    assert "Parliament noted the report." in parsed.context
    assert "this bullet follows a non-call paragraph" in parsed.context


@pytest.mark.parametrize("marker", ["{n}.", "{n})", "({n})"])
def test_numbered_items_after_a_call_introduction_are_calls(marker: str) -> None:
    actions = ["release all political prisoners", "restore the legal status of NGOs", "report"]
    items = "\n".join(
        f"{marker.format(n=n)} {action};" for n, action in enumerate(actions, start=1)
    )

    parsed = parse_oeil_summary(f"The Cuban government is called on to:\n\n{items}")

    assert [call.action for call in parsed.calls] == actions
    assert {call.addressees for call in parsed.calls} == {("Government of Cuba",)}


def test_figures_opening_a_wrapped_line_do_not_start_a_list() -> None:
    parsed = parse_oeil_summary(
        "Parliament called on the Commission to act before\n19.10.2025 and to report.\n"
        "2023 was the worst year.\n1 May is Labour Day."
    )

    assert [call.action for call in parsed.calls] == ["act before 19.10.2025 and to report"]
    assert parsed.context == ("2023 was the worst year. 1 May is Labour Day.",)


def test_a_list_introduced_by_a_sentence_that_is_not_a_call_stays_context() -> None:
    parsed = parse_oeil_summary("Parliament noted the following:\n- one thing;\n- another.")

    assert parsed.calls == ()
    assert parsed.context == ("Parliament noted the following:", "one thing;", "another.")


def test_an_object_pronoun_resolves_to_the_actors_named_before() -> None:
    parsed = parse_oeil_summary(
        "The Egyptian authorities detained 60 activists. Parliament urged them to release the "
        "activists."
    )

    assert [(c.addressee_as_written, c.addressees) for c in parsed.calls] == [
        ("them", ("Authorities of Egypt",))
    ]


def test_an_unresolvable_pronoun_is_reported() -> None:
    parsed = parse_oeil_summary("He is urged to resign.")

    assert [(c.addressee_as_written, c.addressees, c.action) for c in parsed.calls] == [
        ("He", (), "resign")
    ]
    assert any('"He"' in warning for warning in parsed.warnings)


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        ("suspend all loans to the regime", "financing"),
        ("halt financing programmes in the country", "financing"),
        ("ensure that budget support is suspended", "financing"),
        ("adopt targeted sanctions against those responsible", "sanctions"),
        ("impose asset freezes and travel bans", "sanctions"),
        ("launch an independent inquiry into the killings", "investigation"),
        ("investigate the allegations of torture", "investigation"),
        ("continue to monitor the situation closely", "other"),
        ("release all political prisoners", "demand"),
        ("put an end to all forms of arbitrary detention, reprisals and harassment", "demand"),
    ],
)
def test_calls_are_classified_by_what_they_demand(action: str, kind: str) -> None:
    calls = parse_oeil_summary(f"Parliament called on the Commission to {action}.").calls

    assert [call.kind for call in calls] == [kind]
    assert kind in CALL_KINDS


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("the Kazakh government", ("Government of Kazakhstan",)),
        ("The Government of Kazakhstan", ("Government of Kazakhstan",)),
        ("the Hungarian government", ("Government of Hungary",)),
        ("Turkey's government", ("Government of Turkey",)),
        ("the Belarusian authorities", ("Authorities of Belarus",)),
        ("the authorities of Egypt", ("Authorities of Egypt",)),
        ("the VP/HR, the Council and the Commission", ("VP/HR", "Council", "Commission")),
        ("the European Commission and its Member States", ("Commission", "Member States")),
        ("the Organization for Security and Co-operation in Europe (OSCE)",
         ("Organization for Security and Co-operation in Europe",)),
        ("the governments of Bosnia and Herzegovina and Serbia",
         ("governments of Bosnia and Herzegovina and Serbia",)),
        ("The Chinese and Hong Kong authorities",
         ("Authorities of China", "Authorities of Hong Kong")),
        ("the Russian and Belarusian authorities",
         ("Authorities of Russia", "Authorities of Belarus")),
        ("the Chinese and the Hong Kong authorities",
         ("Authorities of China", "Authorities of Hong Kong")),
        ("the Russian, Belarusian and Iranian authorities",
         ("Authorities of Russia", "Authorities of Belarus", "Authorities of Iran")),
        ("the Council, the Azerbaijani and Armenian governments",
         ("Council", "Government of Azerbaijan", "Government of Armenia")),
        ("Hong Kong and Chinese authorities", ("Authorities of Hong Kong", "Authorities of China")),
        ("the Hungarian and Polish governments", ("Government of Hungary", "Government of Poland")),
        ("Russia and the Belarusian authorities", ("Russia", "Authorities of Belarus")),
    ],
)  # fmt: skip
def test_addressees_are_normalised_with_a_general_demonym_table(
    written: str, expected: tuple[str, ...]
) -> None:
    assert normalise_addressees(written) == expected


def test_a_bare_the_authorities_means_the_resolutions_country() -> None:
    assert normalise_addressees("the authorities", country="Iran") == ("Authorities of Iran",)
    assert normalise_addressees("the authorities") == ("authorities",)


def test_the_country_is_found_by_name_or_demonym() -> None:
    assert find_country("the situation in Kazakhstan") == "Kazakhstan"
    assert find_country("the Kazakh crackdown") == "Kazakhstan"
    assert find_country("the case of South Sudanese refugees") == "South Sudan"
    assert find_country("media freedom in the EU") is None


# ---------------------------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_text_parses_without_raising(text: str) -> None:
    parsed = parse_oeil_summary(text)

    assert isinstance(parsed, ParsedResolution)
    assert not any("internal parser error" in warning for warning in parsed.warnings)


OEIL_FRAGMENTS = [
    "# Resolution on the situation in Kazakhstan",
    "2022/2505(RSP) - 20/01/2022 - Text adopted by Parliament, single reading",
    "The European Parliament adopted by 589 votes to 35, with 47 abstentions, a resolution on",
    "Parliament called on",
    "It also urged",
    "He is urged to",
    "They are called on to:",
    "the Kazakh government",
    "the Council and the Commission",
    " to ",
    " not to ",
    " and ",
    ", including ",
    "- ",
    "(a) ",
    "• ",
    ";",
    ":",
    ".",
    "\n",
    "\n\n",
    "\r\n",
    "President Tokayev's",
    "Parliament called for",
    "halt financing",
    "immediately release",
    "{{ mep.salutation }}",
    "\u00a0",
    "\u2019",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(OEIL_FRAGMENTS) | st.text(max_size=8), max_size=40))
def test_any_mix_of_oeil_fragments_parses_without_raising(fragments: list[str]) -> None:
    parsed = parse_oeil_summary("".join(fragments))

    assert not any("internal parser error" in warning for warning in parsed.warnings)
    for call in parsed.calls:
        assert call.kind in CALL_KINDS
        assert call.action


@pytest.mark.parametrize(
    "shape",
    [
        "founding text repeated",
        "one huge word sequence",
        "called on without a to",
        "and-chain addressee",
        "million bullets",
        "digits after adopted by",
        "chained second calls",
        "adopted without figures",
    ],
)
def test_two_megabyte_inputs_finish(shape: str, capsys: pytest.CaptureFixture[str]) -> None:
    # Run, don't assert time: this guards against catastrophic backtracking and quadratic
    # loops (a hang or a RecursionError would fail it), and prints the figure for the record.
    size = 2_000_000
    founding = fixture_text(KAZAKHSTAN)
    texts = {
        "founding text repeated": founding * (size // len(founding)),
        "one huge word sequence": "a " * (size // 2),
        "called on without a to": "Parliament called on " + "the to " * (size // 7),
        "and-chain addressee": "Parliament called on " + "the A and " * (size // 10) + "to act.",
        "million bullets": "X is called on to:\n" + "- act; and\n" * (size // 11),
        "digits after adopted by": "adopted by " + "1 000 " * (size // 6),
        "chained second calls": "Parliament called on A to act" + " and urged B to act" * 100_000,
        "adopted without figures": "adopted a resolution on it by " * (size // 30),
    }

    started = time.perf_counter()
    parsed = parse_oeil_summary(texts[shape])
    elapsed = time.perf_counter() - started

    assert not any("internal parser error" in warning for warning in parsed.warnings)
    with capsys.disabled():
        print(f"\n  parse 2 MB ({shape}): {elapsed:.2f}s, {len(parsed.calls)} calls")


# --- Layouts other resolutions come in ------------------------------------------------------

HEAD = (
    "# Resolution on the situation in Togo\n\n"
    "2024/2601(RSP) - 13/07/2024 - Text adopted by Parliament, single reading\n\n"
    "The European Parliament adopted by 455 votes to 101, with 36 abstentions, a resolution "
    "on the situation in Togo.\n\n"
)


def test_a_list_parliament_introduces_makes_each_demanding_bullet_a_call() -> None:
    parsed = parse_oeil_summary(
        HEAD + "The resolution also:\n\n"
        "- calls on the Commission to suspend budget support;\n"
        "- urges the Council to impose personal sanctions;\n"
        "- recalls the 2020 elections.\n\n"
        "Parliament:\n"
        "1. called on the Togolese authorities to release all political prisoners;\n"
        "2. called for the immediate release of Mr Agbéyomé Kodjo.\n"
    )

    assert [(call.addressees, call.action) for call in parsed.calls] == [
        (("Commission",), "suspend budget support"),
        (("Council",), "impose personal sanctions"),
        (("Authorities of Togo",), "release all political prisoners"),
        ((), "the immediate release of Mr Agbéyomé Kodjo"),
    ]
    assert parsed.calls[0].source_sentence == "calls on the Commission to suspend budget support;"
    assert "recalls the 2020 elections." in parsed.context


def test_a_bullet_that_makes_its_own_call_is_a_call_and_other_bullets_stay_background() -> None:
    parsed = parse_oeil_summary(
        HEAD + "Background:\n\n"
        "- Parliament called on the Council to adopt targeted sanctions.\n"
        "- The Government of Togo is urged to lift the ban on demonstrations.\n"
        "- Protests began in June 2024.\n"
    )

    assert [(call.addressees, call.action) for call in parsed.calls] == [
        (("Council",), "adopt targeted sanctions"),
        (("Government of Togo",), "lift the ban on demonstrations"),
    ]
    assert "Protests began in June 2024." in parsed.context


@pytest.mark.parametrize(
    "bullets",
    [("a. ", "b. "), ("(A) ", "(B) "), ("A) ", "B) "), ("\u25a0 ", "\u25a0 "),
     ("\u25ba ", "\u25ba "), ("o ", "o "), ("1 - ", "2 - "), ("\u2212 ", "\u2212 "),
     ("\uf0b7 ", "\uf0b7 "), ("iv. ", "v. ")],
    ids=["a.", "(A)", "A)", "square", "arrow", "o", "1 -", "minus", "symbol font", "iv."],
)  # fmt: skip
@pytest.mark.parametrize("spacing", ["\n", "\n\n"], ids=["tight", "spaced"])
def test_every_common_bullet_style_is_a_list_item(bullets: tuple[str, str], spacing: str) -> None:
    first, second = bullets
    parsed = parse_oeil_summary(
        HEAD + "The Government of Togo is called on to:\n\n"
        f"{first}release all detained journalists;{spacing}"
        f"{second}lift the ban on political parties.\n"
    )

    assert [call.action for call in parsed.calls] == [
        "release all detained journalists",
        "lift the ban on political parties",
    ]


@pytest.mark.parametrize(
    ("subject", "country"),
    [
        ("the human rights situation in Equatorial Guinea", "Equatorial Guinea"),
        ("Russian interference in the Republic of Moldova", "Moldova"),
        ("the situation in Papua New Guinea", "Papua New Guinea"),
        ("the case of Jimmy Lai in Hong Kong", "Hong Kong"),
        ("the situation in Togo", "Togo"),
        ("the situation in Sierra Leone", "Sierra Leone"),
        ("the persecution of Russian dissidents", "Russia"),
    ],
)
def test_the_country_is_the_one_the_subject_is_about(subject: str, country: str) -> None:
    parsed = parse_oeil_summary(
        f"# Resolution on {subject}\n\n2024/2601(RSP) - 13/07/2024 - Text adopted by Parliament\n\n"
        f"The European Parliament adopted by 455 votes to 101 a resolution on {subject}.\n\n"
        "Parliament called on the authorities to release all political prisoners.\n"
    )

    assert parsed.country == country
    assert parsed.calls[0].addressees == (f"Authorities of {country}",)


def test_a_demonym_of_any_state_names_its_government() -> None:
    assert normalise_addressees("the Togolese government") == ("Government of Togo",)
    assert normalise_addressees("the Mongolian authorities") == ("Authorities of Mongolia",)
    assert find_country("Equatorial Guinea's president") == "Equatorial Guinea"


def test_a_copy_of_the_whole_oeil_page_is_read_past_its_chrome() -> None:
    parsed = parse_oeil_summary(
        "Legislative Observatory\nEuropean Parliament\n\nSummary\n\n"
        "2023/2744(RSP)\nResolution on the humanitarian situation in Sudan\n"
        "Text adopted by Parliament, single reading\n05/10/2023\n\n"
        "The European Parliament adopted by 542 votes to 8, with 37 abstentions, a resolution "
        "on the humanitarian situation in Sudan.\n\n"
        "Parliament called on both parties to the conflict to agree a ceasefire.\n"
    )

    assert parsed.title == "Resolution on the humanitarian situation in Sudan"
    assert parsed.procedure_reference == "2023/2744(RSP)"
    assert parsed.adopted_on == date(2023, 10, 5)
    assert parsed.stage == "Text adopted by Parliament, single reading"
    assert parsed.warnings == ()
    assert "Legislative Observatory" not in " ".join(parsed.context)


def test_a_metadata_line_with_the_date_first_is_metadata_not_the_title() -> None:
    parsed = parse_oeil_summary(
        "13/07/2023 - 2023/2631(RSP) - Text adopted by Parliament, single reading\n\n"
        "Resolution on the situation in Togo (2023/2631(RSP))\n\n"
        "The European Parliament adopted by 455 votes to 101 a resolution on Togo.\n\n"
        "Parliament called on the authorities to release all political prisoners.\n"
    )

    assert parsed.title == "Resolution on the situation in Togo"  # the reference is shown apart
    assert (parsed.procedure_reference, parsed.adopted_on) == ("2023/2631(RSP)", date(2023, 7, 13))
    assert parsed.stage == "Text adopted by Parliament, single reading"


@pytest.mark.parametrize(
    ("sentence", "figures"),
    [
        ("adopted with 512 in favour, 12 against and 27 abstentions", (512, 12, 27)),
        ("adopted by 512 to 12 (27 abstentions)", (512, 12, 27)),
        ("adopted by 512 votes to 12, 27 abstained", (512, 12, 27)),
        ("adopted by 512 to 12", (512, 12, None)),
    ],
)
def test_vote_figures_are_read_without_the_word_votes_after_adopted(
    sentence: str, figures: tuple[int, int, int | None]
) -> None:
    parsed = parse_oeil_summary(
        f"# Resolution on Togo\n\n2024/2601(RSP) - 13/07/2024 - Text adopted by Parliament\n\n"
        f"Between 2 to 5 people were held. The European Parliament {sentence}, a resolution "
        "on Togo.\n\nParliament called on the authorities to release all political prisoners.\n"
    )

    assert (parsed.votes_for, parsed.votes_against, parsed.abstentions) == figures


def test_bare_figures_elsewhere_are_not_votes() -> None:
    parsed = parse_oeil_summary(
        "# Resolution on Togo\n\n2024/2601(RSP) - 13/07/2024 - Text adopted by Parliament\n\n"
        "Between 2 to 5 people were held in 2024.\n\n"
        "Parliament called on the authorities to release all political prisoners.\n"
    )

    assert parsed.votes_for is None and "no vote figures found" in parsed.warnings


def test_control_characters_are_dropped_from_what_is_read() -> None:
    parsed = parse_oeil_summary(
        HEAD + "Parliament called on the authorities to release\x01 all\x7f political\x9b "
        "\u202eprisoners\u202c.\n"
    )

    assert parsed.calls[0].action == "release all political prisoners"


def test_a_second_addressee_sharing_the_first_ones_called_on_is_a_second_call() -> None:
    parsed = parse_oeil_summary(
        HEAD + "Parliament called on the Council to adopt targeted sanctions and on the "
        "Commission to suspend budget support. It also called on the authorities to focus on "
        "the economy and on reforms.\n"
    )

    assert [(call.addressees, call.action) for call in parsed.calls] == [
        (("Council",), "adopt targeted sanctions"),
        (("Commission",), "suspend budget support"),
        (("Authorities of Togo",), "focus on the economy and on reforms"),
    ]


# --- Shapes found on unseen resolutions (review of the importer on new summaries) -----------


def test_asks_for_is_a_call_for_not_an_addressee_named_for() -> None:
    calls = parse_oeil_summary(
        "The resolution also asks for the imposition of Magnitsky-style sanctions on officials."
    ).calls

    assert [(c.addressees, c.action, c.has_explicit_addressee) for c in calls] == [
        ((), "the imposition of Magnitsky-style sanctions on officials", False)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "urged it to": "it" is the Commission, not Parliament.
        ("It encouraged the Commission to pursue a negotiated solution, i.e. an agreement on "
         "critical minerals, and urged it to prepare a WTO case.",
         [(("Commission",), "pursue a negotiated solution, i.e. an agreement on critical "
           "minerals"), (("Commission",), "prepare a WTO case")]),
        # Parliament takes the floor again after a semicolon.
        ("Parliament called on the EU to raise the issue at COP29; it further urged the "
         "Commission to suspend the energy memorandum.",
         [(("EU",), "raise the issue at COP29"), (("Commission",), "suspend the energy "
           "memorandum")]),
        # A second demand in the passive.
        ("The Commission is invited to propose a framework for spyware (e.g. common standards), "
         "and Europol is encouraged to make full use of its mandate.",
         [(("Commission",), "propose a framework for spyware (e.g. common standards)"),
          (("Europol",), "make full use of its mandate")]),
        ("The African Union is invited to engage with Eritrea; the Commission is requested to "
         "report on progress.",
         [(("African Union",), "engage with Eritrea"), (("Commission",), "report on progress")]),
        # After a "calls for" with nobody named.
        ("It also calls for adequate funding for public service media; Parliament invites the "
         "Council to reach a general approach.",
         [((), "adequate funding for public service media"), (("Council",), "reach a general "
           "approach")]),
    ],
)  # fmt: skip
def test_a_second_demand_in_the_same_sentence_is_split_off(
    text: str, expected: list[tuple[tuple[str, ...], str]]
) -> None:
    calls = parse_oeil_summary(text).calls

    assert [(call.addressees, call.action) for call in calls] == expected


def test_an_abbreviation_with_dots_neither_ends_the_subject_nor_the_sentence() -> None:
    parsed = parse_oeil_summary(
        "The European Parliament adopted by 459 votes to 41, with 35 abstentions, a resolution "
        "on the EU-U.S. relationship.\n\n"
        "Parliament called on the Commission to use the EU-U.S. Trade and Technology Council to "
        "raise the issue."
    )

    assert parsed.subject == "the EU-U.S. relationship"
    assert [call.action for call in parsed.calls] == [
        "use the EU-U.S. Trade and Technology Council to raise the issue"
    ]


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        # Investigators are people, not an investigation.
        ("grant access to the region for journalists and independent investigators", "demand"),
        # Lifting a travel ban is no sanction, and the first demand decides.
        ("release all human rights defenders; to end all harassment; and to lift travel bans "
         "against activists", "demand"),
        ("close all camps, to end forced labour, and to impose sanctions", "demand"),
    ],
)  # fmt: skip
def test_a_call_is_classified_by_its_first_demand(action: str, kind: str) -> None:
    calls = parse_oeil_summary(f"Parliament called on the authorities to {action}.").calls

    assert [call.kind for call in calls] == [kind]


FRENCH = (
    "Résolution sur la situation au Kazakhstan\n\n"
    "2022/2505(RSP) - 20/01/2022 - Texte adopté du Parlement, lecture unique\n\n"
    "Le Parlement européen a adopté par 589 voix contre 35 et 47 abstentions une résolution sur "
    "la situation au Kazakhstan. Le Parlement a condamné fermement les actes de violence. Il a "
    "invité le gouvernement du Kazakhstan à libérer immédiatement tous les prisonniers politiques."
)
GERMAN_WITH_AN_ENGLISH_SENTENCE = (
    "Entschließung zur Lage in Belarus\n\n"
    "2021/2880(RSP) - 07/10/2021 - Vom Parlament angenommener Text, einzige Lesung\n\n"
    "Das Europäische Parlament nahm mit 561 Stimmen bei 16 Gegenstimmen und 83 Enthaltungen eine "
    "Entschließung zur Lage in Belarus an. Das Parlament forderte die belarussischen Behörden "
    "auf, alle politischen Gefangenen freizulassen. Parliament called on the Council to act."
)


def test_a_summary_in_another_language_is_refused_with_a_clear_warning() -> None:
    for text in (FRENCH, GERMAN_WITH_AN_ENGLISH_SENTENCE):
        parsed = parse_oeil_summary(text)

        assert parsed.calls == ()
        assert "does not look like English" in parsed.warnings[0]

    # A short English text has too few words to judge, and is read as usual.
    english = parse_oeil_summary("Parliament urged Bangladesh to halt relocations to Bhasan Char.")
    assert len(english.calls) == 1
    assert not any("English" in warning for warning in english.warnings)


@pytest.mark.parametrize(
    ("text", "addressees", "action"),
    [
        ("Parliament insisted that the Iranian authorities must allow an independent "
         "investigation into her death.", ("Authorities of Iran",),
         "allow an independent investigation into her death"),
        ("Parliament insists that the Commission must not give in to blackmail.",
         ("Commission",), "not to give in to blackmail"),
        ("It insisted that Hungary and Poland should comply with all CJEU judgments.",
         ("Hungary", "Poland"), "comply with all CJEU judgments"),
    ],
)  # fmt: skip
def test_parliament_insisting_that_an_actor_must_act_is_a_call(
    text: str, addressees: tuple[str, ...], action: str
) -> None:
    calls = parse_oeil_summary(text).calls

    assert [(call.addressees, call.action) for call in calls] == [(addressees, action)]


@pytest.mark.parametrize(
    ("text", "addressees", "action"),
    [
        ("Parliament demanded that the Nicaraguan authorities release all political prisoners "
         "immediately.", ("Authorities of Nicaragua",), "release all political prisoners "
         "immediately"),
        ("It asked that the Commission not renew the agreement.", ("Commission",),
         "not to renew the agreement"),
        ("Parliament demanded that the EU should suspend the agreement.", ("EU",),
         "suspend the agreement"),
        ("Parliament demanded that the Member States must not export arms to Nicaragua.",
         ("Member States",), "not to export arms to Nicaragua"),
        ("Members insisted that Hungary respect the rule of law.", ("Hungary",),
         "respect the rule of law"),
        ("Parliament demanded that President Ortega and Vice-President Murillo step down.",
         ("President Ortega", "Vice-President Murillo"), "step down"),
        ("Parliament requested that the Council adopt sanctions; it also urged the Commission "
         "to act.", ("Council",), "adopt sanctions"),
        # An aside between the actor and the verb, and a list of actors.
        ("Parliament demanded that the Commission, as a matter of urgency, present a proposal.",
         ("Commission",), "present a proposal"),
        ("Parliament demanded that the Commission, the Council and the Member States act.",
         ("Commission", "Council", "Member States"), "act"),
    ],
)  # fmt: skip
def test_demanding_that_an_actor_act_is_a_call_on_that_actor(
    text: str, addressees: tuple[str, ...], action: str
) -> None:
    calls = parse_oeil_summary(text).calls

    assert (calls[0].addressees, calls[0].action, calls[0].has_explicit_addressee) == (
        addressees,
        action,
        True,
    )


@pytest.mark.parametrize(
    "text",
    [
        "Parliament demanded that all those responsible be brought to justice.",
        "Parliament requested that the funds be released.",
        "Parliament demanded that the authorities are held to account.",
        "Parliament demanded that the protesters detained last week walk free.",
        "Parliament demanded that those responsible, including officials, be brought to justice.",
    ],
)
def test_demanding_that_no_named_actor_act_keeps_the_clause(text: str) -> None:
    calls = parse_oeil_summary(text).calls

    assert [(call.addressees, call.has_explicit_addressee) for call in calls] == [((), False)]
    assert calls[0].action.startswith("that ")


def test_insisting_that_a_situation_change_or_someone_else_insisting_is_no_call() -> None:
    parsed = parse_oeil_summary(
        "Parliament insisted that the situation improve. "
        "The Commission insisted that the Member States release funds."
    )

    assert parsed.calls == ()


def test_insisting_on_a_principle_stays_context() -> None:
    principles = [
        "Parliament insisted that any future release of funds must be conditional on reforms.",
        "Parliament insisted that it must be consulted.",
        "The Commission insisted that the Member States must act.",
        "Parliament insisted on the need for transparent allocation of state advertising.",
    ]

    parsed = parse_oeil_summary(
        " ".join([*principles, "Parliament insisted that the Council must decide."])
    )

    assert [(call.addressees, call.action) for call in parsed.calls] == [(("Council",), "decide")]
    assert parsed.context == (" ".join(principles),)


def test_instructing_the_president_to_forward_the_resolution_is_no_call() -> None:
    text = (
        "Parliament instructs its President to forward this resolution to the Council, the "
        "Commission and the Government of Eritrea."
    )

    parsed = parse_oeil_summary(f"Parliament urged the Commission to act. {text}")

    assert [call.action for call in parsed.calls] == ["act"]
    assert text in parsed.context[0]


def test_they_after_a_sentence_of_the_members_are_the_members() -> None:
    parsed = parse_oeil_summary(
        "Members condemned the mass trials. They called on the Cambodian Government to quash the "
        "convictions. They also urged the Commission to monitor trade preferences.\n\n"
        "Members of the opposition were arrested. They called on the EU to intervene.\n\n"
        "The UN experts visited the camps. They urged the government to close them."
    )

    assert [(call.addressees, call.source_sentence[:16]) for call in parsed.calls] == [
        (("Government of Cambodia",), "They called on t"),
        (("Commission",), "They also urged "),
    ]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("the UAE authorities", ("Authorities of the United Arab Emirates",)),
        ("the Dutch government", ("Government of the Netherlands",)),
        ("the US administration and the UK government",
         ("US administration", "Government of the United Kingdom")),
    ],
)  # fmt: skip
def test_states_written_with_the_keep_it_in_normalised_addressees(
    written: str, expected: tuple[str, ...]
) -> None:
    assert normalise_addressees(written) == expected


def test_word_non_breaking_hyphens_become_hyphens() -> None:
    calls = parse_oeil_summary(
        "Parliament called on the Commission to stop aid to the Ortega\u2011Murillo regime."
    ).calls

    assert calls[0].action == "stop aid to the Ortega-Murillo regime"


# ---------------------------------------------------------------------------------------------
# Second review of unseen summaries (samples in the shapes below)
# ---------------------------------------------------------------------------------------------


def test_a_call_ending_in_to_without_a_colon_introduces_the_bullets_below() -> None:
    parsed = parse_oeil_summary(
        "The resolution also calls on the Council to\n"
        "- adopt targeted sanctions against officials responsible for ceasefire violations,\n"
        "- extend the mandate of the EU Mission in Armenia (EUMA).\n"
    )

    assert [(call.addressees, call.action) for call in parsed.calls] == [
        (("Council",), "adopt targeted sanctions against officials responsible for ceasefire "
         "violations"),
        (("Council",), "extend the mandate of the EU Mission in Armenia (EUMA)"),
    ]  # fmt: skip
    assert not any("no action" in warning for warning in parsed.warnings)


def test_an_addressee_before_a_colon_is_asked_to_do_each_to_bullet() -> None:
    parsed = parse_oeil_summary(
        "# Resolution on human rights defenders in Saudi Arabia\n\n"
        "Parliament calls on the Saudi Arabian authorities:\n"
        " a) to release Salma al-Shehab;\n"
        " b) not to carry out any further executions.\n"
    )

    read = [(call.addressees, call.action, call.has_explicit_addressee) for call in parsed.calls]
    assert read == [
        (("Authorities of Saudi Arabia",), "release Salma al-Shehab", True),
        (("Authorities of Saudi Arabia",), "not to carry out any further executions", True),
    ]


def test_a_list_intro_naming_no_one_before_its_colon_still_calls_for_each_item() -> None:
    calls = parse_oeil_summary(
        "Parliament urged the following measures:\n- an arms embargo;\n- a ceasefire.\n"
    ).calls

    assert [(call.addressees, call.action) for call in calls] == [
        ((), "an arms embargo"),
        ((), "a ceasefire"),
    ]


def test_a_paragraph_pasted_right_after_a_bullet_is_not_part_of_it() -> None:
    calls = parse_oeil_summary(
        "Parliament calls on the Government of Saudi Arabia to:\n"
        "a) abolish the male guardianship system.\n"
        "It also asks the VP/HR to raise these cases with Crown Prince Mohammed bin Salman.\n"
    ).calls

    assert [(call.addressees, call.action) for call in calls] == [
        (("Government of Saudi Arabia",), "abolish the male guardianship system"),
        (("VP/HR",), "raise these cases with Crown Prince Mohammed bin Salman"),
    ]


def test_a_wrapped_bullet_line_still_continues_its_bullet() -> None:
    calls = parse_oeil_summary(
        "Parliament calls on the Commission to:\n- release funds to Mr\nK. Smith's NGO;\n"
        "- review the support given to the\nMinistry of the Interior.\n"
    ).calls

    assert [call.action for call in calls] == [
        "release funds to Mr K. Smith's NGO",
        "review the support given to the Ministry of the Interior",
    ]


@pytest.mark.parametrize(
    ("text", "addressees", "action"),
    [
        ("Parliament expects the VP/HR to keep the restrictive measures in place.",
         ("VP/HR",), "keep the restrictive measures in place"),
        ("It expects President Abdel Fattah al-Sisi to end the practice of recycling detainees.",
         ("President Abdel Fattah al-Sisi",), "end the practice of recycling detainees"),
        ("Parliament expects Frontex to strengthen its fundamental rights monitoring.",
         ("Frontex",), "strengthen its fundamental rights monitoring"),
        # "insisted on / stressed the need for <an actor> to …" asks that actor.
        ("Members insisted on the need for the EU to press host countries to respect human "
         "rights.", ("EU",), "press host countries to respect human rights"),
        ("Parliament stressed the need for the Commission to present a proposal by 2025.",
         ("Commission",), "present a proposal by 2025"),
    ],
)  # fmt: skip
def test_expects_and_the_need_for_an_actor_to_act_are_calls(
    text: str, addressees: tuple[str, ...], action: str
) -> None:
    calls = parse_oeil_summary(text).calls

    assert [(call.addressees, call.action) for call in calls] == [(addressees, action)]


@pytest.mark.parametrize(
    "text",
    [
        "Parliament expects the situation to improve after the elections.",
        "Parliament expects economic growth to slow down in 2025.",
        "Parliament expects that the Commission will publish its report in June.",
        "Parliament stressed the need for dialogue to resume.",
        "Parliament stressed the need for a political solution in line with Resolution 2254.",
    ],
)
def test_a_forecast_or_a_need_with_no_actor_stays_context(text: str) -> None:
    parsed = parse_oeil_summary(text)

    assert parsed.calls == ()


def test_they_insisting_that_an_actor_must_act_is_the_members_call() -> None:
    calls = parse_oeil_summary(
        "Members stressed the importance of a political solution. They insisted that the EU "
        "must not normalise relations with the Assad regime and must not fund reconstruction."
    ).calls

    assert [(call.addressees, call.action) for call in calls] == [
        (("EU",), "not to normalise relations with the Assad regime and not to fund "
         "reconstruction"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        # "… and on X" repeats "called on" for a second addressee.
        ("the Government of Peru and on all political forces",
         ("Government of Peru", "all political forces")),
        ("the Council and upon the Commission", ("Council", "Commission")),
        # A name set off by commas after a title is that person.
        ("the new President, Ferdinand Marcos Jr.", ("President Ferdinand Marcos Jr.",)),
        ("the Prime Minister, Hun Manet, and the Council", ("Prime Minister Hun Manet", "Council")),
    ],
)  # fmt: skip
def test_a_repeated_on_and_a_name_in_apposition_are_read_as_written(
    written: str, expected: tuple[str, ...]
) -> None:
    assert normalise_addressees(written) == expected


@pytest.mark.parametrize(
    ("subject", "country"),
    [
        # A country things come from, go to, or are aimed at is not where calls apply.
        ("suspicions of corruption from Qatar in the European institutions", None),
        ("the deportation of Ukrainian children to Russia", "Ukraine"),
        # Two countries named outright: no one of them is "the" country.
        ("the normalisation dialogue between Serbia and Kosovo", None),
        ("the situation in Nagorno-Karabakh after Azerbaijan's attack and the threats against "
         "Armenia", "Azerbaijan"),
        ("the case of Salma al-Shehab in Saudi Arabia", "Saudi Arabia"),
    ],
)  # fmt: skip
def test_the_country_is_where_the_resolution_is_about_not_a_country_it_mentions(
    subject: str, country: str | None
) -> None:
    parsed = parse_oeil_summary(
        f"# Resolution on {subject}\n\n2024/2601(RSP) - 13/07/2024 - Text adopted by Parliament"
        f"\n\nThe European Parliament adopted by 455 votes to 101 a resolution on {subject}.\n"
    )

    assert parsed.country == country


def test_a_condition_after_a_comma_does_not_decide_the_kind() -> None:
    calls = parse_oeil_summary(
        "It calls on the Commission to continue funding UNRWA, subject to the outcome of the "
        "investigation by the UN Office of Internal Oversight Services."
    ).calls

    assert calls[0].kind == "other"


NESTED_LIST = """Parliament:

- called on the Iranian authorities to conduct an independent investigation into her death;
- called on the EU and its Member States to:
  (a) add the individuals responsible to the EU human rights sanctions list;
  (b) support Iranian civil society;
- called for the abolition of the morality police.

Parliament also urged the Commission to:

- suspend the talks;
  - Parliament further called on the Council to act."""


def test_a_bullet_that_opens_a_list_of_its_own_makes_each_item_a_call_on_its_addressee() -> None:
    calls = parse_oeil_summary(NESTED_LIST).calls

    assert [(call.addressees, call.action) for call in calls] == [
        (("Authorities of Iran",), "conduct an independent investigation into her death"),
        (("EU", "Member States"), "add the individuals responsible to the EU human rights "
         "sanctions list"),
        (("EU", "Member States"), "support Iranian civil society"),
        ((), "the abolition of the morality police"),
        (("Commission",), "suspend the talks"),
        (("Council",), "act"),
    ]  # fmt: skip
    assert calls[2].source_sentence == "support Iranian civil society;"


def test_a_nested_list_written_with_the_same_bullets_ends_at_the_next_bullet_that_calls() -> None:
    text = NESTED_LIST.replace("  (a) ", "- ").replace("  (b) ", "- ")

    calls = parse_oeil_summary(text).calls

    assert [call.addressees for call in calls[:4]] == [
        ("Authorities of Iran",),
        ("EU", "Member States"),
        ("EU", "Member States"),
        (),
    ]


def test_calling_for_an_actor_to_act_is_a_call_on_that_actor() -> None:
    calls = parse_oeil_summary(
        "MEPs call for the EU to impose targeted sanctions on the officials responsible. "
        "Parliament called for the release of the activists to be ordered without delay."
    ).calls

    assert [(c.addressees, c.action, c.has_explicit_addressee) for c in calls] == [
        (("EU",), "impose targeted sanctions on the officials responsible", True),
        ((), "the release of the activists to be ordered without delay", False),
    ]


def test_a_second_call_on_them_names_the_first_calls_addressee_without_a_warning() -> None:
    parsed = parse_oeil_summary(
        "The resolution calls upon the Iranian authorities to halt his execution; it further "
        "asks them to grant him access to medical care."
    )

    assert [(c.addressees, c.action) for c in parsed.calls] == [
        (("Authorities of Iran",), "halt his execution"),
        (("Authorities of Iran",), "grant him access to medical care"),
    ]
    assert not any("refers to" in warning for warning in parsed.warnings)


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        ("Parliament wants the Commission to review its cooperation programmes.",
         [(("Commission",), "review its cooperation programmes")]),
        ("It recommends that the Council adopt a common position.",
         [(("Council",), "adopt a common position")]),
        ("Parliament recommends the Council to suspend the agreement.",
         [(("Council",), "suspend the agreement")]),
        # Wishes and advice with no one to act stay context, as "expects" does.
        ("Parliament wants the situation to improve.", []),
        ("Parliament wants more transparency.", []),
        ("It recommended that the situation be reviewed.", []),
        ("Parliament recommends caution.", []),
        ("The Commission wants the Member States to act.", []),
    ],
)  # fmt: skip
def test_wanting_or_recommending_that_an_actor_act_is_a_call(
    text: str, calls: list[tuple[tuple[str, ...], str]]
) -> None:
    assert [(c.addressees, c.action) for c in parse_oeil_summary(text).calls] == calls


def test_a_that_clause_of_endless_commas_stays_a_demand_with_no_one_named() -> None:
    # One aside is looked past, not thousands.
    text = "Parliament demanded that " + ", ".join(["the people of the region"] * 3000) + " act."

    parsed = parse_oeil_summary(text)

    assert [(c.addressees, c.has_explicit_addressee) for c in parsed.calls] == [((), False)]


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        # A passive call later in the sentence is a second call, not the first one's end.
        ("Parliament called on the Tunisian authorities to release all detained journalists, "
         "and the International Monetary Fund is called on to make its loan conditional.",
         [(("Authorities of Tunisia",), "release all detained journalists"),
          (("International Monetary Fund",), "make its loan conditional")]),
        ("Parliament called on the Commission to suspend budget support; the Council is urged "
         "to consider targeted measures.",
         [(("Commission",), "suspend budget support"),
          (("Council",), "consider targeted measures")]),
        # What others were asked, reported with regret, is never Parliament's demand.
        ("Members regretted that donors have been asked to cut their contributions.", []),
        ("Parliament deplored that journalists were urged to reveal their sources.", []),
        ("Parliament condemned the pressure on lawyers, who were asked to drop the case.", []),
        ("Parliament noted that the Commission is asked by some to relax the rules.", []),
        # A neutral verb before "that" keeps a present demand in the passive.
        ("Parliament recalled that the Commission is urged to present a proposal.",
         [(("Commission",), "present a proposal")]),
        ("The Council is urged to adopt sanctions.", [(("Council",), "adopt sanctions")]),
    ],
)  # fmt: skip
def test_a_passive_is_a_call_only_where_parliament_makes_it(
    text: str, calls: list[tuple[tuple[str, ...], str]]
) -> None:
    assert [(c.addressees, c.action) for c in parse_oeil_summary(text).calls] == calls


def test_a_reference_shown_only_beside_the_title_is_kept() -> None:
    parsed = parse_oeil_summary(
        "Resolution on the case of Ahmed Mansoor in the United Arab Emirates (2022/2757(RSP))\n\n"
        "The European Parliament adopted by 571 votes to 9, with 38 abstentions, a resolution "
        "on the case of Ahmed Mansoor.\n\n"
        "Parliament called on the UAE authorities to release Ahmed Mansoor.\n"
    )

    assert parsed.procedure_reference == "2022/2757(RSP)"
    assert parsed.title == "Resolution on the case of Ahmed Mansoor in the United Arab Emirates"


def test_upper_case_roman_numerals_are_list_items_but_an_initial_is_not() -> None:
    parsed = parse_oeil_summary(
        "In the resolution, Parliament:\n\n"
        "I. called on the Georgian authorities to withdraw the law;\n"
        "II. urged the Council to impose sanctions on those responsible;\n"
        "(IV) asked the Commission to suspend visa-free travel for officials.\n\n"
        "Parliament called on the Russian authorities to release\n"
        "V. Kara-Murza at once.\n"
    )

    assert [(c.addressees, c.action) for c in parsed.calls] == [
        (("Authorities of Georgia",), "withdraw the law"),
        (("Council",), "impose sanctions on those responsible"),
        (("Commission",), "suspend visa-free travel for officials"),
        (("Authorities of Russia",), "release V. Kara-Murza at once"),
    ]


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        ("It urged the UAE authorities, pending his release, to ensure that he is not "
         "subjected to torture.",
         [(("Authorities of the United Arab Emirates",), "ensure that he is not subjected")]),
        ("Parliament called on the Commission, in its capacity as guardian of the Treaties, "
         "to act without delay.",
         [(("Commission",), "act without delay")]),
        # A lower-case addressee in a list is still one.
        ("Parliament called on the Commission, international donors and all parties to the "
         "conflict to protect civilians.",
         [(("Commission", "international donors", "all parties to the conflict"),
           "protect civilians")]),
        # A call made before, recalled, is not this resolution's.
        ("It recalled its previous resolutions, in which it called on the Commission to "
         "increase humanitarian aid.", []),
    ],
)  # fmt: skip
def test_asides_are_no_addressees_and_recalled_calls_no_calls(
    text: str, calls: list[tuple[tuple[str, ...], str]]
) -> None:
    found = parse_oeil_summary(text).calls
    assert [c.addressees for c in found] == [addressees for addressees, _ in calls]
    for call, (_, action) in zip(found, calls, strict=True):
        assert call.action.startswith(action), call


def test_an_item_ending_in_a_colon_is_completed_by_each_item_of_its_own_list() -> None:
    parsed = parse_oeil_summary(
        "President Museveni is called on to:\n\n"
        "• refrain from signing the Act;\n"
        "• ensure that:\n"
        "    (a) LGBTIQ persons are protected from violence;\n"
        "    (b) those responsible for attacks are brought to justice;\n"
        "• take the following steps:\n"
        "    - repeal the 2014 law;\n"
        "• engage with civil society.\n"
    )

    assert [c.action for c in parsed.calls] == [
        "refrain from signing the Act",
        "ensure that LGBTIQ persons are protected from violence",
        "ensure that those responsible for attacks are brought to justice",
        "take the following steps: repeal the 2014 law",
        "engage with civil society",
    ]
    assert {c.addressees for c in parsed.calls} == {("President Museveni",)}


TEXTS_ADOPTED = """Texts adopted - Hong Kong: the case of Jimmy Lai - Thursday, 14 March 2024

European Parliament resolution of 14 March 2024 on Jimmy Lai in Hong Kong (2024/2611(RSP))

The European Parliament,

– having regard to its previous resolutions on Hong Kong,
– having regard to its resolution of 2021 calling on the Commission to act,

A. whereas Jimmy Lai has been detained since December 2020;
B. whereas the Journalists Association has called on the authorities to stop it;

Press freedom

1. Condemns the politically motivated prosecution of Jimmy Lai;
2. Calls on the Hong Kong authorities to release Jimmy Lai immediately;
3. Welcomes the statement of the VP/HR and calls on the EEAS to request access to the trial;
4. Urges the Council to:
(a) impose targeted sanctions on those responsible;
(b) review the EU's export controls;
5. Recalls that it has repeatedly called on the Commission to review the trade office's status;
6. Instructs its President to forward this resolution to the Council and the Commission.
"""


def test_the_texts_adopted_layout_reads_its_numbered_paragraphs_as_parliaments() -> None:
    parsed = parse_oeil_summary(TEXTS_ADOPTED)

    assert parsed.procedure_reference == "2024/2611(RSP)"
    assert parsed.adopted_on == date(2024, 3, 14)
    assert parsed.title.startswith("European Parliament resolution of 14 March 2024 on Jimmy")
    assert [(c.addressees, c.action) for c in parsed.calls] == [
        (("Authorities of Hong Kong",), "release Jimmy Lai immediately"),
        (("EEAS",), "request access to the trial"),
        (("Council",), "impose targeted sanctions on those responsible"),
        (("Council",), "review the EU's export controls"),
    ]
    # Recitals (and the having-regard clauses) are context, whoever they say called on whom.
    assert any("Journalists Association" in block for block in parsed.context)


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("the VP/HR", ("VP/HR",)),
        ("the HR/VP", ("VP/HR",)),
        ("the High Representative", ("VP/HR",)),
        ("the Vice-President of the Commission / High Representative of the Union for Foreign "
         "Affairs and Security Policy", ("VP/HR",)),
        ("the Russian Federation", ("Russia",)),
        ("the UAE", ("United Arab Emirates",)),
    ],
)  # fmt: skip
def test_one_office_or_state_written_several_ways_is_one_addressee(
    written: str, normalised: tuple[str, ...]
) -> None:
    assert normalise_addressees(written) == normalised


def test_one_long_sentence_chaining_several_demands_gives_each_its_call() -> None:
    parsed = parse_oeil_summary(
        "Parliament called on the Tunisian authorities to release all detained persons; it "
        "urged President Saied to restore the independence of the judiciary, and asked the "
        "Tunisian government to protect migrants from violence, while Parliament called on the "
        "Commission to suspend budget support to the Ministry of the Interior, and invited the "
        "Member States to raise the cases at the highest level; the International Monetary "
        "Fund is also called on to make its loan conditional on human rights, and the Council "
        "is urged to consider targeted measures."
    )

    assert [c.addressees for c in parsed.calls] == [
        ("Authorities of Tunisia",),
        ("President Saied",),
        ("Government of Tunisia",),
        ("Commission",),
        ("Member States",),
        ("International Monetary Fund",),
        ("Council",),
    ]
    assert parsed.calls[-1].action == "consider targeted measures"


def test_a_page_pasted_as_html_is_read_as_its_text_with_a_warning() -> None:
    page = (
        "<html><body><h1>Resolution on Uganda&#8217;s Anti-Homosexuality Act</h1>"
        "<p>2023/2641(RSP) - 20/04/2023 - Text adopted by Parliament, single reading</p>"
        "<p>The European Parliament adopted by 416 votes to 62, with 46 abstentions, a "
        "resolution on Uganda.</p><p>President Museveni is called on to:</p>"
        "<ul><li>refrain from signing the Act;</li><li>repeal the 2014 law.</li></ul>"
        "<p>Parliament called on the Commission to <b>review</b> its aid &amp; cooperation.</p>"
        "</body></html>"
    )

    parsed = parse_oeil_summary(page)

    assert parsed.title == "Resolution on Uganda's Anti-Homosexuality Act"
    assert parsed.procedure_reference == "2023/2641(RSP)"
    assert [(c.addressees, c.action) for c in parsed.calls] == [
        (("President Museveni",), "refrain from signing the Act"),
        (("President Museveni",), "repeal the 2014 law"),
        (("Commission",), "review its aid & cooperation"),
    ]
    assert any("HTML" in warning for warning in parsed.warnings)
    # Text that merely mentions a tag is no page.
    plain = parse_oeil_summary("Parliament called on the Commission to ban <p> tags.")
    assert not any("HTML" in warning for warning in plain.warnings)


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        ("Parliament urged the Commission, under no circumstances, to resume the talks.",
         [(("Commission",), "not to resume the talks")]),
        ("Parliament called on Interpol never to process politically motivated red notices.",
         [(("Interpol",), "not to process politically motivated red notices")]),
        ("Parliament called on the Member States under no circumstances to extradite activists.",
         [(("Member States",), "not to extradite activists")]),
        ("Parliament called on the Commission neither to fund nor to endorse the project.",
         [(("Commission",), "not to fund or endorse the project")]),
        ("The Member States are urged never to extradite activists.",
         [(("Member States",), "not to extradite activists")]),
        ("Parliament called on the Member States to not extradite activists.",
         [(("Member States",), "not to extradite activists")]),
        ("Parliament called on the authorities to stop the executions.",
         [(("authorities",), "stop the executions")]),
    ],
)  # fmt: skip
def test_a_demand_not_to_act_keeps_its_negation_however_written(
    text: str, calls: list[tuple[tuple[str, ...], str]]
) -> None:
    assert [(c.addressees, c.action) for c in parse_oeil_summary(text).calls] == calls


def test_numbered_paragraphs_read_each_call_after_a_semicolon_an_aside_or_a_full_stop() -> None:
    parsed = parse_oeil_summary(
        "The European Parliament,\n\n"
        "1. Is alarmed by the use of spyware; calls on the Member States to impose a "
        "moratorium on spyware exports;\n"
        "2. Believes that dialogues should involve defenders; requests the EEAS to consult "
        "civil society;\n"
        "3. Stresses the importance of the Directive; calls, therefore, on the Commission to "
        "mainstream it;\n"
        "4. Calls on the Commission to propose a directive; urges, in addition, the Member "
        "States to transpose it;\n"
        "5. Calls on the Council to adopt sanctions. Urges the EEAS to monitor the trials.\n"
        "6. Notes that the Commission has called on the Member States to act; regrets that "
        "they did not;\n"
    )

    assert [(c.addressees, c.action) for c in parsed.calls] == [
        (("Member States",), "impose a moratorium on spyware exports"),
        (("EEAS",), "consult civil society"),
        (("Commission",), "mainstream it"),
        (("Commission",), "propose a directive"),
        (("Member States",), "transpose it"),
        (("Council",), "adopt sanctions"),
        (("EEAS",), "monitor the trials"),
    ]


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        ("Parliament called on the Council to adopt sanctions and the Commission to suspend "
         "funding.",
         [(("Council",), "adopt sanctions"), (("Commission",), "suspend funding")]),
        ("Parliament called on the Council to impose sanctions, urged the Commission to suspend "
         "funding, asked the EEAS to monitor trials and called on the UN to investigate.",
         [(("Council",), "impose sanctions"), (("Commission",), "suspend funding"),
          (("EEAS",), "monitor trials"), (("UN",), "investigate")]),
        # Not an addressee: names joined inside the action.
        ("Parliament called on the Commission to strengthen cooperation between the EU and the "
         "African Union to tackle smuggling.",
         [(("Commission",), "strengthen cooperation between the EU and the African Union to "
           "tackle smuggling")]),
        ("Parliament called on the Commission to support Armenia and Georgia to resist pressure.",
         [(("Commission",), "support Armenia and Georgia to resist pressure")]),
        ("Parliament called on the Commission to \u201crecognise\u201d the result.",
         [(("Commission",), '"recognise" the result')]),
        ("Parliament called on the Commission to (re)open the negotiations.",
         [(("Commission",), "(re)open the negotiations")]),
    ],
)  # fmt: skip
def test_each_addressee_of_a_chain_gets_its_own_demand(
    text: str, calls: list[tuple[tuple[str, ...], str]]
) -> None:
    assert [(c.addressees, c.action) for c in parse_oeil_summary(text).calls] == calls


@pytest.mark.parametrize(
    "text",
    [
        "The European Parliament,\n\n1. Calls on the Commission to ensure that:\n"
        "(a) journalists are protected;\n(b) NGOs are funded;\n2. Urges the Council to act.\n",
        "Parliament called on the Commission to ensure that:\n\n- journalists are protected;\n"
        "- NGOs are funded.\n\nParliament urged the Council to act.\n",
    ],
)
def test_a_call_ending_in_ensure_that_is_completed_by_each_item_below(text: str) -> None:
    assert [(c.addressees, c.action) for c in parse_oeil_summary(text).calls] == [
        (("Commission",), "ensure that journalists are protected"),
        (("Commission",), "ensure that NGOs are funded"),
        (("Council",), "act"),
    ]


def test_a_text_adopted_pasted_from_its_title_or_with_page_header_and_footnotes() -> None:
    from_title = parse_oeil_summary(
        "European Parliament resolution of 18 January 2024 on the case of Ahmadreza Djalali "
        "in Iran (2024/2501(RSP))\n\n"
        "1. Calls on the Iranian authorities to release Ahmadreza Djalali immediately;\n"
        "2. Urges the Council to adopt sanctions;\n"
    )
    with_header = parse_oeil_summary(
        "Texts adopted\nP9_TA(2024)0031\nCase of Ahmadreza Djalali in Iran\n"
        "European Parliament resolution of 18 January 2024 on the case of Ahmadreza Djalali "
        "in Iran (2024/2501(RSP))\n\nThe European Parliament,\n\n"
        "1. Calls on the Iranian authorities[2] to release Ahmadreza Djalali immediately;\n"
        "2. Urges the Council\u00b9 to adopt sanctions;\n"
    )

    for parsed in (from_title, with_header):
        assert [(c.addressees, c.action) for c in parsed.calls] == [
            (("Authorities of Iran",), "release Ahmadreza Djalali immediately"),
            (("Council",), "adopt sanctions"),
        ]
        assert (parsed.adopted_on, parsed.country) == (date(2024, 1, 18), "Iran")
        assert parsed.procedure_reference == "2024/2501(RSP)"
        # Neither the vote nor the stage is part of a text adopted: no warning about them.
        assert parsed.warnings == ()
    assert with_header.title == "Case of Ahmadreza Djalali in Iran"


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        ("Parliament asked the Commission to: (a) publish the assessment; (b) condition any "
         "disbursement on human rights; and (c) report every six months.",
         [(("Commission",), "publish the assessment"),
          (("Commission",), "condition any disbursement on human rights"),
          (("Commission",), "report every six months")]),
        ("Parliament called on the Council not only to condemn but also to sanction the "
         "perpetrators.",
         [(("Council",), "sanction the perpetrators")]),
        ("Parliament called on the authorities to release all those detained, the Commission "
         "to suspend budget support.",
         [(("authorities",), "release all those detained"),
          (("Commission",), "suspend budget support")]),
    ],
)  # fmt: skip
def test_inline_lists_not_only_and_comma_chains(
    text: str, calls: list[tuple[tuple[str, ...], str]]
) -> None:
    assert [(c.addressees, c.action) for c in parse_oeil_summary(text).calls] == calls


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        ("Parliament insists that all parties must respect international humanitarian law.",
         [(("all parties",), "respect international humanitarian law")]),
        ("Parliament insists that the international community must increase aid.",
         [(("international community",), "increase aid")]),
        ("Parliament insisted that all parties to the conflict must not target civilians.",
         [(("all parties to the conflict",), "not to target civilians")]),
        ("Parliament insisted that any release of funds must be conditional on reforms.", []),
    ],
)  # fmt: skip
def test_insisting_that_a_body_named_by_its_noun_must_act_is_a_call_on_it(
    text: str, calls: list[tuple[tuple[str, ...], str]]
) -> None:
    assert [(c.addressees, c.action) for c in parse_oeil_summary(text).calls] == calls
