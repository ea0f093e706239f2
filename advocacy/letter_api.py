"""Letters API: one view per operation, thin callers of advocacy.letters."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from advocacy.letter_serializers import (
    LetterConfirmInputSerializer,
    LetterConfirmOutputSerializer,
    LetterDraftOutputSerializer,
    LetterPreviewInputSerializer,
    LetterRequestCreateInputSerializer,
    LetterRequestOutputSerializer,
    MepTargetOutputSerializer,
)
from advocacy.letters import (
    campaign_get_for_letters,
    letter_preview,
    letter_preview_ratelimit_check,
    letter_ratelimit_check,
    letter_request_confirm,
    letter_request_create,
    letter_targets_list,
    letters_for_request,
)
from advocacy.models import Channel
from advocacy.tokens import TokenExpiredError, TokenInvalidError
from config.api_schema import error_response
from config.net import client_ip

WRITTEN_MESSAGE = (
    "Thank you! We have sent you an e-mail: your letters are sent once you open the link in "
    "it and press its button."
)


class CampaignMepListApi(APIView):
    @extend_schema(
        operation_id="campaign_meps_list",
        summary="The MEPs a campaign writes to in one country",
        parameters=[
            OpenApiParameter("country", str, required=True, description="ISO code, e.g. DE")
        ],
        responses={
            200: MepTargetOutputSerializer(many=True),
            400: error_response("Unknown country (`country_unknown`)."),
            404: error_response("No live letter campaign (`campaign_not_found`)."),
        },
    )
    def get(self, request: Request, slug: str) -> Response:
        campaign = campaign_get_for_letters(slug=slug)
        targets = letter_targets_list(
            campaign=campaign, country=str(request.query_params.get("country", ""))
        )
        return Response(MepTargetOutputSerializer(targets, many=True).data)


class LetterPreviewApi(APIView):
    @extend_schema(
        operation_id="letters_preview",
        summary="The personalised letters for the chosen MEPs, before sending",
        request=LetterPreviewInputSerializer,
        responses={
            200: LetterDraftOutputSerializer(many=True),
            400: error_response(
                "Invalid input (`invalid`, `letter_invalid`, `country_unknown`, "
                "`mep_not_targeted`)."
            ),
            404: error_response("No live letter campaign (`campaign_not_found`)."),
            429: error_response("Too many previews (`rate_limited`); see Retry-After."),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        campaign = campaign_get_for_letters(slug=slug)
        serializer = LetterPreviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        letter_preview_ratelimit_check(ip=client_ip(request._request))
        drafts = letter_preview(
            campaign=campaign,
            country=data["country"],
            mep_ids=data["mep_ids"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            city=data["city"],
            personal_note=data["personal_note"],
        )
        return Response(LetterDraftOutputSerializer(drafts, many=True).data)


class LetterRequestCreateApi(APIView):
    @extend_schema(
        operation_id="letters_create",
        summary="Write to the chosen MEPs",
        description=(
            "Stores one letter per chosen MEP, awaiting confirmation, and e-mails a "
            "confirmation link; nothing is sent before it is opened. `letters` may carry the "
            "supporter's edited text per MEP (refused with `letter_locked` when the organiser "
            "locked the text). One letter per supporter per MEP: writing again changes nothing."
        ),
        request=LetterRequestCreateInputSerializer,
        responses={
            202: LetterRequestOutputSerializer,
            400: error_response(
                "Invalid input (`invalid`, `letter_invalid`, `letter_locked`, "
                "`country_unknown`, `consent_required`, `mep_not_targeted`)."
            ),
            404: error_response("No live letter campaign (`campaign_not_found`)."),
            429: error_response("Too many attempts (`rate_limited`); see Retry-After."),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        campaign = campaign_get_for_letters(slug=slug)
        serializer = LetterRequestCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        letter_ratelimit_check(ip=client_ip(request._request), email=data["email"])
        letter_request_create(
            campaign=campaign,
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            country=data["country"],
            city=data["city"],
            postcode=data["postcode"],
            mep_ids=data["mep_ids"],
            consent=data["consent"],
            personal_note=data["personal_note"],
            bodies={item["mep_id"]: item["body"] for item in data["letters"]},
            wants_copy=data["wants_copy"],
            channel=Channel.API,
            source=data["source"],
        )
        # The same answer whatever the address has written before, or whether anything was
        # created: what happened goes to the address's owner, in the mail. An answer that
        # counted the new letters or named the MEPs already written to told anyone who typed
        # a stranger's address what that person had done.
        body = {"status": "awaiting_confirmation", "message": WRITTEN_MESSAGE}
        return Response(LetterRequestOutputSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class LetterConfirmApi(APIView):
    @extend_schema(
        operation_id="letters_confirm",
        summary="Confirm letters with the token from the e-mail link",
        request=LetterConfirmInputSerializer,
        responses={
            200: LetterConfirmOutputSerializer,
            400: error_response("Invalid token (`token_invalid`)."),
            404: error_response("The letters no longer exist (`letter_request_not_found`)."),
            409: error_response(
                "The campaign has been closed or paused since; nothing was sent "
                "(`campaign_not_live`)."
            ),
            410: error_response("Expired token (`token_expired`)."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = LetterConfirmInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            letter_request = letter_request_confirm(token=serializer.validated_data["token"])
        except (TokenInvalidError, TokenExpiredError) as exc:
            # The field the client sent, named like any other bad input.
            raise type(exc)(exc.message, fields={"token": [exc.message]}) from None
        body = {"status": "confirmed", "letters": letters_for_request(request=letter_request)}
        return Response(LetterConfirmOutputSerializer(body).data)
