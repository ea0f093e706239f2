"""The outbox's SMTP client pipelines MAIL, RCPT and DATA (RFC 2920) when the relay offers it,
and ends every conversation exactly as smtplib's own sendmail would: the same exceptions, the
same refused recipients, a connection fit for the next mail (or closed after a 421).

Against a real SMTP server (aiosmtpd) that refuses on cue."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from advocacy.mime import _PlainEnvelope
from tests.support.smtp import RecordingHandler, free_port

GOOD = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nHello.\r\n"


class ScriptedHandler:
    """Refuses the sender blocked@…, recipients refused@… and closing@…, and message bodies
    holding REFUSE-DATA or CLOSE-DATA; keeps everything else."""

    def __init__(self, *, pipelining: bool) -> None:
        self.pipelining = pipelining
        self.received: list[tuple[str, list[str], bytes]] = []

    handle_EHLO = RecordingHandler.handle_EHLO  # offers PIPELINING when self.pipelining

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.startswith("blocked@"):
            return "550 5.7.1 Sender blocked"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.startswith("refused@"):
            return "550 5.1.1 No such user"
        if address.startswith("closing@"):
            return "421 4.3.2 Shutting down"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if b"REFUSE-DATA" in envelope.content:
            return "554 5.6.0 Content refused"
        if b"CLOSE-DATA" in envelope.content:
            return "421 4.3.2 Shutting down"
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK queued"


@pytest.fixture(params=[True, False], ids=["pipelining", "no-pipelining"])
def relay(request: pytest.FixtureRequest) -> Iterator[tuple[ScriptedHandler, int]]:
    handler = ScriptedHandler(pipelining=request.param)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


class CountingClient(_PlainEnvelope):
    """Counts the writes: two per mail when pipelined (commands, then the message)."""

    writes = 0

    def send(self, s: Any) -> None:
        self.writes += 1
        super().send(s)


def _outcome(client: smtplib.SMTP, sender: str, recipients: list[str], msg: bytes) -> Any:
    try:
        return ("sent", client.sendmail(sender, recipients, msg))
    except smtplib.SMTPRecipientsRefused as exc:
        return (type(exc).__name__, exc.recipients)
    except smtplib.SMTPSenderRefused as exc:
        return (type(exc).__name__, exc.smtp_code, exc.sender)
    except smtplib.SMTPResponseException as exc:
        return (type(exc).__name__, exc.smtp_code)


CASES = [
    ("a@example.org", ["b@example.org"], GOOD),
    ("a@example.org", ["b@example.org", "refused@example.org"], GOOD),
    ("a@example.org", ["refused@example.org", "refused@example.net"], GOOD),
    ("blocked@example.org", ["b@example.org"], GOOD),
    ("a@example.org", ["b@example.org"], GOOD + b"REFUSE-DATA\r\n"),
    # Leading dots are doubled on the wire and arrive as written; no final line break added.
    ("a@example.org", ["b@example.org"], GOOD + b".hidden\r\n..two\r\n."),
]


@pytest.mark.parametrize(("sender", "recipients", "msg"), CASES)
def test_each_outcome_is_smtplibs_and_the_connection_serves_the_next_mail(
    relay, sender, recipients, msg
):
    handler, port = relay
    ours = CountingClient("127.0.0.1", port)
    theirs = smtplib.SMTP("127.0.0.1", port)
    try:
        outcome = _outcome(ours, sender, recipients, msg)
        assert outcome == _outcome(theirs, sender, recipients, msg)
        # The conversation was ended cleanly either way: the next mail goes through.
        assert _outcome(ours, "a@example.org", ["next@example.org"], GOOD) == ("sent", {})
    finally:
        ours.close()
        theirs.close()
    delivered = [entry for entry in handler.received if entry[1] != ["next@example.org"]]
    if outcome[0] == "sent":
        # Both clients delivered the same message to the same accepted recipients.
        accepted = [r for r in recipients if not r.startswith("refused@")]
        assert len(delivered) == 2
        assert delivered[0] == delivered[1]
        assert delivered[0][:2] == (sender, accepted)
        # As written, dots included; a message not ending in a line break gets one.
        assert delivered[0][2] == (msg if msg.endswith(b"\r\n") else msg + b"\r\n")
    else:
        assert delivered == []


def test_a_pipelined_mail_costs_two_writes_and_a_plain_relay_gets_one_command_at_a_time(relay):
    handler, port = relay
    client = CountingClient("127.0.0.1", port)
    try:
        client.ehlo()
        before = client.writes
        for _ in range(5):
            client.sendmail("a@example.org", ["b@example.org", "c@example.org"], GOOD)
        per_mail = (client.writes - before) / 5
    finally:
        client.close()

    assert len(handler.received) == 5
    # MAIL, two RCPT, DATA and the message: five writes without pipelining, two with.
    assert per_mail == (2 if handler.pipelining else 5)


@pytest.mark.parametrize(
    ("recipients", "msg", "raised"),
    [
        (["closing@example.org"], GOOD, smtplib.SMTPRecipientsRefused),
        (["b@example.org"], GOOD + b"CLOSE-DATA\r\n", smtplib.SMTPDataError),
    ],
)
def test_a_421_closes_the_connection_as_smtplib_does(relay, recipients, msg, raised):
    _, port = relay
    ours = CountingClient("127.0.0.1", port)
    theirs = smtplib.SMTP("127.0.0.1", port)

    for client in (ours, theirs):
        with pytest.raises(raised):
            client.sendmail("a@example.org", recipients, msg)
        assert client.sock is None  # closed: the next send reconnects or fails loudly
