"""Drill 8: 10,000 letters to one MEP with LETTERS_PER_MEP_PER_HOUR=100. The schedule (the
outbox rows' `not_before`) never puts more than 100 in any sliding hour, all 10,000 are
scheduled, none dropped. Time is not compressed: the drill cannot wait 100 hours, so it
delivers the first hour's batch through a real worker and checks that exactly 100 left and the
other 9,900 wait, queued, with a future `not_before`."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from advocacy.letters import CONFIRM_PURPOSE, _letter_queue, letter_request_confirm
from advocacy.letters import letter_request_create as letters_request
from advocacy.models import (
    Consent,
    ConsentPurpose,
    EmailKind,
    Letter,
    LetterRequest,
    LetterRequestStatus,
    LetterStatus,
    OutboundEmail,
    OutboundEmailStatus,
    Supporter,
)
from advocacy.tokens import token_make
from campaign.models import Mep
from tests.drills.support import drill_print, sweep_until
from tests.factories import CampaignFactory, LetterTemplateFactory, MepFactory, PetitionFactory
from tests.support.processes import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LETTERS = 10_000
THROUGH_SERVICES = 200  # letter_request_create + letter_request_confirm, end to end
LIMIT = 100
HOUR = timedelta(hours=1)


def _max_in_any_hour(times: list) -> tuple[int, int]:
    """The most slots in any half-open sliding hour [t, t+1h), and in any closed one
    [t, t+1h]. A window's count is largest when it starts at a slot, so checking the windows
    that start at each slot (two pointers over the sorted list) is exact."""
    times = sorted(times)
    half_open = closed = 0
    end_open = end_closed = 0
    for i, start in enumerate(times):
        while end_open < len(times) and times[end_open] < start + HOUR:
            end_open += 1
        while end_closed < len(times) and times[end_closed] <= start + HOUR:
            end_closed += 1
        half_open = max(half_open, end_open - i)
        closed = max(closed, end_closed - i)
    return half_open, closed


def _bulk_letters(campaign, mep: Mep, count: int, tag: str) -> list[Letter]:
    """`count` supporters, each with a request awaiting confirmation for one letter to `mep`,
    written in bulk: what `letter_request_create` leaves behind, minus its 30 ms per call."""
    supporters = Supporter.objects.bulk_create(
        Supporter(
            organisation=campaign.organisation,
            email=f"pace-{tag}-{i}@example.net",
            first_name="Ana",
            last_name=f"Supporter{i}",
            country="DE",
        )
        for i in range(count)
    )
    consents = Consent.objects.bulk_create(
        Consent(
            supporter=s,
            purpose=ConsentPurpose.LETTER,
            text="I agree.",
            version=1,
            given_at=timezone.now(),
            channel="api",
        )
        for s in supporters
    )
    requests = LetterRequest.objects.bulk_create(
        LetterRequest(campaign=campaign, supporter=s, consent=c, channel="api")
        for s, c in zip(supporters, consents, strict=True)
    )
    return Letter.objects.bulk_create(
        Letter(
            request=r,
            campaign=campaign,
            supporter=r.supporter,
            mep=mep,
            subject="Please act",
            body=f"Dear Member,\n\nPlease act. Letter {i}.\n",
            status=LetterStatus.AWAITING_CONFIRMATION,
        )
        for i, r in enumerate(requests)
    )


def _queue_confirmed(letters: list[Letter], mep: Mep) -> None:
    """What `letter_request_confirm` does per letter, one transaction per confirmation: mark
    the request confirmed, lock the MEP row, take the next pacing slot."""
    for i, letter in enumerate(letters):
        if i % 1000 == 0:
            # Fresh planner statistics, as autovacuum would keep them in production: the
            # tables grow from nothing to 10,000 rows within seconds here.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE advocacy_outboundemail, advocacy_letter")
        with transaction.atomic():
            now = timezone.now()
            LetterRequest.objects.filter(pk=letter.request_id).update(
                status=LetterRequestStatus.CONFIRMED, confirmed_at=now
            )
            list(Mep.objects.select_for_update().filter(pk=mep.pk))
            _letter_queue(letter=letter, supporter=letter.supporter, now=now)


def test_10000_letters_to_one_mep_never_exceed_the_hourly_limit(drill_smtp, workers, outbox_fast):
    outbox_fast.LETTERS_PER_MEP_PER_HOUR = LIMIT
    outbox_fast.LETTERS_LIVE_DELIVERY_ALLOWED = True
    outbox_fast.RATELIMIT_ENABLED = False
    campaign = CampaignFactory(live_delivery=True)
    PetitionFactory(campaign=campaign)
    LetterTemplateFactory(campaign=campaign)
    mep = MepFactory(country_code="DE", email=f"mep-{uuid.uuid4().hex[:6]}@europarl.example.eu")
    tag = uuid.uuid4().hex[:6]

    started = time.monotonic()
    for i in range(THROUGH_SERVICES):
        result = letters_request(
            campaign=campaign,
            email=f"pace-svc-{tag}-{i}@example.net",
            first_name="Ana",
            last_name=f"Service{i}",
            country="DE",
            mep_ids=[mep.ep_id],
            consent=True,
            channel="api",
        )
        letter_request_confirm(
            token=token_make(purpose=CONFIRM_PURPOSE, object_id=result.request.pk)
        )
    service_seconds = time.monotonic() - started
    started = time.monotonic()
    bulk = _bulk_letters(campaign, mep, LETTERS - THROUGH_SERVICES, tag)
    bulk_seconds = time.monotonic() - started
    started = time.monotonic()
    _queue_confirmed(
        list(
            Letter.objects.filter(pk__in=[x.pk for x in bulk])
            .select_related("campaign__organisation", "mep", "supporter")
            .order_by("pk")
        ),
        mep,
    )
    queue_seconds = time.monotonic() - started

    letters = Letter.objects.filter(campaign=campaign, mep=mep)
    rows = OutboundEmail.objects.filter(kind=EmailKind.LETTER, campaign=campaign)
    slots = list(rows.values_list("not_before", flat=True))
    half_open, closed = _max_in_any_hour(slots)
    span = max(slots) - min(slots)
    due_now = rows.filter(not_before__lte=timezone.now()).count()

    # Deliver the first hour: its 100 rows were published on commit; the sweep publishes
    # whatever else is due (nothing is); a real worker sends them.
    worker = workers(drill_smtp.url, concurrency=2, name="pacing")

    def letters_received() -> int:
        return len(drill_smtp.messages_to(mep.email))

    delivered = wait_until(lambda: letters_received() >= LIMIT, 120)
    sweep_until(lambda: False, timeout=3)  # three sweeps: would publish anything due
    time.sleep(2)
    sent = rows.filter(status=OutboundEmailStatus.SENT).count()
    now = timezone.now()
    waiting = rows.filter(status=OutboundEmailStatus.QUEUED, not_before__gt=now).count()
    next_due = rows.filter(status=OutboundEmailStatus.QUEUED).order_by("not_before").first()
    drill_print(
        "pacing",
        f"{LETTERS} letters to one MEP, LETTERS_PER_MEP_PER_HOUR={LIMIT} ({THROUGH_SERVICES} "
        f"through letter_request_create+confirm in {service_seconds:.1f} s, "
        f"{LETTERS - THROUGH_SERVICES} bulk-written and queued through _letter_queue under "
        f"the MEP lock in {bulk_seconds:.1f}+{queue_seconds:.1f} s): {letters.count()} letters, "
        f"{letters.filter(status=LetterStatus.QUEUED).count()} queued and "
        f"{letters.filter(status=LetterStatus.SENT).count()} sent at the end, {len(slots)} outbox "
        f"rows; most in any sliding hour [t, t+1h): {half_open} (closed [t, t+1h]: {closed}); "
        f"schedule spans {span}; {due_now} due at once. TIME NOT COMPRESSED: only the first "
        f"hour was delivered — a real worker sent {letters_received()} letters to the MEP "
        f"(rows sent: {sent}); {waiting} still queued with a future not_before (next due in "
        f"{(next_due.not_before - now) if next_due else None}); worker alive: "
        f"{worker.process is not None and worker.process.poll() is None}",
    )
    assert letters.count() == LETTERS
    assert letters.exclude(status__in=[LetterStatus.QUEUED, LetterStatus.SENT]).count() == 0
    assert len(slots) == LETTERS and rows.filter(letter__isnull=True).count() == 0
    assert half_open == LIMIT
    assert due_now == LIMIT
    assert delivered, worker.log()[-3000:]
    assert letters_received() == LIMIT and sent == LIMIT
    assert waiting == LETTERS - LIMIT
    assert len({str(m["Message-ID"]) for m in drill_smtp.messages_to(mep.email)}) == LIMIT
