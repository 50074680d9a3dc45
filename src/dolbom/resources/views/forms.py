"""Form fields the resources pages share: an amount in won as officers type it."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

WON_DIGITS = 13


class WonField(forms.CharField):
    """An amount in won typed as 500000, 500,000, 500,000원 or in full-width digits; a whole number of won."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": "20"})

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        folded = re.sub(r"[\s,원]", "", unicodedata.normalize("NFKC", str(value or "")))
        if not folded:
            return None
        if not folded.isascii() or not folded.isdigit() or len(folded) > WON_DIGITS:
            raise ValidationError(_("Enter the amount in won as a whole number, such as 1,500,000."))
        return int(folded)


class UnechoedInput(forms.TextInput):
    """A text box that never puts back what was typed: a resident number refused for a typo is not written into
    the page that answers (nor into the browser's history of it); the officer types it again."""

    def format_value(self, value: Any) -> str | None:
        return None


class DonorLegalForm(forms.Form):
    """What a donation receipt needs to know of a donor, as typed (services/receipts.py checks and folds it). A
    resident number is never shown back: leaving a field empty keeps what is on record."""

    registration_number = forms.CharField(
        label=_("Company or group: business registration number (or identification number)"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "20", "inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("10 digits, such as 123-83-00010."),
    )
    resident_number = forms.CharField(
        label=_("Person: resident registration number"),
        required=False,
        widget=UnechoedInput(attrs={"maxlength": "20", "inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Kept encrypted, shown masked, printed in full only on the donor's receipt."),
    )
    address = forms.CharField(
        label=_("Address"), required=False, widget=forms.TextInput(attrs={"maxlength": "200", "autocomplete": "off"})
    )
