"""Spark runs the same SQL as DuckDB and must give the same lists, to the household, rank, score and reason."""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dolbom.discovery.screening.engine import run_screening, screening_stats
from dolbom.discovery.screening.inputs import SNAPSHOT_SCHEMAS
from dolbom.discovery.screening.scorecard import load_scorecard
from dolbom.lab.from_city import inputs_from_city
from dolbom.synth.generate import generate_city
from tests.discovery.screening.world import AS_OF, DONG_A, DONG_B, World

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def spark_available():
    """Spark needs pyspark and a Java runtime; CI must have both (a skip there would hide a broken engine)."""
    missing = []
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing.append("pyspark")
    if shutil.which("java") is None:
        missing.append("java (e.g. Debian's default-jre-headless)")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the Spark engine test needs {', '.join(missing)}")
        pytest.skip(f"the Spark engine test needs {', '.join(missing)}")
    yield
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()  # stop the JVM while pytest still owns the output streams
    # py4j says goodbye from a finaliser at interpreter exit, after pytest has closed its streams.
    logging.getLogger("py4j").setLevel(logging.WARNING)


def assert_same_lists(inputs) -> pa.Table:
    duck = run_screening(inputs, engine="duckdb")
    spark = run_screening(inputs, engine="spark")
    assert spark.num_rows == duck.num_rows > 0
    assert spark.to_pylist() == duck.to_pylist()
    counts = {k: v for k, v in screening_stats(duck).items() if k not in ("engine", "seconds")}
    assert {k: v for k, v in screening_stats(spark).items() if k not in ("engine", "seconds")} == counts
    return duck


def test_spark_lists_a_generated_district_exactly_as_duckdb(tmp_path):
    generate_city(tmp_path / "city", households=3_000, seed=5)
    inputs = inputs_from_city(tmp_path / "city", tmp_path / "inputs", district_code="9911000000")
    first = run_screening(inputs)
    # leave out the top household of each dong, as a cool-down or a case would
    tops = [r["household_id"] for r in first.to_pylist() if r["rank"] == 1]
    excluded = pa.table({"household_id": tops, "reason": ["cooldown"] * len(tops)}, schema=SNAPSHOT_SCHEMAS["excluded"])
    pq.write_table(excluded, inputs.snapshot.path("excluded"))
    listed = assert_same_lists(inputs)
    assert not set(tops) & set(listed.column("household_id").to_pylist())


def test_spark_handles_deaths_moves_ties_and_missing_columns_as_duckdb(tmp_path):
    world = World(tmp_path)
    world.capacities = {DONG_A: 4, DONG_B: 3}
    for household_id in (41, 17, 29, 5, 33):  # equal scores: ties broken by household id
        _, (person,) = world.household(DONG_A, household_id=household_id)
        world.signal(person, "telecom_arrears", months_overdue=9, amount_overdue=500_000)
        world.signal(person, "telecom_arrears", file_id=2, months_overdue=9, amount_overdue=400_000)
    _, (old, gone) = world.household(DONG_B, {"birth": date(1940, 2, 29)}, {"relationship": "spouse", "died": AS_OF})
    world.signal(
        gone, "health_insurance_arrears", months_overdue=30, amount_overdue=9_000_000, insured_type="지역가입자"
    )
    world.signal(old, "jeonse_fraud_victim", decided_on=AS_OF, deposit_amount=123_456_789)
    _, (mother, _, moved) = world.household(DONG_B, {}, {"birth": date(2012, 1, 1)}, {"moved_out": True})
    world.signal(mother, "disaster_damage", occurred_on=AS_OF, disaster_type="침수", damage_amount=7_000_000)
    world.signal(moved, "suicide_risk", reported_on=AS_OF, channel="경찰")
    world.signal(None, "suicide_risk", reported_on=AS_OF, channel="응급실")
    # unmatched at import, a resident now (registered since): listed through the late match on both engines
    newcomer_household, (newcomer,) = world.household(DONG_B)
    world.signal(None, "suicide_risk", rrn_hash="a" * 64, reported_on=AS_OF, channel="경찰")
    world.late = [("a" * 64, newcomer)]
    inputs = world.inputs(scorecard=dataclasses.replace(load_scorecard(), min_score=0))
    listed = assert_same_lists(inputs)
    assert newcomer_household in listed.column("household_id").to_pylist()
    assert screening_stats(listed)["signals_matched_late"] == 1
    assert listed.column("household_id").to_pylist()[:4] == [5, 17, 29, 33]
