"""Training the learned model on the outcomes officers recorded (the one write of `ScoringModel`): a district's
own model, or a pooled one on the outcomes of the districts of a city that agreed to share them.

Labels: helped or referred (POSITIVE_OUTCOMES) = the household was in need; not eligible or refused
(NEGATIVE_OUTCOMES) = it was not. Unreachable, moved and deceased say nothing about need and are dropped — and
counted, because a model trained without them may rank hard-to-reach households lower (the model card measures it).

Features are rebuilt for each earlier round from that round's own inputs — the signal files it used and the
registry as of its date — by the screening engine's feature builder, so the model learns from what the round saw,
not from what is known today.

Each district's latest labelled round is held out when it has two or more: the model learns from the earlier ones
and the release gate (`learning.gate`) measures it on the held-out one against the scorecard. The model offered is
the one the gate measured; a district with a single labelled round gets a model that waits for the next round's
outcomes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.files import private_dir, private_workdir
from dolbom.core.jobs.runtime import Progress
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import city_of, scope_for
from dolbom.discovery.learning.balance import age_band
from dolbom.discovery.learning.features import feature_columns, to_matrix
from dolbom.discovery.learning.gate import (
    GATE_ATTRIBUTES,
    Candidates,
    HeldOut,
    evaluate_gate,
    not_evaluated,
    passes_gate,
)
from dolbom.discovery.learning.train import ALGORITHM, TrainedModel, TrainingRefused, check_labels, fit
from dolbom.discovery.models import (
    NEGATIVE_OUTCOMES,
    POSITIVE_OUTCOMES,
    ItemStatus,
    LabelSharingAgreement,
    ModelKind,
    OutreachItem,
    RoundStatus,
    ScoringModel,
    ScreeningRound,
)
from dolbom.discovery.screening.inputs import Snapshot
from dolbom.discovery.screening.rounds_inputs import features_for_round, inputs_for_round, work_root
from dolbom.discovery.screening.scorers import ScorecardScorer, build_features
from dolbom.registry.models import AdministrativeArea, AreaLevel

__all__ = ["TrainingRefused", "collect_labels", "train_model", "train_pooled_model"]


@dataclass
class LabelledRounds:
    # One row per labelled item: household_id, the feature columns, round_id, label and selection (why the item was
    # listed: ranked by the round's scorer, or drawn for a reserved slot; text, so never a feature).
    features: pa.Table
    rounds: list[int]
    dropped: dict[str, int]  # outcome → items not used as labels (unreachable, moved, deceased, no features)


@dataclass
class Source:
    """One district's part in a training: the rounds it learns from and the one held out for the gate."""

    district: str
    training: list[ScreeningRound]
    heldout: list[ScreeningRound]
    agreement: int | None = None
    labels: int = 0
    positives: int = 0
    dropped: dict[str, int] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        return {
            "district": self.district,
            "rounds": [r.pk for r in self.training],
            "heldout_rounds": [r.pk for r in self.heldout],
            "labels": self.labels,
            "positives": self.positives,
            "agreement": self.agreement,
        }


def labelled_rounds(district_code: str, *, since: date | None = None) -> list[ScreeningRound]:
    """The district's done rounds with recorded outcomes, oldest first; from `since` when an agreement says so."""
    rounds = ScreeningRound.objects.filter(district_id=district_code, status=RoundStatus.DONE)
    if since is not None:
        rounds = rounds.filter(started_at__date__gte=since)
    return list(rounds.filter(items__status=ItemStatus.DONE).distinct().order_by("started_at", "pk"))


def split_heldout(rounds: list[ScreeningRound]) -> tuple[list[ScreeningRound], list[ScreeningRound]]:
    """The rounds to learn from and the latest one, held out for the gate (when there are two or more)."""
    if len(rounds) < 2:
        return rounds, []
    return rounds[:-1], rounds[-1:]


def round_labels(screening_round: ScreeningRound) -> tuple[dict[int, int], Counter[str]]:
    """household → 1 (in need) or 0 (not) for the round's recorded outcomes, and the outcomes that are no label."""
    labelled_values = {str(o) for o in POSITIVE_OUTCOMES | NEGATIVE_OUTCOMES}
    positive_values = {str(o) for o in POSITIVE_OUTCOMES}
    items = OutreachItem.objects.filter(round=screening_round, status=ItemStatus.DONE)
    outcomes = dict(items.values_list("household_id", "outcome"))
    dropped = Counter(o for o in outcomes.values() if o not in labelled_values)
    labels = {h: int(o in positive_values) for h, o in outcomes.items() if o in labelled_values}
    return labels, dropped


def collect_labels(district_code: str, *, workdir: Path, rounds: list[ScreeningRound] | None = None) -> LabelledRounds:
    """Every recorded outcome of the given rounds (default: all the district's done rounds), joined to the
    features the round saw."""
    tables: list[pa.Table] = []
    dropped: Counter[str] = Counter()
    used: list[int] = []
    for screening_round in labelled_rounds(district_code) if rounds is None else rounds:
        labels, not_labels = round_labels(screening_round)
        dropped.update(not_labels)
        # Kept with each label so that the model card can tell the labels of the model's own choices from those
        # drawn for the reserved share (docs/model-card.md, "Labels and their bias").
        done = OutreachItem.objects.filter(round=screening_round, status=ItemStatus.DONE)
        selections = dict(done.values_list("household_id", "selection"))
        if not labels:
            continue
        features = features_for_round(screening_round, workdir=workdir / f"round-{screening_round.pk}")
        wanted = pa.array(sorted(labels), pa.int64())
        rows = features.filter(pc.is_in(features.column("household_id"), value_set=wanted))
        missing = len(labels) - rows.num_rows
        if missing:
            # A household listed by another channel (a referral) has no signal features: nothing to learn from.
            dropped["no_features"] += missing
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
        return LabelledRounds(features=empty, rounds=[], dropped=dict(dropped))
    # Rounds under different catalogue versions may differ in columns: a kind absent from a round had no signal.
    combined = pa.concat_tables(tables, promote_options="default")
    return LabelledRounds(features=combined, rounds=used, dropped=dict(dropped))


# ------------------------------------------------------------------------------------------------ held-out rounds


def household_groups(snapshot: Snapshot) -> dict[int, dict[str, str]]:
    """Per household of a round's snapshot, the groups the gate compares recall across: the head's age band (on
    the snapshot's date) and sex, any registered disability among the members, and the dong."""
    as_of = snapshot.as_of
    households, members, persons = (
        pa.concat_tables([pq.read_table(path) for path in snapshot.paths(name)]).to_pydict()
        for name in ("households", "memberships", "persons")
    )
    person = {
        pid: (birth, sex, disability)
        for pid, birth, sex, disability in zip(
            persons["person_id"], persons["birth_date"], persons["sex"], persons["disability"], strict=True
        )
    }
    heads: dict[int, tuple[date | None, str]] = {}
    disabled: set[int] = set()
    for pid, household, relationship in zip(
        members["person_id"], members["household_id"], members["relationship"], strict=True
    ):
        birth, sex, disability = person.get(pid, (None, "", ""))
        if disability:
            disabled.add(household)
        if relationship == "head" and household not in heads:
            heads[household] = (birth, sex or "unknown")
    return {
        household: {
            "head_age_band": age_band(heads.get(household, (None, ""))[0], as_of),
            "head_sex": heads.get(household, (None, "unknown"))[1],
            "disability": "yes" if household in disabled else "no",
            "dong": dong,
        }
        for household, dong in zip(households["household_id"], households["dong_code"], strict=True)
    }


@dataclass
class RoundEvidence:
    """What a held-out round offers the gate: the features and scorecard points of its households, their groups,
    the households it could not list and its visit capacities, all rebuilt from the round's own inputs."""

    features: pa.Table
    scorecard: dict[int, float]
    min_score: float
    groups: dict[int, dict[str, str]]
    excluded: set[int]
    capacities: dict[str, int]


def round_evidence(screening_round: ScreeningRound, *, workdir: Path) -> RoundEvidence:
    inputs = inputs_for_round(screening_round, workdir=workdir)
    card = ScorecardScorer(inputs).score()
    scores = dict(zip(card.column("household_id").to_pylist(), card.column("score").to_pylist(), strict=True))
    groups = household_groups(inputs.snapshot)
    excluded = set(pq.read_table(inputs.snapshot.path("excluded"), columns=["household_id"]).column(0).to_pylist())
    return RoundEvidence(
        features=build_features(inputs),
        scorecard=scores,
        min_score=float(inputs.scorecard.min_score),
        groups=groups,
        excluded=excluded,
        capacities={str(k): int(v) for k, v in (screening_round.params.get("capacities") or {}).items()},
    )


@dataclass
class _Columns:
    """Rows gathered round by round for the gate, turned into arrays at the end."""

    values: dict[str, list[Any]] = field(default_factory=lambda: {"id": [], "model": [], "card": [], "extra": []})
    groups: dict[str, list[str]] = field(default_factory=lambda: {name: [] for name in GATE_ATTRIBUTES})

    def add(self, household: int, model: float, card: float, extra: Any, of_household: dict[str, str]) -> None:
        self.values["id"].append(household)
        self.values["model"].append(model)
        self.values["card"].append(card)
        self.values["extra"].append(extra)
        for name in GATE_ATTRIBUTES:
            self.groups[name].append(of_household.get(name, "unknown"))

    def array(self, name: str, dtype: Any) -> np.ndarray:
        return np.asarray(self.values[name], dtype=dtype)

    def group_arrays(self) -> dict[str, np.ndarray]:
        return {name: np.asarray(values, dtype=object) for name, values in self.groups.items()}


def heldout_households(
    rounds: list[ScreeningRound], model: TrainedModel, *, workdir: Path
) -> tuple[HeldOut, Candidates]:
    """The labelled households of the held-out rounds with both scorers' scores and their groups, and every
    household those rounds could list (for the expected recall of each scorer's whole list)."""
    labelled, candidates = _Columns(), _Columns()
    capacity: dict[str, int] = {}
    for screening_round in rounds:
        labels, _dropped = round_labels(screening_round)
        if not labels:
            continue
        evidence = round_evidence(screening_round, workdir=workdir / f"heldout-{screening_round.pk}")
        features = evidence.features
        ids = features.column("household_id").to_pylist()
        probability = model.predict_proba(to_matrix(features, model.features)) if ids else np.zeros(0)
        for code, places in evidence.capacities.items():
            capacity[f"{screening_round.pk}:{code}"] = places
        for household, p in zip(ids, probability, strict=True):
            card = float(evidence.scorecard.get(household, np.nan))
            of_household = evidence.groups.get(household, {})
            if household in labels:
                labelled.add(household, float(p), card, bool(labels[household]), of_household)
            if household not in evidence.excluded:
                listable = card if card >= evidence.min_score else np.nan  # its round would not list it
                cut = f"{screening_round.pk}:{of_household.get('dong', '')}"
                candidates.add(household, float(p), listable, cut, of_household)
    held = HeldOut(
        household_id=labelled.array("id", np.int64),
        label=labelled.array("extra", bool),
        dong=np.asarray(labelled.groups["dong"], dtype=object),
        groups=labelled.group_arrays(),
        model=labelled.array("model", np.float64),
        scorecard=labelled.array("card", np.float64),
        rounds=[r.pk for r in rounds],
    )
    whole = Candidates(
        household_id=candidates.array("id", np.int64),
        cut=candidates.array("extra", object),
        capacity=capacity,
        groups=candidates.group_arrays(),
        model=candidates.array("model", np.float64),
        scorecard=candidates.array("card", np.float64),
    )
    return held, whole


# ------------------------------------------------------------------------------------------------------ training


def train_model(*, user: Any, district_code: str, progress: Progress | None = None) -> ScoringModel:
    """Train a model on the district's recorded outcomes, check it at the gate, save it under DOLBOM_HOME/models
    and record it.

    Raises PermissionDenied for roles that may not train (or another district), TrainingRefused when there are
    too few labels or only one class (the message gives the counts). Run as a job (discovery.jobs), `progress`
    hears of each phase (TRAINING_PHASES) and may stop the training between two of them (JobCancelled), before
    anything is saved."""
    ensure_can(user, "discovery.train_model")
    scope_for(user).ensure_district(district_code)
    training, heldout = split_heldout(labelled_rounds(district_code))
    source = Source(district=district_code, training=training, heldout=heldout)
    return _train(
        user=user,
        kind=ModelKind.DISTRICT,
        district_code=district_code,
        city_code=city_of(district_code),
        sources=[source],
        action="discovery.train_model",
        progress=progress,
    )


def agreements_in_force(city_code: str) -> list[LabelSharingAgreement]:
    return list(LabelSharingAgreement.objects.filter(city_id=city_code, ended_at__isnull=True).order_by("district_id"))


def train_pooled_model(*, user: Any, city_code: str, progress: Progress | None = None) -> ScoringModel:
    """Train one model on the outcomes of every district of the city with an agreement in force, each from the
    date its agreement names; a district without one contributes nothing. The city's officer trains it; each
    district then decides whether its rounds use it."""
    ensure_can(user, "discovery.train_pooled_model")
    scope_for(user).ensure_city(city_code)
    if not AdministrativeArea.objects.filter(code=city_code, level=AreaLevel.SIDO).exists():
        raise TrainingRefused(_("No city has the code %(code)s.") % {"code": city_code})
    sources = []
    for agreement in agreements_in_force(city_code):
        training, heldout = split_heldout(labelled_rounds(agreement.district_id, since=agreement.shares_from))
        sources.append(Source(agreement.district_id, training, heldout, agreement=agreement.pk))
    if not sources:
        raise TrainingRefused(
            _("No district of the city has agreed to share its outcomes: a pooled model has nothing to learn from.")
        )
    return _train(
        user=user,
        kind=ModelKind.POOLED,
        district_code=None,
        city_code=city_code,
        sources=sources,
        action="discovery.train_pooled_model",
        progress=progress,
    )


def _labelled_table(sources: list[Source], workdir: Path) -> pa.Table | None:
    """Every source's training labels with their features, one table (None when there is none); counts them on
    each source."""
    tables = []
    for source in sources:
        labelled = collect_labels(source.district, workdir=workdir / source.district, rounds=source.training)
        source.dropped = labelled.dropped
        source.labels = labelled.features.num_rows
        source.positives = int(pc.sum(labelled.features.column("label")).as_py() or 0) if source.labels else 0
        if source.labels:
            tables.append(labelled.features)
    return pa.concat_tables(tables, promote_options="default") if tables else None


def _enough_to_learn(table: pa.Table | None) -> bool:
    if table is None:
        return False
    try:
        check_labels(table.column("label").to_numpy())
    except TrainingRefused:
        return False
    return True


def _train(
    *,
    user: Any,
    kind: str,
    district_code: str | None,
    city_code: str,
    sources: list[Source],
    action: str,
    progress: Progress | None,
) -> ScoringModel:
    step = progress.phase if progress is not None else (lambda key, **result: None)
    step("labels")
    with private_workdir(work_root(), prefix="train-") as tmp:
        table = _labelled_table(sources, Path(tmp) / "training")
        kept_back_too_much = False
        if any(source.heldout for source in sources) and not _enough_to_learn(table):
            # The rounds before the latest hold too few outcomes to learn from (a round run to try the system, say):
            # learning from every round gives the district a model, which then waits for a later round to check it.
            for source in sources:
                source.training, source.heldout = source.training + source.heldout, []
            table = _labelled_table(sources, Path(tmp) / "all")
            kept_back_too_much = True
        y = table.column("label").to_numpy() if table is not None else np.zeros(0, dtype=np.int64)
        if table is None:
            check_labels(y)  # refuses, saying there are 0 of each
        step("fitting")
        names = feature_columns(table)  # round_id and label are not features: feature_columns leaves them out
        model = fit(to_matrix(table, names), y, names)
        step("gate")
        heldout = [r for source in sources for r in source.heldout]
        if kept_back_too_much:
            gate = not_evaluated("heldout_leaves_too_few")
        else:
            held, candidates = heldout_households(heldout, model, workdir=Path(tmp))
            gate = evaluate_gate(held, candidates)
    step("saving")
    dropped: Counter[str] = Counter()
    for source in sources:
        dropped.update(source.dropped)
    metrics = {**model.metrics, "dropped": dict(dropped), "district": district_code or city_code}
    training_rounds = [r.pk for source in sources for r in source.training]
    with transaction.atomic():
        row = ScoringModel.objects.create(
            kind=kind,
            district_id=district_code,
            city_id=city_code,
            trained_by=user,
            algorithm=ALGORITHM,
            path="",
            training_rounds=training_rounds,
            heldout_rounds=[r.pk for r in heldout],
            labels=len(y),
            metrics=metrics,
            label_sources=[source.record() for source in sources],
            gate=gate,
            # Offered for rounds with at least one cut of the lists; a district's choice checks its own cut.
            gate_passed=any(passes_gate(gate, balanced=cut) for cut in (False, True)),
        )
        home = Path(settings.HOME)
        path, sha = model.save(private_dir(home / "models"), str(row.pk))
        # Relative to DOLBOM_HOME, like a signal file's storage_path: a restored or moved home keeps working.
        row.path = str(path.relative_to(home))
        row.metrics = {**metrics, "model_sha256": sha}
        row.save(update_fields=["path", "metrics"])
        audit.record(
            user,
            action,
            row,
            detail={
                "district": district_code,
                "city": city_code,
                "sources": row.label_sources,
                "rounds": training_rounds,
                "labels": len(y),
                "positives": metrics["positives"],
                "negatives": metrics["negatives"],
                "dropped": dict(dropped),
                "gate_passed": row.gate_passed,
                "sha256": sha,
            },
        )
    return row
