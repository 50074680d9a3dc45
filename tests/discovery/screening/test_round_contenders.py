"""A scorecard round applies the household modifiers to its contenders only (`scoring_statements(…,
contenders=True)`): its lists, reasons and counts must be those of the round that scores every household,
whatever the capacities, the minimum score, deaths and exclusions."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dolbom.discovery.screening import sql
from dolbom.discovery.screening.engine import (
    finish,
    list_with_reasons,
    open_session,
    run_scoring_statements,
    run_screening,
    scoring_statements,
    screening_stats,
)
from dolbom.discovery.screening.inputs import SNAPSHOT_SCHEMAS, ScreeningInputs
from dolbom.discovery.screening.scorecard import load_scorecard
from dolbom.discovery.screening.scorers import ScorecardScorer
from dolbom.lab.from_city import inputs_from_city
from dolbom.synth.generate import generate_city

COUNTS = (
    "households_in_district", "households_screened", "households_with_signals", "below_min_score",
    "signals_in_files", "signals_of_residents", "signals_unscored_kind", "signals_deceased", "excluded",
)  # fmt: skip


def every_household_round(inputs: ScreeningInputs) -> tuple[list[dict], dict]:
    """The same round with every household's modifiers applied (the statements a learned scorer's round runs)."""
    least = float(inputs.scorecard.min_score)
    with open_session(inputs, "duckdb") as session:
        run_scoring_statements(session, inputs)
        session.run(sql.listed_statement("household_scores", min_score=least))
        flat = session.query(list_with_reasons(session, inputs))
        counts = session.query(sql.stats_sql(inputs.as_of, min_score=least)).to_pylist()[0]
        exclusions = session.query(sql.exclusions_sql()).to_pylist()
    counts["excluded"] = {row["reason"]: row["households"] for row in exclusions}
    return finish(flat, {}).to_pylist(), counts


def contenders(inputs: ScreeningInputs) -> tuple[int, int]:
    """How many households with a scored signal the round has, and how many of them it reads the members of."""
    with open_session(inputs, "duckdb") as session:
        for statement in scoring_statements(inputs, contenders=True):
            session.run(statement)
        return (
            session.query("SELECT COUNT(*) AS n FROM kind_scores").column("n")[0].as_py(),
            session.query("SELECT COUNT(*) AS n FROM contenders").column("n")[0].as_py(),
        )


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> ScreeningInputs:
    """A generated district where one person in nine died a month before the round and one household with a scored
    signal in seven is excluded (cool-down or in care)."""
    folder: Path = tmp_path_factory.mktemp("contenders")
    generate_city(folder / "city", households=3_000, seed=11)
    inputs = inputs_from_city(folder / "city", folder / "inputs", district_code="9911000000")
    persons = pq.read_table(inputs.snapshot.path("persons"))
    died = inputs.as_of - timedelta(days=30)
    dates = [
        died if person_id % 9 == 0 else day
        for person_id, day in zip(
            persons.column("person_id").to_pylist(), persons.column("date_of_death").to_pylist(), strict=True
        )
    ]
    with_deaths = persons.set_column(5, "date_of_death", pa.array(dates, pa.date32()))
    pq.write_table(with_deaths, inputs.snapshot.path("persons"))
    scored = sorted(ScorecardScorer(inputs).score().column("household_id").to_pylist())
    left_out = [(h, "cooldown" if i % 2 else "in_care") for i, h in enumerate(scored[::7])]
    excluded = pa.table(
        {"household_id": [h for h, _ in left_out], "reason": [r for _, r in left_out]},
        schema=SNAPSHOT_SCHEMAS["excluded"],
    )
    pq.write_table(excluded, inputs.snapshot.path("excluded"))
    return inputs


def with_capacities(inputs: ScreeningInputs, capacities: list[int]) -> None:
    dongs = pq.read_table(inputs.snapshot.path("dongs"))
    each = [capacities[i % len(capacities)] for i in range(dongs.num_rows)]
    pq.write_table(dongs.set_column(1, "visit_capacity", pa.array(each, pa.int64())), inputs.snapshot.path("dongs"))


@pytest.mark.parametrize(
    ("capacities", "min_score"),
    [([1, 3, 10], 10), ([0, 2, 25], 30), ([5], 0), ([10_000], 10)],
    ids=["small lists", "an empty dong and a high minimum", "no minimum", "room for everyone"],
)
def test_the_round_lists_and_counts_as_if_every_household_were_scored(district, capacities, min_score):
    with_capacities(district, capacities)
    inputs = dataclasses.replace(district, scorecard=dataclasses.replace(load_scorecard(), min_score=min_score))
    table = run_screening(inputs)
    expected, counts = every_household_round(inputs)
    assert table.num_rows > 0
    assert table.to_pylist() == expected  # households, ranks, scores, reasons
    stats = screening_stats(table)
    assert {k: stats[k] for k in COUNTS} == {k: counts[k] for k in COUNTS}
    assert stats["signals_deceased"] > 0 and stats["below_min_score"] + stats["listed"] > 0
    assert sum(stats["excluded"].values()) > 0


def test_small_lists_read_the_members_of_few_households(district):
    """What makes the round fast: with a few visits per dong most households are no contenders."""
    with_capacities(district, [2])
    inputs = dataclasses.replace(district, scorecard=dataclasses.replace(load_scorecard(), min_score=0))
    scored, read = contenders(inputs)
    assert 0 < read < scored / 2
    with_capacities(district, [10_000])
    scored, read = contenders(inputs)
    excluded = len(pq.read_table(inputs.snapshot.path("excluded")))
    assert read == scored - excluded  # room for everyone: every household not excluded is a contender


def test_a_modifier_that_takes_points_away_is_refused_rather_than_pruned_wrongly():
    scorecard = load_scorecard()
    assert sql.modifier_bound(scorecard) == sum(m.points for m in scorecard.modifiers) > 0
    first = dataclasses.replace(scorecard.modifiers[0], points=-5)
    negative = dataclasses.replace(scorecard, modifiers=(first, *scorecard.modifiers[1:]))
    with pytest.raises(ValueError, match="negative points"):
        sql.modifier_bound(negative)
