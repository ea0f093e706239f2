"""The benchmark's SMTP sink, started as the harness starts it: it must count what a real SMTP
client delivers, one Message-ID at a time, and report a message sent twice as a duplicate."""

from __future__ import annotations

import json
import smtplib
import socket
import subprocess
import sys
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sink():
    port, control = _free_port(), _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.smtp_sink", "--port", str(port), "--control", str(control)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "sink ready" in process.stdout.readline()
        yield port, control
    finally:
        process.terminate()
        process.wait(timeout=10)


def _command(port: int, line: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(line.encode() + b"\n")
        return sock.makefile().readline().strip()


def _message(message_id: str, recipient: str) -> bytes:
    message = EmailMessage()
    message["From"] = "campaigns@example.org"
    message["To"] = recipient
    message["Subject"] = "Please confirm your signature"
    message["Message-ID"] = message_id
    message.set_content("Dear Ana,\n\nThank you for signing.\n" + "A line of the letter.\n" * 40)
    return message.as_bytes(policy=SMTP_POLICY)


def test_the_sink_counts_each_message_id_and_the_duplicates(sink, tmp_path):
    port, control = sink
    sent = [("<1@example.org>", "ana@example.org"), ("<2@example.org>", "ben@example.org")]
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        for message_id, recipient in [*sent, sent[0]]:  # the first one twice
            client.sendmail("campaigns@example.org", [recipient], _message(message_id, recipient))

    assert json.loads(_command(control, "STATS")) == {
        "messages": 3,
        "unique": 2,
        "duplicates": 1,
    }
    dump = tmp_path / "received.tsv"
    assert _command(control, f"DUMP {dump}") == "OK 3"
    rows = [line.split("\t")[:2] for line in dump.read_text().splitlines()]
    assert rows == [[*sent[0]], [*sent[1]], [*sent[0]]]
