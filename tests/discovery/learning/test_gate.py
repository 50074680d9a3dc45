"""The release gate on held-out labels: precision@k against the scorecard's with a bootstrap interval, and recall
no less even across groups, or even enough. Pure arrays: no database."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dolbom.discovery.learning.explain import explain_gate
from dolbom.discovery.learning.gate import (
    BALANCED,
    EVEN_ENOUGH,
    GATE_ATTRIBUTES,
    Candidates,
    HeldOut,
    evaluate_gate,
    gate_for,
    passes_gate,
)


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


def test_a_ratio_even_enough_does_not_hold_a_better_model_back(labels):
    """A little less even than the scorecard's across the head's sex (it misses a quarter of the men in need), but
    the least-found group's recall is still more than two thirds of the most-found's: even enough."""
    n = len(labels)
    rng = np.random.default_rng(9)
    sex = np.where(np.arange(n) % 2 == 0, "F", "M")
    missed = (sex == "M") & (rng.random(n) < 0.25)
    model = labels * np.where(missed, 0.0, 1.0) + rng.random(n) * 0.5
    scorecard = labels * 0.2 + rng.random(n)
    gate = evaluate_gate(held_out(labels, model, scorecard, groups={"head_sex": sex}))
    parity = gate["parity"]["head_sex"]
    assert parity["scorecard"] < parity["model"] <= EVEN_ENOUGH
    assert gate["passed"], gate["held_back"]
    assert "1.50" in explain_gate(gate)[0]


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


# ------------------------------------------------------------------------------------- the balanced cut


def _held_out(n: int = 400, seed: int = 9) -> HeldOut:
    """Held-out households where the model's signals speak loudly for the older heads and softly for the younger:
    it ranks every older head, in need or not, above every younger one."""
    rng = np.random.default_rng(seed)
    band = rng.choice(["0-39", "65-79"], n)
    label = rng.random(n) < np.where(band == "65-79", 0.5, 0.4)
    model = np.where(band == "65-79", np.where(label, 0.9, 0.5), np.where(label, 0.45, 0.35))
    model = model + rng.normal(0, 0.01, n)
    scorecard = label * 1.0 + rng.normal(0, 1.5, n)
    dong = rng.choice(["1101", "1102"], n).astype(object)
    groups = {"head_age_band": band.astype(object), "head_sex": np.array(["F"] * n, dtype=object),
              "disability": np.array(["no"] * n, dtype=object), "dong": dong}  # fmt: skip
    return HeldOut(household_id=np.arange(n), label=label, dong=dong, groups=groups, model=model,
                   scorecard=scorecard, rounds=[1])  # fmt: skip


def test_the_gate_gives_a_verdict_for_each_cut():
    gate = evaluate_gate(_held_out())
    by_score, balanced = gate_for(gate, balanced=False), gate_for(gate, balanced=True)
    assert by_score["evaluated"] and balanced["evaluated"]
    # Cut by score, the model lists older heads only: its recall across age bands is worse than the scorecard's.
    assert {"code": "parity_worse", "attribute": "head_age_band"} in by_score["held_back"]
    # Cut in the balanced order, both bands get places in proportion to the need the model expects.
    assert by_score["parity"]["head_age_band"]["model"] == "inf"  # not one younger head in need found
    assert balanced["parity"]["head_age_band"]["model"] < 1.5
    assert balanced["precision"]["model"] > by_score["precision"]["model"]
    assert balanced["k"] == by_score["k"]


def test_a_model_checked_before_the_balanced_cut_is_held_back_for_it():
    assert passes_gate({"passed": True}, balanced=False)
    assert not passes_gate({"passed": True}, balanced=True)
    assert gate_for({"passed": True}, balanced=True)["held_back"][0]["code"] == "balanced_not_evaluated"


# ------------------------------------------------------------------------- the whole list, by expected recall


def _leaning_candidates(seed: int = 5) -> Candidates:
    """A held-out round's 800 listable households in one dong of 200 places: 200 older heads the model gives 0.6
    each and 600 younger heads it gives 0.5 each; the scorecard orders them at random."""
    rng = np.random.default_rng(seed)
    band = np.array(["80+"] * 200 + ["0-39"] * 600, dtype=object)
    model = np.where(band == "80+", 0.6, 0.5) + rng.normal(0, 0.001, 800)
    groups = {name: np.asarray(["one"] * 800, dtype=object) for name in GATE_ATTRIBUTES}
    groups["head_age_band"] = band
    return Candidates(household_id=np.arange(1000, 1800), cut=np.asarray(["7:1101"] * 800, dtype=object),
                      capacity={"7:1101": 200}, groups=groups, model=model, scorecard=rng.random(800))  # fmt: skip


def test_a_model_whose_whole_list_leans_is_held_back_though_the_visited_look_even(labels):
    """The visited alone (every group "one") cannot show it: cut by score, the model's list of the whole dong is
    every older head and not one younger, though the younger hold most of the need it expects."""
    rng = np.random.default_rng(4)
    held = held_out(labels, labels + rng.random(len(labels)) * 0.5, rng.random(len(labels)))
    assert evaluate_gate(held)["passed"]  # the visited alone let it through
    gate = evaluate_gate(held, _leaning_candidates())
    by_score, balanced = gate_for(gate, balanced=False), gate_for(gate, balanced=True)
    assert by_score["held_back"] == [{"code": "expected_parity_worse", "attribute": "head_age_band"}]
    figures = by_score["expected_parity"]["head_age_band"]
    assert figures["model"] == "inf" and figures["scorecard"] < EVEN_ENOUGH
    found = {g["group"]: g["expected_found"] for g in figures["groups"]["model"]}
    assert found["80+"] == pytest.approx(120, abs=0.5) and found["0-39"] == 0
    # The balanced cut gives the younger heads places in proportion to the need the model expects of them.
    assert balanced["passed"], balanced["held_back"]
    assert 1 <= balanced["expected_parity"]["head_age_band"]["model"] <= EVEN_ENOUGH
    assert balanced["candidates"] == 800
    assert not passes_gate(gate, balanced=False) and passes_gate(gate, balanced=True)
    json.dumps(gate, allow_nan=False)
    assert "기대" in " ".join(explain_gate(by_score)) and "기대" in " ".join(explain_gate(balanced))


def test_the_scorecard_never_lists_a_household_below_its_minimum_score(labels):
    """NaN points (below the scorecard's minimum) never enter its list: here its list is only the older heads."""
    candidates = _leaning_candidates()
    below = np.where(candidates.groups["head_age_band"] == "0-39", np.nan, candidates.scorecard)
    gate = evaluate_gate(held_out(labels, labels * 1.0, np.zeros(len(labels))),
                         Candidates(**{**candidates.__dict__, "scorecard": below}))  # fmt: skip
    figures = gate["expected_parity"]["head_age_band"]
    assert figures["scorecard"] == "inf" and figures["model"] == "inf"
    # No less even than the scorecard's: the expected recall does not hold it back, whatever else does.
    assert {"code": "expected_parity_worse", "attribute": "head_age_band"} not in gate["held_back"]


def test_without_candidates_the_verdict_has_no_expected_recall(labels):
    gate = evaluate_gate(held_out(labels, labels * 1.0, np.zeros(len(labels))))
    assert gate["expected_parity"] is None and gate[BALANCED]["expected_parity"] is None
