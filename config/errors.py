"""The domain error type shared by every app; config/api.py renders it.

Domain code raises a subclass carrying a stable `code` (clients branch on it) and the HTTP
status it maps to. Lives in config/ so that both apps can raise it without importing
each other.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.fields = fields or {}


class NotFoundError(DomainError):
    code = "not_found"
    status = 404


class ConflictError(DomainError):
    code = "conflict"
    status = 409


class RateLimitedError(DomainError):
    code = "rate_limited"
    status = 429


class ServiceUnavailableError(DomainError):
    code = "service_unavailable"
    status = 503


class ExplainedPermissionDenied(PermissionDenied):
    """A refusal whose message is written for the person refused ("… takes the editor role"):
    the 403 page shows it. A plain PermissionDenied's message is never shown."""
