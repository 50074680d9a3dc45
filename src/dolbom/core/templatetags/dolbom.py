from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from dolbom.core.choices import choice_label
from dolbom.core.dates import age_on, today_kst
from dolbom.core.masking import mask_phone
from dolbom.core.money import format_won
from dolbom.core.numbers import redact
from dolbom.core.permissions import can

register = template.Library()


@register.filter
def age(birth_date: date | None) -> str:
    """만 나이 today, as every Korean rule counts it."""
    # Translators: a person's age in completed years.
    return "" if birth_date is None else _("%(years)s years") % {"years": age_on(birth_date, today_kst())}


@register.filter
def won(amount: int | None) -> str:
    return "" if amount is None else format_won(amount)


@register.filter
def cell(value: int | None) -> str:
    """A statistics cell; None is a suppressed small count."""
    from django.conf import settings

    return f"<{settings.SMALL_CELL}" if value is None else thousands(value)


@register.filter
def won_cell(amount: int | None) -> str:
    """A won figure of a statistics table; None is hidden beside a suppressed small count."""
    return cell(None) if amount is None else format_won(amount)


@register.filter
def thousands(value: Any) -> str:
    """A count with thousands separators (10,127), as Korean forms and reports write them. Written here rather
    than taken from django.contrib.humanize's intcomma, whose grouping follows the active locale's number format:
    a count reads the same on every page whatever the settings. Anything that is not a number is shown as is."""
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value))
        except (TypeError, ValueError):
            return "" if value is None else str(value)
    return f"{value:,}"


@register.filter
def staff_name(user: Any) -> str:
    """A user by the name colleagues know them by (their staff record's), or the login name when there is none."""
    if user is None:
        return ""
    staff = getattr(user, "staff", None)
    return staff.display_name if staff is not None else user.get_username()


@register.filter
def days_since(moment: datetime | date | None) -> int:
    """Whole days from a moment to today in Korea (0 on the same day)."""
    if moment is None:
        return 0
    day = timezone.localtime(moment).date() if isinstance(moment, datetime) else moment
    return max(0, (today_kst() - day).days)


@register.filter
def label(instance: Model | None, field_name: str) -> Any:
    """What `instance.get_<field_name>_display` shows, its choices' table built once per field and language
    (`core.choices`): for lists of many rows."""
    return choice_label(instance, field_name)


@register.filter
def may(user: object, action: str) -> bool:
    """Whether the user's role may do `action` (core.permissions.POLICY): to offer a link only to those who may
    follow it. The page behind the link checks again."""
    return can(user, action)


@register.filter
def numbers_masked(text: str | None, shown: bool = False) -> str:
    """Free text as typed (a visit note, what a reporter saw) with every resident, phone or card number in it
    masked, unless the numbers were asked for with a reason (`shown`): people write numbers into notes, and a note
    is on screen far more often than the number is needed."""
    if not text:
        return ""
    return str(text) if shown else redact(str(text), masked=True)


@register.filter
def phone_masked(phone: str | None, shown: bool = False) -> str:
    """A phone number masked (010-****-5678) unless asked for with a reason (`shown`)."""
    if not phone:
        return ""
    return str(phone) if shown else mask_phone(str(phone))
