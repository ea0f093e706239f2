"""The outbox's messages, with a cheaper MIME form for the common case.

Django's EmailMessage.message() builds every mail through the `email` package's modern API,
which parses each header into a structured object and re-folds it on output: about 2.6 ms of
CPU for a short plain-text mail on the benchmark machine, most of a worker's cost per mail.
The same package's compat32 API writes the same message in about 0.5 ms. `OutboxMessage` uses
it when the mail is simple enough that the result is certainly right — one plain-text body,
ASCII addresses, no line break in any header — and Django's own path for everything else
(HTML alternatives, attachments, internationalised addresses).

Either way, a header value holding a line boundary or any other control character is refused
(ValueError, as Django refuses CR and LF) before any MIME is written: compat32 folds a header
on every boundary str.splitlines() knows, so a Subject holding \x1e went out as two header
lines, and Django's path lets control characters other than line breaks through.
"""

from __future__ import annotations

import contextlib
import email.policy
import functools
import re
import smtplib
from collections.abc import Sequence
from email.charset import BASE64, QP, Charset
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend

from campaign.validators import HEADER_UNSAFE_CHARACTERS


class _Compat32(email.policy.Compat32):
    """compat32, with the common headers written without `email.header.Header`'s folding.

    compat32 folds every header through `email.header.Header` — splitting the value, measuring
    each piece, joining it again — a third of a worker's CPU per mail for nine short ASCII
    headers, and most of it for a long Subject and a List-Unsubscribe link. Three shapes are
    written directly, byte for byte as compat32 writes them (tests compare the two on any
    value of each shape):

    - a printable ASCII value whose line fits within `max_line_length`: `Name: value`;
    - one printable ASCII word (no whitespace) too long for that line, such as a personal
      unsubscribe link: compat32 moves it whole to a continuation line, `Name: ⏎ value`;
    - any other value seen recently (a campaign's subject, its sender, an encoded word):
      compat32's own folding, remembered per (name, value), since a mailing repeats them.

    Anything else is folded by compat32 as before."""

    def _fits(self, name: str, value: Any) -> bool:
        limit = self.max_line_length
        return (
            isinstance(value, str)
            and value.isascii()
            and value.isprintable()  # ASCII: no tab, no control character, no line break
            and limit is not None
            and 0 < len(name) + 2 + len(value) <= limit
        )

    def _one_long_word(self, value: Any) -> bool:
        return (
            isinstance(value, str)
            and bool(self.max_line_length)  # 0 or None: compat32 does not fold at all
            and _ONE_WORD.fullmatch(value) is not None
        )

    def fold(self, name: str, value: Any) -> str:
        if self._fits(name, value):
            return f"{name}: {value}{self.linesep}"
        if self._one_long_word(value):
            return f"{name}: {self.linesep} {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        if self._fits(name, value):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        if self._one_long_word(value):
            return f"{name}: {self.linesep} {value}{self.linesep}".encode("ascii")
        if isinstance(value, _EncodedText):
            return _fold_remembered(self, name, value.text, True)
        if isinstance(value, str):
            return _fold_remembered(self, name, value, False)
        return super().fold_binary(name, value)


# Printable ASCII without whitespace (a value that fits its line is caught before this).
_ONE_WORD = re.compile(r"[\x21-\x7e]+")


class _EncodedText(Header):
    """A header value RFC 2047-encoded in base64 words (see `_text`), that remembers its text
    so that its folded form can be looked up."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text, _UTF8_B64_HEADERS, header_name=name)
        self.text = text


@functools.lru_cache(maxsize=512)
def _fold_remembered(policy: _Compat32, name: str, text: str, encoded: bool) -> bytes:
    # The policy is part of the key: a clone with another line length folds differently.
    value: Any = Header(text, _UTF8_B64_HEADERS, header_name=name) if encoded else text
    return email.policy.Compat32.fold_binary(policy, name, value)


# Lines end in CRLF on the wire; smtplib would fix bare LFs, but a file or console backend
# would not.
_POLICY = _Compat32(linesep="\r\n")
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # readable for humans and filters, like Django's choice
# Headers in base64 encoded words: the quoted-printable header encoder measures the value
# character by character for every split it tries (6 ms for a 60-character subject).
_UTF8_B64_HEADERS = Charset("utf-8")
_UTF8_B64_HEADERS.header_encoding = BASE64
_ADDRESS_HEADERS = {"from", "to", "cc", "reply-to", "sender", "bcc"}


class OutboxMessage(EmailMultiAlternatives):
    def message(self, *, policy: Any = email.policy.default) -> Any:
        # Refused here, before either path: the outbox checks rows as they are written, but
        # a row written before that check got stricter is still sent by this code.
        name = unsafe_header(self)
        if name is not None:
            raise ValueError(f"The {name} header contains a line break or control character.")
        fast = plain_mime(self)
        return fast if fast is not None else super().message(policy=policy)


def _header_values(message: EmailMultiAlternatives) -> list[tuple[str, str]]:
    headers = [("Subject", str(message.subject)), ("From", str(message.from_email))]
    for name, values in (
        ("To", message.to),
        ("Cc", message.cc),
        ("Bcc", message.bcc),
        ("Reply-To", message.reply_to),
    ):
        headers += [(name, str(value)) for value in values]
    for name, value in message.extra_headers.items():
        headers += [(str(name), str(name)), (str(name), str(value))]
    return headers


def unsafe_header(message: EmailMultiAlternatives) -> str | None:
    """The name of the first header whose name or value holds a line boundary or another
    control character, or None when every header is safe to write."""
    for name, value in _header_values(message):
        if HEADER_UNSAFE_CHARACTERS.search(value):
            return name
    return None


def _address(value: str) -> str | None:
    """`Name <addr>` with the name RFC 2047-encoded when it is not ASCII; None when the
    address itself is not plain ASCII (Django's path handles IDNA and refuses the rest).
    A bare ASCII address, or one after a name of ASCII words, is already in that form and is
    returned as it is, without parsing (tests compare the two)."""
    if _PLAIN_ADDRESS.fullmatch(value):
        return value
    name, addr = parseaddr(value)
    if not addr or not addr.isascii() or "@" not in addr:
        return None
    return formataddr((name, addr), charset="utf-8")


def _text(value: str, name: str) -> Any:
    # A Header is RFC 2047-encoded and folded by the generator, at the header's position
    # (compat32 messages take Header values; typeshed only knows str).
    return value if value.isascii() else _EncodedText(value, name)


def plain_mime(message: EmailMultiAlternatives) -> Message | None:
    """The compat32 form of a plain-text message, or None when it needs Django's path."""
    if message.alternatives or message.attachments or message.cc or message.bcc:
        return None
    if unsafe_header(message) is not None:
        return None  # OutboxMessage refuses it; Django's path refuses at least the line breaks
    headers = dict(message.extra_headers)
    lowered = {str(name).lower() for name in headers}
    if lowered & _ADDRESS_HEADERS or "message-id" not in lowered:
        return None  # the outbox always sets a Message-ID; anything else goes Django's way
    sender = _address(message.from_email)
    recipients = [_address(to) for to in message.to]
    reply_to = [_address(to) for to in message.reply_to]
    if sender is None or not recipients or None in recipients or None in reply_to:
        return None
    body = str(message.body)
    if not body.endswith("\n"):
        body += "\n"  # as Django's set_content: a text part ends with a line break
    # The documented API takes a Charset here too; typeshed only knows str.
    mime = MIMEText(body, "plain", _UTF8_QP, policy=_POLICY)  # type: ignore[arg-type]
    mime["Subject"] = _text(str(message.subject), "Subject")
    mime["From"] = sender
    mime["To"] = ", ".join(r for r in recipients if r)
    if reply_to:
        mime["Reply-To"] = ", ".join(r for r in reply_to if r)
    if "date" not in lowered:
        mime["Date"] = formatdate(usegmt=True)
    for name, value in headers.items():
        mime[str(name)] = _text(str(value), str(name))
    return mime


# An ASCII addr-spec (dot-atom local part, dot-separated domain labels), alone or after a
# display name of ASCII words (atext: no specials, quotes or line breaks; encoded words are
# atext): the shape of almost every outbox address, and one Django's parser accepts as is.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_ADDR_SPEC = rf"{_ATEXT}+(?:\.{_ATEXT}+)*@{_LABEL}(?:\.{_LABEL})*"
_SIMPLE_ADDRESS = re.compile(rf"({_ADDR_SPEC})|(?:{_ATEXT}|[ \t])*<({_ADDR_SPEC})>")
# The same, in the exact form formataddr writes: words separated by single spaces.
_PLAIN_ADDRESS = re.compile(rf"{_ADDR_SPEC}|{_ATEXT}+(?: {_ATEXT}+)* <{_ADDR_SPEC}>")


_BARE_ADDR_SPEC = re.compile(_ADDR_SPEC)


class _PlainEnvelope(smtplib.SMTP):
    """smtplib's MAIL FROM and RCPT TO, without parsing an address that is already bare.

    smtplib quotes each envelope address by parsing it with email.utils.parseaddr, a tenth
    of a worker's CPU per mail; the backend below hands it bare ASCII addr-specs, whose
    quoted form is the address in angle brackets (tests compare the two). Anything else, and
    SMTPUTF8, takes smtplib's own path."""

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        if not _BARE_ADDR_SPEC.fullmatch(sender) or any(o.lower() == "smtputf8" for o in options):
            return super().mail(sender, options)
        return self._envelope_command("mail", f"FROM:<{sender}>", options)

    def rcpt(self, recip: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        if not _BARE_ADDR_SPEC.fullmatch(recip):
            return super().rcpt(recip, options)
        return self._envelope_command("rcpt", f"TO:<{recip}>", options)

    def _envelope_command(
        self, command: str, argument: str, options: Sequence[str]
    ) -> tuple[int, bytes]:
        if options and self.does_esmtp:
            argument += " " + " ".join(options)
        self.putcmd(command, argument)
        return self.getreply()

    def sendmail(
        self,
        from_addr: str,
        to_addrs: str | Sequence[str],
        msg: Any,
        mail_options: Sequence[str] = (),
        rcpt_options: Sequence[str] = (),
    ) -> dict[str, tuple[int, bytes]]:
        """smtplib's sendmail, its commands pipelined (RFC 2920) when the server offers it.

        smtplib waits for the reply to MAIL, to each RCPT and to DATA before sending the next:
        four round trips per mail, so a relay a few milliseconds away caps one connection at
        a hundred or so mails a second, and each round trip costs a wake-up at both ends. With
        PIPELINING, MAIL, RCPT and DATA go in one write and the message in a second. The
        outcome is smtplib's for every reply (the same exceptions, the same refused
        recipients, RSET after a refusal, the connection closed on 421). A message as text,
        an address that is not a bare ASCII addr-spec, or SMTPUTF8 takes smtplib's path."""
        recipients = [to_addrs] if isinstance(to_addrs, str) else list(to_addrs)
        self.ehlo_or_helo_if_needed()
        if (
            not isinstance(msg, bytes)
            or not self.does_esmtp
            or not self.has_extn("pipelining")
            or not recipients
            or any(o.lower() == "smtputf8" for o in mail_options)
            or not all(_BARE_ADDR_SPEC.fullmatch(a) for a in (from_addr, *recipients))
        ):
            return super().sendmail(from_addr, to_addrs, msg, mail_options, rcpt_options)
        options = [f"size={len(msg)}"] if self.has_extn("size") else []
        options += mail_options
        commands = [
            " ".join([f"MAIL FROM:<{from_addr}>", *options]),
            *(" ".join([f"RCPT TO:<{to}>", *rcpt_options]) for to in recipients),
            "DATA",
        ]
        self.send("".join(f"{command}\r\n" for command in commands))
        replies = [self.getreply() for _ in commands]
        (mail_code, mail_reply), data_reply = replies[0], replies[-1]
        refused = {
            to: reply
            for to, reply in zip(recipients, replies[1:-1], strict=True)
            if reply[0] not in (250, 251)
        }
        if any(code == 421 for code, _ in replies):
            self.close()  # the server is going away: nothing more is read or sent
            if mail_code != 250:
                raise smtplib.SMTPSenderRefused(mail_code, mail_reply, from_addr)
            if refused:
                raise smtplib.SMTPRecipientsRefused(refused)
            raise smtplib.SMTPDataError(*data_reply)
        if mail_code != 250 or len(refused) == len(recipients) or data_reply[0] != 354:
            if data_reply[0] == 354:
                # DATA was accepted for a transaction that failed: end it with an empty
                # message (RFC 2920, 3.1) before resetting.
                self.send(b".\r\n")
                self.getreply()
            self._reset()
            if mail_code != 250:
                raise smtplib.SMTPSenderRefused(mail_code, mail_reply, from_addr)
            if len(refused) == len(recipients):
                raise smtplib.SMTPRecipientsRefused(refused)
            raise smtplib.SMTPDataError(*data_reply)
        # Dot-stuffing, and the line that ends the message, as smtplib's DATA writes them.
        body = _LEADING_DOT.sub(b"..", msg)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        self.send(body + b".\r\n")
        code, reply = self.getreply()
        if code != 250:
            if code == 421:
                self.close()
            else:
                self._reset()
            raise smtplib.SMTPDataError(code, reply)
        return refused

    def _reset(self) -> None:
        """RSET after a refusal; a server that has gone meanwhile is the next call's news."""
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            self.rset()


_LEADING_DOT = re.compile(rb"(?m)^\.")


class _SMTP_SSL(_PlainEnvelope, smtplib.SMTP_SSL):
    pass


class SMTPBackend(DjangoSMTPBackend):
    """Django's SMTP backend, with envelope addresses read cheaply when they are simple.

    Django parses each envelope address with the `email` package's modern header parser
    (about 0.5 ms of CPU per address); for an ASCII address in the common shapes the answer
    is the address itself, found by one regular expression. Anything else — quoted names,
    internationalised domains, suspicious characters — goes to Django's parser, which keeps
    the last word on refusing it. smtplib then writes those bare addresses without parsing
    them again (_PlainEnvelope)."""

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        return _SMTP_SSL if self.use_ssl else _PlainEnvelope

    def prep_address(self, address: str, force_ascii: bool = True) -> str:
        match = _SIMPLE_ADDRESS.fullmatch(address)
        if match is not None:
            return match.group(1) or match.group(2)
        return str(super().prep_address(address, force_ascii=force_ascii))
