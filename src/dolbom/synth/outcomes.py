"""Simulated outreach outcomes for a synthetic city: what officers would find at the door of each listed household.

Demo and evaluation tooling only. It reads the hidden truth (`truth.parquet`), which the application never reads,
and records each outcome **through the real services** of the dong's worklist (`intake.services.work`: the visits or
calls, then the closing) as the dong's officer, so that the visit rows, the labels written back to discovery, the
audit log and the permission checks are exactly those of a real round.

The reach model follows what the national system reports (docs/facts.md): a large share of listed households end
unreachable or moved whatever their need. People living alone of working age, gosiwon and officetel residents are
harder to reach, and a crisis of isolation, mental health or housing makes contact harder still (phones cut off,
people moving on). Because unreachable and moved are not labels, a model trained on these outcomes sees fewer
positive examples from exactly those households: the model card measures what that does.

Every draw is keyed on (seed, period, household), so a household's fate does not depend on which other households
were listed, on the order items are processed, or on `fraction`.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db.models import Max, Min

from dolbom.core.dates import today_kst
from dolbom.core.models import AuditEvent
from dolbom.core.scope import district_of
from dolbom.discovery.models import ItemStatus, RoundStatus, ScreeningRound
from dolbom.intake.models import ContactKind, VisitResult, WorkItem, WorkOutcome, WorkStatus
from dolbom.intake.services import work as work_services
from dolbom.registry.models import Household
from dolbom.registry.selectors import officers_of_dong

SIMULATED_NOTE = "[모의] 합성 도시 평가용 결과"
HARD_TO_REACH_TYPES = frozenset({"young_single", "middle_single"})
HARD_TO_REACH_BUILDINGS = frozenset({"gosiwon", "officetel"})
AVOIDANT_CRISES = frozenset({"isolation", "mental_health", "housing"})

# Chances per listed household. Unreachable and moved first (reach), then what a reached household turns out to be.
UNREACHABLE = 0.16
MOVED = 0.04
HARD_TO_REACH_EXTRA = {"unreachable": 0.16, "moved": 0.06}
AVOIDANT_FACTOR = 1.5  # crises that make contact harder
DECEASED_ELDERLY_ALONE = 0.01
IN_CRISIS = {"helped": 0.55, "referred": 0.30, "refused": 0.10, "not_eligible": 0.05}
NOT_IN_CRISIS = {"not_eligible": 0.88, "refused": 0.06, "referred": 0.04, "helped": 0.02}

TRUTH_COLUMNS = ["household_id", "household_type", "building_type", "in_crisis", "crisis_kind"]


class SimulationError(RuntimeError):
    """The outcomes cannot be simulated; the message says why."""


@dataclass(frozen=True)
class HouseholdTruth:
    household_type: str
    building_type: str
    in_crisis: bool
    crisis_kind: str | None

    @property
    def hard_to_reach(self) -> bool:
        return self.household_type in HARD_TO_REACH_TYPES or self.building_type in HARD_TO_REACH_BUILDINGS


@dataclass
class SimulationSummary:
    round_id: int
    listed: int
    recorded: Counter[str] = field(default_factory=Counter)
    already_done: int = 0
    left_undone: int = 0
    no_officer: int = 0

    def __str__(self) -> str:
        outcomes = ", ".join(f"{name} {count:,}" for name, count in sorted(self.recorded.items())) or "none"
        return (
            f"round {self.round_id}: {self.listed:,} listed; recorded {sum(self.recorded.values()):,} ({outcomes}); "
            f"{self.already_done:,} already had an outcome, {self.left_undone:,} left undone, "
            f"{self.no_officer:,} without a dong officer"
        )


def draw_outcome(truth: HouseholdTruth, rng: np.random.Generator) -> str:
    """One household's outcome, as an officer would record it."""
    unreachable, moved = UNREACHABLE, MOVED
    if truth.hard_to_reach:
        unreachable += HARD_TO_REACH_EXTRA["unreachable"]
        moved += HARD_TO_REACH_EXTRA["moved"]
    if truth.in_crisis and truth.crisis_kind in AVOIDANT_CRISES:
        unreachable, moved = unreachable * AVOIDANT_FACTOR, moved * AVOIDANT_FACTOR
    deceased = DECEASED_ELDERLY_ALONE if truth.household_type == "elderly_alone" else 0.0
    u = rng.random()
    if u < deceased:
        return "deceased"
    if u < deceased + unreachable:
        return "unreachable"
    if u < deceased + unreachable + moved:
        return "moved"
    table = IN_CRISIS if truth.in_crisis else NOT_IN_CRISIS
    names, weights = list(table), np.array(list(table.values()))
    return names[int(np.searchsorted(np.cumsum(weights) / weights.sum(), rng.random(), side="right"))]


def _household_rng(seed: int, period: str, household_key: int) -> np.random.Generator:
    return np.random.default_rng([seed, int(period.replace("-", "")), household_key])


def read_truth(city: Path, household_ids: list[int] | None = None) -> dict[int, HouseholdTruth]:
    """The hidden truth of a generated city, by the generator's household id (optionally only some households)."""
    path = Path(city) / "truth.parquet"
    if not path.is_file():
        raise SimulationError(f"{path} not found: --city must name a generated city folder")
    table = pq.read_table(path, columns=TRUTH_COLUMNS)
    if household_ids is not None:
        table = table.filter(pc.is_in(table["household_id"], value_set=pa.array(household_ids, pa.int64())))
    rows = table.to_pydict()
    return {
        hid: HouseholdTruth(household_type=t, building_type=b, in_crisis=bool(c), crisis_kind=k)
        for hid, t, b, c, k in zip(
            rows["household_id"],
            rows["household_type"],
            rows["building_type"],
            rows["in_crisis"],
            rows["crisis_kind"],
            strict=True,
        )
    }


def simulate_outcomes(
    screening_round: Any,
    truth: dict[int, HouseholdTruth],
    *,
    seed: int = 0,
    fraction: float = 1.0,
    household_offset: int = 0,
    on: date | None = None,
) -> SimulationSummary:
    """Record an outcome for each pending or assigned item of a done round, as the dong's officer would.

    `truth` is keyed by the generator's household id; `household_offset` is what the loader added to those ids
    (0 in a fresh database). `fraction` leaves the rest of the items undone, as in a round still in progress.
    Items that already have an outcome are left as they are, so running this twice changes nothing.
    """
    if not 0.0 <= fraction <= 1.0:
        raise SimulationError(f"--fraction must be between 0 and 1 (got {fraction})")
    if screening_round.status != RoundStatus.DONE:
        raise SimulationError(f"round {screening_round.pk} is {screening_round.status}, not done")
    today = today_kst()
    # Visits follow the round's date (a round may be run "as of" an earlier day), never later than today.
    as_of = (screening_round.params or {}).get("as_of")
    round_day = date.fromisoformat(as_of) if as_of else screening_round.started_at.date()
    items = list(screening_round.items.select_related("dong").order_by("dong_id", "rank", "pk"))
    summary = SimulationSummary(round_id=screening_round.pk, listed=len(items))
    missing = [i.household_id for i in items if i.household_id - household_offset not in truth]
    if missing:
        raise SimulationError(
            f"{len(missing)} listed household(s) are not in the city's truth (e.g. #{missing[0]}): "
            "is this the city that was loaded?"
        )
    officers: dict[str, Any] = {}
    work_services.list_round(round_id=screening_round.pk)  # a round listed before the worklist existed
    work_items = {w.outreach_item_id: w for w in WorkItem.objects.filter(outreach_item__round=screening_round)}
    for item in items:
        work = work_items.get(item.pk)
        if item.status == ItemStatus.DONE or work is None or work.status == WorkStatus.CLOSED:
            summary.already_done += 1
            continue
        key = item.household_id - household_offset
        rng = _household_rng(seed, screening_round.period, key)
        if rng.random() >= fraction:
            summary.left_undone += 1
            continue
        outcome = draw_outcome(truth[key], rng)
        if item.dong_id not in officers:
            officers[item.dong_id] = officers_of_dong(item.dong_id).select_related("user").first()
        officer = officers[item.dong_id]
        if officer is None:
            summary.no_officer += 1
            continue
        visited = min(on or round_day + timedelta(days=int(rng.integers(3, 40))), today)
        _record(officer, work.pk, outcome, visited, today)
        summary.recorded[outcome] += 1
    return summary


def _record(officer: Any, work_item_id: int, outcome: str, visited: date, today: date) -> None:
    """What the officer would record for this outcome: the visits or calls, then the closing where it needs one."""
    user = officer.user

    def visit(result: str, on: date) -> None:
        work_services.record_visit(
            user=user, work_item_id=work_item_id, visitor_id=officer.pk, on=on, kind=ContactKind.VISIT,
            result=result, note=SIMULATED_NOTE,
        )  # fmt: skip

    if outcome in (WorkOutcome.HELPED, WorkOutcome.REFERRED, WorkOutcome.NOT_ELIGIBLE):
        visit(VisitResult.MET, visited)
        work_services.close(user=user, work_item_id=work_item_id, outcome=outcome, note=SIMULATED_NOTE, on=visited)
    elif outcome == WorkOutcome.REFUSED:
        visit(VisitResult.REFUSED, visited)
    elif outcome == WorkOutcome.MOVED:
        visit(VisitResult.MOVED, visited)
    elif outcome == WorkOutcome.UNREACHABLE:
        # Nobody there, try after try, until the district's number of tries makes it unreachable.
        tries = work_services.policy_for(officer_district(officer)).tries_before_unreachable
        retry = work_services.policy_for(officer_district(officer)).retry_after_days
        for n in range(tries):
            visit(VisitResult.ABSENT, min(visited + timedelta(days=n * retry), today))
    else:  # deceased: the neighbours said so at the door
        visit(VisitResult.ABSENT, visited)
        work_services.close(user=user, work_item_id=work_item_id, outcome=outcome, note=SIMULATED_NOTE, on=visited)


def officer_district(officer: Any) -> str:
    return district_of(next(iter(officer.areas.values_list("code", flat=True))))


def loaded_city_offset(city: Path) -> int:
    """What the loader added to the city's household ids, after checking that this city is the one loaded."""
    manifest_file = Path(city) / "manifest.json"
    if not manifest_file.is_file():
        raise SimulationError(f"{city} is not a generated city (no manifest.json)")
    manifest_bytes = manifest_file.read_bytes()
    manifest = json.loads(manifest_bytes)
    sha = hashlib.sha256(manifest_bytes).hexdigest()
    loads = AuditEvent.objects.filter(action="registry.bulk_load").order_by("-seq")
    if not any(event.detail.get("manifest_sha256") == sha for event in loads):
        raise SimulationError(f"the city in {city} was not loaded into this database (no matching bulk load)")
    span = Household.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    households = int(manifest["households"])
    if span["lo"] is None or span["hi"] - span["lo"] + 1 != households:
        raise SimulationError("the registry's households do not match the city's: load it into a fresh database")
    return int(span["lo"]) - 1


def simulate_round_outcomes(round_id: int, city: Path, *, seed: int = 0, fraction: float = 1.0) -> SimulationSummary:
    """Simulate the outcomes of a done round from the city it was screened on."""
    screening_round = ScreeningRound.objects.filter(pk=round_id).first()
    if screening_round is None:
        raise SimulationError(f"no screening round #{round_id}")
    offset = loaded_city_offset(city)
    listed = list(screening_round.items.values_list("household_id", flat=True))
    truth = read_truth(city, [h - offset for h in listed])
    return simulate_outcomes(screening_round, truth, seed=seed, fraction=fraction, household_offset=offset)
