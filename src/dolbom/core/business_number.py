"""Business registration numbers (사업자등록번호) and the identification numbers of groups (고유번호).

Both are ten digits written XXX-XX-XXXXX and issued by the tax office: three digits of the office, two of the kind
of taxpayer (81–88 a company, 80 and 89 a group or a non-profit without a business, 01–79 a sole proprietor), four
of a serial and one check digit. The check digit is the same for both: with the weights 1 3 7 1 3 7 1 3 5 on the
first nine digits, the sum of the products plus the tens of the ninth digit times five, then the check digit makes
the total a multiple of ten. A mistyped digit (and most swaps of two neighbours) is caught before the number goes
on a donation receipt that the donor's tax return relies on.

Officers type these numbers as they find them on a certificate, an e-mail or a spreadsheet: with any dash, with
spaces or dots, in full-width digits. `core.numbers.normalise` folds all of that as it does for every other number.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from dolbom.core.numbers import normalise

DIGITS = 10
_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
# What may stand between the groups once `normalise` has made every dash "-" and every space " ".
_BETWEEN_GROUPS = str.maketrans("", "", "- .")


class InvalidBusinessNumber(ValueError):
    """A business registration number that cannot be right; the message says what to type."""


def check_digit(first_nine: str) -> int:
    """The tenth digit that the first nine call for."""
    digits = [int(d) for d in first_nine]
    total = sum(d * w for d, w in zip(digits, _WEIGHTS, strict=True)) + digits[8] * 5 // 10
    return (10 - total % 10) % 10


def parse_business_number(value: str) -> str:
    """The ten digits of a business registration number (or a group's 고유번호) however it was typed; raises
    InvalidBusinessNumber saying what is wrong and what to type."""
    digits = normalise(value or "").translate(_BETWEEN_GROUPS)
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        raise InvalidBusinessNumber(_("A business registration number has 10 digits, such as 123-83-00010."))
    if check_digit(digits[:9]) != int(digits[9]):
        raise InvalidBusinessNumber(
            _(
                "This business registration number does not exist (its last digit does not match): check it on "
                "the certificate."
            )
        )
    return digits


def format_business_number(digits: str) -> str:
    """2208162517 → 220-81-62517, as certificates and receipts write it."""
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}" if len(digits) == DIGITS else digits
