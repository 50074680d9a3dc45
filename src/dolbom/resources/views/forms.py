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
