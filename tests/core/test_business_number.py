"""Business registration numbers (사업자등록번호, 고유번호) as officers type them: every dash, spaces, dots and
full-width digits fold to ten digits, and the official check digit refuses a mistyped number."""

from __future__ import annotations

import pytest

from dolbom.core.business_number import (
    InvalidBusinessNumber,
    check_digit,
    format_business_number,
    parse_business_number,
)

# Numbers whose check digit is right: companies (81, 86), a group's 고유번호 (82, 83), a sole proprietor (01).
VALID = ["1248100998", "2208162517", "1208147521", "1238300010", "1058200015"]

# Unicode's dashes and their look-alikes, as word processors, phones and spreadsheets put them between groups.
DASHES = [
    "-",
    "\u2010",  # hyphen
    "\u2011",  # non-breaking hyphen
    "\u2012",  # figure dash
    "\u2013",  # en dash
    "\u2014",  # em dash
    "\u2015",  # horizontal bar
    "\u2212",  # minus sign
    "\ufe58",  # small em dash
    "\ufe63",  # small hyphen-minus
    "\uff0d",  # full-width hyphen-minus
    "~",
    "\uff5e",  # full-width tilde
    "\u30fc",  # katakana long sound mark
]

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize("dash", DASHES)
@pytest.mark.parametrize("digits", VALID)
def test_every_dash_kind_is_folded(digits, dash):
    typed = f"{digits[:3]}{dash}{digits[3:5]}{dash}{digits[5:]}"
    assert parse_business_number(typed) == digits
    assert parse_business_number(typed.translate(FULL_WIDTH)) == digits


@pytest.mark.parametrize(
    "typed",
    [
        "124-81-00998",
        "1248100998",
        "124 81 00998",
        "124.81.00998",
        " 124-81-00998 ",
        "１２４－８１－００９９８",  # full-width digits and hyphen, as a Korean IME types them
        "１２４８１００９９８",
        "124\u00a081\u300000998",  # no-break and ideographic spaces
        "124-\u200b81-00998",  # a zero-width space copied from a web page
        "١٢٤-٨١-٠٠٩٩٨",  # Arabic-Indic digits: decimal digits of another script
    ],
)
def test_typed_forms_of_one_number(typed):
    assert parse_business_number(typed) == "1248100998"


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("124-81-00999", "check digit"),  # last digit off by one
        ("124-81-00990", "check digit"),
        ("142-81-00998", "check digit"),  # two neighbours swapped
        ("220-81-62518", "check digit"),
        ("１２４－８１－００９９７", "check digit"),  # full-width, wrong last digit
        ("124-81-0099", "length"),  # nine digits
        ("124-81-009981", "length"),  # eleven digits
        ("12O-81-00998", "length"),  # the letter O for a zero
        ("124/81/00998", "length"),  # a slash is no separator of this number
        ("", "length"),
        ("--", "length"),
    ],
)
def test_mistyped_numbers_are_refused(typed, why):
    with pytest.raises(InvalidBusinessNumber) as refused:
        parse_business_number(typed)
    expected = "마지막 자리" if why == "check digit" else "10자리"
    assert expected in str(refused.value)


def test_exactly_one_check_digit_fits_any_nine_digits():
    for first_nine in ("000000000", "123456789", "999999999", "124810099", "220816251", "105820001"):
        fitting = [d for d in "0123456789" if _valid(first_nine + d)]
        assert fitting == [str(check_digit(first_nine))]


def _valid(digits: str) -> bool:
    try:
        parse_business_number(digits)
    except InvalidBusinessNumber:
        return False
    return True


def test_format():
    assert format_business_number("1248100998") == "124-81-00998"
    assert format_business_number("") == ""
