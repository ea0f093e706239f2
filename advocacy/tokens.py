"""Signed, expiring tokens for links in e-mails (confirm, unsubscribe, data requests).

A token names what it is for (the salt), so a confirmation link can never be replayed as an
unsubscribe link, and carries only an id: the state lives in the database.
"""

from __future__ import annotations

from django.core import signing

from config.errors import DomainError


class TokenExpiredError(DomainError):
    code = "token_expired"
    status = 410


class TokenInvalidError(DomainError):
    code = "token_invalid"
    status = 400


def token_make(*, purpose: str, object_id: int) -> str:
    return signing.TimestampSigner(salt=f"resolute.{purpose}").sign(str(object_id))


def token_read(*, purpose: str, token: str, max_age_seconds: int | None) -> int:
    """The id inside a token made for `purpose`; raises TokenExpiredError/TokenInvalidError."""
    signer = signing.TimestampSigner(salt=f"resolute.{purpose}")
    try:
        value = signer.unsign(token, max_age=max_age_seconds)
    except signing.SignatureExpired as exc:
        raise TokenExpiredError("This link has expired.") from exc
    except signing.BadSignature as exc:
        raise TokenInvalidError("This link is not valid.") from exc
    try:
        return int(value)
    except ValueError as exc:  # signed by us, so only a bug could get here
        raise TokenInvalidError("This link is not valid.") from exc
