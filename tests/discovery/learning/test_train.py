"""Training: refuses too few or one-sided labels, is deterministic, keeps the monotone constraints, calibrates into
[0, 1], and its files cannot be altered unnoticed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dolbom.discovery.learning.calibration import Calibration, fit_isotonic, fit_platt
from dolbom.discovery.learning.train import ModelFileError, TrainedModel, TrainingRefused, fit

from .conftest import FEATURES, make_data


def test_refuses_one_class_and_says_how_many():
    x, y = make_data(200)
    with pytest.raises(TrainingRefused, match=r"한 종류의 결과만으로는 .*: 긍정 0건.*부정 200건"):
        fit(x, np.zeros_like(y), FEATURES)


def test_refuses_too_few_labels_and_says_how_many():
    x, y = make_data(400)
    y = np.zeros(len(y), dtype=int)
    y[:8] = 1
    with pytest.raises(TrainingRefused, match=r"결과가 너무 적습니다: 긍정 8건.*부정 392건"):
        fit(x, y, FEATURES)
    with pytest.raises(TrainingRefused, match=r"결과가 너무 적습니다"):
        fit(x[:30], make_data(30)[1], FEATURES)


def test_every_feature_may_only_raise_the_risk(trained):
    assert dict(zip(FEATURES, trained.monotone, strict=True)) == {
        "health_insurance_arrears__months": 1,
        "health_insurance_arrears__amount": 1,
        "health_insurance_arrears__severity": 1,
        "health_insurance_arrears__count": 1,
        "electricity_arrears__months": 1,
        "financial_delinquency__amount": 1,
        "elderly_alone": 1,  # a circumstance the scorecard counts: it may only raise the risk, like its points
    }


def test_the_model_learns_something(trained):
    assert trained.metrics["oof_auc"] > 0.7
    assert trained.metrics["positives"] + trained.metrics["negatives"] == 400


def test_same_data_gives_the_same_model(data, trained):
    x, y = data
    again = fit(x, y, FEATURES)
    assert again.booster.model_to_string() == trained.booster.model_to_string()
    assert np.array_equal(again.predict_proba(x), trained.predict_proba(x))
    assert again.calibration == trained.calibration


def test_probabilities_lie_in_zero_one(data, trained):
    x, _ = data
    extreme = np.vstack([x, np.zeros((1, x.shape[1])), np.full((1, x.shape[1]), 1e9)])
    p = trained.predict_proba(extreme)
    assert np.all((p >= 0) & (p <= 1))


MONTHS = FEATURES.index("health_insurance_arrears__months")
CONSTRAINED = list(range(len(FEATURES)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    row=st.lists(st.floats(0, 30_000_000, allow_nan=False), min_size=len(FEATURES), max_size=len(FEATURES)),
    feature=st.sampled_from(CONSTRAINED),
    more=st.floats(0, 60, allow_nan=False),
    base_months=st.integers(0, 60),
)
def test_more_arrears_never_lowers_the_probability(trained, row, feature, more, base_months):
    x = np.array(row)
    x[MONTHS] = base_months
    raised = x.copy()
    raised[MONTHS] += int(more)  # more months overdue …
    assert trained.predict_proba(raised[None])[0] >= trained.predict_proba(x[None])[0]
    raised = x.copy()
    raised[feature] += more * 1_000_000  # … or more of any other arrears statistic
    assert trained.predict_proba(raised[None])[0] >= trained.predict_proba(x[None])[0]


def test_calibrations_are_monotone_and_bounded():
    rng = np.random.default_rng(3)
    raw = rng.normal(0, 2, 2000)
    y = (rng.random(2000) < 1 / (1 + np.exp(-raw))).astype(int)
    grid = np.linspace(-20, 20, 401)
    for calibration in (fit_platt(raw, y), fit_isotonic(raw, y)):
        p = calibration.apply(grid)
        assert np.all(np.diff(p) >= 0) and p.min() >= 0 and p.max() <= 1
        assert Calibration.from_dict(json.loads(json.dumps(calibration.to_dict()))) == calibration
    # a model that ranks backwards gets a flat curve (the base rate), never a reversed one
    flat = fit_platt(raw, 1 - y)
    assert flat.slope == 0.0


def test_saved_model_loads_and_predicts_the_same(tmp_path, data, trained):
    x, _ = data
    path, sha = trained.save(tmp_path, "7")
    assert path.name == "7.txt" and path.read_text().startswith("tree")
    loaded = TrainedModel.load(path, sha)
    assert np.array_equal(loaded.predict_proba(x), trained.predict_proba(x))
    assert loaded.monotone == trained.monotone


def test_tampered_model_files_are_refused(tmp_path, trained):
    path, sha = trained.save(tmp_path, "8")
    text = path.read_text()
    path.write_text(text.replace("leaf_value=", "leaf_value=9", 1))
    with pytest.raises(ModelFileError, match="altered"):
        TrainedModel.load(path, sha)
    path.write_text(text)
    spec = path.with_suffix(".json")
    spec.write_text(spec.read_text().replace('"slope"', '"slope" ', 1))
    with pytest.raises(ModelFileError, match="altered"):
        TrainedModel.load(path, sha)
    spec.unlink()
    with pytest.raises(ModelFileError, match="missing"):
        TrainedModel.load(path, sha)
