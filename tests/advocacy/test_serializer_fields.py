"""ConstantFieldsMixin: each serializer instance gets fresh fields, as with DRF's deep copy,
and the fields it re-creates take only constant arguments."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from advocacy.serializers import (
    ConstantFieldsMixin,
    SignatureCreateInputSerializer,
    SourceInputSerializer,
)

MIXED = [SignatureCreateInputSerializer, SourceInputSerializer]


@pytest.mark.parametrize("serializer_class", MIXED)
def test_every_instance_binds_its_own_fields(serializer_class):
    first, second = serializer_class(), serializer_class()
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other and field is not serializer_class._declared_fields[name]
        assert field.parent is first and other.parent is second
        assert repr(field) == repr(other) == repr(serializer_class._declared_fields[name])


def _constant(value) -> bool:
    if isinstance(value, ConstantFieldsMixin):
        return all(_constant(v) for v in (*value._args, *value._kwargs.values()))
    return value is None or isinstance(value, str | int | float | bool)


@pytest.mark.parametrize("serializer_class", MIXED)
def test_the_declared_fields_take_only_constant_arguments(serializer_class):
    for name, field in serializer_class._declared_fields.items():
        arguments = (*field._args, *field._kwargs.values())
        assert all(_constant(value) for value in arguments), f"{name}: {field!r}"


def test_nested_errors_and_defaults_are_as_before():
    serializer = SignatureCreateInputSerializer(
        data={
            "first_name": "Ana",
            "last_name": "Lee",
            "email": "ana@example.org",
            "country": "XX",
            "consent": False,
            "consent_version": 1,
            "source": {"utm_source": "x" * 1000},
        }
    )
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"country", "consent", "source"}
    assert "utm_source" in serializer.errors["source"]
    fine = SignatureCreateInputSerializer(
        data={
            "first_name": "Ana",
            "last_name": "Lee",
            "email": "ana@example.org",
            "country": "DE",
            "consent": True,
            "consent_version": 1,
        }
    )
    assert fine.is_valid(), fine.errors
    assert (
        fine.validated_data["postcode"] == "" and fine.validated_data["organisation_news"] is False
    )
    assert isinstance(fine.fields["source"], serializers.Serializer)


@pytest.mark.parametrize("serializer_class", MIXED)
def test_a_bound_copy_leaves_the_declared_field_as_it_was(serializer_class):
    """The fields are copies of the declared ones: binding a copy, or adding a validator to
    it, must not reach the declared field or the next instance's copy."""
    declared = serializer_class._declared_fields
    validators = {name: list(field.validators) for name, field in declared.items()}
    before = {name: (dict(vars(field)), validators[name]) for name, field in declared.items()}

    first = serializer_class()
    for field in first.fields.values():
        field.validators.append(lambda value: None)

    for name, field in declared.items():
        assert field.parent is None and field.field_name is None, name
        assert vars(field) == before[name][0], name
        assert field.validators == before[name][1], name
    second = serializer_class()
    for name, field in second.fields.items():
        assert len(field.validators) == len(before[name][1]), name
        assert field.field_name == name and field.source == name


def test_a_copied_field_validates_as_a_new_one():
    fresh = serializers.CharField(max_length=5)
    fresh.bind("first_name", serializers.Serializer())
    copied = SignatureCreateInputSerializer().fields["first_name"]
    for value in ("Ana", "x" * 200, "a\x00b", 12):
        outcomes = []
        for field in (fresh, copied):
            try:
                outcomes.append(("ok", field.run_validation(value)))
            except serializers.ValidationError as error:
                outcomes.append(("error", [str(e.code) for e in error.detail]))
        assert outcomes[0][0] == outcomes[1][0], value
