"""Form fields every domain's forms share."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dolbom.core.dates import parse_date


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
