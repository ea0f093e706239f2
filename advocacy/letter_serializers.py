"""Shapes of the letters API: input serializers check shape, output serializers shape
replies. Rules (what is a valid name, body, country) live in advocacy.letters."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from advocacy.letters import LetterDraft, LetterTarget
from advocacy.serializers import (
    ConsentField,
    SourceInputSerializer,
    StrictBooleanField,
    StrictJsonTypesMixin,
)


class MepTargetOutputSerializer(serializers.Serializer[Any]):
    ep_id = serializers.IntegerField(source="mep.ep_id")
    full_name = serializers.CharField()
    group = serializers.CharField(source="mep.group")
    national_party = serializers.CharField(source="mep.national_party")
    country = serializers.CharField(source="mep.country_code")
    vote = serializers.CharField(help_text="for, against, abstention, did_not_vote, not_an_mep")
    roles = serializers.SerializerMethodField()
    has_email = serializers.BooleanField()
    language = serializers.CharField(source="template.language")

    def get_roles(self, target: LetterTarget) -> list[dict[str, str]]:
        return [{"code": r.code, "name": r.name, "role": r.role} for r in target.roles]


class LetterPreviewInputSerializer(StrictJsonTypesMixin, serializers.Serializer[Any]):
    country = serializers.CharField(max_length=2)
    mep_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=1000)
    first_name = serializers.CharField(max_length=200, trim_whitespace=False)
    last_name = serializers.CharField(max_length=200, trim_whitespace=False)
    city = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    personal_note = serializers.CharField(
        required=False, default="", allow_blank=True, trim_whitespace=False
    )


class LetterDraftOutputSerializer(serializers.Serializer[Any]):
    mep_id = serializers.IntegerField(source="target.mep.ep_id")
    mep_name = serializers.CharField(source="target.full_name")
    language = serializers.CharField()
    subject = serializers.CharField()
    body = serializers.CharField()
    editable = serializers.SerializerMethodField()
    skip_reason = serializers.CharField()

    def get_editable(self, draft: LetterDraft) -> bool:
        return not draft.locked


class LetterBodyInputSerializer(StrictJsonTypesMixin, serializers.Serializer[Any]):
    mep_id = serializers.IntegerField(min_value=1)
    body = serializers.CharField(trim_whitespace=False, allow_blank=True)


class LetterRequestCreateInputSerializer(LetterPreviewInputSerializer):
    email = serializers.CharField(max_length=320)
    postcode = serializers.CharField(max_length=40, required=False, default="", allow_blank=True)
    consent = ConsentField()
    wants_copy = StrictBooleanField(required=False, default=False)
    letters = LetterBodyInputSerializer(many=True, required=False, default=list)
    # A declared field (utm_* and referrer, as the signing API's), not DRF's Field.source.
    source = SourceInputSerializer(required=False, default=dict)  # type: ignore[assignment]

    def validate_letters(self, letters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen: set[int] = set()
        for item in letters:
            if item["mep_id"] in seen:
                raise serializers.ValidationError(
                    f"Two texts for the MEP {item['mep_id']}: send one letter per MEP."
                )
            seen.add(item["mep_id"])
        return letters


class LetterOutputSerializer(serializers.Serializer[Any]):
    mep_id = serializers.IntegerField(source="mep.ep_id")
    mep_name = serializers.SerializerMethodField()
    subject = serializers.CharField()
    body = serializers.CharField()
    status = serializers.CharField()
    status_reason = serializers.CharField()

    def get_mep_name(self, letter: Any) -> str:
        from campaign.directory import mep_full_name

        return mep_full_name(letter.mep)


class LetterRequestOutputSerializer(serializers.Serializer[Any]):
    # Nothing about what the address has written: see LetterRequestCreateApi.
    status = serializers.CharField()
    message = serializers.CharField()


class LetterConfirmInputSerializer(StrictJsonTypesMixin, serializers.Serializer[Any]):
    token = serializers.CharField(max_length=500)


class LetterConfirmOutputSerializer(serializers.Serializer[Any]):
    status = serializers.CharField()
    letters = LetterOutputSerializer(many=True)
