"""Organiser admin for letters: per-letter status, counts per MEP, and cancelling the queued
letters to one MEP. To be imported by advocacy/admin.py (the lead wires it)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.urls import URLPattern, path

from advocacy.letters import letters_cancel_for_mep
from advocacy.models import Letter, LetterStatus
from campaign.admin import OrganisationScopedAdmin
from campaign.audit import audit_record
from campaign.directory import mep_full_name
from campaign.models import Campaign
from campaign.permissions import WRITE_ROLES, export_permission_check, organisation_ids_for


@admin.register(Letter)
class LetterAdmin(OrganisationScopedAdmin):
    organisation_path = "campaign__organisation"
    list_display = ["id", "campaign", "to", "status", "status_reason", "language", "created_at"]
    list_filter = ["status", "campaign", "mep__country_code", "language"]
    search_fields = ["mep__last_name", "subject"]
    list_select_related = ["campaign", "mep"]
    readonly_fields = [
        "request",
        "campaign",
        "supporter",
        "mep",
        "language",
        "subject",
        "body",
        "status",
        "status_reason",
        "outbound_email",
        "created_at",
    ]
    actions = ["cancel_for_meps"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Letter]:
        return super().get_queryset(request).select_related("campaign", "mep")

    @admin.display(description="to", ordering="mep__last_name")
    def to(self, letter: Letter) -> str:
        return mep_full_name(letter.mep)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # letters are written by supporters, not by organisers

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.action(
        description="Cancel the unsent letters (this campaign) to the selected letters' MEPs",
        permissions=["change"],
    )
    def cancel_for_meps(self, request: HttpRequest, queryset: QuerySet[Letter]) -> None:
        pairs = {
            (letter.campaign, letter.mep) for letter in queryset.select_related("campaign", "mep")
        }
        allowed = set(organisation_ids_for(user=request.user, roles=WRITE_ROLES))
        total = 0
        for campaign, mep in pairs:
            if campaign.organisation_id not in allowed:
                continue
            with transaction.atomic():
                cancelled = letters_cancel_for_mep(campaign=campaign, mep=mep)
                audit_record(
                    action="letters.cancel_for_mep",
                    organisation=campaign.organisation,
                    actor=request.user,
                    obj=mep,
                    detail={"campaign": campaign.pk, "cancelled": cancelled},
                    request=request,
                )
            total += cancelled
        self.message_user(
            request,
            f"{total} letter(s) to {len({m for _, m in pairs})} MEP(s) cancelled.",
            messages.SUCCESS,
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "export/<int:campaign_id>/",
                self.admin_site.admin_view(self.export_view),
                name="advocacy_letter_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest, campaign_id: int) -> StreamingHttpResponse:
        """A campaign's letters as streamed CSV; ?status=, ?since=, ?until= filter them."""
        from advocacy.admin import csv_response, export_filters
        from advocacy.exports import letters_csv_lines

        campaign = Campaign.objects.filter(
            pk=campaign_id, organisation_id__in=organisation_ids_for(user=request.user)
        ).first()
        if campaign is None:
            raise Http404("No such campaign.")
        export_permission_check(user=request.user, organisation_id=campaign.organisation_id)
        status, since, until = export_filters(
            request, statuses={choice.value for choice in LetterStatus}, default=None
        )
        with transaction.atomic():
            audit_record(
                action="letters.export",
                organisation=campaign.organisation,
                actor=request.user,
                obj=campaign,
                detail={
                    "status": status or "all",
                    "since": str(since or ""),
                    "until": str(until or ""),
                },
                request=request,
            )
        lines = letters_csv_lines(campaign_id=campaign.pk, status=status, since=since, until=until)
        return csv_response(lines, f"letters-{campaign.slug}")
