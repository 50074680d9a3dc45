"""The card's verdict on the deployed configuration comes from the figures: met, or not met and why."""

from __future__ import annotations

from dolbom.lab.card import targets_sentence


def _result(deployed: str, interval: tuple[float, float], ratio: float | str, passed: dict[str, bool]) -> dict:
    return {
        "city": {"households": 20_000, "seed": 11},
        "deployment": [
            {"district": "11", "district_name": "새솔구", "deployed": deployed},
            {"district": "12", "district_name": "가람구", "deployed": deployed},
        ],
        "gate": [
            {"district": code, "district_name": name, "passed": passed[code]}
            for code, name in (("11", "새솔구"), ("12", "가람구"), ("pooled", "(all districts, pooled)"))
        ],
        "evaluation": {
            "differences": {"deployed": {"difference": sum(interval) / 2, "interval": list(interval)}},
            "scorers": {"deployed": {"parity": {"head_age_band": {"ratio": ratio}}}},
        },
    }


def test_a_deployed_model_that_meets_both_targets():
    text = targets_sentence(_result("pooled", (0.02, 0.09), 1.2, {"11": False, "12": False, "pooled": True}))
    assert "deployed the pooled model" in text and "pooled passed" in text
    assert text.count("**met**") == 2 and text.endswith("Both targets are met.")


def test_a_model_the_gate_let_through_that_misses_a_target_on_the_truth():
    text = targets_sentence(_result("model", (0.01, 0.05), 1.7, {"11": True, "12": True, "pooled": False}))
    assert "deployed each district's own model" in text
    assert "age-band recall ratio 1.70: **not met**" in text
    assert "**Target not met (age-band recall)**" in text and "let the model through" in text


def test_held_back_everywhere_the_scorecard_stays_and_the_card_says_so():
    text = targets_sentence(_result("scorecard", (0.0, 0.0), "inf", {"11": False, "12": False, "pooled": False}))
    assert "deployed the scorecard" in text and "age-band recall ratio ∞: **not met**" in text
    assert "**Target not met (precision@k and age-band recall)**" in text
    assert "the gate held every learned model back" in text


def test_the_deployed_models_cut_is_named_with_the_cuts_each_model_passed_with():
    result = _result("pooled", (0.05, 0.15), 1.3, {"11": False, "12": False, "pooled": True})
    for entry in result["deployment"]:
        entry["balanced"] = True
    result["gate"][2]["cuts"] = {"by_score": {"passed": False}, "balanced": {"passed": True}}
    text = targets_sentence(result)
    assert "deployed the pooled model, balanced cut" in text
    assert "pooled passed (balanced cut)" in text and text.endswith("Both targets are met.")
