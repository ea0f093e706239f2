"""Supporters' link tokens never reach a log line: Django's request warnings and gunicorn's
access log both have them cut out."""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from config.log_redaction import (
    RedactingGunicornLogger,
    TokenRedactingFilter,
    redact,
    redact_addresses,
    redact_tokens,
)

TOKEN = "MTIz:1vQx7e:Zr0kS3cr3t"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Not Found: /confirm/{TOKEN}/", "Not Found: /confirm/[token]/"),
        (f"GET /unsubscribe/{TOKEN}/?x=1 HTTP/1.1", "GET /unsubscribe/[token]/?x=1 HTTP/1.1"),
        (f"/my-data/{TOKEN}/erase/", "/my-data/[token]/erase/"),
        (f"/campaigns/x/letters/confirm/{TOKEN}/", "/campaigns/x/letters/confirm/[token]/"),
        ("GET /campaigns/free-them/ HTTP/1.1", "GET /campaigns/free-them/ HTTP/1.1"),
    ],
)  # fmt: skip
def test_tokens_in_paths_are_cut_out(text, expected):
    assert redact_tokens(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("550 5.1.1 <ana@example.net>: Recipient address rejected",
         "550 5.1.1 <…@example.net>: Recipient address rejected"),
        ("ana.b+news@mail.example.org: 550 No such user; jo@x.eu: 550 Full",
         "…@mail.example.org: 550 No such user; …@x.eu: 550 Full"),
        ('"Ana" <ana@example.net>, (bob@example.com)', '"Ana" <…@example.net>, (…@example.com)'),
        ("an @ sign, and user@localhost", "an @ sign, and user@localhost"),
    ],
)  # fmt: skip
def test_addresses_keep_only_their_domain(text, expected):
    assert redact_addresses(text) == expected
    assert redact(f"/confirm/{TOKEN}/ {text}") == f"/confirm/[token]/ {expected}"


def test_the_log_handlers_redact_what_django_logs_about_a_request():
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, TokenRedactingFilter) for f in handler.filters)
    ]
    assert handlers  # settings.LOGGING puts the filter on the console handler
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        (f"/confirm/{TOKEN}/",),
        None,
    )

    assert handlers[0].filter(record)

    assert TOKEN not in handlers[0].format(record)
    assert record.getMessage() == "Not Found: /confirm/[token]/"


def test_gunicorns_access_log_line_carries_no_token():
    logger = RedactingGunicornLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/my-data/{TOKEN}/",
        "PATH_INFO": f"/my-data/{TOKEN}/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": f"https://example.org/confirm/{TOKEN}/",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=123)
    request = SimpleNamespace(headers=[("REFERER", f"https://example.org/confirm/{TOKEN}/")])

    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))

    line = logger.cfg.access_log_format % atoms
    assert TOKEN not in line and TOKEN not in str(atoms)
    assert "/my-data/[token]/" in line and "/confirm/[token]/" in line


def test_a_logged_traceback_carries_no_token():
    """The filter rewrites the message; the traceback is formatted later, by the formatter,
    and an exception's message may quote the path or value that failed."""
    [handler] = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, TokenRedactingFilter) for f in handler.filters)
    ][:1]
    try:
        raise ValueError(f"could not confirm /confirm/{TOKEN}/")
    except ValueError:
        record = logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error: %s",
            (f"/confirm/{TOKEN}/",),
            sys.exc_info(),
            sinfo=f'File "x.py", line 1, in view\n  GET /unsubscribe/{TOKEN}/',
        )

    assert handler.filter(record)
    line = handler.format(record)

    assert TOKEN not in line
    assert "ValueError: could not confirm /confirm/[token]/" in line
    assert "Internal Server Error: /confirm/[token]/" in line
    assert "/unsubscribe/[token]/" in line
