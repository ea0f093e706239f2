"""Form widgets for the hottest pages."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe


@lru_cache(maxsize=16)
def _options_html(choices: tuple[tuple[str, str], ...]) -> str:
    return "".join(
        f'<option value="{escape(value)}">{escape(label)}</option>' for value, label in choices
    )


class FastSelect(forms.Select):
    """A <select> whose options are built once per process and joined as a string.

    Django renders each <option> through its own template; for a 250-country list that is
    ~500 template renders and most of a campaign page's CPU, on the page a viral campaign
    serves most. Output is the same markup, escaped the same way."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        choices: Iterable[Any] = self.choices
        pairs = tuple((str(v), str(label)) for v, label in choices)
        options = _options_html(pairs)
        current = "" if value is None else str(value[0] if isinstance(value, list) else value)
        if current and any(v == current for v, _ in pairs):
            marker = f'<option value="{escape(current)}">'
            options = options.replace(marker, marker[:-1] + " selected>", 1)
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        return format_html("<select{}>{}</select>", flatatt(final_attrs), mark_safe(options))  # noqa: S308  (every part escaped above)


class ConstantChoiceField(forms.ChoiceField):
    """A ChoiceField whose choices never change after definition: each form instance shares
    them instead of deep-copying them (Django copies every field per form; for 250 countries
    that copy was a fifth of the campaign page's CPU)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> ConstantChoiceField:
        choices = self.__dict__["_choices"]
        memo[id(choices)] = choices  # deepcopy returns memoised objects as they are
        return super().__deepcopy__(memo)
