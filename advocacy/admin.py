"""Organiser admin for what supporters did: signatures (read-only, with counts per campaign
and a streaming CSV export), supporters (read-only, with erasure), and the outbox.

Scoped like campaign.admin: organisers see only their organisations' rows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone

from advocacy.exports import signatures_csv_lines
from advocacy.models import OutboundEmail, Signature, Supporter
from advocacy.selectors import SignatureCounts, signature_counts_for_petitions
from advocacy.supporters import supporter_erase
from campaign.admin import OrganisationScopedAdmin
from campaign.models import Campaign, Petition
from campaign.permissions import WRITE_ROLES, organisation_ids_for


class ReadOnlyScopedAdmin(OrganisationScopedAdmin):
    """Rows written by services only: the admin looks, it does not edit."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Signature)
class SignatureAdmin(ReadOnlyScopedAdmin):
    organisation_path = "petition__campaign__organisation"
    list_display = ["id", "campaign_title", "status", "country", "channel", "created_at"]
    list_filter = ["status", "channel"]
    list_select_related = ["petition__campaign"]
    date_hierarchy = "created_at"
    # No count(*) over a million rows for the paginator.
    show_full_result_count = False
    change_list_template = "advocacy/admin/signature_change_list.html"

    @admin.display(description="Campaign", ordering="petition__campaign__title")
    def campaign_title(self, obj: Signature) -> str:
        return obj.petition.campaign.title

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "counts/",
                self.admin_site.admin_view(self.counts_view),
                name="advocacy_signature_counts",
            ),
            path(
                "export/<int:petition_id>/",
                self.admin_site.admin_view(self.export_view),
                name="advocacy_signature_export",
            ),
        ]
        return extra + super().get_urls()

    def counts_view(self, request: HttpRequest) -> HttpResponse:
        """Confirmed, pending and today's signatures per campaign, one grouped query."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        campaigns = list(
            Campaign.objects.filter(
                organisation__in=organisation_ids_for(user=request.user), petition__isnull=False
            )
            .select_related("organisation", "petition")
            .order_by("organisation__name", "-created_at")
        )
        counts = signature_counts_for_petitions(petition_ids=[c.petition.pk for c in campaigns])
        empty = SignatureCounts(0, 0, 0)
        rows = [(campaign, counts.get(campaign.petition.pk, empty)) for campaign in campaigns]
        context = {
            **self.admin_site.each_context(request),
            "title": "Signatures per campaign",
            "rows": rows,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "advocacy/admin/signature_counts.html", context)

    def export_view(self, request: HttpRequest, petition_id: int) -> StreamingHttpResponse:
        """The petition's confirmed signatures as CSV, streamed: flat memory at any size."""
        petition = get_object_or_404(Petition.objects.select_related("campaign"), pk=petition_id)
        if petition.campaign.organisation_id not in organisation_ids_for(user=request.user):
            raise PermissionDenied
        response = StreamingHttpResponse(
            signatures_csv_lines(petition_id=petition.pk), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        filename = f"signatures-{petition.campaign.slug}-{stamp}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response


@admin.register(Supporter)
class SupporterAdmin(ReadOnlyScopedAdmin):
    list_display = ["id", "email", "first_name", "last_name", "country", "created_at", "erased_at"]
    list_filter = ["country", "wants_organisation_news"]
    search_fields = ["=email"]
    show_full_result_count = False
    actions = ["erase"]

    def get_actions(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # Read-only admin, but erasure on request is an organiser duty: keep this one action.
        actions = super().get_actions(request, *args, **kwargs)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Erase personal data (on the supporter's request)")
    def erase(self, request: HttpRequest, queryset: QuerySet[Supporter]) -> None:
        allowed = set(organisation_ids_for(user=request.user, roles=WRITE_ROLES))
        erased = 0
        for supporter in queryset.filter(erased_at__isnull=True):
            if supporter.organisation_id in allowed:
                supporter_erase(supporter_id=supporter.pk)
                erased += 1
        self.message_user(request, f"Erased {erased} supporter(s).", messages.SUCCESS)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyScopedAdmin):
    list_display = ["id", "kind", "recipient", "subject", "status", "attempts", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["=recipient", "=message_id"]
    show_full_result_count = False


# Letters: status, counts per MEP, cancelling the queued letters to one MEP.
import advocacy.letter_admin  # noqa: E402, F401
