"""Keep supporters' link tokens and addresses out of the logs.

A confirmation, unsubscribe or my-data link carries a bearer token in its path: whoever holds
it can confirm a signature, send letters in a supporter's name or read and erase their data.
Paths are logged in two places, gunicorn's access log and Django's request warnings
("Not Found: /confirm/<token>/"), and static files requested by such a page carry it in their
Referer. Both are written with the token cut out, and so is the traceback of a logged
exception, so logs can be kept, shipped and read without holding anyone's keys.

E-mail addresses lose their local part ("…@example.net") the same way: the code logs a
recipient's domain only, but a relay's reply quotes the address it refused ("550 5.1.1
<ana@example.net>: Recipient address rejected"), and logs cannot be erased when the supporter
is.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

# The URL segments that carry a token (advocacy/urls.py, advocacy/letter_urls.py), then the
# token itself: everything up to the next "/", "?", "#" or space.
_TOKEN_IN_PATH = re.compile(r"(/(?:confirm|unsubscribe|my-data)/)[^/?#\s\"']+")
REDACTED = "[token]"


def redact_tokens(text: str) -> str:
    """`text` with every link token in a path replaced by "[token]"."""
    if "/" not in text:
        return text
    return _TOKEN_IN_PATH.sub(r"\g<1>" + REDACTED, text)


# An address's local part: what stands before "@" up to a space, bracket, quote or separator.
_LOCAL_PART = re.compile(r"[^\s<>()\[\]\"',;:@]+@(?=[^\s<>()\[\]\"',;:@]+\.)")
HIDDEN_LOCAL_PART = "…@"


def redact_addresses(text: str) -> str:
    """`text` with every e-mail address's local part replaced by "…" (the domain stays)."""
    if "@" not in text:
        return text
    return _LOCAL_PART.sub(HIDDEN_LOCAL_PART, text)


def redact(text: str) -> str:
    return redact_addresses(redact_tokens(text))


class TokenRedactingFilter(logging.Filter):
    """For the log handlers: a record whose message names a token path is rewritten."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class TokenRedactingFormatter(logging.Formatter):
    """The log lines' formatter, cutting tokens out of what the filter cannot reach: the text
    of an exception's traceback (`logger.exception`, Django's "Internal Server Error" records),
    whose messages may quote the URL or value that failed, and a logged stack."""

    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return redact(super().formatStack(stack_info))


class RedactingGunicornLogger(GunicornLogger):  # type: ignore[misc]  # gunicorn has no types
    """gunicorn's logger with every value an access-log line may show redacted."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        # Every atom, not a list of them: the request line, path, Referer and each environ
        # and header value ("{raw_uri}e", "{referer}i") may all be put in a format.
        return {
            key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()
        }
