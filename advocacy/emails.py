"""E-mail addresses and the headers every outgoing mail to a supporter carries."""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.urls import reverse

from advocacy.tokens import token_make


def normalise_email(raw: str) -> str:
    """One person, one address: outer whitespace stripped, Unicode NFC, domain lower-cased.
    The local part keeps its case (RFC 5321 lets servers treat it as case-sensitive)."""
    value = unicodedata.normalize("NFC", raw.strip())
    local, at, domain = value.rpartition("@")
    if not at:
        return value
    return f"{local}@{domain.lower()}"


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def unsubscribe_url(*, supporter_id: int) -> str:
    token = token_make(purpose="unsubscribe", object_id=supporter_id)
    return absolute_url(reverse("advocacy:unsubscribe", kwargs={"token": token}))


def unsubscribe_headers(*, url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients POST to `url` (the mail's own
    `unsubscribe_url`, made once for its body and headers), without cookies."""
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
