"""The model card's experiment, end to end through the application, on a generated city.

Run by `dolbom model-card` in a child process whose DOLBOM_HOME and SQLite database are throwaway (card.py sets
them up): migrate, load the city, each district imports the signal files it received through the importer (as its
administrator: matched against its own residents, as the national system's lists are), then per district: round 1 on
period 1 with the scorecard, simulated outcomes recorded through the outreach service, a model trained on them,
round 2 on period 2 with the scorecard and with the model. After round 1 each district's administrator records an
agreement to share its outcomes and the city's officer trains the pooled model (`train_pooled_model`). The three
scorers are then measured on round 2's inputs against the hidden truth (comparison.py). Round 2's outcomes are then
recorded, every model is trained again so that the release gate measures it on round 2, and each district chooses
the model its rounds would use (`choose_model`, which refuses a model the gate held back): that is the deployed
configuration, measured like the others. The figures go to a JSON file; card.py writes the Markdown.

    python -m dolbom.lab --city DIR --result FILE [--seed N]

This module imports the models, so Django must be set up before it is imported (`dolbom.lab.__main__` does).
Refuses to run against a database that already has households: it is meant for a fresh, disposable one.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import lightgbm
import numpy as np
import pyarrow.compute as pc
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone, translation

import dolbom
from dolbom.core.dates import today_kst
from dolbom.core.roles import Role
from dolbom.core.scope import city_of
from dolbom.discovery.catalogue import load_catalogue
from dolbom.discovery.learning.explain import explain_gate
from dolbom.discovery.learning.gate import gate_for
from dolbom.discovery.learning.scorer import ModelScorer, load_trained
from dolbom.discovery.models import NEGATIVE_OUTCOMES, POSITIVE_OUTCOMES
from dolbom.discovery.screening.rounds_inputs import inputs_for_round, scorecard_for
from dolbom.discovery.selectors import screening_settings_of
from dolbom.discovery.services.governance import choose_model, record_agreement
from dolbom.discovery.services.learning import train_model, train_pooled_model
from dolbom.discovery.services.rounds import run_round
from dolbom.discovery.services.signals import import_signal_file
from dolbom.lab.citytruth import city_truth
from dolbom.lab.comparison import BALANCED, collect, compare, pool
from dolbom.lab.from_city import city_districts, signal_files_of
from dolbom.registry.models import AdministrativeArea, AreaLevel, Household, Staff
from dolbom.synth.load import load_city
from dolbom.synth.outcomes import loaded_city_offset, read_truth, simulate_outcomes
from dolbom.synth.signals import PERIODS


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and (np.isnan(value) or np.isinf(value)):
        return None if np.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def _round_day(period_end: date) -> date:
    """A round is run just after its period closes."""
    return period_end + timedelta(days=1)


def _period_end(code: str) -> date:
    return next(p.end for p in PERIODS if p.code == code)


def _district_admins() -> dict[str, Any]:
    """One district administrator per district (they may import, screen and train)."""
    admins = {}
    for district in AdministrativeArea.objects.filter(level=AreaLevel.SIGUNGU).order_by("code"):
        staff = (
            Staff.objects.filter(role=Role.DISTRICT_ADMIN, areas=district, active=True, user__is_active=True)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if staff is not None:
            admins[district.code] = (district, staff.user)
    return admins


def _import_signals(city: Path, periods: list[str], admins: dict[str, Any]) -> dict[str, int]:
    """Rows imported per period, over all districts. Each district imports only the files it received, as its own
    administrator; an agency with no row for a district in a period sent it no file."""
    rows: dict[str, int] = {}
    for code, (_, user) in admins.items():
        for period in periods:
            for path in signal_files_of(city, code, period):
                result = import_signal_file(user=user, path=path, period=period, agency_code=None, district_code=code)
                if result.unmatched:
                    raise RuntimeError(f"{path}: {result.unmatched} rows matched no resident of district {code}")
                rows[period] = rows.get(period, 0) + result.rows
    return rows


def _round_one_stats(screening_round: Any, truth: Any) -> dict[str, Any]:
    """Outcomes of round 1, and how reach differs for hard-to-reach households."""
    positive = {str(o) for o in POSITIVE_OUTCOMES}
    labels = positive | {str(o) for o in NEGATIVE_OUTCOMES}
    hard = dict(zip(truth.column("household_id").to_pylist(), truth.column("hard_to_reach").to_pylist(), strict=True))
    groups = {True: Counter(), False: Counter()}
    outcomes: Counter[str] = Counter()
    for household_id, outcome in screening_round.items.values_list("household_id", "outcome"):
        group = groups[bool(hard.get(household_id))]
        group["listed"] += 1
        if not outcome:
            continue
        outcomes[outcome] += 1
        group["recorded"] += 1
        group["unreachable_or_moved"] += outcome in ("unreachable", "moved")
        group["labelled"] += outcome in labels
        group["positive"] += outcome in positive
    return {"outcomes": outcomes, "groups": groups}


def _group_summary(counter: Counter) -> dict[str, Any]:
    recorded = counter["recorded"] or 1
    labelled = counter["labelled"] or 1
    return {
        "listed": counter["listed"],
        "recorded": counter["recorded"],
        "unreachable_or_moved": counter["unreachable_or_moved"],
        "unreachable_or_moved_share": counter["unreachable_or_moved"] / recorded,
        "labelled": counter["labelled"],
        "positive_rate": counter["positive"] / labelled,
    }


def _city_officer(city_code: str) -> Any:
    """The city's welfare policy officer, who trains its pooled models (a generated city has `demo_city`)."""
    staff = (
        Staff.objects.filter(role=Role.CITY_OFFICER, areas=city_code, active=True, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if staff is None:
        raise RuntimeError(f"the city {city_code} has no city officer to train a pooled model")
    return staff.user


def _share_outcomes(user: Any, district_code: str, first_round: Any) -> None:
    """The district's agreement to let its outcomes train the city's pooled models, from the day its first round
    started (the application counts a round by the day it started, in local time)."""
    record_agreement(
        user=user,
        district_code=district_code,
        shares_from=timezone.localdate(first_round.started_at),
        approved_by="model card experiment",
        approved_on=today_kst(),
        document="model card experiment (synthetic city)",
    )


def _same_model(measured: Any, gated: Any) -> bool:
    """Whether the model the gate measured is the one measured against the truth: trained again on the same labels
    (round 1's), deterministically, it should be."""
    a, b = load_trained(measured), load_trained(gated)
    return a.booster.model_to_string() == b.booster.model_to_string() and (
        a.calibration.to_dict() == b.calibration.to_dict()
    )


def _gate_entry(row: Any, measured: Any, district: str, name: str) -> dict[str, Any]:
    """The gate's verdicts on a model, with its lists cut by score and balanced, in English."""
    cuts = {}
    for key, balanced in (("by_score", False), ("balanced", True)):
        gate = gate_for(row.gate, balanced=balanced)
        with translation.override("en"):
            cuts[key] = {"passed": bool(gate.get("passed")), "gate": gate, "verdict": explain_gate(gate)}
    return {"district": district, "district_name": name, "model": row.pk, "passed": row.gate_passed,
            "cuts": cuts, "same_as_measured": _same_model(measured, row)}  # fmt: skip


def _deploy(user: Any, district_code: str, candidates: list[tuple[str, Any]]) -> dict[str, Any]:
    """What the district's administrator can put into use: the first candidate the application lets it choose
    (it refuses a model the gate held back), else the scorecard."""
    refused = []
    for name, row in candidates:
        try:
            choose_model(user=user, district_code=district_code, model_id=row.pk)
        except ValidationError:
            refused.append(name)
            continue
        return {"deployed": name, "model": row.pk, "refused": refused}
    return {"deployed": "scorecard", "model": None, "refused": refused}


def with_deployed(collected: Any, deployed: str, *, balanced: bool) -> Any:
    """The round's evaluation with a "deployed" scorer: the lists of the scorer the district put into use, cut as
    its screening settings ask (a learned model's lists balanced or by score). Only its lists are measured
    (precision, recall, parity): pooled over districts, its scores would mix the scorecard's points with a model's
    probabilities, so the card reports no AUC or calibration for it."""
    if deployed != "scorecard" and balanced:
        deployed = f"{deployed}{BALANCED}"
    collected.listed["deployed"] = collected.listed[deployed]
    collected.score["deployed"] = collected.score[deployed]
    collected.probability["deployed"] = None
    return collected


def run(city: Path, *, seed: int = 0) -> dict[str, Any]:
    """The whole experiment in the current (fresh) database; returns the figures."""
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - since, 1)
        return now

    city = Path(city).resolve()
    manifest = json.loads((city / "manifest.json").read_text(encoding="utf-8"))
    first, second = manifest["periods"][:2]
    city_districts(manifest)  # refuses, before any work, a city whose signal files are not per district
    call_command("migrate", interactive=False, verbosity=0)
    if Household.objects.exists():
        raise SystemExit("the experiment needs an empty database: run it through `dolbom model-card`")
    load_city(city)
    mark = lap("load", started)
    admins = _district_admins()
    signal_rows = _import_signals(city, [first, second], admins)
    mark = lap("import", mark)

    offset = loaded_city_offset(city)
    outcome_truth = read_truth(city)
    truth = city_truth(city, as_of=_round_day(_period_end(second)))
    if offset:  # the evaluation's household ids are the database's
        truth = truth.set_column(0, "household_id", pc.add(truth.column("household_id"), offset))

    city_code = city_of(next(iter(admins)))
    officer = _city_officer(city_code)
    training, collected = [], []
    outcomes: Counter[str] = Counter()
    groups = {True: Counter(), False: Counter()}
    listed_first = recorded_first = 0
    second_day = _round_day(_period_end(second))
    with tempfile.TemporaryDirectory(prefix="dolbom-experiment-") as tmp:
        districts = []
        for code, (district, user) in admins.items():
            round_one = run_round(user=user, district_code=code, period=first, as_of=_round_day(_period_end(first)))
            if round_one.status != "done":
                raise RuntimeError(f"round 1 of {district.name} failed: {round_one.error}")
            summary = simulate_outcomes(round_one, outcome_truth, seed=seed, household_offset=offset)
            listed_first += summary.listed
            recorded_first += sum(summary.recorded.values())
            stats = _round_one_stats(round_one, truth)
            outcomes.update(stats["outcomes"])
            for key in groups:
                groups[key].update(stats["groups"][key])
            _share_outcomes(user, code, round_one)
            mark = lap(f"round 1 and outcomes, {code}", mark)

            model_row = train_model(user=user, district_code=code)
            training.append({"district": code, "district_name": district.name, "metrics": model_row.metrics})
            mark = lap(f"training, {code}", mark)

            # Round 2 through the application with the scorecard. The synthetic city delivers no file for an agency
            # without a row: a period may lack one the first had, which the form would warn about. Here it is
            # known and intended.
            both = {"district_code": code, "period": second, "as_of": second_day, "confirm_few_files": True}
            round_two = run_round(user=user, **both)
            if round_two.status != "done":
                raise RuntimeError(f"round 2 of {district.name} failed: {round_two.error}")
            districts.append((code, round_two, model_row))
            mark = lap(f"round 2, {code}", mark)

        # The city's pooled model, on every district's round 1 outcomes under the agreements recorded above.
        pooled_row = train_pooled_model(user=officer, city_code=city_code)
        training.append({"district": "pooled", "district_name": "(all districts, pooled)",
                         "metrics": pooled_row.metrics})  # fmt: skip
        mark = lap("pooled training", mark)
        for code, round_two, model_row in districts:
            inputs = inputs_for_round(round_two, workdir=Path(tmp) / f"eval-{code}")
            scorers = {"model": ModelScorer(scoring_model=model_row), "pooled": ModelScorer(scoring_model=pooled_row)}
            collected.append(collect(inputs, scorers, truth))
        mark = lap("evaluation", mark)

    # The application's own release gate, as a district would meet it: round 2's outcomes recorded (simulated, after
    # the evaluation above has read round 2's inputs), then `train_model` and `train_pooled_model` learn from round 1
    # again (the same labels, so the same model) and hold round 2 out.
    for _code, round_two, _model_row in districts:
        simulate_outcomes(round_two, outcome_truth, seed=seed, household_offset=offset)
    gates, gated = [], {}
    for code, _round_two, model_row in districts:
        gated[code] = train_model(user=admins[code][1], district_code=code)
        gates.append(_gate_entry(gated[code], model_row, code, admins[code][0].name))
    gated_pooled = train_pooled_model(user=officer, city_code=city_code)
    gates.append(_gate_entry(gated_pooled, pooled_row, "pooled", "(all districts, pooled)"))
    # What each district may put into use: the pooled model if it passed, else its own if it passed, else the
    # scorecard. The choice goes through the application, which refuses a model the gate held back.
    deployment = []
    for part, (code, _round_two, _model_row) in zip(collected, districts, strict=True):
        choice = _deploy(admins[code][1], code, [("pooled", gated_pooled), ("model", gated[code])])
        # The districts keep the default screening settings: a learned model's lists are balanced.
        balanced = screening_settings_of(code).balanced
        deployment.append({"district": code, "district_name": admins[code][0].name, "balanced": balanced,
                           **choice})  # fmt: skip
        with_deployed(part, choice["deployed"], balanced=balanced)
    evaluation = compare(pool(collected))
    mark = lap("gate", mark)
    any_district = next(iter(admins))
    return _jsonable(
        {
            "generated": {
                "dolbom": getattr(dolbom, "__version__", "") or _package_version(),
                "lightgbm": lightgbm.__version__,
                "catalogue": load_catalogue().version,
                "scorecard": scorecard_for(any_district).version,
                "seconds": time.perf_counter() - started,
                "timings": timings,
            },
            "city": {
                "name": city.name,
                "seed": manifest["seed"],
                "households": manifest["households"],
                "in_crisis": manifest["counts"]["households_in_crisis"],
                "periods": [first, second],
                "districts": [d.name for d, _ in admins.values()],
                "signals": signal_rows,
            },
            "simulation": {"seed": seed},
            "round1": {
                "period": first,
                "listed": listed_first,
                "recorded": recorded_first,
                "outcomes": dict(outcomes),
                "hard_to_reach": _group_summary(groups[True]),
                "others": _group_summary(groups[False]),
            },
            "training": training,
            "evaluation": {**evaluation, "period": second},
            "gate": gates,
            "deployment": deployment,
        }
    )


def _package_version() -> str:
    try:
        return version("dolbom")
    except PackageNotFoundError:
        return "dev"
