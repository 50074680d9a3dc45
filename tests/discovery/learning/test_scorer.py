"""ModelScorer: the scorecard's output shape, probabilities from the calibrated model, and reasons taken from the
model's own contributions, said in Korean with the household's values."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from dolbom.discovery.learning.features import describe_feature, feature_columns
from dolbom.discovery.learning.scorer import ModelScorer, top_reasons

from .conftest import FEATURES, as_table


def test_score_has_the_scorecard_shape(data, trained):
    x, _ = data
    scorer = ModelScorer(model=trained)
    scored = scorer.score(as_table(x))
    assert scored.column_names == ["household_id", "score", "probability", "reasons"]
    p = scored.column("probability").to_numpy()
    assert np.allclose(scored.column("score").to_numpy(), np.round(p * 100, 4))
    assert np.array_equal(p, trained.predict_proba(x))
    # the best-scored rows of the dong carry reasons (those a round can list); the others are never shown
    reasons = scored.column("reasons").to_pylist()
    best = np.argsort(-p, kind="stable")[:200]
    assert all(reasons[i] is not None for i in best)
    assert sum(r is None for r in reasons) == len(x) - 200


def test_model_scorer_plugs_into_the_round():
    from dolbom.discovery.screening.scorers import Scorer

    assert isinstance(ModelScorer(model=object()), Scorer)  # name, version, score(features)


def test_reasons_are_the_largest_positive_contributions(data, trained):
    x, _ = data
    scorer = ModelScorer(model=trained)
    contributions = trained.contributions(x)[:, : len(FEATURES)]
    reasons = scorer.reasons(as_table(x))
    checked = 0
    for i, row_reasons in enumerate(reasons):
        positive = contributions[i][contributions[i] > 0]
        if not len(positive):  # nothing raises it: its signals that weighed most (see the test below)
            assert all(r["points"] <= 0 for r in row_reasons)
            continue
        assert len(row_reasons) == min(3, len(positive))
        top = int(np.argmax(contributions[i]))
        expected = describe_feature(FEATURES[top]).reason(x[i, top], contributions[i, top])
        assert row_reasons[0]["text"] == expected
        assert row_reasons[0]["points"] == round(float(contributions[i, top]) * 100)
        assert [r["points"] for r in row_reasons] == sorted((r["points"] for r in row_reasons), reverse=True)
        checked += 1
    assert checked > 100


def test_reason_text_names_the_kind_and_the_value():
    months = describe_feature("health_insurance_arrears__months")
    assert months.reason(7, 0.2149) == "건강보험료 7개월 체납 (모형 기여 +0.21)"
    assert describe_feature("financial_delinquency__months").describe(4) == "금융 4개월 연체"
    assert describe_feature("electricity_arrears__amount").describe(330000) == "전기요금 체납 (체납액 330,000원)"
    assert describe_feature("health_insurance_arrears__severity").describe(2) == "건강보험료 체납 (위기 수준 2)"
    assert describe_feature("telecom_arrears__count").describe(2) == "통신비 체납 2건"
    assert describe_feature("elderly_alone").describe(1) == "65세 이상 1인 가구"
    assert describe_feature("electricity_cutoff__months").describe(5) == "단전·전류제한 (체납 5개월)"
    assert describe_feature("long_hospital_stay__days").describe(120) == "장기 입원 120일"
    assert describe_feature("disabled").describe(2) == "장애인 가구원 2명"
    assert describe_feature("electricity_cutoff__count").kind == "electricity_cutoff"


def test_arrears_totals_and_the_scorecards_circumstances_are_constrained():
    constrained = ["gas_cutoff__severity", "public_rental_arrears__months", "signals", "kinds", "max_severity"]
    constrained += ["members", "elderly_alone", "children", "single_parent", "disabled", "severe_disabled"]
    assert all(describe_feature(name).monotone == 1 and describe_feature(name).used for name in constrained)


def test_ages_nationality_and_unknown_columns_are_not_used():
    names = ["household_id", "dong_code", "oldest_age", "youngest_age", "elderly", "foreign_members"]
    names += ["round_id", "label", "signals", "telecom_arrears__count"]
    table = pa.table({name: [1] for name in names})
    assert feature_columns(table) == ["signals", "telecom_arrears__count"]


def test_top_reasons_skip_negative_contributions():
    x = np.array([[7.0, 0, 0, 0, 0, 0, 1.0]])
    contributions = np.array([[0.3, -0.1, 0.0, 0.0, -0.2, 0.0, 0.05, 0.4]])  # last column: the base value
    reasons = top_reasons(contributions, x, FEATURES)
    assert [r["code"] for r in reasons[0]] == ["health_insurance_arrears", "elderly_alone"]


def test_reasons_for_selected_households_only(data, trained):
    x, _ = data
    table = as_table(x, household_ids=np.arange(1000, 1000 + len(x)))
    picked = ModelScorer(model=trained).reasons_for(table, [1003, 1010])
    assert set(picked) == {1003, 1010}


def test_a_household_nothing_raises_still_reads_the_signals_that_weighed_most():
    """Listed by the balanced cut or a reserved slot, a household below the model's base value is explained by
    its own signals that weighed most, with their negative contributions: never an empty list of reasons."""
    x = np.array([[3.0, 0, 0, 1.0, 2.0, 0, 1.0]])
    contributions = np.array([[-0.05, 0.0, 0.0, -0.2, -0.01, 0.0, -0.3, 0.4]])
    reasons = top_reasons(contributions, x, FEATURES)[0]
    # Signals present (non-zero), least negative first; elderly_alone is a household trait, not a signal.
    assert [r["code"] for r in reasons] == [
        "electricity_arrears",
        "health_insurance_arrears",
        "health_insurance_arrears",
    ]
    assert [r["points"] for r in reasons] == [-1, -5, -20]
    assert "모형 기여 -0.01" in reasons[0]["text"]
