"""Supporter pages for letters to MEPs. Plain forms, no JavaScript: pick a country, tick MEPs,
fill in your details and see your letters, edit them, send, confirm by e-mail.

Views parse input, call one service or selector of advocacy.letters, and render."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from advocacy.letters import (
    LetterDraft,
    campaign_get_for_letters,
    consent_text,
    letter_body_problem,
    letter_preview,
    letter_preview_ratelimit_check,
    letter_ratelimit_check,
    letter_request_confirm,
    letter_request_create,
    letter_request_id_from_token,
    letter_targets_list,
    letters_for_request,
)
from advocacy.models import Channel, LetterRequest
from campaign.models import Campaign
from campaign.templating import EU_COUNTRIES
from config.errors import DomainError
from config.net import client_ip

VOTE_LABELS = {
    "for": "Voted for",
    "against": "Voted against",
    "abstention": "Abstained",
    "did_not_vote": "Did not vote",
    "not_an_mep": "Not yet an MEP at the time",
}
COUNTRY_CHOICES = [("", "Choose your country")] + sorted(
    EU_COUNTRIES.items(), key=lambda item: item[1]
)


class CountryForm(forms.Form):
    country = forms.ChoiceField(
        label="Your country",
        choices=COUNTRY_CHOICES,
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )


def _text(autocomplete: str) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": autocomplete})


class LetterWriteForm(forms.Form):
    first_name = forms.CharField(
        label="First name", max_length=100, strip=False, widget=_text("given-name")
    )
    last_name = forms.CharField(
        label="Last name", max_length=100, strip=False, widget=_text("family-name")
    )
    email = forms.CharField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We send you a link to confirm; the MEPs can reply to this address.",
    )
    city = forms.CharField(
        label="Town or city (optional)",
        max_length=100,
        required=False,
        widget=_text("address-level2"),
    )
    postcode = forms.CharField(
        label="Postcode (optional)", max_length=16, required=False, widget=_text("postal-code")
    )
    personal_note = forms.CharField(
        label="A few words of your own (optional)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 1000}),
        help_text="Added to each letter. Personal letters are read; identical ones are not.",
    )
    consent = forms.BooleanField(label="", required=True)
    wants_copy = forms.BooleanField(label="Send me a copy of my letters", required=False)


def _apply_errors(form: forms.Form, error: DomainError) -> None:
    placed = False
    for name, messages in error.fields.items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


# In the start page's query after "Write my letters" with no MEP ticked.
NONE_CHOSEN = "none_chosen"


def _mep_ids(values: list[str]) -> list[int]:
    """The EP ids among the ticked values; anything else is ignored. ASCII digits only, of a
    sane length: "²".isdigit() is true and int() refuses it, as it refuses 5,000 digits."""
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) <= 18][:1000]


def _campaign_context(campaign: Campaign) -> dict[str, Any]:
    return {"campaign": campaign, "resolution": campaign.call.resolution if campaign.call else None}


@require_http_methods(["GET", "HEAD"])
def letter_start(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 1 and 2: choose a country, then tick the MEPs to write to."""
    campaign = _campaign_or_404(request, slug)
    if isinstance(campaign, HttpResponse):
        return campaign
    form = CountryForm(request.GET if "country" in request.GET else None)
    context: dict[str, Any] = {**_campaign_context(campaign), "form": form, "targets": None}
    if form.is_bound and form.is_valid():
        country = form.cleaned_data["country"]
        targets = letter_targets_list(campaign=campaign, country=country)
        # Back from the letters: the MEPs chosen then stay chosen; else all who can be written to.
        chosen = set(_mep_ids(request.GET.getlist("mep")))
        context.update(
            country=country,
            country_name=EU_COUNTRIES[country],
            targets=[
                {
                    "target": t,
                    "vote_label": VOTE_LABELS.get(t.vote, ""),
                    "checked": t.mep.ep_id in chosen if chosen else t.has_email,
                }
                for t in targets
            ],
            none_chosen=NONE_CHOSEN in request.GET,
        )
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "advocacy/letters/start.html", context, status=status)


def _campaign_or_404(request: HttpRequest, slug: str) -> Campaign | HttpResponse:
    """The campaign, or the site's own page saying it is gone (a link in an old mail or post):
    the bare site-wide 404 has no way back to the campaigns."""
    try:
        return campaign_get_for_letters(slug=slug)
    except DomainError as exc:
        return render(
            request,
            "advocacy/message.html",
            {"title": "Campaign not found", "message": exc.message, "show_campaigns": True},
            status=exc.status,
        )


def _typed_bodies(request: HttpRequest, drafts: list[LetterDraft]) -> dict[int, str]:
    """The letters as the supporter edited them, by MEP (fixed wording is never taken)."""
    return {
        draft.target.mep.ep_id: str(request.POST[f"body_{draft.target.mep.ep_id}"])
        for draft in drafts
        if not draft.locked and f"body_{draft.target.mep.ep_id}" in request.POST
    }


@require_http_methods(["GET", "HEAD", "POST"])
def letter_write(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 3: details, then the letters to read and edit, then send."""
    campaign = _campaign_or_404(request, slug)
    if isinstance(campaign, HttpResponse):
        return campaign
    source = request.POST if request.method == "POST" else request.GET
    country = str(source.get("country", "")).upper()
    mep_ids = _mep_ids(source.getlist("mep"))
    start_url = reverse("letters:start", kwargs={"slug": campaign.slug})
    if country not in EU_COUNTRIES or not mep_ids:
        query = {"country": country} if country else {}
        if country in EU_COUNTRIES:  # a country, but no MEP ticked: say so there
            query[NONE_CHOSEN] = "1"
        return HttpResponseRedirect(start_url + (f"?{urlencode(query)}" if query else ""))
    form = LetterWriteForm(request.POST if request.method == "POST" else None)
    form.fields["consent"].label = consent_text(organisation_name=campaign.organisation.name)
    drafts: list[LetterDraft] = []
    bodies: dict[int, str] = {}
    action = str(request.POST.get("action", "preview"))
    refusal: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def preview() -> list[LetterDraft]:
            return letter_preview(
                campaign=campaign,
                country=country,
                mep_ids=mep_ids,
                first_name=data["first_name"],
                last_name=data["last_name"],
                city=data["city"],
                personal_note=data["personal_note"],
            )

        try:
            if action == "send":
                # Checked before any letter is built: a refused send must cost no more than
                # a refused preview (each builds up to 100 letters).
                letter_ratelimit_check(ip=client_ip(request), email=data["email"])
            else:
                letter_preview_ratelimit_check(ip=client_ip(request))
            drafts = preview()
            if action == "send":
                bodies = _typed_bodies(request, drafts)
                letter_request_create(
                    campaign=campaign,
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    country=country,
                    city=data["city"],
                    postcode=data["postcode"],
                    personal_note=data["personal_note"],
                    mep_ids=mep_ids,
                    bodies=bodies,
                    consent=data["consent"],
                    wants_copy=data["wants_copy"],
                    channel=Channel.PAGE,
                    source={"referrer": str(request.META.get("HTTP_REFERER", ""))},
                )
                return HttpResponseRedirect(reverse("letters:sent", kwargs={"slug": campaign.slug}))
        except DomainError as exc:
            # Refused, a rate limit included: the page comes back with what was typed (the
            # letters too, once written) and the reason in the form.
            _apply_errors(form, exc)
            refusal = exc
            if action == "send" and not drafts and exc.status == 429:
                # The send was refused before the letters were built: build them again for
                # the page (the supporter's edits are in the form) only within the preview
                # limit, so that refusals in a loop build nothing.
                with contextlib.suppress(DomainError):
                    letter_preview_ratelimit_check(ip=client_ip(request))
                    drafts = preview()
                    bodies = _typed_bodies(request, drafts)
    sent_and_refused = action == "send" and bool(form.errors) and bool(drafts)
    letters = [
        {
            "draft": draft,
            # What the supporter typed survives a failed send; otherwise the fresh draft.
            "body": bodies.get(draft.target.mep.ep_id, draft.body),
            # …and the reason a letter was refused stands next to it.
            "error": letter_body_problem(draft, bodies.get(draft.target.mep.ep_id))
            if sent_and_refused
            else None,
        }
        for draft in drafts
    ]
    context = {
        **_campaign_context(campaign),
        "form": form,
        "country": country,
        "country_name": EU_COUNTRIES[country],
        "mep_ids": mep_ids,
        # A refused send keeps the letters on the page; other errors come before them.
        "letters": letters if sent_and_refused or not form.errors else [],
        "start_url": f"{start_url}?{urlencode({'country': country, 'mep': mep_ids}, doseq=True)}",
    }
    status = 200
    if form.errors:
        status = 429 if refusal is not None and refusal.status == 429 else 400
    response = render(request, "advocacy/letters/write.html", context, status=status)
    retry_after = getattr(refusal, "retry_after", None)
    if status == 429 and retry_after:
        response["Retry-After"] = str(int(retry_after))
    return response


@require_http_methods(["GET", "HEAD"])
def letter_sent(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign_or_404(request, slug)
    if isinstance(campaign, HttpResponse):
        return campaign
    return render(
        request,
        "advocacy/message.html",
        {
            "title": "Please check your e-mail",
            "message": (
                f"Thank you for writing about “{campaign.title}”. We have sent you an e-mail: "
                "your letters are sent once you open the link in it and press its button."
            ),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def letter_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: mail scanners that open links must not send
    letters on a supporter's behalf."""
    try:
        if request.method != "POST":
            request_id = letter_request_id_from_token(token=token)
            letter_request = (
                LetterRequest.objects.select_related("campaign").filter(pk=request_id).first()
            )
            if letter_request is None:
                raise DomainError("These letters no longer exist.", status=404)
            return render(
                request,
                "advocacy/letters/confirm.html",
                {
                    "letter_request": letter_request,
                    "letters": letters_for_request(request=letter_request),
                    "confirmed": letter_request.status == "confirmed",
                },
            )
        letter_request = letter_request_confirm(token=token)
    except DomainError as exc:
        return render(
            request,
            "advocacy/message.html",
            {"title": "This link does not work", "message": exc.message},
            status=exc.status,
        )
    return render(
        request,
        "advocacy/letters/confirm.html",
        {
            "letter_request": letter_request,
            "letters": letters_for_request(request=letter_request),
            "confirmed": True,
            "just_confirmed": True,
        },
    )
