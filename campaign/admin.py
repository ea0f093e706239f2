"""The organiser admin for campaigns: every list, form and choice is scoped to the
organisations the user belongs to; editing needs the owner or editor role."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from campaign.audit import audit_record
from campaign.importer.drafting import draft_campaign
from campaign.importer.services import (
    MAX_IMPORT_BYTES,
    ImportInputError,
    resolution_import,
    resolution_parse,
    resolution_text_decode,
    source_url_clean,
)
from campaign.models import (
    ApiToken,
    AuditEntry,
    Call,
    Campaign,
    Membership,
    Organisation,
    Petition,
    Resolution,
)
from campaign.permissions import WRITE_ROLES, organisation_ids_for, organisations_for
from config.changed_fields import changed_fields_save
from config.errors import DomainError

# Models that belong to an organisation, and the lookup from each to it.
SCOPED_RELATIONS: dict[type[Model], str] = {
    Campaign: "organisation",
    Resolution: "organisation",
    Call: "resolution__organisation",
    Petition: "campaign__organisation",
}


class OrganisationScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Base for every organiser-facing admin: rows of other organisations do not exist, and
    viewers can look but not change. `organisation_path` is the lookup from the model to its
    Organisation."""

    organisation_path = "organisation"
    # The roles that may add, change and delete here; also the organisations a form offers.
    write_roles: tuple[str, ...] = tuple(WRITE_ROLES)

    def _ids(self, request: HttpRequest, *, write: bool = False) -> list[int]:
        return organisation_ids_for(user=request.user, roles=self.write_roles if write else None)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        return queryset.filter(**{f"{self.organisation_path}__in": self._ids(request)})

    def _may_write(self, request: HttpRequest, obj: Model | None) -> bool:
        allowed = self._ids(request, write=True)
        if obj is None:
            return bool(allowed)
        organisation_id = self._organisation_id(obj)
        return organisation_id in allowed

    def _organisation_id(self, obj: Model) -> int | None:
        value: Any = obj
        for part in self.organisation_path.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return int(value.pk)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if not request.user.is_active or not request.user.is_staff:
            return False
        if obj is None:
            return bool(self._ids(request))
        return self._organisation_id(obj) in self._ids(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request.user.is_staff and self._may_write(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_staff and self._may_write(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_staff and self._may_write(request, obj)

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:  # type: ignore[type-arg]
        related = db_field.related_model
        if related is Organisation:
            kwargs["queryset"] = Organisation.objects.filter(id__in=self._ids(request, write=True))
        elif related in SCOPED_RELATIONS:
            # A foreign-key dropdown must not list another organisation's objects.
            path_to_org = SCOPED_RELATIONS[related]
            kwargs["queryset"] = related._default_manager.filter(
                **{f"{path_to_org}__in": self._ids(request, write=True)}
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request: HttpRequest) -> Any:
        # A plain related-field filter lists every row of the related table, other
        # organisations' campaigns included; RelatedOnlyFieldListFilter lists only values
        # present in this (already scoped) queryset.
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and "__" not in entry:
                field = self.model._meta.get_field(entry)
                if field.is_relation and field.related_model in SCOPED_RELATIONS:
                    entry = (entry, admin.RelatedOnlyFieldListFilter)
            filters.append(entry)
        return filters

    # Every save and delete made through the admin is recorded in the audit log.

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The permission checks ran on the object as it was; this one runs on the object as
        # it is about to be saved, so that no form (a dropdown offering an organisation the
        # user may write to under another role, a posted id the dropdown never offered) can
        # move a row into an organisation this admin does not let the user write to.
        self._refuse_unless_writable(request, obj)
        with transaction.atomic():
            if change:
                # Only what the form changed: a full save would write back columns changed
                # meanwhile, such as a petition's counter or a campaign's status.
                changed_fields_save(obj, form.changed_data)
            else:
                super().save_model(request, obj, form, change)
            audit_record(
                action=f"{obj._meta.model_name}.{'update' if change else 'create'}",
                organisation=self._organisation_of(obj),
                actor=request.user,
                obj=obj,
                detail={"fields": sorted(form.changed_data)} if change else None,
                request=request,
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """As the formset's own save, but an inline row that was changed saves only the
        fields its form changed (see save_model)."""
        formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for obj, names in formset.changed_objects:
            saved = self.inline_changed_fields(obj, list(names))
            changed_fields_save(obj, saved)
            # Recorded like the parent's own change (a petition's text or consent, say).
            audit_record(
                action=f"{obj._meta.model_name}.update",
                organisation=self._organisation_of(form.instance),
                actor=request.user,
                obj=obj,
                detail={"fields": sorted(saved)},
                request=request,
            )
        for obj in formset.new_objects:
            obj.save()
        formset.save_m2m()

    def inline_changed_fields(self, obj: Any, names: list[str]) -> list[str]:
        """The fields to save of an inline row whose form changed `names`; a subclass may
        change more (and set them on `obj`)."""
        return names

    def _refuse_unless_writable(self, request: HttpRequest, obj: Any) -> None:
        if not getattr(request.user, "is_superuser", False) and not self._may_write(request, obj):
            raise PermissionDenied("You may not write to this organisation here.")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            audit_record(
                action=f"{obj._meta.model_name}.delete",
                organisation=self._organisation_of(obj),
                actor=request.user,
                obj=obj,
                request=request,
            )
            super().delete_model(request, obj)

    def _organisation_of(self, obj: Any) -> Organisation | None:
        organisation_id = self._organisation_id(obj)
        if organisation_id is None:
            return None
        return Organisation.objects.filter(pk=organisation_id).first()


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    organisation_path = "id"
    list_display = ["name", "slug", "sending_address", "test_address"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    # The organisation's own settings — the name every mail is signed with, the address it is
    # sent from, the slug in its links — are the owners'; editors run campaigns within them.
    write_roles = ("owner",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return Organisation.objects.filter(id__in=self._ids(request))

    def _organisation_id(self, obj: Model) -> int | None:
        return int(obj.pk) if obj.pk else None

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        # New organisations are created by the operator (a superuser), not by organisers.
        return bool(getattr(request.user, "is_superuser", False))


@admin.register(Membership)
class MembershipAdmin(OrganisationScopedAdmin):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role"]

    # Only owners manage who belongs to their organisation (an editor of it offered the
    # organisation in the form could make anyone, themselves included, its owner).
    write_roles = ("owner",)

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:  # type: ignore[type-arg]
        if db_field.name == "user" and not getattr(request.user, "is_superuser", False):
            # Why: the default dropdown listed every account on the instance, so an owner saw
            # other organisations' organisers (drill 10). Offer the people already in one of
            # this user's organisations, and accounts that belong to no organisation yet —
            # active ones, never the operator's (superuser) accounts.
            mine = self._ids(request)
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(Q(memberships__organisation_id__in=mine) | Q(memberships=None))
                .filter(is_active=True, is_superuser=False)
                .distinct()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(
        self, request: HttpRequest, obj: Any | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        form = super().get_form(request, obj, change, **kwargs)
        field = form.base_fields.get("user")
        if obj is not None and isinstance(field, forms.ModelChoiceField):
            # An existing member stays selectable even when their account is now disabled,
            # so their role can still be changed (the dropdown offers active accounts only).
            offered = field.queryset.values("pk")  # type: ignore[union-attr]
            field.queryset = get_user_model().objects.filter(Q(pk__in=offered) | Q(pk=obj.user_id))
        return form


class ScopedInlineMixin:
    """An inline shown and edited as its parent object is. Organisers hold no Django model
    permissions (their rights come from memberships), so Django's own checks would hide every
    inline from them; the parent's admin decides instead. Rows are never deleted here."""

    admin_site: admin.AdminSite
    parent_model: type[Model]

    def _parent_admin(self) -> Any:
        return self.admin_site._registry[self.parent_model]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self._parent_admin().has_view_permission(request, obj))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self._parent_admin().has_change_permission(request, obj))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self._parent_admin().has_change_permission(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CallInline(ScopedInlineMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = Call
    extra = 0
    fields = ("position", "addressee_as_written", "short_title", "kind", "source_sentence")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ImportForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none())
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18, "cols": 100}),
        required=False,
        max_length=MAX_IMPORT_BYTES,
        help_text="Paste a Legislative Observatory summary, or upload it below.",
    )
    upload = forms.FileField(required=False, help_text="A UTF-8 text file.")
    source_url = forms.URLField(required=False, max_length=500)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = organisations_for(user=user, roles=WRITE_ROLES)

    def clean_source_url(self) -> str:
        try:
            return source_url_clean(self.cleaned_data.get("source_url") or "")
        except ImportInputError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("upload")
        try:
            if upload:
                cleaned["text"] = resolution_text_decode(data=upload.read(MAX_IMPORT_BYTES + 1))
            else:
                cleaned["text"] = resolution_text_decode(data=(cleaned.get("text") or "").encode())
        except ImportInputError as exc:
            raise forms.ValidationError(exc.message) from exc
        return cleaned


@admin.register(Resolution)
class ResolutionAdmin(OrganisationScopedAdmin):
    list_display = ["procedure_reference", "title", "adopted_on", "organisation", "vote"]
    list_filter = ["adopted_on"]
    search_fields = ["procedure_reference", "title"]
    readonly_fields = ["source_sha256", "imported_at", "updated_at"]
    inlines = [CallInline]
    change_list_template = "admin/campaign/resolution/change_list.html"

    @admin.display(description="Vote (for/against/abstentions)")
    def vote(self, obj: Resolution) -> str:
        if obj.votes_for is None:
            return "—"
        return f"{obj.votes_for}/{obj.votes_against}/{obj.abstentions}"

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="campaign_resolution_import",
            )
        ]
        return custom + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Paste or upload → preview (metadata, calls, source sentences) → create the ticked."""
        if not self.has_add_permission(request):
            messages.error(request, "You need the owner or editor role to import.")
            return HttpResponseRedirect(reverse("admin:campaign_resolution_changelist"))
        context: dict[str, Any] = {**self.admin_site.each_context(request)}
        context.update(opts=self.model._meta, title="Import a resolution")
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES, user=request.user)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    parsed = resolution_parse(text=data["text"])
                except ImportInputError as exc:
                    form.add_error(None, exc.message)
                else:
                    if request.POST.get("step") == "create":
                        positions = {
                            int(value)
                            for value in request.POST.getlist("positions")
                            if value.isdigit()
                        }
                        if not positions:
                            form.add_error(None, "Tick at least one call.")
                        else:
                            with transaction.atomic():
                                report = resolution_import(
                                    organisation=data["organisation"],
                                    text=data["text"],
                                    source_url=data["source_url"] or "",
                                    positions=positions,
                                )
                                audit_record(
                                    action="resolution.import",
                                    organisation=data["organisation"],
                                    actor=request.user,
                                    detail={
                                        "procedure": report.procedure_reference,
                                        "created": len(report.created),
                                        "updated": len(report.updated),
                                    },
                                    request=request,
                                )
                            messages.success(
                                request,
                                f"{report.procedure_reference}: created {len(report.created)},"
                                f" updated {len(report.updated)}, unchanged "
                                f"{len(report.unchanged)}, left alone "
                                f"{len(report.left_alone)} campaign(s)."
                                + (
                                    " No longer in the text (kept as they are): "
                                    + "; ".join(report.disappeared)
                                    + "."
                                    if report.disappeared
                                    else ""
                                ),
                            )
                            return HttpResponseRedirect(
                                reverse("admin:campaign_campaign_changelist")
                                + "?status__exact=draft"
                            )
                    context["parsed"] = parsed
                    context["drafts"] = [
                        (call, draft_campaign(resolution=parsed, call=call))
                        for call in parsed.calls
                    ]
                    context["text"] = data["text"]
        else:
            form = ImportForm(user=request.user)
        context["form"] = form
        return TemplateResponse(request, "admin/campaign/resolution/import.html", context)


class PetitionInline(ScopedInlineMixin, admin.StackedInline):  # type: ignore[type-arg]
    model = Petition
    can_delete = False
    max_num = 1
    fields = ["text", "goal", "consent_text", "consent_version", "confirmed_count"]
    # A new consent text starts a new version by itself (CampaignAdmin.inline_changed_fields).
    readonly_fields = ["consent_version", "confirmed_count"]


@admin.register(Campaign)
class CampaignAdmin(OrganisationScopedAdmin):
    list_display = ["title", "organisation", "status", "live_delivery", "created_at", "dashboard"]
    list_filter = ["status", "live_delivery"]
    search_fields = ["title", "slug"]
    # The status moves only through the actions below (campaign_status_set), which keep a
    # closed campaign closed.
    readonly_fields = [
        "status",
        "call",
        "generated_hash",
        "created_at",
        "updated_at",
        "published_at",
    ]
    inlines = [PetitionInline]
    actions = ["publish", "pause", "close"]

    def inline_changed_fields(self, obj: Any, names: list[str]) -> list[str]:
        if isinstance(obj, Petition) and "consent_text" in names:
            # A new consent text is a new version, counted on the locked row so that two
            # edits at once get one each: a signature's consent names the text its signer saw.
            locked = Petition.objects.select_for_update().get(pk=obj.pk)
            if locked.consent_text != obj.consent_text:
                obj.consent_version = locked.consent_version + 1
                return [*names, "consent_version"]
        return names

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Campaign], status: str) -> None:
        from campaign.services import campaign_status_set

        allowed = set(organisation_ids_for(user=request.user, roles=WRITE_ROLES))
        changed = 0
        for campaign in queryset:
            if campaign.organisation_id not in allowed:
                continue
            try:
                with transaction.atomic():
                    campaign_status_set(campaign=campaign, status=status)
                    audit_record(
                        action="campaign.status",
                        organisation=campaign.organisation,
                        actor=request.user,
                        obj=campaign,
                        detail={"status": status},
                        request=request,
                    )
                changed += 1
            except DomainError as exc:
                self.message_user(request, f"{campaign}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{changed} campaign(s) now {status}.")

    @admin.display(description="Dashboard")
    def dashboard(self, obj: Campaign) -> str:
        # A URL by name: the dashboard lives in advocacy, which campaign must not import.
        return format_html(
            '<a href="{}">Dashboard</a>', reverse("campaign-dashboard", args=[obj.pk])
        )

    @admin.action(description="Publish (live)")
    def publish(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        self._set_status(request, queryset, "live")

    @admin.action(description="Pause")
    def pause(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        self._set_status(request, queryset, "paused")

    @admin.action(description="Close")
    def close(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        self._set_status(request, queryset, "closed")


@admin.register(ApiToken)
class ApiTokenAdmin(OrganisationScopedAdmin):
    """Tokens for the organisation API. The secret is shown once, right after creation."""

    list_display = [
        "name",
        "organisation",
        "prefix",
        "role",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["role"]
    fields = ["organisation", "name", "role"]
    actions = ["revoke"]
    # Only owners hand out tokens (a token's role may be owner).
    write_roles = ("owner",)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from campaign.api_tokens import api_token_create

        self._refuse_unless_writable(request, obj)

        with transaction.atomic():
            token, raw = api_token_create(
                organisation=obj.organisation,
                name=obj.name,
                role=obj.role,
                created_by=request.user if request.user.is_authenticated else None,
            )
            audit_record(
                action="api_token.create",
                organisation=obj.organisation,
                actor=request.user,
                obj=token,
                request=request,
            )
        obj.pk = token.pk
        # Shown by response_add on the page that answers this request, and nowhere else: a
        # message would travel in the messages cookie (signed, not encrypted) or the session.
        request.new_api_token = raw  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        raw = getattr(request, "new_api_token", None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        token = ApiToken.objects.select_related("organisation").get(pk=obj.pk)
        response = TemplateResponse(
            request,
            "admin/campaign/apitoken/created.html",
            {**self.admin_site.each_context(request), "token": token, "raw": raw},
        )
        return response  # the admin's never_cache makes it no-store

    @admin.action(description="Revoke")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        from campaign.api_tokens import api_token_revoke

        allowed = set(organisation_ids_for(user=request.user, roles=["owner"]))
        for token in queryset:
            if token.organisation_id in allowed:
                with transaction.atomic():
                    api_token_revoke(token=token)
                    audit_record(
                        action="api_token.revoke",
                        organisation=token.organisation,
                        actor=request.user,
                        obj=token,
                        request=request,
                    )


@admin.register(AuditEntry)
class AuditEntryAdmin(OrganisationScopedAdmin):
    """Read-only: the log is written by services, never edited."""

    list_display = [
        "created_at",
        "organisation",
        "actor_label",
        "action",
        "object_type",
        "object_repr",
        "ip_address",
    ]
    list_filter = ["action", "object_type", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["actor_label", "object_repr", "action", "ip_address"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


# The MEP directory and letter-template admins live beside the directory code.
from campaign import directory_admin  # noqa: E402, F401
