"""Reads for supporters' pages, the API and the organiser admin."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import Count, Q
from django.utils import timezone

from advocacy.models import Signature, SignatureStatus, Supporter
from campaign.models import Petition


@dataclass(frozen=True)
class SignatureCounts:
    confirmed: int
    pending: int
    today: int


def supporter_is_active(*, supporter_id: int) -> bool:
    return Supporter.objects.filter(pk=supporter_id, erased_at__isnull=True).exists()


def _start_of_today() -> datetime:
    return datetime.combine(timezone.localdate(), time.min, tzinfo=timezone.get_current_timezone())


def signature_counts_for_petitions(*, petition_ids: Iterable[int]) -> dict[int, SignatureCounts]:
    """Organisers' counts per petition in one grouped query: confirmed (the maintained counter
    is for the public; this is the exact figure), pending, and confirmed since midnight. Uses
    the (petition, status, confirmed_at) index."""
    today = _start_of_today()
    rows = (
        Signature.objects.filter(petition_id__in=list(petition_ids))
        .values("petition_id")
        .annotate(
            confirmed=Count("pk", filter=Q(status=SignatureStatus.CONFIRMED)),
            pending=Count("pk", filter=Q(status=SignatureStatus.PENDING)),
            today=Count("pk", filter=Q(status=SignatureStatus.CONFIRMED, confirmed_at__gte=today)),
        )
        .order_by()
    )
    return {
        row["petition_id"]: SignatureCounts(row["confirmed"], row["pending"], row["today"])
        for row in rows
    }


def signature_counts(*, petition: Petition) -> SignatureCounts:
    return signature_counts_for_petitions(petition_ids=[petition.pk]).get(
        petition.pk, SignatureCounts(0, 0, 0)
    )


EXPORT_COLUMNS = (
    "signature_id",
    "confirmed_at",
    "first_name",
    "last_name",
    "email",
    "country",
    "postcode",
    "channel",
    "wants_organisation_news",
)


def signatures_confirmed_export_rows(
    *, petition_id: int, chunk_size: int = 2000
) -> Iterator[tuple[object, ...]]:
    """Confirmed signatures of one petition as flat tuples, streamed from a server-side cursor
    (`.iterator()`), so memory stays flat whatever the size. Erased supporters appear with
    blank personal fields: their signature still counts."""
    return (
        Signature.objects.filter(petition_id=petition_id, status=SignatureStatus.CONFIRMED)
        .order_by("confirmed_at", "pk")
        .values_list(
            "pk",
            "confirmed_at",
            "supporter__first_name",
            "supporter__last_name",
            "supporter__email",
            "country",
            "supporter__postcode",
            "channel",
            "supporter__wants_organisation_news",
        )
        .iterator(chunk_size=chunk_size)
    )
