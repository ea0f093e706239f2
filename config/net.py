"""Who is asking: the client address behind a known number of trusted proxies."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, unless TRUSTED_PROXY_COUNT proxies append to X-Forwarded-For: then the
    entry the outermost trusted proxy added (Nth from the right). Entries further left were
    written by the client and can be forged, so a forged header never moves the answer."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies = int(settings.TRUSTED_PROXY_COUNT)
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]
