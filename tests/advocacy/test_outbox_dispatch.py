"""The outbox dispatcher (OUTBOX_PUBLISH_ON_COMMIT=false): web requests publish nothing; a
beat-driven dispatcher claims due rows in batches and sends each batch over one SMTP
connection, exactly once, also when several dispatchers run at the same time."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from advocacy.models import EmailKind, OutboundEmail, OutboundEmailStatus
from advocacy.outbox import outbound_email_create, outbound_email_dispatch, outbound_email_sweep
from tests.support.processes import CeleryProcess, process_env, start_worker, wait_until
from tests.support.smtp import SmtpServer


@pytest.fixture
def dispatch_mode(settings, smtp_server: SmtpServer) -> SmtpServer:
    settings.OUTBOX_PUBLISH_ON_COMMIT = False
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_server.port, "timeout": 5},
        }
    }
    return smtp_server


def _create_many(count: int, **overrides: object) -> list[OutboundEmail]:
    tag = uuid.uuid4().hex[:8]
    with transaction.atomic():
        return [
            outbound_email_create(
                kind=EmailKind.NOTIFICATION,
                recipient=f"dispatch-{tag}-{i}@example.org",
                subject=f"Dispatch {i}",
                body_text="Hello.\n",
                **overrides,  # type: ignore[arg-type]
            )
            for i in range(count)
        ]


@pytest.mark.django_db
def test_with_publishing_off_a_committed_row_publishes_nothing(
    dispatch_mode, django_capture_on_commit_callbacks, monkeypatch
):
    published: list[list[int]] = []
    monkeypatch.setattr("advocacy.outbox.publish_send", published.append)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _create_many(3)

    assert callbacks == []
    assert published == []


@pytest.mark.django_db
def test_the_dispatcher_sends_every_due_row_once_in_batches(dispatch_mode):
    emails = _create_many(12)
    later = _create_many(1, not_before=timezone.now() + timedelta(minutes=5))[0]

    result = outbound_email_dispatch(batch_size=5)
    again = outbound_email_dispatch(batch_size=5)

    assert (result.batches, result.sent) == (3, 12)
    assert (again.batches, again.sent) == (0, 0)
    received = sorted(m["Message-ID"] for m in dispatch_mode.received)
    assert received == sorted(e.message_id for e in emails)
    later.refresh_from_db()
    assert later.status == OutboundEmailStatus.QUEUED and later.attempts == 0


@pytest.mark.django_db
def test_the_dispatcher_stops_claiming_when_its_time_budget_is_spent(dispatch_mode):
    _create_many(6)

    result = outbound_email_dispatch(batch_size=2, time_budget=0)

    assert (result.batches, result.sent) == (1, 2)
    assert OutboundEmail.objects.filter(status=OutboundEmailStatus.QUEUED).count() == 4


@pytest.mark.django_db
def test_a_transient_failure_waits_for_its_backoff_and_is_dispatched_once_due(
    dispatch_mode, settings, monkeypatch
):
    published: list[list[int]] = []
    monkeypatch.setattr("advocacy.outbox.publish_send", published.append)
    # A backoff of 30-60 s (10 s could be 5): still waiting at the second run, even on a
    # loaded machine.
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    dispatch_mode.handler.faults.append("451 4.3.0 Try again later")
    [email] = _create_many(1)

    first = outbound_email_dispatch()
    second = outbound_email_dispatch()  # still backing off: nothing to claim

    assert (first.retried, second.batches) == (1, 0)
    OutboundEmail.objects.filter(pk=email.pk).update(not_before=timezone.now())
    third = outbound_email_dispatch()
    assert third.sent == 1
    email.refresh_from_db()
    assert email.status == OutboundEmailStatus.SENT and email.attempts == 2
    assert [m["Message-ID"] for m in dispatch_mode.received] == [email.message_id]
    assert published == []


@pytest.mark.django_db
def test_with_publishing_off_the_sweep_reclaims_stranded_rows_and_leaves_them_to_dispatch(
    dispatch_mode, monkeypatch
):
    published: list[list[int]] = []
    monkeypatch.setattr("advocacy.outbox.publish_send", published.append)
    [email] = _create_many(1)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmailStatus.SENDING,
        claimed_at=timezone.now() - timedelta(hours=1),
        created_at=timezone.now() - timedelta(hours=1),
        attempts=1,
    )

    result = outbound_email_sweep()

    assert result.reclaimed == 1 and published == []
    assert outbound_email_dispatch().sent == 1
    assert [m["Message-ID"] for m in dispatch_mode.received] == [email.message_id]


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_split_the_rows_and_deliver_each_once(dispatch_mode):
    emails = _create_many(60)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            outbound_email_dispatch(batch_size=7)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    received = [m["Message-ID"] for m in dispatch_mode.received]
    assert len(received) == 60
    assert sorted(received) == sorted(e.message_id for e in emails)
    assert OutboundEmail.objects.filter(status=OutboundEmailStatus.SENT).count() == 60


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_worker_and_beat_deliver_unpublished_rows_through_the_dispatcher(dispatch_mode, tmp_path):
    from django.conf import settings

    extra = {"OUTBOX_PUBLISH_ON_COMMIT": "false", "VAR_DIR": str(tmp_path)}
    worker = start_worker(
        smtp_url=dispatch_mode.url,
        queue=settings.CELERY_TASK_DEFAULT_QUEUE,
        concurrency=2,
        extra_env=extra,
    )
    env = process_env(
        smtp_url=dispatch_mode.url, queue=settings.CELERY_TASK_DEFAULT_QUEUE, extra=extra
    )
    beat = CeleryProcess(
        ["beat", "--loglevel=INFO", "--schedule", os.fspath(tmp_path / "beat-schedule")],
        env,
        "beat",
    )
    try:
        beat.start(ready_text="beat: Starting")
        emails = _create_many(30)
        assert wait_until(lambda: len(dispatch_mode.received) >= 30, 40), (
            worker.log()[-3000:] + beat.log()[-2000:]
        )
        wait_until(lambda: False, 2)  # later ticks must find nothing more to send
    finally:
        beat.stop()
        worker.stop()
    received = [m["Message-ID"] for m in dispatch_mode.received]
    assert sorted(received) == sorted(e.message_id for e in emails)


@pytest.mark.django_db
def test_a_claim_takes_the_oldest_due_rows_first_ties_by_id():
    from advocacy.outbox import _claim_due

    now = timezone.now()
    emails = _create_many(6)
    due = [now - timedelta(minutes=m) for m in (1, 5, 5, 3, 0, 9)]
    for email, not_before in zip(emails, due, strict=True):
        OutboundEmail.objects.filter(pk=email.pk).update(not_before=not_before)
    OutboundEmail.objects.filter(pk=emails[4].pk).update(not_before=now + timedelta(hours=1))

    claimed = [row.pk for row in _claim_due(4)]

    assert claimed == [emails[5].pk, emails[1].pk, emails[2].pk, emails[3].pk]


def _plan_nodes(plan: dict) -> list[dict]:
    nodes, stack = [], [plan]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    return nodes


def _backlog(count: int) -> None:
    from advocacy.outbox import outbound_email_build
    from config.rows import rows_insert

    rows_insert(
        [
            outbound_email_build(
                kind=EmailKind.NOTIFICATION,
                recipient=f"backlog-{i}@example.org",
                subject="Backlog",
                body_text="Hello.\n",
            )
            for i in range(count)
        ]
    )


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_a_claim_reads_its_batch_from_the_index_in_order_not_the_whole_backlog():
    """With the index in the claim's order, PostgreSQL walks it and stops after the batch;
    with `not_before` alone it fetched every queued row and sorted them (26 ms per claim with
    20,000 queued). The table here has no statistics, as on a busy day before autovacuum."""
    _backlog(3000)
    claim = (
        "SELECT * FROM advocacy_outboundemail WHERE status = 'queued' AND not_before <= now()"
        " ORDER BY not_before, id LIMIT 50 FOR UPDATE SKIP LOCKED"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + claim)
        plan = cursor.fetchone()[0][0]["Plan"]

    nodes = _plan_nodes(plan)
    assert not [n for n in nodes if "Sort" in n["Node Type"]], nodes
    [scan] = [n for n in nodes if n.get("Index Name") == "outbox_due_queued_in_order"]
    assert scan["Actual Rows"] <= 50


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_the_claim_walks_the_index_even_when_the_planners_estimates_favour_a_sort():
    """The planner chooses between walking the index in claim order and fetching every due row
    to sort them by its estimates, which are stale on a burst. Random page reads made to look
    250 times dearer here favour the sort; the dispatcher's own claim still walks the index
    and reads no more entries than it claims."""
    from advocacy.outbox import _claim_due

    _backlog(3000)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL random_page_cost = 1000")  # the test's transaction only
        cursor.execute(
            "EXPLAIN (FORMAT JSON) SELECT * FROM advocacy_outboundemail WHERE status = 'queued'"
            " AND not_before <= now() ORDER BY not_before, id LIMIT 50 FOR UPDATE SKIP LOCKED"
        )
        unguided = _plan_nodes(cursor.fetchone()[0][0]["Plan"])
    assert [n for n in unguided if n["Node Type"] == "Sort"], "the setting no longer favours a sort"

    plans: list[dict] = []

    def explain_the_claim(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if "SKIP LOCKED" in sql and not sql.startswith("EXPLAIN"):
            with context["connection"].cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                plans.append(cursor.fetchone()[0][0]["Plan"])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain_the_claim):
        claimed = _claim_due(50)

    assert len(claimed) == 50 and len(plans) == 1
    nodes = _plan_nodes(plans[0])
    assert not [n for n in nodes if n["Node Type"] == "Sort"], nodes
    [scan] = [n for n in nodes if n.get("Index Name") == "outbox_due_queued_in_order"]
    assert scan["Actual Rows"] <= 50


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_a_sent_mark_reads_its_own_row_not_the_rest_of_its_batch():
    """A batch's rows share one claimed_at. The "sent" mark (`WHERE id AND status = 'sending'
    AND claimed_at`) is served by the index of rows in flight; on claimed_at alone it read the
    whole batch's entries and rows to update one."""
    from advocacy.outbox import _RECORD_SENT_SQL, _claim_due

    _backlog(200)
    batch = _claim_due(50)
    assert len({row.claimed_at for row in batch}) == 1
    target = batch[len(batch) // 2]
    params = ["sent", timezone.now(), target.pk, "sending", target.claimed_at]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + _RECORD_SENT_SQL, params)
        nodes = _plan_nodes(cursor.fetchone()[0][0]["Plan"])
        transaction.set_rollback(True)
    [scan] = [n for n in nodes if "Scan" in n["Node Type"]]
    assert scan["Actual Rows"] == 1
    assert scan.get("Rows Removed by Filter", 0) == 0, scan
    assert scan.get("Rows Removed by Index Recheck", 0) == 0, scan
