"""E-mail addresses and the headers every outgoing mail to a supporter carries."""

from __future__ import annotations

import functools
import re
import unicodedata
from email.utils import formataddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import get_script_prefix, reverse

from advocacy.tokens import token_make

if TYPE_CHECKING:
    from campaign.models import Organisation


def normalise_email(raw: str) -> str:
    """One person, one address, spelt as mail delivery will see it: outer whitespace stripped,
    Unicode NFC, the domain in its ASCII form (see `email_domain_canonical`). The local part
    keeps its case (RFC 5321 lets servers treat it as case-sensitive). Idempotent.

    Raises ValueError (a UnicodeError) for a domain IDNA refuses; `clean_email` turns that
    into the form's message."""
    value = unicodedata.normalize("NFC", raw.strip())
    local, at, domain = value.rpartition("@")
    if not at:
        return value
    return f"{local}@{email_domain_canonical(domain)}"


def email_domain_canonical(domain: str) -> str:
    """The domain as Django's mail backends put it on the wire: NFKC, lower case, then IDNA
    2003 (`str.encode("idna")`, which `django.utils.encoding.punycode` uses at send time).

    Why the ASCII (A-label, "xn--") form rather than the Unicode one: it is what the mail is
    delivered to, so every spelling that reaches one mailbox is one string by construction
    ("bücher.de", "BÜCHER.de", "xn--bcher-kva.de", full-width letters, a soft hyphen or zero-
    width joiner that nameprep drops); and an ASCII domain, "xn--" ones included, only gets
    lower-cased, exactly as before, so stored addresses still match.
    Why IDNA 2003 and not the `idna` package (IDNA 2008): that is what the send path uses
    ("faß.de" goes to fass.de), and `idna` is not a runtime dependency.

    Raises UnicodeError (a ValueError) for an empty or overlong label, a character nameprep
    prohibits, or an "xn--" label that is not the Punycode of a valid name."""
    ascii_domain = unicodedata.normalize("NFKC", domain).lower().encode("idna")
    # Encoding passes ASCII labels through unchecked; decoding checks that each "xn--" label
    # round-trips, so one no registry hands out (say, the Punycode of a name with a soft
    # hyphen) is refused rather than kept as one more spelling.
    ascii_domain.decode("idna")
    return ascii_domain.decode("ascii")


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# What signing tokens are made of (django.core.signing: base64url, base62 and ":"): characters
# reverse() never quotes, so the token can be put between a path's fixed parts as it is.
_TOKEN_AS_IS = re.compile(r"[A-Za-z0-9_:-]+")
_TOKEN_MARK = "TOKEN-MARK"  # noqa: S105 (a placeholder, not a secret)


@functools.cache
def _token_path_parts(name: str, script_prefix: str) -> tuple[str, str]:
    path = reverse(name, kwargs={"token": _TOKEN_MARK})
    before, mark, after = path.partition(_TOKEN_MARK)
    if not mark:
        raise ValueError(f"URL {name!r} does not show its token")
    return before, after


def token_url(name: str, token: str) -> str:
    """The absolute URL of the view `name` for `token`: the same as reversing it, without
    resolving the URLconf for every mail (twice per signature: its confirmation link and its
    unsubscribe link)."""
    if not _TOKEN_AS_IS.fullmatch(token):
        return absolute_url(reverse(name, kwargs={"token": token}))
    before, after = _token_path_parts(name, get_script_prefix())
    return absolute_url(f"{before}{token}{after}")


def unsubscribe_url(*, supporter_id: int) -> str:
    return token_url(
        "advocacy:unsubscribe", token_make(purpose="unsubscribe", object_id=supporter_id)
    )


def unsubscribe_headers(*, url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients POST to `url` (the mail's own
    `unsubscribe_url`, made once for its body and headers), without cookies."""
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def header_text(value: str) -> str:
    """`value` as one header line: every run of whitespace (tabs and line boundaries too) as
    one space. For titles and names saved before campaign.validators refused such characters:
    the mail goes out, on one line, instead of failing for the supporter."""
    return " ".join(value.split())


def organisation_sender(organisation: Organisation) -> str:
    """The From of the organisation's mails: its name and sending address."""
    return formataddr((header_text(organisation.name), organisation.sending_address))
