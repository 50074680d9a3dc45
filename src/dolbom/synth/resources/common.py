"""What every part of the resources' plan shares: the random streams, the rows collected and written in bulk, the
day-by-day timeline, and the district's context (`DistrictPart`)."""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from dolbom.registry.models import AdministrativeArea, Agency, AgencyKind, Sector
from dolbom.resources.models import (
    Agreement,
    Allocation,
    Distribution,
    Donation,
    Donor,
    Fund,
    Lot,
    Organization,
    Service,
    ServiceArea,
    ServiceDomain,
    Sponsorship,
    Volunteer,
    VolunteerHours,
    VolunteerSkill,
)
from dolbom.synth.resources.city import District
from dolbom.synth.resources.draw import DAY, Draw

SCALE_HOUSEHOLDS = 10_000  # a district of this size gets the base counts
# One random stream per part of the plan, so that drawing more in one part never shifts another's numbers.
DIRECTORY, DONORS, MONEY, SPONSORSHIPS, GOODS, VOLUNTEERS, RECEIPTS = range(7)
# The namespace of the directory's HSDS identifiers (fixed: the same city exports the same documents).
NAMESPACE = uuid.UUID("b7f3a5a2-3c1e-4d59-8f0a-5e2f1c9d7a41")


@dataclass(frozen=True)
class ResourceSummary:
    organizations: int = 0
    services: int = 0
    agreements: int = 0
    donors: int = 0
    donations: int = 0
    allocations: int = 0
    sponsorships: int = 0
    lots: int = 0
    distributions: int = 0
    volunteers: int = 0
    volunteer_hours: int = 0

    def __str__(self) -> str:
        return (
            f"{self.services:,} services of {self.organizations:,} providers, {self.agreements} agreements, "
            f"{self.donors:,} donors, {self.donations:,} gifts, {self.allocations:,} allocations, "
            f"{self.sponsorships} sponsorships, {self.lots:,} lots, {self.distributions:,} distributions, "
            f"{self.volunteers:,} volunteers with {self.volunteer_hours:,} records of hours"
        )


@dataclass
class Rows:
    """Every row drawn, in the order they are written (which keeps the day-by-day order in the ids)."""

    organizations: dict[str, Organization] = field(default_factory=dict)
    services: list[Service] = field(default_factory=list)
    service_domains: list[ServiceDomain] = field(default_factory=list)
    service_areas: list[ServiceArea] = field(default_factory=list)
    agreements: list[tuple[Agreement, list[Service]]] = field(default_factory=list)
    donors: list[Donor] = field(default_factory=list)
    funds: list[Fund] = field(default_factory=list)
    donations: list[Donation] = field(default_factory=list)
    donation_reversals: list[Donation] = field(default_factory=list)
    sponsorships: list[Sponsorship] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)
    allocation_reversals: list[Allocation] = field(default_factory=list)
    lots: list[Lot] = field(default_factory=list)
    distributions: list[Distribution] = field(default_factory=list)
    distribution_reversals: list[Distribution] = field(default_factory=list)
    volunteers: list[Volunteer] = field(default_factory=list)
    skills: list[VolunteerSkill] = field(default_factory=list)
    hours: list[VolunteerHours] = field(default_factory=list)

    def write(self) -> ResourceSummary:
        # Parents before children: each bulk_create gives its rows their ids, which the next table's rows take from
        # the instances they point to. Corrections after what they correct.
        Organization.objects.bulk_create(self.organizations.values())
        Service.objects.bulk_create(self.services)
        ServiceDomain.objects.bulk_create(self.service_domains)
        ServiceArea.objects.bulk_create(self.service_areas)
        Agreement.objects.bulk_create([a for a, _s in self.agreements])
        through = Agreement.services.through
        through.objects.bulk_create(
            through(agreement_id=a.pk, service_id=s.pk) for a, services in self.agreements for s in services
        )
        Donor.objects.bulk_create(self.donors)
        Fund.objects.bulk_create(self.funds)
        Sponsorship.objects.bulk_create(self.sponsorships)  # before the monthly gifts that name it
        Donation.objects.bulk_create(self.donations)
        Donation.objects.bulk_create(self.donation_reversals)
        Allocation.objects.bulk_create(self.allocations)
        Allocation.objects.bulk_create(self.allocation_reversals)
        Lot.objects.bulk_create(self.lots)
        Distribution.objects.bulk_create(self.distributions)
        Distribution.objects.bulk_create(self.distribution_reversals)
        Volunteer.objects.bulk_create(self.volunteers)
        VolunteerSkill.objects.bulk_create(self.skills)
        VolunteerHours.objects.bulk_create(self.hours)
        return ResourceSummary(
            organizations=len(self.organizations),
            services=len(self.services),
            agreements=len(self.agreements),
            donors=len(self.donors),
            donations=len(self.donations) + len(self.donation_reversals),
            allocations=len(self.allocations) + len(self.allocation_reversals),
            sponsorships=len(self.sponsorships),
            lots=len(self.lots),
            distributions=len(self.distributions) + len(self.distribution_reversals),
            volunteers=len(self.volunteers),
            volunteer_hours=len(self.hours),
        )


# One thing that happens on a day, in the order of the day: (day, order within the day, sequence, what to do).
Event = tuple[date, int, int, Callable[[], None]]
GIFTS_IN, CORRECTED_AGAIN, GIVING, CLEARANCE, REVERSALS = range(5)


def run_timeline(timeline: list[Event]) -> None:
    """Everything in the order of the days, within a day in the order of its kind, then as scheduled; what runs
    may schedule more (a correction days later)."""
    heapq.heapify(timeline)
    while timeline:
        heapq.heappop(timeline)[3]()


class DistrictPart:
    """One part of a district's plan (its directory, ledger, food market, volunteers), with what they share."""

    def __init__(self, rows: Rows, district: District, *, seed: int, index: int, today: date) -> None:
        self.rows, self.d, self.seed, self.index, self.today = rows, district, seed, index, today
        self.start = today - timedelta(days=364)  # a year of records, up to yesterday
        self.scale = district.households / SCALE_HOUSEHOLDS
        self.code = district.area.code
        dongs = {d.code for d in district.dongs}
        self.local = [a for a in district.agencies if a.area_id == self.code or a.area_id in dongs]
        self.recorder = district.recorders[0]
        self.market, self.second_bank = self._food_banks()

    def draw(self, purpose: int) -> Draw:
        return Draw(self.seed, self.index, purpose)

    def count(self, base: float, least: int, most: int | None = None) -> int:
        """`base` for a district of SCALE_HOUSEHOLDS, in proportion to this one's households, at least `least`."""
        n = max(least, round(base * self.scale))
        return min(n, most) if most is not None else n

    def fill(self, text: str, dong: AdministrativeArea | None = None) -> str:
        return text.format(city=self.d.city_name, district=self.d.area.name, dong=dong.name if dong else "")

    def _food_banks(self) -> tuple[Agency | None, Agency | None]:
        """Who keeps the district's goods: its general welfare centre runs the food market; another welfare centre
        or food bank of the district keeps some (the agencies whose stock the district's staff keep)."""
        banks = [
            a for a in self.local
            if a.sector == Sector.PRIVATE and a.kind in (AgencyKind.FOOD_BANK, AgencyKind.WELFARE_CENTRE)
        ]  # fmt: skip
        if not banks:
            return None, None
        market = ([a for a in banks if "노인" not in a.name and "장애인" not in a.name] or banks)[0]
        others = [a for a in banks if a != market]
        return market, (others[0] if others else market)


def landline(seed: int, name: str) -> str:
    """A landline in the city's unassigned area code (the agencies' numbers are in it too): it rings no one."""
    number = uuid.uuid5(NAMESPACE, f"{seed}:phone:{name}").int
    return f"039-{800 + number % 100:03d}-{number // 100 % 9000 + 1000:04d}"


def first_days(start: date, today: date) -> list[date]:
    """The first day of every month after `start`'s, up to today's."""
    first = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    found = []
    while first <= today:
        found.append(first)
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return found


def month_end(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1) - DAY
