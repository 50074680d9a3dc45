"""Scorers: what turns a household's evidence into a score and reasons.

Two scorers plug into a round:
* the **scorecard** (`scorecard.toml`), which the engines run as SQL over the signals themselves (each kind's
  strongest signal needs the signal rows, not per-household maxima);
* a **learned model** (`dolbom.discovery.learning.scorer.ModelScorer`, trained on recorded outcomes), which reads
  the household feature table built here.

Both return the same thing: one row per household with `household_id`, `score` (higher = visit first),
`probability` (null for the scorecard) and `reasons`, a list of `{code, text, points}`, largest first. The round
ranks either by the same selection SQL, so exclusions, capacities and tie-breaking never depend on the scorer.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import pyarrow as pa
from django.utils.translation import gettext as _

from dolbom.discovery.screening import sql
from dolbom.discovery.screening.engine import (
    finish,
    list_with_reasons,
    open_session,
    run_scoring_statements,
    scoring_statements,
)
from dolbom.discovery.screening.inputs import ScreeningInputs


@runtime_checkable
class Scorer(Protocol):
    name: str  # "scorecard" or "model": ScreeningRound.scorer
    version: str  # recorded with the round

    def score(self, features: pa.Table) -> pa.Table:
        """Scores for the households of a feature table (see `build_features`): household_id, score, probability
        (float or null) and reasons (list of {code, text, points})."""
        ...


class ScorecardScorer:
    """The points scorecard. Its scoring runs as SQL inside the engine (`sql.kind_points_statement`); `score`
    exists for callers that want every household's scorecard score next to a model's, e.g. an evaluation."""

    name = "scorecard"
    runs_in_sql = True

    def __init__(self, inputs: ScreeningInputs) -> None:
        self.inputs = inputs
        self.version = inputs.scorecard.version

    def score(self, features: pa.Table | None = None) -> pa.Table:
        """Every household with a scored signal, with its scorecard score and reasons (no exclusion, no cut)."""
        del features  # the scorecard reads the signals, not the per-household maxima
        with open_session(self.inputs, "duckdb") as session:
            run_scoring_statements(session, self.inputs)
            everyone = (
                "SELECT household_id, dong_code, CAST(0 AS BIGINT) AS list_rank, score, probability "
                "FROM household_scores"
            )
            session.run(sql.Statement("listed", everyone))
            flat = session.query(list_with_reasons(session, self.inputs))
        table = finish(flat, {})
        return table.drop_columns(["rank", "selection"]).sort_by("household_id").replace_schema_metadata(None)


def build_features(inputs: ScreeningInputs) -> pa.Table:
    """One row per household of the snapshot with at least one signal of a catalogue kind, from the same snapshot
    and signals as the round (living current members only): the columns of docs/screening.md."""
    with open_session(inputs, "duckdb") as session:
        for statement in scoring_statements(inputs)[:3]:
            session.run(statement)
        return session.query(sql.features_sql(inputs.catalogue, inputs.as_of))


class ModelUnavailable(RuntimeError):
    """No learned model can score this round (module missing or no trained model); the message says why."""


def model_scorer(scoring_model: Any = None, *, district_code: str | None = None) -> Scorer:
    """The learned scorer (the given ScoringModel, else the district's latest), or ModelUnavailable with a message
    an officer can act on. A district's round never uses a model trained on another district's outcomes."""
    # Imported here, not at the top: LightGBM is loaded only when a round asks for the model, and an installation
    # where it cannot load (no OpenMP runtime) still screens with the scorecard.
    try:
        from dolbom.discovery.learning.scorer import ModelScorer
        from dolbom.discovery.learning.train import ModelFileError
    except ImportError as exc:
        raise ModelUnavailable(_("The learned model is not part of this installation.")) from exc
    try:
        scorer = ModelScorer(scoring_model, district_code=district_code)
    except LookupError as exc:
        raise ModelUnavailable(str(exc)) from exc  # says what to do: train a model, or use the scorecard
    except (ModelFileError, OSError) as exc:
        raise ModelUnavailable(_("The trained model cannot be read: %(reason)s") % {"reason": exc}) from exc
    if not isinstance(scorer, Scorer):
        raise ModelUnavailable(_("The learned model does not implement score(features) -> scores."))
    return scorer
