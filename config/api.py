"""One error shape for the whole API:

{"error": {"code": "signature_duplicate", "message": "…", "fields": {…}}}
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError
from config.errors_views import UPLOAD_LIMIT_ERRORS, upload_limit_error

logger = logging.getLogger(__name__)


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten_fields(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {key: _flatten_fields(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [
            str(item) if not isinstance(item, dict | list) else _flatten_fields(item)
            for item in detail
        ]  # type: ignore[return-value]
    return [str(detail)]  # type: ignore[return-value]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = _exception_response(exc, context)
    request = context.get("request")
    if response is not None and request is not None:
        # Every error is JSON in the one shape, whatever the view renders when it succeeds.
        # Left to DRF, an error answer takes the view's negotiated renderer or, when the
        # negotiation is what failed (`Accept: text/html`, `?format=xml`), its first one:
        # the schema's 406 came back as YAML and the docs page's as HTML.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = "application/json"
    return response


def _exception_response(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        headers = {}
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            headers["Retry-After"] = str(int(retry_after))
        return Response(
            error_body(exc.code, exc.message, exc.fields), status=exc.status, headers=headers
        )
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is down or unreachable: a clean 503, never a traceback.
        logger.warning("database unavailable during API request: %s", exc)
        return Response(
            error_body("database_unavailable", "The service is briefly unavailable; retry."),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, DataError):
        # A value the database cannot store (out of range, bad encoding): the input's fault.
        logger.info("input rejected by the database: %s", exc)
        return Response(
            error_body("invalid", "A value is out of range or malformed."),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, UPLOAD_LIMIT_ERRORS):
        # Raised when a view first reads request.data. Left to Django, it became a vague 400
        # and an ERROR with a traceback for what is only an oversized request.
        request = context.get("request")
        logger.warning(
            "request refused: %s %s: %s",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            exc,
        )
        http_status, error_code, message = upload_limit_error(exc)
        return Response(error_body(error_code, message), status=http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten_fields(exc.detail)
        if not isinstance(fields, dict):
            fields = {"non_field_errors": fields}
        names = ", ".join(sorted(fields))
        response.data = error_body("invalid", f"Invalid input: {names}.", fields)
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes()
        response.data = error_body(code if isinstance(code, str) else "error", str(exc.detail))
    return response


def parse_query_datetime(raw: str) -> datetime | None:
    """An ISO 8601 date or date-time from a query parameter, in UTC, or None when malformed.

    Any offset RFC 3339 allows (up to ±23:59) is taken and converted: the schema documents
    these parameters as `date-time`, and `+15:30` used to be refused as beyond the ±14:00
    that real zones use, a 400 for a valid value. An instant that falls outside the years
    1–9999 once in UTC (`0001-01-01T00:30+01:00`) is None."""
    raw = raw.strip()
    try:
        value = parse_datetime(raw)  # well-formed but impossible (month 13, 30 February) raises
    except ValueError:
        return None
    if value is None:
        try:
            day = parse_date(raw) if len(raw) == 10 else None
        except ValueError:
            return None
        if day is None:
            return None
        value = datetime.combine(day, time.min)
    if timezone.is_naive(value):
        return timezone.make_aware(value, UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return None
