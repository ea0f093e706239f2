"""The letter-template sandbox: only merge fields and vote conditions, nothing else."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date

import pytest
from rest_framework.test import APIClient

from campaign.api_tokens import api_token_create
from campaign.models import Gender, LetterTemplate, Mep, OrganisationRole
from campaign.templating import (
    ALLOWED_MERGE_FIELDS,
    BODY_MAX_LENGTH,
    MAX_CONDITION_WORDS,
    MAX_IF_NESTING,
    SupporterValues,
    TemplateInvalidError,
    bad_character,
    merge_values,
    salutation,
    template_choose,
    template_render,
    template_validate,
)
from tests.factories import LetterTemplateFactory

LADDER = (
    '{% if mep.vote == "for" %}Thank you for voting for it.'
    '{% elif mep.vote == "against" %}You voted against it.'
    '{% elif mep.vote == "abstention" %}You abstained.'
    "{% else %}You did not take part.{% endif %}"
)


def _values(**mep_overrides: str) -> dict[str, dict[str, str]]:
    mep = {
        "salutation": "Dear Ms Member",
        "full_name": "Anna Member",
        "last_name": "Member",
        "group": "EPP",
        "country": "Germany",
        "committees": "Foreign Affairs",
        "vote": "for",
    }
    mep.update(mep_overrides)
    return {
        "mep": mep,
        "supporter": {
            "first_name": "Ana",
            "last_name": "Supporter",
            "full_name": "Ana Supporter",
            "city": "Graz",
            "country": "Austria",
        },
        "campaign": {"title": "Free them"},
        "resolution": {"title": "Kazakhstan", "reference": "2022/2505(RSP)", "date": "x"},
    }


def _render(body: str, **mep_overrides: str) -> str:
    return template_render(subject="s", body=body, values=_values(**mep_overrides)).body


def test_every_allowed_merge_field_renders_its_value():
    body = " ".join(f"{{{{ {name} }}}}" for name in sorted(ALLOWED_MERGE_FIELDS))
    template_validate(subject="Hello {{ mep.last_name }}", body=body)
    rendered = _render(body)
    assert "Ana Supporter" in rendered and "2022/2505(RSP)" in rendered


@pytest.mark.parametrize(
    ("vote", "expected"),
    [
        ("for", "Thank you for voting for it."),
        ("against", "You voted against it."),
        ("abstention", "You abstained."),
        ("did_not_vote", "You did not take part."),
        ("not_an_mep", "You did not take part."),
    ],
)
def test_the_vote_ladder_picks_the_branch_of_the_meps_vote(vote, expected):
    template_validate(subject="s", body=LADDER)
    assert _render(LADDER, vote=vote) == expected


def test_conditions_may_combine_fields_and_string_literals():
    body = (
        '{% if mep.vote == "for" and mep.group in "EPP S&D" %}A{% endif %}'
        '{% if not mep.country == "France" or mep.vote != "for" %}B{% endif %}'
    )
    template_validate(subject="s", body=body)
    assert _render(body) == "AB"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("{{ settings }}", "unknown merge field"),
        ("{{ settings.SECRET_KEY }}", "unknown merge field"),
        ("{{ request.META }}", "unknown merge field"),
        ("{{ mep.salutation.upper }}", "unknown merge field"),
        ("{{ mep.__class__ }}", "unknown merge field"),
        ("{{ mep._state }}", "unknown merge field"),
        ("{{ mep.email }}", "unknown merge field"),
        ("{{ supporter.full_name|upper }}", "filters are not allowed"),
        ("{{ mep.vote|default:settings }}", "filters are not allowed"),
        ("{% load static %}", "{% load %}"),
        ("{% include 'advocacy/base.html' %}", "{% include %}"),
        ("{% extends 'advocacy/base.html' %}", "{% extends %}"),
        ("{% debug %}", "{% debug %}"),
        ("{% url 'admin:index' %}", "{% url %}"),
        ("{% for x in mep %}{% endfor %}", "{% for %}"),
        ("{% with a=settings %}{% endwith %}", "{% with %}"),
        ("{% comment %}x{% endcomment %}", "{% comment %}"),
        ("{% if settings.DEBUG %}x{% endif %}", "unknown merge field"),
        ('{% if mep.vote|lower == "for" %}x{% endif %}', "filters"),
        ('{% if mep.vote > "a" %}x{% endif %}', "operator"),
        ('{% if mep.vote == "for" %}x', "syntax error"),
        ("{% if mep.vote == 1 %}x{% endif %}", "only text in quotes"),
        ("bin\x00ary", "binary"),
    ],
)
def test_anything_beyond_merge_fields_and_if_is_rejected_when_saved(body, problem):
    with pytest.raises(TemplateInvalidError) as caught:
        template_validate(subject="Subject", body=body)
    assert problem in caught.value.message
    assert caught.value.fields == {"body": [caught.value.fields["body"][0]]}
    assert caught.value.code == "template_invalid"


def test_a_bad_subject_is_reported_on_the_subject_field():
    with pytest.raises(TemplateInvalidError) as caught:
        template_validate(subject="Hi {{ settings.SECRET_KEY }}", body="ok")
    assert "subject" in caught.value.fields
    with pytest.raises(TemplateInvalidError) as caught:
        template_validate(subject="two\nlines", body="ok")
    assert "single line" in caught.value.message


# Each of these overflowed Python's stack (a 500) while fitting in BODY_MAX_LENGTH.
NESTED_IFS = "{%if mep.vote%}" * 800 + "x" + "{%endif%}" * 800
LONG_OR = "{%if " + " or ".join(["mep.vote"] * 1601) + "%}x{%endif%}"
LONG_NOT = "{%if " + "not " * 4800 + "mep.vote%}x{%endif%}"


def _deepest_allowed(text: str) -> str:
    condition = "not not " * ((MAX_CONDITION_WORDS - 1) // 2) + "mep.vote"
    return f"{{% if {condition} %}}" * MAX_IF_NESTING + text + "{% endif %}" * MAX_IF_NESTING


def _with_frames_left[T](frames: int, call: Callable[[], T]) -> T:
    """Call `call` from a stack so deep that only about `frames` frames remain."""
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back

    def descend(remaining: int) -> T:
        return call() if remaining <= 0 else descend(remaining - 1)

    return descend(sys.getrecursionlimit() - depth - frames)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (NESTED_IFS, f"nested more than {MAX_IF_NESTING} deep"),
        (LONG_OR, f"longer than {MAX_CONDITION_WORDS} words"),
        (LONG_NOT, f"longer than {MAX_CONDITION_WORDS} words"),
    ],
)
def test_deep_nesting_and_overlong_conditions_are_refused_not_a_crash(body, problem):
    assert len(body) <= BODY_MAX_LENGTH
    with pytest.raises(TemplateInvalidError) as caught:
        template_validate(subject="s", body=body)
    assert problem in caught.value.message
    assert list(caught.value.fields) == ["body"]
    with pytest.raises(TemplateInvalidError):
        _render(body)


def test_the_deepest_template_allowed_renders_with_stack_to_spare():
    """Within the caps, validating and rendering fit in what a deep caller leaves over."""
    body = _deepest_allowed("deepest allowed")
    rendered = _with_frames_left(400, lambda: _render(body))
    assert rendered == "deepest allowed"
    template_validate(subject="s", body=body)


def test_running_out_of_stack_anyway_is_a_template_error_not_a_crash():
    # Parsing (a template not compiled before) and rendering (one compiled and cached by
    # validation) each recover from a RecursionError raised deep inside Django.
    fresh = _deepest_allowed("never compiled before")
    with pytest.raises(TemplateInvalidError) as caught:
        _with_frames_left(40, lambda: template_validate(subject="s", body=fresh))
    assert "nested too deeply" in caught.value.message
    assert list(caught.value.fields) == ["body"]

    # Django's smartif turns any exception inside an operator into False, RecursionError
    # included, so starve the nested blocks here, not an operator chain.
    levels = MAX_IF_NESTING
    compiled = "{% if mep.vote %}" * levels + "compiled when saved" + "{% endif %}" * levels
    template_validate(subject="s", body=compiled)
    with pytest.raises(TemplateInvalidError) as caught:
        _with_frames_left(20, lambda: _render(compiled))
    assert "nested too deeply" in caught.value.message


@pytest.mark.parametrize("field", ["subject", "body"])
# Controls (C0, DEL, C1), a lone surrogate, private use, an unassigned code point.
@pytest.mark.parametrize(
    "char", ["\x00", "\x01", "\x1b", "\x7f", "\x9b", "\ud800", "\ue000", "\u0378"]
)
def test_control_and_binary_characters_are_refused_as_a_supporters_letter_would_be(field, char):
    """Supporters send the rendered draft; advocacy.letters.clean_letter_text would refuse
    them for characters they did not write."""
    texts = {"subject": "Subject", "body": "Body"}
    texts[field] = f"Plain{char}text"
    with pytest.raises(TemplateInvalidError) as caught:
        template_validate(**texts)
    assert "only plain text" in caught.value.message
    assert f"U+{ord(char):04X}" in caught.value.message
    assert list(caught.value.fields) == [field]


def test_tabs_and_any_line_ending_are_plain_text_in_the_body():
    body = "{{ mep.salutation }},\r\n\tthank you.\rYours\n"
    template_validate(subject="Tab\tseparated", body=body)
    assert bad_character(_render(body).replace("\r\n", "\n").replace("\r", "\n")) is None


@pytest.mark.parametrize(
    "line_break",
    ["\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"],
)
def test_the_subject_is_a_header_and_refuses_every_line_boundary(line_break):
    assert len(f"a{line_break}b".splitlines()) == 2
    with pytest.raises(TemplateInvalidError) as caught:
        template_validate(subject=f"Please{line_break}act", body="ok")
    assert "single line" in caught.value.message
    assert list(caught.value.fields) == ["subject"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("body", NESTED_IFS), ("body", LONG_NOT), ("body", "Hi\x01"), ("subject", "Hi\x01")],
)
def test_the_organiser_api_answers_a_400_naming_the_field(field, value):
    template = LetterTemplateFactory()
    _, raw = api_token_create(
        organisation=template.campaign.organisation, name="test", role=OrganisationRole.EDITOR
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.patch(
        f"/api/v1/org/letter-templates/{template.pk}/", {field: value}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    template.refresh_from_db()
    assert getattr(template, field) != value


@pytest.mark.parametrize(
    "body",
    ["{{ settings.SECRET_KEY }}", "{% debug %}", "{{ mep.__class__ }}", "{{ x|upper }}"],
)
def test_rendering_refuses_a_template_that_slipped_past_validation(body):
    with pytest.raises(TemplateInvalidError):
        _render(body)


def test_rendering_sees_only_the_values_given_even_for_unlisted_groups():
    values = _values()
    values["settings"] = {"SECRET_KEY": "leak"}  # not a template group: dropped
    body = '{% if mep.vote == "for" %}{{ mep.full_name }}{% endif %}'
    assert template_render(subject="s", body=body, values=values).body == "Anna Member"


def test_merge_values_are_not_escaped_in_plain_text():
    assert _render("{{ mep.full_name }}", full_name="Grace O'Sullivan & Co <x>") == (
        "Grace O'Sullivan & Co <x>"
    )


def test_comments_are_allowed_and_render_nothing():
    template_validate(subject="s", body="a{# note #}b")
    assert _render("a{# note #}b") == "ab"


@pytest.mark.parametrize(
    ("language", "gender", "expected"),
    [
        ("en", Gender.FEMALE, "Dear Ms Princi"),
        ("en", Gender.MALE, "Dear Mr Princi"),
        ("en", Gender.UNKNOWN, "Dear Member Giusi Princi"),
        ("de", Gender.FEMALE, "Sehr geehrte Frau Princi"),
        ("de", Gender.MALE, "Sehr geehrter Herr Princi"),
        ("fr", Gender.FEMALE, "Madame la Députée"),
        ("es", Gender.MALE, "Estimado Sr. Princi"),
        ("it", Gender.FEMALE, "Gentile Onorevole Princi"),
        ("nl", Gender.MALE, "Geachte heer Princi"),
        ("pl", Gender.FEMALE, "Szanowna Pani Poseł"),
        ("pt", Gender.FEMALE, "Exma. Senhora Deputada Princi"),
        ("sv", Gender.FEMALE, "Dear Ms Princi"),
    ],
)
def test_the_salutation_follows_gender_and_language(language, gender, expected):
    assert (
        salutation(gender=gender, language=language, last_name="Princi", full_name="Giusi Princi")
        == expected
    )


def test_merge_values_write_the_family_name_in_title_case():
    mep = Mep(first_name="David", last_name="McALLISTER", country_code="DE", gender="M")
    values = merge_values(
        mep=mep,
        vote="for",
        committees=["Foreign Affairs"],
        language="de",
        supporter=SupporterValues(first_name="Ana", last_name="S", city="Graz", country="AT"),
        campaign_title="Free them",
        resolution_date=date(2022, 1, 20),
    )
    assert values["mep"]["salutation"] == "Sehr geehrter Herr McAllister"
    assert values["supporter"]["country"] == "Austria"
    assert values["resolution"]["date"] == "20 Januar 2022"


def test_the_resolution_date_is_written_in_each_letters_language_one_after_another():
    """The formatted date is cached per date and language: alternating languages must still
    give each its own month names, and leave the active language alone."""
    from django.utils import translation

    def written(language: str) -> str:
        return merge_values(
            mep=Mep(first_name="A", last_name="B", country_code="FR", gender="F"),
            vote="",
            committees=[],
            language=language,
            supporter=SupporterValues(first_name="Ana", last_name="S"),
            campaign_title="Free them",
            resolution_date=date(2022, 1, 20),
        )["resolution"]["date"]

    with translation.override("en"):
        assert [written(x) for x in ("de", "fr", "de", "en")] == [
            "20 Januar 2022",
            "20 janvier 2022",
            "20 Januar 2022",
            "20 January 2022",
        ]
        assert translation.get_language() == "en"


@pytest.mark.parametrize(
    ("country", "languages", "expected"),
    [
        ("DE", ["en", "de"], "de"),
        ("AT", ["en", "de"], "de"),
        ("FR", ["en", "de"], "en"),
        ("BE", ["en", "fr"], "fr"),
        ("BE", ["en", "fr", "nl"], "nl"),
        ("LU", ["de", "en"], "de"),
        ("IT", ["fr"], "fr"),
    ],
)
def test_the_meps_country_language_is_preferred_when_a_template_exists(
    country, languages, expected
):
    templates = [LetterTemplate(language=language) for language in languages]
    assert template_choose(templates=templates, country_code=country).language == expected


@pytest.mark.parametrize("override", ["\u202e", "\u202a", "\u2066", "\u2069"])
def test_a_subject_with_a_bidirectional_override_is_refused_on_the_subject_field(override):
    # "Please act\u202etcejbus" displays reversed in the MEP's inbox: text nobody wrote.
    with pytest.raises(TemplateInvalidError) as caught:
        template_validate(subject=f"Please act{override}now", body="ok")
    assert list(caught.value.fields) == ["subject"]
    assert "bidirectional" in caught.value.message
