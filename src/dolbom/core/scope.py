"""What one user may see, and the one place where that becomes a query.

A `Scope` is computed once per request from the user's staff record. Each domain declares, once per model it
scopes, a `Reach`: the lookup paths by which a row of that model reaches what scopes are made of (its 읍면동, its
시군구, its author, its person's or household's consent). `scoped(queryset, user, reach)` then narrows any queryset,
and `Scope.ensure_*` refuse a write outside the scope. Selectors and services call these; none of them compares
roles or writes an area filter of its own, so the rules below are the whole of row-level visibility:

| role                         | sees a row when                                                           |
|------------------------------|---------------------------------------------------------------------------|
| dong officer                 | its 읍면동 is one of the officer's                                        |
| district manager and admin   | its 시군구 is one of theirs (directly, or as the parent of its 읍면동)    |
| private agency worker        | its person or household consented to share with the agency, or they filed it |
|                              | (or it is the agency's own record: a food bank's stock)                   |
| safety-net member            | they filed it                                                             |
| analyst                      | never (aggregates only, through `aggregate_areas`)                        |
| city officer                 | its 시도 is theirs (a data-sharing agreement, a pooled model): never a    |
|                              | resident, a household or a district's list                                |

A row that belongs to the city as a whole (a pooled model: a `city` and no `district`) is seen by the district
roles of every district in that city as well.

Core imports no domain: what "consented" means for a person or a household is a condition the registry builds
(`dolbom.registry.scoping`) and a domain passes in its `Reach`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import reduce
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from dolbom.core.dates import today_kst
from dolbom.core.roles import AREA_ROLES, DISTRICT_ROLES, Role

M = TypeVar("M", bound=Model)

# Administrative codes have 10 digits: 시도 2, 시군구 3, 읍면동 3, 리 2. A district's own code ends in zeros.
CITY_PREFIX = 2
DISTRICT_PREFIX = 5

# A condition no row meets. Django answers it without asking the database.
NOTHING = Q(pk__in=[])

ConsentCondition = Callable[[int, date], Q]  # (agency id, date) → rows whose person or household consented


def district_of(area_code: str) -> str:
    """The 시군구 code an administrative code lies in (a district's own code gives itself)."""
    return area_code[:DISTRICT_PREFIX] + "0" * (len(area_code) - DISTRICT_PREFIX)


def city_of(area_code: str) -> str:
    """The 시도 code an administrative code lies in."""
    return area_code[:CITY_PREFIX] + "0" * (len(area_code) - CITY_PREFIX)


def _at(path: str, lookup: str) -> str:
    """`lookup` applied at the end of `path`; an empty path is the model itself (its primary key, its parent)."""
    if not path:
        return lookup
    return f"{path}__in" if lookup == "pk__in" else f"{path}__{lookup}"


@dataclass(frozen=True)
class Reach:
    """How the rows of one model reach what a scope is made of. Every field is optional; a role whose way of
    seeing the model has no path sees none of its rows.

    dong        lookup to the row's 읍면동 (an AdministrativeArea), e.g. "dong" or "household__dong"
    district    lookup to the 시군구 a row belongs to as a whole (a screening round); preferred over `dong` for
                district roles because it needs no join
    city        lookup to the 시도 a row belongs to (an agreement, a pooled model): the city officer's only way to
                see rows; with `district`, a row whose district is empty belongs to the whole city and its
                districts' staff see it too
    author      lookup to the user who filed the row (referrals)
    agency      lookup to the agency whose own record the row is (a food bank's stock): its private agency's workers
                see it, as they see what they filed
    consent     the condition "the row's person or household shared their data with this agency on this date"
    current     a condition making the `dong` path valid on a date (a person reaches a dong only through a
                membership in force), applied in the same filter so that it constrains the same joined row
    many        the paths cross a to-many relation: rows are de-duplicated through a subquery on the primary key
    """

    dong: str | None = None
    district: str | None = None
    author: str | None = None
    agency: str | None = None
    city: str | None = None
    consent: ConsentCondition | None = None
    current: Callable[[date], Q] | None = None
    many: bool = False


@dataclass(frozen=True)
class Scope:
    """What one user may see. `area_codes` are 읍면동 codes for a dong officer and 시군구 codes for district roles
    and analysts."""

    user_id: int | None
    role: Role | None
    agency_id: int | None = None
    area_codes: frozenset[str] = field(default_factory=frozenset)
    agency_area: str | None = None  # where the user's agency is (a private agency's workers have no areas)

    # ------------------------------------------------------------------------------------------ what the role is
    @property
    def sees_by_area(self) -> bool:
        return self.role in AREA_ROLES

    @property
    def sees_district(self) -> bool:
        return self.role in DISTRICT_ROLES

    @property
    def sees_by_consent(self) -> bool:
        return self.role == Role.AGENCY_WORKER

    @property
    def sees_own_filings_only(self) -> bool:
        return self.role == Role.SAFETY_NET

    @property
    def sees_aggregates_only(self) -> bool:
        return self.role == Role.ANALYST

    @property
    def sees_city(self) -> bool:
        return self.role == Role.CITY_OFFICER

    @property
    def city_codes(self) -> frozenset[str]:
        """The 시도 the user works in: their own for the city officer, their districts' for district roles."""
        return frozenset(city_of(code) for code in self.area_codes)

    @property
    def sees_persons(self) -> bool:
        return self.sees_by_area or self.sees_by_consent

    @property
    def district_codes(self) -> frozenset[str]:
        """The 시군구 the user works in: their own for district roles and analysts, their dongs' for officers and
        safety-net members."""
        return frozenset(district_of(code) for code in self.area_codes)

    # ----------------------------------------------------------------------------------------- rows as queries
    def condition(self, reach: Reach, *, on: date | None = None) -> Q:
        """The filter that keeps exactly the rows of the model the user may see."""
        on = on or today_kst()
        if self.sees_district and self.area_codes:
            if reach.district is not None:
                own = Q(**{_at(reach.district, "pk__in"): self.area_codes})
                if reach.city is None:
                    return own
                city_wide = Q(**{f"{reach.district}__isnull": True, _at(reach.city, "pk__in"): self.city_codes})
                return own | city_wide
            if reach.dong is not None:
                return self._dated(Q(**{_at(reach.dong, "parent__in"): self.area_codes}), reach, on)
        elif self.role == Role.DONG_OFFICER and self.area_codes:
            if reach.dong is not None:
                return self._dated(Q(**{_at(reach.dong, "pk__in"): self.area_codes}), reach, on)
        elif self.sees_by_consent:
            ways = []
            if reach.consent is not None and self.agency_id is not None:
                ways.append(reach.consent(self.agency_id, on))
            if reach.author is not None and self.user_id is not None:
                ways.append(Q(**{reach.author: self.user_id}))
            if reach.agency is not None and self.agency_id is not None:
                ways.append(Q(**{reach.agency: self.agency_id}))
            return reduce(operator.or_, ways) if ways else NOTHING
        elif self.sees_city and self.area_codes:
            ways = []
            if reach.city is not None:
                ways.append(Q(**{_at(reach.city, "pk__in"): self.area_codes}))
            if reach.author is not None and self.user_id is not None:  # what they asked for: a training job
                ways.append(Q(**{reach.author: self.user_id}))
            return reduce(operator.or_, ways) if ways else NOTHING
        elif self.sees_own_filings_only and reach.author is not None and self.user_id is not None:
            return Q(**{reach.author: self.user_id})
        return NOTHING

    def rows(self, queryset: QuerySet[M], reach: Reach, *, on: date | None = None) -> QuerySet[M]:
        condition = self.condition(reach, on=on)
        if reach.many and self._joins_dong_path(reach):
            # The dong path crosses a to-many relation: a row reached twice must be listed once.
            inner = queryset.model._base_manager.filter(condition).values("pk")
            return queryset.filter(pk__in=inner)
        return queryset.filter(condition)

    def _joins_dong_path(self, reach: Reach) -> bool:
        """Whether `condition` filters through `reach.dong` (the other ways are single-valued or subqueries)."""
        if reach.dong is None or not self.area_codes:
            return False
        return self.role == Role.DONG_OFFICER or (self.sees_district and reach.district is None)

    @staticmethod
    def _dated(area: Q, reach: Reach, on: date) -> Q:
        return area & reach.current(on) if reach.current is not None else area

    def aggregate_areas(self, dong_path: str = "") -> Q:
        """The 읍면동 whose aggregates the user may read: their own dongs, or their district's (analysts
        included, who see no row but the counts of their district). `dong_path` "" filters areas themselves."""
        if self.role == Role.DONG_OFFICER:
            return Q(**{_at(dong_path, "pk__in"): self.area_codes})
        if (self.sees_district or self.sees_aggregates_only) and self.area_codes:
            return Q(**{_at(dong_path, "parent__in"): self.area_codes})
        return NOTHING

    def aggregate_districts(self, district_path: str) -> Q:
        """The 시군구 whose district-wide aggregates the user may read — what belongs to no 읍면동 (money given to a
        programme, goods handed out at an event): district roles' and analysts' own. A dong officer reads their
        dongs' figures only (`aggregate_areas`), never the rest of the district's."""
        if (self.sees_district or self.sees_aggregates_only) and self.area_codes:
            return Q(**{_at(district_path, "pk__in"): self.area_codes})
        return NOTHING

    # ----------------------------------------------------------------------------------- refusing what is outside
    def covers_area(self, area_code: str) -> bool:
        """Whether a 읍면동 (or a district, for district roles) lies in the user's area."""
        if self.role == Role.DONG_OFFICER:
            return area_code in self.area_codes
        if self.sees_district:
            return district_of(area_code) in self.area_codes
        return False

    def files_in(self, dong_code: str) -> bool:
        """Whether the user may file a report (a referral) about a household of this 읍면동: officers and
        safety-net members in their own areas, a private agency in the district where it works."""
        if self.role in (Role.DONG_OFFICER, Role.SAFETY_NET):
            return dong_code in self.area_codes
        if self.sees_district:
            return district_of(dong_code) in self.area_codes
        if self.sees_by_consent and self.agency_area:
            return district_of(dong_code) == district_of(self.agency_area)
        return False

    def filing_areas(self, dong_path: str = "") -> Q:
        """The 읍면동 where `files_in` holds, as a filter (for the choices of a form)."""
        if self.role in (Role.DONG_OFFICER, Role.SAFETY_NET):
            return Q(**{_at(dong_path, "pk__in"): self.area_codes})
        if self.sees_district:
            return Q(**{_at(dong_path, "parent__in"): self.area_codes})
        if self.sees_by_consent and self.agency_area:
            return Q(**{_at(dong_path, "parent__in"): [district_of(self.agency_area)]})
        return NOTHING

    def ensure_area(self, area_code: str) -> None:
        if not self.covers_area(area_code):
            raise PermissionDenied("outside the user's area")

    def ensure_district(self, district_code: str) -> None:
        """District-wide work (rounds, imports, training) needs a district role in that very district."""
        if not (self.sees_district and district_code in self.area_codes):
            raise PermissionDenied("outside the user's district")

    def ensure_city(self, city_code: str) -> None:
        """City-wide work (pooled training) needs the city officer of that very city."""
        if not (self.sees_city and city_code in self.area_codes):
            raise PermissionDenied("outside the user's city")


NO_SCOPE = Scope(user_id=None, role=None)


def scope_for(user: Any) -> Scope:
    """The scope of a request's user; anonymous users, and accounts without a staff record, see nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_SCOPE
    cached = getattr(user, "_dolbom_scope", None)
    if cached is not None:
        return cached
    staff = getattr(user, "staff", None)
    if staff is None or not staff.active:
        scope = Scope(user_id=user.pk, role=None)
    else:
        scope = Scope(
            user_id=user.pk,
            role=Role(staff.role),
            agency_id=staff.agency_id,
            area_codes=frozenset(staff.areas.values_list("code", flat=True)),
            agency_area=staff.agency.area_id,
        )
    user._dolbom_scope = scope
    return scope


def scoped(queryset: QuerySet[M], user: Any, reach: Reach, *, on: date | None = None) -> QuerySet[M]:
    """The rows of `queryset` that `user` may see: the call every selector makes."""
    return scope_for(user).rows(queryset, reach, on=on)


def visible_or_404(rows: QuerySet[M], pk: Any) -> M:
    """One row of a scoped queryset; any other id answers 404, so that guessing ids tells nothing about which rows
    exist. For reads: a page about one household, one item."""
    row = rows.filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


def ensure_visible(rows: QuerySet[M], pk: Any) -> None:
    """Refuse a change to a row outside a scoped queryset. For writes, whose callers already hold the row."""
    if not rows.filter(pk=pk).exists():
        raise PermissionDenied("outside the user's scope")
