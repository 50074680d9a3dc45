"""The resources' random streams: one per district and part of the plan, derived from the city's seed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np

# Apart from the generator's streams (generate.py uses 0–5).
RESOURCES_STREAM = 1_000
DAY = timedelta(days=1)
WON_STEP = 10_000


class Draw:
    """One random stream, with the few kinds of draw the plan needs."""

    def __init__(self, seed: int, district: int, purpose: int) -> None:
        key = (RESOURCES_STREAM, district, purpose)
        self.rng = np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=key))

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def between(self, low: int, high: int) -> int:
        return int(self.rng.integers(low, high + 1))

    def pick(self, values: Sequence[Any], weights: Sequence[float] | None = None) -> Any:
        if weights is None:
            return values[int(self.rng.integers(len(values)))]
        cdf = np.cumsum(np.asarray(weights, dtype=float))
        return values[min(int(np.searchsorted(cdf, self.rng.random() * cdf[-1], side="right")), len(values) - 1)]

    def won(self, low: int, high: int, step: int = WON_STEP) -> int:
        return self.between(low // step, high // step) * step

    def day(self, first: date, last: date) -> date:
        return first + timedelta(days=self.between(0, max(0, (last - first).days)))
