"""Aggregates: counts per dong that any role with statistics may see. Analysts get small cells suppressed, so
that a count of 1 or 2 cannot point at a household (DOLBOM_SMALL_CELL)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from dolbom.cases.selectors import linkages_accepted, linkages_delivered, new_cases, won_delivered
from dolbom.core.dates import today_kst
from dolbom.core.money import approx_won
from dolbom.core.scope import scope_for
from dolbom.intake.selectors import emergency_support_paid, initial_consultations
from dolbom.registry.models import AreaLevel, Membership, Sector, current_on
from dolbom.registry.revision import kept_until_registry_changes
from dolbom.registry.selectors import areas_visible_to
from dolbom.resources.selectors import goods_given, money_allocated


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
    codes = [d.code for d in dongs]
    # The dongs by a digest: a city officer's hundreds of codes would make a key longer than some caches accept.
    dongs_key = hashlib.blake2b(",".join(codes).encode(), digest_size=16).hexdigest()
    counted = kept_until_registry_changes(f"dong_figures:{on.isoformat()}:{dongs_key}", lambda: _counted(codes, on))
    suppress = scope_for(user).sees_aggregates_only
    return [DongFigures(d.code, d.name, **{k: _cell(v, suppress) for k, v in counted[d.code].items()}) for d in dongs]


def _counted(codes: list[str], on: date) -> dict[str, dict[str, int]]:
    """The figures of each dong, before any suppression: the same for every user who sees these dongs, and kept
    until the registry changes (a district's ~110,000 memberships grouped take ~250 ms on SQLite)."""
    current = Membership.objects.filter(current_on(on), household__dong_id__in=codes)
    # One row per household, and the persons' counts with it: the district's memberships are read once.
    households = (
        current.values("household_id", "household__dong_id")
        .annotate(
            size=Count("id"),
            elders=Count("id", filter=Q(person__birth_date__lte=_birth_limit(on, 65))),
            disabled=Count("id", filter=~Q(person__disability="")),
            foreign=Count("id", filter=~Q(person__nationality="KR")),
        )
        .order_by()
    )
    per_dong: dict[str, dict[str, int]] = {code: dict.fromkeys(FIGURES, 0) for code in codes}
    for code, *figures in _per_dong(households):
        per_dong[code].update(zip(FIGURES, figures, strict=True))
    return per_dong


def _per_dong(households: QuerySet[Membership]) -> list[tuple[str, int, int, int, int, int]]:
    """(dong, households, single-person households, elderly living alone, disabled persons, foreign persons)
    from the per-household counts, summed by the database: a district has tens of thousands of households, and
    bringing one row for each into Python took most of the statistics page's time. The ORM cannot group an
    aggregate again, so the per-household query it built (its scope included) is wrapped in one more GROUP BY."""
    try:
        inner, params = households.query.sql_with_params()
    except EmptyResultSet:  # no dong to count
        return []
    dong, size, elders, disabled, foreign = (
        connection.ops.quote_name(name) for name in ("household__dong_id", "size", "elders", "disabled", "foreign")
    )
    # Only the ORM's own SQL and quoted constant names go into the text; every value stays a parameter.
    sql = (
        f"SELECT {dong}, COUNT(*), SUM(CASE WHEN {size} = 1 THEN 1 ELSE 0 END), "  # noqa: S608
        f"SUM(CASE WHEN {size} = 1 THEN {elders} ELSE 0 END), SUM({disabled}), SUM({foreign}) "
        f"FROM ({inner}) per_household GROUP BY {dong}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], *(int(value or 0) for value in row[1:])) for row in cursor.fetchall()]


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


# ------------------------------------------------------------------------------------------ resources reached
@dataclass(frozen=True)
class Tally:
    """How many (linkages, households, applications) and how many won. For an analyst, a small count is None,
    and so is the won beside it: it would tell what one household received."""

    count: int | None
    won: int | None


NONE = Tally(0, 0)
HIDDEN = Tally(None, None)
RESOURCE_FIGURES = (
    "public_linkages",
    "private_linkages",
    "public_money",
    "private_money",
    "public_goods",
    "private_goods",
    "emergency",
)


@dataclass(frozen=True)
class ResourceRow:
    """What reached a dong (or, in the total, the user's dongs and district) over a period: linkages delivered,
    money allocated from the donations ledger, food-bank goods and emergency support, public and private apart."""

    code: str
    name: str
    public_linkages: Tally
    private_linkages: Tally
    public_money: Tally
    private_money: Tally
    public_goods: Tally
    private_goods: Tally
    emergency: Tally  # public money by law


@dataclass(frozen=True)
class ResourceFigures:
    rows: list[ResourceRow]
    total: ResourceRow
    district_wide: bool  # the total also holds what reached no dong (a programme, an event)

    @property
    def summary(self) -> str:
        """The total in one line, as the articles write it ("325건, 약 7,200만 원 연계"); a figure hidden from the
        reader is left out."""
        t = self.total
        parts = []
        linkages = _joined(t.public_linkages, t.private_linkages)
        if linkages.count:
            parts.append(
                _("%(count)s services linked, %(won)s")
                % {"count": f"{linkages.count:,}", "won": approx_won(linkages.won)}
            )
        for value, text in (
            (_joined(t.public_money, t.private_money), _("donated and public money allocated: %(won)s")),
            (_joined(t.public_goods, t.private_goods), _("food-bank goods given: %(won)s")),
        ):
            if value.won:
                parts.append(text % {"won": approx_won(value.won)})
        if t.emergency.count:
            parts.append(
                _("emergency support: %(count)s applications, %(won)s")
                % {"count": f"{t.emergency.count:,}", "won": approx_won(t.emergency.won or 0)}
            )
        return " · ".join(parts)


def _joined(public: Tally, private: Tally) -> Tally:
    """Public and private together; hidden if either is."""
    if public.count is None or private.count is None or public.won is None or private.won is None:
        return HIDDEN
    return Tally(public.count + private.count, public.won + private.won)


def _tally(raw: tuple[int, int], suppress: bool) -> Tally:
    count = _cell(raw[0], suppress)
    return Tally(count, None if count is None else raw[1])


def resource_figures(user: Any, start: date, end: date) -> ResourceFigures:
    """Per dong and in total over `start`–`end`, each figure from its own domain's aggregate selector (a few
    queries, whatever the number of rows), over the areas whose aggregates the user may read, small cells
    suppressed for analysts as in the case work. A total whose column hides a dong's cell is hidden as well: the
    hidden cell would be the total minus the others."""
    delivered = linkages_delivered(user, start, end)
    money, goods = money_allocated(user, start, end), goods_given(user, start, end)
    emergency = emergency_support_paid(user, start, end)
    suppress = scope_for(user).sees_aggregates_only
    nothing = dict.fromkeys(Sector.values, (0, 0))

    def raw(code: str | None) -> dict[str, tuple[int, int]]:
        return {
            "public_linkages": delivered.get(code, nothing)[Sector.PUBLIC] if code else (0, 0),
            "private_linkages": delivered.get(code, nothing)[Sector.PRIVATE] if code else (0, 0),
            "public_money": money.get(code, nothing)[Sector.PUBLIC],
            "private_money": money.get(code, nothing)[Sector.PRIVATE],
            "public_goods": goods.get(code, nothing)[Sector.PUBLIC],
            "private_goods": goods.get(code, nothing)[Sector.PRIVATE],
            "emergency": emergency.get(code, (0, 0)) if code else (0, 0),
        }

    dongs = list(areas_visible_to(user).filter(level=AreaLevel.EUPMYEONDONG).order_by("code"))
    raws = {dong.code: raw(dong.code) for dong in dongs}
    rows = [
        ResourceRow(dong.code, dong.name, **{f: _tally(raws[dong.code][f], suppress) for f in RESOURCE_FIGURES})
        for dong in dongs
    ]
    elsewhere = raw(None)  # what reached no dong: empty unless the user reads district-wide figures
    totals = {}
    for f in RESOURCE_FIGURES:
        cells = [*(raws[d.code][f] for d in dongs), elsewhere[f]]
        total = (sum(c[0] for c in cells), sum(c[1] for c in cells))
        hides_a_cell = any(getattr(row, f).count is None for row in rows)
        totals[f] = HIDDEN if hides_a_cell else _tally(total, suppress)
    district_wide = scope_for(user).sees_district or suppress
    return ResourceFigures(rows=rows, total=ResourceRow("", _("Total"), **totals), district_wide=district_wide)
