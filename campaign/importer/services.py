"""Store a parsed resolution and turn its calls into draft campaigns.

Idempotent by design: the same text imported twice creates nothing; a revised text updates
only the drafts no organiser has touched (their content still hashes to what the importer
generated) and reports what it changed and what it left alone.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from campaign.importer.drafting import CampaignDraft, DraftLimits, draft_campaign
from campaign.importer.parser import ParsedCall, ParsedResolution, parse_oeil_summary
from campaign.models import (
    Call,
    Campaign,
    CampaignStatus,
    LetterTemplate,
    Organisation,
    Petition,
    Resolution,
)
from config.errors import DomainError

# Characters the parser drops: a text of only these (and whitespace) is empty.
_INVISIBLE = str.maketrans(dict.fromkeys("\ufeff\u200b\u200c\u200d\u2060\u00ad", " "))

# Generous for a summary (the founding one is 4 kB) yet far below what could hurt a worker.
MAX_IMPORT_BYTES = 1_000_000

DEFAULT_TARGETING = {"supporter_country": True}

# Calls one import may turn into campaigns. The longest summaries seen hold a few dozen; past
# this the text is several resolutions pasted together (or a crafted one), and drafting and
# storing thousands of campaigns would hold the organiser's request for many seconds.
MAX_CALLS_PER_IMPORT = 150


class ImportInputError(DomainError):
    code = "import_invalid"
    status = 400


# How many parser warnings a refusal quotes: enough to say why, short enough for one line.
_WARNINGS_IN_REFUSAL = 5


def _max_length(model: type[models.Model], name: str) -> int:
    limit = getattr(model._meta.get_field(name), "max_length", None)
    if not isinstance(limit, int):
        raise ImproperlyConfigured(f"{model.__name__}.{name} has no max_length")
    return limit


@cache
def _draft_limits() -> DraftLimits:
    """The drafted fields' limits, read from the columns they are stored in."""
    return DraftLimits(
        title=min(_max_length(Campaign, "title"), _max_length(Call, "short_title")),
        slug=_max_length(Campaign, "slug"),
        letter_subject=_max_length(LetterTemplate, "subject"),
    )


def _clip(text: str, model: type[models.Model], name: str) -> str:
    """``text`` cut to the column's max_length, at a word boundary when there is one."""
    limit = _max_length(model, name)
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut[:limit].rstrip(" ,;:")


def resolution_text_decode(*, data: bytes) -> str:
    """Bytes from a file, stdin or an upload → text, or one clear error saying what is wrong."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportInputError(
            f"The file is larger than {MAX_IMPORT_BYTES:,} bytes, far more than a resolution "
            "summary; is it the right file?"
        )
    if _looks_utf16(data[2:4096] if data.startswith((b"\xff\xfe", b"\xfe\xff")) else data[:4096]):
        raise ImportInputError(
            "The file is UTF-16 (Windows 'Unicode'), not UTF-8; save it as UTF-8 and try again."
        )
    if b"\x00" in data:
        raise ImportInputError("The file is binary, not text (it contains NUL bytes).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportInputError(
            f"The file is not valid UTF-8 (bad byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8 and try again."
        ) from exc
    # Checked on the decoded text, so a file holding only a byte-order mark (or only
    # zero-width characters) is empty too.
    if not text.translate(_INVISIBLE).strip():
        raise ImportInputError("The file is empty.")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 8:
        raise ImportInputError("The file looks binary, not text (it is full of control bytes).")
    return text


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: ASCII text with a NUL beside nearly every byte."""
    if len(head) < 16:
        return False
    return any(nuls.count(0) >= 0.9 * len(nuls) for nuls in (head[0::2], head[1::2]))


def source_url_clean(url: str) -> str:
    """The summary's address as given, or one clear error: an http(s) URL that fits."""
    url = url.strip()
    if not url:
        return ""
    limit = _max_length(Resolution, "source_url")
    if len(url) > limit:
        raise ImportInputError(
            f"The source URL is longer than {limit} characters.",
            fields={"source_url": [f"At most {limit} characters."]},
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ImportInputError(
            f"The source URL {url[:80]!r} is not an http(s) address.",
            fields={"source_url": ["Enter an http:// or https:// address."]},
        ) from None
    return url


def resolution_parse(*, text: str) -> ParsedResolution:
    """Parse and check that the result can become campaigns (a reference and some calls).

    A refusal says why and quotes what the parser could not read, on one line."""
    if not text.translate(_INVISIBLE).strip():
        raise ImportInputError("The text is empty.")
    if "\x00" in text:  # PostgreSQL's text cannot hold it, and no summary has one
        raise ImportInputError("The text is binary, not text (it contains NUL characters).")
    parsed = parse_oeil_summary(text)
    if not parsed.procedure_reference:
        raise ImportInputError(
            "No procedure reference (like 2022/2505(RSP)) was found; is this a Legislative "
            f"Observatory summary?{_could_not_parse(parsed)}"
        )
    if not parsed.calls:
        raise ImportInputError(
            "No calls were found: the text has no 'Parliament called on … to …', "
            "'… is urged to …' or similar sentence, nor numbered paragraphs under 'The "
            f"European Parliament,' ('1. Calls on … to …').{_could_not_parse(parsed)}"
        )
    if len(parsed.calls) > MAX_CALLS_PER_IMPORT:
        raise ImportInputError(
            f"The text holds {len(parsed.calls)} calls; one resolution's summary holds far "
            f"fewer (at most {MAX_CALLS_PER_IMPORT} are imported at once). Is it several "
            "resolutions pasted together? Import them one by one."
        )
    return parsed


def _could_not_parse(parsed: ParsedResolution) -> str:
    # The refusal itself says there is no reference or no call; the rest tells why.
    warnings = [
        " ".join(warning.split())
        for warning in parsed.warnings
        if warning not in ("no procedure reference found", "no calls found")
    ]
    if not warnings:
        return ""
    shown = "; ".join(warnings[:_WARNINGS_IN_REFUSAL])
    more = len(warnings) - _WARNINGS_IN_REFUSAL
    return f" Could not parse: {shown}{f'; and {more} more' if more > 0 else ''}."


def _sha256(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


def _draft_hash(draft: CampaignDraft) -> str:
    return _sha256(
        draft.title, draft.summary, draft.petition_text, draft.letter_subject, draft.letter_body
    )


def _current_hash(campaign: Campaign) -> str:
    petition = Petition.objects.filter(campaign=campaign).first()
    template = LetterTemplate.objects.filter(campaign=campaign, language="en").first()
    return _sha256(
        campaign.title,
        campaign.summary,
        petition.text if petition else "",
        template.subject if template else "",
        template.body if template else "",
    )


def _unique_slug(base: str) -> str:
    """`base`, or `base-2`, `base-3`… (cut to the column): the first one no campaign has.
    One query for all the candidates: probing them one by one cost a query per campaign ever
    imported under that name (the same resolution imported by many organisations)."""
    limit = _max_length(Campaign, "slug")
    base = base[:limit]
    # Every candidate up to `-99999999` starts with these characters.
    stem = base[: limit - 10]
    taken = set(Campaign.objects.filter(slug__startswith=stem).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        suffix = f"-{n}"
        slug = f"{base[: limit - len(suffix)]}{suffix}"
        n += 1
    return slug


def default_consent_text(organisation: Organisation) -> str:
    return (
        f"I agree that {organisation.name} stores my name, e-mail address and country to "
        "count my signature on this petition, and sends me one e-mail to confirm it. I can "
        "ask for a copy of my data or for its erasure at any time."
    )


@dataclass
class ImportReport:
    procedure_reference: str
    resolution_created: bool = False
    resolution_updated: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)
    # Calls of the previous import that the revised text no longer has; their rows and
    # campaigns are kept (an organiser decides), numbered after the current calls.
    disappeared: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    resolution_id: int | None = None
    # Whom each created or updated campaign's call is addressed to, by title: what an
    # organiser checks first in a dry run.
    addressees: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def changed_anything(self) -> bool:
        return bool(
            self.resolution_created or self.resolution_updated or self.created or self.updated
        )


_NON_WORD_RE = re.compile(r"[\W_]+")
CallKey = tuple[str, tuple[str, ...]]


def _call_key(action: str, addressees: Iterable[str]) -> CallKey:
    """What identifies a call across revisions of a text: what is demanded of whom, ignoring
    case, spacing and punctuation."""
    words = _NON_WORD_RE.sub(" ", action.lower()).split()
    return " ".join(words), tuple(sorted(name.lower() for name in addressees))


def _calls_match(existing: list[Call], parsed: tuple[ParsedCall, ...]) -> dict[int, Call]:
    """Pair parsed calls (by index) with the stored calls they revise.

    By content first, so a call inserted or removed before the others does not shift them
    onto their neighbours' campaigns. Then, among the calls left over between the same
    neighbours, by order, but only when both texts have as many there (a call reworded in
    place); otherwise the leftovers are new calls and disappeared ones, never a guess.
    """
    if not existing:
        return {}
    old_keys = [_call_key(call.action, call.addressees) for call in existing]
    new_keys = [_call_key(call.action, call.addressees) for call in parsed]
    by_key: dict[CallKey, deque[int]] = {}
    for index, key in enumerate(old_keys):
        by_key.setdefault(key, deque()).append(index)
    pairs: dict[int, int] = {}
    for index, key in enumerate(new_keys):
        candidates = by_key.get(key)
        if candidates:
            pairs[index] = candidates.popleft()
    paired_old = set(pairs.values())
    # The default autojunk keeps this near-linear even for a text of thousands of equal calls.
    matcher = SequenceMatcher(a=old_keys, b=new_keys)
    for _, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        old_left = [i for i in range(old_start, old_end) if i not in paired_old]
        new_left = [j for j in range(new_start, new_end) if j not in pairs]
        if old_left and len(old_left) == len(new_left):
            pairs.update(zip(new_left, old_left, strict=True))
            paired_old.update(old_left)
    return {new: existing[old] for new, old in pairs.items()}


def _call_save(
    *, call: Call | None, resolution: Resolution, parsed_call: ParsedCall, draft: CampaignDraft
) -> Call:
    values = {
        "position": parsed_call.position,
        "addressee_as_written": _clip(
            parsed_call.addressee_as_written, Call, "addressee_as_written"
        ),
        "addressees": list(parsed_call.addressees),
        "action": parsed_call.action,
        "short_title": draft.title,
        "kind": parsed_call.kind,
        "source_sentence": parsed_call.source_sentence,
    }
    if call is None:
        return Call.objects.create(resolution=resolution, **values)
    for name, value in values.items():
        setattr(call, name, value)
    call.save(update_fields=list(values))
    return call


def _call_move(*, call: Call, position: int) -> None:
    """Renumber a call without touching what it says (its campaign was made from that)."""
    call.position = position
    call.save(update_fields=["position"])


def _create_campaign(
    *, organisation: Organisation, call: Call, draft: CampaignDraft, publish: bool
) -> Campaign:
    now = timezone.now()
    campaign = Campaign.objects.create(
        organisation=organisation,
        call=call,
        slug=_unique_slug(draft.slug),
        title=draft.title,
        summary=draft.summary,
        status=CampaignStatus.LIVE if publish else CampaignStatus.DRAFT,
        published_at=now if publish else None,
        generated_hash=_draft_hash(draft),
    )
    Petition.objects.create(
        campaign=campaign,
        text=draft.petition_text,
        consent_text=default_consent_text(organisation),
    )
    LetterTemplate.objects.create(
        campaign=campaign,
        language="en",
        subject=draft.letter_subject,
        body=draft.letter_body,
        targeting=dict(DEFAULT_TARGETING),
    )
    return campaign


def _follows_import(campaign: Campaign, draft: CampaignDraft) -> bool:
    """True when the import may (re)write this campaign: it is what the importer would write
    anyway, or a draft no organiser has edited since the importer wrote it."""
    if campaign.generated_hash == _draft_hash(draft):
        return True
    return (
        campaign.status == CampaignStatus.DRAFT
        and _current_hash(campaign) == campaign.generated_hash
    )


def _update_draft(*, campaign: Campaign, draft: CampaignDraft) -> None:
    campaign.title = draft.title
    campaign.summary = draft.summary
    campaign.generated_hash = _draft_hash(draft)
    campaign.save(update_fields=["title", "summary", "generated_hash", "updated_at"])
    Petition.objects.filter(campaign=campaign).update(text=draft.petition_text)
    LetterTemplate.objects.filter(campaign=campaign, language="en").update(
        subject=draft.letter_subject, body=draft.letter_body
    )


def resolution_import(
    *,
    organisation: Organisation,
    text: str,
    source_url: str = "",
    publish: bool = False,
    dry_run: bool = False,
    positions: Collection[int] | None = None,
) -> ImportReport:
    """Import one OEIL summary for `organisation`. Runs in its own transaction; with
    `dry_run` everything is computed exactly as for real and then rolled back. `positions`
    limits which calls become campaigns (the admin's ticked calls); None means all."""
    source_url = source_url_clean(source_url)
    parsed = resolution_parse(text=text)
    reference = parsed.procedure_reference or ""  # resolution_parse refused a missing one
    report = ImportReport(
        procedure_reference=reference,
        warnings=list(parsed.warnings),
        dry_run=dry_run,
    )
    source_sha = _sha256(text)
    with transaction.atomic():
        resolution = (
            Resolution.objects.select_for_update()
            .filter(organisation=organisation, procedure_reference=reference)
            .first()
        )
        metadata = {
            "title": _clip(parsed.title, Resolution, "title") or reference,
            "subject": _clip(parsed.subject or "", Resolution, "subject"),
            "adopted_on": parsed.adopted_on,
            "stage": _clip(parsed.stage or "", Resolution, "stage"),
            "votes_for": parsed.votes_for,
            "votes_against": parsed.votes_against,
            "abstentions": parsed.abstentions,
            "context": "\n\n".join(parsed.context),
            "source_text": text,
            "source_sha256": source_sha,
        }
        if resolution is None:
            resolution = Resolution.objects.create(
                organisation=organisation,
                procedure_reference=reference,
                source_url=source_url,
                **metadata,
            )
            report.resolution_created = True
        elif resolution.source_sha256 != source_sha:
            for name, value in metadata.items():
                setattr(resolution, name, value)
            if source_url:
                resolution.source_url = source_url
            resolution.save()
            report.resolution_updated = True
        report.resolution_id = resolution.pk

        existing = list(Call.objects.filter(resolution=resolution).order_by("position"))
        matched = _calls_match(existing, parsed.calls)
        if existing:
            # Park every stored call above any position, old or new, so renumbering never
            # collides under the unique (resolution, position) constraint.
            offset = existing[-1].position + len(parsed.calls) + len(existing) + 1
            Call.objects.filter(resolution=resolution).update(position=F("position") + offset)
            for call in existing:
                call.position += offset

        for index, parsed_call in enumerate(parsed.calls):
            stored = matched.get(index)
            if positions is not None and parsed_call.position not in positions:
                if stored is not None:
                    _call_move(call=stored, position=parsed_call.position)
                continue
            draft = draft_campaign(resolution=parsed, call=parsed_call, limits=_draft_limits())
            campaign = (
                Campaign.objects.filter(organisation=organisation, call=stored)
                .order_by("pk")
                .first()
                if stored is not None
                else None
            )
            if stored is not None and campaign is not None and not _follows_import(campaign, draft):
                # An organiser edited or published it: their words win over a re-import, and
                # the call it was made from keeps its words too (only its number follows).
                _call_move(call=stored, position=parsed_call.position)
                report.left_alone.append(campaign.title)
                continue
            call = _call_save(
                call=stored, resolution=resolution, parsed_call=parsed_call, draft=draft
            )
            if campaign is None:
                _create_campaign(organisation=organisation, call=call, draft=draft, publish=publish)
                report.created.append(draft.title)
                report.addressees[draft.title] = parsed_call.addressees
            elif campaign.generated_hash == _draft_hash(draft):
                report.unchanged.append(campaign.title)
            else:
                _update_draft(campaign=campaign, draft=draft)
                report.updated.append(draft.title)
                report.addressees[draft.title] = parsed_call.addressees

        kept = {call.pk for call in matched.values()}
        gone = [call for call in existing if call.pk not in kept]
        for position, call in enumerate(gone, start=len(parsed.calls) + 1):
            _call_move(call=call, position=position)
            campaign = (
                Campaign.objects.filter(organisation=organisation, call=call).order_by("pk").first()
            )
            report.disappeared.append(campaign.title if campaign else call.short_title)
        if dry_run:
            transaction.set_rollback(True)
    return report
