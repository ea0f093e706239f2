"""The organisation API: `Authorization: Bearer rsl_…`, one organisation per token.

Every queryset starts from the token's organisation, so another organisation's objects are
indistinguishable from ids that never existed (404, never 403). Viewer tokens read; owner
and editor tokens also write.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from advocacy.models import Letter, LetterStatus, Signature, Webhook, WebhookDelivery
from advocacy.org_serializers import (
    SLUG_TAKEN,
    TEMPLATE_LANGUAGE_TAKEN,
    CampaignSerializer,
    CampaignStatusSerializer,
    LetterSerializer,
    LetterTemplateSerializer,
    PetitionSerializer,
    ResolutionImportReportSerializer,
    ResolutionImportSerializer,
    SignatureSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
    WebhookWithSecretSerializer,
)
from advocacy.webhooks import webhook_create, webhook_secret_rotate
from campaign.api_tokens import ApiTokenAuthentication
from campaign.audit import audit_record
from campaign.models import (
    ApiToken,
    Campaign,
    CampaignStatus,
    LetterTemplate,
    Organisation,
    Petition,
)
from campaign.permissions import token_may_read_personal_data
from config.api import parse_query_datetime
from config.errors import ConflictError

ERRORS = {
    400: OpenApiResponse(description="Invalid input: `error.fields` names each bad field."),
    401: OpenApiResponse(description="Missing, invalid or revoked token."),
    403: OpenApiResponse(description="The token's role may not write."),
    404: OpenApiResponse(description="No such object in this organisation."),
}


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "campaign.api_tokens.ApiTokenAuthentication"
    name = "organisationToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "rsl_…"}


class OrganisationTokenPermission(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return False
        return request.method in permissions.SAFE_METHODS or token.can_write


class OrgApiMixin(APIView):
    lookup_value_regex = "[0-9]+"
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [OrganisationTokenPermission]

    @property
    def organisation(self) -> Organisation:
        token = self.request.auth
        assert isinstance(token, ApiToken)  # noqa: S101  (guaranteed by the permission)
        return token.organisation

    def get_serializer_context(self) -> dict[str, Any]:
        context: dict[str, Any] = super().get_serializer_context()  # type: ignore[misc]  # GenericAPIView supplies it
        if isinstance(self.request.auth, ApiToken):
            context["organisation"] = self.request.auth.organisation
            context["personal_data"] = token_may_read_personal_data(self.request.auth)
        return context

    def audit(self, action_name: str, obj: Any, detail: dict[str, Any] | None = None) -> None:
        token = self.request.auth
        assert isinstance(token, ApiToken)  # noqa: S101
        audit_record(
            action=action_name,
            organisation=token.organisation,
            actor_label=f"api token {token.prefix} ({token.name})",
            obj=obj,
            detail=detail,
            request=self.request._request,
        )


# The largest id a bigint primary key holds (DEFAULT_AUTO_FIELD is BigAutoField).
_ID_MAX = 2**63 - 1


class NewestFirstCursor(CursorPagination):
    """Pages ordered by id, newest first. A cursor is base64 of `o=…&r=…&p=…`, where `p` is
    the id at the edge of the last page; clients can read and edit it, so every part is
    checked before it reaches the database."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-id"
    invalid_cursor_message = "Invalid cursor: pass on the `next` or `previous` link unchanged."

    def decode_cursor(self, request: Request) -> Cursor | None:
        # DRF answers an undecodable cursor with a 404, as though the list were gone, and
        # passes `p` to the database as it came (`p=abc` became a 500): both are the input's
        # fault, so a 400 naming the parameter.
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise self._invalid() from exc
        if cursor is None or cursor.position is None:
            return cursor
        position = str(cursor.position)  # as decoded, a string (the stubs say int)
        # ASCII digits only (str.isdigit() is true for "²"), and no longer than a bigint, so
        # int() is cheap and the value fits the id column.
        if not (position.isascii() and position.isdigit()) or len(position) > len(str(_ID_MAX)):
            raise self._invalid()
        value = int(position)
        if not 0 < value <= _ID_MAX:
            raise self._invalid()
        return cursor._replace(position=value)

    def _invalid(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [str(self.invalid_cursor_message)]})

    def get_page_size(self, request: Request) -> int:
        # DRF quietly falls back to the default for `page_size=abc`, `0` or `-5` and cuts
        # `5000` down to the maximum: a client that asked for something else got a page it
        # did not ask for, without a word. The schema states the range; outside it, a 400.
        raw = request.query_params.get(self.page_size_query_param or "")
        if raw is None:
            return self.page_size
        digits = raw.isascii() and raw.isdigit() and len(raw) <= 10
        if not digits or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"Must be a whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


def _datetime_param(request: Request, name: str) -> Any:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    value = parse_query_datetime(raw)
    if value is None:
        raise ValidationError({name: ["Use an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z."]})
    return value


def _created_between(queryset: QuerySet[Any], request: Request) -> QuerySet[Any]:
    """?since= (inclusive) and ?until= (exclusive) on created_at."""
    since, until = _datetime_param(request, "since"), _datetime_param(request, "until")
    if since is not None:
        queryset = queryset.filter(created_at__gte=since)
    if until is not None:
        queryset = queryset.filter(created_at__lt=until)
    return queryset


# An id filter (?campaign=, ?mep=) as _int_param accepts it: up to 18 digits, so that int()
# is cheap and the value fits any integer column. The schema says so, so that generated
# clients (and schemathesis) do not take `-1` for a valid filter.
_ID_FILTER_SCHEMA = {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    # ASCII digits only: str.isdigit() is true for "²", which int() refuses.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise ValidationError({name: ["Must be a whole number (an id), without a sign."]})
    return int(raw)


@extend_schema(tags=["organisation: campaigns"])
class CampaignViewSet(OrgApiMixin, viewsets.ModelViewSet[Campaign]):
    serializer_class = CampaignSerializer
    pagination_class = NewestFirstCursor
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Campaign]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Campaign.objects.none()
        return Campaign.objects.filter(organisation=self.organisation).select_related("petition")

    @extend_schema(responses={201: CampaignSerializer, **ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        from campaign.services import campaign_create

        serializer = CampaignSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            campaign = campaign_create(organisation=self.organisation, **serializer.validated_data)
            self.audit("campaign.create", campaign)
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: serializers.BaseSerializer[Campaign]) -> None:
        try:
            with transaction.atomic():
                campaign = serializer.save()
                fields = sorted(serializer.validated_data)
                self.audit("campaign.update", campaign, {"fields": fields})
        except IntegrityError as exc:  # the slug taken between the check and the save
            if "slug" not in serializer.validated_data:
                raise
            raise ValidationError({"slug": [SLUG_TAKEN]}) from exc

    def perform_destroy(self, instance: Campaign) -> None:
        with transaction.atomic():
            # Locked: a campaign published meanwhile (and signed) is not deleted as a draft.
            instance = Campaign.objects.select_for_update().get(pk=instance.pk)
            if instance.status != CampaignStatus.DRAFT:
                raise ConflictError(
                    "Only draft campaigns can be deleted; close this one instead.",
                    code="campaign_not_draft",
                )
            self.audit("campaign.delete", instance)
            instance.delete()

    @extend_schema(request=CampaignStatusSerializer, responses={200: CampaignSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        """Publish (live), pause or close a campaign."""
        from campaign.services import campaign_status_set

        campaign = self.get_object()
        serializer = CampaignStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            campaign = campaign_status_set(
                campaign=campaign, status=serializer.validated_data["status"]
            )
            self.audit("campaign.status", campaign, {"status": campaign.status})
        return Response(CampaignSerializer(campaign).data)

    @extend_schema(
        methods=["GET"], responses={200: PetitionSerializer, **ERRORS}, operation_id="petition_get"
    )
    @extend_schema(
        methods=["PATCH"],
        request=PetitionSerializer,
        responses={200: PetitionSerializer, **ERRORS},
        operation_id="petition_update",
    )
    @action(detail=True, methods=["get", "patch"], url_path="petition")
    def petition(self, request: Request, pk: str | None = None) -> Response:
        """The campaign's petition. Changing the consent text starts a new consent version."""
        campaign = self.get_object()
        petition = campaign.petition
        if request.method == "GET":
            return Response(PetitionSerializer(petition).data)
        serializer = PetitionSerializer(petition, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            # Locked, so that two new consent texts sent at once get a version each: a
            # signature's consent points at the version of the text its signer was shown.
            petition = Petition.objects.select_for_update().get(pk=petition.pk)
            serializer.instance = petition
            changes: dict[str, Any] = {}
            new_consent = serializer.validated_data.get("consent_text")
            if new_consent is not None and new_consent != petition.consent_text:
                changes["consent_version"] = petition.consent_version + 1
            serializer.save(**changes)
            self.audit("petition.update", petition, {"fields": sorted(serializer.validated_data)})
        return Response(PetitionSerializer(petition).data)


@contextmanager
def _language_taken_as_400() -> Iterator[None]:
    """The template's language taken by a concurrent request between the serializer's check
    and the save: the same 400 as the check's, not a 500."""
    try:
        yield
    except IntegrityError as exc:
        if "letter_template_unique_language" not in str(exc):
            raise
        raise ValidationError({"language": [TEMPLATE_LANGUAGE_TAKEN]}) from exc


@extend_schema(tags=["organisation: letter templates"])
@extend_schema_view(
    # On the list only: creating and changing take the campaign in the body, and the schema
    # offered `?campaign=` to them as well, where it does nothing.
    list=extend_schema(
        parameters=[OpenApiParameter("campaign", _ID_FILTER_SCHEMA, description="Campaign id.")]
    )
)
class LetterTemplateViewSet(OrgApiMixin, viewsets.ModelViewSet[LetterTemplate]):
    serializer_class = LetterTemplateSerializer
    pagination_class = NewestFirstCursor
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[LetterTemplate]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return LetterTemplate.objects.none()
        queryset = LetterTemplate.objects.filter(campaign__organisation=self.organisation)
        campaign_id = _int_param(self.request, "campaign")
        if campaign_id is not None:
            queryset = queryset.filter(campaign_id=campaign_id)
        return queryset

    def perform_create(self, serializer: serializers.BaseSerializer[LetterTemplate]) -> None:
        with _language_taken_as_400(), transaction.atomic():
            self.audit("letter_template.create", serializer.save())

    def perform_update(self, serializer: serializers.BaseSerializer[LetterTemplate]) -> None:
        with _language_taken_as_400(), transaction.atomic():
            self.audit("letter_template.update", serializer.save())

    def perform_destroy(self, instance: LetterTemplate) -> None:
        with transaction.atomic():
            self.audit("letter_template.delete", instance)
            instance.delete()


@extend_schema(
    tags=["organisation: signatures"],
    parameters=[
        OpenApiParameter("campaign", _ID_FILTER_SCHEMA, description="Campaign id."),
        OpenApiParameter("status", OpenApiTypes.STR, enum=["pending", "confirmed"]),
        OpenApiParameter("since", OpenApiTypes.DATETIME, description="Created at or after."),
        OpenApiParameter("until", OpenApiTypes.DATETIME, description="Created before."),
    ],
)
class SignatureViewSet(OrgApiMixin, viewsets.ReadOnlyModelViewSet[Signature]):
    serializer_class = SignatureSerializer
    pagination_class = NewestFirstCursor

    def get_queryset(self) -> QuerySet[Signature]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Signature.objects.none()
        queryset = Signature.objects.filter(
            petition__campaign__organisation=self.organisation
        ).select_related("supporter", "petition")
        campaign_id = _int_param(self.request, "campaign")
        if campaign_id is not None:
            queryset = queryset.filter(petition__campaign_id=campaign_id)
        status_filter = self.request.query_params.get("status")
        if status_filter is not None:
            if status_filter not in {"pending", "confirmed"}:
                raise ValidationError({"status": ["Use pending or confirmed."]})
            queryset = queryset.filter(status=status_filter)
        return _created_between(queryset, self.request)


@extend_schema(
    tags=["organisation: letters"],
    parameters=[
        OpenApiParameter("campaign", _ID_FILTER_SCHEMA, description="Campaign id."),
        OpenApiParameter(
            "status",
            OpenApiTypes.STR,
            enum=["awaiting_confirmation", "queued", "sent", "failed", "cancelled", "skipped"],
        ),
        OpenApiParameter("mep", _ID_FILTER_SCHEMA, description="The MEP's EP id."),
        OpenApiParameter("since", OpenApiTypes.DATETIME, description="Created at or after."),
        OpenApiParameter("until", OpenApiTypes.DATETIME, description="Created before."),
    ],
)
class LetterViewSet(OrgApiMixin, viewsets.ReadOnlyModelViewSet[Letter]):
    serializer_class = LetterSerializer
    pagination_class = NewestFirstCursor

    def get_queryset(self) -> QuerySet[Letter]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Letter.objects.none()
        queryset = Letter.objects.filter(campaign__organisation=self.organisation).select_related(
            "mep", "supporter", "outbound_email"
        )
        campaign_id = _int_param(self.request, "campaign")
        if campaign_id is not None:
            queryset = queryset.filter(campaign_id=campaign_id)
        mep = _int_param(self.request, "mep")
        if mep is not None:
            queryset = queryset.filter(mep__ep_id=mep)
        status_filter = self.request.query_params.get("status")
        if status_filter is not None:
            if status_filter not in LetterStatus.values:
                choices = ", ".join(LetterStatus.values)
                raise ValidationError({"status": [f"Use one of: {choices}."]})
            queryset = queryset.filter(status=status_filter)
        return _created_between(queryset, self.request)


class ResolutionImportApi(OrgApiMixin):
    @extend_schema(
        tags=["organisation: resolutions"],
        request=ResolutionImportSerializer,
        responses={200: ResolutionImportReportSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        """Import a Legislative Observatory summary; each call becomes a draft campaign.
        Idempotent; `dry_run` reports without writing."""
        from campaign.importer.services import (
            MAX_IMPORT_BYTES,
            ImportInputError,
            resolution_import,
            resolution_text_decode,
        )

        serializer = ResolutionImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        encoded = data["text"].encode()
        if len(encoded) > MAX_IMPORT_BYTES:
            raise ValidationError({"text": [f"At most {MAX_IMPORT_BYTES:,} bytes."]})
        try:
            # The same checks as the command and the admin: empty, binary or control junk.
            text = resolution_text_decode(data=encoded)
            report = resolution_import(
                organisation=self.organisation,
                text=text,
                source_url=data.get("source_url") or "",
                publish=data["publish"],
                dry_run=data["dry_run"],
            )
        except ImportInputError as exc:
            raise ImportInputError(exc.message, fields={"text": [exc.message]}) from exc
        if not report.dry_run and report.changed_anything:
            self.audit(
                "resolution.import",
                None,
                {"procedure": report.procedure_reference, "created": len(report.created)},
            )
        return Response(ResolutionImportReportSerializer(report).data)


@extend_schema(tags=["organisation: webhooks"])
class WebhookViewSet(
    OrgApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Webhook],
):
    serializer_class = WebhookSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Webhook]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Webhook.objects.none()
        return Webhook.objects.filter(organisation=self.organisation).order_by("id")

    @extend_schema(
        request=WebhookSerializer, responses={201: WebhookWithSecretSerializer, **ERRORS}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Register an endpoint. The reply carries the signing secret, the only time it is
        shown; rotate-secret replaces a lost or leaked one."""
        serializer = WebhookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            webhook = webhook_create(
                organisation=self.organisation,
                url=serializer.validated_data["url"],
                events=serializer.validated_data.get("events")
                or ["signature.confirmed", "letter.sent"],
            )
            self.audit("webhook.create", webhook)
        return Response(WebhookWithSecretSerializer(webhook).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: WebhookWithSecretSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """Replace the signing secret; the reply carries the new one, the only time it is
        shown. Deliveries not yet sent are signed with the new secret."""
        with transaction.atomic():
            webhook = webhook_secret_rotate(webhook=self.get_object())
            self.audit("webhook.rotate_secret", webhook)
        return Response(WebhookWithSecretSerializer(webhook).data)

    @extend_schema(responses={200: WebhookDeliverySerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        """The latest delivery attempts of this webhook."""
        webhook = self.get_object()
        rows = WebhookDelivery.objects.filter(webhook=webhook).order_by("-id")[:200]
        context = self.get_serializer_context()
        return Response(WebhookDeliverySerializer(rows, many=True, context=context).data)
