"""The balanced cut of a learned model's lists (docs/screening.md, "Balanced cut").

A learned model's top of each dong leans to the groups where its signals speak loudest: on the model card's
generated cities, the share of households in crisis that a learned model's lists found varied 2.6 to 5 times
across the head's age bands, against 1.1 to 1.7 for the scorecard, and up to 1.75 times across the head's sex,
against 1.05 (docs/model-card.md). Where the district's setting asks for it, a round screened with the model shares
each dong's list across strata — the head's age band and sex together, e.g. "65-79/F" — in proportion to the need
the model expects in each (the sum of its probabilities over the stratum's ranked households), and gives each
stratum's places to its highest-ranked households. Balancing the age bands alone left the lists leaning by the
head's sex (1.53 against the scorecard's 1.05 on the 100,000-household card city).

The places are apportioned by Sainte-Laguë's divisor method: the next place of a dong's list goes to the stratum
with the largest expected need ÷ (places it already has + ½). A divisor method never takes a place from a stratum
when the list grows, so the cut is one ordering of the dong — the household at position j of its stratum's
ranking has priority expected need ÷ (j − ½) — and the capacity, the reserved share and the release gate cut that
ordering as they cut the score's. Ties go to the higher score, then the lower household id.

The round's engine computes the order in SQL (`sql.balanced_statement`); `balanced_selection` is the same rule in
numpy, for the gate's held-out households.
"""

from __future__ import annotations

from datetime import date

import numpy as np

# The head's age bands (lower bound, label), also the gate's and the model card's groups.
AGE_BANDS: tuple[tuple[int, str], ...] = ((0, "0-39"), (40, "40-64"), (65, "65-79"), (80, "80+"))
UNKNOWN_BAND = "unknown"
# The head's sex where the registry has none (no registered head, or the field empty).
UNKNOWN_SEX = "unknown"


def age_band(birth: date | None, on: date) -> str:
    if birth is None:
        return UNKNOWN_BAND
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return next(label for bound, label in reversed(AGE_BANDS) if age >= bound)


def stratum(band: str, sex: str | None) -> str:
    """A household's stratum in the balanced cut: its head's age band and sex ("65-79/F")."""
    return f"{band}/{sex or UNKNOWN_SEX}"


def strata(bands: np.ndarray, sexes: np.ndarray) -> np.ndarray:
    """`stratum` over aligned arrays of age bands and sexes (None or "" for a sex the registry does not have)."""
    return np.asarray([stratum(str(b), s and str(s)) for b, s in zip(bands, sexes, strict=True)], dtype=object)


def balanced_priority(
    probability: np.ndarray, score: np.ndarray, group: np.ndarray, dong: np.ndarray, tie_break: np.ndarray
) -> np.ndarray:
    """Each household's priority in its dong's balanced order: its group's expected need (Σ probability over the
    group's households in the dong) ÷ (its position in the group's ranking by score − ½). NaN scores get NaN. The
    group is the household's stratum (`stratum`) in a round; any grouping works."""
    probability = np.nan_to_num(np.asarray(probability, dtype=np.float64))
    score = np.asarray(score, dtype=np.float64)
    priority = np.full(len(score), np.nan)
    valid = ~np.isnan(score)
    keys = np.char.add(np.asarray(dong, dtype=str), np.char.add("\x1f", np.asarray(group, dtype=str)))
    for key in np.unique(keys[valid]):
        rows = np.flatnonzero(valid & (keys == key))
        ordered = rows[np.lexsort((tie_break[rows], -score[rows]))]
        expected = probability[rows].sum()
        priority[ordered] = expected / (np.arange(1, len(ordered) + 1) - 0.5)
    return priority


def balanced_selection(
    probability: np.ndarray,
    score: np.ndarray,
    group: np.ndarray,
    dong: np.ndarray,
    capacity: dict[str, int],
    tie_break: np.ndarray,
) -> np.ndarray:
    """The households a round with the balanced cut would list: in each dong, the first `capacity` of the
    balanced order (priority, then score, then the lower tie_break). NaN scores are never listed."""
    score = np.asarray(score, dtype=np.float64)
    dong = np.asarray(dong)
    tie_break = np.asarray(tie_break)
    priority = balanced_priority(probability, score, group, dong, tie_break)
    selected = np.zeros(len(score), dtype=bool)
    for code, cap in capacity.items():
        rows = np.flatnonzero((dong == code) & ~np.isnan(score))
        if cap <= 0 or len(rows) == 0:
            continue
        order = np.lexsort((tie_break[rows], -score[rows], -priority[rows]))
        selected[rows[order[:cap]]] = True
    return selected
