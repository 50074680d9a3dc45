"""Dates are Korean: every 'today' and every deadline is counted in Asia/Seoul, whatever the server's zone."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

KST = ZoneInfo("Asia/Seoul")


def now_kst() -> datetime:
    return timezone.now().astimezone(KST)


def today_kst() -> date:
    """Today in Korea; outside production, the date DOLBOM_TODAY fixes (settings.TODAY_OVERRIDE), so that tests and
    demonstrations can show a deadline passing."""
    override = getattr(settings, "TODAY_OVERRIDE", None)
    return override if override is not None else now_kst().date()


def age_on(birth_date: date, on: date) -> int:
    """Age in completed years (만 나이), the age that every Korean rule uses since June 2023."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


# Years, months and days as officers type them: 2026-11-30, 2026.11.30, 2026. 11. 30., 2026/11/30, 20261130,
# with any dash or dot (full-width ones included, which NFKC turns into ASCII).
_DATE_PARTS = re.compile(r"^\s*(\d{4})\s*[-./년\s]\s*(\d{1,2})\s*[-./월\s]\s*(\d{1,2})\s*[.일]?\s*$")
_DATE_DIGITS = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")


def parse_date(text: str) -> date | None:
    """A date typed in any of the usual Korean ways, or None when it is no date (31 February included)."""
    text = unicodedata.normalize("NFKC", text or "").translate(_DASHES)
    match = _DATE_PARTS.match(text) or _DATE_DIGITS.match(text)
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


_DASHES = {ord(ch): "-" for ch in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"}
