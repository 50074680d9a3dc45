from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dolbom.core.rrn import InvalidResidentNumber, check_rrn_agrees, parse_rrn, seventh_digit


@pytest.mark.parametrize(
    ("number", "birth", "sex", "foreign"),
    [
        ("800101-1234567", date(1980, 1, 1), "M", False),
        ("8001012234567", date(1980, 1, 1), "F", False),
        ("050229-3000001", None, None, None),  # 2005 was not a leap year: rejected below
        ("040229-4000001", date(2004, 2, 29), "F", False),
        ("991231-5123456", date(1999, 12, 31), "M", True),
        ("100101-8123456", date(2010, 1, 1), "F", True),
        ("991231-0123456", date(1899, 12, 31), "F", False),
    ],
)
def test_parse_reads_birth_date_sex_and_nationality(number, birth, sex, foreign):
    if birth is None:
        with pytest.raises(InvalidResidentNumber, match="생년월일"):
            parse_rrn(number)
        return
    parsed = parse_rrn(number)
    assert (parsed.birth_date, parsed.sex, parsed.foreign) == (birth, sex, foreign)
    assert parsed.formatted == number[:6] + "-" + number.replace("-", "")[6:]


@pytest.mark.parametrize("number", ["", "800101-123456", "800101-12345678", "80O101-1234567", "800101_1234567"])
def test_malformed_numbers_are_refused_without_echoing_them(number):
    with pytest.raises(InvalidResidentNumber) as excinfo:
        parse_rrn(number)
    assert "1234" not in str(excinfo.value)


def test_impossible_dates_are_refused():
    for number in ["801301-1234567", "800132-1234567", "800000-1234567"]:
        with pytest.raises(InvalidResidentNumber, match="생년월일"):
            parse_rrn(number)


def test_number_must_agree_with_recorded_birth_date_and_sex():
    number = parse_rrn("800101-1234567")
    check_rrn_agrees(number, birth_date=date(1980, 1, 1), sex="M")
    with pytest.raises(InvalidResidentNumber, match="성별"):
        check_rrn_agrees(number, birth_date=date(1980, 1, 1), sex="F")
    with pytest.raises(InvalidResidentNumber, match="생년월일"):
        check_rrn_agrees(number, birth_date=date(1980, 1, 2), sex="M")
    # Same day and month a century later: the seventh digit decides the century.
    with pytest.raises(InvalidResidentNumber, match="생년월일"):
        check_rrn_agrees(number, birth_date=date(2080, 1, 1), sex="M")


@given(
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    sex=st.sampled_from(["M", "F"]),
    foreign=st.booleans(),
    serial=st.integers(min_value=0, max_value=999_999),
)
def test_seventh_digit_round_trips_through_parse(birth, sex, foreign, serial):
    number = f"{birth:%y%m%d}-{seventh_digit(birth_year=birth.year, sex=sex, foreign=foreign)}{serial:06d}"
    parsed = parse_rrn(number)
    assert (parsed.birth_date, parsed.sex, parsed.foreign) == (birth, sex, foreign)
