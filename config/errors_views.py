"""Site-wide error pages: JSON in the API's error shape under /api/, plain HTML elsewhere.
Without these, a URL the router does not match (say /api/v1/campaigns/%0D/) would get
Django's HTML page from a JSON API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape

from config.errors import ExplainedPermissionDenied

# What Django raises when a body or query string passes DATA_UPLOAD_MAX_MEMORY_SIZE,
# DATA_UPLOAD_MAX_NUMBER_FIELDS or DATA_UPLOAD_MAX_NUMBER_FILES. SuspiciousOperations, but
# an honest client meets them too (a pasted novel, a huge form): a clear answer and a
# warning, not a security alert with a traceback.
UPLOAD_LIMIT_ERRORS = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)

# A page of its own, not a template: it must render when templates, the database or the static
# manifest are what failed. It still looks like the site (its stylesheet, when the manifest
# names it, and the way back to the campaigns) for a supporter who followed an old link.
_HTML = (
    "<!doctype html><html lang=en><head><meta charset=utf-8>"
    "<meta name=viewport content='width=device-width,initial-scale=1'>"
    "<title>{title} — Resolute</title>{stylesheet}</head><body>"
    "<header class=site><nav aria-label=Site><a class=brand href='/'>Resolute</a></nav></header>"
    "<main id=main><h1>{title}</h1><p>{text}</p>"
    "<p><a href='/'>See the campaigns</a></p></main></body></html>"
)


def _stylesheet() -> str:
    from django.templatetags.static import static

    try:
        return f"<link rel=stylesheet href='{escape(static('advocacy/site.css'))}'>"
    except Exception:  # a missing manifest entry: the page goes plain, never a second error
        return ""


def respond(
    request: HttpRequest,
    status: int,
    code: str,
    title: str,
    text: str,
    fields: dict[str, Any] | None = None,
) -> HttpResponse:
    """An error answer for any request: the API's error shape under /api/, a page elsewhere.
    For middleware that refuses a request before any view runs."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": code, "message": text, "fields": fields or {}}}, status=status
        )
    page = _HTML.format(title=title, text=text, stylesheet=_stylesheet())
    return HttpResponse(page, status=status)


def upload_limit_error(exception: Exception) -> tuple[int, str, str]:
    """(HTTP status, error code, message) for one of UPLOAD_LIMIT_ERRORS; shared with the
    API's exception handler so that both say the same."""
    if isinstance(exception, RequestDataTooBig):
        mib = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        return (
            413,
            "request_too_large",
            f"The request is too large: at most {mib:.3g} MB, not counting uploaded files.",
        )
    if isinstance(exception, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return 400, "too_many_files", f"The request sends too many files: at most {limit}."
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    return 400, "too_many_fields", f"The request has too many fields: at most {limit}."


def upload_limit_exceeded(request: HttpRequest, exception: Exception) -> HttpResponse:
    status, code, text = upload_limit_error(exception)
    title = "Request too large" if status == 413 else "Bad request"
    return respond(request, status, code, title, text)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, UPLOAD_LIMIT_ERRORS):
        return upload_limit_exceeded(request, exception)
    return respond(request, 400, "bad_request", "Bad request", "The request was malformed.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    text = "You may not do this."
    if isinstance(exception, ExplainedPermissionDenied) and str(exception):
        text = escape(str(exception))
    return respond(request, 403, "permission_denied", "Forbidden", text)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return respond(request, 404, "not_found", "Not found", "There is nothing at this address.")


def server_error(request: HttpRequest) -> HttpResponse:
    return respond(
        request, 500, "server_error", "Something went wrong", "Please try again in a moment."
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without its security token (a page kept open for hours, cookies blocked):
    say what to do, instead of Django's technical page (whose inline style the CSP blocks)."""
    return respond(
        request,
        403,
        "csrf_failed",
        "Please try again",
        "This form was open too long or your browser blocked its cookie. Go back, reload the "
        "page and send it again; nothing was saved.",
    )
