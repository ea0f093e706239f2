"""The outbox: rows written in the caller's transaction, delivered by a real Celery worker to
a real SMTP server, exactly once, through faults."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from advocacy.models import EmailKind, OutboundEmail, OutboundEmailStatus
from advocacy.outbox import (
    HeaderInjectionError,
    outbound_email_create,
    outbound_email_send_many,
    outbound_email_sweep,
)
from tests.support.processes import start_worker, wait_until
from tests.support.smtp import SmtpServer, free_port


def _create(recipient: str = "mep@example.eu", **overrides: object) -> OutboundEmail:
    fields: dict[str, object] = {
        "kind": EmailKind.LETTER,
        "recipient": recipient,
        "sender": "Ana Supporter <campaigns@org.example.org>",
        "reply_to": "ana@example.net",
        "subject": "Release all political prisoners",
        "body_text": "Dear Ms Member,\n\nPlease act.\n",
    }
    fields.update(overrides)
    with transaction.atomic():
        return outbound_email_create(**fields)  # type: ignore[arg-type]


def _smtp_mailer(server: SmtpServer) -> dict[str, object]:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 5},
        }
    }


# --- Writing rows ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_creating_a_row_publishes_only_its_id_after_commit(
    django_capture_on_commit_callbacks, monkeypatch
):
    published: list[list[int]] = []
    monkeypatch.setattr("advocacy.outbox.publish_send", published.append)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = _create()
        assert published == []  # nothing leaves before the commit

    assert len(callbacks) == 1
    assert published == [[email.pk]]
    assert email.status == OutboundEmailStatus.QUEUED
    assert email.message_id.startswith("<") and email.message_id.endswith(">")


@pytest.mark.django_db
def test_a_rolled_back_action_leaves_no_row_and_publishes_nothing(
    django_capture_on_commit_callbacks,
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _create()
        raise RuntimeError("the action failed")
    assert callbacks == []
    assert OutboundEmail.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["recipient", "subject", "reply_to", "sender"])
def test_line_breaks_in_any_header_are_refused_before_a_row_exists(field):
    with pytest.raises(HeaderInjectionError):
        _create(**{field: "x@example.org\r\nBcc: victim@example.org"})
    assert OutboundEmail.objects.count() == 0


@pytest.mark.django_db
def test_a_row_scheduled_for_later_is_not_published_until_the_sweep_finds_it_due(
    django_capture_on_commit_callbacks, monkeypatch
):
    published: list[list[int]] = []
    monkeypatch.setattr("advocacy.outbox.publish_send", published.append)
    with django_capture_on_commit_callbacks(execute=True):
        email = _create(not_before=timezone.now() + timedelta(minutes=5))
    assert published == []

    outbound_email_sweep()
    assert published == []  # not due yet

    # Five minutes later:
    OutboundEmail.objects.filter(pk=email.pk).update(
        created_at=timezone.now() - timedelta(minutes=5), not_before=timezone.now()
    )
    outbound_email_sweep()
    assert published == [[email.pk]]


@pytest.mark.django_db
def test_rows_written_alike_are_the_rows_built_one_by_one_and_only_due_ones_are_published(
    django_capture_on_commit_callbacks, monkeypatch
):
    """A confirmation's letters: common fields once, each row its own recipient, subject,
    body, headers and due time, and a Message-ID of its own."""
    from advocacy.outbox import outbound_emails_write_alike

    published: list[list[int]] = []
    monkeypatch.setattr("advocacy.outbox.publish_send", published.append)
    now = timezone.now()
    later = now + timedelta(hours=1)
    common = {
        "kind": EmailKind.LETTER,
        "recipient": "first@example.eu",
        "sender": "Ana Supporter <campaigns@org.example.org>",
        "reply_to": "Ana Supporter <ana@example.net>",
        "subject": "unused",
        "body_text": "unused",
    }
    variants = [
        {
            "recipient": "a@example.eu",
            "subject": "One",
            "body_text": 'Quote " { , \\ ü\n',
            "headers": {},
            "not_before": now,
        },
        {
            "recipient": "b@example.eu",
            "subject": "Two",
            "body_text": "Second\n",
            "headers": {"X-Resolute-Test-Recipient": "mep@example.eu"},
            "not_before": later,
        },
    ]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ids = outbound_emails_write_alike(common=common, variants=variants)  # type: ignore[arg-type]

    rows = [OutboundEmail.objects.get(pk=pk) for pk in ids]
    assert [(r.recipient, r.subject, r.body_text, r.headers, r.not_before) for r in rows] == [
        (v["recipient"], v["subject"], v["body_text"], v["headers"], v["not_before"])
        for v in variants
    ]
    assert {(r.sender, r.reply_to, r.kind, r.status) for r in rows} == {
        (common["sender"], common["reply_to"], EmailKind.LETTER, OutboundEmailStatus.QUEUED)
    }
    assert len({r.message_id for r in rows}) == 2
    assert published == [[ids[0]]]  # the later one waits for the sweep


@pytest.mark.django_db
@pytest.mark.parametrize(
    "variant",
    [
        {"recipient": "x@example.org\r\nBcc: victim@example.org"},
        {"subject": "Hi\nBcc: victim@example.org"},
        {"headers": {"X-Resolute-Test-Recipient": "a@example.org\u2028Bcc: v@example.org"}},
    ],
)
def test_rows_written_alike_refuse_a_line_break_in_any_rows_header(variant):
    from advocacy.outbox import outbound_emails_write_alike

    common = {
        "kind": EmailKind.LETTER,
        "recipient": "a@example.eu",
        "subject": "s",
        "body_text": "b",
    }
    with pytest.raises(HeaderInjectionError), transaction.atomic():
        outbound_emails_write_alike(common=common, variants=[{}, variant])  # type: ignore[arg-type, list-item]
    assert OutboundEmail.objects.count() == 0


# --- Sending, in process --------------------------------------------------------------------


@pytest.mark.django_db
def test_sending_twice_delivers_once():
    email = _create()
    first = outbound_email_send_many(email_ids=[email.pk])
    second = outbound_email_send_many(email_ids=[email.pk])

    assert [o.result for o in first] == ["sent"]
    assert [o.result for o in second] == ["skipped"]
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.SENT and email.attempts == 1


@pytest.mark.django_db
def test_a_permanent_smtp_refusal_marks_the_row_failed_with_the_reply(settings, smtp_server):
    settings.MAILERS = _smtp_mailer(smtp_server)
    smtp_server.handler.faults.append("550 5.1.1 Mailbox does not exist")
    email = _create()

    [outcome] = outbound_email_send_many(email_ids=[email.pk])

    email.refresh_from_db()
    assert outcome.result == "failed"
    assert email.status == OutboundEmailStatus.FAILED
    assert "550 5.1.1 Mailbox does not exist" in email.last_error
    assert smtp_server.received == []


@pytest.mark.django_db
@pytest.mark.parametrize("fault", ["451 4.3.0 Try again later", "421 4.7.0 Closing", "disconnect"])
def test_a_transient_fault_puts_the_row_back_with_a_backoff(settings, smtp_server, fault):
    settings.MAILERS = _smtp_mailer(smtp_server)
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    smtp_server.handler.faults.append(fault)
    email = _create()

    before = timezone.now()
    [outcome] = outbound_email_send_many(email_ids=[email.pk])
    after = timezone.now()

    email.refresh_from_db()
    assert outcome.result == "retry"
    assert email.status == OutboundEmailStatus.QUEUED
    assert email.last_error
    # Half the base to the base (jitter), counted from when the attempt failed.
    assert before + timedelta(seconds=5) <= email.not_before <= after + timedelta(seconds=10)

    # Once due, the next attempt goes through.
    OutboundEmail.objects.filter(pk=email.pk).update(not_before=timezone.now())
    [outcome] = outbound_email_send_many(email_ids=[email.pk])
    assert outcome.result == "sent"
    assert len(smtp_server.received) == 1


@pytest.mark.django_db
def test_a_failed_attempt_is_logged_with_the_kind_the_recipient_domain_and_the_relay(
    settings, smtp_server, caplog
):
    # What the operator checks first at 3 a.m.: which relay, what kind of mail, which domain.
    settings.MAILERS = _smtp_mailer(smtp_server)
    smtp_server.handler.faults.append("451 4.3.0 Try again later")
    email = _create(recipient="ana.member@europarl.example.eu")

    with caplog.at_level(logging.INFO, logger="advocacy.outbox"):
        outbound_email_send_many(email_ids=[email.pk])

    [line] = [r.getMessage() for r in caplog.records if "attempt 1 failed" in r.getMessage()]
    assert line.endswith(f"[letter to europarl.example.eu via 127.0.0.1:{smtp_server.port}]"), line
    assert "ana.member" not in line  # the address itself stays out of the log


@pytest.mark.django_db
def test_a_refusal_quoting_the_address_keeps_only_its_domain_in_the_log_and_the_row(
    settings, smtp_server, caplog
):
    # Relays quote the address they refuse; logs outlive the supporter's erasure.
    settings.MAILERS = _smtp_mailer(smtp_server)
    smtp_server.handler.faults.append(
        "550 5.1.1 <ana.supporter+x@example.net>: Recipient address rejected"
    )
    email = _create(recipient="ana.supporter+x@example.net")

    with caplog.at_level(logging.INFO, logger="advocacy.outbox"):
        [outcome] = outbound_email_send_many(email_ids=[email.pk])

    email.refresh_from_db()
    assert outcome.result == "failed"
    assert "550 5.1.1 <…@example.net>: Recipient address rejected" in email.last_error
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "failed permanently" in logged and "…@example.net" in logged
    assert "ana.supporter" not in logged + email.last_error


@pytest.mark.django_db
def test_a_row_that_keeps_failing_is_given_up_after_the_attempt_limit(settings, smtp_server):
    settings.MAILERS = _smtp_mailer(smtp_server)
    settings.OUTBOX_MAX_ATTEMPTS = 3
    smtp_server.handler.faults.extend(["451 busy"] * 3)
    email = _create()

    for _ in range(3):
        OutboundEmail.objects.filter(pk=email.pk).update(not_before=timezone.now())
        outbound_email_send_many(email_ids=[email.pk])

    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.FAILED
    assert email.attempts == 3
    assert "gave up after 3" in email.last_error


# --- End to end: a real worker, a real SMTP server -----------------------------------------


@pytest.mark.e2e
def test_a_worker_delivers_a_row_to_the_smtp_server_with_its_headers(
    celery_worker_process, smtp_server
):
    email = _create(
        recipient="anna.member@europarl.example.eu",
        headers={"List-Unsubscribe": "<https://example.org/u/abc>"},
    )

    assert wait_until(lambda: len(smtp_server.received) == 1, timeout=30), (
        celery_worker_process.log()[-3000:]
    )
    message = smtp_server.received[0]
    assert message["From"] == "Ana Supporter <campaigns@org.example.org>"
    assert message["To"] == "anna.member@europarl.example.eu"
    assert message["Reply-To"] == "ana@example.net"
    assert message["Subject"] == "Release all political prisoners"
    assert message["Message-ID"] == email.message_id
    assert message["List-Unsubscribe"] == "<https://example.org/u/abc>"
    assert message.get_content().replace("\r\n", "\n") == "Dear Ms Member,\n\nPlease act.\n"
    assert wait_until(
        lambda: OutboundEmail.objects.get(pk=email.pk).status == OutboundEmailStatus.SENT, 10
    )


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_row_is_retried_until_the_smtp_server_comes_up():
    from django.conf import settings

    port = free_port()
    worker = start_worker(
        smtp_url=f"smtp://127.0.0.1:{port}", queue=settings.CELERY_TASK_DEFAULT_QUEUE
    )
    server = SmtpServer(port)
    try:
        email = _create()
        assert wait_until(lambda: OutboundEmail.objects.get(pk=email.pk).attempts >= 1, 20)
        assert OutboundEmail.objects.get(pk=email.pk).status != OutboundEmailStatus.SENT

        server.start()
        assert wait_until(lambda: len(server.received) == 1, 30), worker.log()[-3000:]
        # The sink has the message before the worker records it as sent.
        assert wait_until(
            lambda: OutboundEmail.objects.get(pk=email.pk).status == OutboundEmailStatus.SENT, 10
        )
        email.refresh_from_db()
        assert email.attempts >= 2
        assert "Connection" in email.last_error or email.last_error == ""
    finally:
        worker.stop()
        server.stop()
    assert len(server.received) == 1


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_duplicated_tasks_deliver_each_mail_once(smtp_server):
    from django.conf import settings

    from advocacy.outbox import publish_send

    workers = [
        start_worker(
            smtp_url=smtp_server.url,
            queue=settings.CELERY_TASK_DEFAULT_QUEUE,
            concurrency=2,
            name=f"racer{i}",
        )
        for i in range(2)
    ]
    try:
        with transaction.atomic():
            emails = [
                outbound_email_create(
                    kind=EmailKind.NOTIFICATION,
                    recipient=f"race{i}@example.org",
                    subject=f"Race {i}",
                    body_text="x",
                    publish=False,
                )
                for i in range(20)
            ]
        ids = [e.pk for e in emails]
        for _ in range(3):  # every task published three times over
            for email_id in ids:
                publish_send([email_id])
        assert wait_until(
            lambda: OutboundEmail.objects.filter(status=OutboundEmailStatus.SENT).count() == 20,
            40,
        )
        # Give the duplicates time to run (and find nothing to do).
        wait_until(lambda: False, 2)
    finally:
        for worker in workers:
            worker.stop()
    message_ids = [m["Message-ID"] for m in smtp_server.received]
    assert len(message_ids) == 20
    assert sorted(message_ids) == sorted(e.message_id for e in emails)


@pytest.mark.e2e
def test_a_row_stranded_in_sending_by_a_dead_worker_is_swept_and_delivered_once(
    celery_worker_process, smtp_server
):
    email = _create(publish=False)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmailStatus.SENDING,
        claimed_at=timezone.now() - timedelta(hours=1),
        attempts=1,
    )

    result = outbound_email_sweep()

    assert result.reclaimed == 1
    assert wait_until(lambda: len(smtp_server.received) == 1, 30), celery_worker_process.log()[
        -3000:
    ]
    outbound_email_sweep()  # a second sweep finds nothing more to do
    wait_until(lambda: False, 1.5)
    assert len(smtp_server.received) == 1
    assert wait_until(
        lambda: OutboundEmail.objects.get(pk=email.pk).status == OutboundEmailStatus.SENT, 10
    )
    email.refresh_from_db()
    assert email.attempts == 2
