"""Fitting the learned model, and writing and reading its file.

LightGBM with monotone constraints: every per-kind arrears statistic (months, amount, severity, count) may only
raise the risk, so the public complaint about the national system — 17 months of arrears selected, 22 months not —
cannot happen within a feature. Training is deterministic: fixed seed, one thread, no row or feature sampling, and
stratified folds drawn from the seed; the same labels give the same file byte for byte.

Calibration is fitted on out-of-fold raw scores: each labelled household is scored by a model that did not see it,
the calibration curve is fitted to those scores, and the final model is trained on all labels. No label is spent
twice and none is wasted on a single held-out split, which matters with the few hundred labels a district has.

A model is two files under DOLBOM_HOME/models: `<id>.txt`, LightGBM's own text format, and `<id>.json`, the
specification (feature order, constraints, calibration, the text file's sha256). The database row keeps the
specification's sha256; loading checks both hashes, so an edited file is refused rather than trusted. Nothing is
ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
from django.utils.translation import gettext as _

from dolbom.core.files import write_private
from dolbom.discovery.learning.calibration import Calibration, fit_calibration
from dolbom.discovery.learning.evaluate import auc, brier
from dolbom.discovery.learning.features import describe_features

FORMAT = "dolbom-lightgbm-1"
ALGORITHM = f"lightgbm-{lgb.__version__} monotone, calibrated"
SEED = 20261123
FOLDS = 5
MAX_ROUNDS = 400
MIN_LABELS = 50
MIN_PER_CLASS = 10
PREDICT_THREADS = 2
PARALLEL_FROM_ROWS = 20_000  # below this, starting OpenMP threads costs more than it saves


class TrainingRefused(ValueError):
    """Too few labels, or labels of one class only: the message says how many of each there are."""


class ModelFileError(RuntimeError):
    """A model file is missing, altered since it was written, or not a Dolbom model."""


def check_labels(y: np.ndarray, *, min_labels: int = MIN_LABELS, min_per_class: int = MIN_PER_CLASS) -> None:
    positives = int(np.sum(y == 1))
    negatives = int(np.sum(y == 0))
    counts = {"positives": positives, "negatives": negatives, "min_labels": min_labels, "min_per_class": min_per_class}
    if positives == 0 or negatives == 0:
        message = _(
            "A model cannot be trained on one kind of outcome only: %(positives)s positive (helped or referred) and "
            "%(negatives)s negative (not eligible or refused). Record outcomes of both kinds (unreachable, moved "
            "and deceased do not count)."
        )
        raise TrainingRefused(message % counts)
    if positives + negatives < min_labels or min(positives, negatives) < min_per_class:
        message = _(
            "Too few outcomes to train a model: %(positives)s positive (helped or referred) and %(negatives)s "
            "negative (not eligible or refused); at least %(min_labels)s in all and %(min_per_class)s of each are "
            "needed. Record more outcomes first (unreachable, moved and deceased do not count)."
        )
        raise TrainingRefused(message % counts)


def params_for(n: int, monotone: list[int], seed: int = SEED) -> dict[str, Any]:
    """Small, heavily regularised trees: a district has hundreds of labels, not millions."""
    return {
        "objective": "binary",
        "learning_rate": 0.05,
        "num_leaves": 7,
        "max_depth": 3,
        "min_data_in_leaf": int(max(5, min(40, n // 25))),
        "min_sum_hessian_in_leaf": 1e-3,
        "lambda_l2": 1.0,
        "max_bin": 63,
        "feature_pre_filter": False,
        "monotone_constraints": monotone,
        "monotone_constraints_method": "intermediate",
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": 1,
        "verbosity": -1,
    }


def stratified_folds(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Fold number per row, each class spread evenly over the folds, drawn from the seed."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), dtype=np.int64)
    for cls in (0, 1):
        rows = np.flatnonzero(y == cls)
        rows = rows[rng.permutation(len(rows))]
        fold[rows] = np.arange(len(rows)) % k
    return fold


@dataclass
class TrainedModel:
    booster: lgb.Booster
    features: tuple[str, ...]
    monotone: tuple[int, ...]
    calibration: Calibration
    metrics: dict[str, Any] = field(default_factory=dict)

    def raw(self, x: np.ndarray) -> np.ndarray:
        return self.booster.predict(x, raw_score=True, num_threads=_threads(len(x)))

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.clip(self.calibration.apply(self.raw(x)), 0.0, 1.0)

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Per-feature contributions to the raw score (TreeSHAP, log-odds); the last column is the base value."""
        return self.booster.predict(x, pred_contrib=True, num_threads=_threads(len(x)))

    # files ------------------------------------------------------------------------------------------------------

    def save(self, directory: Path, name: str) -> tuple[Path, str]:
        """Write `<name>.txt` and `<name>.json`; return the text file's path and the specification's sha256."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        booster_text = self.booster.model_to_string(num_iteration=-1).encode()
        spec = {
            "format": FORMAT,
            "algorithm": ALGORITHM,
            "features": list(self.features),
            "monotone": list(self.monotone),
            "calibration": self.calibration.to_dict(),
            "booster_file": f"{name}.txt",
            "booster_sha256": hashlib.sha256(booster_text).hexdigest(),
        }
        spec_bytes = (json.dumps(spec, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
        text_path = directory / f"{name}.txt"
        _write_atomically(text_path, booster_text)
        _write_atomically(directory / f"{name}.json", spec_bytes)
        return text_path, hashlib.sha256(spec_bytes).hexdigest()

    @classmethod
    def load(cls, path: Path, sha256: str) -> TrainedModel:
        """Read a model written by `save`, refusing it if either file differs from what was recorded."""
        path = Path(path)
        spec_path = path.with_suffix(".json")
        try:
            spec_bytes = spec_path.read_bytes()
            booster_bytes = path.read_bytes()
        except FileNotFoundError as exc:
            raise ModelFileError(f"model file missing: {exc.filename}") from None
        if hashlib.sha256(spec_bytes).hexdigest() != sha256:
            raise ModelFileError(f"{spec_path} does not match the sha256 recorded when it was trained (altered)")
        spec = json.loads(spec_bytes)
        if spec.get("format") != FORMAT:
            raise ModelFileError(f"{spec_path} is not a {FORMAT} model specification")
        if hashlib.sha256(booster_bytes).hexdigest() != spec["booster_sha256"]:
            raise ModelFileError(f"{path} does not match the sha256 in its specification (altered)")
        booster = lgb.Booster(model_str=booster_bytes.decode())
        features = tuple(spec["features"])
        if tuple(booster.feature_name()) != features:
            raise ModelFileError(f"{path}: the model's features differ from its specification")
        return cls(
            booster=booster,
            features=features,
            monotone=tuple(int(m) for m in spec["monotone"]),
            calibration=Calibration.from_dict(spec["calibration"]),
        )


def _threads(rows: int) -> int:
    return PREDICT_THREADS if rows >= PARALLEL_FROM_ROWS else 1


def _write_atomically(path: Path, data: bytes) -> None:
    write_private(path, data)  # 0600 whatever the umask: a model is trained on people's outcomes


def _train(x: np.ndarray, y: np.ndarray, params: dict[str, Any], features: list[str], rounds: int) -> lgb.Booster:
    data = lgb.Dataset(x, label=y, feature_name=features, free_raw_data=False)
    return lgb.train(params, data, num_boost_round=rounds)


def fit(
    x: np.ndarray,
    y: np.ndarray,
    features: list[str] | tuple[str, ...],
    *,
    seed: int = SEED,
    folds: int = FOLDS,
    min_labels: int = MIN_LABELS,
    min_per_class: int = MIN_PER_CLASS,
) -> TrainedModel:
    """Train on labelled households (`y` 1 = in need, 0 = not), calibrate out of fold, report out-of-fold metrics."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    features = list(features)
    if x.shape != (len(y), len(features)):
        raise ValueError(f"features {x.shape} do not match {len(y)} labels × {len(features)} feature names")
    check_labels(y, min_labels=min_labels, min_per_class=min_per_class)
    monotone = [info.monotone for info in describe_features(features)]
    params = params_for(len(y), monotone, seed)
    fold = stratified_folds(y, folds, seed)

    # Number of boosting rounds: where the mean held-out log-loss over the folds is lowest.
    curves = np.zeros(MAX_ROUNDS)
    fold_models = []
    for k in range(folds):
        train, valid = fold != k, fold == k
        train_set = lgb.Dataset(x[train], label=y[train], feature_name=features, free_raw_data=False)
        valid_set = lgb.Dataset(x[valid], label=y[valid], reference=train_set, free_raw_data=False)
        history: dict[str, Any] = {}
        booster = lgb.train(
            {**params, "metric": "binary_logloss"},
            train_set,
            num_boost_round=MAX_ROUNDS,
            valid_sets=[valid_set],
            valid_names=["held_out"],
            callbacks=[lgb.record_evaluation(history)],
        )
        curves += np.asarray(history["held_out"]["binary_logloss"])
        fold_models.append((valid, booster))
    rounds = int(np.argmin(curves)) + 1
    oof_raw = np.empty(len(y))
    for valid, booster in fold_models:
        oof_raw[valid] = booster.predict(x[valid], raw_score=True, num_iteration=rounds)
    calibration = fit_calibration(oof_raw, y)
    oof_p = calibration.apply(oof_raw)

    booster = _train(x, y, params, features, rounds)
    positives = int(y.sum())
    metrics = {
        "labels": len(y),
        "positives": positives,
        "negatives": len(y) - positives,
        "base_rate": round(positives / len(y), 4),
        "rounds": rounds,
        "calibration": calibration.method,
        # Out-of-fold: each household scored by a model that did not see it. Slightly optimistic, since the number
        # of rounds was chosen on the same folds; the model card measures the real thing on a later round.
        "oof_auc": round(auc(y, oof_raw), 4),
        "oof_brier": round(brier(y, oof_p), 4),
        "constrained_features": int(sum(monotone)),
        "features": len(features),
    }
    metrics["summary"] = (
        f"{positives} positive / {len(y) - positives} negative labels; out-of-fold AUC {metrics['oof_auc']:.3f}, "
        f"Brier {metrics['oof_brier']:.3f}; {rounds} trees, {calibration.method} calibration"
    )
    return TrainedModel(
        booster=booster,
        features=tuple(features),
        monotone=tuple(monotone),
        calibration=calibration,
        metrics=metrics,
    )
