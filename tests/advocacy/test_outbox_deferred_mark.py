"""A delivered mail's "sent" mark travels to PostgreSQL while the next mail goes out
(advocacy.outbox._DeferredSentMark): it must commit exactly as the waiting mark did, never
hold up the worker, and never leave the database connection mid-answer."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from advocacy.models import EmailKind, OutboundEmail, OutboundEmailStatus
from advocacy.outbox import _claim, _DeferredSentMark, _send_claimed, outbound_email_create
from tests.support import processes

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL-only path"),
    pytest.mark.django_db(transaction=True),  # outside any transaction, as in a worker
]


def _rows(n: int, kind: str = EmailKind.SIGNATURE_CONFIRMATION) -> list[OutboundEmail]:
    created = []
    for i in range(n):
        with transaction.atomic():
            created.append(
                outbound_email_create(
                    kind=kind,
                    recipient=f"ana{i}@example.net",
                    sender="Campaigns <campaigns@org.example.org>",
                    subject="Please confirm",
                    body_text="Open the link.\n",
                )
            )
    return _claim([row.pk for row in created])


@pytest.fixture
def smtp_mailer(settings, smtp_server):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_server.port, "timeout": 5},
        }
    }
    return smtp_server


def _status(pk: int) -> str:
    """The row as another connection sees it: committed state only."""
    with psycopg.connect(processes.test_database_url(), autocommit=True) as other:
        (status,) = other.execute(
            "SELECT status FROM advocacy_outboundemail WHERE id = %s", [pk]
        ).fetchone()
    return status


def test_a_batch_ends_with_every_row_marked_sent(smtp_mailer):
    rows = _rows(5)

    outcomes = _send_claimed(rows)

    assert [o.result for o in outcomes] == ["sent"] * 5
    assert len(smtp_mailer.received) == 5
    assert {_status(row.pk) for row in rows} == {"sent"}
    stored = OutboundEmail.objects.filter(pk__in=[r.pk for r in rows])
    assert all(row.sent_at and row.last_error == "" for row in stored)


def test_the_mark_does_not_wait_for_its_answer_and_commits_on_its_own():
    [row] = _rows(1)
    mark = _DeferredSentMark()
    # Another session holds the row: the UPDATE waits for that lock, the worker must not.
    with psycopg.connect(processes.test_database_url()) as holder:
        holder.execute("SELECT 1 FROM advocacy_outboundemail WHERE id = %s FOR UPDATE", [row.pk])
        release = threading.Timer(3, holder.rollback)  # a waiting mark would wait this long
        release.start()
        started = time.monotonic()
        assert mark.start(row)
        assert time.monotonic() - started < 1.5
        assert _status(row.pk) == "sending"
        mark.finish()  # waits for the lock, then for the answer
        release.join()

    assert _status(row.pk) == "sent"
    assert OutboundEmail.objects.count() == 1  # the connection answers again


def test_a_mark_for_a_claim_that_was_lost_changes_nothing():
    [row] = _rows(1)
    OutboundEmail.objects.filter(pk=row.pk).update(status=OutboundEmailStatus.QUEUED)
    mark = _DeferredSentMark()

    assert mark.start(row)
    mark.finish()

    assert _status(row.pk) == "queued"


def test_a_failed_mark_is_raised_and_leaves_the_connection_usable(monkeypatch):
    [row] = _rows(1)
    mark = _DeferredSentMark()
    monkeypatch.setattr(
        _DeferredSentMark, "_SQL", b"UPDATE advocacy_outboundemail SET nonsense = $1"
    )

    assert mark.start(row)
    with pytest.raises(DatabaseError, match="marking a mail sent failed"):
        mark.finish()

    assert _status(row.pk) == "sending"  # left for the sweep, as after any failed mark
    assert OutboundEmail.objects.filter(pk=row.pk).exists()


def test_a_letter_and_a_transaction_keep_the_waiting_mark():
    [letter] = _rows(1, kind=EmailKind.LETTER)
    [plain] = _rows(1)

    assert not _DeferredSentMark().start(letter)
    with transaction.atomic():
        assert not _DeferredSentMark().start(plain)


def test_an_smtp_failure_between_two_mails_still_marks_the_first(smtp_mailer):
    first, second, third = _rows(3)
    smtp_mailer.handler.faults.extend([None, "451 4.3.0 Try again later"])

    outcomes = _send_claimed([first, second, third])

    assert [o.result for o in outcomes] == ["sent", "retry", "sent"]
    assert [_status(r.pk) for r in (first, second, third)] == ["sent", "queued", "sent"]


def test_an_error_in_the_middle_of_a_batch_leaves_the_connection_usable(smtp_mailer, monkeypatch):
    import advocacy.outbox as outbox

    rows = _rows(2)
    calls = {"n": 0}
    renew = outbox._claims_renew

    def renew_then_fail(pending):
        calls["n"] += 1
        if calls["n"] == 2:  # after the first mail went out and its mark was sent
            raise RuntimeError("the database went away")
        return renew(pending)

    monkeypatch.setattr(outbox, "_claims_renew", renew_then_fail)
    with pytest.raises(RuntimeError):
        _send_claimed(rows)

    assert _status(rows[0].pk) == "sent"
    assert OutboundEmail.objects.count() == 2  # nothing left unread on the connection


def _marks_prepared() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'resolute_sent_mark_%%'"
        )
        return cursor.fetchone()[0]


def test_the_mark_is_prepared_once_per_connection_and_marks_every_mail():
    """PostgreSQL parses and plans the mark once per connection, not once per mail; a new
    connection gets it prepared again."""
    rows = _rows(4)
    mark = _DeferredSentMark()
    for row in rows[:3]:
        assert mark.start(row)
    mark.finish()
    assert _marks_prepared() == 1
    assert [_status(row.pk) for row in rows] == ["sent", "sent", "sent", "sending"]

    connection.close()  # as after CONN_MAX_AGE: a new connection, nothing prepared on it
    assert mark.start(rows[3])
    mark.finish()
    assert _status(rows[3].pk) == "sent"
    assert _marks_prepared() == 1


def test_with_prepared_statements_off_the_mark_is_sent_whole_each_time(monkeypatch):
    """DATABASE_PREPARED_STATEMENTS=false (a pooler that hands each statement another server
    connection): nothing prepared, every mail still marked."""
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "prepare_threshold", None)
    connection.close()
    rows = _rows(3)
    mark = _DeferredSentMark()
    for row in rows:
        assert mark.start(row)
    mark.finish()

    assert _marks_prepared() == 0
    assert {_status(row.pk) for row in rows} == {"sent"}


def test_a_rollback_on_the_connection_does_not_lose_the_next_marks():
    """psycopg deallocates every prepared statement of a connection after a ROLLBACK on it,
    the mark's included: the next mark finds its statement gone, is sent whole, and the one
    after prepares it again. Before, every mark failed until the connection was replaced,
    leaving delivered mails "sending" for the sweep to send again."""

    class Undo(Exception):
        pass

    rows = _rows(4)
    for _ in range(6):  # psycopg prepares a statement it has run five times: it then
        OutboundEmail.objects.filter(pk=rows[0].pk).exists()  # deallocates on ROLLBACK
    mark = _DeferredSentMark()
    assert mark.start(rows[0])
    mark.finish()
    assert _marks_prepared() == 1

    with pytest.raises(Undo), transaction.atomic():
        OutboundEmail.objects.filter(pk=rows[0].pk).exists()
        raise Undo
    assert _marks_prepared() == 0  # what psycopg did on the rollback

    for row in rows[1:]:
        assert mark.start(row)
    mark.finish()

    assert {_status(row.pk) for row in rows} == {"sent"}
    assert _marks_prepared() == 1
