"""The outbox's cheap MIME form says exactly what Django's would, and steps aside otherwise."""

from __future__ import annotations

import email
import email.policy
import string

import pytest
from django.core.mail import EmailMultiAlternatives
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy.mime import OutboxMessage, plain_mime

MESSAGE_ID = "<0123456789abcdef@example.org>"


def _parsed(message: EmailMultiAlternatives):
    raw = message.message(policy=email.policy.SMTP).as_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)


def _addresses(header) -> list[tuple[str, str]]:
    # Display names compared up to runs of white space: Python's parser reads a lone encoded
    # no-break space back as a space or not depending on the encoding (b or q) chosen.
    if not header:
        return []
    return [(" ".join(a.display_name.split()), a.addr_spec) for a in header.addresses]


def _what_a_reader_sees(parsed) -> dict:
    return {
        "subject": str(parsed["Subject"]),
        "from": _addresses(parsed["From"]),
        "to": _addresses(parsed["To"]),
        "reply_to": _addresses(parsed["Reply-To"]),
        "message_id": str(parsed["Message-ID"]),
        "list_unsubscribe": str(parsed["List-Unsubscribe"]),
        "content_type": parsed.get_content_type(),
        "charset": parsed.get_content_charset(),
        "body": parsed.get_content().replace("\r\n", "\n"),
    }


def _pair(**fields):
    fields.setdefault("headers", {})
    fields["headers"] = {
        "Message-ID": MESSAGE_ID,
        "List-Unsubscribe": "<https://example.org/unsubscribe/1:abc/>",
        **fields["headers"],
    }
    return OutboxMessage(**fields), EmailMultiAlternatives(**fields)


text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=200
)
name = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\\"
    ),
    max_size=40,
)
local = st.text(alphabet=string.ascii_letters + string.digits + "._+-", min_size=1, max_size=20)


@settings(max_examples=80, deadline=None)
@given(
    subject=text,
    # Letters typed into a web form arrive with CRLF line ends, and anything else can too.
    body=st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",))) | st.just("\r\n"))
    .map("".join)
    .filter(lambda body: len(body) <= 2000),
    sender_name=name,
    reply_name=name,
    to_local=local,
    with_reply_to=st.booleans(),
)
def test_a_plain_mail_reads_the_same_as_djangos(
    subject, body, sender_name, reply_name, to_local, with_reply_to
):
    subject = subject.strip() or "x"
    sender = email.utils.formataddr((sender_name, "campaigns@example.org"))
    reply_to = email.utils.formataddr((reply_name, "ana@example.net"))
    ours, djangos = _pair(
        subject=subject,
        body=body,
        from_email=sender,
        to=[f"{to_local}@example.net"],
        reply_to=[reply_to] if with_reply_to else None,
    )
    assert plain_mime(ours) is not None  # the cheap path was taken
    seen, djangos_seen = _what_a_reader_sees(_parsed(ours)), _what_a_reader_sees(_parsed(djangos))
    # The headers read back as given (Django's own folding loses a space between some
    # encoded words, so the reference is the input, not Django's output)…
    assert seen["subject"] == subject
    assert seen["from"] == [(" ".join(sender_name.split()), "campaigns@example.org")]
    assert seen["to"] == [("", f"{to_local}@example.net")]
    assert seen["reply_to"] == (
        [(" ".join(reply_name.split()), "ana@example.net")] if with_reply_to else []
    )
    # …and everything else as Django writes it.
    for key in ("subject", "from", "to", "reply_to"):
        del seen[key], djangos_seen[key]
    assert seen == djangos_seen


def test_the_wire_form_has_crlf_line_ends_and_the_headers_a_mail_needs():
    ours, _ = _pair(
        subject="Bitte bestätigen Sie Ihre Unterschrift",
        body="Grüße\n" + "long line " * 30,
        from_email="Démo Organisation <campaigns@example.org>",
        to=["ana@example.net"],
    )
    raw = ours.message().as_bytes()
    head, _, _ = raw.partition(b"\r\n\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert raw.isascii()
    names = {line.split(b":")[0] for line in head.split(b"\r\n") if not line[:1].isspace()}
    assert {b"Subject", b"From", b"To", b"Date", b"Message-ID", b"MIME-Version"} <= names
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


@pytest.mark.parametrize(
    "fields",
    [
        {"to": ["ana@exämple.net"]},  # internationalised domain: Django's IDNA handling
        {"to": ["anä@example.net"]},  # non-ASCII local part: Django refuses
        {"subject": "Hello\nBcc: victim@example.org"},  # header injection: Django refuses
        {"headers": {"X-Note": "a\r\nBcc: victim@example.org"}},
        {"cc": ["copy@example.net"]},
    ],
)
def test_anything_unusual_goes_djangos_way(fields):
    base = {
        "subject": "Hello",
        "body": "Hi",
        "from_email": "a@example.org",
        "to": ["b@example.net"],
    }
    ours, _ = _pair(**{**base, **fields})
    assert plain_mime(ours) is None


def test_a_mail_with_an_html_part_goes_djangos_way():
    ours, _ = _pair(subject="Hi", body="Hi", from_email="a@example.org", to=["b@example.net"])
    ours.attach_alternative("<p>Hi</p>", "text/html")
    assert plain_mime(ours) is None
    assert ours.message().get_content_type() == "multipart/alternative"


def test_a_header_injection_attempt_is_still_refused_when_sending():
    ours, _ = _pair(
        subject="Hello\nBcc: victim@example.org",
        body="Hi",
        from_email="a@example.org",
        to=["b@example.net"],
    )
    with pytest.raises(ValueError):
        ours.message().as_bytes()


# --- Envelope addresses ---------------------------------------------------------------------

address_text = st.text(
    alphabet=st.sampled_from(list(string.ascii_letters[:6] + "09.-_+@<>\"'(),;:[]\\ \t=?éü\r\n")),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(
    raw=address_text
    | st.builds(
        lambda name, local, domain: f"{name} <{local}@{domain}>",
        name,
        local,
        st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,20}[A-Za-z0-9])?", fullmatch=True),
    )
)
def test_envelope_addresses_are_read_as_djangos_backend_reads_them(raw):
    from django.core.mail import mailers
    from django.test import override_settings

    options = {"host": "127.0.0.1", "port": 1}
    backends = {
        "ours": {"BACKEND": "advocacy.mime.SMTPBackend", "OPTIONS": options},
        "djangos": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options},
    }

    def outcome(backend):
        try:
            return backend.prep_address(raw)
        except Exception as exc:  # Django raises several types on garbage; compare them
            return type(exc)

    with override_settings(MAILERS={"default": backends["ours"], **backends}):
        assert outcome(mailers["ours"]) == outcome(mailers["djangos"]), repr(raw)


def test_a_message_without_a_message_id_goes_djangos_way():
    message = OutboxMessage(
        subject="Hi", body="Hi", from_email="a@example.org", to=["b@example.net"]
    )
    assert plain_mime(message) is None
    assert message.message()["Message-ID"]  # Django makes one up


# --- The shortcuts inside the cheap form, each against the general path it skips -----------

ascii_text = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=100)
header_name = st.sampled_from(
    ["Subject", "From", "To", "Reply-To", "Date", "Message-ID", "List-Unsubscribe"]
) | st.from_regex(r"X-[A-Za-z0-9-]{1,40}", fullmatch=True)


@settings(max_examples=1500, deadline=None)
@given(
    name=header_name,
    value=ascii_text
    | st.text(alphabet=string.printable[:95], max_size=90)  # printable, spaces included
    | st.from_regex(r"[\x21-\x7e]{40,300}", fullmatch=True)  # one long word, like a link
    | text,
)
def test_a_header_is_written_exactly_as_compat32_folds_it(name, value):
    from advocacy.mime import _POLICY

    general = email.policy.compat32.clone(linesep="\r\n")

    def outcome(fold):
        try:
            return fold(name, value)
        except Exception as exc:  # an embedded header is refused: by both, the same way
            return type(exc)

    assert outcome(_POLICY.fold_binary) == outcome(general.fold_binary)
    assert outcome(_POLICY.fold) == outcome(general.fold)
    assert outcome(_POLICY.fold_binary) == outcome(general.fold_binary)  # now remembered


@settings(max_examples=500, deadline=None)
@given(name=header_name, value=text, other=text)
def test_an_encoded_header_is_folded_as_compat32_folds_it_the_second_time_too(name, value, other):
    from email.header import Header

    from advocacy.mime import _POLICY, _UTF8_B64_HEADERS, _text

    general = email.policy.compat32.clone(linesep="\r\n")
    for text_value in (value, other, value):
        if text_value.isascii() or any(ch in text_value for ch in "\r\n"):
            continue
        expected = general.fold_binary(
            name, Header(text_value, _UTF8_B64_HEADERS, header_name=name)
        )
        assert _POLICY.fold_binary(name, _text(text_value, name)) == expected


def test_a_long_subject_and_a_personal_link_are_written_as_compat32_writes_them():
    from advocacy.mime import _POLICY

    general = email.policy.compat32.clone(linesep="\r\n")
    subject = "Please confirm your signature: " + "Release the political prisoners " * 3
    link = "<https://resolute.example.org/unsubscribe/1:1xXSie:StlmhJ68yYmqqZP69F78uitLc/>"
    for _ in range(2):
        assert _POLICY.fold_binary("Subject", subject) == general.fold_binary("Subject", subject)
        assert _POLICY.fold_binary("List-Unsubscribe", link) == (
            b"List-Unsubscribe: \r\n " + link.encode() + b"\r\n"
        )
        assert general.fold_binary("List-Unsubscribe", link) == (
            b"List-Unsubscribe: \r\n " + link.encode() + b"\r\n"
        )


def test_a_header_around_the_line_limit_is_folded_exactly_where_compat32_folds_it():
    from advocacy.mime import _POLICY

    general = email.policy.compat32.clone(linesep="\r\n")
    folded_somewhere = False
    for name in ("To", "Subject", "List-Unsubscribe"):
        for length in range(60, 100):
            for unit in ("word ", "a b ", "<https://example.org/u/1:abc/>, ", "x"):
                value = (unit * 100)[:length]
                ours = _POLICY.fold_binary(name, value)
                assert ours == general.fold_binary(name, value), (name, length, unit)
                folded_somewhere |= ours.count(b"\r\n") > 1
    assert folded_somewhere


address_words = st.text(
    alphabet=string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~- \t.\"", max_size=25
)


@settings(max_examples=1500, deadline=None)
@given(
    raw=address_text
    | st.builds(
        lambda name, local, domain: f"{name} <{local}@{domain}>" if name else f"{local}@{domain}",
        address_words,
        local,
        st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,20}[A-Za-z0-9])?", fullmatch=True),
    )
)
def test_an_address_in_plain_form_is_what_parsing_and_formatting_it_gives(raw):
    from email.utils import formataddr, parseaddr

    from advocacy.mime import _address

    name, addr = parseaddr(raw)
    general = (
        formataddr((name, addr), charset="utf-8")
        if addr and addr.isascii() and "@" in addr
        else None
    )
    assert _address(raw) == general, repr(raw)


# --- The SMTP envelope commands -------------------------------------------------------------


def _envelope_commands(connection_class, address, options):
    """The MAIL FROM and RCPT TO lines `connection_class` writes for `address` (or the
    exception it raises), without a server: the commands are recorded, every reply is 250."""
    sent = []
    connection = connection_class()
    connection.does_esmtp = True
    connection.putcmd = lambda command, argument="": sent.append((command, argument))
    connection.getreply = lambda: (250, b"OK")
    try:
        replies = [connection.mail(address, options), connection.rcpt(address, options)]
    except Exception as exc:  # smtplib refuses SMTPUTF8 the server did not offer
        return type(exc), sent
    return replies, sent


@settings(max_examples=400, deadline=None)
@given(
    address=address_text
    | st.from_regex(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,20}@[A-Za-z0-9.-]{1,20}", fullmatch=True)
    | st.emails().map(str),
    options=st.sampled_from([(), ("size=1234",), ("SMTPUTF8",), ("size=1", "BODY=8BITMIME")]),
)
def test_the_envelope_commands_are_smtplibs_own(address, options):
    import smtplib

    from advocacy.mime import _PlainEnvelope

    assert _envelope_commands(_PlainEnvelope, address, options) == _envelope_commands(
        smtplib.SMTP, address, options
    ), repr(address)


def test_the_backend_writes_the_envelope_of_a_real_session():
    """Through a real SMTP server (aiosmtpd): the session's MAIL FROM and RCPT TO carry the
    bare addresses, and the mail arrives."""
    from aiosmtpd.controller import Controller
    from django.core.mail import mailers
    from django.test import override_settings

    from advocacy.mime import SMTPBackend, _PlainEnvelope
    from tests.support.smtp import free_port

    envelopes = []

    class Recorder:
        async def handle_DATA(self, server, session, envelope):
            envelopes.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
            return "250 OK"

    port = free_port()
    controller = Controller(Recorder(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        options = {"host": "127.0.0.1", "port": port}
        with override_settings(
            MAILERS={"default": {"BACKEND": "advocacy.mime.SMTPBackend", "OPTIONS": options}}
        ):
            backend = mailers["default"]
            assert isinstance(backend, SMTPBackend)
            assert backend.connection_class is _PlainEnvelope
            message = OutboxMessage(
                subject="Hello",
                body="Body",
                from_email="Campaigns <campaigns@example.org>",
                to=["ana.lee+x@example.org"],
                headers={"Message-ID": "<envelope-1@example.org>"},
            )
            assert backend.send_messages([message]) == 1
    finally:
        controller.stop()

    [(mail_from, rcpt_tos, content)] = envelopes
    assert (mail_from, rcpt_tos) == ("campaigns@example.org", ["ana.lee+x@example.org"])
    assert b"Message-ID: <envelope-1@example.org>" in content
