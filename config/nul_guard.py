"""Refuse, with a 400, any request whose query string or form holds a NUL character, or
bytes that are not UTF-8.

PostgreSQL text cannot store U+0000 and refuses even to compare with it, so such a value
reaching a query (an admin list filter `?status__exact=%00`, a form field no validator
checks) was a DataError and a 500. No legitimate client sends one; refusing it here covers
every view at once. JSON bodies are not read here: DRF parses them, its CharFields refuse
NUL, and a NUL that gets past them into the database is rendered as a 400 by
config.api.exception_handler (DataError).

Django decodes a form or query string that is not UTF-8 by replacing what it cannot read
with U+FFFD: a name posted as `first_name=%ED%A0%80` was stored as "\ufffd\ufffd\ufffd" and
went on into the confirmation mail and the exports, where the JSON API refuses the same
bytes. A value holding U+FFFD is refused the same way as a NUL (no one types that character).

Reading the form here also makes this the first place to meet Django's upload limits
(DATA_UPLOAD_MAX_*) on a form post: it answers those itself, so that an oversized form is a
warning rather than an ERROR with a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict, UnreadablePostError

from config.errors_views import UPLOAD_LIMIT_ERRORS, respond, upload_limit_exceeded

logger = logging.getLogger(__name__)

NUL = "\x00"
UNREADABLE = "\ufffd"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class NulGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            found = _nul_found(request)
        except UPLOAD_LIMIT_ERRORS as exc:
            logger.warning("request refused: %s %s: %s", request.method, request.path, exc)
            return upload_limit_exceeded(request, exc)
        if found is None:
            return self.get_response(request)
        name, character = found
        if character == NUL:
            what, problem = "a NUL character (U+0000)", "NUL characters are not allowed."
        else:
            what, problem = "bytes that are not UTF-8 text", "This is not readable UTF-8 text."
        logger.info("%s refused: %s %r", what, request.method, request.get_full_path())
        # Named when the name itself is clean: a NUL repeated back helps no one.
        clean = NUL not in name and UNREADABLE not in name
        return respond(
            request,
            400,
            "invalid",
            "Bad request",
            f"The request holds {what}, which nothing here accepts.",
            {name: [problem]} if clean else None,
        )


def _nul_found(request: HttpRequest) -> tuple[str, str] | None:
    """The name of the first query or form parameter whose name or value holds a NUL (or
    U+FFFD, what Django put for bytes that are not UTF-8), with that character; or None.
    Raises Django's upload-limit errors while reading the form. (The path is left to
    the URL patterns: none of them captures a NUL into a query.)"""
    found = _nul_in_params(request.GET)
    if found is not None or not _reads_form(request):
        return found
    try:
        form = request.POST
    except UnreadablePostError:
        # The client went away mid-body; the views then see an empty form, as before.
        return None
    return _nul_in_params(form)


def _reads_form(request: HttpRequest) -> bool:
    # Not under /api/: DRF refuses form bodies there (415, JSON only), and reading
    # request.POST first would turn that answer into one about missing fields.
    return (
        request.method == "POST"
        and request.content_type in _FORM_TYPES
        and not request.path.startswith("/api/")
    )


def _nul_in_params(params: QueryDict) -> tuple[str, str] | None:
    for key, values in params.lists():
        for character in (NUL, UNREADABLE):
            if character in key or any(character in value for value in values):
                return key, character
    return None
