"""Forms of the public pages. They check shape and give per-field messages; the rules
themselves live in advocacy.supporters (shared with the API and the letters)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms

from advocacy.countries import COUNTRIES
from advocacy.supporters import (
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    POSTCODE_MAX_LENGTH,
    SOURCE_VALUE_MAX_LENGTH,
    clean_country,
    clean_email,
    clean_name,
    clean_postcode,
)
from advocacy.widgets import ConstantChoiceField, FastSelect


def _checked(check: Callable[[str], str], value: str) -> str:
    try:
        return check(value)
    except ValueError as exc:
        raise forms.ValidationError(str(exc)) from exc


class SignatureForm(forms.Form):
    first_name = forms.CharField(
        label="First name",
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.CharField(
        label="E-mail",
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We send you a link to confirm your signature.",
    )
    country = ConstantChoiceField(
        label="Country",
        choices=[("", "Choose your country")] + [(c, n) for c, n in COUNTRIES],
        widget=FastSelect(attrs={"autocomplete": "country"}),
    )
    postcode = forms.CharField(
        label="Postcode (optional)",
        max_length=POSTCODE_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    consent = forms.BooleanField(label="I agree", required=True)
    organisation_news = forms.BooleanField(required=False)
    # The original referrer, carried over from the GET (the POST's own referrer is us).
    referrer = forms.CharField(
        required=False, max_length=SOURCE_VALUE_MAX_LENGTH, widget=forms.HiddenInput
    )
    # Honeypot: hidden from people by CSS and from assistive technology by aria-hidden; bots
    # that fill every input fill it.
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, consent_text: str, organisation_name: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = consent_text
        self.fields["consent"].error_messages["required"] = (
            "Please tick the box to agree, or we cannot count your signature."
        )
        self.fields[
            "organisation_news"
        ].label = f"Optional: keep me informed about {organisation_name}'s campaigns."

    def clean_first_name(self) -> str:
        return _checked(
            lambda v: clean_name(v, label="first name"), self.cleaned_data["first_name"]
        )

    def clean_last_name(self) -> str:
        return _checked(lambda v: clean_name(v, label="last name"), self.cleaned_data["last_name"])

    def clean_email(self) -> str:
        return _checked(clean_email, self.cleaned_data["email"])

    def clean_country(self) -> str:
        return _checked(clean_country, self.cleaned_data["country"])

    def clean_postcode(self) -> str:
        return _checked(clean_postcode, self.cleaned_data["postcode"])

    @property
    def is_honeypot_filled(self) -> bool:
        return bool(self.data.get("website", "").strip())


class DataRequestForm(forms.Form):
    email = forms.CharField(
        label="E-mail",
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self) -> str:
        return _checked(clean_email, self.cleaned_data["email"])


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, erase my personal data. I understand this cannot be undone.", required=True
    )
