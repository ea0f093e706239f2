"""Public supporter pages: thin callers of the services and selectors. Every refusal renders
a page with a 4xx status and a message in the form, never a 500."""

from __future__ import annotations

import json
import logging
import re
import secrets
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from advocacy.forms import DataRequestForm, EraseForm, SignatureForm
from advocacy.models import Channel, SignatureStatus
from advocacy.ratelimit import signing_ratelimit_check
from advocacy.selectors import supporter_is_unsubscribed
from advocacy.signatures import (
    SignatureNotFoundError,
    signature_confirm,
    signature_confirmation_resend,
    signature_create,
    signature_for_confirmation,
)
from advocacy.supporters import (
    SOURCE_KEYS,
    SupporterNotFoundError,
    data_token_read,
    supporter_data_link_send,
    supporter_erase,
    supporter_export,
    supporter_unsubscribe,
    unsubscribe_token_read,
)
from advocacy.tokens import TokenExpiredError, TokenInvalidError
from campaign.models import Campaign, LetterTemplate
from campaign.selectors import (
    CampaignNotFoundError,
    campaign_get_live,
    campaign_list_live,
    petition_counter_get_live,
)
from config.errors import DomainError
from config.memo import memo
from config.net import client_ip

logger = logging.getLogger(__name__)


def _message(
    request: HttpRequest,
    *,
    status: int,
    title: str,
    message: str,
    extra: dict[str, Any] | None = None,
    template: str = "advocacy/message.html",
) -> HttpResponse:
    context = {"title": title, "message": message, **(extra or {})}
    return render(request, template, context, status=status)


def _campaign_not_found(request: HttpRequest) -> HttpResponse:
    return _message(
        request,
        status=404,
        title="Campaign not found",
        message="This campaign does not exist or is no longer open.",
    )


def _campaign_or_404(request: HttpRequest, slug: str) -> Campaign | HttpResponse:
    try:
        return campaign_get_live(slug=slug)
    except CampaignNotFoundError:
        return _campaign_not_found(request)


# --- Campaigns and signing ------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The list of live campaigns."""
    return render(request, "advocacy/home.html", {"campaigns": campaign_list_live()})


def _signature_form(campaign: Campaign, data: Any = None, **kwargs: Any) -> SignatureForm:
    return SignatureForm(
        data,
        consent_text=campaign.petition.consent_text,
        organisation_name=campaign.organisation.name,
        **kwargs,
    )


def _campaign_context(campaign: Campaign, form: SignatureForm, **extra: str) -> dict[str, Any]:
    resolution = campaign.call.resolution if campaign.call_id and campaign.call else None
    return {
        "campaign": campaign,
        "petition": campaign.petition,
        "resolution": resolution,
        "form": form,
        # The letters flow is reached from here (the page is cached: one query per copy).
        "writes_letters": LetterTemplate.objects.filter(campaign=campaign).exists(),
        **extra,
    }


def _render_campaign(
    request: HttpRequest, campaign: Campaign, form: SignatureForm, status: int = 200
) -> HttpResponse:
    context = _campaign_context(campaign, form, form_action=request.get_full_path())
    return render(request, "advocacy/campaign_detail.html", context, status=status)


# A campaign page is the same for every visitor but for four parts. Its cached copy
# (config/memo.py, PAGE_CACHE_SECONDS) holds this process's random placeholders for them,
# which each request fills in, escaped, in one pass (so nothing filled in is scanned again).
_SLOTS = {
    name: f"slot-{secrets.token_hex(16)}" for name in ("csrf", "action", "referrer", "counter")
}
_SLOT_PATTERN = re.compile("|".join(_SLOTS.values()))


# Per language, the counter's last figures and their HTML: most visits in a row see the same.
_counter_last: dict[str, tuple[int, int, str]] = {}


def _counter_html(confirmed: int, goal: int) -> str:
    language = get_language()
    last = _counter_last.get(language)
    if last is not None and last[0] == confirmed and last[1] == goal:
        return last[2]
    html = render_to_string(
        "advocacy/_counter.html", {"petition": {"confirmed_count": confirmed, "goal": goal}}
    )
    _counter_last[language] = (confirmed, goal, html)
    return html


def _campaign_page(request: HttpRequest, slug: str) -> HttpResponse:
    # The counter is read fresh: a supporter back from confirming sees their signature, and a
    # campaign closed a moment ago is a 404 at once. One indexed row, not the whole campaign.
    try:
        _, confirmed, goal = petition_counter_get_live(slug=slug)
    except CampaignNotFoundError:
        return _campaign_not_found(request)
    key, seconds = f"page:{slug}:{get_language()}", settings.PAGE_CACHE_SECONDS
    html: str | None = memo.get(key) if seconds else None
    if html is None:
        campaign = _campaign_or_404(request, slug)
        if isinstance(campaign, HttpResponse):
            return campaign  # closed since the counter was read
        form = _signature_form(campaign, initial={"referrer": _SLOTS["referrer"]})
        context = _campaign_context(
            campaign,
            form,
            form_action=_SLOTS["action"],
            csrf_token=_SLOTS["csrf"],
            counter_slot=_SLOTS["counter"],
        )
        html = render_to_string("advocacy/campaign_detail.html", context, request)
        if seconds:
            memo.set(key, html, seconds)
    values = {
        _SLOTS["csrf"]: get_token(request),
        _SLOTS["action"]: escape(request.get_full_path()),
        _SLOTS["referrer"]: escape(request.headers.get("referer", "")[:500]),
        _SLOTS["counter"]: _counter_html(confirmed, goal),
    }
    return HttpResponse(_SLOT_PATTERN.sub(lambda match: values[match.group(0)], html))


@require_http_methods(["GET", "POST"])
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The campaign page and its petition form; a valid POST signs and redirects (303) to the
    thank-you page, which is the same whether the person signed before or not."""
    if request.method == "GET":
        return _campaign_page(request, slug)
    campaign = _campaign_or_404(request, slug)
    if isinstance(campaign, HttpResponse):
        return campaign
    form = _signature_form(campaign, request.POST)
    if form.is_honeypot_filled:
        form.is_valid()
        form.add_error(None, "We could not accept this form. Please try again.")
        return _render_campaign(request, campaign, form, status=400)
    if not form.is_valid():
        return _render_campaign(request, campaign, form, status=400)
    data = form.cleaned_data
    source = {key: request.GET.get(key, "") for key in SOURCE_KEYS if key != "referrer"}
    source["referrer"] = data.get("referrer", "")
    try:
        signing_ratelimit_check(ip=client_ip(request), email=data["email"])
        signature_create(
            petition=campaign.petition,
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            country=data["country"],
            postcode=data["postcode"],
            wants_organisation_news=data["organisation_news"],
            channel=Channel.PAGE,
            source=source,
        )
    except DomainError as exc:
        for field, messages in exc.fields.items():
            for text in messages:
                form.add_error(field if field in form.fields else None, text)
        if not exc.fields:
            form.add_error(None, exc.message)
        response = _render_campaign(request, campaign, form, status=exc.status)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            response["Retry-After"] = str(int(retry_after))
        return response
    return HttpResponseRedirect(
        reverse("advocacy:campaign-thanks", kwargs={"slug": campaign.slug}), status=303
    )


@require_GET
def campaign_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign_or_404(request, slug)
    if isinstance(campaign, HttpResponse):
        return campaign
    return render(request, "advocacy/thanks.html", {"campaign": campaign})


# --- Confirmation links ---------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def signature_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the confirmation mail: GET shows a button, POST confirms, as for letters.
    Mail scanners open every link in a mail (to check it), so a link that confirmed on GET
    let anyone sign with someone else's address and have that person's scanner confirm it.
    Following it, or pressing the button, twice is harmless."""
    try:
        if request.method != "POST":
            pending = signature_for_confirmation(token=token)
            if pending.status != SignatureStatus.CONFIRMED:
                return render(
                    request,
                    "advocacy/confirm_signature.html",
                    {"campaign": pending.petition.campaign, "token": token},
                )
            signature = pending
        else:
            signature = signature_confirm(token=token)
    except TokenExpiredError:
        return render(request, "advocacy/link_expired.html", {"token": token}, status=410)
    except TokenInvalidError:
        return _message(
            request,
            status=400,
            title="This link is not valid",
            message=(
                "This confirmation link is not valid; it may have been cut short by your mail "
                "program. To get a new one, sign the petition again with the same e-mail "
                "address: we will send you a fresh link."
            ),
            extra={"show_campaigns": True},
        )
    except SignatureNotFoundError as exc:
        return _message(
            request,
            status=404,
            title="Signature not found",
            message=exc.message,
            extra={"show_campaigns": True},
        )
    campaign = signature.petition.campaign
    return render(
        request,
        "advocacy/confirmed.html",
        {"campaign": campaign, "petition": signature.petition},
    )


@require_POST
def signature_confirmation_resend_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        signature_confirmation_resend(token=token)
    except (TokenInvalidError, TokenExpiredError):
        return _message(
            request,
            status=400,
            title="This link is not valid",
            message="Please sign the petition again with the same e-mail address.",
            extra={"show_campaigns": True},
        )
    except SignatureNotFoundError as exc:
        return _message(
            request,
            status=404,
            title="Signature not found",
            message=exc.message,
            extra={"show_campaigns": True},
        )
    return _message(
        request,
        status=200,
        title="Check your inbox",
        message=(
            "We have sent you a new confirmation link, unless we sent one only a few minutes "
            "ago. Please check your inbox (and your spam folder)."
        ),
    )


# --- Unsubscribe (RFC 8058), data export and erasure ----------------------------------------


# Mail clients POST the one-click unsubscribe without cookies or a CSRF token (RFC 8058); the
# signed token in the URL is what authorises it. GET only shows the button: link scanners
# follow every link in a mail and must not unsubscribe anyone.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        supporter_id = unsubscribe_token_read(token=token)
    except (TokenInvalidError, TokenExpiredError):
        return _message(
            request,
            status=400,
            title="This link is not valid",
            message="This unsubscribe link is not valid; it may have been cut short.",
        )
    try:
        if request.method == "POST":
            supporter_unsubscribe(supporter_id=supporter_id)
            done = True
        else:
            unsubscribed = supporter_is_unsubscribed(supporter_id=supporter_id)
            if unsubscribed is None:
                raise SupporterNotFoundError("We hold no data for this link any more.")
            done = unsubscribed  # already: say so, no button to press again
    except SupporterNotFoundError as exc:
        return _message(request, status=404, title="Nothing to unsubscribe", message=exc.message)
    return render(
        request,
        "advocacy/unsubscribe.html",
        # No link to the person's data here: an unsubscribe link never expires and is in
        # every mail, so whoever holds one mail would hold the data too. The data page is
        # reached by a link sent on request, valid for hours (supporter_data_link_send).
        {"token": token, "done": done},
    )


@require_http_methods(["GET", "POST"])
def supporter_data_request(request: HttpRequest) -> HttpResponse:
    """Ask for a link to one's data by e-mail. The answer never reveals whether we know the
    address."""
    if request.method == "GET":
        return render(request, "advocacy/data_request.html", {"form": DataRequestForm()})
    form = DataRequestForm(request.POST)
    if not form.is_valid():
        return render(request, "advocacy/data_request.html", {"form": form}, status=400)
    try:
        signing_ratelimit_check(ip=client_ip(request), email=form.cleaned_data["email"])
    except DomainError as exc:
        form.add_error(None, exc.message)
        response = render(request, "advocacy/data_request.html", {"form": form}, status=exc.status)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            response["Retry-After"] = str(int(retry_after))
        return response
    supporter_data_link_send(email=form.cleaned_data["email"])
    return _message(
        request,
        status=200,
        title="Check your inbox",
        message=(
            "If we hold data about this address, we have sent it a link to download or erase "
            "that data."
        ),
    )


def _data_supporter_id(request: HttpRequest, token: str) -> int | HttpResponse:
    try:
        return data_token_read(token=token)
    except TokenExpiredError:
        return _message(
            request,
            status=410,
            title="This link has expired",
            message="Please ask for a new link.",
            extra={"show_data_request": True},
        )
    except TokenInvalidError:
        return _message(
            request,
            status=400,
            title="This link is not valid",
            message="Please ask for a new link.",
            extra={"show_data_request": True},
        )


@require_GET
def supporter_data(request: HttpRequest, token: str) -> HttpResponse:
    supporter_id = _data_supporter_id(request, token)
    if isinstance(supporter_id, HttpResponse):
        return supporter_id
    try:
        data = supporter_export(supporter_id=supporter_id)
    except SupporterNotFoundError as exc:
        return _message(request, status=404, title="No data", message=exc.message)
    return render(
        request,
        "advocacy/supporter_data.html",
        {"token": token, "data": data, "form": EraseForm()},
    )


@require_GET
def supporter_data_export(request: HttpRequest, token: str) -> HttpResponse:
    supporter_id = _data_supporter_id(request, token)
    if isinstance(supporter_id, HttpResponse):
        return supporter_id
    try:
        data = supporter_export(supporter_id=supporter_id)
    except SupporterNotFoundError as exc:
        return _message(request, status=404, title="No data", message=exc.message)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def supporter_data_erase(request: HttpRequest, token: str) -> HttpResponse:
    supporter_id = _data_supporter_id(request, token)
    if isinstance(supporter_id, HttpResponse):
        return supporter_id
    form = EraseForm(request.POST)
    if not form.is_valid():
        try:
            data = supporter_export(supporter_id=supporter_id)
        except SupporterNotFoundError as exc:
            return _message(request, status=404, title="No data", message=exc.message)
        return render(
            request,
            "advocacy/supporter_data.html",
            {"token": token, "data": data, "form": form},
            status=400,
        )
    try:
        supporter_erase(supporter_id=supporter_id)
    except SupporterNotFoundError as exc:
        return _message(request, status=404, title="No data", message=exc.message)
    return _message(
        request,
        status=200,
        title="Your data has been erased",
        message=(
            "We have erased your name, e-mail address and postcode. Your signatures still "
            "count, anonymously."
        ),
    )
