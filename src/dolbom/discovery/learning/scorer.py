"""ModelScorer: scores a round's feature table with a trained model, in the scorecard's output shape.

`score` is vectorised over the whole table (LightGBM's batch prediction; a million households in seconds).
Reasons come from the model itself: TreeSHAP contributions (`pred_contrib=True`), the three largest positive ones
per household (for a household nothing raises, its signals that weighed most, with their negative contributions),
each said in Korean with the household's own value — `건강보험료 7개월 체납 (모형 기여 +0.21)`.
They are computed only for the households a round lists (contributions cost more than a prediction), so the cost
follows the visit capacity, not the city's size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.utils.translation import gettext as _

from dolbom.discovery.learning.features import describe_features, to_matrix
from dolbom.discovery.learning.train import ModelFileError, TrainedModel
from dolbom.discovery.models import ScoringModel

TOP_REASONS = 3
SCORE_SCALE = 100.0  # score = probability × 100, so that a list reads like the scorecard's points
EXPLAIN_SHARE = 0.05  # a round lists about 1 % of households; 5 % of those with a signal leaves ample margin
EXPLAIN_MIN_PER_DONG = 200
REASON_TYPE = pa.struct([("text", pa.string()), ("points", pa.int64()), ("code", pa.string())])


class NoModel(LookupError):
    """No trained model exists (or the asked one does not): train one first."""


def top_reasons(
    contributions: np.ndarray, x: np.ndarray, features: tuple[str, ...], *, top: int = TOP_REASONS
) -> list[list[dict[str, Any]]]:
    """Per row, the `top` largest positive contributions as `{text, points, code}`: points are the contribution in
    hundredths of log-odds (an integer, as the scorecard's points are), code the signal kind or the column name."""
    infos = describe_features(features)
    contributions = np.asarray(contributions)[:, : len(features)]  # the last column is the base value
    n, width = contributions.shape
    if n == 0:
        return []
    k = min(top, width)
    # argpartition finds the top k per row in linear time; only those k are then sorted.
    part = np.argpartition(-contributions, k - 1, axis=1)[:, :k]
    part_values = np.take_along_axis(contributions, part, axis=1)
    order = np.argsort(-part_values, axis=1, kind="stable")
    best = np.take_along_axis(part, order, axis=1)
    best_values = np.take_along_axis(part_values, order, axis=1)
    out: list[list[dict[str, Any]]] = []
    for i in range(n):
        picked = [(int(j), float(c)) for j, c in zip(best[i], best_values[i], strict=True) if c > 0]
        if not picked:
            picked = _signals_weighing_most(contributions[i], x[i], infos, k)
        out.append([_reason(infos[j], float(x[i, j]), c) for j, c in picked])
    return out


def _reason(info: Any, value: float, contribution: float) -> dict[str, Any]:
    return {
        "text": info.reason(value, contribution),
        "points": round(contribution * 100),
        "code": info.kind or info.name,
    }


def _signals_weighing_most(
    contributions: np.ndarray, x: np.ndarray, infos: tuple[Any, ...], k: int
) -> list[tuple[int, float]]:
    """For a household nothing raises above the model's base value, its signals that weigh most (the contributions
    may all be negative): it is listed all the same — by the balanced cut or a reserved slot — and an officer
    reads which of its signals the model counted, with their true sign."""
    present = [j for j in range(len(infos)) if infos[j].kind and np.isfinite(x[j]) and x[j] != 0]
    present.sort(key=lambda j: -contributions[j])
    return [(j, float(contributions[j])) for j in present[:k]]


class ModelScorer:
    """Scores feature tables with one trained model: the given ScoringModel row, the latest one when none is given,
    or (offline, e.g. in tests) a TrainedModel passed directly."""

    name = "model"

    def __init__(
        self, scoring_model: Any = None, *, district_code: str | None = None, model: TrainedModel | None = None
    ) -> None:
        if model is None:
            scoring_model = scoring_model if scoring_model is not None else latest_scoring_model(district_code)
            model = load_trained(scoring_model)
        self.model = model
        self.scoring_model = scoring_model
        self.version = f"model #{scoring_model.pk}" if scoring_model is not None else "offline"

    @property
    def features(self) -> tuple[str, ...]:
        return self.model.features

    def matrix(self, features: pa.Table) -> np.ndarray:
        return to_matrix(features, self.model.features)

    def probabilities(self, features: pa.Table) -> np.ndarray:
        x = self.matrix(features)
        return self.model.predict_proba(x) if len(x) else np.zeros(0)

    def score(self, features: pa.Table) -> pa.Table:
        """Every row of a round's feature table: household_id, score (probability × 100), probability, reasons.

        Reasons are computed for the rows a round can list — in each dong the best EXPLAIN_SHARE of its
        households, at least EXPLAIN_MIN_PER_DONG — which leaves room for the households a round excludes (cool-down,
        already in care) above its visit capacity; the other rows get no reasons, as they are never shown."""
        x = self.matrix(features)
        probability = self.model.predict_proba(x) if len(x) else np.zeros(0)
        reasons: list[list[dict[str, Any]] | None] = [None] * len(x)
        explain = rows_to_explain(probability, np.asarray(features.column("dong_code").to_pylist(), dtype=object))
        if len(explain):
            explained = top_reasons(self.model.contributions(x[explain]), x[explain], self.model.features)
            for row, row_reasons in zip(explain.tolist(), explained, strict=True):
                reasons[row] = row_reasons
        return pa.table(
            {
                "household_id": features.column("household_id"),
                "score": pa.array(np.round(probability * SCORE_SCALE, 4), pa.float64()),
                "probability": pa.array(probability, pa.float64()),
                "reasons": pa.array(reasons, pa.list_(REASON_TYPE)),
            }
        )

    def reasons(self, features: pa.Table, *, top: int = TOP_REASONS) -> list[list[dict[str, Any]]]:
        """Reasons for every row of `features` (pass only the households to explain: contributions cost more)."""
        x = self.matrix(features)
        if len(x) == 0:
            return []
        return top_reasons(self.model.contributions(x), x, self.model.features, top=top)

    def explain(self, features: pa.Table, household_ids: list[int] | np.ndarray) -> dict[int, list[dict[str, Any]]]:
        """Reasons of some households of a feature table, by household id: for an engine that asks for the
        reasons of the listed households only, once it has cut the lists."""
        return self.reasons_for(features, household_ids)

    def reasons_for(self, features: pa.Table, household_ids: list[int] | np.ndarray) -> dict[int, list[dict[str, Any]]]:
        """Reasons of some households of a feature table, by household id."""
        wanted = features.filter(pc.is_in(features.column("household_id"), value_set=pa.array(household_ids)))
        ids = wanted.column("household_id").to_pylist()
        return dict(zip(ids, self.reasons(wanted), strict=True))


def rows_to_explain(probability: np.ndarray, dong: np.ndarray) -> np.ndarray:
    """Row numbers of the best-scored rows of each dong (see ModelScorer.score), in table order."""
    chosen = []
    for code in np.unique(dong.astype(str)):
        rows = np.flatnonzero(dong.astype(str) == code)
        take = min(len(rows), max(EXPLAIN_MIN_PER_DONG, int(np.ceil(EXPLAIN_SHARE * len(rows)))))
        order = np.argsort(-probability[rows], kind="stable")[:take]
        chosen.append(rows[order])
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)


def latest_scoring_model(district_code: str | None = None) -> Any:
    """The most recently trained model; of one district when given (a district learns from its own outcomes)."""
    models = ScoringModel.objects.order_by("-trained_at", "-pk")
    if district_code is not None:
        models = models.filter(district_id=district_code)
    row = models.first()
    if row is None:
        if district_code:
            message = _(
                "No learned model has been trained for district %(district)s yet: train one on the learned models "
                "page (or with `dolbom train`), or use the points scorecard."
            )
            raise NoModel(message % {"district": district_code})
        message = _(
            "No learned model has been trained yet: train one on the learned models page (or with `dolbom train`), "
            "or use the points scorecard."
        )
        raise NoModel(message)
    return row


def load_trained(scoring_model: Any) -> TrainedModel:
    """The model file of a ScoringModel row, checked against the sha256 recorded when it was trained."""
    sha = (scoring_model.metrics or {}).get("model_sha256")
    if not sha:
        raise ModelFileError(f"model #{scoring_model.pk} has no recorded sha256: it cannot be verified")
    return TrainedModel.load(model_path(scoring_model.path), sha)


def model_path(recorded: str) -> Path:
    """A model's file from its row: relative to DOLBOM_HOME (models trained since backups restore into another
    home), or the absolute path older rows hold; one of those no longer there is looked for under this home's
    models/ by name, which the recorded sha256 then checks."""
    path = Path(recorded)
    home = Path(settings.HOME)
    if not path.is_absolute():
        return home / path
    if not path.exists() and (home / "models" / path.name).exists():
        return home / "models" / path.name
    return path
