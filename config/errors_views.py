"""Site-wide error pages: JSON in the API's error shape under /api/, plain HTML elsewhere.
Without these, a URL the router does not match (say /api/v1/campaigns/%0D/) would get
Django's HTML page from a JSON API."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

_HTML = (
    "<!doctype html><html lang=en><meta charset=utf-8>"
    "<meta name=viewport content='width=device-width,initial-scale=1'>"
    "<title>{title}</title><h1>{title}</h1><p>{text}</p><p><a href='/'>Home</a></p></html>"
)


def _respond(request: HttpRequest, status: int, code: str, title: str, text: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": code, "message": text, "fields": {}}}, status=status)
    return HttpResponse(_HTML.format(title=title, text=text), status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 400, "bad_request", "Bad request", "The request was malformed.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 403, "permission_denied", "Forbidden", "You may not do this.")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 404, "not_found", "Not found", "There is nothing at this address.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _respond(
        request, 500, "server_error", "Something went wrong", "Please try again in a moment."
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without its security token (a page kept open for hours, cookies blocked):
    say what to do, instead of Django's technical page (whose inline style the CSP blocks)."""
    return _respond(
        request,
        403,
        "csrf_failed",
        "Please try again",
        "This form was open too long or your browser blocked its cookie. Go back, reload the "
        "page and send it again; nothing was saved.",
    )
