"""The release gate on held-out labels: precision@k against the scorecard's with a bootstrap interval, and recall
no less even across groups. Pure arrays: no database."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dolbom.discovery.learning.explain import explain_gate
from dolbom.discovery.learning.gate import GATE_ATTRIBUTES, HeldOut, evaluate_gate


def held_out(label, model, scorecard, *, groups=None, dongs=None) -> HeldOut:
    n = len(label)
    dong = np.asarray(dongs if dongs is not None else ["9911051000"] * n, dtype=object)
    every = {name: np.asarray(["one"] * n, dtype=object) for name in GATE_ATTRIBUTES}
    every["dong"] = dong
    every.update({k: np.asarray(v, dtype=object) for k, v in (groups or {}).items()})
    return HeldOut(
        household_id=np.arange(1, n + 1),
        label=np.asarray(label, dtype=bool),
        dong=dong,
        groups=every,
        model=np.asarray(model, dtype=float),
        scorecard=np.asarray(scorecard, dtype=float),
        rounds=[7],
    )


@pytest.fixture
def labels():
    rng = np.random.default_rng(3)
    return rng.random(400) < 0.3


def test_no_held_out_round_holds_the_model_back():
    gate = evaluate_gate(HeldOut.empty())
    assert gate == {"evaluated": False, "passed": False, "held_back": [{"code": "no_heldout_round"}]}
    assert "다음 차수" in " ".join(explain_gate(gate))


def test_too_few_labels_hold_the_model_back(labels):
    few = labels[:40]
    gate = evaluate_gate(held_out(few, few.astype(float), np.zeros(40)))
    assert not gate["passed"] and gate["held_back"][0]["code"] == "too_few_labels"
    assert gate["held_back"][0]["labels"] == 40


def test_a_model_that_orders_the_visited_better_passes(labels):
    rng = np.random.default_rng(4)
    model = labels + rng.random(len(labels)) * 0.5  # in need first
    gate = evaluate_gate(held_out(labels, model, rng.random(len(labels))))
    assert gate["evaluated"] and gate["passed"], gate["held_back"]
    assert gate["interval"][0] > 0 and gate["precision"]["model"] > gate["precision"]["scorecard"]
    assert gate["k"] == 200 and gate["labels"] == 400
    # Every group is one: recall cannot be compared, and the verdict says so.
    assert not any(p["measured"] for p in gate["parity"].values())
    words = explain_gate(gate)
    assert words[0].startswith("통과") and "비교할 수 없" in words[1]
    json.dumps(gate, allow_nan=False)  # storable in PostgreSQL's jsonb


def test_a_model_no_better_than_the_scorecard_is_held_back(labels):
    rng = np.random.default_rng(5)
    same = rng.random(len(labels))
    gate = evaluate_gate(held_out(labels, same, same))
    assert not gate["passed"]
    assert [r["code"] for r in gate["held_back"]] == ["precision_not_above"]
    assert "0보다 크지" in explain_gate(gate)[0]


def test_a_model_that_finds_one_age_band_only_is_held_back(labels):
    """Better on precision, but it takes the households in need of the young and leaves the old: its recall across
    age bands is far less even than the scorecard's."""
    n = len(labels)
    band = np.where(np.arange(n) % 2 == 0, "0-39", "65-79")
    rng = np.random.default_rng(6)
    model = np.where(band == "0-39", labels * 2.0, 0.0) + rng.random(n) * 0.1
    scorecard = labels * 0.6 + rng.random(n)
    gate = evaluate_gate(held_out(labels, model, scorecard, groups={"head_age_band": band}))
    codes = [(r["code"], r.get("attribute")) for r in gate["held_back"]]
    assert ("parity_worse", "head_age_band") in codes
    parity = gate["parity"]["head_age_band"]
    assert parity["measured"] and parity["model"] > parity["scorecard"]
    assert any("가구주 연령대" in line for line in explain_gate(gate))


def test_a_group_with_no_household_found_is_an_infinite_ratio_stored_as_text(labels):
    n = len(labels)
    band = np.where(np.arange(n) % 2 == 0, "0-39", "80+")
    model = np.where(band == "0-39", labels * 2.0, -1.0 * labels) + np.linspace(0, 0.1, n)
    scorecard = labels * 1.0 + np.linspace(0, 0.1, n)
    gate = evaluate_gate(held_out(labels, model, scorecard, groups={"head_age_band": band}))
    assert gate["parity"]["head_age_band"]["model"] == "inf"
    assert not gate["passed"]
    json.dumps(gate, allow_nan=False)


def test_each_dong_takes_its_own_half(labels):
    n = len(labels)
    dongs = np.where(np.arange(n) < 100, "9911051000", "9911052000")
    gate = evaluate_gate(held_out(labels, labels * 1.0, np.zeros(n), dongs=dongs))
    assert gate["k"] == 50 + 150
