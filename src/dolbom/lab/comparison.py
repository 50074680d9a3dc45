"""Both scorers on the same screening inputs, measured against a synthetic city's hidden truth.

The two lists come from the screening engine itself (`run_screening`) on identical inputs — same snapshot, same
exclusions, same visit capacities, same per-dong cut and tie-breaking — so that a difference between them is the
scorers' and nothing else's. AUC and calibration are measured over every household the round could rank (those
with at least one signal, less the excluded); recall counts every household in crisis in the population, also
those whose crisis leaves no trace in agency data, which no data-driven screening can find.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dolbom.discovery.learning.evaluate import (
    at_capacity,
    auc,
    bootstrap_precision_difference,
    brier,
    recall_parity,
    reliability,
    wilson,
)
from dolbom.discovery.learning.scorer import ModelScorer
from dolbom.discovery.screening.engine import run_screening
from dolbom.discovery.screening.scorers import ScorecardScorer, build_features

PARITY_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("head_age_band", "가구주 연령대 (head's age band)"),
    ("head_sex_label", "가구주 성별 (head's sex)"),
    ("disability_label", "장애인 가구원 (disability in the household)"),
    ("dong_name", "읍면동 (dong)"),
    ("hard_to_reach_label", "연락·방문 어려운 가구 (hard to reach)"),
)


# The suffix of a model's name for its lists cut in the balanced order (discovery/learning/balance.py).
BALANCED = "_balanced"


@dataclass
class Aligned:
    """Arrays over the evaluation population (the truth table's households that the round did not exclude)."""

    household_id: np.ndarray
    in_crisis: np.ndarray
    detectable: np.ndarray
    groups: dict[str, np.ndarray]


def align(truth: pa.Table, *, district_households: np.ndarray, excluded: np.ndarray) -> Aligned:
    """The truth of the households of the screened district that the round could list."""
    ids = truth.column("household_id").to_numpy()
    keep = np.isin(ids, district_households) & ~np.isin(ids, excluded)
    t = truth.filter(pa.array(keep))
    hard = np.asarray(t.column("hard_to_reach").to_pylist(), dtype=bool)
    groups = {name: np.asarray(t.column(name).to_pylist(), dtype=object) for name, _ in PARITY_ATTRIBUTES[:-1]}
    groups["hard_to_reach_label"] = np.where(hard, "어려움 (hard to reach)", "보통 (others)").astype(object)
    return Aligned(
        household_id=t.column("household_id").to_numpy(),
        in_crisis=np.asarray(t.column("in_crisis").to_pylist(), dtype=bool),
        detectable=np.asarray(t.column("detectable").to_pylist(), dtype=bool),
        groups=groups,
    )


def _spread(population: np.ndarray, ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Values keyed by household id, laid over the population (NaN where a household has none)."""
    out = np.full(len(population), np.nan)
    order = np.argsort(population)
    pos = np.searchsorted(population, ids, sorter=order)
    pos = np.clip(pos, 0, len(population) - 1)
    found = population[order[pos]] == ids
    out[order[pos[found]]] = np.asarray(values, dtype=np.float64)[found]
    return out


def _listed(population: np.ndarray, listed: pa.Table) -> np.ndarray:
    return np.isin(population, listed.column("household_id").to_numpy())


def scorer_report(
    name: str,
    aligned: Aligned,
    listed: np.ndarray,
    score: np.ndarray,
    probability: np.ndarray | None,
) -> dict[str, Any]:
    ranked = ~np.isnan(score)
    at_k = at_capacity(listed, aligned.in_crisis, aligned.detectable)
    low, high = wilson(at_k.found, at_k.listed)
    report: dict[str, Any] = {
        "scorer": name,
        "listed": at_k.listed,
        "found": at_k.found,
        "precision": at_k.precision,
        "precision_interval": [low, high],
        "recall": at_k.recall,
        "recall_detectable": at_k.recall_detectable,
        "ranked": int(ranked.sum()),
        # Over the households the scorer ranks; households without any signal are not ranked by either scorer.
        "auc": auc(aligned.in_crisis[ranked], score[ranked]),
        "brier": None,
        "reliability": [],
        "parity": {},
    }
    if probability is not None:
        p = probability[ranked]
        report["brier"] = brier(aligned.in_crisis[ranked], p)
        report["base_rate_brier"] = brier(aligned.in_crisis[ranked], np.full(len(p), aligned.in_crisis[ranked].mean()))
        report["mean_probability"] = float(p.mean())
        report["reliability"] = [b.__dict__ for b in reliability(aligned.in_crisis[ranked], p)]
        # Among the listed households: what the model promised against what the door found.
        on_list = listed & ranked
        report["listed_mean_probability"] = float(probability[on_list].mean()) if on_list.any() else None
        report["listed_brier"] = brier(aligned.in_crisis[on_list], probability[on_list]) if on_list.any() else None
    else:
        report["reliability"] = [b.__dict__ for b in reliability(aligned.in_crisis[ranked], score[ranked])]
    for attribute, _label in PARITY_ATTRIBUTES:
        parity = recall_parity(attribute, aligned.groups[attribute], listed, aligned.in_crisis)
        report["parity"][attribute] = {
            "ratio": parity.ratio,
            "compared": parity.compared,
            "groups": [g.__dict__ for g in parity.groups],
        }
    return report


@dataclass
class Collected:
    """One or more rounds' evaluation arrays, over the same population order."""

    aligned: Aligned
    listed: dict[str, np.ndarray]  # scorer → listed by the round
    score: dict[str, np.ndarray]  # scorer → score (NaN: not ranked)
    probability: dict[str, np.ndarray | None]
    capacity: int
    with_signal: int
    without_reasons: int  # model-listed households without reasons (should be 0)


def collect(
    inputs: Any, models: dict[str, ModelScorer], truth: pa.Table, *, excluded: np.ndarray | None = None
) -> Collected:
    """Run the scorecard and each learned model (by name) through the screening engine on one round's inputs;
    `excluded` adds households to leave out of the population (the inputs' own exclusions always apply)."""
    snapshot_excluded = pq.read_table(inputs.snapshot.path("excluded")).column("household_id").to_numpy()
    left_out = np.union1d(snapshot_excluded, excluded if excluded is not None else np.zeros(0, np.int64))
    district_households = pq.read_table(inputs.snapshot.path("households")).column("household_id").to_numpy()
    aligned = align(truth, district_households=district_households, excluded=left_out)
    population = aligned.household_id
    features = build_features(inputs)
    feature_ids = features.column("household_id").to_numpy()

    card = ScorecardScorer(inputs).score()
    listed = {"scorecard": _listed(population, run_screening(inputs))}
    score = {"scorecard": _spread(population, card.column("household_id").to_numpy(), card.column("score").to_numpy())}
    probability: dict[str, np.ndarray | None] = {"scorecard": None}
    without_reasons = 0
    for name, scorer in models.items():
        p = _spread(population, feature_ids, scorer.probabilities(features))
        # Each model's lists both ways a district's rounds may cut them: by score, and balanced.
        for cut, balanced in ((name, False), (f"{name}{BALANCED}", True)):
            model_list = run_screening(inputs, scorer=scorer, balanced=balanced)
            listed[cut], score[cut], probability[cut] = _listed(population, model_list), p * 100, p
            without_reasons += sum(1 for r in model_list.column("reasons").to_pylist() if not r)
    capacity = pq.read_table(inputs.snapshot.path("dongs")).column("visit_capacity").to_numpy()
    return Collected(
        aligned=aligned,
        listed=listed,
        score=score,
        probability=probability,
        capacity=int(capacity.sum()),
        with_signal=int(features.num_rows),
        without_reasons=without_reasons,
    )


def pool(parts: list[Collected]) -> Collected:
    """Several districts' rounds as one evaluation (each district scored by its own model)."""
    if len(parts) == 1:
        return parts[0]

    def cat(get: Any) -> np.ndarray:
        return np.concatenate([get(p) for p in parts])

    aligned = Aligned(
        household_id=cat(lambda p: p.aligned.household_id),
        in_crisis=cat(lambda p: p.aligned.in_crisis),
        detectable=cat(lambda p: p.aligned.detectable),
        groups={k: cat(lambda p, k=k: p.aligned.groups[k]) for k in parts[0].aligned.groups},
    )
    names = list(parts[0].listed)
    return Collected(
        aligned=aligned,
        listed={n: cat(lambda p, n=n: p.listed[n]) for n in names},
        score={n: cat(lambda p, n=n: p.score[n]) for n in names},
        probability={
            n: None if parts[0].probability[n] is None else cat(lambda p, n=n: p.probability[n]) for n in names
        },
        capacity=sum(p.capacity for p in parts),
        with_signal=sum(p.with_signal for p in parts),
        without_reasons=sum(p.without_reasons for p in parts),
    )


def compare(collected: Collected) -> dict[str, Any]:
    """The measures of every scorer, and how each model's precision differs from the scorecard's (with a
    bootstrap interval)."""
    a = collected.aligned
    reports = {
        name: scorer_report(name, a, collected.listed[name], collected.score[name], collected.probability[name])
        for name in collected.listed
    }
    differences = {}
    for name in collected.listed:
        if name == "scorecard":
            continue
        low, high = bootstrap_precision_difference(collected.listed["scorecard"], collected.listed[name], a.in_crisis)
        differences[name] = {
            "difference": reports[name]["precision"] - reports["scorecard"]["precision"],
            "interval": [low, high],
            "overlap": int((collected.listed["scorecard"] & collected.listed[name]).sum()),
        }
    return {
        "capacity": collected.capacity,
        "population": len(a.household_id),
        "with_signal": collected.with_signal,
        "in_crisis": int(a.in_crisis.sum()),
        "in_crisis_detectable": int((a.in_crisis & a.detectable).sum()),
        "scorers": reports,
        "differences": differences,
        "model_listed_without_reasons": collected.without_reasons,
    }
