"""API shapes. Input serializers check shape and length; the rules themselves (normalising
e-mails, refusing control characters…) live in the services, shared with the pages."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from advocacy.countries import COUNTRIES, COUNTRY_CODES
from advocacy.supporters import (
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    POSTCODE_MAX_LENGTH,
    SOURCE_VALUE_MAX_LENGTH,
)
from campaign.models import Campaign, Resolution
from config.api_schema import ErrorBodySerializer as ErrorBodySerializer  # re-exported
from config.api_schema import ErrorSerializer as ErrorSerializer  # re-exported


class ResolutionOutputSerializer(serializers.ModelSerializer[Resolution]):
    class Meta:
        model = Resolution
        fields = [
            "procedure_reference",
            "title",
            "adopted_on",
            "votes_for",
            "votes_against",
            "abstentions",
        ]


class CampaignListOutputSerializer(serializers.Serializer[Campaign]):
    slug = serializers.SlugField()
    title = serializers.CharField()
    summary = serializers.CharField()
    organisation = serializers.CharField(source="organisation.name")
    confirmed_count = serializers.IntegerField(source="petition.confirmed_count")
    goal = serializers.IntegerField(source="petition.goal")
    page_url = serializers.SerializerMethodField()

    def get_page_url(self, campaign: Campaign) -> str:
        return reverse("advocacy:campaign-detail", kwargs={"slug": campaign.slug})


class CallOutputSerializer(serializers.Serializer[Any]):
    addressee = serializers.CharField(source="addressee_as_written")
    action = serializers.CharField()


class CampaignDetailOutputSerializer(CampaignListOutputSerializer):
    petition_text = serializers.CharField(source="petition.text")
    consent_text = serializers.CharField(
        source="petition.consent_text",
        help_text="Show this exact text next to the consent checkbox.",
    )
    consent_version = serializers.IntegerField(
        source="petition.consent_version",
        help_text="Send it back when signing, so we know which text was agreed to.",
    )
    call = CallOutputSerializer(allow_null=True)
    resolution = ResolutionOutputSerializer(source="call.resolution", allow_null=True)


def _field_copy(field: serializers.Field[Any, Any, Any, Any]) -> Any:
    """A fresh, unbound copy of a declared field: its attributes copied as they are, its
    validator list copied, so that binding or adding a validator to the copy leaves the
    declared field alone. A nested serializer is re-created from its arguments instead: it
    keeps state per instance (its own fields, its data)."""
    if isinstance(field, serializers.BaseSerializer):
        return type(field)(*field._args, **field._kwargs)  # type: ignore[attr-defined]
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    if "_validators" in field.__dict__:
        clone._validators = list(field._validators)  # type: ignore[attr-defined]
    return clone


class ConstantFieldsMixin:
    """Fresh field instances per serializer instance without DRF's deep copy.

    DRF deep-copies every declared field (and its arguments) per serializer instance, so that
    each instance binds its own; on the signing API, the hottest write path, that copy was a
    tenth of the request's CPU (bench/profile_paths.py). The declared fields here take only
    constant arguments (numbers, strings, booleans) that no field changes after its
    construction, so each is copied as its constructor left it (_field_copy): what DRF's
    copy gives, without running every field's constructor again per request, which was still
    a twentieth of the request's CPU."""

    _declared_fields: dict[str, serializers.Field[Any, Any, Any, Any]]

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {name: _field_copy(field) for name, field in self._declared_fields.items()}


def _json_type_problem(field: serializers.Field[Any, Any, Any, Any], value: Any) -> str | None:
    """What is wrong with the JSON type of `value` for `field`, or None. DRF converts where
    the schema does not: 12345 into the string "12345", "77" into 77, "yes" into True, 1.5
    into the primary key 1."""
    if value is None:
        return None  # allow_null decides, with DRF's own message
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Must be a JSON boolean (true or false)."
    if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        return None if whole and not isinstance(value, bool) else "Must be a JSON whole number."
    if isinstance(field, serializers.CharField):
        return None if isinstance(value, str) else "Must be a JSON string."
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        return next(filter(None, (_json_type_problem(field.child, item) for item in value)), None)
    if isinstance(field, serializers.DictField) and isinstance(value, dict):
        problems = (_json_type_problem(field.child, item) for item in value.values())
        return next(filter(None, problems), None)
    return None  # JSON, choice, nested and other fields check their input themselves


class StrictJsonTypesMixin:
    """Input as the schema types it: a string where a string is declared, a whole number for
    an integer or an id, true or false for a boolean; anything else is a 400 naming the
    field, rather than DRF's conversion of it (see _json_type_problem)."""

    fields: Any

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors = {}
            for name, field in self.fields.items():
                if not field.read_only and name in data:
                    problem = _json_type_problem(field, data[name])
                    if problem:
                        errors[name] = [problem]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]  # the serializer's


class SourceInputSerializer(StrictJsonTypesMixin, ConstantFieldsMixin, serializers.Serializer[Any]):
    utm_source = serializers.CharField(
        required=False, allow_blank=True, max_length=SOURCE_VALUE_MAX_LENGTH
    )
    utm_medium = serializers.CharField(
        required=False, allow_blank=True, max_length=SOURCE_VALUE_MAX_LENGTH
    )
    utm_campaign = serializers.CharField(
        required=False, allow_blank=True, max_length=SOURCE_VALUE_MAX_LENGTH
    )
    utm_term = serializers.CharField(
        required=False, allow_blank=True, max_length=SOURCE_VALUE_MAX_LENGTH
    )
    utm_content = serializers.CharField(
        required=False, allow_blank=True, max_length=SOURCE_VALUE_MAX_LENGTH
    )
    referrer = serializers.CharField(
        required=False, allow_blank=True, max_length=SOURCE_VALUE_MAX_LENGTH
    )


@extend_schema_field({"type": "string", "enum": [code for code, _ in COUNTRIES]})
class CountryCodeField(serializers.CharField):
    """A country code from advocacy.countries: a ChoiceField's rules, without copying its 250
    choices into every serializer instance (DRF deep-copies declared fields per instance, and
    that copy was a tenth of a signing request's CPU)."""

    default_error_messages = {"invalid_choice": '"{input}" is not a valid choice.'}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)  # as a ChoiceField: " DE" is not a code
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if value not in COUNTRY_CODES:
            self.fail("invalid_choice", input=value)
        return value


@extend_schema_field({"type": "boolean"})
class StrictBooleanField(serializers.BooleanField):
    """JSON true or false and nothing else. DRF's BooleanField also takes "yes", "on", 1 and
    "true"; for a consent or an opt-in, the record must be that the box was ticked, not that
    a client sent something truthy."""

    default_error_messages = {"invalid": "Must be a JSON boolean (true or false)."}

    def to_internal_value(self, data: Any) -> bool:
        if data is True or data is False:
            return data
        self.fail("invalid")
        raise AssertionError  # fail() raises; for the type checker


@extend_schema_field({"type": "boolean", "enum": [True]})
class ConsentField(StrictBooleanField):
    """A consent checkbox: the schema says only `true` is accepted, as the API answers."""


class SignatureCreateInputSerializer(
    StrictJsonTypesMixin, ConstantFieldsMixin, serializers.Serializer[Any]
):
    first_name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    last_name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    email = serializers.CharField(max_length=EMAIL_MAX_LENGTH)
    country = CountryCodeField(help_text="ISO 3166-1 alpha-2.")
    postcode = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=POSTCODE_MAX_LENGTH
    )
    consent = ConsentField(
        help_text="Must be true: the supporter ticked the box showing `consent_text`."
    )
    consent_version = serializers.IntegerField(
        min_value=1, help_text="The `consent_version` of the text the supporter saw."
    )
    organisation_news = StrictBooleanField(
        required=False,
        default=False,
        help_text="Separate, optional opt-in to hear from the organisation.",
    )
    source = SourceInputSerializer(required=False)  # type: ignore[assignment]  # see above

    def validate_consent(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("Consent is required to sign.")
        return value


class SignatureCreateOutputSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=["pending_confirmation"])
    message = serializers.CharField()


class CountersOutputSerializer(serializers.Serializer[Any]):
    confirmed = serializers.IntegerField(help_text="Confirmed signatures (public).")
    goal = serializers.IntegerField()
    pending = serializers.IntegerField(
        allow_null=True, help_text="Awaiting confirmation; organisers (staff) only, else null."
    )
    today = serializers.IntegerField(
        allow_null=True, help_text="Confirmed since midnight UTC; organisers only, else null."
    )
