"""Cities generated once per test session: small ones for file and database checks, a 20,000-household one for
the distributions."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dolbom.synth.generate import CitySummary, generate_city

SMALL = 300
SMALL_SEED = 11
DISTRIBUTION_SIZE = 20_000
RESOURCE_SIZE = 2_000  # enough consenting households for every kind of resource row
TARGETS = tomllib.loads((Path(__file__).parents[2] / "src/dolbom/synth/targets.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def small_city(tmp_path_factory) -> CitySummary:
    return generate_city(tmp_path_factory.mktemp("small") / "city", households=SMALL, seed=SMALL_SEED)


@pytest.fixture(scope="session")
def small_city_again(tmp_path_factory) -> CitySummary:
    return generate_city(tmp_path_factory.mktemp("again") / "city", households=SMALL, seed=SMALL_SEED)


@pytest.fixture(scope="session")
def other_seed_city(tmp_path_factory) -> CitySummary:
    return generate_city(tmp_path_factory.mktemp("other") / "city", households=SMALL, seed=SMALL_SEED + 1)


@pytest.fixture(scope="session")
def big_city(tmp_path_factory) -> CitySummary:
    return generate_city(tmp_path_factory.mktemp("big") / "city", households=DISTRIBUTION_SIZE, seed=2026)


@pytest.fixture(scope="session")
def resource_city(tmp_path_factory) -> CitySummary:
    return generate_city(tmp_path_factory.mktemp("resources") / "city", households=RESOURCE_SIZE, seed=SMALL_SEED)


def read(city: CitySummary, name: str) -> pa.Table:
    return pq.read_table(city.path / f"{name}.parquet")


@pytest.fixture(scope="session")
def targets() -> dict:
    return TARGETS
