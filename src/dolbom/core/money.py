"""Money is integer won: no floats anywhere, rounding only where a published rule says how."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

Won = int


def won_from_rate(amount: Won, percent: Decimal | str) -> Won:
    """amount × percent %, rounded half up to the won, as the Ministry rounds its selection lines."""
    value = Decimal(amount) * Decimal(percent) / Decimal(100)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_won(amount: Won) -> str:
    return _("%(amount)s won") % {"amount": f"{amount:,}"}
