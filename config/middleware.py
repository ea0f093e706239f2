"""Resolute's own middleware: a lost database as a clean 503 for every request, page or API;
pages opened from token links kept out of caches and other sites' Referers; a POST missing
its trailing slash as a 308 a client can follow."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware
from django.utils.cache import add_never_cache_headers
from django.utils.http import escape_leading_slashes

logger = logging.getLogger(__name__)

_UNAVAILABLE_HTML = (
    "<!doctype html><html lang=en><meta charset=utf-8>"
    "<meta name=viewport content='width=device-width,initial-scale=1'>"
    "<title>Briefly unavailable</title>"
    "<h1>We'll be right back</h1><p>Resolute is briefly unavailable. "
    "Nothing you sent was lost; please try again in a minute.</p></html>"
)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable: %s %s: %s", request.method, request.path, exception)
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse(
                {
                    "error": {
                        "code": "database_unavailable",
                        "message": "The service is briefly unavailable; retry.",
                        "fields": {},
                    }
                },
                status=503,
            )
        else:
            response = HttpResponse(_UNAVAILABLE_HTML, status=503)
        response["Retry-After"] = "5"
        return response


class TokenPagesMiddleware:
    """Pages whose address carries a secret (confirmation, unsubscribe and data links: a
    `token` in the URL) are stored by no cache, and send their origin only as Referer, never
    their address: with the site's same-origin policy, following "Back to the campaign" from a
    confirmation page handed its full address, token included, to the campaign page, which
    stores where supporters came from. Not `no-referrer`: browsers then send `Origin: null`
    with the page's own forms, and Django's CSRF check rightly refuses them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and "token" in match.kwargs:
            response["Referrer-Policy"] = "strict-origin"
            add_never_cache_headers(response)  # a person's data, or a way into it
        return response


class CommonMiddleware(DjangoCommonMiddleware):
    """Django's, but a request that is not GET or HEAD, to an address that only exists with
    a trailing slash, is answered 308 (method and body kept: a client that follows it
    re-sends its POST) with a JSON body naming the address, not 301 with an empty body (a
    client that follows that turns the POST into a GET and gets 405; one that does not is
    left with nothing to read). Under DEBUG too: Django raises there to warn the developer,
    and a 308 needs no warning."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        unsafe = request.method not in ("GET", "HEAD")
        if response.status_code == 404 and unsafe and self.should_redirect_with_slash(request):
            # escape_leading_slashes: as Django's own redirect, never "//host/…" (CVE-2018-14574).
            target = escape_leading_slashes(request.get_full_path(force_append_slash=True))
            redirect = JsonResponse(
                {
                    "error": {
                        "code": "trailing_slash",
                        "message": f"This address ends with a slash: {target}",
                        "fields": {},
                    }
                },
                status=308,
            )
            redirect["Location"] = target
            response = redirect
        return super().process_response(request, response)
