"""Training the learned model on the outcomes officers recorded (the one write of `ScoringModel`).

Labels: helped or referred (POSITIVE_OUTCOMES) = the household was in need; not eligible or refused
(NEGATIVE_OUTCOMES) = it was not. Unreachable, moved and deceased say nothing about need and are dropped — and
counted, because a model trained without them may rank hard-to-reach households lower (the model card measures it).

Features are rebuilt for each earlier round from that round's own inputs — the signal files it used and the
registry as of its date — by the screening engine's feature builder, so the model learns from what the round saw,
not from what is known today.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import transaction

from dolbom.core import audit
from dolbom.core.files import private_dir, private_workdir
from dolbom.core.jobs.runtime import Progress
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import scope_for
from dolbom.discovery.learning.features import feature_columns, to_matrix
from dolbom.discovery.learning.train import ALGORITHM, TrainingRefused, check_labels, fit
from dolbom.discovery.models import (
    NEGATIVE_OUTCOMES,
    POSITIVE_OUTCOMES,
    ItemStatus,
    OutreachItem,
    RoundStatus,
    ScoringModel,
    ScreeningRound,
)
from dolbom.discovery.screening.rounds_inputs import features_for_round, work_root

__all__ = ["TrainingRefused", "collect_labels", "train_model"]


@dataclass
class LabelledRounds:
    # One row per labelled item: household_id, the feature columns, round_id, label and selection (why the item was
    # listed: ranked by the round's scorer, or drawn for a reserved slot; text, so never a feature).
    features: pa.Table
    rounds: list[int]
    dropped: dict[str, int]  # outcome → items not used as labels (unreachable, moved, deceased, no features)


def _district_rounds(district_code: str) -> list[ScreeningRound]:
    rounds = ScreeningRound.objects.filter(district_id=district_code, status=RoundStatus.DONE)
    return list(rounds.filter(items__status=ItemStatus.DONE).distinct().order_by("started_at", "pk"))


def collect_labels(district_code: str, *, workdir: Path) -> LabelledRounds:
    """Every recorded outcome of the district's done rounds, joined to the features the round saw."""
    labelled_values = {str(o) for o in POSITIVE_OUTCOMES | NEGATIVE_OUTCOMES}
    positive_values = {str(o) for o in POSITIVE_OUTCOMES}
    tables: list[pa.Table] = []
    dropped: dict[str, int] = {}
    used: list[int] = []
    for screening_round in _district_rounds(district_code):
        items = OutreachItem.objects.filter(round=screening_round, status=ItemStatus.DONE)
        outcomes = dict(items.values_list("household_id", "outcome"))
        # Kept with each label so that the model card can tell the labels of the model's own choices from those
        # drawn for the reserved share (docs/model-card.md, "Labels and their bias").
        selections = dict(items.values_list("household_id", "selection"))
        for outcome in outcomes.values():
            if outcome not in labelled_values:
                dropped[outcome] = dropped.get(outcome, 0) + 1
        labels = {h: int(o in positive_values) for h, o in outcomes.items() if o in labelled_values}
        if not labels:
            continue
        features = features_for_round(screening_round, workdir=workdir / f"round-{screening_round.pk}")
        wanted = pa.array(sorted(labels), pa.int64())
        rows = features.filter(pc.is_in(features.column("household_id"), value_set=wanted))
        missing = len(labels) - rows.num_rows
        if missing:
            # A household listed by another channel (a referral) has no signal features: nothing to learn from.
            dropped["no_features"] = dropped.get("no_features", 0) + missing
        ids = rows.column("household_id").to_pylist()
        rows = rows.append_column("round_id", pa.array([screening_round.pk] * rows.num_rows, pa.int64()))
        rows = rows.append_column("label", pa.array([labels[h] for h in ids], pa.int64()))
        rows = rows.append_column("selection", pa.array([selections[h] for h in ids], pa.string()))
        tables.append(rows)
        used.append(screening_round.pk)
    if not tables:
        empty = pa.table(
            {
                "household_id": pa.array([], pa.int64()),
                "label": pa.array([], pa.int64()),
                "selection": pa.array([], pa.string()),
            }
        )
        return LabelledRounds(features=empty, rounds=[], dropped=dropped)
    # Rounds under different catalogue versions may differ in columns: a kind absent from a round had no signal.
    combined = pa.concat_tables(tables, promote_options="default")
    return LabelledRounds(features=combined, rounds=used, dropped=dropped)


def train_model(*, user: Any, district_code: str, progress: Progress | None = None) -> ScoringModel:
    """Train a model on the district's recorded outcomes, save it under DOLBOM_HOME/models and record it.

    Raises PermissionDenied for roles that may not train (or another district), TrainingRefused when there are
    too few labels or only one class (the message gives the counts). Run as a job (discovery.jobs), `progress`
    hears of each phase (TRAINING_PHASES) and may stop the training between two of them (JobCancelled), before
    anything is saved."""
    ensure_can(user, "discovery.train_model")
    scope_for(user).ensure_district(district_code)
    step = progress.phase if progress is not None else (lambda key, **result: None)
    step("labels")
    with private_workdir(work_root(), prefix="train-") as tmp:
        labelled = collect_labels(district_code, workdir=Path(tmp))
    table = labelled.features
    y = table.column("label").to_numpy() if table.num_rows else np.zeros(0, dtype=np.int64)
    names = feature_columns(table)  # round_id and label are not features: feature_columns leaves them out
    if table.num_rows == 0:
        check_labels(y)  # refuses, saying there are 0 of each
    step("fitting")
    model = fit(to_matrix(table, names), y, names)
    step("saving")
    metrics = {**model.metrics, "dropped": labelled.dropped, "district": district_code}
    with transaction.atomic():
        row = ScoringModel.objects.create(
            district_id=district_code,
            trained_by=user,
            algorithm=ALGORITHM,
            path="",
            training_rounds=labelled.rounds,
            labels=len(y),
            metrics=metrics,
        )
        home = Path(settings.HOME)
        path, sha = model.save(private_dir(home / "models"), str(row.pk))
        # Relative to DOLBOM_HOME, like a signal file's storage_path: a restored or moved home keeps working.
        row.path = str(path.relative_to(home))
        row.metrics = {**metrics, "model_sha256": sha}
        row.save(update_fields=["path", "metrics"])
        audit.record(
            user,
            "discovery.train_model",
            row,
            detail={
                "district": district_code,
                "rounds": labelled.rounds,
                "labels": len(y),
                "positives": metrics["positives"],
                "negatives": metrics["negatives"],
                "dropped": labelled.dropped,
                "sha256": sha,
            },
        )
    return row
