"""Organiser admin for what supporters did: signatures (read-only, with counts per campaign
and a streaming CSV export), supporters (read-only, with erasure), and the outbox.

Scoped like campaign.admin: organisers see only their organisations' rows."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import BadRequest, PermissionDenied
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone

from advocacy.emails import normalise_email
from advocacy.exports import signatures_csv_lines
from advocacy.models import OutboundEmail, Signature, Supporter
from advocacy.selectors import SignatureCounts, signature_counts_for_petitions
from advocacy.supporters import supporter_erase, supporter_export
from campaign.admin import OrganisationScopedAdmin
from campaign.audit import audit_record
from campaign.models import Campaign, Petition
from campaign.permissions import (
    WRITE_ROLES,
    export_organisation_ids_for,
    export_permission_check,
    organisation_ids_for,
)
from config.api import parse_query_datetime


class ReadOnlyScopedAdmin(OrganisationScopedAdmin):
    """Rows written by services only: the admin looks, it does not edit."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class AddressSearchMixin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Search by an address as the organiser types it, not only as it is stored.

    Addresses are stored as mail delivery spells them (`normalise_email`: "ana@bücher.de" is
    kept as "ana@xn--bcher-kva.de"), so an organiser pasting the address from the supporter's
    own e-mail would find nothing. The search runs on what was typed and on its stored
    spelling; rows stored before the normalisation still match the first."""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        typed = search_term.strip()
        try:
            stored = normalise_email(typed)
        except ValueError:
            return results, may_have_duplicates
        if "@" not in typed or stored == typed:
            return results, may_have_duplicates
        also, also_duplicates = super().get_search_results(request, queryset, stored)
        return results | also, may_have_duplicates or also_duplicates


@admin.register(Signature)
class SignatureAdmin(ReadOnlyScopedAdmin):
    organisation_path = "petition__campaign__organisation"
    list_display = ["id", "campaign_title", "status", "country", "channel", "created_at"]
    # No date_hierarchy and no distinct-value filters: each would scan a million-row table on
    # every list view (they listed the dates / countries present).
    list_filter = ["status", "channel", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["petition__campaign"]
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
        exportable = export_organisation_ids_for(user=request.user)
        rows = [
            (
                campaign,
                counts.get(campaign.petition.pk, empty),
                campaign.organisation_id in exportable,
            )
            for campaign in campaigns
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Signatures per campaign",
            "rows": rows,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "advocacy/admin/signature_counts.html", context)

    def export_view(self, request: HttpRequest, petition_id: int) -> StreamingHttpResponse:
        """The petition's signatures as CSV, streamed: flat memory at any size. Filters:
        ?status=confirmed (default) | pending | all, ?since= / ?until= (ISO dates)."""
        # Scoped in the lookup: another organisation's petition is a 404 like a missing one,
        # never a 403 that would tell which ids exist.
        petition = get_object_or_404(
            Petition.objects.select_related("campaign").filter(
                campaign__organisation__in=organisation_ids_for(user=request.user)
            ),
            pk=petition_id,
        )
        export_permission_check(
            user=request.user, organisation_id=petition.campaign.organisation_id
        )
        status, since, until = export_filters(request, statuses={"confirmed", "pending"})
        with transaction.atomic():
            audit_record(
                action="signatures.export",
                organisation=petition.campaign.organisation,
                actor=request.user,
                obj=petition.campaign,
                detail={
                    "status": status or "all",
                    "since": str(since or ""),
                    "until": str(until or ""),
                },
                request=request,
            )
        lines = signatures_csv_lines(
            petition_id=petition.pk, status=status, since=since, until=until
        )
        return csv_response(lines, f"signatures-{petition.campaign.slug}")


def export_filters(
    request: HttpRequest, *, statuses: set[str], default: str | None = "confirmed"
) -> tuple[str | None, datetime | None, datetime | None]:
    """?status= (one of `statuses`, or "all"), ?since= and ?until= (dates or date-times);
    a malformed value is a 400 naming the parameter, never a 500."""
    raw_status = request.GET.get("status", default or "all")
    if raw_status != "all" and raw_status not in statuses:
        raise BadRequest(f"status must be one of: all, {', '.join(sorted(statuses))}.")
    bounds: list[datetime | None] = []
    for name in ("since", "until"):
        raw = request.GET.get(name, "").strip()
        if not raw:
            bounds.append(None)
            continue
        value = parse_query_datetime(raw)
        if value is None:
            raise BadRequest(f"{name} must be a date like 2026-01-31.")
        bounds.append(value)
    return (None if raw_status == "all" else raw_status), bounds[0], bounds[1]


def csv_response(lines: Iterator[str], name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@admin.register(Supporter)
class SupporterAdmin(AddressSearchMixin, ReadOnlyScopedAdmin):
    list_display = ["id", "email", "first_name", "last_name", "country", "created_at", "erased_at"]
    list_filter = ["wants_organisation_news", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["=email"]
    show_full_result_count = False
    actions = ["erase", "export_data"]

    def get_actions(
        self, request: HttpRequest, action_location: Any = ActionLocation.CHANGE_LIST
    ) -> Any:
        # Read-only admin, but erasure and export on request are organiser duties: keep them.
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Erase personal data (on the supporter's request)")
    def erase(self, request: HttpRequest, queryset: QuerySet[Supporter]) -> None:
        allowed = set(organisation_ids_for(user=request.user, roles=WRITE_ROLES))
        erased = 0
        for supporter in queryset.filter(erased_at__isnull=True):
            if supporter.organisation_id in allowed:
                with transaction.atomic():
                    audit_record(
                        action="supporter.erase",
                        organisation=supporter.organisation,
                        actor=request.user,
                        obj=supporter,
                        request=request,
                    )
                    supporter_erase(supporter_id=supporter.pk)
                erased += 1
        self.message_user(request, f"Erased {erased} supporter(s).", messages.SUCCESS)

    @admin.action(description="Export personal data (JSON, on the supporter's request)")
    def export_data(self, request: HttpRequest, queryset: QuerySet[Supporter]) -> HttpResponse:
        allowed = set(organisation_ids_for(user=request.user, roles=WRITE_ROLES))
        chosen = [s for s in queryset[:50] if s.organisation_id in allowed]
        with transaction.atomic():
            for supporter in chosen:
                audit_record(
                    action="supporter.export",
                    organisation=supporter.organisation,
                    actor=request.user,
                    obj=supporter,
                    request=request,
                )
        payload = [supporter_export(supporter_id=s.pk) for s in chosen]
        response = HttpResponse(
            json.dumps(payload, indent=2, ensure_ascii=False, default=str),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="supporter-data.json"'
        response["Cache-Control"] = "no-store"
        return response


@admin.register(OutboundEmail)
class OutboundEmailAdmin(AddressSearchMixin, ReadOnlyScopedAdmin):
    list_display = ["id", "kind", "recipient", "subject", "status", "attempts", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["=recipient", "=message_id"]
    show_full_result_count = False
    # The body and headers hold the supporter's own links (confirm, unsubscribe, my data),
    # each a bearer token: shown whole, any organiser, a viewer too, could confirm a
    # signature or send letters in a supporter's name. They are shown with the links hidden.
    exclude = ["body_text", "body_html", "headers"]
    readonly_fields = ["body_without_links", "headers_without_links"]

    @admin.display(description="Body (links hidden)")
    def body_without_links(self, obj: OutboundEmail) -> str:
        return links_hidden(obj.body_text)

    @admin.display(description="Headers (links hidden)")
    def headers_without_links(self, obj: OutboundEmail) -> str:
        return "\n".join(
            f"{name}: {links_hidden(str(value))}" for name, value in sorted(obj.headers.items())
        )


_LINK_RE = re.compile(
    r"(?P<scheme>https?)://(?P<host>[^/\s<>\"'?#]+)[^\s<>\"']*|mailto:[^\s<>,\"']+"
)


def links_hidden(text: str) -> str:
    """`text` with each link cut to its site ("https://example.org/…"): what a mail pointed
    to, without the token that makes the link work."""
    return _LINK_RE.sub(
        lambda link: (
            f"{link['scheme']}://{link['host']}/\u2026" if link["scheme"] else "mailto:\u2026"
        ),
        text,
    )


# Letters: status, counts per MEP, cancelling the queued letters to one MEP.
import advocacy.letter_admin  # noqa: E402, F401
