"""Aggregates: counts per dong that any role with statistics may see. Analysts get small cells suppressed, so
that a count of 1 or 2 cannot point at a household (DOLBOM_SMALL_CELL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Count, Q

from dolbom.cases.selectors import linkages_accepted, new_cases, won_delivered
from dolbom.core.dates import today_kst
from dolbom.core.scope import scope_for
from dolbom.intake.selectors import initial_consultations
from dolbom.registry.models import AreaLevel, Membership, Sector, current_on
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


@dataclass(frozen=True)
class CaseWorkFigures:
    """What the articles count of a dong's case work over a period (Songsan 3-dong: 257 initial consultations,
    38 new cases, 1,443 linkages; 325 services worth about 72 million won)."""

    code: str
    name: str
    initial_consultations: int | None
    new_cases: int | None
    public_linkages: int | None
    private_linkages: int | None
    public_won: int | None
    private_won: int | None


def case_work_figures(user: Any, start: date, end: date) -> list[CaseWorkFigures]:
    """Per dong, each figure from its own domain's selector; small cells suppressed for analysts."""
    consultations = initial_consultations(user, start, end)
    cases, linkages, won = (
        new_cases(user, start, end),
        linkages_accepted(user, start, end),
        won_delivered(user, start, end),
    )
    suppress = scope_for(user).sees_aggregates_only
    nothing = dict.fromkeys(Sector.values, 0)
    rows = []
    for dong in areas_visible_to(user).filter(level=AreaLevel.EUPMYEONDONG).order_by("code"):
        counted, valued = linkages.get(dong.code, nothing), won.get(dong.code, nothing)
        rows.append(
            CaseWorkFigures(
                dong.code,
                dong.name,
                _cell(consultations.get(dong.code, 0), suppress),
                _cell(cases.get(dong.code, 0), suppress),
                _cell(counted[Sector.PUBLIC], suppress),
                _cell(counted[Sector.PRIVATE], suppress),
                valued[Sector.PUBLIC],  # won are not people: nothing to suppress, but hidden with their count
                valued[Sector.PRIVATE],
            )
        )
    return [_hide_won_of_hidden(row) for row in rows]


def _hide_won_of_hidden(row: CaseWorkFigures) -> CaseWorkFigures:
    """A won total beside a suppressed count of one or two linkages would tell what one household received."""
    public_won = None if row.public_linkages is None else row.public_won
    private_won = None if row.private_linkages is None else row.private_won
    return CaseWorkFigures(**{**row.__dict__, "public_won": public_won, "private_won": private_won})
