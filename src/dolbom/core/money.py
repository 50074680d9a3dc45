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


MAN, EOK = 10_000, 100_000_000  # 만 and 억: Korean counts money in steps of ten thousand


def approx_won(amount: Won) -> str:
    """An amount as the articles write a total — "about 72 million won" is 약 7,200만 원: in 만 and 억, rounded
    half up to a million won from ten million on (to ten thousand below that), "about" only when rounding changed
    it, and exact under ten thousand won."""
    if amount < 0:
        return "-" + approx_won(-amount)
    if amount < MAN:
        return format_won(amount)
    step = 100 * MAN if amount >= 1_000 * MAN else MAN
    rounded = (amount + step // 2) // step * step
    eok, man = divmod(rounded // MAN, EOK // MAN)
    if eok and man:
        text = _("%(eok)s eok %(man)s man won") % {"eok": f"{eok:,}", "man": f"{man:,}"}
    elif eok:
        text = _("%(eok)s eok won") % {"eok": f"{eok:,}"}
    else:
        text = _("%(man)s man won") % {"man": f"{man:,}"}
    return text if rounded == amount else _("about %(amount)s") % {"amount": text}
