"""Store a parsed resolution and turn its calls into draft campaigns.

Idempotent by design: the same text imported twice creates nothing; a revised text updates
only the drafts no organiser has touched (their content still hashes to what the importer
generated) and reports what it changed and what it left alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from campaign.importer.drafting import CampaignDraft, draft_campaign
from campaign.importer.parser import ParsedResolution, parse_oeil_summary
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

# Generous for a summary (the founding one is 4 kB) yet far below what could hurt a worker.
MAX_IMPORT_BYTES = 1_000_000

DEFAULT_TARGETING = {"supporter_country": True}


class ImportInputError(DomainError):
    code = "import_invalid"
    status = 400


def resolution_text_decode(*, data: bytes) -> str:
    """Bytes from a file, stdin or an upload → text, or one clear error saying what is wrong."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportInputError(
            f"The file is larger than {MAX_IMPORT_BYTES:,} bytes, far more than a resolution "
            "summary; is it the right file?"
        )
    if not data.strip():
        raise ImportInputError("The file is empty.")
    if b"\x00" in data[:8192]:
        raise ImportInputError("The file is binary, not text (it contains NUL bytes).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportInputError(
            f"The file is not valid UTF-8 (bad byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8 and try again."
        ) from exc
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 8:
        raise ImportInputError("The file looks binary, not text (it is full of control bytes).")
    return text


def resolution_parse(*, text: str) -> ParsedResolution:
    """Parse and check that the result can become campaigns (a reference and some calls)."""
    parsed = parse_oeil_summary(text)
    if not parsed.procedure_reference:
        raise ImportInputError(
            "No procedure reference (like 2022/2505(RSP)) was found; is this a Legislative "
            "Observatory summary?"
        )
    if not parsed.calls:
        raise ImportInputError(
            "No calls were found: the text has no 'Parliament called on … to …', "
            "'… is urged to …' or similar sentence."
        )
    return parsed


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
    """`base`, or `base-2`, `base-3`… (cut to 80 characters): the first one no campaign has.
    One query for all the candidates: probing them one by one cost a query per campaign ever
    imported under that name (the same resolution imported by many organisations)."""
    # Every candidate up to `-99999999` starts with these 70 characters.
    taken = set(Campaign.objects.filter(slug__startswith=base[:70]).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        suffix = f"-{n}"
        slug = f"{base[: 80 - len(suffix)]}{suffix}"
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
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    resolution_id: int | None = None

    @property
    def changed_anything(self) -> bool:
        return bool(
            self.resolution_created or self.resolution_updated or self.created or self.updated
        )


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
            "title": parsed.title[:500] or reference,
            "subject": (parsed.subject or "")[:300],
            "adopted_on": parsed.adopted_on,
            "stage": (parsed.stage or "")[:200],
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

        for parsed_call in parsed.calls:
            if positions is not None and parsed_call.position not in positions:
                continue
            draft = draft_campaign(resolution=parsed, call=parsed_call)
            call, _ = Call.objects.update_or_create(
                resolution=resolution,
                position=parsed_call.position,
                defaults={
                    "addressee_as_written": parsed_call.addressee_as_written[:500],
                    "addressees": list(parsed_call.addressees),
                    "action": parsed_call.action,
                    "short_title": draft.title[:200],
                    "kind": parsed_call.kind,
                    "source_sentence": parsed_call.source_sentence,
                },
            )
            campaign = (
                Campaign.objects.filter(organisation=organisation, call=call).order_by("pk").first()
            )
            if campaign is None:
                _create_campaign(organisation=organisation, call=call, draft=draft, publish=publish)
                report.created.append(draft.title)
            elif campaign.generated_hash == _draft_hash(draft):
                report.unchanged.append(campaign.title)
            elif (
                campaign.status == CampaignStatus.DRAFT
                and _current_hash(campaign) == campaign.generated_hash
            ):
                _update_draft(campaign=campaign, draft=draft)
                report.updated.append(draft.title)
            else:
                # An organiser edited or published it: their words win over a re-import.
                report.left_alone.append(campaign.title)
        if dry_run:
            transaction.set_rollback(True)
    return report
