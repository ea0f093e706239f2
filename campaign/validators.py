"""What may stand in a mail header, and the check on organiser-entered values that end up in one.

A campaign title becomes the Subject of every confirmation mail and an organisation's name the
display name of its From; a supporter only ever sees them in a mail client. The characters
below are defined once, here, for the outbox and its MIME writer (advocacy may import
campaign) and for the model fields and forms that take the values in. This module imports
nothing from campaign, so models.py and templating.py can both use it without a cycle.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# Every boundary str.splitlines() knows. Python's compat32 header folding splits a value on
# each of them, so `Save bees\x1eReply-To: …` as a Subject went out as two header lines.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")

# What no mail header value may contain: every line boundary above and every other control
# character. Category Cc is exactly U+0000–U+001F and U+007F–U+009F (a closed set: Unicode
# never assigns more to it); U+2028 and U+2029 are the two boundaries outside it. A regular
# expression, not a loop over unicodedata: the outbox checks every header of every mail.
_HEADER_UNSAFE = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
HEADER_UNSAFE_CHARACTERS = re.compile(f"[{_HEADER_UNSAFE}]")

# Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): harmless to
# the mail's structure, but they reorder what the reader sees, so a subject or sender name
# can display as text the organiser never wrote ("Trojan Source").
_BIDI_CONTROLS = r"\u202a-\u202e\u2066-\u2069"
BIDI_CONTROL_CHARACTERS = re.compile(f"[{_BIDI_CONTROLS}]")
_NOT_SINGLE_LINE = re.compile(f"[{_HEADER_UNSAFE}{_BIDI_CONTROLS}]")

SINGLE_LINE_MESSAGE = (
    "This must be a single line of plain text: no line breaks, control characters or "
    "bidirectional text overrides."
)


def validate_single_line(value: str) -> None:
    """Refuse a value that would break or disguise a mail header it is written into.

    For model fields (`validators=[…]`), which the admin's forms and the organisation API's
    model serializers both run, so the organiser learns which field while still editing it —
    not a supporter, whose signing would otherwise be refused for the header the outbox
    builds from it."""
    if _NOT_SINGLE_LINE.search(value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="single_line")
