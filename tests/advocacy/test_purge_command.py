"""`manage.py purge_unconfirmed_signatures --days`: only a real retention period is accepted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from advocacy.models import Signature
from advocacy.signatures import signature_unconfirmed_purge
from tests.factories import SignatureFactory


@pytest.mark.parametrize("days", ["-1", "0", "two"])
def test_a_retention_below_one_day_is_refused_and_nothing_is_deleted(db, days):
    SignatureFactory()

    with pytest.raises(CommandError, match="--days"):
        call_command("purge_unconfirmed_signatures", "--days", days)

    assert Signature.objects.count() == 1


def test_the_service_refuses_zero_days_instead_of_using_the_default(db, settings):
    settings.SIGNATURE_UNCONFIRMED_RETENTION_DAYS = 14
    SignatureFactory()
    Signature.objects.update(created_at=timezone.now() - timedelta(days=3))

    with pytest.raises(ValueError, match="at least 1"):
        signature_unconfirmed_purge(older_than_days=0)

    assert Signature.objects.count() == 1


def test_one_day_deletes_a_pending_signature_older_than_a_day(db, settings):
    settings.SIGNATURE_UNCONFIRMED_RETENTION_DAYS = 14
    SignatureFactory()
    Signature.objects.update(created_at=timezone.now() - timedelta(days=2))

    call_command("purge_unconfirmed_signatures", "--days", "1")

    assert Signature.objects.count() == 0
