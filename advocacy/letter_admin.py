"""Organiser admin for letters: per-letter status, counts per MEP, and cancelling the queued
letters to one MEP. To be imported by advocacy/admin.py (the lead wires it)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from advocacy.letters import letters_cancel_for_mep
from advocacy.models import Letter
from campaign.admin import OrganisationScopedAdmin
from campaign.directory import mep_full_name


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
        total = sum(letters_cancel_for_mep(campaign=c, mep=m) for c, m in pairs)
        self.message_user(
            request,
            f"{total} letter(s) to {len({m for _, m in pairs})} MEP(s) cancelled.",
            messages.SUCCESS,
        )
