"""The food bank and market's writes: stocking a lot (goods bought or given outside the donations ledger go into
the district's general fund), giving units out to a household or an event first-expiring first, and correcting a
movement with a reversing row.

Stock never goes below zero, even when two workers hand out the last units at once: the lots are locked
(`select_for_update`) in the order they are taken from, the remaining units are read under the lock, and the
database's check constraint refuses a negative count should anything else slip. On SQLite the whole database is
locked by the first writer, which gives the same answer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import district_of
from dolbom.registry.models import Household, Sector
from dolbom.resources.models import Designation, Distribution, Lot
from dolbom.resources.selectors import distributions_visible_to, food_banks_for, lots_visible_to
from dolbom.resources.services.donations import (
    _fund,
    _household_in_scope,
    _text,
    _won,
    allowed_in,
    consented_to_support,
)

EXPIRY_ALERT_DAYS = 7  # lots expiring within a week are shown first, to give them out before they spoil
UNITS_MAX = 1_000_000


def stock_lot(
    *,
    user: Any,
    agency_id: int | None,
    item: str,
    unit: str,
    units: int | None,
    unit_won: int | None,
    received_on: date | None,
    expires_on: date | None = None,
    lot_code: str = "",
    sector: str = Sector.PRIVATE,
) -> Lot:
    """Goods that come in outside the donations ledger (bought with public money, or given straight to the food
    bank): a lot of the agency's stock, in the district's general fund of that sector."""
    ensure_can(user, "resources.keep_stock")
    errors: dict[str, str] = {}
    holder = food_banks_for(user).filter(pk=agency_id or 0).first()
    if holder is None:
        errors["agency"] = _("Choose the food bank or centre that keeps the goods.")
    values = {
        "item": _text(item, field="item", label=_("the item"), limit=100, required=True, errors=errors),
        "unit": _text(unit, field="unit", label=_("the unit"), limit=20, required=True, errors=errors),
        "lot_code": _text(lot_code, field="lot_code", label=_("Lot"), limit=40, required=False, errors=errors),
    }
    if not isinstance(units, int) or not (0 < units <= UNITS_MAX):
        errors["units"] = _("Enter how many units, a whole number above zero.")
    value = _won(unit_won, field="unit_won", errors=errors)
    if received_on is None:
        errors["received_on"] = _("Enter the date the goods came in, such as 2026-11-30.")
    if sector not in Sector.values:
        errors["sector"] = _("Choose whether the goods were bought with public money or given.")
    if errors:
        raise ValidationError(errors)
    district = district_of(holder.area_id)
    with transaction.atomic():
        fund = _fund(district, Designation.GENERAL, sector=sector)
        lot = Lot.objects.create(
            district_id=district,
            agency=holder,
            fund=fund,
            received_on=received_on,
            expires_on=expires_on,
            received=units,
            remaining=units,
            unit_won=value,
            sector=sector,
            recorded_by=user,
            **values,
        )
        audit.record(user, "resources.stock_lot", lot, detail={"agency": holder.pk, "units": units, "value": value})
    return lot


def distribute(
    *,
    user: Any,
    agency_id: int | None,
    item: str,
    units: int | None,
    household_id: int | None = None,
    event: str = "",
    on: date | None = None,
    purpose: str = "",
    group: str = "",
) -> list[Distribution]:
    """Give units of an item out of an agency's stock to a household (who consented to resource support) or an
    event, first-expiring first among the lots whose designation allows it; expired lots are never given. Refused
    whole when the stock holds fewer units than asked."""
    ensure_can(user, "resources.keep_stock")
    on = on or today_kst()
    errors: dict[str, str] = {}
    # Rows outside the user's scope are refused before anything typed is judged: the same 404 as for no such row.
    holder = food_banks_for(user).filter(pk=agency_id or 0).first()
    if agency_id is not None and holder is None:
        raise Http404  # an agency whose stock the user does not keep
    household: Household | None = None
    if household_id is not None:
        household = _household_in_scope(user, household_id)
    if agency_id is None:
        errors["agency"] = _("Choose the food bank or centre that keeps the goods.")
    if not isinstance(units, int) or not (0 < units <= UNITS_MAX):
        errors["units"] = _("Enter how many units, a whole number above zero.")
    event = _text(event, field="event", label=_("the event"), limit=200, required=False, errors=errors)
    if household is not None:
        if not consented_to_support(household, on):
            errors["household"] = _(
                "No member of this household has consented to resource support: record the consent first."
            )
    elif not event:
        errors["household"] = _("Choose a household, or name the event the goods go to.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Locked in the order they are taken from, so that two distributions of one item wait on each other at
        # the first lot instead of deadlocking; the count is read again under the lock.
        candidates = list(
            lots_visible_to(user)
            .select_for_update(of=("self",))
            .filter(agency=holder, item=item, remaining__gt=0)
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))
            .order_by(F("expires_on").asc(nulls_last=True), "received_on", "pk")
        )
        usable = [
            lot
            for lot in candidates
            if allowed_in(lot.fund, household=household, programme=event, purpose=purpose, group=group) is None
        ]
        available = sum(lot.remaining for lot in usable)
        if available < units:
            raise ValidationError(
                {
                    "units": _("Only %(available)s %(unit)s of %(item)s can go to this recipient: give at most that.")
                    % {"available": f"{available:,}", "unit": usable[0].unit if usable else "", "item": item}
                }
            )
        taken, left = [], units
        for lot in usable:
            if left == 0:
                break
            part = min(left, lot.remaining)
            lot.remaining -= part
            lot.save(update_fields=["remaining"])
            taken.append(
                Distribution.objects.create(
                    lot=lot,
                    district_id=lot.district_id,
                    agency=holder,
                    household=household,
                    dong_id=household.dong_id if household else None,
                    event=event,
                    units=part,
                    value_won=part * lot.unit_won,
                    sector=lot.sector,
                    on=on,
                    recorded_by=user,
                )
            )
            left -= part
        audit.record(
            user,
            "resources.distribute",
            taken[0],
            detail={
                "agency": holder.pk,
                "units": units,
                "lots": [d.lot_id for d in taken],
                "household": household.pk if household else None,
                "value": sum(d.value_won for d in taken),
            },
        )
    return taken


def reverse_distribution(*, user: Any, distribution_id: int, reason: str) -> Distribution:
    """Correct a movement out recorded by mistake: a reversing row puts the units back in their lot."""
    ensure_can(user, "resources.keep_stock")
    errors: dict[str, str] = {}
    why = _text(reason, field="reason", label=_("the reason"), limit=200, required=True, errors=errors)
    with transaction.atomic():
        original = distributions_visible_to(user).select_for_update(of=("self",)).filter(pk=distribution_id).first()
        if original is None:
            raise Http404
        lot = Lot.objects.select_for_update().get(pk=original.lot_id)
        if original.reverses_id is not None or Distribution.objects.filter(reverses=original).exists():
            errors["reason"] = _("This entry is a correction or has been corrected already.")
        if errors:
            raise ValidationError(errors)
        lot.remaining += original.units
        lot.save(update_fields=["remaining"])
        reversal = Distribution.objects.create(
            lot=lot,
            district_id=original.district_id,
            agency_id=original.agency_id,
            household=original.household,
            dong_id=original.dong_id,
            event=original.event,
            units=-original.units,
            value_won=-original.value_won,
            sector=original.sector,
            on=today_kst(),
            reverses=original,
            reason=why,
            recorded_by=user,
        )
        audit.record(user, "resources.reverse_distribution", reversal, detail={"reverses": original.pk})
    return reversal


@dataclass(frozen=True)
class StockLine:
    agency: Any
    item: str
    unit: str
    units: int
    value_won: int
    next_expiry: date | None


def stock_of(user: Any) -> list[StockLine]:
    """What the user's food banks hold, per agency and item: units, won value and the nearest expiry."""
    lines: dict[tuple[int, str, str], list[Lot]] = defaultdict(list)
    today = today_kst()
    for lot in (
        lots_visible_to(user).filter(remaining__gt=0).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
    ):
        lines[(lot.agency_id, lot.item, lot.unit)].append(lot)
    return [
        StockLine(
            agency=lots[0].agency,
            item=item,
            unit=unit,
            units=sum(lot.remaining for lot in lots),
            value_won=sum(lot.remaining * lot.unit_won for lot in lots),
            next_expiry=min((lot.expires_on for lot in lots if lot.expires_on), default=None),
        )
        for (_agency, item, unit), lots in sorted(lines.items(), key=lambda kv: (kv[1][0].agency.name, kv[0][1]))
    ]


def expiry_alerts(user: Any, *, within_days: int = EXPIRY_ALERT_DAYS) -> list[Lot]:
    """Lots with units left that expire within the coming days (or have expired and must be taken off)."""
    until = today_kst() + timedelta(days=within_days)
    return list(
        lots_visible_to(user)
        .filter(remaining__gt=0, expires_on__isnull=False, expires_on__lte=until)
        .order_by("expires_on", "pk")
    )


def monthly_value_by_dong(user: Any, *, year: int) -> list[dict[str, Any]]:
    """The won value of goods given to households per 읍면동 and month of a year (corrections included)."""
    rows = (
        distributions_visible_to(user)
        .filter(on__year=year, dong__isnull=False)
        .annotate(month=TruncMonth("on"))
        .values("dong__name", "dong", "month")
        .order_by("dong", "month")
    )
    from django.db.models import Sum

    return list(rows.annotate(value=Sum("value_won"), units=Sum("units")))


@dataclass(frozen=True)
class FoodBankPage:
    stock: list[StockLine]
    alerts: list[Lot]
    by_dong: list[dict[str, Any]]
    distributions: list[Distribution]

    @property
    def stock_value(self) -> int:
        return sum(line.value_won for line in self.stock)


def open_food_bank(*, user: Any, year: int | None = None) -> FoodBankPage:
    """The food bank's page: its stock, lots about to expire, the won value given per dong and month, and the
    latest movements. Audited: the movements name the households goods went to."""
    ensure_can(user, "resources.view_stock")
    page = FoodBankPage(
        stock=stock_of(user),
        alerts=expiry_alerts(user),
        by_dong=monthly_value_by_dong(user, year=year or today_kst().year),
        distributions=list(distributions_visible_to(user).select_related("household")[:100]),
    )
    audit.record(
        user, "resources.view_stock",
        detail={"households": sorted({d.household_id for d in page.distributions if d.household_id})},
    )  # fmt: skip
    return page
