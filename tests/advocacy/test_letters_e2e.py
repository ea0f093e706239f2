"""End to end: a supporter writes to the targeted MEPs of one country, confirms through the
link in the mail, and a real Celery worker delivers one letter per MEP to a real SMTP
server — once."""

from __future__ import annotations

import re
from email.headerregistry import Address

import pytest
from django.conf import settings as django_settings

from advocacy.letters import letter_request_confirm, letter_request_create
from advocacy.models import Letter, LetterStatus, OutboundEmail, OutboundEmailStatus
from advocacy.outbox import outbound_email_sweep
from campaign.models import Gender
from tests.factories import (
    CampaignFactory,
    LetterTemplateFactory,
    MandateFactory,
    MepFactory,
    RollCallFactory,
    RollCallVoteFactory,
)
from tests.support.processes import wait_until

BODY = (
    "{{ mep.salutation }},\n\n"
    '{% if mep.vote == "for" %}Thank you for voting for the resolution.'
    "{% else %}Please support the resolution.{% endif %}\n\n"
    "Yours sincerely,\n{{ supporter.full_name }}"
)
LINK_RE = re.compile(r"https?://\S+/letters/confirm/(?P<token>[^/\s]+)/")


def _campaign(*, live: bool, suffix: str):
    campaign = CampaignFactory(
        call__resolution__procedure_reference="2022/2505(RSP)", live_delivery=live
    )
    LetterTemplateFactory(
        campaign=campaign,
        subject="Political prisoners in Kazakhstan",
        body=BODY,
        targeting={"supporter_country": True},
    )
    roll_call = RollCallFactory()
    meps = [
        MepFactory(
            country_code="LU",
            first_name="Astrid",
            last_name="LULLING",
            gender=Gender.FEMALE,
            email=f"astrid.{suffix}@europarl.example.eu",
        ),
        MepFactory(
            country_code="LU",
            first_name="Charles",
            last_name="GOERENS",
            gender=Gender.MALE,
            email=f"charles.{suffix}@europarl.example.eu",
        ),
        MepFactory(country_code="LU", email=""),  # skipped: no address
    ]
    MepFactory(country_code="MT", email=f"malta.{suffix}@europarl.example.eu")  # not targeted
    for mep in meps:
        MandateFactory(mep=mep)
    RollCallVoteFactory(roll_call=roll_call, mep=meps[0], position="for")
    return campaign, meps


def _confirm_from_mail(smtp_server, supporter_email: str, worker) -> None:
    assert wait_until(lambda: smtp_server.messages_to(supporter_email), 30), worker.log()[-3000:]
    [confirmation] = smtp_server.messages_to(supporter_email)
    match = LINK_RE.search(confirmation.get_content())
    assert match, confirmation.get_content()
    letter_request_confirm(token=match.group("token"))


@pytest.mark.e2e
def test_a_supporter_writes_confirms_and_each_mep_gets_exactly_one_letter(
    smtp_server, settings, transactional_db
):
    from tests.support.processes import start_worker

    settings.LETTERS_LIVE_DELIVERY_ALLOWED = True
    worker = start_worker(
        smtp_url=smtp_server.url,
        queue=django_settings.CELERY_TASK_DEFAULT_QUEUE,
        extra_env={"SITE_URL": settings.SITE_URL, "LETTERS_LIVE_DELIVERY_ALLOWED": "true"},
    )
    try:
        campaign, (astrid, charles, nomail) = _campaign(live=True, suffix="live")
        organisation = campaign.organisation
        result = letter_request_create(
            campaign=campaign,
            email="zoe.e2e@example.net",
            first_name="Zoë",
            last_name="Müller",
            country="LU",
            city="Esch",
            mep_ids=[astrid.ep_id, charles.ep_id, nomail.ep_id],
            consent=True,
            wants_copy=True,
        )
        assert smtp_server.messages_to(astrid.email) == []  # nothing before confirmation

        _confirm_from_mail(smtp_server, "zoe.e2e@example.net", worker)

        assert wait_until(
            lambda: (
                smtp_server.messages_to(astrid.email) and smtp_server.messages_to(charles.email)
            ),
            30,
        ), worker.log()[-3000:]
        assert wait_until(lambda: len(smtp_server.messages_to("zoe.e2e@example.net")) == 2, 30)
        for mep, salutation, line in (
            (astrid, "Dear Ms Lulling,", "Thank you for voting for the resolution."),
            (charles, "Dear Mr Goerens,", "Please support the resolution."),
        ):
            [message] = smtp_server.messages_to(mep.email)
            sender = message["From"].addresses[0]
            assert sender == Address("Zoë Müller", addr_spec=organisation.sending_address)
            assert message["Reply-To"].addresses[0].addr_spec == "zoe.e2e@example.net"
            assert message["Subject"] == "Political prisoners in Kazakhstan"
            body = message.get_content().replace("\r\n", "\n")
            letter = Letter.objects.get(mep=mep, request=result.request)
            assert body == letter.body
            assert body.startswith(salutation) and line in body and "Zoë Müller" in body
            assert message["Message-ID"] == letter.outbound_email.message_id
        assert wait_until(
            lambda: (
                set(Letter.objects.values_list("status", flat=True))
                == {LetterStatus.SENT, LetterStatus.SKIPPED}
            ),
            10,
        )
        copy = [
            m
            for m in smtp_server.messages_to("zoe.e2e@example.net")
            if m["Subject"].startswith("Your letters")
        ]
        assert len(copy) == 1 and copy[0]["List-Unsubscribe"]

        # Confirming again and sweeping send nothing more.
        count = len(smtp_server.received)
        outbound_email_sweep()
        wait_until(lambda: False, 2)
        assert len(smtp_server.received) == count
        assert not OutboundEmail.objects.filter(status=OutboundEmailStatus.QUEUED).exists()
    finally:
        worker.stop()


@pytest.mark.e2e
def test_in_test_mode_every_letter_goes_to_the_test_address_never_to_an_mep(
    celery_worker_process, smtp_server
):
    campaign, (astrid, charles, _nomail) = _campaign(live=False, suffix="test")
    letter_request_create(
        campaign=campaign,
        email="tess.e2e@example.net",
        first_name="Tess",
        last_name="Tester",
        country="LU",
        mep_ids=[astrid.ep_id, charles.ep_id],
        consent=True,
    )
    _confirm_from_mail(smtp_server, "tess.e2e@example.net", celery_worker_process)

    test_address = campaign.organisation.test_address
    assert wait_until(lambda: len(smtp_server.messages_to(test_address)) == 2, 30)
    subjects = {m["Subject"] for m in smtp_server.messages_to(test_address)}
    assert subjects == {"[TEST] Political prisoners in Kazakhstan"}
    assert smtp_server.messages_to(astrid.email) == []
    assert smtp_server.messages_to(charles.email) == []
