"""Resident registration numbers (주민등록번호) and foreign registration numbers (외국인등록번호).

The form is YYMMDD-SNNNNNN. The seventh digit S gives sex and century (and, 5–8, a foreign national):
9/0 → 1800s, 1/2 and 5/6 → 1900s, 3/4 and 7/8 → 2000s; odd digits are male. Numbers issued since October 2020
no longer carry a region code or check digit, so the check digit is not enforced: a valid number is one whose
date exists and whose seventh digit agrees with the person's birth date and sex.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

_PATTERN = re.compile(r"^\s*(\d{6})-?(\d{7})\s*$")

# seventh digit → (century, sex, foreign)
_SEVENTH_DIGIT: dict[str, tuple[int, str, bool]] = {
    "9": (1800, "M", False),
    "0": (1800, "F", False),
    "1": (1900, "M", False),
    "2": (1900, "F", False),
    "3": (2000, "M", False),
    "4": (2000, "F", False),
    "5": (1900, "M", True),
    "6": (1900, "F", True),
    "7": (2000, "M", True),
    "8": (2000, "F", True),
}


class InvalidResidentNumber(ValueError):
    """A resident registration number that cannot be right; the message says why, never the number."""


@dataclass(frozen=True)
class ResidentNumber:
    digits: str  # 13 digits, no hyphen
    birth_date: date
    sex: str  # "M" or "F"
    foreign: bool

    @property
    def formatted(self) -> str:
        return f"{self.digits[:6]}-{self.digits[6:]}"


def parse_rrn(value: str) -> ResidentNumber:
    """Parse and validate a resident number; raise InvalidResidentNumber naming the defect."""
    match = _PATTERN.match(value or "")
    if not match:
        raise InvalidResidentNumber(_("A resident registration number has 13 digits (YYMMDD-NNNNNNN)."))
    front, back = match.groups()
    century, sex, foreign = _SEVENTH_DIGIT[back[0]]
    try:
        birth = date(century + int(front[:2]), int(front[2:4]), int(front[4:6]))
    except ValueError as exc:
        message = _("The birth date in the first part of the resident registration number is not a real date.")
        raise InvalidResidentNumber(message) from exc
    return ResidentNumber(digits=front + back, birth_date=birth, sex=sex, foreign=foreign)


def check_rrn_agrees(number: ResidentNumber, *, birth_date: date, sex: str) -> None:
    """Raise if the number contradicts the birth date or sex recorded for the person."""
    if number.birth_date != birth_date:
        raise InvalidResidentNumber(
            _("The birth date in the resident registration number differs from the birth date entered.")
        )
    if number.sex != sex:
        raise InvalidResidentNumber(
            _("The first digit of the second part of the resident registration number does not match the sex.")
        )


def seventh_digit(*, birth_year: int, sex: str, foreign: bool = False) -> str:
    """The sex-and-century digit for a person: the inverse of the table above."""
    century = birth_year // 100 * 100
    for digit, (c, s, f) in _SEVENTH_DIGIT.items():
        if c == century and s == sex and f == foreign:
            return digit
    message = _("No resident registration number can be issued to someone born in %(year)s.")
    raise InvalidResidentNumber(message % {"year": birth_year})


RRN_LIKE = re.compile(r"(?<!\d)\d{6}-?[0-9]\d{6}(?!\d)")

# The dashes people and spreadsheets put between the two parts of a resident number, as a regular-expression class
# (after NFKC): every Unicode dash (hyphen, non-breaking hyphen, figure dash, en and em dash, horizontal bar, minus,
# small and full-width hyphen-minus) and the Hangul letter ㅡ that Korean keyboards give for a dash typed in Hangul
# mode (NFKC turns U+3161 into its conjoining form U+1173: both are listed). The registry import reads a number's
# digits across these, dots and spaces (RRN_SEPARATORS); the signal import reads any of these dashes as "-".
RRN_DASHES = "[\u2010-\u2015\u2212\ufe63\uff0d\u3161\u1173\\-]"
RRN_SEPARATORS = RRN_DASHES[:-1] + ".\\s]"
# Invisible characters a copied cell may carry inside a number (zero-width space and joiners, word joiner, BOM,
# soft hyphen): removed before the number is read.
RRN_INVISIBLE = "[\u200b-\u200d\u2060\ufeff\u00ad]"
