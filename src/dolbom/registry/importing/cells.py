"""One cell of the registry export → a value, or `CellError` with the reason in the user's language.

A reason never repeats a resident number: it says what is wrong with it (a masked download, a lost leading zero,
no real birth date), which is all the person fixing the file needs besides the row and the column.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django.utils.translation import gettext as _

from dolbom.core.rrn import RRN_INVISIBLE, RRN_SEPARATORS, InvalidResidentNumber, ResidentNumber, parse_rrn
from dolbom.registry.importing.layout import folded
from dolbom.registry.models import phone_digits

_SEPARATORS = re.compile(RRN_SEPARATORS)
_ZERO_WIDTH = re.compile(RRN_INVISIBLE)
_MASKS = re.compile("[*●○xX×]")
_EXPONENT = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})\.?$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
)
# A date cell of a spreadsheet read as text may carry a midnight time ("2024-03-01 00:00:00").
_MIDNIGHT = re.compile(r"[ T]00:00(:00(\.0+)?)?$")
ISO_COUNTRY = re.compile(r"^[A-Z]{2}$")


class CellError(ValueError):
    """Why a cell is refused, in the user's language."""


def text(value: str) -> str:
    """A cell's text: NFC (names and addresses typed on one system arrive decomposed from another), zero-width
    characters removed, spaces at either end trimmed."""
    return _ZERO_WIDTH.sub("", unicodedata.normalize("NFC", value or "")).strip()


def required(value: str) -> str:
    if not value:
        raise CellError(_("This column is required: the cell is empty."))
    return value


def bounded(value: str, limit: int) -> str:
    if len(value) > limit:
        raise CellError(_("Too long: at most %(n)s characters.") % {"n": limit})
    return value


def resident_number(value: str) -> ResidentNumber:
    """13 digits after NFKC, whatever dash, spaces or dots separate them; masked or damaged numbers refused with a
    reason of their own. The check digit is not enforced (numbers issued since October 2020 have none)."""
    cleaned = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", value or "")).strip()
    if not cleaned:
        raise CellError(_("This column is required: the cell is empty."))
    if _MASKS.search(cleaned):
        raise CellError(
            _(
                "The resident registration number is masked (YYMMDD-N******): the file is a masked download. "
                "Export it again with the full numbers."
            )
        )
    if _EXPONENT.match(cleaned):
        raise CellError(
            _(
                "The resident registration number is shown in exponent form (e.g. 8.0E+12): the spreadsheet stored "
                "it as a number and its digits are lost. Format the column as text and export it again."
            )
        )
    digits = _SEPARATORS.sub("", cleaned)
    if cleaned.isdigit() and len(digits) in (11, 12):  # no separator: a number that was a spreadsheet number
        raise CellError(
            _(
                "The resident registration number has %(n)s digits: the spreadsheet stored it as a number and dropped "
                "its leading zeros (people born in 2000–2009). Format the column as text and export it again."
            )
            % {"n": len(digits)}
        )
    if not (digits.isdigit() and len(digits) == 13):
        raise CellError(_("A resident registration number has 13 digits (YYMMDD-NNNNNNN)."))
    try:
        return parse_rrn(digits)
    except InvalidResidentNumber as invalid:
        raise CellError(str(invalid)) from None


def a_date(value: str) -> date | None:
    """YYYY-MM-DD, YYYYMMDD, YYYY.MM.DD or YYYY/MM/DD (an Excel date cell arrives as YYYY-MM-DD); empty → None.
    Two-digit years are refused: 24.03.01 could be 1924 or 2024."""
    value = _MIDNIGHT.sub("", unicodedata.normalize("NFKC", value or "").strip())
    if not value:
        return None
    for form in _DATE_FORMS:
        found = form.match(value)
        if found:
            year, month, day = (int(g) for g in found.groups())
            try:
                return date(year, month, day)
            except ValueError:
                raise CellError(_("This date does not exist.")) from None
    raise CellError(_("Write the date as YYYY-MM-DD (e.g. 2024-03-01); two-digit years are not accepted."))


def area_code(value: str) -> str:
    value = unicodedata.normalize("NFKC", value or "").strip()
    if not re.fullmatch(r"\d{10}", value):
        raise CellError(_("An administrative code has 10 digits."))
    return value


def postal_code(value: str) -> str:
    value = unicodedata.normalize("NFKC", value or "").strip()
    if value and not re.fullmatch(r"\d{5}", value):
        raise CellError(_("A postal code has 5 digits."))
    return value


def small_number(value: str) -> int | None:
    """통 and 반: a positive whole number, or empty."""
    value = unicodedata.normalize("NFKC", value or "").strip()
    if not value:
        return None
    if not re.fullmatch(r"\d{1,4}", value) or int(value) == 0:
        raise CellError(_("Write a whole number from 1 to 9999."))
    return int(value)


def label(value: str, mapping: dict[str, str]) -> str:
    """A coded column's label by the shipped table; an unknown label is refused, never guessed."""
    found = mapping.get(folded(value))
    if found is None:
        shown = value if len(value) <= 20 else value[:20] + "…"
        raise CellError(
            _("Unknown value '%(value)s'. Accepted: %(accepted)s.")
            % {"value": shown, "accepted": ", ".join(sorted(mapping))}
        )
    return found


def nationality(value: str, names: dict[str, str]) -> str:
    value = unicodedata.normalize("NFKC", value or "").strip()
    if not value:
        return ""
    if ISO_COUNTRY.match(value.upper()) and value.isascii():
        return value.upper()
    found = names.get(folded(value))
    if found is None:
        raise CellError(
            _("Unknown nationality. Write the two-letter ISO code (e.g. VN) or a country name from the layout file.")
        )
    return found


def phone(value: str) -> str:
    """010-1234-5678 however it was typed; empty stays empty."""
    try:
        digits = phone_digits(value)
    except ValueError as invalid:
        raise CellError(str(invalid)) from None
    return digits
