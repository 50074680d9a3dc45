"""The district's food market day by day: households that consented and events take first-expiring first among
the lots they may receive (what `services.foodbank.distribute` does), what would expire unused goes to a clearance
event three days before, and one movement is given back."""

from __future__ import annotations

import functools
import heapq
import itertools
from collections import defaultdict
from datetime import date
from typing import Any

from dolbom.registry.models import Agency
from dolbom.resources.models import Designation, Distribution, Lot
from dolbom.resources.services.donations import allowed_in
from dolbom.synth.resources import catalogue as data
from dolbom.synth.resources.city import Home
from dolbom.synth.resources.common import CLEARANCE, GIVING, GOODS, REVERSALS, DistrictPart, Event, run_timeline
from dolbom.synth.resources.draw import DAY, Draw


class Market(DistrictPart):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lot_order: dict[int, int] = {}  # id(lot) → the order written (its id's order)
        self.shelves: dict[tuple[int, str], list[Lot]] = defaultdict(list)  # (agency, item) → lots

    def run(self, lots: list[tuple[Lot, bool]]) -> None:
        self.goods(self.draw(GOODS), lots)

    def goods(self, draw: Draw, lots: list[tuple[Lot, bool]]) -> None:
        """The food market day by day: households and events take first-expiring first among the lots they may
        receive; what would expire unused goes to a clearance event three days before; one movement is given back."""
        if self.market is None:
            return
        for lot, _fresh in lots:
            self.lot_order[id(lot)] = len(self.rows.lots)
            self.rows.lots.append(lot)
            self.shelves[(lot.agency.pk, lot.item)].append(lot)
        timeline: list[Event] = []
        sequence = itertools.count()
        last = self.today - 3 * DAY  # fresh food came in after the market's last day in these records
        staples = [item.name for item in data.ITEMS]
        given_back = [False]

        def give(agency: Agency, wanted: list[int], day: date, **recipient: Any) -> None:
            """A recipient takes a few items of what the shelves hold for them that day, `wanted` units of each."""
            for units in wanted:
                in_stock = [item for item in staples if self._usable(agency, item, day, **recipient)]
                if not in_stock:
                    return
                taken = self._take(agency, draw.pick(in_stock), units, day, **recipient)
                lot = taken[0].lot if taken else None
                if given_back[0] or lot is None or not (lot.expires_on is None or lot.expires_on > last + 10 * DAY):
                    continue
                given_back[0] = True  # once per district: recorded for the wrong recipient, given back days later
                when = min(day + draw.between(1, 5) * DAY, last)
                give_back = functools.partial(self._give_back, taken[0], when)
                heapq.heappush(timeline, (when, REVERSALS, next(sequence), give_back))

        for home in self.d.homes:
            if not draw.chance(0.6):
                continue
            for _ in range(draw.between(1, 3)):
                day = home.day_between(draw, self.start, last)
                if day is None:
                    continue
                agency = self.market if draw.chance(0.75) else self.second_bank
                wanted = [draw.between(1, 2) for _ in range(draw.between(1, 3))]
                seasonal = [purpose for purpose, months in data.GOODS_SEASONS.items() if day.month in months]
                purpose = draw.pick(seasonal) if seasonal and draw.chance(0.3) else ""
                group = draw.pick(home.groups) if home.groups and draw.chance(0.5) else ""
                visit = functools.partial(give, agency, wanted, day, home=home, purpose=purpose, group=group)
                timeline.append((day, GIVING, next(sequence), visit))
        for _ in range(self.count(4, 2)):
            event, purpose = draw.pick(data.EVENTS)
            day = draw.day(self.start, last)
            wanted = [draw.between(10, 30) for _ in range(draw.between(1, 2))]
            at_event = functools.partial(give, self.market, wanted, day, event=event, purpose=purpose)
            timeline.append((day, GIVING, next(sequence), at_event))
        for lot, fresh in lots:
            if not fresh and lot.expires_on is not None and lot.expires_on <= self.today:
                clear = functools.partial(self._clear, lot)
                timeline.append((lot.expires_on - 3 * DAY, CLEARANCE, next(sequence), clear))
        run_timeline(timeline)

    def _clear(self, lot: Lot) -> None:
        """Three days before a lot expires, what is left of it (and of any lot of the item expiring sooner) goes to
        a clearance event."""
        assert lot.expires_on is not None
        day = lot.expires_on - 3 * DAY
        purpose = lot.fund.purpose if lot.fund.designation == Designation.PURPOSE else ""
        usable = self._usable(lot.agency, lot.item, day, event=data.CLEARANCE_EVENT, purpose=purpose)
        units = sum(x.remaining for x in usable if x.expires_on is not None and x.expires_on <= lot.expires_on)
        if units:
            self._take(lot.agency, lot.item, units, day, event=data.CLEARANCE_EVENT, purpose=purpose)

    def _usable(
        self, agency: Agency, item: str, day: date, *, home: Home | None = None, event: str = "", purpose: str = "",
        group: str = "",
    ) -> list[Lot]:  # fmt: skip
        """The lots a recipient may receive on a day, in the order the food bank gives them out (`distribute`):
        first-expiring first, those without expiry last, then the older lot."""
        household = home.household if home else None
        found = [
            lot for lot in self.shelves.get((agency.pk, item), [])
            if lot.remaining > 0 and lot.received_on <= day and (lot.expires_on is None or lot.expires_on >= day)
            and allowed_in(lot.fund, household=household, programme=event, purpose=purpose, group=group) is None
        ]  # fmt: skip
        order = self.lot_order
        return sorted(found, key=lambda x: (x.expires_on is None, x.expires_on or day, x.received_on, order[id(x)]))

    def _take(
        self, agency: Agency, item: str, units: int, day: date, *, home: Home | None = None, event: str = "",
        purpose: str = "", group: str = "",
    ) -> list[Distribution]:  # fmt: skip
        """Give out up to `units` (no more than the shelves hold for the recipient, as an officer would ask for),
        first-expiring first."""
        usable = self._usable(agency, item, day, home=home, event=event, purpose=purpose, group=group)
        left = min(units, sum(lot.remaining for lot in usable))
        taken = []
        for lot in usable:
            if left == 0:
                break
            part = min(left, lot.remaining)
            lot.remaining -= part
            left -= part
            taken.append(
                Distribution(
                    lot=lot, district=self.d.area, agency=agency, household_id=home.household.pk if home else None,
                    dong=home.dong if home else None, event=event, units=part, value_won=part * lot.unit_won,
                    sector=lot.sector, on=day, recorded_by=self.recorder,
                )
            )  # fmt: skip
        self.rows.distributions += taken
        return taken

    def _give_back(self, original: Distribution, day: date) -> None:
        original.lot.remaining += original.units
        self.rows.distribution_reversals.append(
            Distribution(
                lot=original.lot, district=self.d.area, agency=original.agency, household_id=original.household_id,
                dong=original.dong, event=original.event, units=-original.units, value_won=-original.value_won,
                sector=original.sector, on=day, reverses=original, reason="다른 가구에 줄 물품을 잘못 기록함: 반납",
                recorded_by=self.recorder,
            )
        )  # fmt: skip
