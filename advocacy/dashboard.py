"""The organiser's dashboard for one campaign: signatures over time, today, goal, top
countries, letters by status and per MEP, outbox health. One page, a handful of grouped
queries on indexed columns, so it stays fast with a million signatures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count, Min, Q
from django.db.models.functions import TruncDate
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from advocacy.models import (
    Letter,
    LetterStatus,
    OutboundEmail,
    OutboundEmailStatus,
    Signature,
    SignatureStatus,
)
from campaign.models import Campaign
from campaign.permissions import export_organisation_ids_for, organisation_ids_for

CHART_DAYS = 30


@dataclass
class DayPoint:
    day: date
    confirmed: int
    pending: int


@dataclass
class Dashboard:
    campaign: Campaign
    confirmed: int
    pending: int
    today: int
    goal: int
    days: list[DayPoint]
    top_countries: list[tuple[str, int]]
    letters_by_status: dict[str, int]
    letters_per_mep: list[Any]
    outbox: dict[str, Any]
    chart: dict[str, Any] = field(default_factory=dict)


def _chart(days: list[DayPoint], width: int = 600, height: int = 160) -> dict[str, Any]:
    """Bar geometry for an inline SVG (no JavaScript, no CDN, nothing for the CSP to block)."""
    peak = max([p.confirmed + p.pending for p in days] + [1])
    bar = width / max(len(days), 1)
    bars = []
    for index, point in enumerate(days):
        confirmed_h = point.confirmed / peak * (height - 20)
        pending_h = point.pending / peak * (height - 20)
        x = round(index * bar + 1, 1)
        bars.append(
            {
                "x": x,
                "w": round(max(bar - 2, 1), 1),
                "confirmed_y": round(height - confirmed_h, 1),
                "confirmed_h": round(confirmed_h, 1),
                "pending_y": round(height - confirmed_h - pending_h, 1),
                "pending_h": round(pending_h, 1),
                "label": f"{point.day:%d %b}: {point.confirmed} confirmed, {point.pending} pending",
            }
        )
    return {"width": width, "height": height, "bars": bars, "peak": peak}


def campaign_dashboard(*, campaign: Campaign) -> Dashboard:
    now = timezone.now()
    midnight = datetime.combine(
        timezone.localdate(), time.min, tzinfo=timezone.get_current_timezone()
    )
    since = midnight - timedelta(days=CHART_DAYS - 1)
    petition = getattr(campaign, "petition", None)
    signatures = (
        Signature.objects.filter(petition=petition) if petition else Signature.objects.none()
    )

    totals = signatures.aggregate(
        confirmed=Count("pk", filter=Q(status=SignatureStatus.CONFIRMED)),
        pending=Count("pk", filter=Q(status=SignatureStatus.PENDING)),
        today=Count("pk", filter=Q(status=SignatureStatus.CONFIRMED, confirmed_at__gte=midnight)),
    )
    confirmed_by_day = dict(
        signatures.filter(status=SignatureStatus.CONFIRMED, confirmed_at__gte=since)
        .annotate(day=TruncDate("confirmed_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    pending_by_day = dict(
        signatures.filter(status=SignatureStatus.PENDING, created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    days = [
        DayPoint(
            day=day,
            confirmed=confirmed_by_day.get(day, 0),
            pending=pending_by_day.get(day, 0),
        )
        for day in (since.date() + timedelta(days=i) for i in range(CHART_DAYS))
    ]
    top_countries = list(
        signatures.filter(status=SignatureStatus.CONFIRMED)
        .exclude(country="")
        .values("country")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("country", "n")[:10]
    )

    letters = Letter.objects.filter(campaign=campaign)
    letters_by_status = {
        row["status"]: row["n"]
        for row in letters.values("status").annotate(n=Count("pk")).order_by()
    }
    letters_per_mep = list(
        letters.values("mep__ep_id", "mep__first_name", "mep__last_name", "mep__country_code")
        .annotate(
            sent=Count("pk", filter=Q(status=LetterStatus.SENT)),
            scheduled=Count("pk", filter=Q(status=LetterStatus.QUEUED)),
            failed=Count("pk", filter=Q(status=LetterStatus.FAILED)),
            waiting=Count("pk", filter=Q(status=LetterStatus.AWAITING_CONFIRMATION)),
            last_failure=Min("status_reason", filter=Q(status=LetterStatus.FAILED)),
        )
        .order_by("-sent", "-scheduled")[:50]
    )

    outbox_rows = OutboundEmail.objects.filter(campaign=campaign)
    outbox_counts = {
        row["status"]: row["n"]
        for row in outbox_rows.values("status").annotate(n=Count("pk")).order_by()
    }
    oldest = outbox_rows.filter(status=OutboundEmailStatus.QUEUED, not_before__lte=now).aggregate(
        oldest=Min("not_before")
    )["oldest"]
    outbox = {
        "queued": outbox_counts.get(OutboundEmailStatus.QUEUED, 0),
        "sending": outbox_counts.get(OutboundEmailStatus.SENDING, 0),
        "sent": outbox_counts.get(OutboundEmailStatus.SENT, 0),
        "failed": outbox_counts.get(OutboundEmailStatus.FAILED, 0),
        "oldest_queued_seconds": int((now - oldest).total_seconds()) if oldest else None,
        "recent_failures": list(
            outbox_rows.filter(status=OutboundEmailStatus.FAILED)
            .order_by("-pk")
            .values("recipient", "kind", "last_error")[:10]
        ),
    }
    dashboard = Dashboard(
        campaign=campaign,
        confirmed=totals["confirmed"],
        pending=totals["pending"],
        today=totals["today"],
        goal=petition.goal if petition else 0,
        days=days,
        top_countries=top_countries,
        letters_by_status=letters_by_status,
        letters_per_mep=letters_per_mep,
        outbox=outbox,
    )
    dashboard.chart = _chart(days)
    return dashboard


@staff_member_required
def campaign_dashboard_view(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = (
        Campaign.objects.filter(
            pk=campaign_id, organisation_id__in=organisation_ids_for(user=request.user)
        )
        .select_related("organisation", "petition")
        .first()
    )
    if campaign is None:  # another organisation's campaign does not exist for this user
        raise Http404("No such campaign.")
    from django.contrib import admin

    context = {
        **admin.site.each_context(request),
        "title": f"Dashboard: {campaign.title}",
        "dashboard": campaign_dashboard(campaign=campaign),
        "can_export": campaign.organisation_id in export_organisation_ids_for(user=request.user),
    }
    return render(request, "admin/advocacy/campaign_dashboard.html", context)
