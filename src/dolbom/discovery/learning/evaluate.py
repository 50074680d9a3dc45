"""Measures for a screening scorer against a known truth: precision and recall at the visit capacity (cut per dong
as a round cuts), AUC, Brier score, a reliability table, and recall parity across groups of households.

Pure numpy over arrays aligned by household; the model card assembles them (`dolbom.lab.card`). Nothing here reads the
database or the truth file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann–Whitney, ties counted half); NaN when one class is absent."""
    y = np.asarray(y).astype(bool)
    s = np.asarray(score, dtype=np.float64)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    _, inverse, counts = np.unique(s[order], return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)
    average_rank = (upper - counts + 1 + upper) / 2.0
    ranks = np.empty(len(s))
    ranks[order] = average_rank[inverse]
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def brier(y: np.ndarray, probability: np.ndarray) -> float:
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(probability, dtype=np.float64)
    return float(np.mean((p - y) ** 2)) if len(y) else float("nan")


@dataclass(frozen=True)
class ReliabilityBin:
    decile: int
    households: int
    mean_probability: float
    observed_rate: float
    low: float
    high: float


def reliability(y: np.ndarray, probability: np.ndarray, bins: int = 10) -> list[ReliabilityBin]:
    """Households sorted by predicted probability in equal-count bins: predicted versus observed share."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(probability, dtype=np.float64)
    order = np.argsort(p, kind="mergesort")
    table = []
    for i, rows in enumerate(np.array_split(order, bins)):
        if len(rows) == 0:
            continue
        table.append(
            ReliabilityBin(
                decile=i + 1,
                households=len(rows),
                mean_probability=float(p[rows].mean()),
                observed_rate=float(y[rows].mean()),
                low=float(p[rows].min()),
                high=float(p[rows].max()),
            )
        )
    return table


def select_per_dong(
    score: np.ndarray, dong: np.ndarray, capacity: dict[str, int], tie_break: np.ndarray | None = None
) -> np.ndarray:
    """The households a round would list: in each dong, the `capacity` highest scores (ties: lower tie_break
    first, e.g. the household id). NaN scores are never listed."""
    score = np.asarray(score, dtype=np.float64)
    dong = np.asarray(dong)
    tie = np.arange(len(score)) if tie_break is None else np.asarray(tie_break)
    selected = np.zeros(len(score), dtype=bool)
    valid = ~np.isnan(score)
    for code, cap in capacity.items():
        rows = np.flatnonzero((dong == code) & valid)
        if cap <= 0 or len(rows) == 0:
            continue
        order = np.lexsort((tie[rows], -score[rows]))
        selected[rows[order[:cap]]] = True
    return selected


@dataclass(frozen=True)
class AtK:
    k: int
    listed: int
    found: int
    precision: float
    recall: float
    recall_detectable: float


def at_capacity(selected: np.ndarray, in_crisis: np.ndarray, detectable: np.ndarray) -> AtK:
    """Precision and recall of a list. Recall counts every household in crisis in the population, also those whose
    crisis leaves no trace in agency data (`recall_detectable` leaves those out)."""
    selected = np.asarray(selected, dtype=bool)
    in_crisis = np.asarray(in_crisis, dtype=bool)
    detectable = np.asarray(detectable, dtype=bool) & in_crisis
    found = int((selected & in_crisis).sum())
    listed = int(selected.sum())
    return AtK(
        k=listed,
        listed=listed,
        found=found,
        precision=found / listed if listed else float("nan"),
        recall=found / int(in_crisis.sum()) if in_crisis.any() else float("nan"),
        recall_detectable=int((selected & detectable).sum()) / int(detectable.sum()) if detectable.any() else 0.0,
    )


@dataclass(frozen=True)
class GroupRecall:
    group: str
    in_crisis: int
    found: int
    recall: float


@dataclass(frozen=True)
class Parity:
    attribute: str
    groups: list[GroupRecall]
    ratio: float  # highest recall / lowest, over groups with at least `min_in_crisis` households in crisis
    compared: int  # how many groups entered the ratio


def recall_parity(
    attribute: str, groups: np.ndarray, selected: np.ndarray, in_crisis: np.ndarray, *, min_in_crisis: int = 10
) -> Parity:
    """Recall within each group, and the max/min ratio (1.0 = equal; ∞ = a group with no household found)."""
    groups = np.asarray(groups).astype(str)
    selected = np.asarray(selected, dtype=bool)
    in_crisis = np.asarray(in_crisis, dtype=bool)
    rows = []
    for name in sorted(set(groups.tolist())):
        members = groups == name
        n = int((members & in_crisis).sum())
        found = int((members & in_crisis & selected).sum())
        rows.append(GroupRecall(group=name, in_crisis=n, found=found, recall=found / n if n else float("nan")))
    compared = [g.recall for g in rows if g.in_crisis >= min_in_crisis]
    if len(compared) < 2:
        ratio = float("nan")
    elif min(compared) == 0:
        ratio = float("inf")
    else:
        ratio = max(compared) / min(compared)
    return Parity(attribute=attribute, groups=rows, ratio=ratio, compared=len(compared))


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson interval of a proportion (sound with few successes, unlike p ± 2·se)."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (float(centre - half), float(centre + half))


def bootstrap_precision_difference(
    first: np.ndarray, second: np.ndarray, in_crisis: np.ndarray, *, replicates: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """95 % interval of precision(second) − precision(first) for two fixed lists, resampling households (Poisson
    bootstrap over the union of both lists, so households listed by both count once in each replicate)."""
    first = np.asarray(first, dtype=bool)
    second = np.asarray(second, dtype=bool)
    union = np.flatnonzero(first | second)
    if len(union) == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    weights = rng.poisson(1.0, size=(replicates, len(union))).astype(np.float64)
    hit = np.asarray(in_crisis, dtype=bool)[union].astype(np.float64)
    a, b = first[union].astype(np.float64), second[union].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        pa_ = (weights * a * hit).sum(axis=1) / (weights * a).sum(axis=1)
        pb_ = (weights * b * hit).sum(axis=1) / (weights * b).sum(axis=1)
    diff = pb_ - pa_
    diff = diff[np.isfinite(diff)]
    return (float(np.quantile(diff, 0.025)), float(np.quantile(diff, 0.975)))
