"""Deadlines in calendar and working days, at the edges: Chuseok, substitute holidays, the year's end. The holidays
are the `holidays` package's (holidays.KR); every date here is fixed, nothing depends on the day the tests run."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dolbom.core.workdays import (
    Counting,
    Period,
    PeriodUnit,
    add_months,
    add_working_days,
    is_holiday,
    is_working_day,
    next_working_day,
    working_days_between,
)


def test_the_long_chuseok_of_2025_is_one_working_day_long():
    # 3 Oct (Fri, 개천절), the weekend, Chuseok 5–7 Oct with its substitute on the 8th, 9 Oct (한글날).
    assert add_working_days(date(2025, 10, 2), 1) == date(2025, 10, 10)
    assert working_days_between(date(2025, 10, 2), date(2025, 10, 10)) == 1
    assert not any(is_working_day(date(2025, 10, day)) for day in range(3, 10))


def test_chuseok_2026_on_a_saturday_gives_no_substitute_holiday():
    # 24–26 Sep 2026: Thu, Fri, Sat. Chuseok's substitute holiday covers Sundays and other holidays only.
    assert add_working_days(date(2026, 9, 23), 1) == date(2026, 9, 28)
    assert is_working_day(date(2026, 9, 28))


@pytest.mark.parametrize(
    ("start", "expected", "substitute"),
    [
        (date(2026, 2, 27), date(2026, 3, 3), date(2026, 3, 2)),  # 삼일절 on a Sunday
        (date(2026, 8, 14), date(2026, 8, 18), date(2026, 8, 17)),  # 광복절 on a Saturday
        (date(2026, 10, 2), date(2026, 10, 6), date(2026, 10, 5)),  # 개천절 on a Saturday
        (date(2026, 5, 22), date(2026, 5, 26), date(2026, 5, 25)),  # 부처님오신날 on a Sunday
    ],
)
def test_substitute_holidays_are_not_working_days(start, expected, substitute):
    assert is_holiday(substitute) and substitute.weekday() == 0
    assert add_working_days(start, 1) == expected


def test_the_year_end():
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)  # New Year's Day, then the weekend
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 28)  # Christmas on a Friday
    assert working_days_between(date(2026, 12, 24), date(2027, 1, 4)) == 5  # 28, 29, 30, 31 Dec and 4 Jan


def test_election_and_temporary_holidays_come_from_the_package():
    assert is_holiday(date(2026, 6, 3))  # local elections
    assert is_holiday(date(2025, 1, 27))  # a temporary holiday declared in January 2025


def test_zero_and_negative():
    saturday = date(2026, 11, 28)
    assert add_working_days(saturday, 0) == saturday
    assert next_working_day(saturday) == date(2026, 11, 30)
    assert working_days_between(saturday, saturday) == 0
    assert working_days_between(date(2026, 12, 4), date(2026, 11, 30)) == -4
    with pytest.raises(ValueError):
        add_working_days(saturday, -1)


def test_months_end_on_the_same_day_or_the_months_last():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 2) == date(2027, 1, 30)


def test_a_period_in_calendar_or_working_days_across_a_holiday():
    calendar, working = Period(3), Period(3, counting=Counting.WORKING)
    request = date(2026, 9, 22)  # Tuesday before Chuseok
    assert calendar.deadline(request) == date(2026, 9, 25)
    assert working.deadline(request) == date(2026, 9, 29)  # 23, 28, 29


def test_a_month_counted_in_working_days_ends_on_the_next_working_day():
    month = Period(1, PeriodUnit.MONTHS)
    assert month.deadline(date(2026, 1, 31)) == date(2026, 2, 28)  # a Saturday: calendar counting keeps it
    working = Period(1, PeriodUnit.MONTHS, Counting.WORKING)
    assert working.deadline(date(2026, 1, 31)) == date(2026, 3, 3)  # Saturday, Sunday, substitute holiday


PERIODS = st.builds(
    Period,
    length=st.integers(min_value=0, max_value=20),
    unit=st.sampled_from(list(PeriodUnit)),
    counting=st.sampled_from(list(Counting)),
)
DATES = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))


@given(period=PERIODS, start=DATES, on=DATES)
def test_the_latest_start_due_by_a_day_splits_starts_exactly(period, start, on):
    """What the database is asked ("started on or before X") is what the deadline says, for every start."""
    assert (period.deadline(start) <= on) == (start <= period.latest_start_due_by(on))


@given(period=PERIODS, start=DATES)
def test_deadlines_never_come_before_their_start_nor_move_back(period, start):
    assert period.deadline(start) >= start
    assert period.deadline(start + timedelta(days=1)) >= period.deadline(start)
