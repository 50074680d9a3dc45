"""Aggregates: counts per dong that any role with statistics may see. Analysts get small cells suppressed, so
that a count of 1 or 2 cannot point at a household (DOLBOM_SMALL_CELL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Count, Q

from dolbom.core.dates import today_kst
from dolbom.core.scope import scope_for
from dolbom.registry.models import Membership, current_on
from dolbom.registry.selectors import areas_visible_to


@dataclass(frozen=True)
class DongFigures:
    code: str
    name: str
    households: int | None
    single_person: int | None
    elderly_alone: int | None
    disabled_persons: int | None
    foreign_persons: int | None


FIGURES = ("households", "single_person", "elderly_alone", "disabled_persons", "foreign_persons")


def dong_figures(user: Any, *, on: date | None = None) -> list[DongFigures]:
    """Household and person counts per dong as of a date, for the dongs the user works in."""
    on = on or today_kst()
    dongs = list(areas_visible_to(user).order_by("code"))
    current = Membership.objects.filter(current_on(on), household__dong__in=dongs)
    sizes = (
        current.values("household_id", "household__dong_id")
        .annotate(size=Count("id"), elders=Count("id", filter=Q(person__birth_date__lte=_birth_limit(on, 65))))
        .order_by()
    )
    per_dong: dict[str, dict[str, int]] = {d.code: dict.fromkeys(FIGURES, 0) for d in dongs}
    for row in sizes:
        figures = per_dong[row["household__dong_id"]]
        figures["households"] += 1
        if row["size"] == 1:
            figures["single_person"] += 1
            figures["elderly_alone"] += row["elders"]
    persons = current.values("household__dong_id").annotate(
        disabled=Count("id", filter=~Q(person__disability="")),
        foreign=Count("id", filter=~Q(person__nationality="KR")),
    )
    for row in persons.order_by():
        per_dong[row["household__dong_id"]]["disabled_persons"] = row["disabled"]
        per_dong[row["household__dong_id"]]["foreign_persons"] = row["foreign"]
    suppress = scope_for(user).sees_aggregates_only
    return [DongFigures(d.code, d.name, **{k: _cell(v, suppress) for k, v in per_dong[d.code].items()}) for d in dongs]


def _cell(value: int, suppress: bool) -> int | None:
    return None if suppress and 0 < value < settings.SMALL_CELL else value


def _birth_limit(on: date, years: int) -> date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)
