"""Render a letter template for one MEP and a sample supporter, for the organiser's preview.
Uses the same sandbox and merge values as real letters (campaign.templating)."""

from __future__ import annotations

from campaign.directory import mep_vote_positions, roll_call_get_final
from campaign.models import BodyMembership, LetterTemplate, Mep
from campaign.templating import RenderedLetter, SupporterValues, merge_values, template_render

SAMPLE_SUPPORTER = SupporterValues(first_name="Ana", last_name="Example", city="Ghent")


def letter_template_preview(
    *, template: LetterTemplate, mep: Mep, subject: str | None = None, body: str | None = None
) -> tuple[RenderedLetter, str]:
    """The letter `template` (or unsaved `subject`/`body`) gives `mep`, and the MEP's vote.
    Raises TemplateInvalidError naming the problem, like saving would."""
    campaign = template.campaign
    resolution = campaign.call.resolution if campaign.call_id and campaign.call else None
    roll_call = (
        roll_call_get_final(procedure_reference=resolution.procedure_reference)
        if resolution
        else None
    )
    vote = (
        mep_vote_positions(roll_call=roll_call, meps=[mep]).get(mep.pk, "not_an_mep")
        if (roll_call)
        else "not_an_mep"
    )
    committees = list(
        BodyMembership.objects.filter(mep=mep, term=mep.term, body__body_type="committee")
        .order_by("body__code")
        .values_list("body__code", flat=True)
        .distinct()
    )
    values = merge_values(
        mep=mep,
        vote=vote,
        committees=committees,
        language=template.language,
        supporter=SupporterValues(
            first_name=SAMPLE_SUPPORTER.first_name,
            last_name=SAMPLE_SUPPORTER.last_name,
            city=SAMPLE_SUPPORTER.city,
            country=mep.country_code,
        ),
        campaign_title=campaign.title,
        resolution_title=resolution.title if resolution else "",
        resolution_reference=resolution.procedure_reference if resolution else "",
        resolution_date=resolution.adopted_on if resolution else None,
    )
    rendered = template_render(
        subject=template.subject if subject is None else subject,
        body=template.body if body is None else body,
        values=values,
        language=template.language,
    )
    return rendered, vote
