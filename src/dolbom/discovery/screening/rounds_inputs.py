"""From the database to a round's inputs: the district's scorecard, the period's committed signal files and the
registry snapshot. Also rebuilds what an earlier round saw (its date and files are in its params), which is how the
learned model gets the features of the households officers visited.

Settings (environment):
  DOLBOM_SCREENING_WORKDIR   where rounds write their temporary Parquet files (default DOLBOM_HOME/tmp/screening);
                             on a Spark cluster, a folder every worker sees under the same path
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
from django.conf import settings

from dolbom.core.files import private_dir
from dolbom.discovery.importing.store import parquet_path
from dolbom.discovery.models import SignalFile
from dolbom.discovery.screening.inputs import ScreeningInputs, SignalSource, make_inputs
from dolbom.discovery.screening.scorecard import Scorecard, load_scorecard
from dolbom.discovery.screening.scorers import build_features
from dolbom.discovery.screening.snapshot import export_snapshot


def scorecard_path(district_code: str) -> Path:
    """Where a district keeps its own scorecard; without one, the packaged scorecard applies."""
    return Path(settings.HOME) / "scorecards" / f"{district_code}.toml"


def scorecard_for(district_code: str) -> Scorecard:
    """The district's scorecard, read and validated now (ScorecardError if it is malformed)."""
    path = scorecard_path(district_code)
    return load_scorecard(path) if path.exists() else load_scorecard()


def work_root() -> Path:
    """Where rounds and trainings make their work folders (core.files.private_workdir): the registry snapshot
    there is personal data, so the folder is for this user only (0700)."""
    return private_dir(os.environ.get("DOLBOM_SCREENING_WORKDIR") or Path(settings.HOME) / "tmp" / "screening")


def signal_sources(
    district_code: str, period: str | None = None, *, file_ids: list[int] | None = None
) -> list[SignalSource]:
    """The committed signal files of a district's period (or the given files of the district), oldest import
    first. A round reads its own district's files only, and a new round no withdrawn import; an earlier round's
    own files (`file_ids`) are its own, withdrawn or not (a file a round read cannot be withdrawn while the round
    stands)."""
    files = SignalFile.objects.filter(district_id=district_code)
    if period is not None:
        files = files.filter(period=period)
    files = files.filter(pk__in=file_ids) if file_ids is not None else files.filter(withdrawn_at__isnull=True)
    return [SignalSource(f.pk, parquet_path(f)) for f in files.order_by("imported_at", "pk")]


def inputs_for(
    *,
    district_code: str,
    as_of: date,
    cooldown_days: int,
    signals: list[SignalSource],
    folder: Path,
    scorecard: Scorecard,
) -> ScreeningInputs:
    snapshot = export_snapshot(
        district_code=district_code,
        as_of=as_of,
        cooldown_days=cooldown_days,
        folder=folder / "snapshot",
        signal_paths=[s.path for s in signals],
    )
    return make_inputs(snapshot, signals, workdir=folder / "work", scorecard=scorecard)


def inputs_for_round(screening_round: Any, *, workdir: Path) -> ScreeningInputs:
    """The inputs of an earlier round again: the registry as of its date and the signal files it read."""
    params = screening_round.params or {}
    as_of = date.fromisoformat(params.get("as_of") or screening_round.started_at.date().isoformat())
    file_ids = params.get("signal_file_ids")
    period = screening_round.period if file_ids is None else None
    signals = signal_sources(screening_round.district_id, period, file_ids=file_ids)
    return inputs_for(
        district_code=screening_round.district_id,
        as_of=as_of,
        cooldown_days=int(params.get("cooldown_days", 0)),
        signals=signals,
        folder=Path(workdir),
        scorecard=scorecard_for(screening_round.district_id),
    )


def features_for_round(screening_round: Any, *, workdir: Path) -> pa.Table:
    """The feature table of an earlier round's households (docs/screening.md)."""
    return build_features(inputs_for_round(screening_round, workdir=workdir))
