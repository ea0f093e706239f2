"""OpenAPI generation: every operation documents the error replies it can really give, in
the one error shape, so generated clients (and schemathesis) know them."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorBodySerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable, machine-readable; clients branch on it.")
    message = serializers.CharField(help_text="For people.")
    # DRF's metaclass moves declared fields out of the class, so this name does not really
    # shadow Serializer.fields; the stubs cannot know that.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        help_text="Per-field messages (lists of strings, nested for nested input), by field.",
    )


class ErrorSerializer(serializers.Serializer[Any]):
    """{"error": {"code": …, "message": …, "fields": {…}}}: every API error."""

    error = ErrorBodySerializer()


_DESCRIPTIONS = {
    "400": "Invalid input; `error.fields` names each bad field.",
    "401": "Missing, invalid or revoked token.",
    "403": "Not allowed.",
    "404": "Not found.",
    "405": "Method not allowed.",
    "409": "Conflicts with the current state.",
    "410": "The link has expired.",
    "413": "The request body is too large.",
    "415": "Unsupported media type.",
    "429": "Rate limited; see Retry-After.",
    "503": "Briefly unavailable (database or broker); retry.",
}


class ResoluteAutoSchema(AutoSchema):
    def _error_codes(self) -> set[str]:
        codes = {"400", "404", "405", "503"}
        if self.method in {"POST", "PUT", "PATCH", "DELETE"}:
            codes |= {"409", "413", "415", "429"}
        if getattr(self.view, "authentication_classes", None):
            codes |= {"401", "403"}
        if "token" in self.path:
            codes.add("410")
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in sorted(self._error_codes() - set(responses)):
            responses[code] = self._get_response_for_code(ErrorSerializer, code)  # type: ignore[no-untyped-call]
            responses[code]["description"] = _DESCRIPTIONS[code]
        return responses


def error_response(description: str) -> OpenApiResponse:
    """An error reply for @extend_schema(responses=…), in the one error shape."""
    return OpenApiResponse(ErrorSerializer, description=description)
