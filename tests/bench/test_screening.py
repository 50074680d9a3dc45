"""The screening benchmark's baselines measure what they say: the floor (`bare_scan`) keeps each dong's top
households by the summed weight of their signals, as many as the dong can visit (counted here again without
DuckDB), and plain pandas lists exactly what the engine lists, so that the bench compares like with like."""

from __future__ import annotations

from collections import Counter, defaultdict

import pyarrow.parquet as pq

from dolbom.discovery.screening.engine import run_screening
from tests.bench.screening import bare_scan, city_inputs, pandas_round


def _pairs(path, key: str, value: str) -> dict:
    table = pq.read_table(path, columns=[key, value])
    return dict(zip(table.column(key).to_pylist(), table.column(value).to_pylist(), strict=True))


def test_the_bare_scan_lists_each_dongs_capacity_of_households_with_signals(tmp_path):
    inputs, _ = city_inputs(tmp_path, 1_500)
    snap = inputs.snapshot
    weighted = {kind.code for kind in inputs.scorecard.kinds}
    household_of = _pairs(snap.path("memberships"), "person_id", "household_id")
    dong_of = _pairs(snap.path("households"), "household_id", "dong_code")
    scored_by_dong: dict[str, set[int]] = defaultdict(set)
    for path in inputs.signal_paths():
        table = pq.read_table(path, columns=["person_id", "kind"])
        for person, kind in zip(table.column("person_id").to_pylist(), table.column("kind").to_pylist(), strict=True):
            if kind in weighted and person in household_of:
                household = household_of[person]
                scored_by_dong[dong_of[household]].add(household)
    capacity = Counter(_pairs(snap.path("dongs"), "dong_code", "visit_capacity"))

    expected = sum(min(capacity[dong], len(households)) for dong, households in scored_by_dong.items())
    assert expected > 0
    assert bare_scan(inputs) == expected


def test_pandas_lists_what_the_engine_lists(tmp_path):
    inputs, _ = city_inputs(tmp_path, 1_500)
    engine = run_screening(inputs).to_pylist()
    assert engine
    assert pandas_round(inputs) == engine
