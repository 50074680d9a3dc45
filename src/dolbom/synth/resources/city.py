"""What the plan reads of the loaded registry, per district: its dongs and households, the city's agencies, the
staff who record, and the households that may receive help (a member consented to resource support)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count

from dolbom.core.dates import age_on
from dolbom.core.roles import Role
from dolbom.registry.models import (
    AdministrativeArea,
    Agency,
    Consent,
    ConsentPurpose,
    Household,
    Membership,
    Staff,
    current_on,
)
from dolbom.synth.resources import catalogue as data
from dolbom.synth.resources.draw import DAY, Draw


@dataclass
class Home:
    """A household that may receive help: a member consented to resource support for a while."""

    household: Household  # a stand-in with the id and dong, which is all `allowed_in` reads
    dong: AdministrativeArea
    windows: list[tuple[date, date | None]]  # the consent in force from the first day until the second (excluded)
    groups: tuple[str, ...]

    def supported_on(self, day: date) -> bool:
        return any(start <= day and (end is None or day < end) for start, end in self.windows)

    def day_between(self, draw: Draw, start: date, end: date) -> date | None:
        """A day in [start, end] on which the household may receive help, or None."""
        spans = [(max(s, start), min(e - DAY, end) if e else end) for s, e in self.windows]
        spans = [(a, b) for a, b in spans if a <= b]
        if not spans:
            return None
        first, last = draw.pick(spans)
        return draw.day(first, last)


@dataclass
class District:
    area: AdministrativeArea
    city_name: str
    dongs: list[AdministrativeArea]
    households: int
    households_by_dong: dict[str, int]
    agencies: list[Agency]  # of the whole city
    recorders: list[Any]  # users of the district's staff who keep its records
    officers: dict[str, Any]  # dong code → a user of that dong's officers
    homes: list[Home]

    @classmethod
    def read(cls, code: str, today: date) -> District | None:
        area = AdministrativeArea.objects.select_related("parent").filter(pk=code).first()
        if area is None:
            return None
        recorders = [
            s.user
            for s in Staff.objects.filter(
                role__in=[Role.DISTRICT_ADMIN, Role.DISTRICT_MANAGER], areas=code, active=True
            ).select_related("user").order_by("pk")
        ]  # fmt: skip
        if not recorders:
            return None
        dongs = list(AdministrativeArea.objects.filter(parent=code).order_by("code"))
        counts = dict(
            Household.objects.filter(dong__parent=code).values("dong").annotate(n=Count("pk")).values_list("dong", "n")
        )
        officers: dict[str, Any] = {}
        found = Staff.objects.filter(role=Role.DONG_OFFICER, areas__parent=code, active=True)
        for staff in found.select_related("user").prefetch_related("areas").order_by("pk"):
            for dong in staff.areas.all():
                officers.setdefault(dong.code, staff.user)
        city = area.parent
        # The city's agencies: the district's own, and those of the city or the other district for city-wide roles.
        agencies = list(Agency.objects.filter(active=True, area__code__startswith=code[:2]).order_by("pk"))
        return cls(
            area=area,
            city_name=city.name if city else "",
            dongs=dongs,
            households=sum(counts.values()),
            households_by_dong=counts,
            agencies=agencies,
            recorders=recorders,
            officers=officers,
            homes=read_homes(code, {d.code: d for d in dongs}, today),
        )


def read_homes(code: str, dongs: dict[str, AdministrativeArea], today: date) -> list[Home]:
    """The district's households with a member who consented to resource support, when, and the groups (홀몸 어르신
    …) they belong to today."""
    consents = Consent.objects.filter(purpose=ConsentPurpose.RESOURCE_SUPPORT)
    periods: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for person, given, withdrawn in consents.values_list("person_id", "given_on", "withdrawn_on").order_by("pk"):
        periods[person].append((given, withdrawn))
    memberships = Membership.objects.filter(person_id__in=consents.values("person_id"), household__dong__parent=code)
    windows: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    dong_of: dict[int, str] = {}
    for household, dong, person, moved_in, moved_out in memberships.values_list(
        "household_id", "household__dong_id", "person_id", "moved_in", "moved_out"
    ).order_by("household_id", "pk"):
        dong_of[household] = dong
        for given, withdrawn in periods[person]:
            start = max(moved_in, given)
            ends = [e for e in (moved_out, withdrawn) if e is not None]
            end = min(ends) if ends else None
            if end is None or start < end:  # the consent was in force while they lived there
                windows[household].append((start, end))
    members: dict[int, list[tuple[str, date, str, date | None]]] = defaultdict(list)
    current = Membership.objects.filter(current_on(today), household_id__in=memberships.values("household_id"))
    for household, relationship, birth, disability, death in current.values_list(
        "household_id", "relationship", "person__birth_date", "person__disability", "person__date_of_death"
    ).order_by("household_id", "pk"):
        members[household].append((relationship, birth, disability, death))
    return [
        Home(
            household=Household(pk=household, dong_id=dong_of[household]),
            dong=dongs[dong_of[household]],
            windows=sorted(set(windows[household]), key=lambda w: (w[0], w[1] or date.max)),
            groups=groups_of(members[household], today),
        )
        for household in sorted(windows)
        if dong_of[household] in dongs
    ]


def groups_of(members: list[tuple[str, date, str, date | None]], today: date) -> tuple[str, ...]:
    alive = [m for m in members if m[3] is None or m[3] > today]
    relationships = {m[0] for m in alive}
    found = []
    if len(alive) == 1 and age_on(alive[0][1], today) >= 65:
        found.append(data.ELDERLY_ALONE)
    if "spouse" not in relationships and any(r == "child" and age_on(b, today) < 18 for r, b, _d, _x in alive):
        found.append(data.SINGLE_PARENT)
    if any(m[2] for m in alive):
        found.append(data.DISABLED)
    if "grandchild" in relationships and "child" not in relationships:
        found.append(data.GRANDPARENTS)
    return tuple(found)
