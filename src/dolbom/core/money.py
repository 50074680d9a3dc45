"""Money is integer won: no floats anywhere, rounding only where a published rule says how."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

Won = int

WON_DIGITS = 12


def parse_won(text: str) -> int | None:
    """An amount in won as officers type it — 500000, 500,000, 500,000원, full-width ５００，０００ — or None when
    nothing was typed. ValueError for anything else (a minus sign, decimals, letters, more than twelve digits)."""
    folded = re.sub(r"[\s,원]", "", unicodedata.normalize("NFKC", str(text or "")))
    if not folded:
        return None
    if not folded.isascii() or not folded.isdigit() or len(folded) > WON_DIGITS:
        raise ValueError(f"not an amount in won: {text!r}")
    return int(folded)


def won_from_rate(amount: Won, percent: Decimal | str) -> Won:
    """amount × percent %, rounded half up to the won, as the Ministry rounds its selection lines."""
    value = Decimal(amount) * Decimal(percent) / Decimal(100)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_won(amount: Won) -> str:
    return _("%(amount)s won") % {"amount": f"{amount:,}"}
