"""Letter templates: a sandboxed subset of Django's template language.

Organisers write a subject and a body with merge fields (`{{ mep.salutation }}`) and
`{% if mep.vote == "for" %}…{% elif … %}…{% else %}…{% endif %}` blocks. Nothing else is
accepted: no filters, no other tags, no attribute access beyond the listed fields. The
template is checked twice — when it is saved (`template_validate`, so the organiser learns
about the problem while still looking at it) and again before every render — and rendering
sees only a dict of plain strings, never a model, the request or the settings.

How it is enforced:
1. A dedicated `Engine` whose only tag is `if` and which has no filters at all, so `{% load %}`,
   `{% include %}`, `{% debug %}`, `|upper` … fail to compile.
2. A token scan before compiling, for clear messages naming the offending tag or filter.
3. A walk of the compiled nodelist allowing only text, variables naming an allowed merge
   field, and `if` nodes whose conditions use allowed fields, string literals and
   and/or/not/in/==/!=.

Django parses, checks and renders nested blocks and conditions recursively, so the token scan
also caps how deep if-blocks nest and how long a condition is: within those caps a template
needs a bounded number of stack frames, and any RecursionError that still happens (a caller
already deep in its own stack) is reported as TemplateInvalidError, never a server error.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.template import Context, Engine, Library, TemplateSyntaxError
from django.template.base import FilterExpression, Lexer, Node, NodeList, TextNode, TokenType
from django.template.base import Variable as TemplateVariable
from django.template.defaulttags import IfNode, TemplateLiteral, do_if
from django.utils import formats, translation

from campaign.importer.drafting import ALLOWED_MERGE_FIELDS
from campaign.models import Gender, LetterTemplate, Mep
from campaign.validators import BIDI_CONTROL_CHARACTERS, LINE_BREAKS
from config.errors import DomainError

# The merge fields and vote values the importer's drafts use: one list for both.
_ALLOWED_TAGS = {"if", "elif", "else", "endif"}
_ALLOWED_OPERATORS = {"==", "!=", "and", "or", "not", "in", "not in"}
SUBJECT_MAX_LENGTH = 300
BODY_MAX_LENGTH = 20_000
# Real letters nest a vote ladder inside a group or country test: two or three levels, and
# conditions of a dozen words. Each level and each word costs Django a few stack frames when
# parsing and rendering; these caps keep the worst accepted template far below Python's
# recursion limit (800 nested ifs or 4800 `not`s overflowed it).
MAX_IF_NESTING = 10
MAX_CONDITION_WORDS = 100
# Controls, surrogates, private use and unassigned code points: the rule by which
# advocacy.letters.clean_letter_text refuses a supporter's letter. Kept here because campaign
# may not import advocacy; letters.py could use `bad_character` instead of its own copy.
_BAD_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})


class TemplateInvalidError(DomainError):
    code = "template_invalid"
    status = 400


def _engine() -> Engine:
    engine = Engine(
        dirs=[],
        app_dirs=False,
        autoescape=False,  # plain-text mail: escaping would garble names like O'Sullivan
        string_if_invalid="",
        debug=False,
        loaders=[],
        builtins=[],
        libraries={},
    )
    # Engine always adds Django's default tags and filters; replace them by `if` alone, so
    # anything else is a syntax error at compile time, whatever the validator might miss.
    only_if = Library()
    only_if.tag("if", do_if)
    engine.template_builtins = [only_if]
    engine.template_libraries = {}
    return engine


_ENGINE = _engine()


# --- Validation -----------------------------------------------------------------------------


def _fail(field: str, problem: str) -> TemplateInvalidError:
    return TemplateInvalidError(f"The {field} template: {problem}", fields={field: [problem]})


def _too_deep(field: str) -> TemplateInvalidError:
    return _fail(
        field,
        "the template is nested too deeply to be used; "
        "simplify its {% if %} blocks and conditions.",
    )


def bad_character(text: str) -> str | None:
    """The first character of `text` a letter may not contain, or None if it is plain text.

    Line feeds and tabs are plain text; turn CRLF and lone CR into LF before asking, as
    clean_letter_text does. A template holding any other control character renders drafts
    that the supporter, sending them unchanged, would be refused for.
    """
    for ch in text:
        if ch not in "\n\t" and unicodedata.category(ch) in _BAD_CATEGORIES:
            return ch
    return None


def _check_plain_text(text: str, field: str) -> None:
    ch = bad_character(text)
    if ch is not None:
        line = text.count("\n", 0, text.index(ch)) + 1
        raise _fail(
            field,
            f"only plain text is allowed, not control or binary characters "
            f"(U+{ord(ch):04X} on line {line}).",
        )


def _scan_tokens(source: str, field: str) -> None:
    depth = 0
    for token in Lexer(source).tokenize():
        line = f"line {token.lineno}" if token.lineno else "the text"
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if name not in _ALLOWED_TAGS:
                raise _fail(
                    field,
                    f"the tag {{% {name} %}} on {line} is not allowed; only "
                    "{% if %}, {% elif %}, {% else %} and {% endif %} may be used.",
                )
            if "|" in token.contents:
                raise _fail(field, f"filters (\u201c|\u201d) are not allowed ({line}).")
            if name == "if":
                depth += 1
                if depth > MAX_IF_NESTING:
                    raise _fail(
                        field,
                        f"{{% if %}} blocks are nested more than {MAX_IF_NESTING} deep ({line}).",
                    )
            elif name == "endif":
                depth = max(depth - 1, 0)  # a stray endif is the compiler's syntax error
            # The same split the if tag itself uses, so a quoted literal is one word.
            if name in {"if", "elif"} and len(token.split_contents()) - 1 > MAX_CONDITION_WORDS:
                raise _fail(
                    field,
                    f"the condition on {line} is longer than {MAX_CONDITION_WORDS} words.",
                )
        elif token.token_type == TokenType.VAR:
            if "|" in token.contents:
                raise _fail(
                    field,
                    f"filters are not allowed: {{{{ {token.contents} }}}} on {line}.",
                )
            if token.contents.strip() not in ALLOWED_MERGE_FIELDS:
                raise _fail(
                    field,
                    f"unknown merge field {{{{ {token.contents.strip()} }}}} on {line}; "
                    f"allowed: {', '.join(sorted(ALLOWED_MERGE_FIELDS))}.",
                )


def _check_expression(expression: FilterExpression, field: str) -> None:
    if expression.filters:
        raise _fail(field, "filters are not allowed.")
    var = expression.var
    if isinstance(var, TemplateVariable):
        if var.literal is not None:
            # Numbers: harmless but meaningless here; only string literals are offered.
            raise _fail(field, f"only text in quotes may be compared, not {var.var}.")
        name = ".".join(var.lookups or ())
        if name not in ALLOWED_MERGE_FIELDS:
            raise _fail(field, f"unknown merge field {name!r} in a condition.")
    elif not isinstance(var, str):
        raise _fail(field, "unsupported value in a condition.")


def _check_condition(condition: Any, field: str) -> None:
    if condition is None:  # {% else %}
        return
    if isinstance(condition, TemplateLiteral):
        if not isinstance(condition.value, FilterExpression):
            raise _fail(field, "unsupported value in a condition.")
        _check_expression(condition.value, field)
        return
    operator = getattr(condition, "id", None)
    if operator not in _ALLOWED_OPERATORS:
        raise _fail(field, f"the operator {operator!r} is not allowed in a condition.")
    _check_condition(condition.first, field)
    if getattr(condition, "second", None) is not None:
        _check_condition(condition.second, field)


def _walk(nodelist: NodeList, field: str) -> Iterator[Node]:
    for node in nodelist:
        yield node
        if isinstance(node, IfNode):
            for condition, branch in node.conditions_nodelists:
                _check_condition(condition, field)
                yield from _walk(branch, field)


# Compiled templates are immutable and safe to render from many threads (Django's cached
# template loader relies on the same); a confirmation renders one template per MEP, so
# compiling once per process instead of per letter saves a seventh of queueing a letter.
@functools.lru_cache(maxsize=256)
def _compile(source: str, field: str) -> Any:
    if "\x00" in source:
        raise _fail(field, "binary content is not allowed.")
    try:
        _scan_tokens(source, field)
        template = _ENGINE.from_string(source)
        for node in _walk(template.nodelist, field):
            if isinstance(node, TextNode | IfNode):
                continue
            expression = getattr(node, "filter_expression", None)
            if type(node).__name__ == "VariableNode" and isinstance(expression, FilterExpression):
                _check_expression(expression, field)
                continue
            raise _fail(field, f"{type(node).__name__} is not allowed.")
    except TemplateSyntaxError as exc:
        raise _fail(field, f"syntax error: {exc}") from exc
    except RecursionError:
        # Within the caps of _scan_tokens a template needs a couple of hundred frames; a
        # caller already deep in its own stack can still run out, and that is still the
        # organiser's error to see, not a 500. `from None`: the traceback says nothing more.
        raise _too_deep(field) from None
    return template


def _render(source: str, field: str, context: Context) -> str:
    template = _compile(source, field)
    try:
        return str(template.render(context))
    except RecursionError:  # as in _compile: a deep caller, never a 500
        raise _too_deep(field) from None


def template_validate(*, subject: str, body: str) -> None:
    """Raise TemplateInvalidError (naming the field and the problem) unless both templates
    use only the allowed merge fields and if-blocks."""
    if not subject.strip():
        raise _fail("subject", "the subject may not be empty.")
    # Every line boundary str.splitlines() knows, not only CR/LF: the subject is a mail header,
    # and a subject holding U+2028 or U+0085 was accepted here (drill 9) and only flattened
    # at render time.
    if any(ch in LINE_BREAKS for ch in subject):
        raise _fail("subject", "the subject must be a single line.")
    _check_plain_text(subject, "subject")
    if BIDI_CONTROL_CHARACTERS.search(subject):
        # The subject is a mail header an MEP reads: no bidirectional override may make it
        # display as text the organiser never wrote (campaign titles are held to the same).
        raise _fail("subject", "the subject may not hold bidirectional text overrides.")
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise _fail("subject", f"the subject is longer than {SUBJECT_MAX_LENGTH} characters.")
    if not body.strip():
        raise _fail("body", "the body may not be empty.")
    # Line endings as clean_letter_text normalises them: an admin textarea sends CRLF.
    _check_plain_text(body.replace("\r\n", "\n").replace("\r", "\n"), "body")
    if len(body) > BODY_MAX_LENGTH:
        raise _fail("body", f"the body is longer than {BODY_MAX_LENGTH} characters.")
    _compile(subject, "subject")
    _compile(body, "body")


# --- Rendering ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedLetter:
    language: str
    subject: str
    body: str


def template_render(
    *, subject: str, body: str, values: Mapping[str, Mapping[str, str]], language: str = "en"
) -> RenderedLetter:
    """Render after re-validating. `values` maps "mep"/"supporter"/"campaign"/"resolution" to
    dicts of strings; only those reach the template."""
    plain = {
        group: {key: str(value) for key, value in fields.items()}
        for group, fields in values.items()
        if group in {"mep", "supporter", "campaign", "resolution"}
    }
    rendered_subject = _render(subject, "subject", Context(plain, autoescape=False))
    rendered_body = _render(body, "body", Context(plain, autoescape=False))
    # A merge value can never add a line break to a header (values are checked single-line
    # where they come in), but the subject is a header: make sure.
    rendered_subject = " ".join(rendered_subject.split())
    return RenderedLetter(language=language, subject=rendered_subject, body=rendered_body)


# --- Merge values ---------------------------------------------------------------------------

EU_COUNTRIES: dict[str, str] = {
    "AT": "Austria",
    "BE": "Belgium",
    "BG": "Bulgaria",
    "CY": "Cyprus",
    "CZ": "Czechia",
    "DE": "Germany",
    "DK": "Denmark",
    "EE": "Estonia",
    "ES": "Spain",
    "FI": "Finland",
    "FR": "France",
    "GR": "Greece",
    "HR": "Croatia",
    "HU": "Hungary",
    "IE": "Ireland",
    "IT": "Italy",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "LV": "Latvia",
    "MT": "Malta",
    "NL": "Netherlands",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "SE": "Sweden",
    "SI": "Slovenia",
    "SK": "Slovakia",
}

# Preferred letter languages by MEP country, best first. Multilingual countries list their
# languages by share of speakers (BE: Dutch, French, German; LU: French, German; CH: German,
# French, Italian); English is the fallback everywhere.
COUNTRY_LANGUAGES: dict[str, tuple[str, ...]] = {
    "AT": ("de",),
    "DE": ("de",),
    "BE": ("nl", "fr", "de"),
    "LU": ("fr", "de"),
    "CH": ("de", "fr", "it"),
    "FR": ("fr",),
    "ES": ("es",),
    "IT": ("it",),
    "NL": ("nl",),
    "PL": ("pl",),
    "PT": ("pt",),
    "IE": ("en",),
    "MT": ("en", "mt"),
    "CY": ("el", "en"),
    "GR": ("el",),
    "SE": ("sv",),
    "DK": ("da",),
    "FI": ("fi", "sv"),
    "EE": ("et",),
    "LV": ("lv",),
    "LT": ("lt",),
    "CZ": ("cs",),
    "SK": ("sk",),
    "SI": ("sl",),
    "HR": ("hr",),
    "HU": ("hu",),
    "RO": ("ro",),
    "BG": ("bg",),
}


def language_preferences(country_code: str) -> tuple[str, ...]:
    return (*COUNTRY_LANGUAGES.get(country_code.upper(), ()), "en")


def template_choose(*, templates: Sequence[LetterTemplate], country_code: str) -> LetterTemplate:
    """The template in the MEP's country language if the organiser wrote one, else English,
    else the first one there is."""
    if not templates:
        raise TemplateInvalidError("This campaign has no letter template.", code="no_template")
    by_language = {template.language: template for template in templates}
    for language in language_preferences(country_code):
        if language in by_language:
            return by_language[language]
    return templates[0]


# Formal salutations: (female, male, unknown gender). `{last}` is the display family name,
# `{full}` the full name. Where a language addresses Members by office rather than name
# (fr, pl), the name is left out, as is customary.
_SALUTATIONS: dict[str, tuple[str, str, str]] = {
    "en": ("Dear Ms {last}", "Dear Mr {last}", "Dear Member {full}"),
    "de": ("Sehr geehrte Frau {last}", "Sehr geehrter Herr {last}", "Guten Tag {full}"),
    "fr": ("Madame la Députée", "Monsieur le Député", "Madame, Monsieur le Député"),
    "es": ("Estimada Sra. {last}", "Estimado Sr. {last}", "Distinguido/a eurodiputado/a {full}"),
    "it": ("Gentile Onorevole {last}", "Egregio Onorevole {last}", "Gentile Onorevole {full}"),
    "nl": ("Geachte mevrouw {last}", "Geachte heer {last}", "Geacht Parlementslid {full}"),
    "pl": ("Szanowna Pani Poseł", "Szanowny Panie Pośle", "Szanowni Państwo"),
    "pt": (
        "Exma. Senhora Deputada {last}",
        "Exmo. Senhor Deputado {last}",
        "Exmo(a). Senhor(a) Deputado(a) {full}",
    ),
}


def salutation(*, gender: str, language: str, last_name: str, full_name: str) -> str:
    female, male, unknown = _SALUTATIONS.get(language, _SALUTATIONS["en"])
    pattern = {Gender.FEMALE: female, Gender.MALE: male}.get(gender, unknown)  # type: ignore[call-overload]
    return str(pattern).format(last=last_name, full=full_name)


@dataclass(frozen=True)
class SupporterValues:
    first_name: str
    last_name: str
    city: str = ""
    country: str = ""


@functools.lru_cache(maxsize=64)
def _format_date(value: date | None, language: str) -> str:
    # Cached: the resolution's date in the letter's language, the same for every letter of
    # a campaign (formatting it under translation.override was a quarter of the merge work).
    if value is None:
        return ""
    with translation.override(language):
        return str(formats.date_format(value, "j F Y"))


def merge_values(
    *,
    mep: Mep,
    vote: str,
    committees: Sequence[str],
    language: str,
    supporter: SupporterValues,
    campaign_title: str,
    resolution_title: str = "",
    resolution_reference: str = "",
    resolution_date: date | None = None,
) -> dict[str, dict[str, str]]:
    """The only data a letter template ever sees: plain strings."""
    from campaign.directory import display_last_name

    last = display_last_name(mep.last_name)
    full = f"{mep.first_name} {last}".strip()
    supporter_full = f"{supporter.first_name} {supporter.last_name}".strip()
    return {
        "mep": {
            "salutation": salutation(
                gender=mep.gender, language=language, last_name=last, full_name=full
            ),
            "full_name": full,
            "last_name": last,
            "group": mep.group,
            "country": EU_COUNTRIES.get(mep.country_code, mep.country_code),
            "committees": ", ".join(committees),
            "vote": vote,
        },
        "supporter": {
            "first_name": supporter.first_name,
            "last_name": supporter.last_name,
            "full_name": supporter_full,
            "city": supporter.city,
            "country": EU_COUNTRIES.get(supporter.country, supporter.country),
        },
        "campaign": {"title": campaign_title},
        "resolution": {
            "title": resolution_title,
            "reference": resolution_reference,
            "date": _format_date(resolution_date, language),
        },
    }
