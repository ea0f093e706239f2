"""Drafting a campaign from a parsed call: titles, slugs, petition and letter templates.

Pure Python: these tests need neither Django nor a database.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.importer.drafting import (
    ALLOWED_MERGE_FIELDS,
    SLUG_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    VOTE_VALUES,
    CampaignDraft,
    DraftLimits,
    draft_campaign,
    format_date,
    letter_template_problems,
)
from campaign.importer.parser import ParsedCall, ParsedResolution, parse_oeil_summary

FIXTURES = Path(__file__).resolve().parents[2] / "campaign" / "fixtures" / "resolutions"
MERGE_FIELD_RE = re.compile(r"\{\{(.*?)\}\}")
TAG_RE = re.compile(r"\{%(.*?)%\}")


def parse_fixture(name: str) -> ParsedResolution:
    return parse_oeil_summary((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def kazakhstan() -> ParsedResolution:
    return parse_fixture("oeil-2022-2505-RSP-kazakhstan.txt")


@pytest.fixture(scope="module")
def founding_drafts(kazakhstan: ParsedResolution) -> list[CampaignDraft]:
    return [draft_campaign(resolution=kazakhstan, call=call) for call in kazakhstan.calls]


def all_fixture_drafts() -> list[CampaignDraft]:
    drafts = []
    for path in sorted(FIXTURES.glob("*.txt")):
        resolution = parse_oeil_summary(path.read_text(encoding="utf-8"))
        drafts += [draft_campaign(resolution=resolution, call=call) for call in resolution.calls]
    return drafts


# ---------------------------------------------------------------------------------------------
# Titles and slugs
# ---------------------------------------------------------------------------------------------


def test_the_founding_calls_get_short_imperative_titles(
    founding_drafts: list[CampaignDraft],
) -> None:
    assert [draft.title for draft in founding_drafts] == [
        "Cancel any order to shoot to kill without warning in Kazakhstan",
        "Drop politically motivated charges in Kazakhstan",
        "Release arbitrarily detained demonstrators and activists in Kazakhstan",
        "Release all political prisoners in Kazakhstan",
        "Lift the measures mandating pre-trial detention in Kazakhstan",
        "Revise the law on public assemblies in Kazakhstan",
        "Recognise the importance and role of free media in Kazakhstan",
        "Refrain from bringing terrorism charges in Kazakhstan",
        "Revise the definition of extremism in Kazakhstan",
        "Demand a proper international investigation in Kazakhstan",
        "Consider setting up a permanent working group in Kazakhstan",
        "Halt financing programmes in Kazakhstan",
    ]


def test_releasing_political_prisoners_drops_the_adverbs_and_the_second_verb(
    kazakhstan: ParsedResolution,
) -> None:
    prisoners = next(c for c in kazakhstan.calls if "political prisoners" in c.action)

    draft = draft_campaign(resolution=kazakhstan, call=prisoners)

    assert draft.title == "Release all political prisoners in Kazakhstan"
    assert draft.slug == "release-all-political-prisoners-in-kazakhstan"


def test_titles_never_start_with_to_or_an_adverb_and_are_unique(
    founding_drafts: list[CampaignDraft],
) -> None:
    titles = [draft.title for draft in founding_drafts]

    assert len(set(titles)) == len(titles)
    for title in titles:
        assert not title.startswith(("To ", "Immediately", "Publicly", "Fully", "Urgently"))
        assert title[0].isupper()


def test_the_country_is_not_repeated_when_the_call_already_names_it(
    founding_drafts: list[CampaignDraft],
) -> None:
    assert founding_drafts[11].title == "Halt financing programmes in Kazakhstan"
    assert all(draft.title.count("Kazakhstan") == 1 for draft in founding_drafts)


def test_titles_and_slugs_respect_their_limits_on_every_fixture() -> None:
    for draft in all_fixture_drafts():
        assert 0 < len(draft.title) <= TITLE_MAX_LENGTH, draft.title
        assert 0 < len(draft.slug) <= SLUG_MAX_LENGTH, draft.slug
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", draft.slug), draft.slug
        assert not draft.title.endswith((" the", " of", " and", " to", ",")), draft.title


def test_a_negative_call_becomes_a_do_not_title() -> None:
    resolution = parse_fixture("journalists-eu-2024-9102-RSP.txt")

    draft = draft_campaign(resolution=resolution, call=resolution.calls[3])

    assert draft.title == "Do not use national security as a pretext for surveilling journalists"
    assert "called on the Member States not to use national security" in draft.summary


def test_a_call_for_a_noun_phrase_becomes_a_demand_title() -> None:
    resolution = parse_fixture("belarus-repression-2023-9103-RSP.txt")

    titles = [draft_campaign(resolution=resolution, call=c).title for c in resolution.calls[1:4]]

    assert titles == [
        "Demand the release of all political prisoners in Belarus",
        "Demand an end to trials in absentia against opposition figures in Belarus",
        "Demand an international investigation into the crimes committed in Belarus",
    ]


@pytest.mark.parametrize("action", [":", "; :", ", ."])
def test_a_call_of_punctuation_only_still_gets_a_title(action: str) -> None:
    call = replace(call_to(["Commission"]), action=action)

    draft = draft_campaign(resolution=parse_oeil_summary(""), call=call)

    assert draft.title == "Act on the European Parliament's resolution"
    assert draft.slug == "act-on-the-european-parliament-s-resolution"


def test_a_slug_is_ascii_even_when_the_title_is_not() -> None:
    resolution = parse_oeil_summary("Parliament called on the Commission to protect Łódź's Café.")

    draft = draft_campaign(resolution=resolution, call=resolution.calls[0])

    assert draft.slug == "protect-lodz-s-cafe"


def test_drafting_is_deterministic(kazakhstan: ParsedResolution) -> None:
    for call in kazakhstan.calls:
        assert draft_campaign(resolution=kazakhstan, call=call) == draft_campaign(
            resolution=kazakhstan, call=call
        )


# ---------------------------------------------------------------------------------------------
# Summary and petition
# ---------------------------------------------------------------------------------------------


def test_the_summary_says_who_is_asked_to_do_what_and_cites_the_resolution(
    kazakhstan: ParsedResolution, founding_drafts: list[CampaignDraft]
) -> None:
    assert founding_drafts[3].summary == (
        "In its resolution on the situation in Kazakhstan (2022/2505(RSP)) of 20 January 2022, "
        "the European Parliament called on the Government of Kazakhstan to immediately release "
        "and fully rehabilitate all political prisoners. This campaign asks the Government of "
        "Kazakhstan to act on that call."
    )
    assert "called on President Tokayev to publicly cancel" in founding_drafts[0].summary
    assert "the European Parliament called for a proper international investigation" in (
        founding_drafts[9].summary
    )
    assert (
        "called on the EU institutions and agencies, the EEAS, the European Bank for "
        "Reconstruction and Development and the World Bank to halt financing"
    ) in founding_drafts[11].summary


def test_the_petition_quotes_the_call_and_cites_the_resolution(
    founding_drafts: list[CampaignDraft],
) -> None:
    petition = founding_drafts[3].petition_text

    assert petition == (
        "We, the undersigned, call on the Government of Kazakhstan to immediately release and "
        "fully rehabilitate all political prisoners.\n\n"
        'The European Parliament made this call in its "Resolution on the situation in '
        'Kazakhstan" (2022/2505(RSP)), adopted on 20 January 2022 by 589 votes to 35, with 47 '
        "abstentions. Parliament called on the Government of Kazakhstan to "
        '"immediately release and fully rehabilitate all political prisoners".'
    )
    for draft in founding_drafts:
        assert "2022/2505(RSP)" in draft.petition_text
        assert "20 January 2022" in draft.petition_text
        assert "589 votes to 35, with 47 abstentions" in draft.petition_text


def test_the_petition_omits_what_the_summary_did_not_say() -> None:
    resolution = parse_oeil_summary("Parliament called on the Commission to act now.")

    draft = draft_campaign(resolution=resolution, call=resolution.calls[0])

    assert draft.petition_text == (
        "We, the undersigned, call on the Commission to act now.\n\n"
        "The European Parliament made this call in a resolution. "
        'Parliament called on the Commission to "act now".'
    )
    assert "None" not in draft.summary + draft.petition_text + draft.letter_body


def test_a_petition_for_a_call_without_addressee_joins_parliament(
    founding_drafts: list[CampaignDraft],
) -> None:
    assert founding_drafts[9].petition_text.startswith(
        "We, the undersigned, join the European Parliament in calling for a proper "
        "international investigation into the crimes committed against the people of Kazakhstan."
    )


def test_dates_and_votes_are_written_out_in_english() -> None:
    assert format_date(date(2022, 1, 20)) == "20 January 2022"
    resolution = replace(
        parse_oeil_summary("Parliament called on the Commission to act."),
        votes_for=1,
        votes_against=0,
        abstentions=1,
    )

    draft = draft_campaign(resolution=resolution, call=resolution.calls[0])

    assert "by 1 vote to 0, with 1 abstention." in draft.petition_text


# ---------------------------------------------------------------------------------------------
# Letter templates
# ---------------------------------------------------------------------------------------------


def test_letters_use_only_the_allowed_merge_fields_and_vote_conditions() -> None:
    allowed_tags = {f'if mep.vote == "{value}"' for value in VOTE_VALUES}
    allowed_tags |= {f'elif mep.vote == "{value}"' for value in VOTE_VALUES}
    allowed_tags |= {"else", "endif"}

    for draft in all_fixture_drafts():
        for template in (draft.letter_subject, draft.letter_body):
            assert {m.strip() for m in MERGE_FIELD_RE.findall(template)} <= ALLOWED_MERGE_FIELDS
            assert {t.strip() for t in TAG_RE.findall(template)} <= allowed_tags
            assert "|" not in "".join(MERGE_FIELD_RE.findall(template))
            assert "{#" not in template
            assert letter_template_problems(template) == []


INSTITUTIONS = [
    "Vice-President of the Commission / High Representative of the Union for Foreign Affairs",
    "Council",
    "Member States",
    "European External Action Service",
    "EU Special Representative for Human Rights",
    "Organization for Security and Co-operation in Europe",
    "United Nations Human Rights Council",
    "International Committee of the Red Cross",
    "Council of Europe",
    "World Bank",
]


def call_to(addressees: list[str], *, written: str = "") -> ParsedCall:
    return ParsedCall(
        position=1,
        addressee_as_written=written or " and ".join(addressees),
        addressees=tuple(addressees),
        action="release all political prisoners",
        kind="demand",
        source_sentence="",
        has_explicit_addressee=True,
    )


def subject_for(call: ParsedCall, limit: int | None) -> str:
    resolution = parse_oeil_summary("")
    return draft_campaign(
        resolution=resolution, call=call, limits=DraftLimits(letter_subject=limit)
    ).letter_subject


@pytest.mark.parametrize("count", [3, 6, 10])
@pytest.mark.parametrize("limit", [80, 150, 300])
def test_a_subject_naming_too_many_addressees_names_the_first_ones_and_others(
    count: int, limit: int
) -> None:
    addressees = INSTITUTIONS[:count]
    full = subject_for(call_to(addressees), None)
    too_long = len(full) > limit

    subject = subject_for(call_to(addressees), limit)

    assert len(subject) <= limit
    assert letter_template_problems(subject) == []
    assert subject.endswith(" to act: {{ campaign.title }}")
    if too_long:
        assert subject.startswith("Please press the Vice-President")
        assert " and others to act" in subject or "\u2026" in subject
    else:
        assert subject == full


@pytest.mark.parametrize(
    "name",
    [
        "Minister of Internal Affairs of the Autonomous Region of " + "Very " * 60 + "Far Away",
        "Prosecutor-General " + "and Deputy Prosecutor-General " * 12,
    ],
)
def test_one_addressee_longer_than_the_subject_is_cut_at_a_word(name: str) -> None:
    subject = subject_for(call_to([name]), 120)

    assert len(subject) <= 120
    named = subject.removeprefix("Please press the ").split("\u2026 to act: ")[0]
    assert name.startswith(named) and name[len(named)] == " "
    assert letter_template_problems(subject) == []


def test_without_a_limit_the_subject_names_every_addressee() -> None:
    subject = subject_for(call_to(INSTITUTIONS), None)

    assert all(name in subject for name in INSTITUTIONS)


def test_titles_and_slugs_respect_limits_shorter_than_their_usual_length(
    kazakhstan: ParsedResolution,
) -> None:
    limits = DraftLimits(title=40, slug=20, letter_subject=60)

    for call in kazakhstan.calls:
        draft = draft_campaign(resolution=kazakhstan, call=call, limits=limits)

        assert 0 < len(draft.title) <= 40, draft.title
        assert 0 < len(draft.slug) <= 20, draft.slug
        assert len(draft.letter_subject) <= 60, draft.letter_subject


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    addressees=st.lists(st.text(min_size=1, max_size=120), max_size=20),
    written=st.text(max_size=500),
    limit=st.integers(min_value=40, max_value=400),
)
def test_any_subject_fits_its_limit_and_stays_a_valid_template(
    addressees: list[str], written: str, limit: int
) -> None:
    subject = subject_for(call_to(addressees, written=written), limit)

    assert len(subject) <= limit
    assert letter_template_problems(subject) == []


def test_the_letter_thanks_supporters_and_presses_the_others(
    founding_drafts: list[CampaignDraft],
) -> None:
    body = founding_drafts[3].letter_body

    assert body.startswith("{{ mep.salutation }},\n\n")
    assert (
        "the European Parliament called on the Government of Kazakhstan to immediately release and "
        "fully rehabilitate all political prisoners."
    ) in body
    for_branch = body.split('{% if mep.vote == "for" %}')[1].split("{% elif")[0]
    against_branch = body.split('{% elif mep.vote == "against" %}')[1].split("{% elif")[0]
    abstention_branch = body.split('{% elif mep.vote == "abstention" %}')[1].split("{% else")[0]
    other_branch = body.split("{% else %}")[1].split("{% endif %}")[0]
    assert "Thank you for voting for this resolution" in for_branch
    assert "act now" in against_branch
    assert "act now" in abstention_branch
    assert "press the Government of Kazakhstan" in other_branch
    assert body.endswith(
        "Yours sincerely,\n\n{{ supporter.full_name }}\n{{ supporter.city }}, "
        "{{ supporter.country }}\n"
    )
    assert founding_drafts[3].letter_subject == (
        "Please press the Government of Kazakhstan to act: {{ campaign.title }}"
    )


def test_template_syntax_in_a_pasted_summary_never_reaches_the_letter_as_a_tag() -> None:
    resolution = parse_oeil_summary(
        "Parliament called on the {{ settings.SECRET_KEY }} Council to act {% debug %} and "
        "{# hide #} now."
    )

    draft = draft_campaign(resolution=resolution, call=resolution.calls[0])

    assert letter_template_problems(draft.letter_body) == []
    assert letter_template_problems(draft.letter_subject) == []
    assert "SECRET_KEY" in draft.letter_body  # kept as visible text, defused


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{{ mep.email }}", "unknown merge field {{ mep.email }}"),
        ("{{ mep.full_name|upper }}", "unknown merge field {{ mep.full_name|upper }}"),
        ("{% load static %}", "tag not allowed: {% load static %}"),
        ('{% if mep.vote == "maybe" %}x{% endif %}',
         'unknown vote value in {% if mep.vote == "maybe" %}'),
        ('{% if mep.vote == "for" %}x', "an {% if %} block is not closed with {% endif %}"),
        ("{% endif %}", "{% endif %} without a matching if"),
        ("{# note #}", "comments are not allowed: {# note #}"),
        ("{{ mep.full_name", "unbalanced template delimiters"),
    ],
)  # fmt: skip
def test_letter_template_problems_refuses_anything_beyond_the_allowed_syntax(
    template: str, problem: str
) -> None:
    assert problem in letter_template_problems(template)


def test_merge_field_and_vote_constants_are_what_the_letter_renderer_expects() -> None:
    assert "mep.salutation" in ALLOWED_MERGE_FIELDS
    assert "resolution.reference" in ALLOWED_MERGE_FIELDS
    assert len(ALLOWED_MERGE_FIELDS) == 16
    assert VOTE_VALUES == ("for", "against", "abstention", "did_not_vote", "not_an_mep")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    action=st.text(min_size=1, max_size=300),
    addressees=st.lists(st.text(min_size=1, max_size=40), max_size=3),
    explicit=st.booleans(),
)
def test_any_call_drafts_into_a_valid_campaign(
    action: str, addressees: list[str], explicit: bool
) -> None:
    resolution = parse_oeil_summary("")
    call = ParsedCall(
        position=1,
        addressee_as_written=" and ".join(addressees),
        addressees=tuple(addressees),
        action=action,
        kind="demand",
        source_sentence=action,
        has_explicit_addressee=explicit,
    )

    draft = draft_campaign(resolution=resolution, call=call)

    assert 0 < len(draft.title) <= TITLE_MAX_LENGTH + len(" in ") + 40
    assert 0 < len(draft.slug) <= SLUG_MAX_LENGTH
    assert letter_template_problems(draft.letter_body) == []
    assert letter_template_problems(draft.letter_subject) == []


@pytest.mark.parametrize("vote", [*VOTE_VALUES, ""])
def test_the_letter_renders_with_djangos_template_engine_for_every_vote(
    founding_drafts: list[CampaignDraft], vote: str
) -> None:
    # The templates are stored and rendered by Django; check the real engine accepts them.
    # Engine() needs no settings, so this stays a database-free test.
    template = pytest.importorskip("django.template")
    engine = template.Engine(autoescape=False)
    context = template.Context(
        {
            "mep": {"salutation": "Dear Ms Smith", "vote": vote},
            "supporter": {"full_name": "Ana Example", "city": "Lyon", "country": "France"},
            "resolution": {
                "title": "Resolution on the situation in Kazakhstan",
                "reference": "2022/2505(RSP)",
                "date": "20 January 2022",
            },
            "campaign": {"title": founding_drafts[3].title},
        }
    )

    body = engine.from_string(founding_drafts[3].letter_body).render(context)
    subject = engine.from_string(founding_drafts[3].letter_subject).render(context)

    assert body.startswith('Dear Ms Smith,\n\nIn its "Resolution on the situation in Kazakhstan"')
    assert body.endswith("Ana Example\nLyon, France\n")
    assert "{" not in body and "%" not in body
    assert subject.endswith(": Release all political prisoners in Kazakhstan")
    expected = {
        "for": "Thank you for voting for this resolution.",
        "against": "You voted against this resolution.",
        "abstention": "You abstained in the vote on this resolution.",
    }.get(vote, "As my representative in the European Parliament")
    assert expected in body


def test_pasted_template_syntax_renders_as_text_not_as_variables() -> None:
    template = pytest.importorskip("django.template")
    resolution = parse_oeil_summary("Parliament called on the {{ secret }} Council to act.")
    draft = draft_campaign(resolution=resolution, call=resolution.calls[0])

    body = (
        template.Engine()
        .from_string(draft.letter_body)
        .render(template.Context({"secret": "LEAKED"}))
    )

    assert "LEAKED" not in body
    assert "secret" in body


def test_the_country_is_added_to_a_title_only_where_it_fits_whole() -> None:
    resolution = parse_oeil_summary(
        "# Resolution on the situation in Serbia\n\n"
        "2024/2500(RSP) - 08/02/2024 - Text adopted by Parliament, single reading\n\n"
        "The European Parliament adopted by 400 votes to 100 a resolution on the situation in "
        "Serbia.\n\n"
        "The Serbian authorities are called on to implement all outstanding ODIHR "
        "recommendations before the next elections.\n\n"
        "The Swedish Government is encouraged to continue its efforts to secure his release.\n"
    )
    limit = len("Implement all outstanding ODIHR recommendations before the next elections") + 5

    titles = [
        draft_campaign(resolution=resolution, call=call, limits=DraftLimits(title=limit)).title
        for call in resolution.calls
    ]

    # Too long with " in Serbia", and no clause or preposition to cut at: left whole.
    assert titles == [
        "Implement all outstanding ODIHR recommendations before the next elections",
        # Addressed to another country's government: no "in Serbia".
        "Continue the Swedish Government's efforts to secure his release",
    ]


def test_both_parties_take_no_article() -> None:
    resolution = parse_oeil_summary(
        "# Resolution on the humanitarian situation in Sudan\n\n"
        "2023/2744(RSP) - 05/10/2023 - Text adopted by Parliament, single reading\n\n"
        "The European Parliament adopted by 542 votes to 8 a resolution on Sudan.\n\n"
        "Parliament called on both parties to the conflict to agree a ceasefire.\n"
    )

    draft = draft_campaign(resolution=resolution, call=resolution.calls[0])

    assert "the both" not in draft.summary + draft.letter_body + draft.petition_text
    assert "both parties to the conflict" in draft.letter_body


# --- Titles found wanting on unseen resolutions ----------------------------------------------


def titles_of(text: str, *, country: str | None = None) -> list[str]:
    """The drafted titles of the calls in `text`, in a resolution on `country` if given."""
    head = ""
    if country is not None:
        head = (
            f"# Resolution on the situation in {country}\n\n"
            "2024/2900(RSP) - 10/10/2024 - Text adopted by Parliament, single reading\n\n"
            "The European Parliament adopted by 500 votes to 20, with 10 abstentions, a "
            f"resolution on the situation in {country}.\n\n"
        )
    resolution = parse_oeil_summary(head + text)
    return [draft_campaign(resolution=resolution, call=call).title for call in resolution.calls]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        # Never cut inside a parenthesis; the title is shorter without it.
        ("The Commission is invited to propose a regulatory framework for the use of spyware "
         "(e.g. common standards, authorisation, oversight).",
         "Propose a regulatory framework for the use of spyware"),
        # "and" joining two adjectives is no second demand.
        ("The Council is requested to determine whether Hungary has committed serious and "
         "persistent breaches of EU values, under Art. 7(2) TEU.",
         "Determine whether Hungary has committed serious and persistent breaches"),
        # Nor is a comma inside a list of words or of names.
        ("Parliament also calls for adequate, sustainable and predictable funding for public "
         "service media.",
         "Demand adequate, sustainable and predictable funding for public service media"),
        ("Parliament urged the Russian authorities to release Vladimir Kara-Murza, Alexei "
         "Gorinov and Ilya Yashin immediately, and to drop all charges.",
         "Release Vladimir Kara-Murza, Alexei Gorinov and Ilya Yashin"),
        # A manner left at the end by the cut only adds urgency.
        ("Parliament called on the Iranian authorities to release Narges Mohammadi immediately "
         "and unconditionally and to drop all charges against her.",
         "Release Narges Mohammadi"),
        # A participle is not left without its agent.
        ("Members encouraged the VP/HR to continue to support the Belarusian democratic "
         "opposition led by Sviatlana Tsikhanouskaya.",
         "Continue to support the Belarusian democratic opposition"),
        # "called for X and for Y": the title names X.
        ("Parliament called for an immediate and permanent ceasefire and for the unconditional "
         "release of all hostages.",
         "Demand an immediate and permanent ceasefire"),
        # "do everything possible to X" asks for X.
        ("It called on the Member States to do everything possible to ensure that Edmundo "
         "González Urrutia can take office.",
         "Ensure that Edmundo González Urrutia can take office"),
        # An aside between the verb and its object is dropped, not kept as the whole title.
        ("The Commission is called on to assess, in its annual rule of law report and, where "
         "necessary, by means of the tools at its disposal, whether the amendments comply with "
         "EU law.",
         "Assess whether the amendments comply with EU law"),
    ],
)  # fmt: skip
def test_titles_are_cut_between_phrases_never_inside_one(text: str, title: str) -> None:
    assert titles_of(text) == [title]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Parliament called on the Commission to open formal consultations on the rules of "
         "origin with the People's Republic of China.",
         "Open formal consultations on the rules of origin"),
        ("Parliament called on the Commission to present a report on the activities of the "
         "European Bank for Reconstruction and Development.",
         "Present a report on the activities"),
    ],
)  # fmt: skip
def test_a_name_is_never_cut_at_its_preposition(text: str, title: str) -> None:
    assert titles_of(text) == [title]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        # Addressed to two states, one of them the resolution's: not "in Azerbaijan".
        ("Parliament called on Azerbaijan and Armenia to sign a peace agreement.",
         "Sign a peace agreement"),
        # The title already says where.
        ("Parliament called on the Government of Azerbaijan to stop its support for militias in "
         "Sudan.", "Stop its support for militias in Sudan"),
        ("Parliament called on the Government of Azerbaijan to withdraw its troops from the "
         "Tigray region of Ethiopia.", "Withdraw its troops from the Tigray region of Ethiopia"),
        # A "that" clause is not cut before its verb to make room for "in Azerbaijan".
        ("The authorities are urged to ensure that the parliamentary elections of 26 October "
         "2024 are free and fair.",
         "Ensure that the parliamentary elections of 26 October 2024 are free and fair"),
    ],
)  # fmt: skip
def test_in_the_country_is_added_only_where_it_is_true_and_whole(text: str, title: str) -> None:
    assert titles_of(text, country="Azerbaijan") == [title]


def test_a_state_written_with_the_keeps_it_in_titles_and_prose() -> None:
    resolution = parse_oeil_summary(
        "# Resolution on the case of Ahmed Mansoor in the United Arab Emirates\n\n"
        "2021/2881(RSP) - 07/10/2021 - Text adopted by Parliament, single reading\n\n"
        "Parliament urged the UAE authorities to allow independent monitors to visit him.\n"
    )

    draft = draft_campaign(resolution=resolution, call=resolution.calls[0])

    # "him" is the person of the case: a title stands without the sentence that named him.
    assert draft.title == (
        "Allow independent monitors to visit Ahmed Mansoor in the United Arab Emirates"
    )
    assert "called on the authorities of the United Arab Emirates to allow" in draft.summary


@pytest.mark.parametrize(
    ("addressee", "prose"),
    [
        ("the Iranian authorities", "the authorities of Iran"),
        ("the Belarusian security forces", "the security forces of Belarus"),
        ("the Government of Iran", "the Government of Iran"),
        ("the President of Belarus", "the President of Belarus"),
    ],
)
def test_a_role_that_is_a_common_noun_is_lower_case_in_the_petition_and_letter(
    addressee: str, prose: str
) -> None:
    resolution = parse_oeil_summary(
        "# Resolution on human rights in Iran and Belarus\n\n"
        "2024/2999(RSP) - 14/03/2024 - Text adopted by Parliament, single reading\n\n"
        f"Parliament called on {addressee} to release all political prisoners.\n"
    )

    draft = draft_campaign(resolution=resolution, call=resolution.calls[0])

    assert f"called on {prose} to release" in draft.summary
    assert f"press {prose} to act" in draft.letter_subject
    assert prose in draft.letter_body or prose in draft.petition_text


@pytest.mark.parametrize(
    ("text", "title"),
    [
        # A reference's own parenthesis is part of it; a spaced one explains, and goes whole,
        # nested ones included, and a title never ends on "if".
        ("The Committee of Ministers is encouraged to continue the proceedings under Article "
         "46(4) of the Convention.",
         "Continue the proceedings under Article 46(4) of the Convention"),
        ("The Council is asked to make progress in the procedure under Article 7(1) TEU.",
         "Make progress in the procedure under Article 7(1) TEU"),
        ("Parliament calls on the Commission to consider measures under the Conditionality "
         "Regulation (Regulation (EU, Euratom) 2020/2092) if the reforms endanger the EU's "
         "financial interests.", "Consider measures under the Conditionality Regulation"),
        # A condition is no part of the act.
        ("It asks the Council to consider suspending the agreement if no progress is made.",
         "Consider suspending the agreement"),
        # After "assess", "if" means "whether".
        ("The Commission is asked to assess if the law complies with the directive.",
         "Assess if the law complies with the directive"),
        # A second object going to the same place as the first stays with it.
        ("Parliament urges the Member States to add Ilan Shor and his associates to the EU "
         "sanctions list under the Moldova destabilisation regime.",
         "Add Ilan Shor and his associates to the EU sanctions list"),
        # A circumstance before the verb is not the act.
        ("Parliament calls on the Commission, as a first step, to ensure procedural safeguards "
         "in blasphemy cases.", "Ensure procedural safeguards in blasphemy cases"),
        ("Parliament calls on the Government to:\n- as a first step, ensure procedural "
         "safeguards in blasphemy cases;", "Ensure procedural safeguards in blasphemy cases"),
        # An example between two commas is dropped, so the clause keeps its verb.
        ("Parliament calls on the Maltese authorities to ensure that all those involved in the "
         "assassination, including the masterminds, are brought to justice.",
         "Ensure that all those involved in the assassination are brought to justice"),
        # A list of names: the first one, not "the release" alone.
        ("Parliament calls for the immediate and unconditional release of Hoang Thi Minh Hong, "
         "Dang Dinh Bach and all other environmental human rights defenders.",
         "Demand the release of Hoang Thi Minh Hong"),
        # "Demand that X do A and do B" is a call on X, cut like any verb phrase.
        ("It demands that the Guatemalan authorities respect the will of the people and ensure "
         "a peaceful transfer of power on 14 January 2024.",
         "Respect the will of the people"),
        # With no one named who can act, the demand keeps its "that".
        ("It demands that all those responsible be brought to justice.",
         "Demand that all those responsible be brought to justice"),
    ],
)  # fmt: skip
def test_titles_keep_references_and_objects_and_drop_conditions_and_asides(
    text: str, title: str
) -> None:
    assert titles_of(text) == [title]


def test_a_title_cut_before_ahead_of_does_not_end_on_ahead() -> None:
    titles = titles_of(
        "It calls on the authorities to restore the registration of the Candlelight Party ahead "
        "of the general elections of 23 July 2023.",
        country="Cambodia",
    )

    assert titles == ["Restore the registration of the Candlelight Party in Cambodia"]


@pytest.mark.parametrize(
    ("text", "prose"),
    [
        ("Parliament expects Frontex to strengthen its monitoring.", "Frontex"),
        ("FIFA is asked to contribute to a remedy fund.", "FIFA"),
        ("Parliament requests Europol and the EPPO to assist the investigations.",
         "Europol and the EPPO"),
        ("It encourages the African Union and IGAD to coordinate their mediation.",
         "the African Union and IGAD"),
        ("Parliament calls on the Council to act.", "the Council"),
    ],
)  # fmt: skip
def test_a_name_written_without_the_gets_no_article_in_the_prose(text: str, prose: str) -> None:
    resolution = parse_oeil_summary(text)

    draft = draft_campaign(resolution=resolution, call=resolution.calls[0])

    assert f"call on {prose} to " in draft.petition_text
    assert f"press {prose} to act" in draft.letter_subject


def test_a_circumstance_before_the_verb_stays_before_its_to_in_the_prose() -> None:
    resolution = parse_oeil_summary(
        "Parliament calls on the Commission to:\n- as a first step, ensure procedural "
        "safeguards in blasphemy cases;\n"
    )

    draft = draft_campaign(resolution=resolution, call=resolution.calls[0])

    assert draft.petition_text.startswith(
        "We, the undersigned, call on the Commission, as a first step, to ensure procedural "
        "safeguards in blasphemy cases."
    )
    assert 'called on the Commission, as a first step, to "ensure procedural' in (
        draft.petition_text
    )
    assert "called on the Commission, as a first step, to ensure" in draft.summary


def _case_titles(subject: str, text: str) -> list[str]:
    resolution = parse_oeil_summary(
        f"# Resolution on {subject}\n\n"
        "2022/2698(RSP) - 19/05/2022 - Text adopted by Parliament, single reading\n\n"
        f"The European Parliament adopted by 500 votes to 20, with 10 abstentions, a resolution "
        f"on {subject}.\n\n{text}"
    )
    return [draft_campaign(resolution=resolution, call=call).title for call in resolution.calls]


def test_a_title_names_the_person_of_the_case_where_the_summary_said_his_him_or_her() -> None:
    assert _case_titles(
        "the case of Ahmadreza Djalali in Iran",
        "The resolution calls upon the Iranian authorities to halt his execution; it further "
        "asks them to grant him access to medical care.",
    ) == [
        "Halt Ahmadreza Djalali's execution in Iran",
        "Grant Ahmadreza Djalali access to medical care in Iran",
    ]
    assert _case_titles(
        "the detention of Dr Narges Mohammadi",
        "Parliament urged the authorities to release her and to quash her conviction. "
        "It called on the Council to review her case.",
    ) == ["Release Narges Mohammadi", "Review Narges Mohammadi's case"]


def test_a_title_keeps_its_pronouns_unless_the_case_is_one_persons_and_the_call_not_on_one() -> (
    None
):
    # Two people: "his" could be either.
    assert _case_titles(
        "the cases of Ali Ahmadi and Reza Karimi in Iran",
        "Parliament urged the Iranian authorities to halt his execution.",
    ) == ["Halt his execution in Iran"]
    # A body, not a person.
    assert _case_titles(
        "the detention of European Union citizens in Iran",
        "Parliament urged the Iranian authorities to halt his execution.",
    ) == ["Halt his execution in Iran"]
    # The call is on a person, whose "his" is most likely his own.
    assert _case_titles(
        "the case of Ahmadreza Djalali in Iran",
        "Parliament called on President Raisi to withdraw his decree.",
    ) == ["Withdraw President Raisi's decree in Iran"]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Parliament called on Russia to withdraw its troops from Ukraine.",
         "Withdraw Russia's troops from Ukraine"),
        ("It urged the Member States to step up their efforts.",
         "Step up the Member States' efforts"),
        ("It called on the EU to reconsider its policy.", "Reconsider the EU's policy"),
        ("It called on Belarus to release its political prisoners.",
         "Release Belarus's political prisoners"),
        # Further from the verb "its" may mean what was named since: left as written.
        ("It called on the Commission to support Ukraine and its people.",
         "Support Ukraine and its people"),
        # "its" cannot be the Member States', nor "their" one person's.
        ("It urged the Member States to review its policy.", "Review its policy"),
        ("It urged President Lukashenko to free their relatives.", "Free their relatives"),
        # Two addressees: whose?
        ("It urged the Council and the Commission to use their influence.",
         "Use their influence"),
    ],
)  # fmt: skip
def test_a_title_names_the_addressee_where_its_possessive_stood_right_after_the_verb(
    text: str, title: str
) -> None:
    assert titles_of(text) == [title]


@pytest.mark.parametrize(
    ("text", "country", "title"),
    [
        # "go ahead" keeps its particle.
        ("The Commission is called on to use all the tools at its disposal should the "
         "amendments go ahead.", "Slovakia",
         "Use all the tools at its disposal should the amendments go ahead in Slovakia"),
        # A name for "its" is worth no cut of what the call asks.
        ("The International Monetary Fund is called on to make its loan conditional on "
         "respect for human rights.", "Tunisia",
         "Make its loan conditional on respect for human rights in Tunisia"),
        # A title cut before a place of its own is not given another place.
        ("Parliament called on the Commission and the Council to ensure that the European "
         "Media Freedom Act is applied in full in every Member State.", "Slovakia",
         "Ensure that the European Media Freedom Act is applied in full"),
    ],
)  # fmt: skip
def test_a_title_never_trades_what_the_call_asks_for_a_place_or_a_name(
    text: str, country: str, title: str
) -> None:
    assert titles_of(text, country=country) == [title]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Parliament called on the Commission to propose, by the end of 2024, binding rules on "
         "the export of cyber-surveillance items.",
         "Propose binding rules on the export of cyber-surveillance items"),
        ("Parliament called on the Member States to consider moving to qualified majority "
         "voting in CFSP matters relating to human rights.",
         "Consider moving to qualified majority voting in CFSP matters"),
        ("Parliament called on the EEAS to monitor the trials of protesters \u2014 all of them "
         "\u2014 and report back.",
         "Monitor the trials of protesters"),
        ("Parliament called on the Commission to (re)open the negotiations.",
         "(Re)open the negotiations"),
    ],
)  # fmt: skip
def test_titles_pass_an_aside_and_never_end_on_a_dangling_word(text: str, title: str) -> None:
    assert titles_of(text) == [title]
