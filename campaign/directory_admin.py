"""Admin for the MEP directory (reference data, read-only: `manage.py load_meps` owns it) and
for letter templates (validated on save, with a preview of whom the targeting rule reaches).

Imported by campaign/admin.py. Letters themselves (status, cancel) are in
advocacy/letter_admin.py, since campaign never imports advocacy.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from campaign.admin import OrganisationScopedAdmin
from campaign.directory import mep_full_name
from campaign.models import Body, BodyMembership, LetterTemplate, Mandate, Mep, RollCall
from campaign.permissions import organisation_ids_for
from campaign.targeting import TargetingInvalidError, meps_targeted, targeting_parse
from campaign.templating import TemplateInvalidError, template_validate

PREVIEW_LIMIT = 50


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Directory data comes from the loader; editing a row by hand would be undone (or
    contradicted) by the next load."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


class MandateInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Mandate
    extra = 0
    fields = ["term", "start", "end", "group", "national_party"]
    readonly_fields = ["term", "start", "end", "group", "national_party"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class BodyMembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = BodyMembership
    extra = 0
    fields = ["body", "term", "role", "start", "snapshot_date"]
    readonly_fields = ["body", "term", "role", "start", "snapshot_date"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[BodyMembership]:
        return super().get_queryset(request).select_related("body")


@admin.register(Mep)
class MepAdmin(ReadOnlyAdmin):
    list_display = [
        "last_name",
        "first_name",
        "country_code",
        "group",
        "in_office",
        "has_email",
        "letters_total",
        "letters_queued",
        "letters_sent",
    ]
    list_filter = ["in_office", "country_code", "group", "term", "gender"]
    search_fields = ["last_name", "first_name", "=ep_id", "national_party"]
    inlines = [MandateInline, BodyMembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Mep]:
        # Letter counts through the reverse relation (no import of advocacy), limited to the
        # campaigns of the organiser's own organisations.
        own = Q(letters__campaign__organisation__in=organisation_ids_for(user=request.user))
        queryset: QuerySet[Mep] = super().get_queryset(request)
        return queryset.annotate(
            n_letters=Count("letters", filter=own),
            n_queued=Count("letters", filter=own & Q(letters__status="queued")),
            n_sent=Count("letters", filter=own & Q(letters__status="sent")),
        )

    @admin.display(boolean=True, description="e-mail")
    def has_email(self, mep: Mep) -> bool:
        return bool(mep.email)

    @admin.display(description="letters", ordering="n_letters")
    def letters_total(self, mep: Any) -> int:
        return int(mep.n_letters)

    @admin.display(description="queued", ordering="n_queued")
    def letters_queued(self, mep: Any) -> int:
        return int(mep.n_queued)

    @admin.display(description="sent", ordering="n_sent")
    def letters_sent(self, mep: Any) -> int:
        return int(mep.n_sent)


@admin.register(Body)
class BodyAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "body_type", "members_now"]
    list_filter = ["body_type"]
    search_fields = ["code", "name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Body]:
        queryset: QuerySet[Body] = super().get_queryset(request)
        return queryset.annotate(n_members=Count("memberships", filter=Q(memberships__term=10)))

    @admin.display(description="members (term 10)", ordering="n_members")
    def members_now(self, body: Any) -> int:
        return int(body.n_members)


@admin.register(RollCall)
class RollCallAdmin(ReadOnlyAdmin):
    list_display = [
        "ep_id",
        "procedure_reference",
        "label",
        "voted_at",
        "is_final_vote",
        "votes_for",
        "votes_against",
        "abstentions",
    ]
    list_filter = ["is_final_vote", "procedure_reference"]
    search_fields = ["=ep_id", "procedure_reference", "label"]


# --- Letter templates -----------------------------------------------------------------------


class LetterTemplateForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = LetterTemplate
        fields = ["campaign", "language", "subject", "body", "targeting", "locked"]
        help_texts = {
            "body": (
                "Merge fields: {{ mep.salutation }}, {{ mep.full_name }}, {{ mep.last_name }}, "
                "{{ mep.group }}, {{ mep.country }}, {{ mep.committees }}, {{ mep.vote }}, "
                "{{ supporter.first_name }}, {{ supporter.last_name }}, "
                "{{ supporter.full_name }}, {{ supporter.city }}, {{ supporter.country }}, "
                "{{ campaign.title }}, {{ resolution.title }}, {{ resolution.reference }}, "
                '{{ resolution.date }}; and {% if mep.vote == "for" %}…{% elif … %}…'
                "{% else %}…{% endif %}. Votes: for, against, abstention, did_not_vote, "
                "not_an_mep."
            ),
            "targeting": (
                'e.g. {"supporter_country": true, "bodies": [{"code": "DCAS"}], '
                '"roll_call": {"ep_id": 139038, "positions": ["against"]}} — see '
                "docs/letters.md."
            ),
        }

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        subject, body = cleaned.get("subject"), cleaned.get("body")
        if subject is not None and body is not None:
            try:
                template_validate(subject=subject, body=body)
            except TemplateInvalidError as exc:
                for field, problems in exc.fields.items():
                    for problem in problems:
                        self.add_error(field if field in self.fields else None, problem)
        if "targeting" in cleaned:
            try:
                targeting_parse(cleaned["targeting"], check_references=True)
            except TargetingInvalidError as exc:
                self.add_error("targeting", exc.message)
        return cleaned


@admin.register(LetterTemplate)
class LetterTemplateAdmin(OrganisationScopedAdmin):
    # Scoped, permission-checked and audited like every organiser-facing admin (an admin of
    # its own before, whose saves went unrecorded).
    organisation_path = "campaign__organisation"
    form = LetterTemplateForm
    list_display = ["campaign", "language", "subject", "locked", "reach_count"]
    list_filter = ["language", "locked"]
    search_fields = ["campaign__title", "subject"]
    readonly_fields = ["reach", "preview_link"]
    fields = [
        "campaign",
        "language",
        "subject",
        "body",
        "locked",
        "targeting",
        "preview_link",
        "reach",
    ]

    @admin.display(description="Preview")
    def preview_link(self, template: LetterTemplate) -> SafeString:
        if template.pk is None:
            return format_html("{}", "Save the template to preview it.")
        url = reverse("admin:campaign_lettertemplate_preview", args=[template.pk])
        return format_html('<a href="{}">Preview the letter for a chosen MEP</a>', url)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:template_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="campaign_lettertemplate_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, template_id: int) -> HttpResponse:
        """Render the template (or the text being edited) for one targeted MEP and a sample
        supporter; the organiser edits, previews again, and saves when it reads well."""
        from campaign.preview import letter_template_preview

        template = self.get_queryset(request).filter(pk=template_id).first()
        if template is None:
            raise Http404("No such letter template.")
        reached = self._reached(template)
        candidates = list(
            (reached if reached is not None else Mep.objects.none()).order_by(
                "country_code", "last_name"
            )[: PREVIEW_LIMIT * 4]
        )
        chosen_id = request.POST.get("mep") or request.GET.get("mep")
        mep = next((m for m in candidates if str(m.ep_id) == chosen_id), None) or (
            candidates[0] if candidates else None
        )
        subject = request.POST.get("subject", template.subject)[:300]
        body = request.POST.get("body", template.body)[:20_000]
        rendered, vote, problem = None, "", ""
        if mep is not None:
            try:
                rendered, vote = letter_template_preview(
                    template=template, mep=mep, subject=subject, body=body
                )
            except TemplateInvalidError as exc:
                problem = exc.message
        context = {
            **self.admin_site.each_context(request),
            "title": f"Preview: {template}",
            "opts": self.model._meta,
            "template_obj": template,
            "candidates": candidates,
            "mep": mep,
            "vote": vote,
            "subject": subject,
            "body": body,
            "rendered": rendered,
            "problem": problem,
            "can_save": self.has_change_permission(request, template),
        }
        return TemplateResponse(request, "admin/campaign/lettertemplate/preview.html", context)

    def get_queryset(self, request: HttpRequest) -> QuerySet[LetterTemplate]:
        return super().get_queryset(request).select_related("campaign")

    def _reached(self, template: LetterTemplate) -> QuerySet[Mep] | None:
        try:
            return meps_targeted(rule=template.targeting or {})
        except TargetingInvalidError:
            return None

    @admin.display(description="MEPs reached")
    def reach_count(self, template: LetterTemplate) -> str:
        meps = self._reached(template)
        return "invalid rule" if meps is None else str(meps.count())

    @admin.display(description="Whom this rule reaches")
    def reach(self, template: LetterTemplate) -> SafeString:
        if template.pk is None:
            return format_html("{}", "Save the template to see whom its rule reaches.")
        meps = self._reached(template)
        if meps is None:
            return format_html("{}", "The targeting rule is invalid.")
        total = meps.count()
        shown = list(meps.order_by("country_code", "last_name")[:PREVIEW_LIMIT])
        rows = format_html_join(
            "",
            "<li>{} ({}, {}){}</li>",
            (
                (
                    mep_full_name(mep),
                    mep.country_code,
                    mep.group,
                    "" if mep.email else " — no e-mail address",
                )
                for mep in shown
            ),
        )
        more = f"… and {total - len(shown)} more." if total > len(shown) else ""
        note = (
            " With “supporter_country”, each supporter sees only their own country's MEPs."
            if (template.targeting or {}).get("supporter_country")
            else ""
        )
        return format_html(
            "<p><strong>{} MEP(s)</strong>.{}</p><ul>{}</ul><p>{}</p>",
            total,
            note,
            rows,
            more,
        )
