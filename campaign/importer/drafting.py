"""Turn one parsed call into a draft campaign: title, slug, summary, petition and letter template.

Pure and deterministic (no Django, no clock, no randomness): the same resolution and call always
give the same draft, so re-importing a resolution can be compared with what is stored, and the
organiser reviews a stable text before publishing.

The letter template is Django-template syntax restricted to ``ALLOWED_MERGE_FIELDS`` and one
``{% if mep.vote == … %}`` ladder. Text copied from the pasted summary is defused before it is
placed in a template, because an organiser can paste anything, and ``{{ … }}`` in a pasted
summary must never reach the template engine as a variable (it could expose context data).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from campaign.importer.parser import (
    COMMON_NOUN_ROLES,
    COUNTRIES,
    ParsedCall,
    ParsedResolution,
    country_phrase,
    find_country,
    mentions_country,
)

__all__ = [
    "ALLOWED_MERGE_FIELDS",
    "SLUG_MAX_LENGTH",
    "TITLE_MAX_LENGTH",
    "VOTE_VALUES",
    "CampaignDraft",
    "DraftLimits",
    "draft_campaign",
    "format_date",
    "format_votes",
    "letter_template_problems",
]

ALLOWED_MERGE_FIELDS: frozenset[str] = frozenset(
    {
        "mep.salutation",
        "mep.full_name",
        "mep.last_name",
        "mep.group",
        "mep.country",
        "mep.committees",
        "mep.vote",
        "supporter.first_name",
        "supporter.last_name",
        "supporter.full_name",
        "supporter.city",
        "supporter.country",
        "campaign.title",
        "resolution.title",
        "resolution.reference",
        "resolution.date",
    }
)
# How an MEP voted on the resolution; "not_an_mep" means they were not a Member at the time.
VOTE_VALUES: tuple[str, ...] = ("for", "against", "abstention", "did_not_vote", "not_an_mep")

TITLE_MAX_LENGTH = 80
_TITLE_SOURCE_CHARS = 400
SLUG_MAX_LENGTH = 50


@dataclass(frozen=True, slots=True)
class DraftLimits:
    """The longest text each drafted field may have where it is stored.

    The importer service fills these from the models' ``max_length`` (this module stays free
    of Django); ``None`` means unbounded. Titles and slugs are also held to the shorter
    ``TITLE_MAX_LENGTH`` and ``SLUG_MAX_LENGTH`` that read well.
    """

    title: int | None = None
    slug: int | None = None
    letter_subject: int | None = None


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    """A campaign as first proposed to the organiser; every field is plain text they can edit.

    ``letter_subject`` and ``letter_body`` are templates using only ``ALLOWED_MERGE_FIELDS``.
    """

    title: str
    slug: str
    summary: str
    petition_text: str
    letter_subject: str
    letter_body: str


_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def format_date(day: date) -> str:
    """'20 January 2022' — English month names regardless of the server's locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def format_votes(resolution: ParsedResolution) -> str | None:
    """'589 votes to 35, with 47 abstentions', or None when the figures are unknown."""
    if resolution.votes_for is None or resolution.votes_against is None:
        return None
    text = f"{_plural(resolution.votes_for, 'vote')} to {resolution.votes_against}"
    if resolution.abstentions is not None:
        text += f", with {_plural(resolution.abstentions, 'abstention')}"
    return text


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# ---------------------------------------------------------------------------------------------
# Addressees as prose
# ---------------------------------------------------------------------------------------------

_PERSON_TITLES_RE = re.compile(
    r"^(?:Prime Minister|Vice-President|President|Crown Prince|King|Queen|Emir|Sheikh|Sultan"
    r"|Foreign Minister|Minister|Chancellor|General|Supreme Leader|Ayatollah|Patriarch"
    r"|Commissioner|Mr|Mrs|Ms|Dr) [A-Z]"
)


# Addressees stored as a heading names them ("Authorities of Iran") whose role is a common
# noun in running text: "the authorities of Iran", as EU texts write it.
_COMMON_NOUN_ROLE_RE = re.compile(
    "^(?:"
    + "|".join(sorted(map(re.escape, COMMON_NOUN_ROLES), key=len, reverse=True))
    + ")(?= of )"
)


def _with_article(name: str) -> str:
    """'Government of Kazakhstan' -> 'the Government of Kazakhstan', 'Authorities of Iran' ->
    'the authorities of Iran'; people and most states keep none ('Kazakhstan', but 'the
    Netherlands')."""
    if _PERSON_TITLES_RE.match(name) and not re.match(r"^President of ", name):
        return name
    if name in COUNTRIES:
        return country_phrase(name)
    if name[:1].islower() and name.split(" ", 1)[0] in ("all", "those", "every", "each", "both"):
        return name
    role = _COMMON_NOUN_ROLE_RE.match(name)
    if role is not None:
        return f"the {role.group().lower()}{name[role.end() :]}"
    return f"the {name}"


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _written_without_article(name: str, written: str) -> bool:
    """True when the summary names ``name`` with no article before it: "Frontex", "FIFA",
    "Europol and the EPPO", "the African Union and IGAD" ("the Frontex" would be wrong)."""
    found = re.search(r"(?:^|(?<=[ ,;(]))" + re.escape(name) + r"(?![\w-])", written)
    if found is None:
        return False
    before = written[: found.start()].split()
    return not before or before[-1].lower() not in _DETERMINERS


def _addressee_prose(call: ParsedCall) -> str:
    """Who is asked, as a phrase: 'the Government of Kazakhstan', or '' when nobody is named."""
    if call.addressees:
        return _join(
            [
                name
                if _written_without_article(name, call.addressee_as_written)
                else _with_article(name)
                for name in call.addressees
            ]
        )
    if call.has_explicit_addressee and call.addressee_as_written:
        return call.addressee_as_written
    return ""


def _asked_to(addressee: str, action: str) -> str:
    """'the Council to release …'; 'not to lift …' keeps its own "to"; 'as a first step,
    ensure …' -> 'the Council, as a first step, to ensure …'."""
    circumstance, act = _split_circumstance(action)
    if circumstance:
        addressee = f"{addressee}, {circumstance.rstrip()}"
    return f"{addressee} {act}" if act.lower().startswith("not to ") else f"{addressee} to {act}"


def _split_circumstance(action: str) -> tuple[str, str]:
    """('as a first step, ', 'ensure …') from 'as a first step, ensure …'; ('', action) when
    the action opens with its verb."""
    circumstance = _LEADING_CIRCUMSTANCE_RE.match(action)
    if circumstance is None:
        return "", action
    return circumstance.group(), action[circumstance.end() :]


# ---------------------------------------------------------------------------------------------
# Title
# ---------------------------------------------------------------------------------------------

_NOT_ADVERBS = frozenset(
    {"apply", "supply", "comply", "rely", "reply", "multiply", "ally", "rally", "fly", "tally",
     "family", "italy", "july", "early", "only", "holy", "assembly", "jointly", "monopoly",
     "anomaly", "bully", "folly", "jelly", "lily", "belly", "homily", "oligopoly"}
)  # fmt: skip
_LEADING_PHRASES_RE = re.compile(
    r"^(?:to|also|further|without delay|as a matter of (?:urgency|priority)|as soon as possible"
    r"|at last|once and for all|in particular)\b,? ?",
    re.IGNORECASE,
)
# Asides that only add urgency: "present, without delay, a proposal" -> "present a proposal".
_ASIDES_RE = re.compile(
    r",? (?:without (?:further )?delay|as a matter of (?:urgency|priority)|as soon as possible"
    r"|once and for all|inter alia|in particular|where appropriate|if necessary),(?= )",
    re.IGNORECASE,
)
_CLAUSE_MARKERS = (
    ", ", "; ", ": ", " until ", " unless ", " in order to ", " so as to ", " so that ",
    " in line with ", " in accordance with ", " on the basis of ", " with a view to ",
    " as well as ", " including ", " in particular ", " notably ", " and to ", " while ",
    " whereas ", " without delay", " as soon as possible", " by means of ", " pending ",
    " and for ", " if ", " \u2014 ", " \u2013 ",
)  # fmt: skip
# After these verbs "if" means "whether" and starts their object ("assess if the law
# complies"); elsewhere it starts a condition ("suspend the agreement if no progress is made").
_VERBS_TAKING_IF = frozenset(
    {"assess", "determine", "check", "verify", "examine", "ascertain", "see", "evaluate",
     "establish", "investigate", "ask", "know", "consider", "review", "decide"}
)  # fmt: skip
# A comma inside a list of single words ("adequate, sustainable and predictable funding",
# "detained Christians, Muslims and Jehovah's Witnesses") does not end the clause.
_LIST_ITEM = r"[\w'-]{1,40}(?: [A-Z][\w'-]{0,40}){0,3}"  # a word, or a name of a few words
_WORD_LIST_AFTER_COMMA_RE = re.compile(_LIST_ITEM + r"(?:, " + _LIST_ITEM + r"){0,8},? (?:and|or) ")
# "assess, in its annual report and where necessary, whether …": an aside between the verb and
# its object, dropped so the title is not cut after the verb's first word.
# A short aside without commas, whatever follows: "propose, by the end of 2024, binding rules".
_SHORT_ASIDE_AFTER_VERB_RE = re.compile(r"^([a-z][\w-]*), [^;,]{1,60}, (?=[a-z])")
_ASIDE_AFTER_VERB_RE = re.compile(
    r"^([a-z][\w-]*), [^;]{0,300}?, (?=(?:whether|that|how|if|the|a|an|its|their|all|any)\b)"
)
# A parenthesis explains ("(e.g. common standards, oversight)", "(the human rights clause)");
# a title is shorter without it and must never be cut inside one. Only one set off by a space:
# "Article 46(4)" and "Article 7(1) TEU" are references, and "Article 46" would be another.
# An aside in brackets, not letters in them ("to (re)open": a word goes on after it).
_PARENTHESIS_RE = re.compile(r" \([^()]{0,200}\)(?!\w)")
# Parentheses inside one ("(Regulation (EU, Euratom) 2020/2092)") go first, then the outer.
_PARENTHESIS_DEPTH = 3


def _without_parentheses(text: str) -> str:
    for _ in range(_PARENTHESIS_DEPTH):
        shorter = _PARENTHESIS_RE.sub("", text)
        if shorter == text:
            break
        text = shorter
    return text


# Leads that say only "act" ("do everything possible to ensure that …"): the title is what
# they lead to.
_EMPTY_LEAD_RE = re.compile(
    r"^(?:do (?:everything|all|its utmost|their utmost|whatever is necessary)"
    r"(?: (?:possible|necessary|in (?:its|their) power))?"
    r"|take (?:all )?(?:the )?(?:necessary|appropriate|urgent|concrete|decisive|all necessary)"
    r" (?:steps|measures|action|actions)"
    r"|make (?:every|all) (?:possible )?efforts?|spare no effort) to (?=[a-z])",
    re.IGNORECASE,
)
# The word after "and" in a second verb phrase is a verb taking an object: "and put an end",
# "and stop its attacks", "and ensure that", "and refrain from"; or "and" starts a second
# object ("Nicolás Maduro and his inner circle"). Elsewhere ("serious and persistent
# breaches", "free and fair elections") "and" joins words, and cutting there breaks a phrase.
_OBJECT_STARTS = frozenset(
    {"the", "a", "an", "all", "its", "their", "his", "her", "any", "every", "each", "both",
     "such", "our", "those", "these", "this", "that", "them", "it", "him", "up", "out", "off",
     "down", "back", "away", "from", "to", "on", "in", "for", "with", "into", "against"}
)  # fmt: skip
# A participle that means nothing without its agent ("the opposition led | by …", "media
# owned | by …") is no place to end a title; "the crimes committed" reads whole.
_AGENT_PARTICIPLES = frozenset(
    {"led", "headed", "chaired", "run", "owned", "controlled", "backed", "funded", "financed",
     "sponsored", "supported", "founded", "commanded", "ordered", "orchestrated", "organised",
     "organized", "initiated", "instigated", "directed", "represented"}
)  # fmt: skip
_PREPOSITIONS = frozenset(
    {"on", "of", "for", "against", "under", "with", "in", "by", "from", "at", "into", "between",
     "until", "without", "within", "through", "towards", "to", "over", "about", "among", "during",
     "as"}
)  # fmt: skip
# Nouns that take "to" ("an end to trials", "access to lawyers"): that "to" is not a purpose.
_NOUNS_BEFORE_TO = frozenset(
    {"end", "access", "support", "assistance", "return", "right", "rights", "visit", "visits",
     "contribution", "commitment", "threat", "threats", "respect", "attention", "aid", "help",
     "transfer", "transfers", "exports", "sales", "harm", "damage", "response", "solution",
     "way", "path", "road", "alternative", "exception", "amendments", "changes", "reference"}
)  # fmt: skip
# Fixed expressions a title must not be cut inside ("the annual rule | of law dialogue").
_FIXED_EXPRESSIONS_RE = re.compile(
    r"\b(?:rule of law|freedom of (?:expression|assembly|association|religion|movement"
    r"|the press|the media|speech|thought)|state of emergency|deprivation of liberty"
    r"|prisoners? of conscience|right to (?:life|asylum|protest|vote|a fair trial)"
    r"|human rights defenders?)\b",
    re.IGNORECASE,
)
_GLUE = "\u00a0"
# "the immediate and unconditional release" -> "the release": the demand, not its urgency.
_URGENCY_ADJECTIVES_RE = re.compile(
    r"\bthe (?:(?:immediate|unconditional|urgent|swift|prompt|full|speedy)(?:,? and |, | ))+",
    re.IGNORECASE,
)
_TRAILING_STOPWORDS = _PREPOSITIONS | frozenset(
    {"and", "or", "the", "a", "an", "its", "their", "his", "her", "that", "which", "who", "all",
     "any", "as", "not", "this", "these", "those", "such", "both", "if", "unless", "whether",
     "when", "where", "while", "because", "since", "so", "than", "nor", "but",
     # the first word of "ahead of", "prior to", "instead of": nothing without the second
     "ahead", "prior", "instead", "regardless", "irrespective",
     # and of "relating to", "according to", "pursuant to", "owing to", "due to"
     "relating", "related", "according", "pursuant", "owing", "due", "regarding",
     "concerning"}
)  # fmt: skip
_DETERMINERS = frozenset(
    {"the", "a", "an", "all", "its", "their", "his", "her", "this", "these", "those", "that",
     "any", "every", "each", "both", "such", "our", "other"}
)  # fmt: skip


# A circumstance before the verb: "as a first step, ensure …", "by 31 December 2023, present
# …", "in the meantime, refrain …". The title is the act that follows.
_LEADING_CIRCUMSTANCE_RE = re.compile(
    r"^(?:as|in|at|by|within|until|pending|after|before|without|on|from|for)\b[^,;]{1,60}, "
    r"(?=[a-z])",
    re.IGNORECASE,
)
# An example set off by two commas inside the demand: "ensure that all those involved,
# including the masterminds, are brought to justice". Dropped, so the title keeps the verb
# that follows ("… are brought to justice") instead of ending at the first comma.
_INNER_EXAMPLE_RE = re.compile(
    r", (?:including|in particular|notably|especially|such as|among them) [^,;()]{1,100}, "
    r"(?=(?:are|is|were|was|be|been|have|has|remain|receive|can|must|should|will|and to|to)\b)",
    re.IGNORECASE,
)


def _drop_leading_adverbs(text: str) -> str:
    """'immediately and unconditionally release …' -> 'release …'."""
    while True:
        stripped = _LEADING_PHRASES_RE.sub("", text)
        first, _, rest = stripped.partition(" ")
        word = first.lower().rstrip(",")
        if rest and len(word) > 4 and word.endswith("ly") and word not in _NOT_ADVERBS:
            stripped = re.sub(r"^(?:and|or|but),? ", "", rest)
        if stripped == text:
            return text
        text = stripped


def _one_verb(text: str) -> str:
    """'release and fully rehabilitate all political prisoners' -> 'release all political
    prisoners': a campaign title names one act."""
    match = re.match(r"^([a-z][\w-]*) and (?:[a-z]+ly )?([a-z][\w-]*) (.+)$", text)
    if match is None or match.group(2) in _DETERMINERS or match.group(1) in _DETERMINERS:
        return text
    return f"{match.group(1)} {match.group(3)}"


def _words(text: str) -> list[str]:
    return text.split(" ")


def _strip_trailing_stopwords(text: str) -> str:
    words = _words(text.rstrip(" ,;:."))
    while len(words) > 1 and words[-1].lower().strip(",;:") in _TRAILING_STOPWORDS:
        if words[-1].lower() == "ahead" and words[-2].lower() in _VERBS_BEFORE_AHEAD:
            break  # "should the amendments go ahead": a particle, not "ahead of" cut short
        words.pop()
    return " ".join(words).rstrip(" ,;:.")


_VERBS_BEFORE_AHEAD = frozenset(
    {"go", "goes", "went", "gone", "going", "press", "push", "move", "moves", "forge", "plan"}
)


def _cut_at_first_clause(text: str) -> str:
    """Keep the main clause: cut at the first comma, "until", "in line with", … ."""
    cut = len(text)
    for marker in _CLAUSE_MARKERS:
        position = text.find(marker)
        while position != -1 and (
            len(_words(text[:position])) < 2
            or (marker == ", " and _WORD_LIST_AFTER_COMMA_RE.match(text, position + 2))
            or (marker == " if " and _words(text[:position])[-1].lower() in _VERBS_TAKING_IF)
        ):
            position = text.find(marker, position + 1)
        if position != -1:
            cut = min(cut, position)
    return text[:cut]


def _cut_at_purpose(text: str) -> str:
    """'revise the law X to guarantee Y' -> 'revise the law X' (the purpose is not the act)."""
    for match in re.finditer(r" to ([a-z][\w-]*)", text):
        before = _words(text[: match.start()])
        if (
            len(before) >= 3
            and match.group(1) not in _DETERMINERS
            and before[-1].lower() not in _NOUNS_BEFORE_TO
        ):
            return text[: match.start()]
    return text


def _cut_at_and(text: str) -> str:
    """'drop charges and put an end to …' -> 'drop charges', but not 'the immediate and …'."""
    for match in re.finditer(r" and ", text):
        before = _words(text[: match.start()])
        after = _words(text[match.end() :])
        second_object = bool(after) and after[0].lower() in _DETERMINERS
        second_verb = len(after) >= 2 and after[1].lower() in _OBJECT_STARTS
        # "the will of the people and ensure a …": a verb and its object follow, so "the"
        # two words back ends a noun phrase rather than opening "the immediate and …".
        verb_after_noun = second_verb and not second_object
        if (
            len(before) >= 3
            and (before[-2].lower() not in _DETERMINERS or verb_after_noun)
            and len(after) >= 2
            and (second_verb or (second_object and not _destination_follows(after)))
        ):
            return text[: match.start()]
    return text


# Where a verb's two objects go: "add Ilan Shor and his associates to the sanctions list".
_DESTINATIONS = frozenset({"to", "into", "onto", "on", "from", "under"})
_SECOND_OBJECT_WORDS = 4


def _destination_follows(after: list[str]) -> bool:
    """True when the second object after "and" is followed closely by where both go ("add X
    and his associates | to the list"): cutting at "and" would leave "add X" incomplete."""
    return any(word.lower() in _DESTINATIONS for word in after[1 : _SECOND_OBJECT_WORDS + 1])


def _first_named_item(text: str, limit: int) -> str:
    """``text`` up to its first comma when that ends a name ("… of Hoang Thi Minh Hong, …")
    and the rest fits ``limit``; else ``text`` unchanged."""
    comma = text.find(", ")
    if comma == -1 or comma > limit:
        return text
    head = text[:comma]
    words = _words(head)
    if len(words) >= 3 and words[-1][:1].isupper():
        return head
    return text


def _cut_to_length(text: str, limit: int, *, any_word: bool = True) -> str:
    """Longest prefix within ``limit`` ending before a preposition, else at a word boundary
    (else, without ``any_word``, "")."""
    words = _words(text)
    best_before_preposition = ""
    best_any = words[0][:limit]
    for count in range(1, len(words)):
        prefix = " ".join(words[:count])
        if len(prefix) > limit:
            break
        best_any = prefix
        if count < 3 or words[count].lower() not in _PREPOSITIONS:
            continue
        if _inside_a_name(words, count):
            continue
        if words[count].lower() == "by" and _is_participle(words[count - 1]):
            # "the opposition led by X": end before "led", or not here at all.
            if count >= 4:
                best_before_preposition = " ".join(words[: count - 1])
            continue
        best_before_preposition = prefix
    return best_before_preposition or (best_any if any_word else "")


def _inside_a_name(words: list[str], at: int) -> bool:
    """True when the preposition ``words[at]`` joins capitalised words of one name ("the
    People's Republic | of China", "the Bank | for Reconstruction")."""
    return (
        at + 1 < len(words)
        and words[at - 1][:1].isupper()
        and words[at + 1][:1].isupper()
        and words[at].islower()
    )


def _is_participle(word: str) -> bool:
    return word.lower() in _AGENT_PARTICIPLES


def _shorten(text: str, limit: int, *, verb_phrase: bool, word_cut: bool = True) -> str:
    """Keep the main clause, then cut at the purpose "to", at "and", at a preposition, at a word.

    The "to"/"and" cuts only make sense for a verb phrase ("revise the law … to guarantee …");
    in a noun phrase ("an end to trials", "the immediate and unconditional release") they would
    cut the demand in half.
    """
    text = _FIXED_EXPRESSIONS_RE.sub(lambda m: m.group(0).replace(" ", _GLUE), text)
    text = _strip_trailing_stopwords(_cut_at_first_clause(text))
    cuts = (_cut_at_purpose, _cut_at_and) if verb_phrase else ()
    for cut in cuts:
        if len(text) <= limit:
            break
        text = _strip_trailing_stopwords(cut(text))
    if len(text) > limit:
        # "the release of Hoang Thi Minh Hong, Dang Dinh Bach and all other …": the first
        # name of a list is a whole demand, where a cut before "of" would leave "the release".
        text = _first_named_item(text, limit)
    if len(text) > limit:  # without `word_cut`, only before a preposition, else left long
        prefix = _cut_to_length(text, limit, any_word=word_cut)
        text = _strip_trailing_stopwords(prefix) if prefix else text
    return _strip_trailing_adverbs(text).replace(_GLUE, " ")


def _is_adverb(word: str) -> bool:
    word = word.rstrip(",")
    return len(word) > 4 and word.endswith("ly") and word.islower() and word not in _NOT_ADVERBS


def _strip_trailing_adverbs(text: str) -> str:
    """'release X immediately and unconditionally' -> 'release X': a cut clause may leave its
    manner behind, which only adds urgency."""
    words = _words(text)
    while len(words) > 3 and (
        _is_adverb(words[-1]) or (words[-1] in ("and", "or") and _is_adverb(words[-2]))
    ):
        words.pop()
    return " ".join(words)


def _capitalise(text: str) -> str:
    """The first letter in upper case, past an opening quote or bracket ('"Recognise" …')."""
    lead = len(text) - len(text.lstrip("\"'("))
    return text[:lead] + text[lead : lead + 1].upper() + text[lead + 1 :]


_FALLBACK_TITLE = "Act on the European Parliament's resolution"

# A resolution on one person's case ("the case of Ahmadreza Djalali in Iran", "the death of
# Jina Mahsa Amini", "the detention of Dr Ahmad Shah"): the person its "his", "him" and "her"
# mean. A name is two to five capitalised words (name particles allowed inside); "… of X and
# Y" is two people, and then nobody is chosen.
_NAME_WORD = r"[A-Z][\w'’-]*"
_CASE_OF_PERSON_RE = re.compile(
    r"\b(?:case|detention|arrest|imprisonment|trial|sentencing|death|killing|execution"
    r"|persecution|disappearance|abduction|conviction|harassment) of (?:the )?"
    r"(?:(?:Dr|Mr|Mrs|Ms|Professor|Pastor|Father|Bishop|Imam|Sheikh)\.? )?"
    r"(?P<name>"
    + _NAME_WORD
    + r"(?: (?:al|bin|ibn|von|van|de|der|da|del|la|el|"
    + _NAME_WORD
    + r")){1,4})(?P<more> and [A-Z])?"
)
# "the detention of European Union citizens", "the case of the Workers Party": bodies and
# places, not a person.
_NOT_A_PERSON_RE = re.compile(
    r"\b(?:Union|Republic|Kingdom|States|Council|Commission|Parliament|Court|Party|Movement"
    r"|Front|Group|Church|Army|Forces|Government|Ministry|Agency|Organisation|Organization"
    r"|Foundation|Association|University|Centre|Center|Institute|Committee|Network|Media"
    r"|News|Times|Radio|Television|Citizens|People|Sea|Strait|Region|Province|City)\b"
)
# "release her", "grant her access": "her" as the object of these verbs; elsewhere ("her
# conviction", "quash her sentence") it is possessive.
_VERBS_TAKING_A_PERSON = frozenset(
    {
        "release", "free", "grant", "allow", "let", "give", "permit", "acquit", "pardon",
        "exonerate", "rehabilitate", "protect", "return", "reunite", "drop", "spare", "see",
        "visit", "support", "help", "assist", "provide", "offer", "treat", "charge", "try",
    }
)  # fmt: skip
_PRONOUN_RE = re.compile(r"\b(?:(?P<his>his)|(?P<him>him)|(?P<her>her))\b", re.IGNORECASE)


def _case_person(resolution: ParsedResolution) -> str | None:
    """The one person a resolution on an individual case is about, or None."""
    for text in (resolution.subject, resolution.title):
        found = _CASE_OF_PERSON_RE.search(text or "")
        if found is not None:
            name = found.group("name")
            if (
                found.group("more")
                or find_country(name) is not None
                or _NOT_A_PERSON_RE.search(name) is not None
            ):
                return None
            return name
    return None


# "its", "their", and a person's "his" or "her": in a title they can only mean the one asked.
_POSSESSIVE_RE = re.compile(r"\b(?:(?P<its>its)|(?P<their>their)|(?P<his>his|her))\b")
_PLURAL_HEADS_RE = re.compile(r"s$|\b(?:police|people)$")
# The pronoun must follow the verb closely ("withdraw its troops", "step up their efforts"):
# further on it may mean something named since ("support Ukraine and its people").
_POSSESSIVE_MAX_WORDS_BEFORE = 2


def _possessives_named(title: str, call: ParsedCall) -> str:
    """ "Withdraw its troops" → "Withdraw Russia's troops", "review their arms exports" →
    "review the Member States' arms exports", "withdraw his decree" (asked of President
    Raisi) → "withdraw President Raisi's decree": a title stands without the addressee that
    the summary named before the verb. Only for one addressee, named without "of" ("the
    authorities of Iran's" would not read), only the pronoun that fits it, and only right
    after the verb."""
    if len(call.addressees) != 1:
        return title
    name = call.addressees[0]
    written = _LEADING_ARTICLE_RE.sub("the ", call.addressee_as_written.strip())
    candidates = [_addressee_prose(call), written]
    phrase = next((c for c in candidates if c and " of " not in c and len(c.split()) <= 6), "")
    if not phrase or phrase.lower() in _SUBJECT_PRONOUNS:
        return title
    person = _PERSON_TITLES_RE.match(name) is not None
    plural = not person and name not in COUNTRIES and _PLURAL_HEADS_RE.search(phrase) is not None
    possessive = f"{phrase}'" if plural and phrase.endswith("s") else f"{phrase}'s"

    def named(match: re.Match[str]) -> str:
        if len(title[: match.start()].split()) > _POSSESSIVE_MAX_WORDS_BEFORE:
            return match.group()
        fits = (
            (match.group("its") and not person and not plural)
            or (match.group("their") and plural)
            or (match.group("his") and person)
        )
        return possessive if fits else match.group()

    return _POSSESSIVE_RE.sub(named, title)


_LEADING_ARTICLE_RE = re.compile(r"^the ", re.IGNORECASE)
_SUBJECT_PRONOUNS = frozenset({"he", "she", "it", "they", "him", "her", "them"})


def _pronouns_named(title: str, person: str) -> str:
    """ "Halt his execution" → "Halt Ahmadreza Djalali's execution", "grant him access" →
    "grant Ahmadreza Djalali access": a campaign title stands alone, without the sentence
    before it that named the person."""

    def named(match: re.Match[str]) -> str:
        if match.group("his"):
            return f"{person}'s"
        if match.group("him"):
            return person
        before = title[: match.start()].split()
        if before and before[-1].lower() in _VERBS_TAKING_A_PERSON:
            return person
        return f"{person}'s"

    return _PRONOUN_RE.sub(named, title)


def _title(*, resolution: ParsedResolution, call: ParsedCall, limit: int) -> str:
    # A title needs the first few words only; the bound keeps every step below cheap.
    action = " ".join(_without_parentheses(call.action[:_TITLE_SOURCE_CHARS]).split())
    negated = action.lower().startswith("not to ")
    if negated:
        action = action[len("not to ") :]
    action = _drop_leading_adverbs(_ASIDES_RE.sub("", _INNER_EXAMPLE_RE.sub(" ", action)))
    if call.has_explicit_addressee:
        action = _LEADING_CIRCUMSTANCE_RE.sub("", action)
        action = _ASIDE_AFTER_VERB_RE.sub(r"\1 ", _EMPTY_LEAD_RE.sub("", action))
        action = _SHORT_ASIDE_AFTER_VERB_RE.sub(r"\1 ", action)
        action = _one_verb(action)
        full = f"Do not {action}" if negated else _capitalise(action)
    elif action.lower().startswith("that "):
        full = f"Demand {action}"
    else:
        full = f"Demand {_URGENCY_ADJECTIVES_RE.sub('the ', action)}"
    full = full.strip() or _FALLBACK_TITLE
    person = _case_person(resolution)
    # Unless the call is on one person, whose "his" is most likely their own ("urged President
    # Tokayev to withdraw his order").
    if person is not None and not any(_PERSON_TITLES_RE.match(a) for a in call.addressees):
        named = _pronouns_named(full, person)
    elif call.has_explicit_addressee:
        named = _possessives_named(full, call)
    else:
        named = full
    # A name in place of "its" is worth no cut: "Make its loan conditional on respect for
    # human rights" says more than "Make the International Monetary Fund's loan conditional on
    # respect", cut to fit.
    if len(named) <= limit or len(full) > limit:
        full = named
    # "Demand that X respect Y and ensure Z" holds a verb phrase too, cut like one.
    verb_phrase = call.has_explicit_addressee or action.lower().startswith("that ")

    # An action of punctuation only (": ;") shortens to nothing: a title is never empty.
    title = _shorten(full, limit, verb_phrase=verb_phrase) or _FALLBACK_TITLE[:limit]
    country = resolution.country
    if (
        country is not None
        and not _names_another_place(call, title, country)
        and not mentions_country(title, country)
    ):
        # Supporters browse campaigns from many resolutions: say where, even at some detail,
        # but never by cutting a phrase in half ("… before the next in Serbia").
        suffix = f" in {country_phrase(country)}"
        room = limit - len(suffix)
        shortened = _shorten(full, room, verb_phrase=verb_phrase, word_cut=False)
        # Cut further than the title, a "that"/"whether" clause may lose its verb ("ensure
        # that the elections | of 26 October are free"): then the title goes without "in X".
        cut_a_clause = shortened != title and _SUBORDINATE_RE.search(shortened) is not None
        if (
            shortened
            and len(shortened) <= room
            and not cut_a_clause
            and not _cut_loses_the_point(shortened, title)
            and not _cut_a_place(shortened, full)
        ):
            title = shortened + suffix
    return _capitalise(title)


# What a cut made only to fit " in <country>" must not take away: the object of a noun
# ("sustainability | of the public broadcaster", "conditional on respect | for human rights"),
# a place of its own ("applied in full | in every Member State"), what a participle says
# ("the travel ban imposed | on his family"), or one word ("should the amendments go | ahead").
_NOUN_COMPLEMENT_OR_PLACE_RE = re.compile(
    r"^(?:of|for|across|throughout|within|among"
    r"|in (?:every|each|all|both|any|the|its|their|his|her|this|that|these|those))\b",
    re.IGNORECASE,
)


def _cut_loses_the_point(shortened: str, title: str) -> bool:
    """True when `shortened` (cut further than `title` to make room for " in <country>") lost
    what the title needs; a cut at a clause (a purpose, a second verb) is fine."""
    if shortened == title or not title.startswith(shortened):
        return False
    removed = title[len(shortened) :].split()
    last = shortened.split()[-1] if shortened.split() else ""
    return (
        len(removed) < 2
        or _NOUN_COMPLEMENT_OR_PLACE_RE.match(" ".join(removed[:2])) is not None
        or (last.endswith("ed") and last.islower() and len(last) > 4)
    )


def _cut_a_place(shortened: str, full: str) -> bool:
    """True when what the cuts took from `full` starts with a place of its own ("applied in
    full | in every Member State"): " in <country>" would then say another place."""
    if not full.startswith(shortened):
        return False
    removed = full[len(shortened) :].split()
    return bool(removed) and _PLACE_PHRASE_RE.match(" ".join(removed[:2])) is not None


_PLACE_PHRASE_RE = re.compile(
    r"^(?:across|throughout|within|in (?:every|each|all|both|any|the|its|their|this|these))\b",
    re.IGNORECASE,
)
_SUBORDINATE_RE = re.compile(r"\b(?:that|whether|which|who|where|when|if)\b", re.IGNORECASE)
# "… in Tigray", "… in the Gaza Strip": the title already says where. A language is no place
# ("broadcast in Persian", "in English", "in Arabic"), so words ending like one do not count.
_IN_A_PLACE_RE = re.compile(r"\bin (?:the )?[A-Z](?![\w-]*(?:ian|ish|ese|ic|ean|i)\b)")


def _names_another_place(call: ParsedCall, title: str, country: str) -> bool:
    """True when " in <country>" would mislead: an addressee is another state ("the Government
    of Sweden", "Azerbaijan and Armenia"), or the title names a place of its own ("withdraw
    its troops from Ethiopia", "monitor the situation in Tigray")."""
    places = [find_country(name) for name in call.addressees]
    if any(place not in (None, country) for place in places):
        return True
    return find_country(title) not in (None, country) or _IN_A_PLACE_RE.search(title) is not None


# Letters NFKD does not decompose into an ASCII base letter.
_TRANSLITERATION = str.maketrans(
    {"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "ß": "ss", "Æ": "AE", "æ": "ae",
     "Œ": "OE", "œ": "oe", "Þ": "Th", "þ": "th", "ı": "i", "Ħ": "H", "ħ": "h"}
)  # fmt: skip


def _slug(title: str, limit: int) -> str:
    decomposed = unicodedata.normalize("NFKD", title.translate(_TRANSLITERATION))
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        cut = slug[: limit + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:limit]
        slug = slug[:limit].strip("-")
    return slug or "campaign"


# ---------------------------------------------------------------------------------------------
# Texts
# ---------------------------------------------------------------------------------------------


def _resolution_phrase(resolution: ParsedResolution) -> str:
    """'its resolution on the situation in Kazakhstan (2022/2505(RSP)) of 20 January 2022'."""
    phrase = "its resolution"
    if resolution.subject:
        phrase += f" on {resolution.subject}"
    elif resolution.title:
        phrase += f' "{resolution.title}"'
    if resolution.procedure_reference:
        phrase += f" ({resolution.procedure_reference})"
    if resolution.adopted_on is not None:
        phrase += f" of {format_date(resolution.adopted_on)}"
    return phrase


def _what_parliament_asked(call: ParsedCall, *, quoted: bool) -> str:
    """'called on the Government of Kazakhstan to "release …"' (the action verbatim)."""
    action = call.action.rstrip(" .;")
    addressee = _addressee_prose(call)
    if addressee:
        if quoted:
            circumstance, act = _split_circumstance(action)
            if circumstance:  # 'called on X, as a first step, to "ensure …"'
                addressee = f"{addressee}, {circumstance.rstrip(' ')}"
            if act.lower().startswith("not to "):
                return f'called on {addressee} "{act}"'
            return f'called on {addressee} to "{act}"'
        return f"called on {_asked_to(addressee, action)}"
    verb = "demanded" if action.lower().startswith("that ") else "called for"
    return f'{verb} "{action}"' if quoted else f"{verb} {action}"


def _summary(*, resolution: ParsedResolution, call: ParsedCall) -> str:
    first = (
        f"In {_resolution_phrase(resolution)}, the European Parliament "
        f"{_what_parliament_asked(call, quoted=False)}."
    )
    addressee = _addressee_prose(call)
    if addressee:
        second = f"This campaign asks {addressee} to act on that call."
    else:
        second = "This campaign asks those with the power to act to make it happen."
    return _capitalise(f"{first} {second}")


def _petition_text(*, resolution: ParsedResolution, call: ParsedCall) -> str:
    addressee = _addressee_prose(call)
    action = call.action.rstrip(" .;")
    if addressee:
        opening = f"We, the undersigned, call on {_asked_to(addressee, action)}."
    elif action.lower().startswith("that "):
        opening = f"We, the undersigned, join the European Parliament in demanding {action}."
    else:
        opening = f"We, the undersigned, join the European Parliament in calling for {action}."

    citation = "The European Parliament"
    if resolution.title:
        citation += f' made this call in its "{resolution.title}"'
    else:
        citation += " made this call in a resolution"
    if resolution.procedure_reference:
        citation += f" ({resolution.procedure_reference})"
    adopted = []
    if resolution.adopted_on is not None:
        adopted.append(f"on {format_date(resolution.adopted_on)}")
    votes = format_votes(resolution)
    if votes is not None:
        adopted.append(f"by {votes}")
    if adopted:
        citation += f", adopted {' '.join(adopted)}"
    citation += f". Parliament {_what_parliament_asked(call, quoted=True)}."
    return f"{opening}\n\n{citation}"


# A pasted summary must not smuggle template syntax into the letter: "{{", "{%", "{#" and their
# closers are broken up so Django's lexer sees plain text (and the organiser sees it too).
_TEMPLATE_OPENER_RE = re.compile(r"\{(?=[{%#])")
_TEMPLATE_CLOSER_RE = re.compile(r"(?<=[}%#])\}")


def _template_safe(text: str) -> str:
    return _TEMPLATE_CLOSER_RE.sub(" }", _TEMPLATE_OPENER_RE.sub("{ ", text))


_SUBJECT_WITHOUT_ADDRESSEE = "Please act: {{ campaign.title }}"


def _press_subject(addressee: str) -> str:
    return f"Please press {addressee} to act: {{{{ campaign.title }}}}"


def _letter_subject(call: ParsedCall, limit: int | None) -> str:
    """Name whom to press, shortened to fit ``limit``: all the addressees, else the first
    ones "and others", else the first one cut at a word, else nobody."""
    addressee = _addressee_prose(call)
    if not addressee:
        return _SUBJECT_WITHOUT_ADDRESSEE
    safe = _template_safe(addressee)
    if limit is None or len(_press_subject(safe)) <= limit:
        return _press_subject(safe)
    names = [_template_safe(_with_article(name)) for name in call.addressees]
    for count in range(len(names) - 1, 0, -1):
        subject = _press_subject(f"{', '.join(names[:count])} and others")
        if len(subject) <= limit:
            return subject
    first = names[0] if names else safe
    others = " and others" if len(names) > 1 else ""
    # One addressee longer than the whole column: keep its first words.
    room = limit - len(_press_subject(f"\u2026{others}"))
    cut = _strip_trailing_stopwords(_cut_to_length(first, room)) if room > 0 else ""
    if cut and cut.lower() not in _TRAILING_STOPWORDS:
        return _press_subject(f"{cut}\u2026{others}")
    return _SUBJECT_WITHOUT_ADDRESSEE


def _letter_body(*, call: ParsedCall, dated: bool) -> str:
    addressee = _template_safe(_addressee_prose(call))
    asked = _template_safe(_what_parliament_asked(call, quoted=False))
    if addressee:
        press = f"to press {addressee} to act on it"
        follow_up = f"raise it with {addressee} and ask what has been done"
    else:
        press = "to use your position to see that it is acted on"
        follow_up = "raise it with the Commission, the Council and the governments concerned"
    vote_paragraph = (
        '{% if mep.vote == "for" %}'
        f"Thank you for voting for this resolution. I ask you to keep up the pressure: please "
        f"{follow_up}, so that Parliament's call is not left on paper."
        '{% elif mep.vote == "against" %}'
        f"You voted against this resolution. I ask you to reconsider and to act now: its call "
        f"deserves your support, and I ask you {press}."
        '{% elif mep.vote == "abstention" %}'
        f"You abstained in the vote on this resolution. I ask you to act now and {press}."
        "{% else %}"
        f"As my representative in the European Parliament, I ask you {press}."
        "{% endif %}"
    )
    # No opening line ("I am writing to you as …") and no thanks of its own: each letter gets
    # one of several of each, with the supporter's town or country, when it is composed
    # (advocacy.letters._compose), so that an MEP's inbox does not hold one text many times.
    return (
        "{{ mep.salutation }},\n\n"
        'In its "{{ resolution.title }}" ({{ resolution.reference }})'
        + (", adopted on {{ resolution.date }}," if dated else ",")
        + " the European Parliament "
        f"{asked}.\n\n"
        f"{vote_paragraph}\n\n"
        "Yours sincerely,\n\n"
        "{{ supporter.full_name }}\n"
        # Without a town this renders ", Italy"; composing drops the comma.
        "{{ supporter.city }}, {{ supporter.country }}\n"
    )


def _within(preferred: int, limit: int | None) -> int:
    return preferred if limit is None else min(preferred, limit)


def draft_campaign(
    *, resolution: ParsedResolution, call: ParsedCall, limits: DraftLimits | None = None
) -> CampaignDraft:
    """Propose a campaign for one call of a parsed resolution. Pure and deterministic.

    Every field fits ``limits`` (the columns it will be stored in)."""
    limits = limits or DraftLimits()
    title = _title(resolution=resolution, call=call, limit=_within(TITLE_MAX_LENGTH, limits.title))
    return CampaignDraft(
        title=title,
        slug=_slug(title, _within(SLUG_MAX_LENGTH, limits.slug)),
        summary=_summary(resolution=resolution, call=call),
        petition_text=_petition_text(resolution=resolution, call=call),
        letter_subject=_letter_subject(call, limits.letter_subject),
        letter_body=_letter_body(call=call, dated=resolution.adopted_on is not None),
    )


# ---------------------------------------------------------------------------------------------
# Template checking (for drafts and for the organiser's edits)
# ---------------------------------------------------------------------------------------------

# Django's own lexer pattern: tags never span lines.
_TEMPLATE_TOKEN_RE = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}")
_VOTE_CONDITION_RE = re.compile(r'^(?P<keyword>if|elif) mep\.vote == "(?P<value>[a-z_]+)"$')


def letter_template_problems(template: str) -> list[str]:
    """List what makes ``template`` unacceptable as a letter template ([] when it is fine).

    Allowed: ``{{ name }}`` for names in ``ALLOWED_MERGE_FIELDS`` (no filters), and
    ``{% if mep.vote == "…" %}`` / ``{% elif … %}`` / ``{% else %}`` / ``{% endif %}`` with values
    from ``VOTE_VALUES``, properly nested. Anything else (filters, other tags, comments) is
    refused, because organisers edit these templates and the engine must never run more.
    """
    problems: list[str] = []
    depth = 0
    for token in _TEMPLATE_TOKEN_RE.finditer(template):
        raw = token.group(0)
        inner = raw[2:-2].strip()
        if raw.startswith("{{"):
            if inner not in ALLOWED_MERGE_FIELDS:
                problems.append(f"unknown merge field {raw}")
        elif raw.startswith("{#"):
            problems.append(f"comments are not allowed: {raw}")
        else:
            condition = _VOTE_CONDITION_RE.match(inner)
            if condition is not None:
                if condition.group("value") not in VOTE_VALUES:
                    problems.append(f"unknown vote value in {raw}")
                if condition.group("keyword") == "if":
                    depth += 1
                elif depth == 0:
                    problems.append(f"{raw} outside an if block")
            elif inner == "else":
                if depth == 0:
                    problems.append(f"{raw} outside an if block")
            elif inner == "endif":
                if depth == 0:
                    problems.append(f"{raw} without a matching if")
                else:
                    depth -= 1
            else:
                problems.append(f"tag not allowed: {raw}")
    if depth:
        problems.append("an {% if %} block is not closed with {% endif %}")
    leftover = _TEMPLATE_TOKEN_RE.sub("", template)
    if re.search(r"\{[{%#]|[}%#]\}", leftover):
        problems.append("unbalanced template delimiters")
    return problems
