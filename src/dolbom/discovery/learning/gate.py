"""The release gate: a learned model is offered for rounds only when, on rounds it never saw, it finds more
households in need than the scorecard — with the bootstrap interval of the difference above zero — and its recall
is no less even than the scorecard's, or even enough (highest over lowest at most EVEN_ENOUGH), across the head's
age band, the head's sex, disability in the household and the dong.

What is measured is what a district knows: the households the held-out rounds visited whose outcome says need
(helped, referred) or no need (not eligible, refused). In each dong each scorer ranks those households by its own
score and takes the better half (k = ⌈labelled ÷ 2⌉ per dong, the same k for both); precision@k is the share in
need among those taken, recall of a group the share of its households in need that were taken. Households no round
visited have no label and cannot enter, so the gate compares the scorers' orderings of the visited — a narrower
question than the model card's, which measures against a synthetic city's whole truth.

The visited are the households the held-out round's own scorer chose, so they cannot show how a model's list of the
whole dong leans: a model that puts one age band first can look even on them. The gate therefore also cuts each
scorer's list from every household the held-out round could list, at the round's own visit capacity, and estimates
each group's recall with the model's probabilities (calibrated on its training outcomes): the expected need found,
Σ probability of the listed, over the group's expected need, Σ probability of all. Neither list needs a label for
this; it is held to the same rule as the recall measured on outcomes.

Pure numpy: `services.learning` assembles the held-out households from the rounds' own inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from dolbom.discovery.learning.balance import balanced_selection, strata
from dolbom.discovery.learning.evaluate import bootstrap_precision_difference, recall_parity, select_per_dong

# The groups across which recall must be no less even than the scorecard's (issue: age band, sex, disability, dong).
GATE_ATTRIBUTES: tuple[str, ...] = ("head_age_band", "head_sex", "disability", "dong")
# A recall ratio (highest over lowest) at most this is even enough whatever the scorecard's: the least-found group's
# recall is at least two thirds of the most-found's, the model card's target for the head's age band. Above it a
# model must be no less even than the scorecard. Without it, a held-out round's few hundred outcomes held models
# back for differences such as 1.21 against 1.09 across the head's sex, well within their noise.
EVEN_ENOUGH = 1.5
# The key of the verdict with the model's lists cut in the balanced order (learning/balance.py). Verdicts of the
# earlier cut, balanced across the head's age band alone, were kept under "age_balanced": they say nothing of this
# cut, and a model that has only those is held back for it.
BALANCED = "balanced"
# Fewer labels than this make an interval too wide to mean anything: the gate then holds the model back.
MIN_LABELS = 50
MIN_EACH_CLASS = 10
# A group enters a recall ratio with at least this many households in need among the held-out labels.
MIN_IN_NEED_PER_GROUP = 5
# A group enters an expected recall ratio with at least this much expected need (Σ probability) among the candidates.
MIN_EXPECTED_NEED_PER_GROUP = 5.0


@dataclass(frozen=True)
class HeldOut:
    """The labelled households of the held-out rounds, aligned: one entry per household and round."""

    household_id: np.ndarray
    label: np.ndarray  # True: in need
    dong: np.ndarray
    groups: dict[str, np.ndarray]  # GATE_ATTRIBUTES → group of each household ("dong" included)
    model: np.ndarray  # the model's probability
    scorecard: np.ndarray  # the scorecard's points
    rounds: list[int]

    @classmethod
    def empty(cls, rounds: list[int] | None = None) -> HeldOut:
        nothing = np.zeros(0)
        return cls(
            household_id=nothing.astype(np.int64),
            label=nothing.astype(bool),
            dong=nothing.astype(object),
            groups={name: nothing.astype(object) for name in GATE_ATTRIBUTES},
            model=nothing,
            scorecard=nothing,
            rounds=rounds or [],
        )


@dataclass(frozen=True)
class Candidates:
    """Every household the held-out rounds could list — a scored signal, not excluded — visited or not, aligned: the
    model's probability, the scorecard's points (NaN below its minimum score, which its round would not list), the
    groups, and the list each belongs to ("round:dong") with that list's visit capacity."""

    household_id: np.ndarray
    cut: np.ndarray  # "round:dong": the list the household could enter
    capacity: dict[str, int]  # cut → the round's visit capacity in that dong
    groups: dict[str, np.ndarray]
    model: np.ndarray
    scorecard: np.ndarray

    @classmethod
    def empty(cls) -> Candidates:
        nothing = np.zeros(0)
        return cls(
            household_id=nothing.astype(np.int64),
            cut=nothing.astype(object),
            capacity={},
            groups={name: nothing.astype(object) for name in GATE_ATTRIBUTES},
            model=nothing,
            scorecard=nothing,
        )


def _number(value: float) -> float | str | None:
    """A ratio as JSON can hold it on every database (PostgreSQL's jsonb has no NaN or Infinity)."""
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf"
    return float(value)


def _worse(model: float, scorecard: float) -> bool | None:
    """Whether the model's max/min recall ratio is worse than the scorecard's and above EVEN_ENOUGH; None when
    either is not measurable (fewer than two groups with enough households in need)."""
    if math.isnan(model) or math.isnan(scorecard):
        return None
    if model <= EVEN_ENOUGH:
        return False
    if math.isinf(model):
        return not math.isinf(scorecard)
    return model > scorecard


def not_evaluated(reason: str, **facts: Any) -> dict[str, Any]:
    return {"evaluated": False, "passed": False, "held_back": [{"code": reason, **facts}]}


def evaluate_gate(held: HeldOut, candidates: Candidates | None = None, *, seed: int = 0) -> dict[str, Any]:
    """The gate's verdict and every figure behind it, as JSON for `ScoringModel.gate`: the verdict with the model's
    lists cut by score, and under `BALANCED` the verdict with its lists cut in the balanced order
    (learning/balance.py), the two ways a district's rounds may use a model. `held_back` lists why a model is held
    back (empty when it passed): codes that `explain_gate` says in Korean. Without `candidates` the verdict has no
    expected recall (`expected_parity` None)."""
    if not held.rounds:
        return not_evaluated("no_heldout_round")
    usable = np.isfinite(held.model) & np.isfinite(held.scorecard)
    label = held.label[usable].astype(bool)
    positives, labels = int(label.sum()), int(usable.sum())
    if labels < MIN_LABELS or positives < MIN_EACH_CLASS or labels - positives < MIN_EACH_CLASS:
        return {
            **not_evaluated("too_few_labels", labels=labels, positives=positives, negatives=labels - positives),
            "rounds": held.rounds,
        }
    dong = held.dong[usable].astype(str)
    ids = held.household_id[usable]
    names, counts = np.unique(dong, return_counts=True)
    k = {str(code): math.ceil(int(n) / 2) for code, n in zip(names, counts, strict=True)}
    scorecard = select_per_dong(held.scorecard[usable], dong, k, tie_break=ids)
    by_score = select_per_dong(held.model[usable], dong, k, tie_break=ids)
    p = held.model[usable]
    group = strata(held.groups["head_age_band"][usable], held.groups["head_sex"][usable])
    balanced = balanced_selection(p, p, group, dong, k, tie_break=ids)
    verdict = _verdict(held, usable, {"model": by_score, "scorecard": scorecard}, k, seed=seed)
    verdict[BALANCED] = _verdict(held, usable, {"model": balanced, "scorecard": scorecard}, k, seed=seed)
    for cut, is_balanced in ((verdict, False), (verdict[BALANCED], True)):
        _check_expected_parity(cut, candidates, balanced=is_balanced)
    return verdict


def _check_expected_parity(verdict: dict[str, Any], candidates: Candidates | None, *, balanced: bool) -> None:
    """Adds the expected recall of both scorers' whole lists to a verdict, and holds the model back where its list
    leans more than the scorecard's and more than EVEN_ENOUGH."""
    if candidates is None:
        verdict["expected_parity"] = None
        return
    p = candidates.model
    ids = candidates.household_id
    group = strata(candidates.groups["head_age_band"], candidates.groups["head_sex"])
    lists = {
        "scorecard": select_per_dong(candidates.scorecard, candidates.cut, candidates.capacity, tie_break=ids),
        "model": (
            balanced_selection(p, p, group, candidates.cut, candidates.capacity, ids)
            if balanced
            else select_per_dong(p, candidates.cut, candidates.capacity, tie_break=ids)
        ),
    }
    figures: dict[str, Any] = {}
    for attribute in GATE_ATTRIBUTES:
        groups = np.asarray(candidates.groups[attribute]).astype(str)
        measured = {name: expected_recall(groups, chosen, p) for name, chosen in lists.items()}
        ratios = {name: _ratio_of(rows) for name, rows in measured.items()}
        worse = _worse(ratios["model"], ratios["scorecard"])
        figures[attribute] = {
            "model": _number(ratios["model"]),
            "scorecard": _number(ratios["scorecard"]),
            "measured": worse is not None,
            "groups": measured,
        }
        if worse:
            verdict["held_back"].append({"code": "expected_parity_worse", "attribute": attribute})
    verdict["expected_parity"] = figures
    verdict["candidates"] = len(ids)
    verdict["passed"] = not verdict["held_back"]


def expected_recall(groups: np.ndarray, selected: np.ndarray, probability: np.ndarray) -> list[dict[str, Any]]:
    """Per group, its expected need (Σ probability of its candidates) and the part of it a list takes (Σ probability
    of its listed candidates), rounded for the record."""
    rows = []
    for name in sorted(set(groups.tolist())):
        members = groups == name
        need = float(probability[members].sum())
        found = float(probability[members & selected].sum())
        rows.append({"group": name, "expected_need": round(need, 3), "expected_found": round(found, 3)})
    return rows


def _ratio_of(rows: list[dict[str, Any]]) -> float:
    """Highest expected recall over lowest, among groups with at least MIN_EXPECTED_NEED_PER_GROUP expected need;
    NaN with fewer than two such groups."""
    enough = [r for r in rows if r["expected_need"] >= MIN_EXPECTED_NEED_PER_GROUP]
    recalls = [r["expected_found"] / r["expected_need"] for r in enough]
    if len(recalls) < 2:
        return float("nan")
    if min(recalls) == 0:
        return float("inf")
    return max(recalls) / min(recalls)


def gate_for(gate: dict[str, Any], *, balanced: bool) -> dict[str, Any]:
    """A model's verdict for the lists a district's rounds make: cut by score, or in the balanced order. A
    model checked before the gate measured the balanced cut has no verdict for it, and is held back there."""
    if not balanced or not gate.get("evaluated", True):
        return gate
    return gate.get(BALANCED) or not_evaluated("balanced_not_evaluated")


def passes_gate(gate: dict[str, Any], *, balanced: bool) -> bool:
    return bool(gate_for(gate, balanced=balanced).get("passed"))


def _verdict(
    held: HeldOut, usable: np.ndarray, taken: dict[str, np.ndarray], k: dict[str, int], *, seed: int
) -> dict[str, Any]:
    label = held.label[usable].astype(bool)
    positives, labels = int(label.sum()), int(usable.sum())
    precision = {name: float(label[chosen].mean()) for name, chosen in taken.items()}
    low, high = bootstrap_precision_difference(taken["scorecard"], taken["model"], label, seed=seed)
    held_back: list[dict[str, Any]] = []
    if not low > 0:
        held_back.append({"code": "precision_not_above", "low": low, "high": high})
    parity: dict[str, Any] = {}
    for attribute in GATE_ATTRIBUTES:
        groups = held.groups[attribute][usable]
        ratios = {
            name: recall_parity(attribute, groups, chosen, label, min_in_crisis=MIN_IN_NEED_PER_GROUP)
            for name, chosen in taken.items()
        }
        worse = _worse(ratios["model"].ratio, ratios["scorecard"].ratio)
        parity[attribute] = {
            "model": _number(ratios["model"].ratio),
            "scorecard": _number(ratios["scorecard"].ratio),
            "compared": ratios["scorecard"].compared,
            "measured": worse is not None,
            "groups": {
                name: [{"group": g.group, "in_need": g.in_crisis, "found": g.found} for g in r.groups]
                for name, r in ratios.items()
            },
        }
        if worse:
            held_back.append({"code": "parity_worse", "attribute": attribute})
    return {
        "evaluated": True,
        "passed": not held_back,
        "held_back": held_back,
        "rounds": held.rounds,
        "labels": labels,
        "positives": positives,
        "k": int(sum(k.values())),
        "precision": precision,
        "difference": precision["model"] - precision["scorecard"],
        "interval": [low, high],
        "parity": parity,
        "even_enough": EVEN_ENOUGH,
    }
