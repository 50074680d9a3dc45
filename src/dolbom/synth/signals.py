"""Crisis signals as agencies deliver them: correlated with the hidden crisis, but noisy.

Kinds and their columns come from the catalogue (`discovery/signal_catalogue.toml`); this module only knows how
likely each kind is for whom (a profile per kind code; kinds without one get a small default rate, so the catalogue
can grow without touching the generator). Most signals are background noise — short arrears of ordinary households
— and some households in crisis leave no trace at all (see crisis.py): a screening that ranks well on these files
has learnt something real.

A round covers two months. Arrears persist: part of a period's arrears reappear in the next period two months
older and larger, as a real file of running arrears would show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from dolbom.discovery.catalogue import Catalogue, SignalKind
from dolbom.synth.areas import APARTMENT, DETACHED, GOSIWON, MULTI_UNIT, OFFICETEL, RENTAL
from dolbom.synth.crisis import CRISIS_KINDS, Truth
from dolbom.synth.people import Population


@dataclass(frozen=True)
class Period:
    code: str  # "2026-07"
    start: date
    end: date  # inclusive

    @property
    def start_day(self) -> np.datetime64:
        return np.datetime64(self.start.isoformat(), "D")

    @property
    def end_day(self) -> np.datetime64:
        return np.datetime64(self.end.isoformat(), "D")


PERIODS: tuple[Period, ...] = (
    Period("2026-07", date(2026, 7, 1), date(2026, 8, 31)),
    Period("2026-09", date(2026, 9, 1), date(2026, 10, 31)),
)

# Volume: ≈ 1.5 signals per household per period on average (≈ 3 M over two periods for 1 M households), most of
# them noise. Rates are per household per period before kinds that do not apply are dropped.
NOISE_RATE = 1.27
CRISIS_RATE = 3.0
# Background signals cluster: a household that fell behind on one bill tends to be behind on others, period after
# period. A gamma-distributed propensity per household (mean 1) makes the counts overdispersed, so that many
# households have no signal and some ordinary households have many — the false positives a screening must face.
PROPENSITY_SHAPE = 0.6
LATER_FRESH_SHARE = 0.8  # later periods: fewer fresh signals, since running arrears carry over
PERSIST = {"noise": 0.45, "crisis": 0.75}
MISSING_OPTIONAL = 0.08  # optional columns left empty, as real files have them

ALL_BUILDINGS = (APARTMENT, RENTAL, MULTI_UNIT, DETACHED, OFFICETEL, GOSIWON)
NO_GOSIWON = (APARTMENT, RENTAL, MULTI_UNIT, DETACHED, OFFICETEL)


@dataclass(frozen=True)
class Profile:
    """How often a kind occurs, for whom, and how its values look."""

    noise: float  # relative weight among background signals
    crisis: dict[str, float] = field(default_factory=dict)  # relative weight by crisis kind
    ages: tuple[int, int] = (19, 99)
    head_only: bool = False  # a household-level fact (utilities, rent): reported on the head
    buildings: tuple[int, ...] = ALL_BUILDINGS
    monthly: int = 50_000  # won per month of arrears, for amounts of kinds that count months
    typical: int = 1_000_000  # median won for amounts without a month count
    choices: dict[str, tuple[float, ...]] = field(default_factory=dict)  # weights of a str field's choices
    spread: dict[str, tuple[int, int]] = field(default_factory=dict)  # int fields drawn uniformly in a range
    anchors: dict[str, str] = field(default_factory=dict)  # date field → int field it lies that far before
    by_building: dict[int, float] = field(default_factory=dict)  # per-period chance for everyone in a building


DEFAULT_PROFILE = Profile(noise=0.3, crisis={"debt": 0.3, "income_loss": 0.3})

PROFILES: dict[str, Profile] = {
    "electricity_arrears": Profile(
        10, {"debt": 3, "isolation": 4, "income_loss": 2, "care": 2, "housing": 2}, head_only=True,
        monthly=55_000, anchors={"last_paid_on": "months_overdue"},
    ),
    "electricity_cutoff": Profile(
        0.4, {"isolation": 2.5, "debt": 1.5, "housing": 1.5, "income_loss": 1}, head_only=True, monthly=55_000,
        choices={"measure": (0.3, 0.7)},
    ),
    "water_arrears": Profile(
        6, {"isolation": 3, "debt": 2, "income_loss": 1.5, "housing": 1.5, "care": 1}, head_only=True,
        buildings=NO_GOSIWON, monthly=30_000,
    ),
    "water_cutoff": Profile(0.2, {"isolation": 1.5, "debt": 1, "housing": 1}, head_only=True, buildings=NO_GOSIWON),
    "gas_arrears": Profile(
        7, {"debt": 2.5, "isolation": 3, "income_loss": 2, "housing": 1.5}, head_only=True, buildings=NO_GOSIWON,
        monthly=70_000,
    ),
    "gas_cutoff": Profile(0.3, {"isolation": 2, "debt": 1.2, "housing": 1}, head_only=True, buildings=NO_GOSIWON),
    "health_insurance_arrears": Profile(
        9, {"income_loss": 4, "debt": 3, "health": 2, "care": 2, "housing": 1.5, "isolation": 1.5,
            "mental_health": 1.5}, head_only=True, monthly=110_000, choices={"insured_type": (0.85, 0.15)},
    ),
    "national_pension_arrears": Profile(7, {"income_loss": 4, "debt": 2.5}, ages=(18, 59), monthly=150_000),
    "social_insurance_arrears": Profile(1.2, {"income_loss": 2.5, "debt": 1}, ages=(25, 70), monthly=90_000),
    "telecom_arrears": Profile(
        11, {"debt": 4, "income_loss": 2.5, "mental_health": 2, "transition": 1.5, "isolation": 1}, ages=(15, 90),
        monthly=65_000, choices={"carrier": (0.4, 0.3, 0.2, 0.1)},
    ),
    "public_rental_arrears": Profile(
        8, {"housing": 30, "income_loss": 15, "debt": 12, "isolation": 12, "care": 8}, head_only=True,
        buildings=(RENTAL,), monthly=220_000, choices={"housing_type": (0.3, 0.35, 0.15, 0.2)},
    ),
    "maintenance_fee_arrears": Profile(
        5, {"housing": 3, "debt": 2.5, "income_loss": 2, "isolation": 1.5}, head_only=True,
        buildings=(APARTMENT, RENTAL, OFFICETEL), monthly=230_000,
    ),
    "vulnerable_dwelling": Profile(
        0.05, {"housing": 3, "isolation": 1, "transition": 1}, head_only=True,
        buildings=(GOSIWON, MULTI_UNIT, DETACHED), choices={"dwelling_type": (0.15, 0.45, 0.05, 0.05, 0.05, 0.25)},
        by_building={GOSIWON: 0.5},
    ),
    "jeonse_fraud_victim": Profile(
        0.1, {"housing": 1.5, "debt": 1}, ages=(25, 45), head_only=True,
        buildings=(APARTMENT, MULTI_UNIT, DETACHED, OFFICETEL), typical=150_000_000,
    ),
    "financial_delinquency": Profile(
        9, {"debt": 5, "income_loss": 3, "mental_health": 1.5, "health": 1}, ages=(20, 75), monthly=600_000,
        choices={"lender_type": (0.25, 0.3, 0.15, 0.15, 0.15)},
    ),
    "debt_adjustment": Profile(
        1.0, {"debt": 3, "income_loss": 1}, ages=(20, 75), typical=30_000_000,
        choices={"programme": (0.45, 0.2, 0.35)},
    ),
    "job_loss": Profile(
        4, {"income_loss": 5, "mental_health": 1.5, "debt": 1}, ages=(19, 64),
        choices={"reason": (0.2, 0.35, 0.15, 0.1, 0.2)}, spread={"months_insured": (0, 120)},
    ),
    "unemployment_benefit_end": Profile(
        3, {"income_loss": 4, "debt": 1}, ages=(19, 64), spread={"benefit_days": (120, 270)}
    ),
    "business_closure": Profile(
        1.5, {"income_loss": 3, "debt": 2}, ages=(25, 75),
        choices={"closure_type": (0.25, 0.75), "industry": (0.3, 0.25, 0.15, 0.1, 0.1, 0.1)},
    ),
    "industrial_accident": Profile(
        0.5, {"health": 2, "income_loss": 1.5}, ages=(19, 70), anchors={"care_started_on": "care_days"}
    ),
    "catastrophic_medical": Profile(1.5, {"health": 5, "care": 2, "isolation": 1}, ages=(0, 99), typical=3_000_000),
    "long_hospital_stay": Profile(
        1.2, {"health": 4, "isolation": 2, "care": 1.5}, ages=(40, 99), anchors={"admitted_on": "stay_days"}
    ),
    "severe_illness": Profile(1.5, {"health": 4, "care": 1}, ages=(30, 99)),
    "long_term_care_ineligible": Profile(1.0, {"isolation": 2.5, "health": 1.5, "care": 1}, ages=(65, 99)),
    "livelihood_rejection": Profile(
        0.8, {"income_loss": 2, "care": 2.5, "isolation": 2, "debt": 1, "housing": 1}, head_only=True,
        choices={"benefit": (0.4, 0.35, 0.2, 0.05), "reason": (0.4, 0.25, 0.15, 0.1, 0.1)},
    ),
    "benefit_suspension": Profile(
        0.8, {"care": 2, "isolation": 1.5, "income_loss": 1}, head_only=True,
        choices={"benefit": (0.35, 0.3, 0.1, 0.1, 0.15), "reason": (0.4, 0.2, 0.15, 0.15, 0.1)},
    ),
    "disaster_damage": Profile(
        0.05, {"disaster": 10}, head_only=True, typical=8_000_000,
        choices={"disaster_type": (0.4, 0.3, 0.15, 0.1, 0.05)},
    ),
    "suicide_risk": Profile(
        0.03, {"mental_health": 6, "debt": 0.5, "isolation": 0.5}, ages=(12, 99), choices={"channel": (0.6, 0.25, 0.15)}
    ),
    "prison_release": Profile(0.05, {"transition": 3}, ages=(20, 70)),
    "care_leaver": Profile(0.0, {"transition": 3}, ages=(18, 24)),
}  # fmt: skip

# Agencies that write foreign names in Hangul (the registry has the romanised form): linkage must cope.
HANGUL_NAME_AGENCIES = frozenset({"kepco", "waterworks", "lh", "ccrs", "mois", "comwel"})


@dataclass
class SignalBatch:
    """Signals of one chunk and period, as columns. `values[name]` holds one column per field name."""

    person: np.ndarray  # chunk-local person index
    household: np.ndarray  # chunk-local household index
    kind: np.ndarray  # index into catalogue.kinds
    from_crisis: np.ndarray
    observed_on: np.ndarray  # datetime64[D]
    values: dict[str, np.ndarray]
    valid: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.person)

    def take(self, index: np.ndarray) -> SignalBatch:
        return SignalBatch(
            person=self.person[index],
            household=self.household[index],
            kind=self.kind[index],
            from_crisis=self.from_crisis[index],
            observed_on=self.observed_on[index],
            values={k: v[index] for k, v in self.values.items()},
            valid={k: v[index] for k, v in self.valid.items()},
        )


def concat(batches: list[SignalBatch]) -> SignalBatch:
    names = batches[0].values.keys()
    return SignalBatch(
        person=np.concatenate([b.person for b in batches]),
        household=np.concatenate([b.household for b in batches]),
        kind=np.concatenate([b.kind for b in batches]),
        from_crisis=np.concatenate([b.from_crisis for b in batches]),
        observed_on=np.concatenate([b.observed_on for b in batches]),
        values={n: np.concatenate([b.values[n] for b in batches]) for n in names},
        valid={n: np.concatenate([b.valid[n] for b in batches]) for n in names},
    )


def draw_propensity(rng: np.random.Generator, households: int) -> np.ndarray:
    return rng.gamma(PROPENSITY_SHAPE, 1.0 / PROPENSITY_SHAPE, households)


class SignalModel:
    """The catalogue's kinds joined with their profiles, precomputed once per city."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.kinds: tuple[SignalKind, ...] = catalogue.kinds
        self.profiles = [PROFILES.get(k.code, DEFAULT_PROFILE) for k in self.kinds]
        self.field_types: dict[str, str] = {}
        for kind in self.kinds:
            for f in kind.fields:
                known = self.field_types.setdefault(f.name, f.type)
                if known != f.type:
                    raise ValueError(f"field '{f.name}' has type {f.type} in kind '{kind.code}' but {known} elsewhere")
        n_kinds = len(self.kinds)
        # weight[source, kind]: source 0 is noise, 1 + i is crisis kind i.
        weight = np.zeros((1 + len(CRISIS_KINDS), n_kinds))
        for j, p in enumerate(self.profiles):
            weight[0, j] = p.noise
            for crisis_kind, w in p.crisis.items():
                weight[1 + CRISIS_KINDS.index(crisis_kind), j] = w
        allowed = np.zeros((len(ALL_BUILDINGS), n_kinds), dtype=bool)
        for j, p in enumerate(self.profiles):
            allowed[list(p.buildings), j] = True
        # Per (source, building): the distribution over kinds that can happen in that building.
        w = weight[:, None, :] * allowed[None, :, :]
        total = w.sum(axis=2, keepdims=True)
        self.cdf = np.cumsum(w / np.where(total > 0, total, 1), axis=2)
        self.impossible = total[..., 0] == 0
        self.age_lo = np.array([p.ages[0] for p in self.profiles])
        self.age_hi = np.array([p.ages[1] for p in self.profiles])
        self.head_only = np.array([p.head_only for p in self.profiles])
        self.code_index = {k.code: j for j, k in enumerate(self.kinds)}

    def draw(
        self,
        rng: np.random.Generator,
        pop: Population,
        truth: Truth,
        period: Period,
        previous: SignalBatch | None,
        previous_period: Period | None,
        propensity: np.ndarray,
    ) -> SignalBatch:
        """One period's signals for a chunk; `propensity` is the household's lasting tendency to fall behind."""
        n = len(pop.hh_type)
        active = truth.active(period.end_day)
        scale = 1.0 if previous is None else LATER_FRESH_SHARE
        size_factor = 0.7 + 0.3 * np.minimum(pop.size, 4)
        noise_rate = NOISE_RATE * scale * size_factor * np.where(pop.low_income, 2.0, 0.85) * propensity
        n_noise = rng.poisson(noise_rate)
        n_crisis = rng.poisson(CRISIS_RATE * scale * active)
        hh = np.concatenate([np.repeat(np.arange(n), n_noise), np.repeat(np.arange(n), n_crisis)])
        source = np.concatenate(
            [np.zeros(n_noise.sum(), dtype=np.int64), np.repeat(truth.kind.astype(np.int64) + 1, n_crisis)]
        )
        kind = self._kinds(rng, source, pop.building[hh].astype(np.int64))
        keep = kind >= 0
        hh, source, kind = hh[keep], source[keep], kind[keep]
        # Facts about everyone in a kind of building (a gosiwon room is a vulnerable dwelling, crisis or not).
        for j, p in enumerate(self.profiles):
            for building, chance in p.by_building.items():
                extra = np.flatnonzero((pop.building == building) & (rng.random(n) < chance))
                hh = np.concatenate([hh, extra])
                source = np.concatenate([source, np.zeros(len(extra), dtype=np.int64)])
                kind = np.concatenate([kind, np.full(len(extra), j)])
        order = np.argsort(hh, kind="stable")  # rows grouped by household, as generated
        hh, source, kind = hh[order], source[order], kind[order]
        person, ok = self._persons(rng, pop, hh, kind)
        hh, source, kind, person = hh[ok], source[ok], kind[ok], person[ok]
        days = (period.end_day - period.start_day).astype(np.int64) + 1
        observed = period.start_day + rng.integers(0, days, len(hh)).astype("timedelta64[D]")
        batch = SignalBatch(
            person=person,
            household=hh,
            kind=kind,
            from_crisis=source > 0,
            observed_on=observed,
            values={},
            valid={},
        )
        self._values(rng, batch)
        if previous is not None and previous_period is not None:
            batch = concat([self._carry_over(rng, previous, period, previous_period), batch])
        return self._one_per_person_and_kind(batch)

    def _one_per_person_and_kind(self, batch: SignalBatch) -> SignalBatch:
        """An agency reports a fact about a person once per delivery: keep the first (carried-over arrears come
        first), and list rows by household as drawn."""
        key = batch.person.astype(np.int64) * len(self.kinds) + batch.kind
        _, first = np.unique(key, return_index=True)
        first = np.sort(first)
        return batch.take(first[np.argsort(batch.household[first], kind="stable")])

    def _kinds(self, rng: np.random.Generator, source: np.ndarray, building: np.ndarray) -> np.ndarray:
        kind = np.full(len(source), -1, dtype=np.int64)
        u = rng.random(len(source))
        combo = source * len(ALL_BUILDINGS) + building
        order = np.argsort(combo, kind="stable")
        sorted_combo = combo[order]
        starts = np.flatnonzero(np.r_[True, sorted_combo[1:] != sorted_combo[:-1]]) if len(combo) else []
        ends = np.r_[starts[1:], len(combo)] if len(combo) else []
        for a, b in zip(starts, ends, strict=True):
            s, bld = divmod(int(sorted_combo[a]), len(ALL_BUILDINGS))
            if self.impossible[s, bld]:
                continue
            rows = order[a:b]
            kind[rows] = np.minimum(np.searchsorted(self.cdf[s, bld], u[rows], side="right"), len(self.kinds) - 1)
        return kind

    def _persons(
        self, rng: np.random.Generator, pop: Population, hh: np.ndarray, kind: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Who the signal is about: the head for household-level facts, else an eligible member at random."""
        max_size = int(pop.size.max()) if len(pop.size) else 1
        offsets = np.arange(max_size)
        member = pop.head_index[hh][:, None] + offsets[None, :]
        exists = offsets[None, :] < pop.size[hh][:, None]
        age = pop.age[np.where(exists, member, 0)]
        eligible = exists & (age >= self.age_lo[kind][:, None]) & (age < self.age_hi[kind][:, None] + 1)
        eligible[self.head_only[kind], 1:] = False
        score = rng.random(eligible.shape) * eligible
        pick = score.argmax(axis=1)
        return member[np.arange(len(hh)), pick], eligible.any(axis=1)

    def _values(self, rng: np.random.Generator, batch: SignalBatch) -> None:
        size = len(batch)
        for name, type_ in self.field_types.items():
            if type_ == "int":
                batch.values[name] = np.zeros(size, dtype=np.int64)
            elif type_ == "date":
                batch.values[name] = np.full(size, np.datetime64("NaT", "D"))
            else:
                batch.values[name] = np.full(size, None, dtype=object)
            batch.valid[name] = np.zeros(size, dtype=bool)
        for j in np.unique(batch.kind):
            rows = np.flatnonzero(batch.kind == j)
            self._kind_values(rng, batch, rows, self.kinds[j], self.profiles[j])

    def _kind_values(
        self, rng: np.random.Generator, batch: SignalBatch, rows: np.ndarray, kind: SignalKind, p: Profile
    ) -> None:
        n = len(rows)
        crisis = batch.from_crisis[rows]
        observed = batch.observed_on[rows]
        drawn: dict[str, np.ndarray] = {}
        # Month counts first: amounts and dates of arrears derive from them.
        for f in sorted(kind.fields, key=lambda f: (f.unit != "months", f.type != "int")):
            lo = f.min if f.min is not None else 0
            if f.type == "int":
                if f.name in p.spread:
                    a, b = p.spread[f.name]
                    v = rng.integers(a, b + 1, n)
                elif f.unit == "months":
                    v = lo + rng.geometric(np.where(crisis, 0.22, 0.5)) - 1
                    v = np.minimum(v, f.max if f.max is not None else 72)
                elif f.unit == "days":
                    v = lo + np.round(rng.exponential(np.where(crisis, 70.0, 20.0))).astype(np.int64)
                    v = np.minimum(v, f.max if f.max is not None else 730)
                elif f.unit == "won":
                    months = drawn.get("months_overdue")
                    if months is not None:
                        v = months * p.monthly * rng.lognormal(0.0, 0.3, n)
                    else:
                        v = p.typical * np.where(crisis, 2.0, 1.0) * rng.lognormal(0.0, 0.7, n)
                    v = np.round(v, -1).astype(np.int64)
                    v = np.clip(v, lo, f.max if f.max is not None else None)
                else:
                    v = lo + rng.integers(0, 12, n)
                drawn[f.name] = v.astype(np.int64)
                batch.values[f.name][rows] = drawn[f.name]
            elif f.type == "date":
                anchor = p.anchors.get(f.name)
                if anchor is not None and anchor in drawn:
                    unit = kind.field(anchor).unit
                    back = drawn[anchor] * (30 if unit == "months" else 1) + rng.integers(0, 10, n)
                else:
                    back = rng.integers(0, 45, n)
                batch.values[f.name][rows] = observed - back.astype("timedelta64[D]")
            else:
                choices = np.array(f.choices or ("기타",), dtype=object)
                weights = np.array(p.choices.get(f.name, np.ones(len(choices))), dtype=float)
                if len(weights) != len(choices):
                    weights = np.ones(len(choices))
                batch.values[f.name][rows] = choices[rng.choice(len(choices), n, p=weights / weights.sum())]
            present = np.ones(n, dtype=bool) if f.required else rng.random(n) >= MISSING_OPTIONAL
            batch.valid[f.name][rows] = present

    def _carry_over(
        self, rng: np.random.Generator, previous: SignalBatch, period: Period, previous_period: Period
    ) -> SignalBatch:
        """Running arrears reappear two months later: more months, a larger amount, the same last payment."""
        has_months = np.array(["months_overdue" in {f.name for f in k.fields} for k in self.kinds])
        p = np.where(previous.from_crisis, PERSIST["crisis"], PERSIST["noise"])
        carried = previous.take(np.flatnonzero(has_months[previous.kind] & (rng.random(len(previous)) < p)))
        shift = (period.start_day - previous_period.start_day).astype(np.int64)
        months_added = max(1, round(shift / 30))
        carried.observed_on = np.minimum(carried.observed_on + np.timedelta64(shift, "D"), period.end_day)
        months = carried.values["months_overdue"]
        grown = months + months_added
        for name, type_ in self.field_types.items():
            if type_ == "int" and name in carried.values and name != "months_overdue":
                unit_is_won = any(f.name == name and f.unit == "won" for k in self.kinds for f in k.fields)
                if unit_is_won:
                    scaled = carried.values[name] * grown // np.maximum(months, 1)
                    cap = np.array([_max_of(k, name) for k in self.kinds])[carried.kind]
                    carried.values[name] = np.where(carried.valid[name], np.minimum(scaled, cap), carried.values[name])
        carried.values["months_overdue"] = np.where(carried.valid["months_overdue"], grown, months)
        return carried


def _max_of(kind: SignalKind, name: str) -> int:
    for f in kind.fields:
        if f.name == name and f.max is not None:
            return f.max
    return np.iinfo(np.int64).max
