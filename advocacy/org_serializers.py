"""Serializers of the organisation API (token-authenticated, one organisation per token)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from advocacy.models import Letter, Signature, Webhook, WebhookDelivery, WebhookEvent
from advocacy.serializers import StrictJsonTypesMixin
from campaign.models import Campaign, CampaignStatus, LetterTemplate, Petition
from config.changed_fields import SavesSentFieldsMixin


class PetitionSerializer(
    SavesSentFieldsMixin, StrictJsonTypesMixin, serializers.ModelSerializer[Petition]
):
    class Meta:
        model = Petition
        fields = ["id", "text", "goal", "consent_text", "consent_version", "confirmed_count"]
        read_only_fields = ["id", "consent_version", "confirmed_count"]
        # The goal's range as field arguments, not a validate_goal(): so the schema states it.
        extra_kwargs = {
            "text": {"max_length": 20_000},
            "consent_text": {"max_length": 5_000},
            "goal": {
                "min_value": 1,
                "max_value": 100_000_000,
                "error_messages": {
                    "min_value": "Must be between 1 and 100,000,000.",
                    "max_value": "Must be between 1 and 100,000,000.",
                },
            },
        }


class CampaignSerializer(
    SavesSentFieldsMixin, StrictJsonTypesMixin, serializers.ModelSerializer[Campaign]
):
    petition = PetitionSerializer(read_only=True)
    slug = serializers.SlugField(max_length=80, required=False)
    languages = serializers.ListField(
        child=serializers.RegexField(r"^[a-z]{2}$"), min_length=1, max_length=24, required=False
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            "slug",
            "title",
            "summary",
            "status",
            "languages",
            "live_delivery",
            "call",
            "petition",
            "created_at",
            "updated_at",
            "published_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "call",
            "petition",
            "created_at",
            "updated_at",
            "published_at",
        ]
        # The title keeps its model field's validators: validate_single_line refuses, naming
        # the field, a title that would break the Subject of every confirmation mail.
        extra_kwargs = {"title": {"max_length": 200}, "summary": {"max_length": 5_000}}

    def validate_slug(self, value: str) -> str:
        # Lower case, as campaign_create writes a new one: one address, however it is typed.
        value = value.lower()
        # Declared above, so DRF adds no uniqueness check of its own. On create a taken slug
        # gets a suffix (campaign_create); on update the organiser chose it: say so.
        if self.instance is not None:
            taken = Campaign.objects.filter(slug=value).exclude(pk=self.instance.pk)
            if taken.exists():
                raise serializers.ValidationError(SLUG_TAKEN)
        return value

    def validate_languages(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Name each language once.")
        return value


SLUG_TAKEN = "This address is already taken by another campaign."


class CampaignStatusSerializer(StrictJsonTypesMixin, serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=CampaignStatus.choices)


TEMPLATE_LANGUAGE_TAKEN = "This campaign already has a letter template in this language."


class LetterTemplateSerializer(
    SavesSentFieldsMixin, StrictJsonTypesMixin, serializers.ModelSerializer[LetterTemplate]
):
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.none())
    # A code as in the campaign's `languages` and the country languages a template is chosen
    # by (campaign.templating.template_choose). The model takes any 8 characters, and the API
    # took `e\u202en`, `en\x07` or an emoji: a template no supporter's country ever chose.
    language = serializers.RegexField(
        r"^[a-z]{2}$",
        required=False,
        error_messages={"invalid": "A two-letter language code in lower case, e.g. en."},
    )
    targeting = serializers.JSONField(required=False)

    class Meta:
        model = LetterTemplate
        fields = [
            "id",
            "campaign",
            "language",
            "subject",
            "body",
            "targeting",
            "locked",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"body": {"max_length": 20_000}}
        # DRF's own check of the (campaign, language) constraint answers under
        # non_field_errors, naming no field; validate() names `language` instead.
        validators: list[Any] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisation = self.context.get("organisation")
        field: Any = self.fields["campaign"]
        if organisation is not None:
            # Only the token's own campaigns are valid choices: another organisation's id is
            # "does not exist", exactly like an id that was never used.
            field.queryset = Campaign.objects.filter(organisation=organisation)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from campaign.targeting import TargetingInvalidError, targeting_parse
        from campaign.templating import TemplateInvalidError, template_validate

        campaign = attrs.get("campaign", getattr(self.instance, "campaign", None))
        language = attrs.get("language", getattr(self.instance, "language", "en"))
        taken = LetterTemplate.objects.filter(campaign=campaign, language=language)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if campaign is not None and taken.exists():
            raise serializers.ValidationError({"language": [TEMPLATE_LANGUAGE_TAKEN]})
        subject = attrs.get("subject", getattr(self.instance, "subject", ""))
        body = attrs.get("body", getattr(self.instance, "body", ""))
        try:
            template_validate(subject=subject, body=body)
        except TemplateInvalidError as exc:
            raise serializers.ValidationError(exc.fields or {"body": [exc.message]}) from exc
        if "targeting" in attrs:
            try:
                targeting_parse(attrs["targeting"], check_references=True)
            except TargetingInvalidError as exc:
                raise serializers.ValidationError({"targeting": [exc.message]}) from exc
        return attrs


class SupporterBriefSerializer(serializers.Serializer[Any]):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.EmailField(allow_null=True)
    country = serializers.CharField()


class PersonalFieldsMixin:
    """The fields named in `personal_fields` (a supporter's name and address, the text they
    wrote) are null unless the view grants supporters' personal data (context["personal_data"],
    from the token's role): withheld unless granted."""

    personal_fields: tuple[str, ...] = ()
    context: dict[str, Any]

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)  # type: ignore[misc]
        if not self.context.get("personal_data", False):
            for name in self.personal_fields:
                data[name] = None
        return data


_WITHHELD = " Null for a viewer token: supporters' personal data takes an editor or owner token."


class SignatureSerializer(PersonalFieldsMixin, serializers.ModelSerializer[Signature]):
    personal_fields = ("supporter",)
    campaign = serializers.IntegerField(source="petition.campaign_id")
    supporter = SupporterBriefSerializer(allow_null=True, help_text="The signer." + _WITHHELD)

    class Meta:
        model = Signature
        fields = [
            "id",
            "campaign",
            "status",
            "country",
            "channel",
            "created_at",
            "confirmed_at",
            "supporter",
        ]


class LetterSerializer(PersonalFieldsMixin, serializers.ModelSerializer[Letter]):
    personal_fields = ("supporter", "subject")
    mep = serializers.IntegerField(source="mep.ep_id")
    mep_name = serializers.SerializerMethodField()
    supporter = SupporterBriefSerializer(allow_null=True, help_text="The writer." + _WITHHELD)
    subject = serializers.CharField(
        allow_null=True, help_text="As the supporter sent it." + _WITHHELD
    )
    delivery_status = serializers.CharField(
        source="outbound_email.status", default=None, allow_null=True
    )
    last_error = serializers.CharField(
        source="outbound_email.last_error", default=None, allow_null=True
    )

    class Meta:
        model = Letter
        fields = [
            "id",
            "campaign",
            "mep",
            "mep_name",
            "language",
            "subject",
            "status",
            "status_reason",
            "delivery_status",
            "last_error",
            "created_at",
            "supporter",
        ]

    def get_mep_name(self, letter: Letter) -> str:
        return f"{letter.mep.first_name} {letter.mep.last_name}"


class ResolutionImportSerializer(StrictJsonTypesMixin, serializers.Serializer[Any]):
    text = serializers.CharField(max_length=1_000_000, trim_whitespace=False)
    source_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    publish = serializers.BooleanField(default=False)
    dry_run = serializers.BooleanField(default=False)


class ResolutionImportReportSerializer(serializers.Serializer[Any]):
    procedure_reference = serializers.CharField()
    resolution_id = serializers.IntegerField(allow_null=True)
    resolution_created = serializers.BooleanField()
    resolution_updated = serializers.BooleanField()
    created = serializers.ListField(child=serializers.CharField())
    updated = serializers.ListField(child=serializers.CharField())
    unchanged = serializers.ListField(child=serializers.CharField())
    left_alone = serializers.ListField(child=serializers.CharField())
    disappeared = serializers.ListField(
        child=serializers.CharField(),
        help_text="Calls of the previous import that this text no longer has: their campaigns "
        "are kept as they are, for an organiser to close or keep.",
    )
    warnings = serializers.ListField(child=serializers.CharField())
    dry_run = serializers.BooleanField()


class WebhookSerializer(
    SavesSentFieldsMixin, StrictJsonTypesMixin, serializers.ModelSerializer[Webhook]
):
    """A webhook as listed, read and updated: without its signing secret, which any token of
    the organisation, viewers included, could otherwise read and forge deliveries with."""

    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), min_length=1, required=False
    )

    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "active", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_url(self, value: str) -> str:
        from advocacy.webhooks import WebhookUrlError, webhook_url_check

        try:
            webhook_url_check(url=value)
        except WebhookUrlError as exc:
            raise serializers.ValidationError(exc.message) from exc
        return value


class WebhookWithSecretSerializer(WebhookSerializer):
    """The two replies that carry the signing secret: registering a webhook and rotating its
    secret. Nothing else shows it again."""

    secret = serializers.CharField(
        read_only=True,
        help_text="The HMAC-SHA256 key of `X-Resolute-Signature`. Shown in this reply only: "
        "store it now.",
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = [*WebhookSerializer.Meta.read_only_fields, "secret"]


class WebhookDeliverySerializer(PersonalFieldsMixin, serializers.ModelSerializer[WebhookDelivery]):
    personal_fields = ("payload",)
    payload = serializers.JSONField(
        allow_null=True, help_text="The event as sent (it names the supporter)." + _WITHHELD
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "event_id",
            "status",
            "attempts",
            "response_status",
            "last_error",
            "created_at",
            "delivered_at",
            "payload",
        ]
