"""The hidden truth: which households are really in crisis, of which kind, since when, and whether it shows in data.

The application never loads this; it is written to `truth.parquet` so that a screening model can be scored
against what it cannot see. Crisis is more likely for the groups the welfare literature and the national system
single out — elders living alone, middle-aged men living alone (고독사 위험), single parents, households with a
disabled member, low income, insecure housing — and some crises (isolation, care burden) leave few traces in
agency data: those are the misses a data-only screening cannot avoid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dolbom.synth.areas import GOSIWON, RENTAL
from dolbom.synth.people import (
    ELDERLY_ALONE,
    MIDDLE_SINGLE,
    REF_DAY,
    SINGLE_PARENT_TYPES,
    SINGLE_TYPES,
    Population,
)

CRISIS_KINDS: tuple[str, ...] = (
    "income_loss",
    "debt",
    "health",
    "isolation",
    "housing",
    "care",
    "mental_health",
    "disaster",
    "transition",
)
_BASE_WEIGHTS = np.array([0.24, 0.20, 0.17, 0.07, 0.10, 0.07, 0.07, 0.02, 0.06])
# Share of each kind of crisis that shows up in agency data at all (the rest only a visit or a neighbour finds).
_DETECTABLE = np.array([0.88, 0.92, 0.85, 0.55, 0.85, 0.60, 0.70, 0.95, 0.75])

# Crisis risk: log-odds over a base of 1.7 %, tuned so that ≈ 4 % of households are in crisis.
_BASE_LOGIT = np.log(0.017 / 0.983)
_COEF = {
    "elderly_alone": 0.9,
    "middle_single_male": 0.8,
    "single_parent": 0.9,
    "disabled_member": 0.6,
    "low_income": 1.5,
    "foreign": 0.2,
    "gosiwon": 1.0,
    "rental": 0.3,
}


@dataclass
class Truth:
    risk: np.ndarray  # probability the model drew crisis from
    in_crisis: np.ndarray
    kind: np.ndarray  # index into CRISIS_KINDS, -1 when not in crisis
    since: np.ndarray  # datetime64[D]; NaT when not in crisis
    detectable: np.ndarray

    def active(self, by: np.datetime64) -> np.ndarray:
        """Households whose crisis is visible in data and has begun by a date."""
        return self.in_crisis & self.detectable & (self.since <= by)


def household_features(pop: Population) -> dict[str, np.ndarray]:
    head_male = pop.male[pop.head_index]
    return {
        "elderly_alone": pop.hh_type == ELDERLY_ALONE,
        "middle_single_male": (pop.hh_type == MIDDLE_SINGLE) & head_male,
        "single_parent": np.isin(pop.hh_type, SINGLE_PARENT_TYPES),
        "disabled_member": pop.disabled_member,
        "low_income": pop.low_income,
        "foreign": pop.foreign_household,
        "gosiwon": pop.building == GOSIWON,
        "rental": pop.building == RENTAL,
    }


def draw_truth(rng: np.random.Generator, pop: Population) -> Truth:
    n = len(pop.hh_type)
    f = household_features(pop)
    logit = np.full(n, _BASE_LOGIT)
    for name, coef in _COEF.items():
        logit += coef * f[name]
    risk = 1.0 / (1.0 + np.exp(-logit))
    in_crisis = rng.random(n) < risk

    # Kind of crisis: base weights reshaped by who the household is.
    w = np.tile(_BASE_WEIGHTS, (n, 1))
    k = {name: i for i, name in enumerate(CRISIS_KINDS)}
    elderly = pop.head_age >= 65
    young_single = np.isin(pop.hh_type, SINGLE_TYPES) & (pop.head_age < 35)
    for mask, changes in (
        (
            elderly,
            {"isolation": 4, "health": 2, "income_loss": 0.3, "debt": 0.4, "transition": 0.1, "mental_health": 0.7},
        ),
        (f["disabled_member"], {"care": 3, "health": 1.5}),
        (f["single_parent"], {"care": 2, "income_loss": 1.5, "debt": 1.3}),
        (young_single, {"transition": 3, "mental_health": 1.8, "health": 0.5}),
        (f["middle_single_male"], {"isolation": 2.5, "mental_health": 1.5, "debt": 1.3}),
        (f["gosiwon"] | f["rental"], {"housing": 2.5}),
        (f["low_income"], {"debt": 1.3, "housing": 1.3}),
    ):
        for name, factor in changes.items():
            w[mask, k[name]] *= factor
    cdf = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    kind = np.minimum((rng.random(n)[:, None] > cdf).sum(axis=1), len(CRISIS_KINDS) - 1)
    kind = np.where(in_crisis, kind, -1).astype(np.int8)
    detectable = in_crisis & (rng.random(n) < _DETECTABLE[np.maximum(kind, 0)])
    # Crises began at some point in the year before the reference date: some only after the first period.
    days = rng.integers(0, 365, n).astype("timedelta64[D]")
    since = np.where(in_crisis, REF_DAY - days, np.datetime64("NaT", "D"))
    return Truth(risk=risk, in_crisis=in_crisis, kind=kind, since=since, detectable=detectable)
