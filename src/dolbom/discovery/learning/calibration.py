"""Turning the model's raw score (log-odds) into a probability that means what it says, without breaking the
monotone ordering: both methods are non-decreasing in the raw score, so a household with more arrears never gets a
lower probability than one with fewer.

Platt scaling (a logistic curve, two numbers) is used with few labels, where an isotonic step function would
follow noise; isotonic regression (pool-adjacent-violators) once there are enough labels to trust its steps. Both
are stored as plain numbers in JSON: nothing executable is ever loaded from a model file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

ISOTONIC_MIN_LABELS = 1000


@dataclass(frozen=True)
class Calibration:
    method: str  # "platt" | "isotonic"
    slope: float = 0.0
    intercept: float = 0.0
    x: tuple[float, ...] = field(default_factory=tuple)  # isotonic knots (raw score) …
    y: tuple[float, ...] = field(default_factory=tuple)  # … and their probabilities, both non-decreasing

    def apply(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=np.float64)
        if self.method == "platt":
            return _sigmoid(self.slope * raw + self.intercept)
        if self.method == "isotonic":
            return np.interp(raw, np.asarray(self.x), np.asarray(self.y))
        raise ValueError(f"unknown calibration method {self.method!r}")

    def to_dict(self) -> dict[str, Any]:
        if self.method == "platt":
            return {"method": "platt", "slope": self.slope, "intercept": self.intercept}
        return {"method": "isotonic", "x": list(self.x), "y": list(self.y)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        method = data.get("method")
        if method == "platt":
            slope, intercept = float(data["slope"]), float(data["intercept"])
            if not (np.isfinite(slope) and np.isfinite(intercept)) or slope < 0:
                raise ValueError("Platt calibration needs a finite, non-negative slope")
            return cls(method="platt", slope=slope, intercept=intercept)
        if method == "isotonic":
            x = tuple(float(v) for v in data["x"])
            y = tuple(float(v) for v in data["y"])
            if len(x) != len(y) or not x or np.any(np.diff(x) < 0) or np.any(np.diff(y) < 0):
                raise ValueError("isotonic calibration needs non-decreasing knots of equal length")
            if min(y) < 0 or max(y) > 1:
                raise ValueError("isotonic calibration probabilities must lie in [0, 1]")
            return cls(method="isotonic", x=x, y=y)
        raise ValueError(f"unknown calibration method {method!r}")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free logistic


def fit_platt(raw: np.ndarray, y: np.ndarray, *, iterations: int = 100) -> Calibration:
    """Logistic regression of the label on the raw score (Newton's method), with Platt's smoothed targets so that
    a perfectly separated fold does not send the slope to infinity. A negative slope would reverse the model's
    ordering; it is clamped to 0 (every household then gets the base rate, which the metrics will show)."""
    raw = np.asarray(raw, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    positives, negatives = y.sum(), len(y) - y.sum()
    target = np.where(y > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    a, b = 1.0, float(np.log((positives + 1) / (negatives + 1)))
    for _ in range(iterations):
        p = _sigmoid(a * raw + b)
        w = np.maximum(p * (1 - p), 1e-12)
        g = np.array([np.sum((p - target) * raw), np.sum(p - target)])
        h = np.array([[np.sum(w * raw * raw), np.sum(w * raw)], [np.sum(w * raw), np.sum(w)]]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(h, g)
        a, b = a - step[0], b - step[1]
        if np.max(np.abs(step)) < 1e-10:
            break
    if a < 0:
        a, b = 0.0, float(np.log((positives + 1) / (negatives + 1)))
    return Calibration(method="platt", slope=float(a), intercept=float(b))


def fit_isotonic(raw: np.ndarray, y: np.ndarray) -> Calibration:
    """Pool-adjacent-violators: the non-decreasing step function closest to the labels in squared error."""
    order = np.argsort(raw, kind="stable")
    xs, ys = np.asarray(raw, dtype=np.float64)[order], np.asarray(y, dtype=np.float64)[order]
    # Blocks of (sum of labels, count, lowest x, highest x), merged while a block's mean exceeds the next one's.
    sums: list[float] = []
    counts: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    for xv, yv in zip(xs, ys, strict=True):
        sums.append(yv)
        counts.append(1.0)
        lo.append(xv)
        hi.append(xv)
        while len(sums) > 1 and sums[-2] / counts[-2] >= sums[-1] / counts[-1]:
            s, c, h = sums.pop(), counts.pop(), hi.pop()
            lo.pop()
            sums[-1] += s
            counts[-1] += c
            hi[-1] = h
    knots_x: list[float] = []
    knots_y: list[float] = []
    for s, c, a, b in zip(sums, counts, lo, hi, strict=True):
        mean = s / c
        knots_x.extend([a, b] if b > a else [a])
        knots_y.extend([mean, mean] if b > a else [mean])
    return Calibration(method="isotonic", x=tuple(knots_x), y=tuple(knots_y))


def fit_calibration(raw: np.ndarray, y: np.ndarray) -> Calibration:
    """Platt below ISOTONIC_MIN_LABELS held-out labels, isotonic from there on."""
    return fit_isotonic(raw, y) if len(y) >= ISOTONIC_MIN_LABELS else fit_platt(raw, y)
