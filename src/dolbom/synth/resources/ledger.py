"""The district's donations ledger: donors, a year of gifts of money and goods (general or designated), the
district's own budget and what it bought, allocations to consenting households and programmes day by day within
what each fund holds, sponsorships paid month by month, corrections as reversing rows, and receipts."""

from __future__ import annotations

import functools
import heapq
import itertools
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from dolbom.registry.models import AdministrativeArea, Agency, Sector
from dolbom.resources.models import (
    Allocation,
    Designation,
    Donation,
    Donor,
    DonorKind,
    Fund,
    GiftKind,
    Lot,
    Sponsorship,
)
from dolbom.resources.services.donations import allowed_in, fund_key
from dolbom.synth import names
from dolbom.synth.resources import catalogue as data
from dolbom.synth.resources.city import Home
from dolbom.synth.resources.common import (
    CORRECTED_AGAIN,
    DONORS,
    GIFTS_IN,
    GIVING,
    MONEY,
    REVERSALS,
    SPONSORSHIPS,
    DistrictPart,
    Event,
    first_days,
    landline,
    month_end,
    run_timeline,
)
from dolbom.synth.resources.draw import DAY, WON_STEP, Draw

# The share of its shelf life a donated food still has when it comes in: lowest, highest.
SHELF_LEFT = (0.3, 1.0)


@dataclass
class Gift:
    donor: Donor
    kind: str
    designation: str = Designation.GENERAL
    day: date | None = None  # drawn once the designation is known (a purpose has its season)
    amount: int = 0
    dong: AdministrativeArea | None = None
    purpose: str = ""
    group: str = ""
    description: str = ""
    item: data.Item | None = None
    units: int = 0
    agency: Agency | None = None
    expires_on: date | None = None
    fresh: bool = False  # fresh food given days ago: kept out of clearance and of what households ask for
    duplicate: bool = False  # recorded twice by mistake; the second entry is reversed at once

    @property
    def on(self) -> date:
        assert self.day is not None, "a gift's day is drawn before it is received"
        return self.day


class Ledger(DistrictPart):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.funds: dict[str, Fund] = {}
        self.cash: dict[str, int] = defaultdict(int)  # what each fund holds, day by day
        self.home_dong: dict[int, AdministrativeArea] = {}  # id(donor) → the dong a dong's own group gives to
        self.lot_numbers = itertools.count(1)
        self.first_donation = len(self.rows.donations)
        # Donors designate to the groups the district's households belong to, more often to the larger ones.
        self.group_weights = [1 + sum(group in h.groups for h in self.d.homes) for group in data.GROUPS]

    def run(self) -> list[tuple[Lot, bool]]:
        """The year's gifts and allocations, then the sponsorships; the lots of goods received and bought (each with
        whether it is fresh food), in the order received, for the food market."""
        donors = self.donors(self.draw(DONORS))
        money = self.draw(MONEY)
        lots = self.money(money, self.gifts(money, donors))
        self.sponsorships(self.draw(SPONSORSHIPS), donors)
        return lots

    def donors(self, draw: Draw) -> dict[str, list[Donor]]:
        def donor(kind: str, name: str, **extra: Any) -> Donor:
            row = Donor(district=self.d.area, kind=kind, name=name, created_by=self.recorder, **extra)
            self.rows.donors.append(row)
            return row

        found: dict[str, list[Donor]] = {"company": [], "group": [], "person": [], "public": []}
        companies = [f"{stem}{kind}" for stem in data.COMPANY_STEMS for kind in data.COMPANY_KINDS]
        for i in draw.rng.permutation(len(companies))[: self.count(8, 4, len(companies))]:
            name = companies[int(i)]
            found["company"].append(donor(DonorKind.COMPANY, name, phone=landline(self.seed, name)))
        groups = [(self.fill(g, dong), dong) for dong in self.d.dongs for g in data.DONG_GROUPS]
        groups += [(self.fill(g), None) for g in data.OTHER_GROUPS]
        for i in draw.rng.permutation(len(groups))[: self.count(6, 3, len(groups))]:
            name, dong = groups[int(i)]
            row = donor(DonorKind.GROUP, name)
            if dong is not None:
                self.home_dong[id(row)] = dong
            found["group"].append(row)
        for n, name in enumerate(names.korean_name_list(draw.rng, self.count(12, 4), birth_year=1968)):
            consent = self.start - timedelta(days=draw.between(1, 1100))  # kept with consent, before any gift
            # 010-0xxx is never issued: a synthetic donor's number can ring no one.
            phone = f"010-0{draw.between(100, 999)}-{draw.between(0, 9999):04d}" if draw.chance(0.8) else ""
            anonymous = draw.chance(0.25) or n == 0  # a quarter ask not to be named; at least one in every district
            found["person"].append(donor(DonorKind.PERSON, name, phone=phone, anonymous=anonymous, consent_on=consent))
        found["public"].append(donor(DonorKind.PUBLIC, self.fill(data.PUBLIC_DONOR)))
        return found

    def _in_season(self, draw: Draw, purpose: str, last: date) -> date:
        months = data.PURPOSES[purpose][0] if purpose in data.PURPOSES else ()
        day = draw.day(self.start, last)
        for _ in range(30):  # money for a season's purpose comes in its season
            if not months or day.month in months:
                break
            day = draw.day(self.start, last)
        return day

    def gifts(self, draw: Draw, donors: dict[str, list[Donor]]) -> list[Gift]:
        """The year's gifts: money from companies, groups and persons, the district's budget, goods for the food
        market, and fresh food of the last days."""
        gifts: list[Gift] = []
        kinds = ("company", "group", "person")
        last = self.today - DAY
        for _ in range(self.count(60, 12)):
            gift = self._designate(draw, draw.pick(donors[draw.pick(kinds, (0.35, 0.3, 0.35))]), GiftKind.CASH)
            gift.day = self._in_season(draw, gift.purpose, last)
            gift.amount = draw.won(*data.CASH_GIFTS[gift.donor.kind])
            gift.description = f"{gift.purpose} 지정 성금" if gift.purpose else draw.pick(data.CASH_NOTES)
            gifts.append(gift)
        twice = [g for g in gifts if g.designation == Designation.GENERAL and g.on >= self.start + 20 * DAY]
        if twice:
            twice[0].duplicate = True
        for _ in range(self.count(3, 2)):
            gifts.append(
                Gift(
                    donor=donors["public"][0], kind=GiftKind.CASH, day=draw.day(self.start, last),
                    amount=draw.won(5_000_000, 20_000_000, 1_000_000),
                    description=draw.pick(("긴급지원 예산 배정", "위기가구 지원 예산", "사각지대 발굴 가구 지원 예산")),
                )
            )  # fmt: skip
        goods_last = self.today - 3 * DAY
        for _ in range(self.count(30, 8)):
            gift = self._designate(draw, draw.pick(donors[draw.pick(kinds, (0.5, 0.3, 0.2))]), GiftKind.IN_KIND)
            gift.day = self._in_season(draw, gift.purpose, goods_last)
            self._stock(draw, gift, self._item_for(draw, gift))
            gifts.append(gift)
        # Fresh food given in the last days: some of it expires within the week, and one lot has expired with units
        # left (the food bank's expiry alerts).
        fresh = [(item, self.today - 2 * DAY) for item in data.FRESH_SOON]
        expired = data.FRESH_EXPIRED
        fresh.append((expired, self.today - ((expired.shelf_days or 0) + 1) * DAY))
        for item, day in fresh:
            gift = Gift(donor=draw.pick(donors["company"]), kind=GiftKind.IN_KIND, day=day, fresh=True)
            self._stock(draw, gift, item, agency=self.market)
            gifts.append(gift)
        if self.market is None:  # no food bank or welfare centre keeps goods in this district
            gifts = [g for g in gifts if g.kind == GiftKind.CASH]
        return sorted(gifts, key=lambda g: g.on)  # stable: the order drawn within a day

    def _designate(self, draw: Draw, donor: Donor, kind: str) -> Gift:
        gift = Gift(donor=donor, kind=kind)
        if id(donor) in self.home_dong and draw.chance(0.8):
            gift.designation, gift.dong = Designation.DONG, self.home_dong[id(donor)]
            return gift
        goods = kind == GiftKind.IN_KIND
        weights = (0.6, 0.15, 0.15, 0.1) if goods else (0.45, 0.1, 0.3, 0.15)
        choice = draw.pick(("general", "dong", "purpose", "group"), weights)
        if choice == "dong" and self.d.dongs:
            gift.designation, gift.dong = Designation.DONG, draw.pick(self.d.dongs)
        elif choice == "purpose":
            gift.designation = Designation.PURPOSE
            gift.purpose = draw.pick(list(data.PURPOSE_ITEMS if goods else data.PURPOSES))
        elif choice == "group":
            gift.designation, gift.group = Designation.GROUP, draw.pick(data.GROUPS, self.group_weights)
        return gift

    def _item_for(self, draw: Draw, gift: Gift) -> data.Item:
        items = {item.name: item for item in data.ITEMS}
        if gift.designation == Designation.PURPOSE:
            return items[data.PURPOSE_ITEMS[gift.purpose]]
        if gift.designation == Designation.GENERAL:
            return draw.pick(data.ITEMS, [i.weight for i in data.ITEMS])
        # Goods designated to a dong or a group go only to its households, never to a clearance event: they are
        # goods that keep past the coming week.
        keeping = [
            i for i in data.ITEMS
            if i.shelf_days is None or gift.on + math.ceil(SHELF_LEFT[0] * i.shelf_days) * DAY > self.today + 7 * DAY
        ]  # fmt: skip
        return draw.pick(keeping, [i.weight for i in keeping])

    def _stock(self, draw: Draw, gift: Gift, item: data.Item, agency: Agency | None = None) -> None:
        gift.item, gift.units = item, draw.between(*item.lot_units)
        gift.amount, gift.description = gift.units * item.unit_won, item.name
        gift.agency = agency or (self.market if draw.chance(0.7) else self.second_bank)
        if item.shelf_days is not None:
            # Donated food often comes with part of its shelf life gone (fresh food of the last days keeps its own).
            left = 1.0 if gift.fresh else SHELF_LEFT[0] + (SHELF_LEFT[1] - SHELF_LEFT[0]) * draw.rng.random()
            gift.expires_on = gift.on + math.ceil(left * item.shelf_days) * DAY

    def _fund(
        self, designation: str, *, dong: AdministrativeArea | None = None, purpose: str = "", group: str = "",
        household: int | None = None, sector: str = Sector.PRIVATE,
    ) -> Fund:  # fmt: skip
        key = fund_key(
            designation, dong=dong.code if dong else "", purpose=purpose, group=group, household=household,
            sector=sector,
        )  # fmt: skip
        fund = self.funds.get(key)
        if fund is None:
            fund = self.funds[key] = Fund(
                district=self.d.area, designation=designation, dong=dong, purpose=purpose, group=group,
                household_id=household, sector=sector, key=key,
            )  # fmt: skip
            self.rows.funds.append(fund)
        return fund

    def _donation(self, gift: Gift, fund: Fund, **extra: Any) -> Donation:
        values = {"amount_won": gift.amount, **extra}
        return Donation(
            district=self.d.area, fund=fund, donor=gift.donor, kind=gift.kind, received_on=gift.on,
            description=gift.description, recorded_by=self.recorder, **values,
        )  # fmt: skip

    def money(self, draw: Draw, gifts: list[Gift]) -> list[tuple[Lot, bool]]:
        """Gifts in, allocations out, day by day: each allocation within what its fund holds that day and what its
        designation allows; a duplicate entry reversed at once; one allocation corrected. Returns the lots of the
        goods received and bought (each with whether it is fresh food), in the order received."""
        lots = [(lot, False) for lot in self._public_purchases(draw)]
        timeline: list[Event] = []
        sequence = itertools.count()
        for gift in gifts:
            timeline.append((gift.on, GIFTS_IN, next(sequence), functools.partial(self._receive, gift, lots)))
        corrected = [False]
        for request in self._allocation_requests(draw):

            def allocate(request: tuple[Any, ...] = request) -> None:
                allocation = self._allocate(draw, *request)
                if allocation is None or corrected[0] or allocation.household_id is None:
                    return
                if self.start + 30 * DAY <= allocation.on <= self.today - 10 * DAY:
                    corrected[0] = True
                    self._correct(draw, allocation, timeline, sequence)

            timeline.append((request[0], GIVING, next(sequence), allocate))
        run_timeline(timeline)
        lots.sort(key=lambda pair: pair[0].received_on)  # stable: the order received within a day
        return lots

    def _receive(self, gift: Gift, lots: list[tuple[Lot, bool]]) -> None:
        sector = Sector.PUBLIC if gift.donor.kind == DonorKind.PUBLIC else Sector.PRIVATE
        fund = self._fund(gift.designation, dong=gift.dong, purpose=gift.purpose, group=gift.group, sector=sector)
        donation = self._donation(gift, fund)
        self.rows.donations.append(donation)
        if gift.kind == GiftKind.CASH:
            self.cash[fund.key] += gift.amount
        else:
            assert gift.item is not None and gift.agency is not None
            lot = self._lot(gift.item, gift.units, gift.agency, gift.on, gift.expires_on, fund, donation)
            lots.append((lot, gift.fresh))
        if gift.duplicate:
            twice = self._donation(gift, fund)
            self.rows.donations.append(twice)
            reason = "같은 성금을 두 번 입력함"
            self.rows.donation_reversals.append(
                self._donation(gift, fund, amount_won=-gift.amount, reverses=twice, reason=reason)
            )

    def _correct(self, draw: Draw, original: Allocation, timeline: list[Event], sequence: Iterator[int]) -> None:
        """An allocation entered with the wrong amount: reversed a few days later (at the end of that day), and the
        right amount recorded the next day."""
        when = original.on + draw.between(1, 3) * DAY
        right = max(WON_STEP, original.amount_won - draw.between(1, 5) * WON_STEP)
        fund = original.fund

        def reverse() -> None:
            self.cash[fund.key] += original.amount_won
            self.rows.allocation_reversals.append(
                Allocation(
                    district=self.d.area, fund=fund, household_id=original.household_id, dong=original.dong,
                    programme=original.programme, purpose=original.purpose, group=original.group,
                    amount_won=-original.amount_won, sector=original.sector, on=when, reverses=original,
                    reason="금액을 잘못 입력함: 바른 금액으로 다시 기록", recorded_by=original.recorded_by,
                )
            )  # fmt: skip

        def again() -> None:
            if self.cash[fund.key] >= right:
                self.cash[fund.key] -= right
                self.rows.allocations.append(
                    Allocation(
                        district=self.d.area, fund=fund, household_id=original.household_id, dong=original.dong,
                        purpose=original.purpose, group=original.group, amount_won=right, sector=original.sector,
                        on=when + DAY, recorded_by=original.recorded_by,
                    )
                )  # fmt: skip

        heapq.heappush(timeline, (when, REVERSALS, next(sequence), reverse))
        heapq.heappush(timeline, (when + DAY, CORRECTED_AGAIN, next(sequence), again))

    def _allocation_requests(self, draw: Draw) -> list[tuple[Any, ...]]:
        """(day, home or None, programme, purpose, group) of every allocation asked for."""
        requests: list[tuple[Any, ...]] = []
        last = self.today - DAY
        for home in self.d.homes:
            if not draw.chance(0.55):
                continue
            for _ in range(draw.between(1, 2)):
                day = home.day_between(draw, self.start, last)
                if day is None:
                    continue
                seasonal = [p for p, (months, _low, _high) in data.PURPOSES.items() if day.month in months]
                purpose = ""
                if seasonal and draw.chance(0.5):
                    purpose = draw.pick(seasonal)
                elif draw.chance(0.1):
                    purpose = "의료비"
                group = draw.pick(home.groups) if home.groups and draw.chance(0.6) else ""
                requests.append((day, home, "", purpose, group))
        for _ in range(self.count(6, 3)):
            programme, purpose = draw.pick(data.PROGRAMMES)
            requests.append((draw.day(self.start, last), None, programme, purpose, ""))
        return requests

    def _allocate(
        self, draw: Draw, day: date, home: Home | None, programme: str, purpose: str, group: str
    ) -> Allocation | None:
        household = home.household if home else None
        candidates, weights = [], []
        for fund in self.funds.values():
            if fund.designation == Designation.HOUSEHOLD or self.cash[fund.key] < WON_STEP:
                continue
            if allowed_in(fund, household=household, programme=programme, purpose=purpose, group=group) is not None:
                continue
            candidates.append(fund)
            weights.append(1 if fund.sector == Sector.PUBLIC else 2 if fund.designation == Designation.GENERAL else 4)
        if not candidates:
            return None
        fund = draw.pick(candidates, weights)
        if home is None:
            amount = draw.won(300_000, 3_000_000, 100_000)
        elif purpose in data.PURPOSES:
            amount = draw.won(*data.PURPOSES[purpose][1:])
        elif fund.sector == Sector.PUBLIC:
            amount = draw.won(300_000, 800_000)
        else:
            amount = draw.won(50_000, 300_000)
        amount = min(amount, self.cash[fund.key] // WON_STEP * WON_STEP)
        self.cash[fund.key] -= amount
        allocation = Allocation(
            district=self.d.area, fund=fund, household_id=household.pk if household else None,
            dong=home.dong if home else None, programme=programme, purpose=purpose, group=group, amount_won=amount,
            sector=fund.sector, on=day, recorded_by=draw.pick(self.d.recorders),
        )  # fmt: skip
        self.rows.allocations.append(allocation)
        return allocation

    def _lot(
        self, item: data.Item, units: int, agency: Agency, day: date, expires_on: date | None, fund: Fund,
        donation: Donation | None,
    ) -> Lot:  # fmt: skip
        return Lot(
            district=self.d.area, agency=agency, item=item.name, unit=item.unit,
            lot_code=f"{day:%Y%m}-{next(self.lot_numbers):03d}",
            expires_on=expires_on, received_on=day, received=units,
            remaining=units, unit_won=item.unit_won, sector=fund.sector, fund=fund, donation=donation,
            recorded_by=self.recorder,
        )  # fmt: skip

    def _public_purchases(self, draw: Draw) -> list[Lot]:
        """Goods the district bought with its budget for the food market (`stock_lot(sector="public")`): lots of the
        public general fund, with no gift behind them."""
        if self.market is None:
            return []
        items = {item.name: item for item in data.ITEMS}
        fund = self._fund(Designation.GENERAL, sector=Sector.PUBLIC)
        bought = []
        for _ in range(self.count(6, 3)):
            item = items[draw.pick(data.PUBLIC_ITEMS)]
            day = draw.day(self.start, self.today - 3 * DAY)
            expires = day + item.shelf_days * DAY if item.shelf_days else None  # bought new: its whole shelf life
            bought.append(self._lot(item, draw.between(20, 80), self.market, day, expires, fund, None))
        return bought

    def sponsorships(self, draw: Draw, donors: dict[str, list[Donor]]) -> None:
        """결연: a private donor pays a household that consented, every month from the first of a month; the months
        up to this one are paid, each on the first of its month (what `pay_sponsorships` records)."""
        months = first_days(self.start, self.today)
        homes = [h for h in self.d.homes if any(h.supported_on(m) for m in months)]
        for i in draw.rng.permutation(len(homes))[: self.count(5, 2)]:
            home = homes[int(i)]
            starts = draw.pick([m for m in months if home.supported_on(m)])
            ends = None
            if draw.chance(0.2) and starts < months[-1]:
                ends = month_end(draw.pick([m for m in months if starts <= m < months[-1]]))
            donor = draw.pick(donors["company"] + donors["person"])
            fund = self._fund(Designation.HOUSEHOLD, household=home.household.pk)
            monthly = draw.won(50_000, 300_000)
            sponsorship = Sponsorship(
                district=self.d.area, donor=donor, household_id=home.household.pk, fund=fund, monthly_won=monthly,
                starts_on=starts, ends_on=ends, created_by=self.recorder,
            )  # fmt: skip
            self.rows.sponsorships.append(sponsorship)
            for month in months:
                if month < starts or (ends is not None and month > ends):
                    continue
                label = f"{month:%Y-%m}"
                self.rows.donations.append(
                    Donation(
                        district=self.d.area, fund=fund, donor=donor, kind=GiftKind.CASH, received_on=month,
                        amount_won=monthly, description=label, sponsorship=sponsorship, month=label,
                        recorded_by=self.recorder,
                    )
                )  # fmt: skip
                self.rows.allocations.append(
                    Allocation(
                        district=self.d.area, fund=fund, household_id=home.household.pk, dong=home.dong,
                        amount_won=monthly, sector=fund.sector, on=month, sponsorship=sponsorship, month=label,
                        recorded_by=self.recorder,
                    )
                )  # fmt: skip

    def receipts(self, draw: Draw) -> None:
        """Donation receipts (기부금 영수증) for most private gifts, numbered per district and year in the order
        received, as `issue_receipt` numbers them; none for public money, sponsorship payments or corrected
        entries."""
        reversed_ids = {id(r.reverses) for r in self.rows.donation_reversals}
        mine = [
            g for g in self.rows.donations[self.first_donation :]
            if g.fund.sector == Sector.PRIVATE and g.fund.designation != Designation.HOUSEHOLD
            and id(g) not in reversed_ids
        ]  # fmt: skip
        numbers: dict[int, int] = defaultdict(int)
        for gift in sorted(mine, key=lambda g: g.received_on):
            if not draw.chance(0.7):
                continue
            numbers[gift.received_on.year] += 1
            gift.receipt_number = f"{gift.received_on.year}-{numbers[gift.received_on.year]:05d}"
            gift.receipt_issued_on = min(gift.received_on + draw.between(0, 14) * DAY, self.today)
