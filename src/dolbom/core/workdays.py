"""Deadlines in Korea, counted in calendar days or in working days.

A working day is a weekday that is not a public holiday of the 관공서의 공휴일에 관한 규정: substitute holidays
(대체공휴일), election days and temporary holidays included. The holidays come from the maintained `holidays`
package (`holidays.KR`), which follows each year's announcements — a temporary holiday declared in the spring is in
its next release —, so that nothing here lists a holiday by hand.

Periods follow the Civil Act: the day a period starts from is not counted (민법 제157조), so "within 3 days of a
request on the 2nd" ends on the 5th. Counted in working days, a period in months whose last day is a Saturday or a
holiday ends on the next working day (민법 제161조); in calendar days (the default of every rule) it ends where it
falls, since the rules it serves are promises to residents ("a visit within 3 days"), not legal time limits.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays
from django.db import models
from django.utils.translation import gettext_lazy as _

ONE_DAY = timedelta(days=1)


class Counting(models.TextChoices):
    CALENDAR = "calendar", _("Calendar days")
    WORKING = "working", _("Working days")


class PeriodUnit(models.TextChoices):
    DAYS = "days", _("days")
    MONTHS = "months", _("months")


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> frozenset[date]:
    """One year's Korean public holidays, computed once. A frozen set per year, rather than one shared
    `holidays.KR` object that fills itself in year by year on lookup, so that the threads of the web server only
    ever read it."""
    return frozenset(holidays.KR(years=year).keys())


def is_holiday(day: date) -> bool:
    return day in _holidays_of(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_holiday(day)


def next_working_day(day: date) -> date:
    """`day` itself when it is a working day, otherwise the first working day after it."""
    while not is_working_day(day):
        day += ONE_DAY
    return day


def add_working_days(start: date, days: int) -> date:
    """The day on which `days` working days after `start` have passed (`start` itself not counted): one working day
    after a Friday is the Monday, or the Tuesday when the Monday is a holiday. Zero days is `start`."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    for _counted in range(days):
        day = next_working_day(day + ONE_DAY)
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` comes first): how many working days
    a deadline on `end` leaves from `start`, or how many have passed since."""
    if end < start:
        return -working_days_between(end, start)
    count, day = 0, start
    while day < end:
        day += ONE_DAY
        count += is_working_day(day)
    return count


def add_months(start: date, months: int) -> date:
    """The same day `months` later; the month's last day when it is shorter (31 January + 1 month = 28 or 29
    February), as the Civil Act counts a period in months (민법 제160조)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Period:
    """A deadline rule's arithmetic: `length` days or months after a start, in calendar or working days."""

    length: int
    unit: str = PeriodUnit.DAYS
    counting: str = Counting.CALENDAR

    def deadline(self, start: date) -> date:
        """The last day on which the rule is still met."""
        if self.unit == PeriodUnit.MONTHS:
            end = add_months(start, self.length)
            return next_working_day(end) if self.counting == Counting.WORKING else end
        if self.counting == Counting.WORKING:
            return add_working_days(start, self.length)
        return start + timedelta(days=self.length)

    def latest_start_due_by(self, on: date) -> date:
        """The latest start whose deadline falls on or before `on`. Deadlines never move earlier when the start
        moves later, so "overdue on `on`" is one comparison a database can make: start <= this(on - 1 day)."""
        start = on
        while self.deadline(start) > on:
            start -= ONE_DAY
        return start
