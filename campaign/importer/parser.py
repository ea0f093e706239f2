"""Parse a European Parliament Legislative Observatory (OEIL) summary into its calls.

Pure Python on purpose: no Django, no database. The importer service feeds it the text an
organiser pasted and stores what comes back, so this module can be tested (and fuzzed) in
milliseconds and reused by a management command or a preview API alike.

Two promises hold for every ``str`` input:

* ``parse_oeil_summary`` never raises; whatever it cannot read becomes a line in ``warnings``.
* It runs in roughly linear time. Every regular expression here is anchored on literal words or
  has bounded repetitions, and look-backs only ever inspect a short window, because organisers
  paste anything (a whole web page, a PDF dump) and one catastrophic backtrack would hang a
  web worker.

The parser is deliberately conservative about what a *call* is: only what Parliament itself
called on / urged / asked / invited someone to do ("Parliament called on X to …",
"X is urged to …", "Parliament called for …"). Condemnations, concerns, welcomes and
background stay context, because each call becomes a campaign that an organiser must review,
and a false call costs more of their time than a missed one they can add by hand.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = [
    "CALL_KINDS",
    "COUNTRIES",
    "COUNTRIES_WITH_ARTICLE",
    "COMMON_NOUN_ROLES",
    "COUNTRY_BY_DEMONYM",
    "VOTES_CAST_BOUND",
    "CallKind",
    "ParsedCall",
    "ParsedResolution",
    "country_phrase",
    "find_country",
    "find_place",
    "mentions_country",
    "normalise_addressees",
    "parse_oeil_summary",
]

CallKind = Literal["demand", "investigation", "financing", "sanctions", "other"]
CALL_KINDS: tuple[CallKind, ...] = ("demand", "investigation", "financing", "sanctions", "other")


@dataclass(frozen=True, slots=True)
class ParsedCall:
    """One thing the resolution asks someone to do.

    ``addressee_as_written`` is the text as it stands in the summary ("He", "the Kazakh
    government"); ``addressees`` are the normalised targets, with pronouns resolved to the
    actor named just before ("President Tokayev"). ``action`` is the demanded action without a
    leading "to" ("immediately release …"), or "not to …" for a negative call; for
    "Parliament called for X" it is "X" and ``has_explicit_addressee`` is False.
    ``source_sentence`` is the sentence or bullet it came from, for the organiser's preview.
    """

    position: int
    addressee_as_written: str
    addressees: tuple[str, ...]
    action: str
    kind: CallKind
    source_sentence: str
    has_explicit_addressee: bool


@dataclass(frozen=True, slots=True)
class ParsedResolution:
    """What could be read from one OEIL summary.

    Unknown metadata is ``None`` (``title`` is ``""``) and explained in ``warnings``.
    ``country`` is the country the resolution is about when its subject names one; the
    drafting step uses it to say where a call applies ("… in Kazakhstan").
    """

    title: str
    procedure_reference: str | None
    adopted_on: date | None
    stage: str | None
    votes_for: int | None
    votes_against: int | None
    abstentions: int | None
    subject: str | None
    country: str | None
    context: tuple[str, ...]
    calls: tuple[ParsedCall, ...]
    warnings: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# Countries and demonyms
# ---------------------------------------------------------------------------------------------

# Adjectives used in OEIL summaries for national authorities ("the Kazakh government"). The
# table maps each to the country name used in the "Government of <country>" form, so the same
# target pasted two ways becomes one addressee. Common countries only; anything missing just
# stays as written.
COUNTRY_BY_DEMONYM: dict[str, str] = {
    "Afghan": "Afghanistan",
    "Albanian": "Albania",
    "Algerian": "Algeria",
    "American": "United States",
    "Angolan": "Angola",
    "Argentine": "Argentina",
    "Argentinian": "Argentina",
    "Armenian": "Armenia",
    "Australian": "Australia",
    "Austrian": "Austria",
    "Azerbaijani": "Azerbaijan",
    "Bahraini": "Bahrain",
    "Bangladeshi": "Bangladesh",
    "Belarusian": "Belarus",
    "Belarussian": "Belarus",
    "Belgian": "Belgium",
    "Beninese": "Benin",
    "Bhutanese": "Bhutan",
    "Bissau-Guinean": "Guinea-Bissau",
    "Bolivian": "Bolivia",
    "Bosnian": "Bosnia and Herzegovina",
    "Brazilian": "Brazil",
    "British": "United Kingdom",
    "Bulgarian": "Bulgaria",
    "Burkinabe": "Burkina Faso",
    "Burmese": "Myanmar",
    "Burundian": "Burundi",
    "Cambodian": "Cambodia",
    "Cameroonian": "Cameroon",
    "Canadian": "Canada",
    "Chadian": "Chad",
    "Chilean": "Chile",
    "Chinese": "China",
    "Colombian": "Colombia",
    "Comorian": "Comoros",
    "Congolese": "Democratic Republic of the Congo",
    "Costa Rican": "Costa Rica",
    "Croatian": "Croatia",
    "Cuban": "Cuba",
    "Cypriot": "Cyprus",
    "Czech": "Czechia",
    "Danish": "Denmark",
    "Djiboutian": "Djibouti",
    "Dutch": "Netherlands",
    "Ecuadorian": "Ecuador",
    "Egyptian": "Egypt",
    "Emirati": "United Arab Emirates",
    "Equatoguinean": "Equatorial Guinea",
    "Equatorial Guinean": "Equatorial Guinea",
    "Eritrean": "Eritrea",
    "Estonian": "Estonia",
    "Ethiopian": "Ethiopia",
    "Fijian": "Fiji",
    "Finnish": "Finland",
    "French": "France",
    "Gabonese": "Gabon",
    "Gambian": "Gambia",
    "Georgian": "Georgia",
    "German": "Germany",
    "Ghanaian": "Ghana",
    "Greek": "Greece",
    "Guatemalan": "Guatemala",
    "Guinean": "Guinea",
    "Guyanese": "Guyana",
    "Haitian": "Haiti",
    "Honduran": "Honduras",
    "Hungarian": "Hungary",
    "Icelandic": "Iceland",
    "Indian": "India",
    "Indonesian": "Indonesia",
    "Iranian": "Iran",
    "Iraqi": "Iraq",
    "Irish": "Ireland",
    "Israeli": "Israel",
    "Italian": "Italy",
    "Ivorian": "Côte d'Ivoire",
    "Jamaican": "Jamaica",
    "Japanese": "Japan",
    "Jordanian": "Jordan",
    "Kazakh": "Kazakhstan",
    "Kazakhstani": "Kazakhstan",
    "Kenyan": "Kenya",
    "Kosovar": "Kosovo",
    "Kuwaiti": "Kuwait",
    "Kyrgyz": "Kyrgyzstan",
    "Lao": "Laos",
    "Laotian": "Laos",
    "Latvian": "Latvia",
    "Lebanese": "Lebanon",
    "Liberian": "Liberia",
    "Libyan": "Libya",
    "Lithuanian": "Lithuania",
    "Malagasy": "Madagascar",
    "Malawian": "Malawi",
    "Malaysian": "Malaysia",
    "Maldivian": "Maldives",
    "Malian": "Mali",
    "Maltese": "Malta",
    "Mauritanian": "Mauritania",
    "Mauritian": "Mauritius",
    "Mexican": "Mexico",
    "Moldovan": "Moldova",
    "Mongolian": "Mongolia",
    "Montenegrin": "Montenegro",
    "Moroccan": "Morocco",
    "Mozambican": "Mozambique",
    "Namibian": "Namibia",
    "Nepalese": "Nepal",
    "Nicaraguan": "Nicaragua",
    "Nigerian": "Nigeria",
    "Nigerien": "Niger",
    "North Korean": "North Korea",
    "North Macedonian": "North Macedonia",
    "Norwegian": "Norway",
    "Omani": "Oman",
    "Pakistani": "Pakistan",
    "Palestinian": "Palestine",
    "Panamanian": "Panama",
    "Papua New Guinean": "Papua New Guinea",
    "Paraguayan": "Paraguay",
    "Peruvian": "Peru",
    "Philippine": "Philippines",
    "Polish": "Poland",
    "Portuguese": "Portugal",
    "Qatari": "Qatar",
    "Romanian": "Romania",
    "Russian": "Russia",
    "Rwandan": "Rwanda",
    "Salvadoran": "El Salvador",
    "Saudi": "Saudi Arabia",
    "Saudi Arabian": "Saudi Arabia",
    "Senegalese": "Senegal",
    "Serbian": "Serbia",
    "Sierra Leonean": "Sierra Leone",
    "Singaporean": "Singapore",
    "Slovak": "Slovakia",
    "Slovenian": "Slovenia",
    "Somali": "Somalia",
    "South African": "South Africa",
    "South Korean": "South Korea",
    "South Sudanese": "South Sudan",
    "Spanish": "Spain",
    "Sri Lankan": "Sri Lanka",
    "Sudanese": "Sudan",
    "Surinamese": "Suriname",
    "Swedish": "Sweden",
    "Swiss": "Switzerland",
    "Syrian": "Syria",
    "Taiwanese": "Taiwan",
    "Tajik": "Tajikistan",
    "Tanzanian": "Tanzania",
    "Thai": "Thailand",
    "Timorese": "Timor-Leste",
    "Togolese": "Togo",
    "Tunisian": "Tunisia",
    "Turkish": "Turkey",
    "Turkmen": "Turkmenistan",
    "Ugandan": "Uganda",
    "Ukrainian": "Ukraine",
    "Uruguayan": "Uruguay",
    "Uzbek": "Uzbekistan",
    "Venezuelan": "Venezuela",
    "Vietnamese": "Vietnam",
    "Yemeni": "Yemen",
    "Zambian": "Zambia",
    "Zimbabwean": "Zimbabwe",
    # Abbreviations EU texts use like demonyms ("the UAE authorities", "the US administration").
    "DRC": "Democratic Republic of the Congo",
    "PRC": "China",
    "UAE": "United Arab Emirates",
    "UK": "United Kingdom",
    "US": "United States",
    "USA": "United States",
}

# Every other state (and Hong Kong, Macao, Western Sahara, Taiwan, as EU texts name them),
# so "Equatorial Guinea" is never read as "Guinea": the alternation tries longest first.
_EXTRA_COUNTRIES = (
    "Andorra",
    "Antigua and Barbuda",
    "Australia",
    "Bahamas",
    "Barbados",
    "Belize",
    "Benin",
    "Bhutan",
    "Botswana",
    "Brunei",
    "Burkina Faso",
    "Cabo Verde",
    "Canada",
    "Cape Verde",
    "Central African Republic",
    "Comoros",
    "Costa Rica",
    "Czech Republic",
    "Côte d'Ivoire",
    "Djibouti",
    "Dominica",
    "Dominican Republic",
    "East Timor",
    "Equatorial Guinea",
    "Eswatini",
    "Fiji",
    "Gabon",
    "Gambia",
    "Grenada",
    "Guinea-Bissau",
    "Guyana",
    "Hong Kong",
    "Iceland",
    "Ivory Coast",
    "Jamaica",
    "Japan",
    "Kiribati",
    "Laos",
    "Lesotho",
    "Liberia",
    "Liechtenstein",
    "Luxembourg",
    "Macao",
    "Madagascar",
    "Malawi",
    "Maldives",
    "Marshall Islands",
    "Mauritius",
    "Micronesia",
    "Monaco",
    "Mongolia",
    "Myanmar",
    "Namibia",
    "Nauru",
    "New Zealand",
    "North Macedonia",
    "Norway",
    "Palau",
    "Panama",
    "Papua New Guinea",
    "Paraguay",
    "Republic of the Congo",
    "Saint Kitts and Nevis",
    "Saint Lucia",
    "Saint Vincent and the Grenadines",
    "Samoa",
    "San Marino",
    "Senegal",
    "Seychelles",
    "Sierra Leone",
    "Singapore",
    "Solomon Islands",
    "South Korea",
    "Suriname",
    "Switzerland",
    "São Tomé and Príncipe",
    "Taiwan",
    "Timor-Leste",
    "Togo",
    "Tonga",
    "Trinidad and Tobago",
    "Tuvalu",
    "Türkiye",
    "Uruguay",
    "Vanuatu",
    "Western Sahara",
    "Zambia",
)
COUNTRIES: frozenset[str] = frozenset(COUNTRY_BY_DEMONYM.values()) | frozenset(_EXTRA_COUNTRIES)
# Country names written with "the" ("the Government of the Netherlands", "in the Gambia").
COUNTRIES_WITH_ARTICLE: frozenset[str] = frozenset(
    {"United States", "United Kingdom", "Netherlands", "Philippines", "United Arab Emirates",
     "Democratic Republic of the Congo", "Republic of the Congo", "Czech Republic",
     "Central African Republic", "Dominican Republic", "Gambia", "Bahamas", "Maldives",
     "Comoros", "Seychelles", "Marshall Islands", "Solomon Islands"}
)  # fmt: skip


def country_phrase(country: str) -> str:
    """'Netherlands' -> 'the Netherlands'; 'Kazakhstan' stays as it is."""
    return f"the {country}" if country in COUNTRIES_WITH_ARTICLE else country


def _alternation(words: frozenset[str] | set[str]) -> str:
    # Longest first, so "South Sudan" wins over "Sudan" in the alternation.
    return "|".join(re.escape(word) for word in sorted(words, key=lambda w: (-len(w), w)))


# Demonyms may be plural nouns ("Belarusians fleeing repression").
_COUNTRY_OR_DEMONYM_RE = re.compile(
    r"(?<![\w-])(" + _alternation(COUNTRIES | set(COUNTRY_BY_DEMONYM)) + r")s?(?![\w-])"
)


def find_country(text: str) -> str | None:
    """Return the first country named in ``text`` (directly or by its demonym), if any."""
    match = _COUNTRY_OR_DEMONYM_RE.search(text)
    if match is None:
        return None
    found = match.group(1)
    return COUNTRY_BY_DEMONYM.get(found, found)


# A country after these is where something comes from or goes to, or a partner: "corruption
# from Qatar", "deportation of children to Russia", "threats against Armenia", "relations
# with China". The resolution is not about what happens in it.
_NOT_THE_PLACE_BEFORE_RE = re.compile(
    r"\b(?:from|to|towards|against|with|by)(?: the)? $", re.IGNORECASE
)


def find_place(text: str) -> str | None:
    """The country a subject or title is about: the one named outright, else the first
    demonym's ("Russian interference in the Republic of Moldova" is about Moldova).

    A country after "from", "to", "against" … is not where the resolution's calls apply
    ("suspicions of corruption from Qatar" concerns the EU institutions), and two countries
    named outright ("Serbia and Kosovo", "Myanmar and Bangladesh") leave it undecided: None,
    so no title says "in <one of them>" wrongly.
    """
    demonym = None
    named: list[str] = []
    for match in _COUNTRY_OR_DEMONYM_RE.finditer(text):
        found = match.group(1)
        if found not in COUNTRIES:
            demonym = demonym or COUNTRY_BY_DEMONYM[found]
            continue
        before = text[max(0, match.start() - 12) : match.start()]
        if found not in named and not _NOT_THE_PLACE_BEFORE_RE.search(before):
            named.append(found)
    if named:
        return named[0] if len(named) == 1 else None
    return demonym


def mentions_country(text: str, country: str) -> bool:
    """True when ``text`` names ``country`` itself or by one of its demonyms."""
    return any(
        COUNTRY_BY_DEMONYM.get(match.group(1), match.group(1)) == country
        for match in _COUNTRY_OR_DEMONYM_RE.finditer(text)
    )


# ---------------------------------------------------------------------------------------------
# Text normalisation
# ---------------------------------------------------------------------------------------------

# Pasted text arrives from browsers, Word and PDF viewers: odd spaces, curly quotes and
# zero-width characters would otherwise defeat every pattern below.
_TRANSLATION = str.maketrans(
    {
        **dict.fromkeys(
            "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
            "\u202f\u205f\u3000\t",
            " ",
        ),
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", None),
        # Bidirectional overrides and isolates reorder what a reader sees; a campaign title
        # may not hold them (campaign.validators), so neither may what the importer drafts.
        **dict.fromkeys("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069", None),
        # Control characters (a stray byte from a PDF or a terminal) are never text; line
        # breaks (\n \r \v \f \x1c-\x1e \x85) are left to splitlines.
        **dict.fromkeys(
            [*map(chr, range(0x00, 0x09)), *map(chr, range(0x0E, 0x1C)), "\x1f", "\x7f"]
            + [chr(code) for code in range(0x80, 0xA0) if code != 0x85],
            None,
        ),
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033", '"'),
        # Word's non-breaking and soft-wrapping hyphens ("Ortega\u2011Murillo").
        **dict.fromkeys("\u2010\u2011", "-"),
    }
)
_SPACES_RE = re.compile(r" {2,}")


# A page saved or copied as HTML: its paragraph and list tags become line breaks, the rest go.
_HTML_BLOCK_TAG_RE = re.compile(
    r"<(?:/?(?:p|div|h[1-6]|ul|ol|table|tr|section|article|blockquote)|br\s*/?)\b[^<>]{0,500}>",
    re.IGNORECASE,
)
_HTML_ITEM_TAG_RE = re.compile(r"<li\b[^<>]{0,500}>", re.IGNORECASE)
_HTML_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9]{0,15}\b[^<>]{0,500}>")
HTML_STRIPPED_WARNING = (
    "the text was HTML: its tags were removed (pasting the page's text is safer)"
)


def _looks_like_html(text: str) -> bool:
    return len(_HTML_BLOCK_TAG_RE.findall(text, 0, 20_000)) >= 2


def _html_to_text(text: str) -> str:
    text = _HTML_ITEM_TAG_RE.sub("\n- ", text)
    text = _HTML_BLOCK_TAG_RE.sub("\n\n", text)
    return html.unescape(_HTML_TAG_RE.sub("", text))


# Footnote markers pasted with the text: "the Iranian authorities[2]", "the Commission¹".
_FOOTNOTE_MARK_RE = re.compile(
    r"(?<=[^\s\d\[])(?:\[\d{1,3}\]|[\u00b9\u00b2\u00b3\u2070\u2074-\u2079]+)"
)


def _normalise_text(text: str) -> list[str]:
    """Return the text's lines with spacing and quotes normalised (splitlines handles CRLF)
    and footnote markers taken off the words they follow."""
    translated = _FOOTNOTE_MARK_RE.sub("", text.translate(_TRANSLATION))
    return [_SPACES_RE.sub(" ", line).strip() for line in translated.splitlines()]


# ---------------------------------------------------------------------------------------------
# Metadata
# ---------------------------------------------------------------------------------------------

_REFERENCE_PATTERN = r"[0-9]{4}/[0-9]{4} ?\([A-Za-z]{3}\)"
_REFERENCE_RE = re.compile(r"(?<![0-9])(" + _REFERENCE_PATTERN + r")")
_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_MONTH_NUMBERS = {
    name: number
    for number, month in enumerate(_MONTH_NAMES, start=1)
    for name in (month, month[:3])
} | {"sept": 9}
# OEIL writes "20/01/2022"; pasted copies also carry "20.01.2022", "20/01/22", the ISO
# "2022-01-20" and the spelt-out "20 January 2022" (or "20 Jan. 2022").
_NUMERIC_DATE_RE = re.compile(r"^([0-9]{1,2})[/.]([0-9]{1,2})[/.]([0-9]{4}|[0-9]{2})$")
_ISO_DATE_RE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_LONG_DATE_RE = re.compile(r"^([0-9]{1,2}) ([A-Za-z]{3,9})\.? ([0-9]{4})$")
_DATE_PATTERN = (
    r"(?<![0-9])(?:[0-9]{1,2}[/.][0-9]{1,2}[/.](?:[0-9]{4}|[0-9]{2})"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"|[0-9]{1,2} (?i:" + _alternation(set(_MONTH_NUMBERS)) + r")\.? [0-9]{4})(?![0-9])"
)
# Two-digit years: Parliament has been elected since 1979, so "79"-"99" are the 1900s.
_CENTURY_PIVOT = 79
_METADATA_RE = re.compile(
    r"(?P<reference>"
    + _REFERENCE_PATTERN
    + r") ?[-\u2013\u2014:|]? ?(?P<date>"
    + _DATE_PATTERN
    + r")(?: ?[-\u2013\u2014:|] ?(?P<stage>.{0,200}))?"
)
_STARTS_WITH_REFERENCE_RE = re.compile(r"^\(?" + _REFERENCE_PATTERN)
# How far down the page chrome, and the reference, title, date and stage on lines of their
# own, are looked for: the OEIL page's header, never the summary's text.
_HEAD_LINES = 12
_PAGE_CHROME_RE = re.compile(
    r"^(?:legislative observatory|european parliament|summary|procedure file|oeil"
    r"|basic information|key events|documentation gateway|texts? adopted"
    # the text's document number on the Parliament's site: "P9_TA(2024)0031"
    r"|p\d{1,2}_ta(?:-prov)?\(\d{4}\)\d{4})$",
    re.IGNORECASE,
)
_TEXTS_ADOPTED_INTRO_RE = re.compile(r"^(?:the )?european parliament,$", re.IGNORECASE)
_NOT_IN_A_TEXT_ADOPTED = frozenset({"no vote figures found", "no procedure stage found"})
_ADOPTED_TITLE_RE = re.compile(r"^european parliament resolution\b", re.IGNORECASE)
_RECITAL_RE = re.compile(
    r"^(?:[A-Z]{1,2}[.)]\s+)?(?:whereas|having regard|having considered|recalling"
    r"|bearing in mind)\b",
    re.IGNORECASE,
)
# The header of a "texts adopted" page: "Texts adopted - Hong Kong: … - Thursday, 14 March
# 2024". Page chrome, never the title; its date is the adoption's.
_TEXTS_ADOPTED_HEADER_RE = re.compile(
    r"^texts? adopted\s*[-\u2013\u2014:|].*?(?P<date>" + _DATE_PATTERN + r")?\s*$", re.IGNORECASE
)
# "European Parliament resolution of 14 March 2024 on …": the adoption date in the title.
_DATE_IN_TITLE_RE = re.compile(r"\bresolution of (?P<date>" + _DATE_PATTERN + r")", re.IGNORECASE)
_RESOLUTION_TITLE_RE = re.compile(
    r"^(?:european parliament )?resolution (?:of|on|concerning|regarding)\b", re.IGNORECASE
)
_HEAD_DATE_RE = re.compile(
    r"^(?:(?:date|adopted(?: on)?|date of (?:adoption|vote))\s*:?\s*)?(?P<date>"
    + _DATE_PATTERN
    + r")(?=$|[ ,;]*[-\u2013\u2014:|])",
    re.IGNORECASE,
)
_STAGE_LINE_RE = re.compile(
    r"^(?:stage(?: reached)?\s*:\s*)?(?:text adopted by parliament|awaiting|procedure completed)",
    re.IGNORECASE,
)
_REFERENCE_AFTER_TITLE_RE = re.compile(r"[ ,:-]*\(?" + _REFERENCE_PATTERN + r"\)?$")

# Parliament has never had 1,000 Members (751 at most), so no vote figure, nor the three
# added up, can reach this; a larger one is a misreading or junk and is never stored (it would
# also overflow the integer columns).
VOTES_CAST_BOUND = 1_000
# Thousands separators are still read ("1,234") so that such a figure is reported as
# implausible rather than silently misread as "234"; the bounded repetition keeps it linear.
_NUMBER = r"[0-9]{1,3}(?:[ ,.][0-9]{3}){1,8}(?![0-9])|[0-9]{1,12}(?![0-9])"
_ABSTENTIONS = (
    r"(?:,? \(?(?:(?:with|and) )?(?P<abstentions>" + _NUMBER + r"|no|zero)"
    r" (?:abstentions?|abstained)\)?)?"
)
# "589 votes to 35", "589 votes in favour to 35", "589 votes to 35 against" (short), and
# "584 votes in favour, 3 against", "598 votes for, 20 against" (long); abstentions optional.
_FIGURES = (
    r"(?P<for>"
    + _NUMBER
    + r") votes? (?:(?:in favou?r )?(?:to|against) (?P<against>"
    + _NUMBER
    + r")(?: votes?)?(?: against)?|(?:in favou?r|for),? (?P<against_long>"
    + _NUMBER
    + r") (?:votes? )?against)"
    + _ABSTENTIONS
)
_VOTES_RE = re.compile(r"(?<![0-9])" + _FIGURES, re.IGNORECASE)
# The same without the word "votes" ("with 512 in favour, 12 against", "by 512 to 12"): read
# only right after "adopted … by|with", where no other figures stand.
_BARE_VOTES_RE = re.compile(
    r"(?<![0-9])" + _FIGURES.replace(r") votes? (?:(?:in", r") (?:votes? )?(?:(?:in", 1),
    re.IGNORECASE,
)
# "adopted by 589 votes …", "adopted, by 598 votes …", "adopted with 584 votes in favour …",
# "adopted a resolution on <subject> by 598 votes …": figures after "adopted" in the same
# sentence win over figures elsewhere, which may be about another vote. Checked by looking
# back a bounded window from each figure, which stays linear on any input (a pattern from
# "adopted" to the figures would try every gap length at every "adopted").
_ADOPTED_RE = re.compile(r"\badopted\b", re.IGNORECASE)
_BY_BEFORE_FIGURES_RE = re.compile(r"\b(?:by|with),? $", re.IGNORECASE)
_ADOPTED_WINDOW = 320
_SUBJECT_IN_SENTENCE_RE = re.compile(
    r"\b(?:a|the|its) (?:(?:joint|non-legislative|legislative) )?resolution "
    r"(?:on|concerning|regarding) (?P<subject>[^.]{1,300})",
    re.IGNORECASE,
)
_SUBJECT_MAX_CHARS = 300
_SUBJECT_IN_TITLE_RE = re.compile(
    r"^(?:(?:the )?european parliament )?resolution(?: of [0-9]{1,2} [A-Za-z]{3,9} [0-9]{4})?"
    r" (?:on|concerning|regarding) (?P<subject>.{1,300})$",
    re.IGNORECASE,
)


def _subject_end(text: str, start: int) -> int:
    """Where the subject starting at ``start`` ends: at the full stop ending its sentence.

    A dot inside an abbreviation ("the EU-U.S. relationship", "Art. 7 TEU", "e.g. Hungary")
    does not end it: one followed by a letter or digit, or one after a single letter or a
    known abbreviation that a lowercase word or a figure follows.
    """
    limit = min(len(text), start + _SUBJECT_MAX_CHARS)
    dot = text.find(".", start, limit)
    while dot != -1:
        after = text[dot + 1 : dot + 3]
        inside_word = after[:1].isalnum()
        abbreviation = _ends_with_abbreviation(text[max(start, dot - 12) : dot]) and (
            after[:1] == " " and (after[1:2].islower() or after[1:2].isdigit())
        )
        if not (inside_word or abbreviation):
            return dot
        dot = text.find(".", dot + 1, limit)
    return limit


def _parse_int(number: str) -> int:
    if number.lower() in ("no", "zero"):
        return 0
    return int(re.sub(r"[ ,.]", "", number))


def _parse_date(text: str) -> date | None:
    """Any of the forms ``_DATE_PATTERN`` matches → a date, or None when it does not exist."""
    year, month, day = 0, 0, 0
    if numeric := _NUMERIC_DATE_RE.match(text):
        day, month, year = (int(part) for part in numeric.groups())
        if len(numeric.group(3)) == 2:
            year += 1900 if year >= _CENTURY_PIVOT else 2000
    elif iso := _ISO_DATE_RE.match(text):
        year, month, day = (int(part) for part in iso.groups())
    elif long := _LONG_DATE_RE.match(text):
        day, year = int(long.group(1)), int(long.group(3))
        month = _MONTH_NUMBERS.get(long.group(2).lower(), 0)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _clean_reference(reference: str) -> str:
    return reference.replace(" ", "").upper()


def _looks_like_title(line: str) -> bool:
    if len(line) > 300 or _METADATA_RE.search(line) or _VOTES_RE.search(line):
        return False
    # "2023/2890(RSP) - 19 Oct. 2023 - …" in a shape the metadata pattern does not know is
    # still the metadata line, never the title.
    if _STARTS_WITH_REFERENCE_RE.match(line) or _HEAD_DATE_RE.match(line):
        return False
    if _BULLET_RE.match(line) or _TEXTS_ADOPTED_INTRO_RE.match(line):
        return False
    if _RESOLUTION_TITLE_RE.match(line):
        return True
    # A first line that is a sentence, or that makes a call, is the summary itself.
    if _PASSIVE_RE.search(line) or _ACTIVE_VERB_RE.search(line):
        return False
    return not line.endswith((".", ":", ";"))


def _adopted_before(text: str, figures_at: int) -> int | None:
    """Where "adopted" stands in the sentence just before the figures at ``figures_at``
    ("… adopted [a resolution on …] by|with <figures>"), or None."""
    window_start = max(0, figures_at - _ADOPTED_WINDOW)
    window = text[window_start:figures_at]
    sentence_start = max(window.rfind("."), window.rfind(";")) + 1
    window = window[sentence_start:]
    if _BY_BEFORE_FIGURES_RE.search(window) is None:
        return None
    adopted = _ADOPTED_RE.search(window)
    return None if adopted is None else window_start + sentence_start + adopted.start()


def _figures_after_adopted(
    blocks: list[tuple[bool, str]], pattern: re.Pattern[str]
) -> tuple[re.Match[str] | None, int | None, re.Match[str] | None]:
    """The first figures `pattern` finds after "adopted … by|with", with where "adopted"
    stands; and the first figures found anywhere, the fallback."""
    fallback: re.Match[str] | None = None
    for _, block_text in blocks:
        for match in pattern.finditer(block_text):
            adopted_at = _adopted_before(block_text, match.start())
            if adopted_at is not None:
                return match, adopted_at, fallback
            fallback = fallback or match
    return None, None, fallback


def _votes_and_subject(
    blocks: list[tuple[bool, str]], warnings: list[str]
) -> tuple[int | None, int | None, int | None, str | None]:
    """Read (for, against, abstentions, subject) from the vote sentence; unknown ones are None.

    Figures after "adopted" are preferred, then the same without the word "votes" ("by 512
    to 12"); bare "598 votes for, 20 against" anywhere is the fallback. Implausible figures
    are reported and dropped, never stored.
    """
    votes, adopted_at, fallback = _figures_after_adopted(blocks, _VOTES_RE)
    if votes is None:
        votes, adopted_at, _ = _figures_after_adopted(blocks, _BARE_VOTES_RE)
    votes = votes or fallback
    if votes is None:
        warnings.append("no vote figures found")
        return None, None, None, None

    block_text = votes.string
    subject: str | None = None
    start = votes.start() if adopted_at is None else adopted_at
    subject_match = _SUBJECT_IN_SENTENCE_RE.search(block_text, start)
    if subject_match is not None:
        subject_end = _subject_end(block_text, subject_match.start("subject"))
        subject_text = block_text[subject_match.start("subject") : subject_end]
        if subject_match.start("subject") < votes.start() < subject_end:
            # "adopted a resolution on <subject> by 598 votes to 20": the figures end it.
            subject_text = block_text[subject_match.start("subject") : votes.start()]
            subject_text = re.sub(r",? (?:by|with),? ?$", "", subject_text)
        subject = subject_text.strip(" ,;") or None

    against = votes.group("against") or votes.group("against_long")
    figures = [votes.group("for"), against, votes.group("abstentions")]
    numbers = [_parse_int(figure) if figure is not None else None for figure in figures]
    if sum(number or 0 for number in numbers) >= VOTES_CAST_BOUND:
        shown = ", ".join(figure for figure in figures if figure is not None)
        warnings.append(
            f"implausible vote figures ({shown[:80]}): Parliament has fewer than "
            f"{VOTES_CAST_BOUND:,} Members, so they were not stored"
        )
        return None, None, None, subject
    return numbers[0], numbers[1], numbers[2], subject


# ---------------------------------------------------------------------------------------------
# Blocks and sentences
# ---------------------------------------------------------------------------------------------

# "-", "–", "—", "−", "•", "*", "·" and other bullet signs (squares, circles, arrows, ticks,
# Word's second-level "o"), "(a)", "a)", "a.", "(A)", "A)", "(iv)", "iv.", "(IV)", "IV)" and
# "IV. called on" (a lower-case word must follow "IV.", so an initial as in "V. Kara-Murza" at
# the start of a wrapped line is not one) enumerations, and numbered items "1.", "1)", "(1)",
# "1 -" (a space must follow, so "19.10.2023" is not one).
_BULLET_SIGNS = (
    "\u2013\u2014\u2212\u2022\u00b7\u2023\u2043\u2219\u25aa\u25ab\u25a0\u25a1\u25cf\u25cb"
    "\u25e6\u25c6\u25c7\u25b6\u25b8\u25ba\u27a2\u27a4\u2794\u2192\u2713\u2714\u2610\u2611"
    "\uf0b7\uf0a7\uf0d8"  # Symbol-font bullets pasted from Word
)
_BULLET_RE = re.compile(
    r"^(?:[-*](?: |$)|[" + _BULLET_SIGNS + r"] ?|o (?=[a-z])"
    r"|\(?(?:[a-z]|[ivx]{1,5})[).] |\(?(?:[A-Z]|[IVX]{1,5})\) |[IVX]{1,5}\. (?=[a-z])"
    r"|\(?[0-9]{1,3}\) |[0-9]{1,3}\. |[0-9]{1,3} [-\u2013\u2014] )"
)


@dataclass(slots=True)
class _Block:
    is_bullet: bool
    # Lines are collected and joined once: growing one string line by line is quadratic.
    parts: list[str]
    # The bullet's kind of sign ("-", "•", "(a)", "a.", "(i)", "1."), letters and numbers
    # reduced to one: a list nested in another uses another kind.
    marker: str = ""

    @property
    def text(self) -> str:
        return " ".join(self.parts)


def _marker_kind(sign: str) -> str:
    """ "(b) " → "(a)", "iv." → "i.", "12)" → "1)", "•" → "•": the kind of a bullet's sign."""
    sign = sign.strip()
    if re.fullmatch(r"\(?[ivx]{1,5}[).]|\(?[IVX]{1,5}[).]", sign):
        return re.sub(r"[ivxIVX]+", "i", sign)
    if sign in ("-", "\u2013", "\u2014", "\u2212"):
        return "-"
    if len(sign) == 1 and not sign.isalnum():
        return "\u2022"  # "*", "•", "·" and the other signs a list uses interchangeably
    return re.sub(r"[0-9]+", "1", re.sub(r"[A-Za-z]", "a", sign))


def _blocks(lines: list[str]) -> list[tuple[bool, str]]:
    """Group lines into paragraphs and bullets; a wrapped bullet keeps its continuation lines."""
    return [(block.is_bullet, block.text) for block in _marked_blocks(lines)]


def _marked_blocks(lines: list[str]) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    for line in lines:
        if not line:
            current = None
            continue
        bullet = _BULLET_RE.match(line)
        # A bullet whose line ends a sentence, followed by a line that starts one, has ended:
        # "c) abolish the guardianship system." then "It also asks …" is the next paragraph,
        # pasted without a blank line, not more of the bullet.
        bullet_ended = (
            current is not None
            and current.is_bullet
            and _ends_a_sentence(current.parts[-1])
            and _STARTS_A_SENTENCE_RE.match(line) is not None
        )
        if bullet is not None:
            current = _Block(
                is_bullet=True,
                parts=[line[bullet.end() :].strip()],
                marker=_marker_kind(bullet.group(0)),
            )
            blocks.append(current)
        elif current is not None and not bullet_ended:
            current.parts.append(line)
        else:
            current = _Block(is_bullet=False, parts=[line.lstrip("#").strip()])
            blocks.append(current)
    return blocks


_STARTS_A_SENTENCE_RE = re.compile(r"[\"'(]?[A-Z]")


def _ends_a_sentence(line: str) -> bool:
    """True when ``line`` ends with a full stop (or ! ?) that is not an abbreviation's."""
    text = line.rstrip("\"')]")
    return text.endswith((".", "!", "?")) and not _ends_with_abbreviation(text[-13:-1])


_SENTENCE_BREAK_RE = re.compile(r"[.!?][\"')\]]* +(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "no", "nos", "art", "arts", "e.g", "i.e", "st", "gen",
     "vs", "cf", "para", "paras", "p", "pp", "vol", "jr", "sr", "u.s", "u.k", "inc", "ltd",
     "co", "ca", "approx", "op", "cit"}
)  # fmt: skip


def _ends_with_abbreviation(text: str) -> bool:
    """True when ``text`` (what stands before a full stop) ends with an abbreviation: "Art",
    "e.g", a single letter, or one joined by a hyphen or slash ("EU-U.S", "(i.e")."""
    words = text.split()
    last = re.split(r"[-/(\[]", words[-1])[-1].lower() if words else ""
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())


def _split_sentences(text: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_BREAK_RE.finditer(text):
        # Only the few characters before the full stop matter, which keeps this linear.
        if _ends_with_abbreviation(text[max(start, match.start() - 12) : match.start()]):
            continue
        end = match.end()
        sentences.append(text[start:end].strip())
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return [sentence for sentence in sentences if sentence]


# ---------------------------------------------------------------------------------------------
# Addressees
# ---------------------------------------------------------------------------------------------

# Names that contain " and " and must not be split into two addressees.
_PROTECTED_NAMES_RE = re.compile(
    r"Reconstruction and Development|Security and Co-?operation|Co-?operation and Development"
    r"|Foreign Affairs and Security Policy|Bosnia and Herzegovina|Trinidad and Tobago"
    r"|Antigua and Barbuda|Saint Kitts and Nevis|Saint Vincent and the Grenadines"
    r"|Sao Tome and Principe|São Tomé and Príncipe|Heard Island and McDonald Islands"
    r"|Justice and Home Affairs|Trade and Development|Science and Technology"
    r"|Peace and Security|Human Rights and Democracy",
    re.IGNORECASE,
)
_AND_PLACEHOLDER = "\x00"
_LIST_SEPARATOR_RE = re.compile(
    r",? (?:including|in particular|notably|especially|such as|as well as|along with|"
    r"together with) ",
    re.IGNORECASE,
)
_PARENTHESIS_RE = re.compile(r"\([^()]{0,200}\)")
_DETERMINERS = frozenset(
    {"the", "a", "an", "its", "their", "his", "her", "all", "both", "other", "these", "those",
     "this", "that", "each", "every", "any", "relevant", "our"}
)  # fmt: skip
_LEADING_DETERMINER_RE = re.compile(r"^(?:the|its|their|his|her|our) ", re.IGNORECASE)
_LEADING_CONJUNCTION_RE = re.compile(r"^(?:and|or|also|and also|but also) ", re.IGNORECASE)
_ROLES = {
    "government": "Government",
    "authorities": "Authorities",
    "parliament": "Parliament",
    "president": "President",
    "prime minister": "Prime Minister",
    "regime": "Regime",
    "judiciary": "Judiciary",
    "security forces": "Security forces",
    "police": "Police",
    "army": "Army",
    "armed forces": "Armed forces",
    "courts": "Courts",
    "leadership": "Leadership",
    "junta": "Junta",
}
# Roles that are common nouns in running text ("the authorities of Iran"); a government, a
# parliament, a president or a prime minister of a named state keeps its capital.
COMMON_NOUN_ROLES: frozenset[str] = frozenset(_ROLES.values()) - {
    "Government",
    "Parliament",
    "President",
    "Prime Minister",
}
_ROLE_PATTERN = _alternation(set(_ROLES))
_DEMONYM_ROLE_RE = re.compile(
    r"^(?P<place>[A-Z][\w-]*(?: [A-Z][\w-]*)?)(?:'s)? (?P<role>" + _ROLE_PATTERN + r")$",
    re.IGNORECASE,
)
_PLURAL_ROLE_RE = re.compile(
    r"^(?P<place>[A-Z][\w-]*(?: [A-Z][\w-]*)?) (?P<role>government|parliament|president"
    r"|prime minister|regime|judiciary|leadership|junta)s$",
    re.IGNORECASE,
)
_ROLE_OF_RE = re.compile(r"^(?P<role>" + _ROLE_PATTERN + r") of (?P<place>.+)$", re.IGNORECASE)
_BARE_ROLE_RE = re.compile(
    r"^(?:(?:national|country's|country) )?(?P<role>" + _ROLE_PATTERN + r")$"
)
_ALIASES = {
    "european commission": "Commission",
    "commission": "Commission",
    "council": "Council",
    "council of the eu": "Council",
    "council of the european union": "Council",
    "member states": "Member States",
    "eu member states": "Member States",
    "european union": "EU",
    "european external action service": "EEAS",
    # One office, written four ways.
    "vp/hr": "VP/HR",
    "hr/vp": "VP/HR",
    "high representative": "VP/HR",
    "vice-president of the commission/high representative of the union for foreign affairs"
    " and security policy": "VP/HR",
    "vice-president/high representative": "VP/HR",
    "russian federation": "Russia",
}


_SLASH_RE = re.compile(r"\s*/\s*")


def _country_for(place: str) -> str | None:
    if place in COUNTRIES:
        return place
    for demonym, country in COUNTRY_BY_DEMONYM.items():
        if place.lower() == demonym.lower():
            return country
    return None


def _normalise_one(name: str, country: str | None) -> str:
    name = name.strip(" ,;:")
    # A sentence's full stop goes; an abbreviation's stays ("Ferdinand Marcos Jr.").
    if not _ends_with_abbreviation(name.rstrip(".")[-12:]):
        name = name.rstrip(" .,;:")
    name = _LEADING_DETERMINER_RE.sub("", name).strip()
    alias = _ALIASES.get(_SLASH_RE.sub("/", name.lower()))
    if alias is not None:
        return alias
    # "the UAE": the country, named as elsewhere ("Authorities of the United Arab Emirates").
    if name.isupper() and (place := _country_for(name)) is not None:
        return place
    demonym_role = _DEMONYM_ROLE_RE.match(name)
    if demonym_role is not None:
        place = _country_for(demonym_role.group("place"))
        if place is not None:
            return f"{_ROLES[demonym_role.group('role').lower()]} of {country_phrase(place)}"
    role_of = _ROLE_OF_RE.match(name)
    if role_of is not None:
        written = _LEADING_DETERMINER_RE.sub("", role_of.group("place").strip())
        place = _country_for(written)
        shown = country_phrase(place) if place is not None else role_of.group("place").strip()
        return f"{_ROLES[role_of.group('role').lower()]} of {shown}"
    bare = _BARE_ROLE_RE.match(name)
    if bare is not None and country is not None:
        # "the authorities" in a resolution about one country means that country's.
        return f"{_ROLES[bare.group('role')]} of {country_phrase(country)}"
    return name


def _split_on_and(chunk: str) -> list[str]:
    """Split "the Council and the Commission" but keep "EU institutions and agencies"."""
    parts: list[str] = []
    current = ""
    pieces = chunk.split(" and ")
    for index, piece in enumerate(pieces):
        if index == 0:
            current = piece
            continue
        next_word = piece.split(" ", 1)[0]
        starts_new_name = (
            next_word.lower() in _DETERMINERS
            or (
                next_word[:1].isupper()
                # "Bank for Reconstruction and Development": a capital after "of/for/on" is still
                # inside the first name.
                and not re.search(r" (?:of|for|on|in) ", f" {current} ")
                and (current.split(" ")[-1][:1].isupper() or current.split(" ")[-1].isupper())
            )
        )
        if starts_new_name:
            parts.append(current)
            current = piece
        else:
            current = f"{current} and {piece}"
    parts.append(current)
    return parts


def _share_roles(parts: list[str]) -> list[str]:
    """Give a role word to every country named just before it.

    In "the Chinese and Hong Kong authorities" the authorities are China's and Hong Kong's: a
    bare demonym right before a "<country> <role>" part takes its role, and so does a bare
    country name unless that part has its own determiner ("Russia and the Belarusian
    authorities" names Russia itself). "the Hungarian and Polish governments" gives each
    country one government.
    """
    shared = list(parts)
    role: str | None = None
    role_has_determiner = False
    for index in range(len(shared) - 1, -1, -1):
        written = shared[index].strip()
        bare = _LEADING_DETERMINER_RE.sub("", written).strip()
        if role is not None and (
            _is_demonym(bare) or (not role_has_determiner and bare in COUNTRIES)
        ):
            shared[index] = f"{written} {role}"
            continue
        role = None
        own = _DEMONYM_ROLE_RE.match(bare) or _PLURAL_ROLE_RE.match(bare)
        if own is not None and _country_for(own.group("place")) is not None:
            role = own.group("role")
            role_has_determiner = bare != written
            shared[index] = f"{written[: len(written) - len(bare)]}{own.group('place')} {role}"
    return shared


def _is_demonym(word: str) -> bool:
    return any(word.lower() == demonym.lower() for demonym in COUNTRY_BY_DEMONYM)


_AND_ON_RE = re.compile(r",? and (?:on|upon) (?=\S)", re.IGNORECASE)
_PERSON_TITLES = (
    r"Prime Minister|Vice-President|President|Crown Prince|King|Queen|Emir|Sheikh|Sultan"
    r"|Foreign Minister|Minister|Chancellor|General|Supreme Leader|Ayatollah|Patriarch"
    r"|Commissioner|Mr|Mrs|Ms|Dr"
)
# "the new President" before ", Ferdinand Marcos Jr.": a title whose name follows as an
# apposition, and that name (capitalised words, with particles such as "al" or "de").
_TITLE_BEFORE_NAME_RE = re.compile(
    r"^(?:(?:the|its|their) )?(?:[a-z][\w-]* ){0,2}(?P<title>" + _PERSON_TITLES + r")$"
)
_APPOSED_NAME_RE = re.compile(
    r"^[A-Z][\w'.-]*(?: (?:[A-Z][\w'.-]*|al|bin|ibn|de|da|del|la|van|von|der)){0,4}$"
)


def _joined_appositions(chunks: list[str]) -> list[str]:
    """Join "the new President" and "Ferdinand Marcos Jr." into "President Ferdinand Marcos
    Jr.": a name set off by commas after a title is that one person, not a second addressee."""
    joined: list[str] = []
    for chunk in chunks:
        title = _TITLE_BEFORE_NAME_RE.match(joined[-1]) if joined else None
        if title is not None and _APPOSED_NAME_RE.match(chunk):
            joined[-1] = f"{title.group('title')} {chunk}"
        else:
            joined.append(chunk)
    return joined


# What opens an aside set off by commas, never a name: a preposition or a participle, in
# lower case ("pending his release", "in its capacity as …", "as a matter of urgency",
# "where appropriate", "without delay"). A lower-case addressee opens with a determiner or an
# adjective instead ("all parties", "international donors").
_ASIDE_CHUNK_RE = re.compile(
    r"^(?:pending|in|as|where|when|while|whilst|given|following|without|with|within|by|at"
    r"|for|through|under|once|if|notwithstanding|regardless|after|before|during|amid|despite"
    r"|acting|bearing|taking|using|working|building|drawing)\b"
)


def normalise_addressees(addressee: str, *, country: str | None = None) -> tuple[str, ...]:
    """Split an addressee phrase into normalised target names.

    "the EU institutions and agencies, including the EEAS and the European Bank for
    Reconstruction and Development, and the World Bank" becomes ("EU institutions and
    agencies", "EEAS", "European Bank for Reconstruction and Development", "World Bank");
    "the Kazakh government" becomes ("Government of Kazakhstan",). ``country`` (the
    resolution's) turns a bare "the authorities" into "Authorities of <country>".
    """
    # Addressees are short; the bound keeps the and-splitting below linear for any input.
    text = _PARENTHESIS_RE.sub("", addressee[: _MAX_ADDRESSEE_CHARS * 2])
    text = _PROTECTED_NAMES_RE.sub(lambda m: m.group(0).replace(" and ", _AND_PLACEHOLDER), text)
    text = _LIST_SEPARATOR_RE.sub(", ", text)
    # "the Government of Peru and on all political forces": "on" repeats "called on" for a
    # second addressee, who is never part of the first one's name.
    text = _AND_ON_RE.sub(", ", text)
    parts: list[str] = []
    chunks = _joined_appositions([c for c in (chunk.strip() for chunk in text.split(",")) if c])
    for position, raw_chunk in enumerate(chunks):
        if position > 0 and _ASIDE_CHUNK_RE.match(raw_chunk):
            # "the UAE authorities, pending his release," and "the Commission, in its capacity
            # as guardian of the Treaties,": an aside between the addressee and "to".
            continue
        chunk = _LEADING_CONJUNCTION_RE.sub("", raw_chunk).strip()
        if not chunk:
            continue
        chunk_parts = _split_on_and(chunk)
        if position == len(chunks) - 1 and len(chunks) > 1 and len(chunk_parts) == 1:
            # In "A, B and C" the last " and " joins list items, whatever follows it.
            head, _, tail = chunk.partition(" and ")
            chunk_parts = [head, tail] if tail else [head]
        parts += chunk_parts
    names: list[str] = []
    for part in _share_roles(parts):
        name = _normalise_one(part.replace(_AND_PLACEHOLDER, " and "), country)
        if name and name not in names:
            names.append(name)
    return tuple(names)


# ---------------------------------------------------------------------------------------------
# Pronoun resolution
# ---------------------------------------------------------------------------------------------

_PERSON_RE = re.compile(
    r"\b(?P<title>" + _PERSON_TITLES + r")\.? (?P<name>[^\W\d_][\w'-]*(?: [^\W\d_][\w'-]*){0,3})"
)
_NAME_PARTICLES = frozenset({"al", "bin", "ibn", "von", "van", "de", "der", "da", "del", "la"})
_PLURAL_ACTOR_RE = re.compile(
    r"\b(?:the )?(?P<actor>(?:[A-Z][\w-]* ){0,2}(?:authorities|Member States|security forces"
    r"|courts|judicial authorities|parties(?: to the conflict)?))\b"
)
_SINGULAR_ACTOR_RE = re.compile(
    r"\b(?:the )?(?P<actor>(?:[A-Z][\w-]* ){0,2}(?:government|Government|Commission|Council|"
    r"regime|EEAS|junta|parliament)(?: of [A-Z][\w-]*(?: [A-Z][\w-]*)?)?)\b"
)
_PRONOUNS = frozenset({"he", "she", "it", "they", "the latter"})
_OBJECT_PRONOUNS = frozenset({"him", "her", "them", "it"})
_SUBJECT_FORM = {"him": "he", "her": "she", "them": "they"}


def _person_in(sentence: str) -> str | None:
    for match in _PERSON_RE.finditer(sentence):
        tokens: list[str] = []
        for token in match.group("name").split(" "):
            possessive = token.endswith("'s") or token.endswith("'")
            bare = token.removesuffix("'s").rstrip("'")
            if not (bare[:1].isupper() or bare.lower() in _NAME_PARTICLES):
                break
            tokens.append(bare)
            if possessive:
                break
        while tokens and tokens[-1].lower() in _NAME_PARTICLES:
            tokens.pop()
        if tokens:
            return f"{match.group('title')} {' '.join(tokens)}"
    return None


def _resolve_pronoun(pronoun: str, previous: list[str]) -> str | None:
    """Find the actor a pronoun stands for in the sentences just before (nearest first)."""
    for sentence in reversed(previous[-3:]):
        if pronoun in ("he", "she"):
            person = _person_in(sentence)
            if person is not None:
                return person
        elif pronoun == "they":
            plural = list(_PLURAL_ACTOR_RE.finditer(sentence))
            if plural:
                return plural[-1].group("actor")
        else:
            singular = [
                m for m in _SINGULAR_ACTOR_RE.finditer(sentence) if "arliament" not in m.group(0)
            ]
            if singular:
                return singular[-1].group("actor")
    return None


# ---------------------------------------------------------------------------------------------
# Call detection
# ---------------------------------------------------------------------------------------------

_ADVERB = (
    r"(?:also|further|furthermore|therefore|again|once again|moreover|strongly|firmly|urgently"
    r"|explicitly|lastly|finally|repeatedly|consequently|likewise|similarly|additionally"
    r"|accordingly|equally|specifically|particularly|in particular|thus|hence|once more"
    r"|in addition|hereby|formally|expressly|insistently|earnestly)"
)
_ACTOR = r"(?:the )?(?:european )?(?:parliament|house|members|meps|it|resolution|text)"
# Parliament as the subject right before the verb: "Lastly, Parliament also called on".
_ACTOR_BEFORE_VERB_RE = re.compile(
    r"(?:^|[ ,;:(])" + _ACTOR + r"(?: " + _ADVERB + r")*,? ?$", re.IGNORECASE
)
# "Parliament condemned X and called on Y to", "Is alarmed by X; calls on Y to" (a numbered
# paragraph of a text adopted): the verb follows "and" or ";", and Parliament opens.
_AND_BEFORE_VERB_RE = re.compile(r"(?:\b(?:and|but)|;) (?:" + _ADVERB + r",? )*$", re.IGNORECASE)
_ACTOR_OPENS_RE = re.compile(r"^(?:[^,]{1,60}, )?" + _ACTOR + r"\b", re.IGNORECASE)
_IS_ACTOR_RE = re.compile(r"^" + _ACTOR + r"$", re.IGNORECASE)
# A list's intro that names Parliament and no demand: "Parliament:", "The resolution also:",
# "In its resolution, the House:", "Members further:".
_ACTOR_INTRO_RE = re.compile(r"(?:^|[ ,])" + _ACTOR + r"(?: " + _ADVERB + r")*:$", re.IGNORECASE)

_ADDRESSED_VERBS = (
    r"(?:called|calls|call|calling)(?:, " + _ADVERB + r",)? (?:on|upon)"
    r"|urged|urges|urge|asked|asks|ask|invited|invites"
    r"|invite|requested|requests|request|encouraged|encourages|encourage|exhorted|exhorts"
    r"|instructed|instructs|(?:reiterated|repeated|renewed|reiterates|repeats|renews)"
    r" (?:its|their) calls? (?:on|upon)|expected|expects|expect|wanted|wants|want"
    r"|recommended|recommends|recommend"
)
# "expects X to …" (and "wants X to …", "recommends X to …") is a demand only when X is
# someone who can act ("expects the Commission to", not "expects the situation to improve");
# see _looks_like_actor. "recommended that the Council adopt …" is read like "demanded that".
_EXPECT_RE = re.compile(r"^(?:expect|want|recommend)", re.IGNORECASE)
_OPEN_VERBS = (
    r"(?:called|calls|call|asked|asks|ask|appealed|appeals) for|demanded|demands|demand"
    r"|(?:reiterated|repeated|renewed|reiterates|repeats|renews) (?:its|their) calls? for"
)
# "insisted on the need for the EU to press …", "stressed the need for the Commission to …"
# ask the EU, the Commission; with no one named ("the need for transparent allocation of
# state advertising") they state a principle, and stay context.
_NEED_FOR_VERBS = (
    r"(?:(?:insisted|insists|insist) on|(?:stressed|stresses|stress|underlined|underlines"
    r"|underline|emphasised|emphasises|emphasise|emphasized|emphasizes|emphasize|highlighted"
    r"|highlights|highlight|reiterated|reiterates|reiterate))"
    r" the (?:urgent |pressing )?need for"
)
# The open verbs are tried first, so "asked for the release" is read as "called for" rather
# than as "asked <someone> to" with "for the release" for an addressee.
_ACTIVE_VERB_RE = re.compile(
    r"\b(?:(?P<open>" + _OPEN_VERBS + r")|(?P<addressed>" + _ADDRESSED_VERBS + r")"
    r"|(?P<need>" + _NEED_FOR_VERBS + r"))\b",
    re.IGNORECASE,
)
# What makes an infinitive a demand NOT to act: "not to", "never to", "under no
# circumstances (,) to", "in no case to", "neither to … nor to".
_NEGATION = r"(?:not|never|neither|under no circumstances|in no case|on no account|at no time)"
_PASSIVE_RE = re.compile(
    r"\b(?:is|are|was|were|has been|have been) (?:" + _ADVERB + r" )*(?:called (?:on|upon)|urged"
    r"|asked|invited|requested|encouraged|exhorted|instructed)(?: " + _ADVERB + r")*"
    r"(?P<negation>,? " + _NEGATION + r",?)? to(?=[ :]|$)",
    re.IGNORECASE,
)
_SENTENCE_OPENER_RE = re.compile(
    r"^(?:(?:lastly|finally|furthermore|moreover|in addition|additionally|also|consequently"
    r"|therefore|in this regard|in this context|to this end|meanwhile|similarly|likewise"
    r"|above all|in particular|thus|however|at the same time|in the meantime|first|second"
    r"|third|firstly|secondly|thirdly|in conclusion)\b,? )+",
    re.IGNORECASE,
)
_TO_RE = re.compile(r"(?:,? )(?P<negation>" + _NEGATION + r",? )?to(?= |:|$)")
# The same words written as an aside before "to": "urged the Commission, under no
# circumstances, to resume …".
_NOT_ONLY_END_RE = re.compile(r",? not (?:only|just|merely|simply),?$", re.IGNORECASE)
_BUT_ALSO_RE = re.compile(r",? but also (?:to )?", re.IGNORECASE)
_NEGATIVE_ASIDE_END_RE = re.compile(r",? " + _NEGATION + r",?$", re.IGNORECASE)
_NEXT_WORD_RE = re.compile(r" ?([^ ]{0,40})")
# A second, separate demand inside the same sentence: "… and urged the Commission to …".
# After a semicolon Parliament may take the floor again without "and": "…; it further urged
# the Commission to …".
_SECOND_CALL_RE = re.compile(
    r"(?:[,;]? (?:and|while|whereas) |; )(?:it |parliament |members |the resolution )?"
    r"(?:" + _ADVERB + r" )*(?="
    r"(?:called|calls|call)(?:, [a-z][a-z ]{1,40},)? (?:on|upon) "
    r"|(?:urged|urges|asked|asks|invited|invites|requested|requests|encouraged|encourages)"
    r"(?: |, [a-z][a-z ]{1,40}, ))"
    # "…, urged the Commission to …, asked the EEAS to …": a comma alone, before a verb of
    # asking and whom it asks.
    r"|, (?=(?:called|calls) (?:on|upon) (?:the |its |all |[A-Z])"
    r"|(?:urged|urges|asked|asks|invited|invites|requested|requests|encouraged|encourages)"
    r" (?:the |its |all |[A-Z]))",
    re.IGNORECASE,
)
# A second demand in the passive: "…, and Europol is encouraged to …", "…; the Commission is
# requested to …". The addressee is a short capitalised phrase, so the look-ahead is bounded.
_SECOND_PASSIVE_CALL_RE = re.compile(
    r"(?:[,;]? (?:and|while|whereas) |; )(?=(?:the |its )?[A-Z][^ ,;]{0,40}(?: [^ ,;]{1,40}){0,6}"
    r" (?:is|are) (?:" + _ADVERB + r" )?(?:called (?:on|upon)|urged|asked|invited|requested"
    r"|encouraged|exhorted)(?:,? not)? to )"
)
# "They called on …" (active, so not "They are urged to …"), and a sentence opened by the
# Members ("Members condemned …", "In the text, MEPs …", but not "Members of the opposition").
_THEY_ACT_RE = re.compile(
    r"^They (?=(?:"
    + _ADVERB
    + r" )*(?:"
    + _OPEN_VERBS
    + r"|"
    + _ADDRESSED_VERBS
    + r"|"
    + _NEED_FOR_VERBS
    + r"|(?:insisted|insists|insist) that)\b)"
)
_MEMBERS_OPEN_RE = re.compile(
    r"^(?:[^,]{1,60}, )?(?:the )?(?:members|meps)\b(?! of\b)", re.IGNORECASE
)
# "Parliament insisted that the Iranian authorities must allow …": a demand on whoever stands
# between "that" and "must"/"should", if that is an actor (see _insisted_call).
_INSISTED_RE = re.compile(
    r"\b(?:insisted|insists|insist) that (?P<addressee>[^,;:.]{1,120}?) (?:must|should)"
    r"(?P<negation> not)? (?=[a-z])",
    re.IGNORECASE,
)
# "Parliament demanded that the Nicaraguan authorities release …", "insisted that the EU take
# …": a demand in the subjunctive, on whoever stands between "that" and the verb, when that is
# surely someone who can act (see _that_clause_call). The verb is a bare lower-case word; the
# clause is read word by word, at most _THAT_CLAUSE_WORDS of them, never past a clause break.
_THAT_CLAUSE_RE = re.compile(r"^ ?that ", re.IGNORECASE)
_INSISTED_THAT_RE = re.compile(r"\b(?:insisted|insists|insist) (?=that )", re.IGNORECASE)
_THAT_CLAUSE_WORDS = 12
# An aside between the addressee and the verb: "the Commission, as a matter of urgency, present".
_ASIDE_AFTER_ADDRESSEE_RE = re.compile(
    r"(?P<addressee>[^,;:()]{1,120}), (?P<aside>[^,;:()]{1,80}), (?P<rest>[a-z].*)", re.DOTALL
)
_MODAL_RE = re.compile(r"^(?:must|should|shall)(?P<negation> not)?$|^(?P<bare_negation>not)$")
# Words that continue a noun phrase or make the clause something other than a demand ("that
# the authorities are …", "that the Commission will …", "that the EU be …": a principle or a
# forecast, or a passive whose doer is not named).
_NOT_A_DEMANDED_VERB = frozenset(
    {
        "a", "an", "the", "of", "and", "or", "nor", "but", "in", "on", "at", "by", "for",
        "from", "to", "with", "without", "within", "as", "who", "whom", "whose", "which",
        "that", "is", "are", "was", "were", "be", "been", "being", "has", "have", "had",
        "will", "would", "could", "can", "may", "might", "do", "does", "did", "itself",
        "themselves", "concerned", "responsible", "involved", "alone", "only", "also",
    }
)  # fmt: skip
_DEMANDED_VERB_RE = re.compile(r"[a-z][a-z-]{1,30}")


_LATER_MODAL_RE = re.compile(r" and (?:must|should)(?P<negation> not)? (?=[a-z])")
_KNOWN_TARGETS = frozenset(
    {"Commission", "Council", "Member States", "EU", "EEAS", "VP/HR", "HR/VP"}
)
_TARGET_OF_COUNTRY_RE = re.compile(r"^(?:" + _alternation(set(_ROLES.values())) + r") of [A-Z]")
_ELIDED_SECOND_CALL_RE = re.compile(r"[,;]? and (?:also )?(?:on|upon) (?=(?:the )?[A-Z])")
# "called on the Council to adopt sanctions and the Commission to suspend funding": the verb
# is not repeated, only whom it asks: a known target after "the" ("cooperation between the EU
# and the African Union to tackle …", "support Armenia and Georgia to resist …" ask no one).
_ELIDED_ADDRESSEE_RE = re.compile(
    r"(?:[,;]? and |, )(?=(?P<addressee>(?:the|its) [A-Z][\w'-]*(?: [\w'-]+){0,5}) to [a-z])"
)
_MAX_ADDRESSEE_CHARS = 400
# Every resolution ends by instructing Parliament's President to forward it to those it
# concerns: a formality, never a demand to campaign on.
_FORWARDING_RE = re.compile(
    r"^(?:to )?(?:forward|transmit)\b[^.;]{0,80}?\b(?:this|the present|the) resolution\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _RawCall:
    addressee_as_written: str
    addressees: tuple[str, ...]
    explicit: bool
    action: str
    source: str


def _strip_trailing_joiners(text: str) -> str:
    """Drop what ends a bullet or sentence: ";", "; and", ".", ",", " or".

    Walks back with an index so a text of a million "; and" stays linear.
    """
    end = len(text)
    while end > 0:
        if text[end - 1] in " ;,.":
            end -= 1
        elif text.endswith(" and", 0, end):
            end -= 4
        elif text.endswith(" or", 0, end):
            end -= 3
        else:
            break
    return text[:end]


def _clean_action(action: str) -> str:
    action = _strip_trailing_joiners(action.strip().lstrip(": "))
    return re.sub(r"^to ", "", action, flags=re.IGNORECASE)


def _split_addressee_and_action(rest: str) -> tuple[str, str] | None:
    """Split "the Council and the Commission to act now" at the infinitive's "to".

    The first "to" followed by a lowercase, non-determiner word starts the action, so "the EU
    Special Representative to Kazakhstan to monitor" and "the delegation to the country to
    monitor" keep their "to" inside the addressee.
    """
    for match in _TO_RE.finditer(rest, 0, _MAX_ADDRESSEE_CHARS):
        addressee = rest[: match.start()].strip(" ,")
        if not addressee:
            continue
        next_word_match = _NEXT_WORD_RE.match(rest, match.end())
        # A quoted or bracketed verb is still the verb: to "recognise" …, to (re)open …
        next_word = next_word_match.group(1).lstrip("\"'(") if next_word_match else ""
        is_list_intro = next_word in ("", ":") or next_word.startswith(":")
        if not is_list_intro and (
            not next_word[:1].islower() or next_word.lower().strip(",;:") in _DETERMINERS
        ):
            continue
        action = rest[match.end() :]
        negated = match.group("negation") is not None
        not_only = _NOT_ONLY_END_RE.search(addressee)
        if not_only is not None:
            # "called on the Council not only to condemn but also to sanction …": what it
            # adds is the demand ("condemn and sanction" would be titled "Condemn …").
            addressee = addressee[: not_only.start()]
            but_also = _BUT_ALSO_RE.search(action)
            if but_also is not None:
                action = action[but_also.end() :]
        aside = _NEGATIVE_ASIDE_END_RE.search(addressee)
        if aside is not None:
            addressee, negated = addressee[: aside.start()].strip(" ,"), True
        if not addressee:
            continue
        if negated:
            action = negated_action(action)
        elif re.match(r"\s*not\b", action):  # "to not extradite"
            action = negated_action(action.strip()[len("not") :])
        return addressee, action
    return None


def negated_action(action: str) -> str:
    """The action of a demand not to act, as "not to …": "fund nor to endorse X" (after
    "neither to") becomes "not to fund or endorse X"."""
    action = re.sub(r",? nor (?:to )?", " or ", action.strip())
    return f"not to {action}"


def _addressed_call(
    *, addressee_as_written: str, action: str, source: str, previous: list[str],
    country: str | None, warnings: list[str],
) -> _RawCall | None:  # fmt: skip
    if _FORWARDING_RE.match(action.strip()):
        return None
    written = addressee_as_written.strip(" ,")
    written = _SENTENCE_OPENER_RE.sub("", written).strip()
    # "It" opens Parliament's own sentences ("It urged …"), but as the one asked ("… and urged
    # it to …", "It is invited to …") it is never Parliament: it is resolved like any pronoun.
    if not written or (_IS_ACTOR_RE.match(written) and written.lower() != "it"):
        return None
    pronoun = _SUBJECT_FORM.get(written.lower(), written.lower())
    if pronoun in _PRONOUNS:
        # (Inside "… and urged them to …" _with_cleaned_action replaces this with the first
        # call's addressees, the nearer antecedent.)
        actor = _resolve_pronoun(pronoun, previous)
        if actor is None:
            warnings.append(f'could not tell who "{written}" refers to in: {source[:120]}')
            addressees: tuple[str, ...] = ()
        else:
            addressees = normalise_addressees(actor, country=country)
    else:
        addressees = normalise_addressees(written, country=country)
    return _RawCall(
        addressee_as_written=written,
        addressees=addressees,
        explicit=True,
        action=action,
        source=source,
    )


def _sourced(call: _RawCall, source: str) -> _RawCall:
    """`call` quoting `source` (the bullet as written, not the sentence it was read as)."""
    return _RawCall(
        addressee_as_written=call.addressee_as_written,
        addressees=call.addressees,
        explicit=call.explicit,
        action=call.action,
        source=source,
    )


def _members_spoke_last(previous: list[str]) -> bool:
    """True when the sentences just before (past any that open with "They") open with
    "Members"/"MEPs", so a following "They called on …" is theirs."""
    for sentence in reversed(previous):
        if not sentence.startswith("They "):
            return _MEMBERS_OPEN_RE.match(sentence) is not None
    return False


_RELATIVE_BEFORE_ACTOR_RE = re.compile(r"\b(?:which|whom|whereby|where|when) ?$", re.IGNORECASE)


def _parliament_speaks(sentence: str, verb_at: int) -> bool:
    """True when Parliament is the subject of the verb at ``verb_at``: named right before it
    ("Lastly, Parliament also called on"), or opening a sentence whose verb follows "and"
    ("Parliament condemned X and called on Y")."""
    window = sentence[max(0, verb_at - 80) : verb_at]
    actor = _ACTOR_BEFORE_VERB_RE.search(window)
    if actor is not None:
        # "its previous resolutions, in which it called on …": a call it made before, recalled.
        return _RELATIVE_BEFORE_ACTOR_RE.search(window, 0, actor.start() + 1) is None
    return (
        _AND_BEFORE_VERB_RE.search(window) is not None
        and _ACTOR_OPENS_RE.match(sentence[:100]) is not None
    )


# Nouns that name those who can act, though written in lower case ("the authorities", "all
# parties to the conflict", "online platforms").
_ACTOR_NOUNS_RE = re.compile(
    r"\b(?:authorities|government|governments|states|institutions|parties|community"
    r"|countries|agencies|bodies|actors|platforms|companies|operators|organisations"
    r"|organizations|partners|donors|co-legislators|leaders|regime|junta|forces|courts)\b",
    re.IGNORECASE,
)


_ACTOR_BODY_RE = re.compile(
    r"(?:the |all |all the )(?:[a-z][\w-]* ){0,2}(?:authorities|government|governments|parties"
    r"|community|states|countries|institutions|donors|actors|partners|leaders)"
    r"(?: (?:to|of|in) the [\w -]{1,40})?",
    re.IGNORECASE,
)


def _looks_like_actor(written: str, country: str | None) -> bool:
    """True when ``written`` (an addressee as it stands) names someone who can act: a known
    target, a pronoun, a proper name ("Frontex", "the VP/HR") or a body ("the authorities")."""
    bare = _LEADING_DETERMINER_RE.sub("", written.strip(" ,")).strip()
    if not bare:
        return False
    if bare.lower() in _PRONOUNS or bare.lower() in _OBJECT_PRONOUNS:
        return True
    names = normalise_addressees(bare, country=country)
    if names and all(_is_known_target(name) for name in names):
        return True
    return bare[:1].isupper() or _ACTOR_NOUNS_RE.search(bare) is not None


def _is_known_target(name: str) -> bool:
    """A normalised addressee that is surely someone who can act: an EU institution, a state,
    a state's authorities ("Government of Iran"), or a person named with their title."""
    return (
        name in _KNOWN_TARGETS
        or name in COUNTRIES
        or _TARGET_OF_COUNTRY_RE.match(name) is not None
        or _PERSON_RE.fullmatch(name) is not None
    )


def _insisted_call(
    insisted: re.Match[str],
    sentence: str,
    previous: list[str],
    country: str | None,
    warnings: list[str],
) -> _RawCall | None:
    """Read "Parliament insisted that the Commission must not give in" as a call, when what
    stands between "that" and "must" is an actor ("… that any release of funds must be
    conditional" states a principle, and stays context)."""
    addressee = insisted.group("addressee")
    # Known targets, or a body named by its noun ("all parties", "the international
    # community"); "any release of funds must be conditional" names no one.
    if not (
        _names_known_targets(addressee, country) or _ACTOR_BODY_RE.fullmatch(addressee) is not None
    ):
        return None
    return _addressed_call(
        addressee_as_written=addressee,
        action=_modal_action(sentence[insisted.end() :], bool(insisted.group("negation"))),
        source=sentence,
        previous=previous,
        country=country,
        warnings=warnings,
    )


def _names_known_targets(written: str, country: str | None) -> bool:
    names = normalise_addressees(written, country=country)
    return bool(names) and all(_is_known_target(name) for name in names)


def _modal_action(rest: str, negated: bool) -> str:
    """The action after "must" (or "should", "not"): "… must end X and must not fund Y" asks
    to end X and not to fund Y (each later "must" shares the first one's "to")."""
    action = _LATER_MODAL_RE.sub(
        lambda later: " and not to " if later.group("negation") else " and ", rest.strip()
    )
    return f"not to {action}" if negated else action


def _that_clause_call(
    clause: str,
    sentence: str,
    previous: list[str],
    country: str | None,
    warnings: list[str],
    *,
    aside_removed: bool = False,
) -> _RawCall | None:
    """Read "that the Nicaraguan authorities release all political prisoners" (after "demanded",
    "asked", "insisted" …) as a call on the authorities to release them: the longest run of
    words after "that" that names known targets only ("Authorities of Nicaragua", "Commission",
    "President Ortega"), followed by a bare verb, optionally after "must", "should" or "not".
    None when no such reading exists ("that all funding be suspended", "that the situation
    improve"): the caller then keeps the clause as a demand with no one named."""
    opened = _THAT_CLAUSE_RE.match(clause)
    if opened is None:
        return None
    body = clause[opened.end() :]
    # Only the clause's own words: a semicolon, colon or parenthesis ends the search (a comma
    # may be inside a list of addressees: "the Commission, the Council and the EEAS act").
    head = re.split(r"[;:()]", body, maxsplit=1)[0]
    words = head.split(" ")[: _THAT_CLAUSE_WORDS + 2]
    found: tuple[int, bool] | None = None  # (words in the addressee, negated)
    for size in range(1, min(len(words) - 1, _THAT_CLAUSE_WORDS) + 1):
        verb_at = size
        negated = False
        modal = _MODAL_RE.match(words[verb_at])
        if modal is not None:
            negated = bool(modal.group("negation") or modal.group("bare_negation"))
            verb_at += 1
            if verb_at < len(words) and not negated and words[verb_at] == "not":
                negated, verb_at = True, verb_at + 1
        if verb_at >= len(words):
            break
        verb = words[verb_at].rstrip(".,!?")  # "… the Member States act."
        if (
            verb.lower() in _NOT_A_DEMANDED_VERB
            or _DEMANDED_VERB_RE.fullmatch(verb) is None
            or (verb.endswith("ed") and not verb.endswith("eed"))  # "the authorities concerned"
            or (verb.endswith("s") and not verb.endswith(("ss", "us")))  # a noun, or indicative
            or (verb.endswith("ing") and len(verb) > 5)  # a participle ("bring" is a verb)
        ):
            continue
        # The actor ends in a name or a noun for those who act ("the Nicaraguan authorities"),
        # never in a lower-case word a name could swallow ("Vice-President Murillo step").
        last = words[size - 1].rstrip(",")
        if not last[:1].isupper() and _ACTOR_NOUNS_RE.fullmatch(last) is None:
            continue
        if _names_known_targets(" ".join(words[:size]), country):
            found = (size, negated)  # the longest reading wins: "the Nicaraguan authorities"
    if found is None:
        aside = None if aside_removed else _ASIDE_AFTER_ADDRESSEE_RE.match(body)
        if aside is None:
            return None
        # "that the Commission, as a matter of urgency, present …": read without the aside
        # (one aside at most: a list pasted by the thousand is looked past once).
        return _that_clause_call(
            f"that {aside.group('addressee')} {aside.group('rest')}",
            sentence,
            previous,
            country,
            warnings,
            aside_removed=True,
        )
    size, negated = found
    addressee = " ".join(words[:size])
    rest = body[len(addressee) :].lstrip()
    while rest and _MODAL_RE.match(rest.split(" ", 1)[0]):  # past "must", "should", "not"
        rest = rest.split(" ", 1)[1] if " " in rest else ""
    return _addressed_call(
        addressee_as_written=addressee,
        action=_modal_action(rest, negated),
        source=sentence,
        previous=previous,
        country=country,
        warnings=warnings,
    )


def _call_for_actor(
    rest: str, sentence: str, previous: list[str], country: str | None, warnings: list[str]
) -> _RawCall | None:
    """Read "called for the EU to impose sanctions" as a call on the EU, when what stands
    before "to" names known targets only ("called for the release of X to be …" stays a
    demand with no one named)."""
    split = _split_addressee_and_action(rest)
    if split is None or not split[1].strip() or not _names_known_targets(split[0], country):
        return None
    return _addressed_call(
        addressee_as_written=split[0],
        action=split[1],
        source=sentence,
        previous=previous,
        country=country,
        warnings=warnings,
    )


# What may stand before "that" when a passive inside the clause is still Parliament's demand:
# "Parliament recalled that the Commission is urged to …". After "deplored that", "regretted
# that", "noted that" the passive reports what others were asked ("deplored that journalists
# were urged to reveal their sources"): campaigning on it would turn Parliament's words around.
_THAT_KEEPS_A_PASSIVE_CALL_RE = re.compile(
    r"\b(?:recall|stress|underline|emphasis|emphasiz|reiterat|insist|add|conclud|stat|consider"
    r"|believ|agree)\w*,? $",
    re.IGNORECASE,
)
_CLAUSE_BEFORE_PASSIVE_RE = re.compile(r"\b(?P<that>that) |[;:] ", re.IGNORECASE)
_RELATIVE_PRONOUN_END_RE = re.compile(r"\b(?:who|whom|which|whose \w+)$", re.IGNORECASE)


def _parliament_calls_before(sentence: str, end: int) -> bool:
    """True when Parliament makes an active call before ``end``: "Parliament called on X to …,
    and the IMF is called on to …" is read from its first call, which splits off the second."""
    return any(
        _parliament_speaks(sentence, verb.start())
        for verb in _ACTIVE_VERB_RE.finditer(sentence, 0, end)
    )


def _passive_addressee(before: str, passive: re.Match[str]) -> str | None:
    """Who a passive demand is addressed to ("the Commission is urged to"): the words since the
    clause began. None when the passive only reports what others were asked: inside "that"
    after anything but a neutral verb, in the past tense inside "that", or after "who"/"which"
    ("journalists, who were urged to …")."""
    window = before[-_MAX_ADDRESSEE_CHARS:]
    clause = max(_CLAUSE_BEFORE_PASSIVE_RE.finditer(window), key=lambda m: m.start(), default=None)
    if clause is not None and clause.group("that") is not None:
        present = passive.group(0).lower().startswith(("is ", "are "))
        if not present or _THAT_KEEPS_A_PASSIVE_CALL_RE.search(window[: clause.start()]) is None:
            return None
    addressee = window[clause.end() :] if clause is not None else window
    if _RELATIVE_PRONOUN_END_RE.search(addressee.strip(" ,")):
        return None
    return addressee


# "… called on X to …; it urged Y to …, and asked Z to …, while the Commission is called on
# to …": one long sentence may chain several demands, each on its own addressee.
_CHAINED_CALLS_AT_MOST = 8


_LEADING_ASIDE_RE = re.compile(r"^, [a-z][a-z-]*(?: [a-z][a-z-]*){0,5},(?= )")


def _calls_in_sentence(
    sentence: str,
    previous: list[str],
    country: str | None,
    warnings: list[str],
    *,
    splits_left: int = _CHAINED_CALLS_AT_MOST,
) -> list[_RawCall]:
    """Return the calls one sentence makes (usually zero or one)."""

    def addressed(addressee: str, action: str) -> _RawCall | None:
        return _addressed_call(
            addressee_as_written=addressee,
            action=action,
            source=sentence,
            previous=previous,
            country=country,
            warnings=warnings,
        )

    def cleaned(call: _RawCall) -> list[_RawCall]:
        return _with_cleaned_action(
            call,
            previous=previous if splits_left > 0 else None,
            country=country,
            warnings=warnings,
            splits_left=splits_left,
        )

    passive = _PASSIVE_RE.search(sentence)
    if passive is not None and not _parliament_calls_before(sentence, passive.start()):
        prefix = _passive_addressee(sentence[: passive.start()], passive)
        action = sentence[passive.end() :]
        if passive.group("negation"):
            action = negated_action(action)
        call = addressed(prefix, action) if prefix is not None else None
        if call is not None:
            return cleaned(call)

    insisted = _INSISTED_RE.search(sentence)
    if insisted is not None and _parliament_speaks(sentence, insisted.start()):
        call = _insisted_call(insisted, sentence, previous, country, warnings)
        if call is not None:
            return cleaned(call)
    insisted_that = _INSISTED_THAT_RE.search(sentence)
    if insisted_that is not None and _parliament_speaks(sentence, insisted_that.start()):
        clause = sentence[insisted_that.end() :]
        call = _that_clause_call(clause, sentence, previous, country, warnings)
        if call is not None:
            return cleaned(call)

    for verb in _ACTIVE_VERB_RE.finditer(sentence):
        if not _parliament_speaks(sentence, verb.start()):
            continue
        # "urges, in addition, the Member States to …": the aside is no addressee.
        rest = _LEADING_ASIDE_RE.sub("", sentence[verb.end() :])
        if verb.group("need") is not None:
            need = _split_addressee_and_action(rest)
            if need is None or not need[1].strip() or not _looks_like_actor(need[0], country):
                continue
            call = addressed(need[0], need[1])
            if call is not None:
                return cleaned(call)
            continue
        expects = _EXPECT_RE.match(verb.group(0)) is not None
        if expects and re.match(r" that\b", rest, re.IGNORECASE):
            # "expects that the situation will improve": a forecast, never a demand; but
            # "recommends that the Council adopt …" asks the Council, when it names an actor.
            if verb.group(0).lower().startswith("recommend"):
                call = _that_clause_call(rest, sentence, previous, country, warnings)
                if call is not None:
                    return cleaned(call)
            continue
        if verb.group("open") is not None or re.match(r" that\b", rest, re.IGNORECASE):
            # "demanded that the Commission open …" asks the Commission to open it, and
            # "called for the EU to impose sanctions" asks the EU to impose them.
            call = _that_clause_call(rest, sentence, previous, country, warnings)
            if call is None and verb.group("open") is not None:
                call = _call_for_actor(rest, sentence, previous, country, warnings)
            if call is not None:
                return cleaned(call)
            # "called for X" demands X; "demanded that X …" with no actor named keeps its
            # "that" for the summary.
            # "called for X; Parliament invited Y to …": Y's demand is a call of its own.
            return cleaned(
                _RawCall(
                    addressee_as_written="",
                    addressees=(),
                    explicit=False,
                    action=rest.strip(),
                    source=sentence,
                )
            )
        split = _split_addressee_and_action(rest)
        if split is None and rest.rstrip().endswith(":"):
            # "Parliament calls on the Saudi authorities:" followed by "a) to release …": the
            # list's items are the actions, and the addressee is all that stands here.
            written = rest.rstrip()[:-1].strip()
            if _looks_like_actor(written, country):
                split = (written, "")
        if expects and (split is None or not _looks_like_actor(split[0], country)):
            # "expects the situation to improve", "expects progress": forecasts, not demands.
            continue
        if split is None:
            # "Parliament urged restraint": a demand with no one named.
            return [
                _RawCall(
                    addressee_as_written="",
                    addressees=(),
                    explicit=False,
                    action=_clean_action(rest),
                    source=sentence,
                )
            ]
        addressee, action = split
        call = addressed(addressee, action)
        if call is not None:
            return cleaned(call)
    return []


def _with_cleaned_action(
    call: _RawCall,
    *,
    previous: list[str] | None = None,
    country: str | None = None,
    warnings: list[str] | None = None,
    splits_left: int = 0,
) -> list[_RawCall]:
    """Clean the action and split off a second, separately addressed demand if there is one
    (and from that one a third, and so on, `splits_left` times at most)."""
    action = call.action
    # The earliest of: "… and urged X to", "… and on X to" (sharing the first one's "called
    # on"), "… and X is urged to" (a sentence of its own, read as it stands).
    candidates = [
        (match.start(), match, prefix)
        for pattern, prefix in (
            (_SECOND_CALL_RE, "Parliament "),
            (_ELIDED_SECOND_CALL_RE, "Parliament called on "),
            (_SECOND_PASSIVE_CALL_RE, ""),
        )
        if (match := pattern.search(action)) is not None
    ]
    elided = next(
        (
            match
            for match in _ELIDED_ADDRESSEE_RE.finditer(action)
            if _names_known_targets(match.group("addressee"), country)
        ),
        None,
    )
    if elided is not None:
        candidates.append((elided.start(), elided, "Parliament called on "))
    second: re.Match[str] | None = None
    prefix = ""
    if candidates:
        _, second, prefix = min(candidates, key=lambda candidate: candidate[0])
    extra: list[_RawCall] = []
    if second is not None and previous is not None and warnings is not None:
        tail = f"{prefix}{action[second.end() :]}"
        # A bounded chain: a longer one stays in the last call's action.
        tail_warnings: list[str] = []
        extra = _calls_in_sentence(
            tail, previous, country, tail_warnings, splits_left=splits_left - 1
        )
        # "… and asked them to …": "them" is the first call's addressee (below), so a warning
        # that the pronoun could not be resolved from earlier sentences would mislead.
        resolved = tuple(
            f'could not tell who "{c.addressee_as_written}" refers to'
            for c in extra
            if c.addressee_as_written.lower() in _OBJECT_PRONOUNS
        )
        warnings.extend(w for w in tail_warnings if not w.startswith(resolved))
        extra = [
            _RawCall(
                addressee_as_written=c.addressee_as_written,
                # "… and urged them not to …": the pronoun is the first call's addressee.
                addressees=(
                    call.addressees
                    if c.addressee_as_written.lower() in _OBJECT_PRONOUNS
                    else c.addressees
                ),
                explicit=c.explicit,
                action=c.action,
                source=call.source,
            )
            for c in extra
            if c.explicit
        ]
        if extra:
            action = action[: second.start()]
    cleaned = _RawCall(
        addressee_as_written=call.addressee_as_written,
        addressees=call.addressees,
        explicit=call.explicit,
        action=_clean_action(action),
        source=call.source,
    )
    return [cleaned, *extra]


# ---------------------------------------------------------------------------------------------
# Kinds
# ---------------------------------------------------------------------------------------------

_FINANCING_RE = re.compile(
    r"\b(?:halt|suspend|freez|stop|cut|withh[oe]ld|withdraw|ceas|discontinu|terminat|redirect"
    r"|reconsider|condition|block)\w*\b[^.;]{0,40}?\b(?:financ\w*|funding|funds|loans?|lending"
    r"|budget support|financial (?:support|assistance|aid)|disbursements?|investments?"
    r"|grants?|payments?|macro-financial assistance)\b"
    r"|\b(?:financ\w*|funding|funds|loans?|budget support)\b[^.;]{0,40}?\b(?:be |being )?"
    r"(?:halted|suspended|frozen|stopped|withheld|withdrawn|terminated|conditional)\b",
    re.IGNORECASE,
)
_SANCTIONS_RE = re.compile(
    r"\bsanction\w*|\brestrictive measures\b|\basset freezes?\b|\bfreez\w* (?:the |their )?"
    r"assets\b|\btravel bans?\b|\bvisa bans?\b|\bmagnitsky\b|\bhuman rights sanctions regime\b",
    re.IGNORECASE,
)
_INVESTIGATION_RE = re.compile(
    r"\binvestigat(?:e|es|ed|ing|ion|ions|ive)\b|\binquir(?:y|ies)\b|\benquir(?:y|ies)\b|\bfact-finding\b|\bprobe\b"
    r"|\baccountability mechanism\b|\bcommission of inquiry\b",
    re.IGNORECASE,
)
_OTHER_RE = re.compile(
    r"^(?:continue|keep|closely monitor|monitor|remain|stand ready|follow|report|maintain"
    r"|consider|reflect|take note|take into account|pay (?:close )?attention|engage|assess)\b",
    re.IGNORECASE,
)


# Where a call's first demand ends: "release X; to end Y; and to lift travel bans" is a
# demand to release, whatever the later clauses mention (the title names the first one too).
# A condition after a comma is not the demand either: "continue funding UNRWA, subject to the
# outcome of the investigation" asks for funding, not an investigation.
_FURTHER_DEMAND_RE = re.compile(
    r";|,? and to (?=[a-z])|, to (?=[a-z])"
    r"|, (?:subject to|provided that|on condition that|pending|unless|until) "
)
# Lifting a ban is no sanction: "lift travel bans against activists".
_LIFTED_BAN_RE = re.compile(
    r"\b(?:lift|lifting|revoke|revoking|end|ending)\s(?:the |all |any |their )?"
    r"(?:travel|visa|exit) bans?\b",
    re.IGNORECASE,
)


def _kind(action: str) -> CallKind:
    action = _LIFTED_BAN_RE.sub("", _FURTHER_DEMAND_RE.split(action, maxsplit=1)[0])
    if _FINANCING_RE.search(action):
        return "financing"
    if _SANCTIONS_RE.search(action):
        return "sanctions"
    if _INVESTIGATION_RE.search(action):
        return "investigation"
    if _OTHER_RE.match(action):
        return "other"
    return "demand"


# ---------------------------------------------------------------------------------------------
# The parser
# ---------------------------------------------------------------------------------------------


def _may_call(text: str) -> bool:
    """False when ``text`` holds none of the verbs a call is made with (a cheap test before
    `_calls_in_sentence`, for the bullets of a long list)."""
    return (
        _ACTIVE_VERB_RE.search(text) is not None
        or _PASSIVE_RE.search(text) is not None
        or _INSISTED_THAT_RE.search(text) is not None
    )


def _bullet_calls(
    text: str, actor_list: bool, previous: list[str], country: str | None, warnings: list[str]
) -> list[_RawCall]:
    """The calls a bullet makes by itself, or, in a list Parliament introduced ("Parliament:"),
    as Parliament's sentence ("- called on the authorities to …")."""
    if not _may_call(text):
        return []
    found = _calls_in_sentence(text, previous, country, warnings)
    if not found and actor_list:
        # Each sentence of a numbered paragraph is Parliament's: "1. Calls on the Commission
        # to propose a directive. Urges the Member States to transpose it."
        for sentence in _split_sentences(text):
            found += _calls_in_sentence(f"Parliament {sentence}", previous, country, warnings)
    return found


def _makes_a_call(
    text: str, *, actor_list: bool, previous: list[str], country: str | None, warnings: list[str]
) -> bool:
    return bool(_bullet_calls(text, actor_list, previous, country, warnings))


# An item's words that run on into its sub-items ("ensure that:" + "(a) X is protected").
_RUNS_ON_RE = re.compile(
    r"\b(?:that|to|on|for|of|the|with|by|in|from|into|against|whether)$", re.IGNORECASE
)


# A list written inline: "to: (a) publish X; (b) condition Y; and (c) report Z".
_INLINE_ITEM_RE = re.compile(r"(?:^|;\s*(?:and\s+)?)\(?(?P<label>[a-h]|i{1,3}|iv|vi{0,3})\)\s+")


def _inline_items(call: _RawCall) -> list[_RawCall]:
    """A call whose action is an inline list of two or more lettered (or numbered in roman)
    items, each one a call of its own on the same addressees."""
    if not call.action.startswith(("(a) ", "a) ", "(i) ", "i) ")):
        return [call]
    marks = list(_INLINE_ITEM_RE.finditer(call.action))
    if len(marks) < 2:
        return [call]
    ends = [mark.start() for mark in marks[1:]] + [len(call.action)]
    items = [
        _clean_action(call.action[mark.end() : end]) for mark, end in zip(marks, ends, strict=True)
    ]
    return [
        _RawCall(
            addressee_as_written=call.addressee_as_written,
            addressees=call.addressees,
            explicit=call.explicit,
            action=item,
            source=call.source,
        )
        for item in items
        if item
    ]


def _item_call(intro: _RawCall, action: str, source: str) -> _RawCall:
    """A list item's call: the intro's addressees, the item's action (completing the intro's
    own "ensure that:", if it has one)."""
    # (A demand naming no one, "urged the following measures:", lists the demands themselves.)
    stem = intro.action[:-1].rstrip() if intro.explicit and intro.action.endswith(":") else ""
    return _RawCall(
        addressee_as_written=intro.addressee_as_written,
        addressees=intro.addressees,
        explicit=intro.explicit,
        action=_completed(stem, action) if stem else action,
        source=source,
    )


def _completed(stem: str, item: str) -> str:
    """ "ensure that" + "journalists are protected", "take these steps" + "repeal the law"."""
    return f"{stem}{' ' if _RUNS_ON_RE.search(stem) else ': '}{item}"


def _list_item_calls(
    intro: _RawCall,
    blocks: list[tuple[bool, str]],
    markers: list[str],
    index: int,
    previous: list[str],
    until: Callable[[str], bool] | None = None,
    outer: str = "",
) -> tuple[list[_RawCall], int]:
    """The bullets from ``blocks[index]`` on as calls on ``intro``'s addressees ("… called on
    the Council to:" then "- adopt …"), up to the first block that is no bullet or for which
    ``until`` says the list has ended; returns them and the index of the block after them.
    An item ending in ":" above bullets of another kind ("• ensure that:" then "(a) …",
    "(b) …") is completed by each of them: "ensure that X", "ensure that Y"."""
    calls: list[_RawCall] = []
    # A list opened by a bullet, in bullets of another kind, ends where bullets of the opening
    # one's kind go on: "4. Urges the Council to:" with "(a) …", "(b) …" ends at "5. Recalls".
    # (Written with the same bullets, only `until` can tell where it ends.)
    if index < len(markers) and markers[index] == outer:
        outer = ""
    while index < len(blocks) and blocks[index][0] and not (outer and markers[index] == outer):
        bullet_text = blocks[index][1]
        if until is not None and until(bullet_text):
            break
        action = _clean_action(bullet_text)
        nested = markers[index + 1] if index + 1 < len(markers) else ""
        if (
            action.endswith(":")
            and index + 1 < len(blocks)
            and blocks[index + 1][0]
            and nested != markers[index]
        ):
            stem = action[:-1].rstrip()
            previous.append(bullet_text)
            index += 1
            while index < len(blocks) and blocks[index][0] and markers[index] == nested:
                sub_action = _clean_action(blocks[index][1])
                if sub_action:
                    source = f"{bullet_text} {blocks[index][1]}"
                    calls.append(_item_call(intro, _completed(stem, sub_action), source))
                previous.append(blocks[index][1])
                index += 1
            del previous[:-5]
            continue
        if action:
            calls.append(_item_call(intro, action, bullet_text))
        previous.append(bullet_text)
        del previous[:-5]
        index += 1
    return calls, index


def parse_oeil_summary(text: str) -> ParsedResolution:
    """Read an OEIL summary (as pasted by an organiser) into metadata, context and calls.

    Never raises: anything it cannot read is reported in ``warnings``.
    """
    try:
        return _parse(text)
    except Exception as error:
        # A parser bug must degrade into a warning the organiser sees, not a 500 on the import
        # page; the fuzz test asserts this branch is never reached for any input.
        return ParsedResolution(
            title="",
            procedure_reference=None,
            adopted_on=None,
            stage=None,
            votes_for=None,
            votes_against=None,
            abstentions=None,
            subject=None,
            country=None,
            context=(),
            calls=(),
            warnings=(f"internal parser error ({type(error).__name__}); please report this text",),
        )


# The commonest English words: about 30% of any English summary, none of a French, German,
# Spanish or Italian one. Below the threshold the text is in another language.
_ENGLISH_WORDS = frozenset(
    {"the", "of", "and", "to", "is", "are", "was", "were", "that", "for", "with", "by", "its",
     "their", "this", "it", "from", "has", "have", "be", "on", "which", "as", "called", "urged"}
)  # fmt: skip
_ENGLISH_SHARE = 0.12
# Fewer words than this (a title, a sentence) are too few to judge.
_LANGUAGE_MIN_WORDS = 20
# The first words are enough to judge, and the bound keeps the check cheap on any input.
_LANGUAGE_SAMPLE_CHARS = 20_000
_WORD_RE = re.compile(r"[^\W\d_]+")
_NOT_ENGLISH_WARNING = (
    "the text does not look like English; only English Legislative Observatory summaries "
    "can be read (choose English on the OEIL page)"
)


def _looks_english(lines: list[str]) -> bool:
    sample = " ".join(lines)[:_LANGUAGE_SAMPLE_CHARS].lower()
    words = _WORD_RE.findall(sample)
    if len(words) < _LANGUAGE_MIN_WORDS:
        return True
    english = sum(1 for word in words if word in _ENGLISH_WORDS)
    return english >= _ENGLISH_SHARE * len(words)


def _parse(text: str) -> ParsedResolution:
    warnings: list[str] = []
    if isinstance(text, str) and _looks_like_html(text):
        text = _html_to_text(text)
        warnings.append(HTML_STRIPPED_WARNING)
    lines = _normalise_text(text) if isinstance(text, str) else []
    non_empty = [index for index, line in enumerate(lines) if line]
    if not non_empty:
        warnings.append("the text is empty")

    # A copy of the whole OEIL page starts with its chrome ("Legislative Observatory",
    # "Summary"), and may put reference, title, stage and date on lines of their own.
    head = non_empty[:_HEAD_LINES]
    header_date: date | None = None
    for index in head:
        if _PAGE_CHROME_RE.match(lines[index]):
            lines[index] = ""
        elif header := _TEXTS_ADOPTED_HEADER_RE.match(lines[index]):
            if header.group("date"):
                header_date = _parse_date(header.group("date"))
            lines[index] = ""
    non_empty = [index for index in non_empty if lines[index]]

    # Title: a markdown heading, or a plain first line that is not itself the summary.
    title = ""
    if non_empty:
        first = lines[non_empty[0]]
        if first.startswith("#"):
            title = first.lstrip("#").strip()
            lines[non_empty[0]] = ""
        elif _looks_like_title(first):
            title = first
            lines[non_empty[0]] = ""
        else:  # "2023/2744(RSP)" on its own line, the title on the next ones
            for index in non_empty[:_HEAD_LINES]:
                if _RESOLUTION_TITLE_RE.match(lines[index]) and _looks_like_title(lines[index]):
                    title = lines[index]
                    lines[index] = ""
                    break

    # "Resolution on … (2022/2696(RSP))": the reference is shown beside the title anyway, and
    # is kept in case no metadata line gives it.
    title_reference = _REFERENCE_RE.search(title)
    title = _REFERENCE_AFTER_TITLE_RE.sub("", title).strip() or title

    # Metadata line: "2022/2505(RSP) - 20/01/2022 - Text adopted by Parliament, single reading".
    reference: str | None = None
    adopted_on: date | None = None
    stage: str | None = None
    for index, line in enumerate(lines):
        metadata = _METADATA_RE.search(line)
        if metadata is None:
            continue
        reference = _clean_reference(metadata.group("reference"))
        adopted_on = _parse_date(metadata.group("date"))
        if adopted_on is None:
            warnings.append(f"invalid adoption date {metadata.group('date')!r}")
        stage = (metadata.group("stage") or "").strip(" .-") or None
        if metadata.start() <= 3:
            lines[index] = ""
        break
    if reference is None or adopted_on is None or stage is None:
        # The page's own layout: each on a line of its own near the top ("05/10/2023",
        # "Date: 05/10/2023", "13/07/2023 - 2023/2631(RSP) - …", "Text adopted by …").
        for index in non_empty[:_HEAD_LINES]:
            line = lines[index]
            for _ in range(2):  # the date before or after the reference
                if adopted_on is None and (dated := _HEAD_DATE_RE.match(line)):
                    adopted_on = _parse_date(dated.group("date"))
                    line = line[dated.end() :].strip(" -\u2013\u2014:|")
                if reference is None and (leading := _STARTS_WITH_REFERENCE_RE.match(line)):
                    reference = _clean_reference(leading.group(0).lstrip("("))
                    line = line[leading.end() :].strip(" )-\u2013\u2014:|")
            if stage is None and _STAGE_LINE_RE.match(line):
                stage = line.strip(" .-")
                line = ""
            lines[index] = line
    if adopted_on is None:
        # The "texts adopted" layout: "European Parliament resolution of 14 March 2024 on …",
        # or its page's header.
        in_title = _DATE_IN_TITLE_RE.search(title) or next(
            (
                found
                for found in map(_DATE_IN_TITLE_RE.search, (lines[i] for i in head))
                if found is not None
            ),
            None,
        )
        adopted_on = _parse_date(in_title.group("date")) if in_title else header_date
    if reference is None:
        in_text = title_reference or _REFERENCE_RE.search("\n".join(lines))
        if in_text is not None:
            reference = _clean_reference(in_text.group(1))
    if reference is None:
        warnings.append("no procedure reference found")
    if adopted_on is None and not any(w.startswith("invalid adoption date") for w in warnings):
        warnings.append("no adoption date found")
    if stage is None:
        warnings.append("no procedure stage found")

    marked = _marked_blocks(lines)
    blocks = [(block.is_bullet, block.text) for block in marked]
    markers = [block.marker for block in marked]

    # Votes and subject come from the "The European Parliament adopted by …" sentence.
    votes_for, votes_against, abstentions, subject = _votes_and_subject(blocks, warnings)
    if subject is None and title:
        title_subject = _SUBJECT_IN_TITLE_RE.match(_REFERENCE_RE.sub("", title).strip(" ()"))
        if title_subject is not None:
            subject = title_subject.group("subject").strip(" .") or None
    if not title:
        if subject is not None:
            title = f"Resolution on {subject}"
            warnings.append("no title line found; title derived from the vote sentence")
        else:
            warnings.append("no title found")
    # The vote sentence's subject when it names a country, else the title's.
    place_text = subject if subject and _COUNTRY_OR_DEMONYM_RE.search(subject) else title
    country = find_place(place_text)

    context: list[str] = []
    raw_calls: list[_RawCall] = []
    previous: list[str] = []
    # Parliament made the list's intro ("Parliament:", "The resolution also:"), so each of its
    # bullets is a sentence of Parliament's ("- called on the authorities to …").
    actor_list = False
    # The "texts adopted" layout: "The European Parliament," then its recitals ("– having
    # regard to …", "A. whereas …") and its numbered paragraphs, each a sentence of
    # Parliament's ("1. Calls on …"), to the end of the text. Its title says so too, when the
    # paste starts there and skips the rest ("European Parliament resolution of …", then
    # "1. Calls on …").
    adopted_layout = _ADOPTED_TITLE_RE.match(title) is not None
    actor_list = adopted_layout

    def own_call(in_actor_list: bool) -> Callable[[str], bool]:
        """Does a bullet make a call of its own (and so end the list above it)?"""
        return functools.partial(
            _makes_a_call,
            actor_list=in_actor_list,
            previous=previous,
            country=country,
            warnings=warnings,
        )

    index = 0
    while index < len(blocks):
        is_bullet, block_text = blocks[index]
        index += 1
        if _TEXTS_ADOPTED_INTRO_RE.match(block_text):
            actor_list = adopted_layout = True
            continue
        if adopted_layout and _RECITAL_RE.match(block_text):
            # Recitals state facts and others' words ("whereas the UN has called on …"),
            # never Parliament's demands.
            context.append(block_text)
            continue
        if is_bullet:
            # A bullet outside a "… called on to:" list is a call only when it says so itself
            # ("- Parliament called on …", "- the Commission is urged to …"); else background.
            found = _bullet_calls(block_text, actor_list, previous, country, warnings)
            opens_a_list = bool(found) and (not found[0].action or found[0].action.endswith(":"))
            if opens_a_list and index < len(blocks) and blocks[index][0]:
                # "- called on the EU to:" with its own items below ("(a) add …; (b) support
                # …"): each item is a call on the EU, up to the next bullet that makes a call
                # of its own (the outer list goes on) or the end of the list.
                items, index = _list_item_calls(
                    found[0],
                    blocks,
                    markers,
                    index,
                    previous,
                    until=own_call(actor_list),
                    outer=markers[index - 1],
                )
                raw_calls.extend(items)
                previous.append(block_text)
                del previous[:-5]
                continue
            found = [call for call in found if call.action]
            if found:
                raw_calls.extend(
                    call if call.source == block_text else _sourced(call, block_text)
                    for call in found
                )
            else:
                context.append(block_text)
            previous.append(block_text)
            del previous[:-5]
            continue
        actor_list = adopted_layout
        kept: list[str] = []
        sentences = _split_sentences(block_text)
        for position, sentence in enumerate(sentences):
            found = _calls_in_sentence(sentence, previous, country, warnings)
            if not found and _THEY_ACT_RE.match(sentence) and _members_spoke_last(previous):
                # "Members condemned X. They called on Y to …": "they" are the Members.
                as_members = f"Members {sentence[len('They ') :]}"
                found = [
                    _sourced(call, sentence)
                    for call in _calls_in_sentence(as_members, previous, country, warnings)
                ]
            # "… calls on the Council to:" introduces a list, and so does "… calls on the
            # Council to" without its colon: a call whose action is all in the bullets below.
            is_list_intro = (
                position == len(sentences) - 1
                and (sentence.endswith(":") or bool(found and not any(c.action for c in found)))
                and index < len(blocks)
                and blocks[index][0]
            )
            if is_list_intro:
                if found:
                    # Up to a bullet that makes a call of its own ("- Parliament also called
                    # on the Council to …"), which the bullet branch above then reads.
                    items, index = _list_item_calls(
                        found[0], blocks, markers, index, previous, until=own_call(False)
                    )
                    raw_calls.extend(items)
                else:
                    actor_list = _ACTOR_INTRO_RE.search(sentence) is not None
                    kept.append(sentence)
            elif found:
                for call in found:
                    if call.action:
                        raw_calls.append(call)
                    else:
                        warnings.append(f"a call with no action was skipped: {sentence[:120]}")
            else:
                kept.append(sentence)
            previous.append(sentence)
            del previous[:-5]
        if kept:
            context.append(" ".join(kept))

    raw_calls = [item for call in raw_calls for item in _inline_items(call)]
    if adopted_layout:
        # A text adopted states neither the vote nor the procedure's stage: saying so for
        # each one is noise.
        warnings[:] = [w for w in warnings if w not in _NOT_IN_A_TEXT_ADOPTED]
    if not _looks_english(lines):
        # Every pattern here is English: in a French or German summary nothing reads right,
        # and any "call" found would be a stray English fragment.
        warnings.insert(0, _NOT_ENGLISH_WARNING)
        raw_calls = []
    if not raw_calls:
        warnings.append("no calls found")

    calls = tuple(
        ParsedCall(
            position=position,
            addressee_as_written=raw.addressee_as_written,
            addressees=raw.addressees,
            action=raw.action,
            kind=_kind(raw.action),
            source_sentence=raw.source,
            has_explicit_addressee=raw.explicit,
        )
        for position, raw in enumerate(raw_calls, start=1)
    )
    return ParsedResolution(
        title=title,
        procedure_reference=reference,
        adopted_on=adopted_on,
        stage=stage,
        votes_for=votes_for,
        votes_against=votes_against,
        abstentions=abstentions,
        subject=subject,
        country=country,
        context=tuple(context),
        calls=calls,
        warnings=tuple(warnings),
    )
