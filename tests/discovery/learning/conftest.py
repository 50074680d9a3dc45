"""Small synthetic labelled data for the learned model: a few signal kinds and a household modifier, with a known
relation between arrears and need, so that tests run in well under a second per model."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

FEATURES = (
    "health_insurance_arrears__months",
    "health_insurance_arrears__amount",
    "health_insurance_arrears__severity",
    "health_insurance_arrears__count",
    "electricity_arrears__months",
    "financial_delinquency__amount",
    "elderly_alone",
)


def make_data(n: int = 400, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    months = rng.integers(0, 24, n).astype(float) * (rng.random(n) < 0.7)
    amount = months * 110_000 + rng.integers(0, 50_000, n) * (months > 0)
    severity = np.select([months >= 12, months >= 6, months >= 3], [3, 2, 1], 0).astype(float)
    count = (months > 0).astype(float) + (rng.random(n) < 0.1)
    electricity = rng.integers(0, 10, n).astype(float) * (rng.random(n) < 0.5)
    credit = rng.integers(0, 20_000_000, n).astype(float) * (rng.random(n) < 0.3)
    elderly = (rng.random(n) < 0.3).astype(float)
    logit = -2.5 + 0.18 * months + 0.15 * electricity + 1e-7 * credit + 0.7 * elderly
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    x = np.column_stack([months, amount, severity, count, electricity, credit, elderly])
    return x, y


def as_table(x: np.ndarray, household_ids: np.ndarray | None = None) -> pa.Table:
    ids = np.arange(1, len(x) + 1) if household_ids is None else household_ids
    columns = {"household_id": pa.array(ids, pa.int64()), "dong_code": pa.array(["9911051000"] * len(x))}
    for j, name in enumerate(FEATURES):
        columns[name] = pa.array(x[:, j])
    return pa.table(columns)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return make_data()


@pytest.fixture(scope="module")
def trained(data):
    from dolbom.discovery.learning.train import fit

    x, y = data
    return fit(x, y, FEATURES)
