"""No organiser-entered value puts a header line of its own into a mail.

Python's compat32 header folding splits a value on every boundary str.splitlines() knows, so
a campaign title holding \\x1e went out as `Subject: Save bees` and a second header line.
The outbox refuses such values when a row is written and again when a message is built (rows
from before the check); the organisation API and the admin refuse them where they are typed.
"""

from __future__ import annotations

import sys
import unicodedata
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from advocacy.models import EmailKind, OutboundEmail, OutboundEmailStatus
from advocacy.outbox import (
    HeaderInjectionError,
    _build_message,
    new_message_id,
    outbound_email_build,
    outbound_email_send_many,
)
from campaign.models import Campaign, OrganisationRole
from tests.factories import CampaignFactory, MembershipFactory, OrganisationFactory, org_api_client

# The boundaries Django's own path already refused (\x85, U+2028) and the three compat32
# folded on while the outbox let them through (\x1c, \x1d, \x1e).
BOUNDARIES = ("\x1c", "\x1d", "\x1e", "\x85", "\u2028")
INJECTED = "Reply-To : attacker@evil.example"
# Typed where a single line of plain text belongs: every one is refused there.
NOT_SINGLE_LINE = [
    "a\r\nb",
    f"Save bees\x1e{INJECTED}",
    "a\u2028b",
    "a\x85b",
    "a\x07b",  # a control character that is no line break
    "evil\u202egpj.exe",  # a bidi override: displays as text nobody typed
    "a\u2066b",  # a bidi isolate
]


def _poisoned(ch: str) -> dict[str, str]:
    """A subject and a sender whose display name each carry `ch` before a header line."""
    return {
        "subject": f"Save bees{ch}{INJECTED}",
        "sender": f"Save Bees{ch}{INJECTED} <campaigns@org.example.org>",
    }


def _row(**fields: str) -> OutboundEmail:
    """An unsaved outbox row as one written before the outbox checked every boundary."""
    values = {
        "kind": EmailKind.SIGNATURE_CONFIRMATION,
        "recipient": f"{uuid.uuid4().hex[:12]}@example.net",
        "sender": "Save Bees <campaigns@org.example.org>",
        "subject": "Please confirm your signature",
        "body_text": "Please confirm.\n",
        "message_id": new_message_id(),
        "not_before": timezone.now(),
        **fields,
    }
    return OutboundEmail(**values)


# --- The outbox -----------------------------------------------------------------------------


def _build(**overrides: object) -> OutboundEmail:
    fields: dict[str, object] = {
        "kind": EmailKind.SIGNATURE_CONFIRMATION,
        "recipient": "ana@example.net",
        "subject": "Please confirm",
        "body_text": "b",
        **overrides,
    }
    return outbound_email_build(**fields)  # type: ignore[arg-type]


def test_the_unsafe_set_is_every_line_boundary_and_every_control_character():
    from campaign.validators import HEADER_UNSAFE_CHARACTERS

    expected = {
        ch
        for ch in map(chr, range(sys.maxunicode + 1))
        if len(f"a{ch}b".splitlines()) > 1 or unicodedata.category(ch) == "Cc"
    }
    found = set(HEADER_UNSAFE_CHARACTERS.findall("".join(map(chr, range(sys.maxunicode + 1)))))
    assert found == expected


@pytest.mark.django_db
def test_a_line_boundary_in_a_subject_or_sender_name_never_makes_an_outbox_row():
    for ch in BOUNDARIES:
        for field, value in _poisoned(ch).items():
            with pytest.raises(HeaderInjectionError) as caught:
                _build(**{field: value})
            header = {"subject": "Subject", "sender": "From"}[field]
            assert list(caught.value.fields) == [header], repr(ch)


@pytest.mark.django_db
def test_a_control_character_in_any_header_never_makes_an_outbox_row():
    for ch in ("\x00", "\x07", "\t", "\x1b", "\x7f", "\x9b"):
        for field in ("subject", "sender", "reply_to", "recipient"):
            with pytest.raises(HeaderInjectionError):
                _build(**{field: f"x{ch}y@example.org"})
        with pytest.raises(HeaderInjectionError):
            _build(headers={"List-Unsubscribe": f"<https://example.org/u/{ch}/>"})


def test_a_message_with_a_line_boundary_in_a_header_is_refused_before_it_is_written():
    clean = _build_message(_row()).message().as_bytes()
    assert b"\r\nSubject: Please confirm your signature\r\n" in clean
    for ch in BOUNDARIES:
        for field, value in _poisoned(ch).items():
            message = _build_message(_row(**{field: value}))
            with pytest.raises(ValueError):
                wire = message.message().as_bytes()
                pytest.fail(f"{field} with {ch!r} was written: {wire!r}")


@pytest.mark.django_db
def test_a_row_from_before_the_check_fails_and_puts_no_header_on_the_wire(settings, smtp_server):
    settings.MAILERS = {
        "default": {
            "BACKEND": "advocacy.mime.SMTPBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_server.port, "timeout": 5},
        }
    }
    clean = _row()
    poisoned = [_row(**{field: value}) for field, value in _poisoned("\x1e").items()]
    with transaction.atomic():
        OutboundEmail.objects.bulk_create([*poisoned, clean])  # as they were written, unchecked

    outcomes = outbound_email_send_many(email_ids=[row.pk for row in [*poisoned, clean]])

    assert [outcome.result for outcome in outcomes] == ["failed", "failed", "sent"]
    for row in poisoned:
        row.refresh_from_db()
        assert row.status == OutboundEmailStatus.FAILED
        assert row.last_error.startswith("ValueError")
    assert [m["To"] for m in smtp_server.received] == [clean.recipient]
    wire = smtp_server.received[0].as_bytes()
    assert b"attacker@evil.example" not in wire and "Reply-To" not in smtp_server.received[0]


# --- Where organisers type the values -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("title", NOT_SINGLE_LINE)
def test_the_org_api_refuses_a_campaign_title_that_is_not_a_single_line(title):
    organisation = OrganisationFactory()
    campaign = CampaignFactory(organisation=organisation, title="Save bees")
    api = org_api_client(organisation)

    created = api.post("/api/v1/org/campaigns/", {"title": title}, format="json")
    edited = api.patch(f"/api/v1/org/campaigns/{campaign.pk}/", {"title": title}, format="json")

    for response in (created, edited):
        assert response.status_code == 400, response.content
        fields = response.json()["error"]["fields"]
        assert list(fields) == ["title"]
        assert "single line of plain text" in fields["title"][0]
    assert list(Campaign.objects.values_list("title", flat=True)) == ["Save bees"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", NOT_SINGLE_LINE)
def test_an_organisation_name_that_is_not_a_single_line_fails_model_validation(name):
    organisation = OrganisationFactory.build(name=name)
    with pytest.raises(ValidationError) as caught:
        organisation.full_clean()
    assert list(caught.value.message_dict) == ["name"]
    assert "single line of plain text" in caught.value.message_dict["name"][0]


@pytest.mark.django_db
def test_the_admin_refuses_an_organisation_name_that_is_not_a_single_line(client):
    membership = MembershipFactory(role=OrganisationRole.OWNER)
    organisation = membership.organisation
    client.force_login(membership.user)
    url = reverse("admin:campaign_organisation_change", args=[organisation.pk])
    form = {
        "name": f"Save Bees\x1e{INJECTED}",
        "slug": organisation.slug,
        "sending_address": organisation.sending_address,
        "test_address": organisation.test_address,
    }

    response = client.post(url, form)

    assert response.status_code == 200  # the form again, with its errors
    assert response.context["adminform"].form.errors["name"] == [
        "This must be a single line of plain text: no line breaks, control characters or "
        "bidirectional text overrides."
    ]
    organisation.refresh_from_db()
    assert organisation.name != form["name"]
    assert client.post(url, {**form, "name": "Save Bees"}).status_code == 302  # and it saves
