"""Supporter-facing API: one view per operation, thin callers of selectors and services."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from advocacy.models import Channel
from advocacy.ratelimit import signing_ratelimit_check
from advocacy.selectors import SignatureCounts, signature_counts_for_petitions
from advocacy.serializers import (
    CampaignDetailOutputSerializer,
    CampaignListOutputSerializer,
    CountersOutputSerializer,
    SignatureCreateInputSerializer,
    SignatureCreateOutputSerializer,
)
from advocacy.signatures import ConsentOutdatedError, signature_create
from campaign.models import Petition
from campaign.permissions import organisation_ids_for
from campaign.selectors import (
    campaign_get_live,
    campaign_get_live_for_signing,
    campaign_list_live,
    petition_counter_get_live,
)
from config.api_schema import error_response
from config.net import client_ip

SIGNED_MESSAGE = (
    "Thank you! We have sent you an e-mail: your signature counts once you open the link in "
    "it and press its button."
)

_SIGNED_BODY = {"status": "pending_confirmation", "message": SIGNED_MESSAGE}
# The same bytes DRF's JSONRenderer writes for it (compact, UTF-8), rendered once: every signer
# gets this answer, and rendering it per request was a thirtieth of the request's CPU.
_SIGNED_JSON = json.dumps(_SIGNED_BODY, ensure_ascii=False, separators=(",", ":")).encode()


class CampaignListApi(APIView):
    @extend_schema(
        operation_id="campaigns_list",
        summary="Live campaigns",
        responses={200: CampaignListOutputSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        campaigns = campaign_list_live()
        serializer = CampaignListOutputSerializer(campaigns, many=True)  # type: ignore[arg-type]
        return Response(serializer.data)


class CampaignDetailApi(APIView):
    @extend_schema(
        operation_id="campaigns_retrieve",
        summary="One live campaign, with its petition and consent text",
        responses={200: CampaignDetailOutputSerializer, 404: error_response("No live campaign.")},
    )
    def get(self, request: Request, slug: str) -> Response:
        campaign = campaign_get_live(slug=slug)
        return Response(CampaignDetailOutputSerializer(campaign).data)


class SignatureCreateApi(APIView):
    @extend_schema(
        operation_id="signatures_create",
        summary="Sign a campaign's petition",
        description=(
            "Creates a pending signature and e-mails a confirmation link; the signature "
            "counts once confirmed. Signing again with the same address gets the same "
            "answer, creates nothing, and re-sends the confirmation at most once per "
            "cool-down period."
        ),
        request=SignatureCreateInputSerializer,
        responses={
            202: SignatureCreateOutputSerializer,
            400: error_response(
                "Invalid input (`invalid`) or a disposable address (`email_disposable`)."
            ),
            404: error_response("No live campaign (`campaign_not_found`)."),
            409: error_response("Outdated consent text (`consent_outdated`) or a closed petition."),
            429: error_response("Too many attempts (`rate_limited`); see Retry-After."),
        },
    )
    def post(self, request: Request, slug: str) -> HttpResponse:
        # This process's copy of the campaign, up to PAGE_CACHE_SECONDS old: signature_create
        # checks in its insert that the campaign is still live and the consent text unchanged.
        campaign = campaign_get_live_for_signing(slug=slug, max_age=settings.PAGE_CACHE_SECONDS)
        serializer = SignatureCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        petition = campaign.petition
        if data["consent_version"] != petition.consent_version:
            # The supporter may have seen a newer text than this process's copy has.
            petition = campaign_get_live_for_signing(slug=slug).petition
            if data["consent_version"] != petition.consent_version:
                raise ConsentOutdatedError(current_version=petition.consent_version)
        signing_ratelimit_check(ip=client_ip(request._request), email=data["email"])
        signature_create(
            petition=petition,
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            country=data["country"],
            postcode=data["postcode"],
            wants_organisation_news=data["organisation_news"],
            channel=Channel.API,
            source=data.get("source") or {},
        )
        # The same answer for every signer (SignatureCreateOutputSerializer documents it).
        return HttpResponse(
            _SIGNED_JSON, status=status.HTTP_202_ACCEPTED, content_type="application/json"
        )


class CampaignCountersApi(APIView):
    # Organisers signed in to the admin see pending counts too; everyone else gets the
    # maintained public counter, which costs no row counting.
    authentication_classes = [SessionAuthentication]

    @extend_schema(
        operation_id="campaigns_counters",
        summary="A campaign's signature counters",
        responses={200: CountersOutputSerializer, 404: error_response("No live campaign.")},
    )
    def get(self, request: Request, slug: str) -> Response:
        petition_id, confirmed, goal = petition_counter_get_live(
            slug=slug, max_age=settings.COUNTERS_CACHE_SECONDS
        )
        body: dict[str, Any] = {
            "confirmed": confirmed,
            "goal": goal,
            "pending": None,
            "today": None,
        }
        user = request.user
        # Why: any staff user used to get any organisation's pending counts (drill 10); only
        # the campaign's own organisers may.
        if (
            user is not None
            and user.is_staff
            and Petition.objects.filter(
                pk=petition_id, campaign__organisation_id__in=organisation_ids_for(user=user)
            ).exists()
        ):
            counts = signature_counts_for_petitions(petition_ids=[petition_id]).get(
                petition_id, SignatureCounts(0, 0, 0)
            )
            body.update(confirmed=counts.confirmed, pending=counts.pending, today=counts.today)
            response = Response(CountersOutputSerializer(body).data)
            response["Cache-Control"] = "private, no-store"
            return response
        response = Response(CountersOutputSerializer(body).data)
        # The public answer is the same for everyone and polled by every open campaign page:
        # a CDN or browser may keep it a few seconds (COUNTERS_CACHE_SECONDS).
        response["Cache-Control"] = f"public, max-age={settings.COUNTERS_CACHE_SECONDS}"
        return response
