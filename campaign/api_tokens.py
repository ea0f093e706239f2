"""Bearer tokens for the organisation API: one organisation per token, a role per token."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from campaign.models import ApiToken, Organisation

TOKEN_PREFIX = "rsl_"  # noqa: S105  (a marker, not a secret: lets scanners spot leaks)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(
    *,
    organisation: Organisation,
    name: str,
    role: str,
    created_by: AbstractBaseUser | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; the raw secret is returned once and never stored."""
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        organisation=organisation,
        name=name,
        role=role,
        prefix=prefix,
        key_sha256=_digest(raw),
        created_by_id=created_by.pk if created_by is not None else None,
    )
    return token, raw


def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer rsl_…`. request.user stays anonymous; request.auth is the
    ApiToken, and every organisation API view scopes its queries to auth.organisation."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        keyword, _, raw = header.partition(" ")
        if keyword.lower() != self.keyword.lower():  # a scheme is case-insensitive (RFC 9110)
            return None
        raw = raw.strip()
        if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = (
            ApiToken.objects.select_related("organisation")
            .filter(key_sha256=_digest(raw), revoked_at=None)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            # Throttled bookkeeping: one write a minute per token, not one per request.
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser(), token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
