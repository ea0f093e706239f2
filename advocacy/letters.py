"""Letters to MEPs: drafting, the supporter's request, confirmation, paced delivery, cancel.

Flow: a supporter picks a country, sees the MEPs the campaign targets there
(`letter_targets_list`), gets one personalised draft per chosen MEP (`letter_drafts_build`),
may edit it unless the organiser locked the text, and submits (`letter_request_create`): the
letters are stored `awaiting_confirmation` and one confirmation mail goes out. Opening the
signed link (`letter_request_confirm`) queues each letter in the outbox — paced per MEP, in
test mode redirected to the organisation's test address — plus the supporter's copy.

Every mail is an outbox row written in the transaction of the action that caused it.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import formataddr
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Field, Model, Q, QuerySet
from django.db.models.functions import MD5
from django.utils import timezone

from advocacy.emails import (
    header_text,
    organisation_sender,
    token_url,
    unsubscribe_headers,
    unsubscribe_url,
)
from advocacy.models import (
    Channel,
    ConsentPurpose,
    EmailKind,
    Letter,
    LetterRequest,
    LetterRequestStatus,
    LetterStatus,
    OutboundEmail,
    OutboundEmailStatus,
    Supporter,
)
from advocacy.outbox import (
    OutboundEmailFields,
    OutboundEmailVariant,
    outbound_email_create,
    outbound_emails_alike,
    outbound_emails_publish_due,
    outbound_emails_write_alike,
)
from advocacy.supporters import (
    consent_record,
    person_fields_clean,
    supporter_get_or_create_locked,
    unconfirmed_purge,
)
from advocacy.tokens import token_make, token_read
from campaign.directory import (
    display_last_name,
    mep_list_with_details,
    mep_vote_positions,
    roll_call_get_final,
)
from campaign.models import (
    BodyMembership,
    BodyRole,
    Campaign,
    CampaignStatus,
    LetterTemplate,
    Mep,
    Organisation,
    RollCall,
)
from campaign.targeting import TargetingRule, meps_targeted_by_any, targeting_parse
from campaign.templating import (
    EU_COUNTRIES,
    SupporterValues,
    bad_character,
    merge_values,
    template_choose,
    template_render,
)
from config.errors import DomainError, NotFoundError
from config.memo import memo
from config.rows import AlikeRows, columns_sql, instances_from_row, rows_alike, rows_insert

CONFIRM_PURPOSE = "letter_confirm"
CONSENT_VERSION = 1
PERSONAL_NOTE_MAX_LENGTH = 1000
TEST_PREFIX = "[TEST] "
NO_EMAIL_REASON = "This MEP has no published e-mail address; the letter was not sent."


class LetterInvalidError(DomainError):
    code = "letter_invalid"
    status = 400


class CountryUnknownError(DomainError):
    code = "country_unknown"
    status = 400


class ConsentRequiredError(DomainError):
    code = "consent_required"
    status = 400


class LetterLockedError(DomainError):
    code = "letter_locked"
    status = 400


class MepNotTargetedError(DomainError):
    code = "mep_not_targeted"
    status = 400


class CampaignNotFoundError(NotFoundError):
    code = "campaign_not_found"


class CampaignNotLiveError(DomainError):
    code = "campaign_not_live"
    status = 409


class LetterRequestNotFoundError(NotFoundError):
    code = "letter_request_not_found"


def consent_text(*, organisation_name: str) -> str:
    return (
        f"I agree that {organisation_name} stores my name, e-mail address and city to send "
        "my letters to Members of the European Parliament on my behalf. The letters carry my "
        "name, and my e-mail address as the reply address."
    )


# --- Reading: the campaign, its targets, drafts ---------------------------------------------


def campaign_get_for_letters(*, slug: str) -> Campaign:
    """A live campaign with at least one letter template, or CampaignNotFoundError."""
    campaign = (
        Campaign.objects.select_related("organisation", "call__resolution")
        .prefetch_related("letter_templates")
        .filter(slug=slug, status=CampaignStatus.LIVE)
        .first()
    )
    if campaign is None or not campaign.letter_templates.all():
        raise CampaignNotFoundError("There is no letter campaign here.")
    return campaign


def _templates(campaign: Campaign) -> list[LetterTemplate]:
    return list(campaign.letter_templates.all())


def _rules(campaign: Campaign) -> list[tuple[LetterTemplate, TargetingRule]]:
    return [(t, targeting_parse(t.targeting)) for t in _templates(campaign)]


def _roll_call(campaign: Campaign, rules: Sequence[TargetingRule]) -> RollCall | None:
    """The vote `mep.vote` speaks of: the one a rule targets on, else the final vote on the
    campaign's resolution."""
    for rule in rules:
        if rule.roll_call_ep_id is not None:
            found = RollCall.objects.filter(ep_id=rule.roll_call_ep_id).first()
            if found is not None:
                return found
    resolution = campaign.call.resolution if campaign.call else None
    if resolution is None:
        return None
    return roll_call_get_final(procedure_reference=resolution.procedure_reference)


def clean_country_code(country: str) -> str:
    code = (country or "").strip().upper()
    if code not in EU_COUNTRIES:
        raise CountryUnknownError(
            "Please choose an EU member state.", fields={"country": ["Unknown country."]}
        )
    return code


@dataclass(frozen=True)
class BodyRoleView:
    code: str
    name: str
    role: str


@dataclass
class LetterTarget:
    mep: Mep
    template: LetterTemplate
    vote: str
    roles: list[BodyRoleView]
    committees: list[str]

    @property
    def full_name(self) -> str:
        return f"{self.mep.first_name} {display_last_name(self.mep.last_name)}".strip()

    @property
    def has_email(self) -> bool:
        return bool(self.mep.email)


def letter_targets_list(*, campaign: Campaign, country: str) -> list[LetterTarget]:
    """The MEPs of `country` the campaign targets (the union of its templates' rules), each
    with the template it gets, how it voted, and its roles on the bodies the rules name
    (or its committees). Queries: a fixed handful, whatever the number of MEPs; and none
    when this process worked it out less than PAGE_CACHE_SECONDS ago (config/memo.py):
    every supporter of a country sees the same list, which costs ~15 ms of ORM work."""
    country = clean_country_code(country)
    return memo.get_or_set(
        f"targets:{campaign.pk}:{country}",
        lambda: _letter_targets_load(campaign=campaign, country=country),
        settings.PAGE_CACHE_SECONDS,
    )


def _letter_targets_load(*, campaign: Campaign, country: str) -> list[LetterTarget]:
    rules = _rules(campaign)
    meps = list(
        mep_list_with_details(
            meps=meps_targeted_by_any(
                rules=[rule for _, rule in rules], supporter_country=country
            ).filter(country_code=country)
        ).order_by("last_name", "first_name")
    )
    if not meps:
        return []
    # Which template reaches which MEP: the country-language one among those whose rule
    # reaches it (templates are few; one query each).
    reached: dict[int, list[LetterTemplate]] = {mep.pk: [] for mep in meps}
    if len(rules) == 1:
        for mep in meps:
            reached[mep.pk].append(rules[0][0])
    else:
        from campaign.targeting import meps_targeted

        for template, rule in rules:
            ids = set(
                meps_targeted(rule=rule, supporter_country=country)
                .filter(pk__in=reached)
                .values_list("pk", flat=True)
            )
            for mep_id in ids:
                reached[mep_id].append(template)
    roll_call = _roll_call(campaign, [rule for _, rule in rules])
    votes = mep_vote_positions(roll_call=roll_call, meps=meps) if roll_call else {}
    body_codes = {body.code for _, rule in rules for body in rule.bodies}
    targets = []
    for mep in meps:
        memberships: list[BodyMembership] = getattr(mep, "current_memberships", [])
        if body_codes:
            relevant = [m for m in memberships if m.body.code in body_codes]
        else:
            # No body named: committees, and any body the MEP chairs or vice-chairs.
            relevant = [
                m
                for m in memberships
                if m.body.body_type == "committee"
                or m.role in (BodyRole.CHAIR, BodyRole.VICE_CHAIR)
            ]
        targets.append(
            LetterTarget(
                mep=mep,
                template=template_choose(templates=reached[mep.pk], country_code=country),
                vote=votes.get(mep.pk, ""),
                roles=[
                    BodyRoleView(m.body.code, m.body.name, BodyRole(m.role).label)
                    for m in sorted(relevant, key=lambda m: (m.body.code, m.role))
                ],
                committees=sorted(
                    m.body.name or m.body.code
                    for m in memberships
                    if m.body.body_type == "committee"
                    and m.role in (BodyRole.CHAIR, BodyRole.VICE_CHAIR, BodyRole.MEMBER)
                ),
            )
        )
    return targets


# --- Composition: no two letters to one MEP alike --------------------------------------------

# Deterministic per supporter (a hash of who they are), so a preview and the stored letter
# agree, and letters from different supporters differ even when nobody edits a word.
_OPENINGS: dict[str, tuple[str, ...]] = {
    "en": (
        "I am writing to you as a citizen from {place}.",
        "As a constituent from {place}, I am writing to you today.",
        "I am contacting you from {place} about a matter I care about deeply.",
        "Writing from {place}, I would like to ask for your support.",
    ),
    "de": (
        "ich schreibe Ihnen als Bürgerin oder Bürger aus {place}.",
        "als Wählerin oder Wähler aus {place} wende ich mich heute an Sie.",
        "ich wende mich aus {place} mit einem Anliegen an Sie, das mir sehr wichtig ist.",
        "aus {place} schreibe ich Ihnen, um Sie um Ihre Unterstützung zu bitten.",
    ),
    "fr": (
        "Je vous écris en tant que citoyen·ne de {place}.",
        "Depuis {place}, je me permets de vous écrire aujourd'hui.",
        "Je vous contacte de {place} au sujet d'une question qui me tient à cœur.",
        "Habitant·e de {place}, je sollicite votre soutien.",
    ),
}
_CLOSINGS: dict[str, tuple[str, ...]] = {
    "en": (
        "I look forward to your reply.",
        "Thank you for your time; I would be grateful for an answer.",
        "I would very much appreciate hearing from you.",
        "Thank you for considering my letter.",
    ),
    "de": (
        "Ich freue mich auf Ihre Antwort.",
        "Vielen Dank für Ihre Zeit; über eine Antwort würde ich mich freuen.",
        "Ich wäre Ihnen für eine Rückmeldung sehr dankbar.",
        "Herzlichen Dank, dass Sie sich meines Anliegens annehmen.",
    ),
    "fr": (
        "Je vous remercie par avance de votre réponse.",
        "Merci de l'attention que vous porterez à ma lettre.",
        "Je serais heureux·se de connaître votre position.",
        "Dans l'attente de votre réponse, je vous remercie.",
    ),
}


def _variant(seed: str, salt: str, count: int) -> int:
    digest = hashlib.sha256(f"{salt}:{seed}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % count


# A paragraph that ends like a sentence; the sign-off ("Yours sincerely,") and the name and
# address under it do not.
_SENTENCE_END_RE = re.compile(r"[.!?…\"'»”)]$")
# At most this many short paragraphs at the end make the sign-off block.
_SIGN_OFF_PARAGRAPHS = 3


def _stem(line: str, words: int) -> str:
    """The first words of a line, lower case: 'I am writing to you as a citizen from {place}.'
    → 'i am writing to you as a citizen from' (up to the place, at most `words`)."""
    return " ".join(line.split("{place}")[0].lower().split()[:words])


def _sign_off_start(paragraphs: list[str]) -> int:
    """Where the sign-off block begins: the trailing short paragraphs that do not end like a
    sentence ("Yours sincerely," / the name / the town). The last paragraph at least, as long
    as it is short, so that what is added goes before the name."""
    start = len(paragraphs)
    while (
        start > 1
        and len(paragraphs) - start < _SIGN_OFF_PARAGRAPHS
        and len(paragraphs[start - 1]) <= 200
        and not _SENTENCE_END_RE.search(paragraphs[start - 1].strip())
    ):
        start -= 1
    if start == len(paragraphs) and len(paragraphs) > 1 and len(paragraphs[-1]) <= 200:
        start -= 1
    return start


def _compose(
    *,
    body: str,
    language: str,
    seed: str,
    place: str,
    country_name: str,
    full_name: str,
    personal_note: str,
) -> str:
    """Weave the per-supporter parts into the organiser's text: an opening line after the
    salutation, the supporter's own paragraph and a closing line before the sign-off, and the
    supporter's name at the end unless the template already signs with it.

    The text's own words win: no opening when it already opens the same way ("I am writing to
    you as a citizen from …"), no closing when it already thanks the reader just before the
    sign-off. A line that an empty merge field left starting with a comma (", Italy" under a
    name without a town) loses it."""
    text = body.replace("\r\n", "\n")
    text = "\n".join(line[2:] if line.startswith(", ") else line for line in text.split("\n"))
    paragraphs = text.split("\n\n")
    openings = _OPENINGS.get(language, ())
    closings = _CLOSINGS.get(language, ())
    head: list[str] = []
    rest = paragraphs
    if len(paragraphs) > 1 and len(paragraphs[0]) <= 120 and "\n" not in paragraphs[0]:
        head, rest = paragraphs[:1], paragraphs[1:]
    where = place or country_name
    first = rest[0].lower() if rest else ""
    opens_alike = any(first.startswith(_stem(line, 6)) for line in openings)
    if openings and where and not opens_alike:
        rest = [openings[_variant(seed, "open", len(openings))].format(place=where), *rest]
    tail: list[str] = []
    start = _sign_off_start(rest)
    rest, tail = rest[:start], rest[start:]
    last = rest[-1].strip().lower() if rest else ""
    thanks_alike = len(last) <= 120 and any(last.startswith(_stem(line, 3)) for line in closings)
    extra = [personal_note] if personal_note else []
    if closings and not thanks_alike:
        extra.append(closings[_variant(seed, "close", len(closings))])
    text = "\n\n".join([*head, *rest, *extra, *tail]).strip("\n")
    if full_name and full_name not in text:
        text += f"\n\n{full_name}" + (f", {place}" if place else "")
    return text + "\n"


def clean_letter_text(text: str, *, field_name: str, max_length: int) -> str:
    """Plain text, line endings normalised; refuses binary/control characters and overlong
    text with LetterInvalidError naming the field."""
    value = text.replace("\r\n", "\n").replace("\r", "\n")
    if bad_character(value) is not None:  # the rule organisers' templates follow too
        raise LetterInvalidError(
            "The letter may only contain plain text.",
            fields={field_name: ["Only plain text is allowed (no control or binary characters)."]},
        )
    if len(value) > max_length:
        raise LetterInvalidError(
            f"The letter is too long (at most {max_length} characters).",
            fields={field_name: [f"At most {max_length} characters."]},
        )
    return value


@dataclass
class LetterDraft:
    target: LetterTarget
    language: str
    subject: str
    body: str
    locked: bool
    skip_reason: str = ""


@dataclass(frozen=True)
class SupporterInput:
    first_name: str
    last_name: str
    city: str = ""
    country: str = ""
    personal_note: str = ""
    seed: str = ""


def _seed(campaign: Campaign, supporter: SupporterInput) -> str:
    identity = supporter.seed or f"{supporter.first_name} {supporter.last_name} {supporter.city}"
    return f"{campaign.pk}:{identity.strip().lower()}"


def letter_drafts_build(
    *, campaign: Campaign, targets: Sequence[LetterTarget], supporter: SupporterInput
) -> list[LetterDraft]:
    """One personalised letter per target, as the supporter will see and may edit it."""
    resolution = campaign.call.resolution if campaign.call else None
    full_name = f"{supporter.first_name} {supporter.last_name}".strip()
    drafts = []
    for target in targets:
        template = target.template
        rendered = template_render(
            subject=template.subject,
            body=template.body,
            language=template.language,
            values=merge_values(
                mep=target.mep,
                vote=target.vote,
                committees=target.committees,
                language=template.language,
                supporter=SupporterValues(
                    first_name=supporter.first_name,
                    last_name=supporter.last_name,
                    city=supporter.city,
                    country=supporter.country,
                ),
                campaign_title=campaign.title,
                resolution_title=resolution.title if resolution else "",
                resolution_reference=resolution.procedure_reference if resolution else "",
                resolution_date=resolution.adopted_on if resolution else None,
            ),
        )
        body = _compose(
            body=rendered.body,
            language=template.language,
            seed=_seed(campaign, supporter),
            place=supporter.city,
            country_name=EU_COUNTRIES.get(supporter.country, ""),
            full_name=full_name,
            personal_note="" if template.locked else supporter.personal_note,
        )
        drafts.append(
            LetterDraft(
                target=target,
                language=template.language,
                subject=rendered.subject[:300],
                body=body,
                locked=template.locked,
                skip_reason="" if target.mep.email else NO_EMAIL_REASON,
            )
        )
    return drafts


def _select_targets(
    *, campaign: Campaign, country: str, mep_ids: Sequence[int]
) -> list[LetterTarget]:
    if not mep_ids:
        raise LetterInvalidError(
            "Please choose at least one MEP.", fields={"mep_ids": ["Choose at least one MEP."]}
        )
    if len(set(mep_ids)) > settings.LETTER_MAX_MEPS_PER_REQUEST:
        raise LetterInvalidError(
            "Too many MEPs in one request.",
            fields={"mep_ids": [f"At most {settings.LETTER_MAX_MEPS_PER_REQUEST}."]},
        )
    targets = {t.mep.ep_id: t for t in letter_targets_list(campaign=campaign, country=country)}
    unknown = [mep_id for mep_id in dict.fromkeys(mep_ids) if mep_id not in targets]
    if unknown:
        raise MepNotTargetedError(
            "This campaign does not write to some of the chosen MEPs in this country.",
            fields={"mep_ids": [f"Not targeted here: {', '.join(map(str, unknown))}."]},
        )
    return [targets[mep_id] for mep_id in dict.fromkeys(mep_ids)]


def letter_preview(
    *,
    campaign: Campaign,
    country: str,
    mep_ids: Sequence[int],
    first_name: str,
    last_name: str,
    city: str = "",
    personal_note: str = "",
) -> list[LetterDraft]:
    """Drafts for the chosen MEPs. Validates names like the real request does."""
    from advocacy.supporters import clean_name

    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for name, value, label, required in (
        ("first_name", first_name, "first name", True),
        ("last_name", last_name, "last name", True),
        ("city", city, "city", False),
    ):
        try:
            cleaned[name] = clean_name(value, label=label, required=required) if value else ""
            if required and not cleaned[name]:
                raise ValueError(f"Please enter your {label}.")
        except ValueError as exc:
            errors[name] = [str(exc)]
    if errors:
        raise LetterInvalidError(f"Invalid input: {', '.join(sorted(errors))}.", fields=errors)
    note = clean_letter_text(
        personal_note.strip(), field_name="personal_note", max_length=PERSONAL_NOTE_MAX_LENGTH
    )
    country = clean_country_code(country)
    targets = _select_targets(campaign=campaign, country=country, mep_ids=mep_ids)
    return letter_drafts_build(
        campaign=campaign,
        targets=targets,
        supporter=SupporterInput(
            first_name=cleaned["first_name"],
            last_name=cleaned["last_name"],
            city=cleaned["city"],
            country=country,
            personal_note=note,
        ),
    )


# --- Writing: the request -------------------------------------------------------------------


@dataclass
class LetterRequestResult:
    request: LetterRequest
    letters: list[Letter]
    created: int
    confirmation_sent: bool
    already_written: list[int] = field(default_factory=list)


def confirmation_url(*, request_id: int) -> str:
    token = token_make(purpose=CONFIRM_PURPOSE, object_id=request_id)
    return token_url("letters:confirm", token)


def _confirmation_email_write(*, request: LetterRequest, letters: Sequence[Letter]) -> None:
    """Queue the mail asking the supporter to confirm. The caller stamps
    `request.confirmation_sent_at` (a new request is created with it)."""
    campaign = request.campaign
    organisation = campaign.organisation
    supporter = request.supporter
    if supporter.email is None:
        raise LetterRequestNotFoundError("This request no longer exists.")
    greeting = f"Dear {supporter.first_name}," if supporter.first_name else "Hello,"
    names = "\n".join(
        f"- {letter.mep.first_name} {display_last_name(letter.mep.last_name)}"
        + (" (no e-mail address: will not be sent)" if not letter.mep.email else "")
        for letter in letters
    )
    days = settings.LETTER_CONFIRM_MAX_AGE_DAYS
    unsubscribe = unsubscribe_url(supporter_id=supporter.pk)
    outbound_email_create(
        kind=EmailKind.LETTER_CONFIRMATION,
        recipient=supporter.email,
        sender=organisation_sender(organisation),
        subject=f"Please confirm your letters: {header_text(campaign.title)}"[:300],
        body_text=(
            f"{greeting}\n\n"
            f"Thank you for writing to Members of the European Parliament about "
            f"“{campaign.title}”. Your letters to:\n\n{names}\n\n"
            "will be sent once you confirm them: open this link and press the button on the "
            "page.\n\n"
            f"{confirmation_url(request_id=request.pk)}\n\n"
            f"The link is valid for {days} days. If you did not write these letters, ignore "
            "this e-mail and nothing will be sent.\n\n"
            f"With thanks,\n{organisation.name}\n\n"
            "--\n"
            f"Unsubscribe: {unsubscribe}\n"
        ),
        headers=unsubscribe_headers(url=unsubscribe),
        organisation=organisation,
        campaign=campaign,
    )


def _final_body(draft: LetterDraft, submitted: str | None) -> str:
    if submitted is None:
        return draft.body
    body = clean_letter_text(
        submitted, field_name="letters", max_length=settings.LETTER_BODY_MAX_LENGTH
    )
    if draft.locked:
        # The organiser fixed the wording: a copy of the draft is fine, a change is not.
        if body.strip() != draft.body.strip():
            raise LetterLockedError(
                "The organiser does not allow changes to this letter.",
                fields={"letters": ["This letter's text cannot be changed."]},
            )
        return draft.body
    if not body.strip():
        raise LetterInvalidError(
            "A letter may not be empty.", fields={"letters": ["A letter may not be empty."]}
        )
    return body if body.endswith("\n") else body + "\n"


def letter_body_problem(draft: LetterDraft, submitted: str | None) -> str | None:
    """Why the supporter's text for this draft would be refused by `letter_request_create`
    (empty, too long, changed though locked), or None: for a page that shows the reason
    next to the letter at fault."""
    try:
        _final_body(draft, submitted)
    except DomainError as exc:
        return exc.message
    return None


def letter_request_create(
    *,
    campaign: Campaign,
    email: str,
    first_name: str,
    last_name: str,
    country: str,
    mep_ids: Sequence[int],
    consent: bool,
    channel: str = Channel.PAGE,
    city: str = "",
    postcode: str = "",
    personal_note: str = "",
    bodies: Mapping[int, str] | None = None,
    wants_copy: bool = False,
    source: Mapping[str, Any] | None = None,
) -> LetterRequestResult:
    """Store the supporter's letters (awaiting confirmation) and queue one confirmation mail.

    `mep_ids` are EP ids; `bodies` maps an EP id to the supporter's edited text. One letter
    per supporter per MEP per campaign: MEPs already written to are left as they are, and
    writing again with nothing new changes nothing (the confirmation is re-sent at most once
    per cool-down while still pending). Owns its transaction; nothing is sent from here."""
    if consent is not True:
        raise ConsentRequiredError(
            "Please agree to the use of your data for sending the letters.",
            fields={"consent": ["Required."]},
        )
    country = clean_country_code(country)
    strays = sorted(set(bodies or {}) - set(mep_ids))
    if strays:  # an edited text for an MEP not written to would be dropped without a word
        raise LetterInvalidError(
            "A letter was given for an MEP who is not among the chosen ones.",
            fields={"letters": [f"MEP {ep_id} is not in mep_ids." for ep_id in strays[:5]]},
        )
    person = person_fields_clean(
        email=email,
        first_name=first_name,
        last_name=last_name,
        country=country,
        postcode=postcode,
        city=city,
    )
    note = clean_letter_text(
        personal_note.strip(), field_name="personal_note", max_length=PERSONAL_NOTE_MAX_LENGTH
    )
    targets = _select_targets(campaign=campaign, country=country, mep_ids=mep_ids)
    drafts = letter_drafts_build(
        campaign=campaign,
        targets=targets,
        supporter=SupporterInput(
            first_name=person.first_name,
            last_name=person.last_name,
            city=person.city,
            country=country,
            personal_note=note,
        ),
    )
    submitted = dict(bodies or {})
    finals = {d.target.mep.pk: _final_body(d, submitted.get(d.target.mep.ep_id)) for d in drafts}
    organisation = campaign.organisation
    with transaction.atomic():
        # Locked: serialises concurrent submissions of one supporter (a double click): the
        # second sees the first one's letters and adds nothing.
        supporter, created = supporter_get_or_create_locked(
            organisation=organisation, fields=person
        )
        existing: set[int] = set()
        if not created:  # a supporter created just now has written to no one yet
            existing = set(
                Letter.objects.filter(
                    campaign=campaign, supporter=supporter, mep_id__in=finals
                ).values_list("mep_id", flat=True)
            )
        new_drafts = [d for d in drafts if d.target.mep.pk not in existing]
        if not new_drafts:
            return _nothing_new(campaign=campaign, supporter=supporter, existing=existing)
        consent_row = consent_record(
            supporter=supporter,
            purpose=ConsentPurpose.LETTER,
            text=consent_text(organisation_name=organisation.name),
            version=CONSENT_VERSION,
            channel=channel,
            source=source or {},
        )
        request = LetterRequest(
            campaign=campaign,
            supporter=supporter,
            consent=consent_row,
            wants_copy=wants_copy,
            channel=channel,
            confirmation_sent_at=timezone.now(),  # its confirmation mail is queued below
        )
        rows_insert([request])  # `objects.create` without compiling its INSERT
        letters = [
            Letter(
                request=request,
                campaign=campaign,
                supporter=supporter,
                mep=d.target.mep,
                language=d.language,
                subject=d.subject,
                body=finals[d.target.mep.pk],
                status=LetterStatus.AWAITING_CONFIRMATION,
            )
            for d in new_drafts
        ]
        _letters_insert_distinct(campaign, letters, person)
        _confirmation_email_write(request=request, letters=letters)
    return LetterRequestResult(
        request=request,
        letters=letters,
        created=len(letters),
        confirmation_sent=True,
        already_written=_ep_ids(existing),
    )


def _ep_ids(mep_ids: set[int]) -> list[int]:
    if not mep_ids:  # the usual case: no query to compile
        return []
    return list(Mep.objects.filter(pk__in=mep_ids).values_list("ep_id", flat=True))


def _letters_with_bodies(campaign: Campaign, bodies: Mapping[int, str]) -> QuerySet[Letter]:
    """The campaign's letters to these MEPs whose text is one of these (as md5, the key of
    `letter_text_unique_per_mep`): a superset of the exact matches, which the caller compares."""
    digests = {hashlib.md5(body.encode()).hexdigest() for body in bodies.values()}  # noqa: S324  (an index key, not a secret)
    return (
        Letter.objects.annotate(body_md5=MD5("body"))
        .filter(campaign=campaign, mep_id__in=bodies, body_md5__in=digests)
        .exclude(body="")  # the index's condition: without it PostgreSQL cannot use the index
    )


def _letters_insert_distinct(campaign: Campaign, letters: list[Letter], person: Any) -> None:
    """Insert the letters; one whose text the campaign already holds for that MEP is signed
    with the supporter's address and inserted again. Name, city, phrases and ordering make a
    repeat unlikely (two namesakes from one city who leave the text as is), so the database's
    `letter_text_unique_per_mep` does the checking and only a repeat costs a lookup."""
    try:
        with transaction.atomic():  # a savepoint: a refused insert undoes only itself
            rows_insert(letters)
        return
    except IntegrityError:
        pass
    taken = set(
        _letters_with_bodies(campaign, {x.mep_id: x.body for x in letters}).values_list(
            "mep_id", "body"
        )
    )
    signed = f"\n\n({person.first_name} {person.last_name}, {person.email})\n"
    for letter in letters:
        letter.pk = None
        if (letter.mep_id, letter.body) in taken:
            letter.body = letter.body.rstrip("\n") + signed
    rows_insert(letters)


def _nothing_new(
    *, campaign: Campaign, supporter: Supporter, existing: set[int]
) -> LetterRequestResult:
    request = (
        LetterRequest.objects.filter(campaign=campaign, supporter=supporter)
        .order_by("-created_at")
        .first()
    )
    if request is None:  # letters exist, so their request does; only a bug gets here
        raise LetterRequestNotFoundError("These letters no longer exist.")
    letters = list(
        Letter.objects.filter(request=request).select_related("mep", "campaign").order_by("pk")
    )
    sent = False
    if request.status == LetterRequestStatus.PENDING:
        cutoff = timezone.now() - timedelta(
            seconds=settings.LETTER_CONFIRMATION_RESEND_COOLDOWN_SECONDS
        )
        if request.confirmation_sent_at is None or request.confirmation_sent_at < cutoff:
            request.campaign = campaign
            _confirmation_email_write(request=request, letters=letters)
            LetterRequest.objects.filter(pk=request.pk).update(confirmation_sent_at=timezone.now())
            sent = True
    return LetterRequestResult(
        request=request,
        letters=letters,
        created=0,
        confirmation_sent=sent,
        already_written=_ep_ids(existing),
    )


# --- Confirmation and delivery --------------------------------------------------------------


def letter_request_id_from_token(*, token: str) -> int:
    max_age = int(settings.LETTER_CONFIRM_MAX_AGE_DAYS) * 86400
    return token_read(purpose=CONFIRM_PURPOSE, token=token, max_age_seconds=max_age)


def live_delivery_enabled(*, campaign: Campaign) -> bool:
    return bool(settings.LETTERS_LIVE_DELIVERY_ALLOWED) and campaign.live_delivery


def _next_slot(*, campaign: Campaign, mep_id: int, now: datetime) -> datetime:
    """The earliest time this MEP's next letter of this campaign may leave so that no hour
    holds more than LETTERS_PER_MEP_PER_HOUR of them. Counted from the outbox rows already
    scheduled; the caller holds the MEP row lock, so two confirmations cannot take the same
    slot."""
    limit = int(settings.LETTERS_PER_MEP_PER_HOUR)
    if limit == 0:  # pacing switched off by the deployment: every letter may leave now
        return now
    # Only the latest `limit` slots matter (the last one, and the one `limit` back). Why
    # not all of them: a popular MEP has thousands scheduled ahead, and reading every one
    # per letter made queueing quadratic (10,000 letters: 50 million rows read; drill 8).
    # Why Letter.scheduled_for and not the outbox rows' not_before: reaching those went
    # through a join that sorted the MEP's whole backlog (12 ms a letter at 10,000 queued,
    # drill 8); this reads the newest `limit` entries of one index.
    latest: list[datetime] = list(
        Letter.objects.filter(
            campaign=campaign,
            mep_id=mep_id,
            status__in=[LetterStatus.QUEUED, LetterStatus.SENT],
            scheduled_for__gt=now - timedelta(hours=1),
        )
        .order_by("-scheduled_for")
        .values_list("scheduled_for", flat=True)[:limit]  # type: ignore[arg-type]  # not NULL
    )
    if len(latest) < limit:
        return now
    # Keep the schedule in order (>= the last slot) so the invariant holds for the next one.
    return max(now, latest[-1] + timedelta(hours=1), latest[0])


_LETTER_QUEUED_SQL = (
    "UPDATE advocacy_letter SET status = %s, status_reason = %s, outbound_email_id = %s,"
    " scheduled_for = %s WHERE id = %s"
)


_LETTERS_QUEUED_SQL = (
    "UPDATE advocacy_letter AS letter SET status = queued.status,"
    " status_reason = queued.status_reason, outbound_email_id = queued.outbound_email_id,"
    " scheduled_for = queued.scheduled_for"
    " FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::timestamptz[], %s::bigint[])"
    " AS queued (status, status_reason, outbound_email_id, scheduled_for, id)"
    " WHERE letter.id = queued.id"
)


@dataclass(frozen=True)
class _Confirmed:
    """A confirmed letter as queueing it needs it: no model instances (a confirmation queues
    twenty letters, and loading them with their MEPs was forty instances to build), and no
    text: PostgreSQL copies it into the outbox row itself (`_letters_queue_sql`)."""

    id: int
    mep_id: int
    mep_email: str
    subject: str

    @classmethod
    def of(cls, letter: Letter) -> _Confirmed:
        return cls(letter.pk, letter.mep_id, letter.mep.email, letter.subject)


def _letters_confirmed(request: LetterRequest) -> list[_Confirmed]:
    """The request's letters still awaiting confirmation, in MEP order (the lock order).

    The status is checked here, not in the query: a request has one letter per MEP it wrote
    to, and with `status` in the WHERE clause PostgreSQL, whose estimates are stale on a young
    or fast-growing table, combined the request's index with a scan of every awaiting letter
    of every campaign in the (campaign, mep, status) index — more with each letter written.
    Same rows, same snapshot: only where the filter runs has moved. Hand-written, as the
    request's lock (`_confirmation_sql`): compiling the ORM's query cost 0.4 ms a
    confirmation."""
    with connection.cursor() as cursor:
        cursor.execute(_confirmation_sql().letters, [request.pk])
        rows = cursor.fetchall()
    awaiting = LetterStatus.AWAITING_CONFIRMATION.value
    return [_Confirmed(*row[:4]) for row in rows if row[4] == awaiting]


@dataclass(frozen=True)
class _ConfirmationSql:
    request: str  # the request locked, with its campaign, organisation and supporter
    letters: str  # its letters as `_Confirmed` needs them, with their status, in MEP order
    confirmed: str  # its "confirmed" mark


_CONFIRMATION_MODELS: tuple[type[Model], ...] = (LetterRequest, Campaign, Organisation, Supporter)


@functools.cache
def _confirmation_sql() -> _ConfirmationSql:
    """A confirmation's own statements, written once per process: the ORM compiled the
    request's lock (four tables, 41 columns) afresh for every confirmation, 0.56 ms of CPU on a
    slow VM, more than running it (docs/performance.md, the eleventh round). Only the request's
    row is locked (`FOR UPDATE OF`; a bare FOR UPDATE would also lock the campaign,
    organisation and supporter rows, queueing every confirmation of a campaign)."""
    quote = connection.ops.quote_name
    request, campaign, organisation, supporter = (
        quote(model._meta.db_table) for model in _CONFIRMATION_MODELS
    )
    lock = ""
    if connection.features.has_select_for_update_of:
        lock = " FOR UPDATE OF r"
    elif connection.features.has_select_for_update:  # pragma: no cover  (not PostgreSQL)
        lock = " FOR UPDATE"
    columns = ", ".join(
        columns_sql(model, table) for model, table in zip(_CONFIRMATION_MODELS, "rcos", strict=True)
    )
    letter, mep = quote(Letter._meta.db_table), quote(Mep._meta.db_table)
    return _ConfirmationSql(
        request=(
            f"SELECT {columns} FROM {request} r"  # noqa: S608  (table and column names)
            f" JOIN {campaign} c ON c.id = r.campaign_id"
            f" JOIN {organisation} o ON o.id = c.organisation_id"
            f" JOIN {supporter} s ON s.id = r.supporter_id"
            f" WHERE r.id = %s{lock}"
        ),
        letters=(
            f"SELECT l.id, l.mep_id, m.email, l.subject, l.status FROM {letter} l"  # noqa: S608
            f" JOIN {mep} m ON m.id = l.mep_id WHERE l.request_id = %s ORDER BY l.mep_id"
        ),
        confirmed=f"UPDATE {request} SET status = %s, confirmed_at = %s WHERE id = %s",  # noqa: S608
    )


def _request_for_confirmation(request_id: int) -> LetterRequest | None:
    """The request, locked, with its campaign (and organisation) and supporter: what the ORM's
    `select_for_update(of=("self",)).select_related(…)` loads, from a statement written once."""
    with connection.cursor() as cursor:
        cursor.execute(_confirmation_sql().request, [request_id])
        row = cursor.fetchone()
    if row is None:
        return None
    request, campaign, organisation, supporter = instances_from_row(row, _CONFIRMATION_MODELS)
    campaign.organisation = organisation  # type: ignore[attr-defined]
    request.campaign = campaign  # type: ignore[attr-defined]
    request.supporter = supporter  # type: ignore[attr-defined]
    return cast(LetterRequest, request)


def _letter_queue(*, letter: Letter, supporter: Supporter, now: datetime) -> None:
    """Queue one confirmed letter now (see `_letters_queue`)."""
    _letters_queue(
        campaign=letter.campaign, letters=[_Confirmed.of(letter)], supporter=supporter, now=now
    )


# The confirmed letters' outbox rows and their "queued" mark in one statement, the text copied
# from each letter's row inside PostgreSQL. Before, the letters' texts (twenty of ~2 kB a
# confirmation) were read out, sent back in the INSERT and the letters marked by a third
# statement: two round trips and every text through Python twice. The rows' other columns
# come from the outbox model (`config.rows.rows_alike`): the varying ones as one array each
# (`{arrays}`, named after their columns in `queued`), the others as one value each.
_LETTERS_QUEUE_SQL = """
WITH queued AS (
    SELECT * FROM unnest(%b::bigint[], {arrays}) AS queued (letter_id, {names})
), mail AS (
    INSERT INTO {outbox} ({columns})
    SELECT {values} FROM queued JOIN {letter} AS letter ON letter.{letter_pk} = queued.letter_id
    RETURNING {outbox_pk}, {message_id}
)
UPDATE {letter} AS letter SET {status} = %s, {status_reason} = '',
    {outbound_email} = mail.{outbox_pk}, {scheduled_for} = queued.{not_before}
FROM queued JOIN mail ON mail.{message_id} = queued.{message_id}
WHERE letter.{letter_pk} = queued.letter_id
RETURNING letter.{letter_pk}, mail.{outbox_pk}
"""


def _letters_queue_sql(alike: AlikeRows) -> tuple[str, list[Any]] | None:
    """`_LETTERS_QUEUE_SQL` for these outbox rows, with its parameters after the letters'
    ids; None when a column cannot go through an array (the caller then writes the rows
    through the outbox's general path)."""
    if not all(alike.types):
        return None

    def column(model: type[Model], name: str) -> str:
        return f'"{cast("Field[Any, Any]", model._meta.get_field(name)).column}"'

    varying = [f for f in alike.fields if f.attname in alike.columns]
    values: list[str] = []
    params: list[Any] = [alike.columns[f.attname] for f in varying]
    for outbox_field, db_type, value in zip(alike.fields, alike.types, alike.values, strict=True):
        if outbox_field.attname in alike.columns:
            values.append(f'queued."{outbox_field.column}"')
        elif outbox_field.name == "body_text":
            values.append(f"letter.{column(Letter, 'body')}")
        else:
            values.append(f"%s::{db_type}")
            params.append(value)
    types = dict(zip((f.attname for f in alike.fields), alike.types, strict=True))
    outbox_pk = OutboundEmail._meta.pk
    letter_pk = Letter._meta.pk
    assert outbox_pk is not None and letter_pk is not None  # noqa: S101  (Django models)
    sql = _LETTERS_QUEUE_SQL.format(
        arrays=", ".join(f"%b::{types[f.attname]}[]" for f in varying),
        names=", ".join(f'"{f.column}"' for f in varying),
        outbox=f'"{OutboundEmail._meta.db_table}"',
        columns=", ".join(f'"{f.column}"' for f in alike.fields),
        values=", ".join(values),
        letter=f'"{Letter._meta.db_table}"',
        letter_pk=f'"{letter_pk.column}"',
        outbox_pk=f'"{outbox_pk.column}"',
        message_id=column(OutboundEmail, "message_id"),
        status=column(Letter, "status"),
        status_reason=column(Letter, "status_reason"),
        outbound_email=column(Letter, "outbound_email"),
        scheduled_for=column(Letter, "scheduled_for"),
        not_before=column(OutboundEmail, "not_before"),
    )
    return sql, [*params, LetterStatus.QUEUED.value]


def _letters_queue(
    *, campaign: Campaign, letters: Sequence[_Confirmed], supporter: Supporter, now: datetime
) -> None:
    """Give each confirmed letter its pacing slot and its outbox row, or mark it skipped when
    its MEP has no address. On PostgreSQL one statement writes the rows and marks the letters
    queued (`_LETTERS_QUEUE_SQL`); elsewhere one INSERT and one UPDATE. The caller holds the
    MEPs' row locks, and the letters are to distinct MEPs (one letter per MEP per supporter),
    so no letter's slot depends on another's in the same call."""
    organisation = campaign.organisation
    live = live_delivery_enabled(campaign=campaign)
    variants: list[OutboundEmailVariant] = []
    queued: list[_Confirmed] = []
    # status, reason, outbox row, slot, letter
    rows: list[tuple[str, str, int | None, datetime | None, int]] = []
    for letter in letters:
        if not letter.mep_email:
            rows.append((LetterStatus.SKIPPED, NO_EMAIL_REASON, None, None, letter.id))
            continue
        slot = _next_slot(campaign=campaign, mep_id=letter.mep_id, now=now)
        variants.append(
            {
                # Test mode: never an MEP. The organisation sees exactly what would go out.
                "recipient": letter.mep_email if live else organisation.test_address,
                "subject": letter.subject if live else (TEST_PREFIX + letter.subject)[:300],
                "headers": {} if live else {"X-Resolute-Test-Recipient": letter.mep_email},
                "not_before": slot,
            }
        )
        queued.append(letter)
    if variants:
        first = variants[0]
        common: OutboundEmailFields = {
            "kind": EmailKind.LETTER,
            "recipient": first["recipient"],
            # The organisation's verified address in From (DMARC), the citizen's name on
            # it, and the citizen in Reply-To so the MEP's answer reaches them.
            "sender": formataddr((supporter.full_name, organisation.sending_address)),
            "reply_to": formataddr((supporter.full_name, supporter.email or "")),
            "subject": first["subject"],
            "body_text": "",  # each row's text is its letter's
            "organisation": organisation,
            "campaign": campaign,
        }
        prototype, varying = outbound_emails_alike(common=common, variants=variants)
        alike = rows_alike(prototype, varying)
        statement = _letters_queue_sql(alike) if alike is not None else None
        if statement is not None:
            sql, params = statement
            with connection.binding_cursor() as cursor:  # type: ignore[attr-defined]
                cursor.execute(sql, [[letter.id for letter in queued], *params])
                email_of = dict(cursor.fetchall())
            email_ids = [email_of[letter.id] for letter in queued]
            outbound_emails_publish_due(email_ids, varying["not_before"], now=now)
        else:
            bodies = dict(
                Letter.objects.filter(pk__in=[x.id for x in queued]).values_list("pk", "body")
            )
            common["body_text"] = bodies[queued[0].id]
            for variant, letter in zip(variants, queued, strict=True):
                variant["body_text"] = bodies[letter.id]
            email_ids = outbound_emails_write_alike(common=common, variants=variants)
            slots = varying["not_before"]
            for letter, slot, email_id in zip(queued, slots, email_ids, strict=True):
                rows.append((LetterStatus.QUEUED, "", email_id, slot, letter.id))
    if not rows:  # every letter queued above, or every one cancelled before its confirmation
        return
    adapt = connection.ops.adapt_datetimefield_value  # the stored form (naive UTC on SQLite)
    stored = [(status, why, email, adapt(slot), pk) for status, why, email, slot, pk in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # All the letters in one statement, one array per column: PostgreSQL plans it once
            # (20 single-row UPDATEs were 20 statements to parse and plan, 2.5 ms a request).
            columns = [list(column) for column in zip(*stored, strict=True)]
            cursor.execute(_LETTERS_QUEUED_SQL, columns)
        else:
            # `bulk_update` builds a CASE per field and letter, which cost more than these.
            cursor.executemany(_LETTER_QUEUED_SQL, stored)


def _copy_email_write(*, request: LetterRequest, letters: Sequence[Letter]) -> None:
    supporter = request.supporter
    organisation = request.campaign.organisation
    if not supporter.email:
        return
    parts = []
    for letter in letters:
        to = f"{letter.mep.first_name} {display_last_name(letter.mep.last_name)}"
        note = f" — {letter.status_reason}" if letter.status == LetterStatus.SKIPPED else ""
        parts.append(
            f"To: {to}{note}\nSubject: {letter.subject}\n\n{letter.body.rstrip()}\n\n" + "-" * 60
        )
    unsubscribe = unsubscribe_url(supporter_id=supporter.pk)
    outbound_email_create(
        kind=EmailKind.LETTER_COPY,
        recipient=supporter.email,
        sender=organisation_sender(organisation),
        subject=f"Your letters: {header_text(request.campaign.title)}"[:300],
        body_text=(
            f"Dear {supporter.first_name},\n\n"
            "Thank you for confirming. Here is a copy of what you sent.\n\n"
            + "\n\n".join(parts)
            + "\n\n--\n"
            f"Unsubscribe: {unsubscribe}\n"
        ),
        headers=unsubscribe_headers(url=unsubscribe),
        organisation=organisation,
        campaign=request.campaign,
    )


def letter_request_confirm(*, token: str) -> LetterRequest:
    """Confirm a request from its e-mail link and queue its letters (and the copy).
    Idempotent: a second confirmation finds the request confirmed and queues nothing."""
    request_id = letter_request_id_from_token(token=token)
    now = timezone.now()
    with transaction.atomic():
        request = _request_for_confirmation(request_id)
        if request is None or request.supporter.erased_at is not None:
            raise LetterRequestNotFoundError("These letters no longer exist.")
        if request.status == LetterRequestStatus.CONFIRMED:
            return request
        campaign_status = request.campaign.status
        if campaign_status != CampaignStatus.LIVE:
            # Closed (or paused) since the letters were written: the organiser has stopped
            # them, so nothing is queued; the request stays pending, the link may be used again
            # if the campaign goes live again before it expires.
            raise CampaignNotLiveError(
                "This campaign has ended: your letters were not sent."
                if campaign_status == CampaignStatus.CLOSED
                else "This campaign is paused: your letters were not sent yet. Please use the "
                "link in your e-mail again later."
            )
        request.status = LetterRequestStatus.CONFIRMED
        request.confirmed_at = now
        with connection.cursor() as cursor:  # what save(update_fields=…) wrote, uncompiled
            cursor.execute(
                _confirmation_sql().confirmed,
                [request.status, connection.ops.adapt_datetimefield_value(now), request.pk],
            )
        letters = _letters_confirmed(request)
        if int(settings.LETTERS_PER_MEP_PER_HOUR):
            # MEP rows locked in id order (no deadlock between two confirmations): the pacing
            # slots of one MEP are handed out one confirmation at a time. With pacing off
            # every letter may leave at once, so there are no slots to hand out.
            list(
                Mep.objects.select_for_update()
                .filter(pk__in=[x.mep_id for x in letters])
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        _letters_queue(
            campaign=request.campaign, letters=letters, supporter=request.supporter, now=now
        )
        if request.wants_copy:  # all of them, as they now stand (queued, skipped, cancelled)
            copies = list(
                Letter.objects.filter(request=request).select_related("mep").order_by("mep_id")
            )
            _copy_email_write(request=request, letters=copies)
    return request


def letters_for_request(*, request: LetterRequest) -> QuerySet[Letter]:
    return Letter.objects.filter(request=request).select_related("mep").order_by("pk")


# --- Organiser: status, counts, cancel ------------------------------------------------------


def letters_cancel_for_mep(*, campaign: Campaign, mep: Mep) -> int:
    """Cancel this campaign's letters to one MEP that have not left yet: queued outbox rows
    become cancelled (a conditional update: a row a worker already claimed is left to finish)
    and their letters, like those still awaiting confirmation, become cancelled. Returns the
    number of letters cancelled."""
    reason = "Cancelled by the organiser."
    with transaction.atomic():
        email_ids = list(
            OutboundEmail.objects.select_for_update()
            .filter(
                kind=EmailKind.LETTER,
                status=OutboundEmailStatus.QUEUED,
                letter__campaign=campaign,
                letter__mep=mep,
            )
            .values_list("id", flat=True)
        )
        OutboundEmail.objects.filter(id__in=email_ids, status=OutboundEmailStatus.QUEUED).update(
            status=OutboundEmailStatus.CANCELLED
        )
        return (
            Letter.objects.filter(campaign=campaign, mep=mep)
            .filter(
                Q(status=LetterStatus.QUEUED, outbound_email_id__in=email_ids)
                | Q(status=LetterStatus.AWAITING_CONFIRMATION)
            )
            .update(status=LetterStatus.CANCELLED, status_reason=reason)
        )


def letter_counts_by_mep(*, campaign: Campaign) -> list[dict[str, Any]]:
    """Per MEP: how many letters of this campaign are in each status (organiser view)."""
    counts = {status: Count("id", filter=Q(status=status)) for status in LetterStatus.values}
    return [
        dict(row)
        for row in Letter.objects.filter(campaign=campaign)
        .values("mep_id", "mep__first_name", "mep__last_name", "mep__country_code")
        .annotate(total=Count("id"), **counts)
        .order_by("-total", "mep__last_name")
    ]


def letter_ratelimit_check(*, ip: str, email: str) -> None:
    """Raise RateLimitedError (429) when this IP or address has submitted too many letter
    requests in the window; counters separate from signing, same limits."""
    from advocacy.ratelimit import attempts_ratelimit_check

    attempts_ratelimit_check(action="letter", ip=ip, email=email)


# A supporter previews a few times while editing; ten times the writing limit per IP leaves
# room for an office or a campus behind one address, and still bounds a loop that renders
# letters to a hundred MEPs per request.
PREVIEWS_PER_WRITE = 10


def letter_preview_ratelimit_check(*, ip: str) -> None:
    """Raise RateLimitedError (429) when this IP has asked for too many previews."""
    from advocacy.ratelimit import attempts_ratelimit_check

    attempts_ratelimit_check(
        action="letter-preview",
        ip=ip,
        email="",
        per_ip=PREVIEWS_PER_WRITE * int(settings.RATELIMIT_PER_IP),
    )


# --- Retention ------------------------------------------------------------------------------


def letter_request_unconfirmed_purge(*, older_than_days: int | None = None) -> int:
    """Delete letter requests never confirmed within the retention period, with their letters
    (texts in someone's name, perhaps typed by someone else with their address) and consents,
    then the supporters that only they justified and the confirmation mail that named them.
    Returns the number of requests deleted. Safe at any time: a request confirmed meanwhile
    is spared by the status filter, and one being confirmed is locked and skipped."""
    days = (
        older_than_days
        if older_than_days is not None
        else settings.LETTER_UNCONFIRMED_RETENTION_DAYS
    )
    return unconfirmed_purge(model=LetterRequest, days=days)
