"""Form fields every domain's forms share."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dolbom.core.dates import parse_date
from dolbom.core.money import parse_won


class KoreanDateField(forms.DateField):
    """A date as officers type it (2026.11.30, 2026-11-30, 20261130 …), shown back as YYYY-MM-DD."""

    default_error_messages = {"invalid": _("Enter a date such as 2026-11-30.")}

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        parsed = parse_date(str(value))
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


# The largest id either database stores (a signed 64-bit integer). A larger number typed into a URL or a form
# cannot name a row, and some lookups (across a relation, on SQLite) fail on it instead of finding nothing.
LARGEST_ID = 2**63 - 1


class IdField(forms.IntegerField):
    """The id of a row, as a query string or a form sends it: a whole number from 1 to the largest a database
    stores; anything else is the form's own error (a 400 on a page's query, the form's message on a POST)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", LARGEST_ID)
        super().__init__(**kwargs)


class WonField(forms.Field):
    """An amount in won as officers type it: 500000, 500,000, 500,000원 (see `money.parse_won`)."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "20", "autocomplete": "off"})
    default_error_messages = {"invalid": _("Enter the amount in won, such as 500000.")}

    def to_python(self, value: Any) -> int | None:
        try:
            return parse_won(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
