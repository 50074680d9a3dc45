"""The age-balanced cut of a learned model's lists (docs/screening.md, "Age-balanced cut").

A learned model's top of each dong leans to the age bands where its signals speak loudest: on the model card's
generated cities, the share of households in crisis that a learned model's lists found varied 2.6 to 5 times
across the head's age bands, against 1.1 to 1.7 for the scorecard (docs/model-card.md). Where the district's
setting asks for it, a round screened with the model shares each dong's list across the head's age bands in
proportion to the need the model expects in each band (the sum of its probabilities over the band's ranked
households), and gives each band's places to its highest-ranked households.

The places are apportioned by Sainte-Laguë's divisor method: the next place of a dong's list goes to the band with
the largest expected need ÷ (places it already has + ½). A divisor method never takes a place from a band when the
list grows, so the cut is one ordering of the dong — the household at position j of its band's ranking has priority
expected need ÷ (j − ½) — and the capacity, the reserved share and the release gate cut that ordering as they
cut the score's. Ties go to the higher score, then the lower household id.

The round's engine computes the order in SQL (`sql.balanced_statement`); `balanced_selection` is the same rule in
numpy, for the gate's held-out households.
"""

from __future__ import annotations

from datetime import date

import numpy as np

# The head's age bands (lower bound, label), also the gate's and the model card's groups.
AGE_BANDS: tuple[tuple[int, str], ...] = ((0, "0-39"), (40, "40-64"), (65, "65-79"), (80, "80+"))
UNKNOWN_BAND = "unknown"


def age_band(birth: date | None, on: date) -> str:
    if birth is None:
        return UNKNOWN_BAND
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return next(label for bound, label in reversed(AGE_BANDS) if age >= bound)


def balanced_priority(
    probability: np.ndarray, score: np.ndarray, band: np.ndarray, dong: np.ndarray, tie_break: np.ndarray
) -> np.ndarray:
    """Each household's priority in its dong's balanced order: its band's expected need (Σ probability over the
    band's households in the dong) ÷ (its position in the band's ranking by score − ½). NaN scores get NaN."""
    probability = np.nan_to_num(np.asarray(probability, dtype=np.float64))
    score = np.asarray(score, dtype=np.float64)
    priority = np.full(len(score), np.nan)
    valid = ~np.isnan(score)
    keys = np.char.add(np.asarray(dong, dtype=str), np.char.add("\x1f", np.asarray(band, dtype=str)))
    for key in np.unique(keys[valid]):
        rows = np.flatnonzero(valid & (keys == key))
        ordered = rows[np.lexsort((tie_break[rows], -score[rows]))]
        expected = probability[rows].sum()
        priority[ordered] = expected / (np.arange(1, len(ordered) + 1) - 0.5)
    return priority


def balanced_selection(
    probability: np.ndarray,
    score: np.ndarray,
    band: np.ndarray,
    dong: np.ndarray,
    capacity: dict[str, int],
    tie_break: np.ndarray,
) -> np.ndarray:
    """The households a round with the age-balanced cut would list: in each dong, the first `capacity` of the
    balanced order (priority, then score, then the lower tie_break). NaN scores are never listed."""
    score = np.asarray(score, dtype=np.float64)
    dong = np.asarray(dong)
    tie_break = np.asarray(tie_break)
    priority = balanced_priority(probability, score, band, dong, tie_break)
    selected = np.zeros(len(score), dtype=bool)
    for code, cap in capacity.items():
        rows = np.flatnonzero((dong == code) & ~np.isnan(score))
        if cap <= 0 or len(rows) == 0:
            continue
        order = np.lexsort((tie_break[rows], -score[rows], -priority[rows]))
        selected[rows[order[:cap]]] = True
    return selected
