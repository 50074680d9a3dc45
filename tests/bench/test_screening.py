"""The screening benchmark's baselines measure what they say: the floor (`bare_scan`) keeps each dong's top
households by the summed weight of their signals, as many as the dong can visit, and the floor with a kind counted
once (`kind_once_scan`) sums each kind's weight once per household (both counted here again without DuckDB); plain
pandas lists exactly what the engine lists, so that the bench compares like with like."""

from __future__ import annotations

from collections import Counter, defaultdict

import pyarrow.parquet as pq

from dolbom.discovery.screening.engine import run_screening
from tests.bench.screening import bare_scan, city_inputs, kind_once_scan, pandas_round


def _pairs(path, key: str, value: str) -> dict:
    table = pq.read_table(path, columns=[key, value])
    return dict(zip(table.column(key).to_pylist(), table.column(value).to_pylist(), strict=True))


def _kinds_by_household(inputs) -> tuple[dict[int, list[str]], dict[int, str], Counter]:
    """Each household's scored signal kinds (one entry per signal), its dong, and each dong's capacity."""
    snap = inputs.snapshot
    weighted = {kind.code for kind in inputs.scorecard.kinds}
    household_of = _pairs(snap.path("memberships"), "person_id", "household_id")
    dong_of = _pairs(snap.path("households"), "household_id", "dong_code")
    kinds: dict[int, list[str]] = defaultdict(list)
    for path in inputs.signal_paths():
        table = pq.read_table(path, columns=["person_id", "kind"])
        for person, kind in zip(table.column("person_id").to_pylist(), table.column("kind").to_pylist(), strict=True):
            if kind in weighted and person in household_of:
                kinds[household_of[person]].append(kind)
    return kinds, dong_of, Counter(_pairs(snap.path("dongs"), "dong_code", "visit_capacity"))


def _top_per_dong(scores: dict[int, int], dong_of: dict[int, str], capacity: Counter) -> tuple[int, int]:
    by_dong: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for household, score in scores.items():
        by_dong[dong_of[household]].append((-score, household))
    kept = [entry for dong, entries in by_dong.items() for entry in sorted(entries)[: capacity[dong]]]
    return len(kept), -sum(score for score, _ in kept)


def test_the_floors_keep_each_dongs_top_households_by_their_weights(tmp_path):
    inputs, _ = city_inputs(tmp_path, 1_500)
    weight = {kind.code: max(kind.level_points) for kind in inputs.scorecard.kinds}
    kinds, dong_of, capacity = _kinds_by_household(inputs)
    every_signal = {h: sum(weight[k] for k in found) for h, found in kinds.items()}
    once_a_kind = {h: sum(weight[k] for k in set(found)) for h, found in kinds.items()}
    # The city delivers some kinds twice to a household (arrears again in the second period): the floors differ.
    assert every_signal != once_a_kind

    assert bare_scan(inputs) == _top_per_dong(every_signal, dong_of, capacity)
    assert kind_once_scan(inputs) == _top_per_dong(once_a_kind, dong_of, capacity)


def test_pandas_lists_what_the_engine_lists(tmp_path):
    inputs, _ = city_inputs(tmp_path, 1_500)
    engine = run_screening(inputs).to_pylist()
    assert engine
    assert pandas_round(inputs) == engine
