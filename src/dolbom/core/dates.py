"""Dates are Korean: every 'today' and every deadline is counted in Asia/Seoul, whatever the server's zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

KST = ZoneInfo("Asia/Seoul")


def now_kst() -> datetime:
    return timezone.now().astimezone(KST)


def today_kst() -> date:
    return now_kst().date()


def age_on(birth_date: date, on: date) -> int:
    """Age in completed years (만 나이), the age that every Korean rule uses since June 2023."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
