"""The generator's contract: deterministic files, a complete manifest written last, nothing half-written."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

import numpy as np
import pyarrow.parquet as pq
import pytest

from dolbom.core.rrn import parse_rrn
from dolbom.discovery.catalogue import load_catalogue
from dolbom.synth import generate as generate_module
from dolbom.synth import people
from dolbom.synth.areas import DISTRICTS
from dolbom.synth.generate import generate_city
from dolbom.synth.signals import PERIODS

from .conftest import SMALL, SMALL_SEED

CATALOGUE = load_catalogue()
TABLES = ("areas", "addresses", "agencies", "staff", "households", "persons", "memberships", "consents", "truth")


def _digests(root) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_and_size_give_byte_identical_files(small_city, small_city_again):
    first, second = _digests(small_city.path), _digests(small_city_again.path)
    assert first == second
    assert len(first) > 40


def test_another_seed_gives_another_city(small_city, other_seed_city):
    first, other = _digests(small_city.path), _digests(other_seed_city.path)
    assert first["persons.parquet"] != other["persons.parquet"]
    assert first["manifest.json"] != other["manifest.json"]
    # The geography and the organisations do not depend on the seed.
    assert first["agencies.parquet"] == other["agencies.parquet"]


def test_layout_and_manifest(small_city):
    root = small_city.path
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == SMALL_SEED
    assert manifest["households"] == SMALL
    assert manifest["generator_version"] == generate_module.GENERATOR_VERSION
    assert manifest["periods"] == [p.code for p in PERIODS]
    listed = {f["path"]: f for f in manifest["files"]}
    for table in TABLES:
        assert f"{table}.parquet" in listed
    signal_files = [p for p in listed if p.startswith("signals/")]
    assert {tuple(p.split("/")[1:3]) for p in signal_files} == {(d.code, p.code) for d in DISTRICTS for p in PERIODS}
    assert manifest["districts"] == [d.code for d in DISTRICTS]
    assert {p.rsplit(".", 1)[1] for p in signal_files} == {"csv", "parquet"}
    # Every file on disk is listed, with its true hash, and the manifest lists nothing else.
    on_disk = _digests(root)
    on_disk.pop("manifest.json")
    assert on_disk == {path: entry["sha256"] for path, entry in listed.items()}
    assert manifest["counts"]["households"] == SMALL
    assert manifest["counts"]["persons"] == small_city.persons
    assert sum(f["rows"] for f in manifest["files"] if f["path"].startswith("signals/")) == small_city.signals


def test_an_agency_with_no_row_for_a_district_in_a_period_sends_no_file(small_city):
    root = small_city.path
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    code_of_file = {a.file_name: a.code for a in CATALOGUE.agencies}
    signal_files = [f for f in manifest["files"] if f["path"].startswith("signals/")]
    assert all(f["rows"] > 0 for f in signal_files)  # no header-only file: the import refuses those
    delivered = {(*f["path"].split("/")[1:3], code_of_file[f["path"].split("/")[3]]) for f in signal_files}
    missing = {(e["district"], e["period"], e["agency"]) for e in manifest["signals_without_rows"]}
    assert missing  # in a city of 300 households some agencies have nothing to report on a district
    assert not delivered & missing
    everything = {(d.code, p.code, a.code) for d in DISTRICTS for p in PERIODS for a in CATALOGUE.agencies}
    assert delivered | missing == everything
    for district, period, agency in missing:
        assert not (root / "signals" / district / period / CATALOGUE.agency(agency).file_name).exists()


def test_summary_reads_as_one_line(small_city):
    text = str(small_city)
    assert "\n" not in text
    assert f"{SMALL:,} households" in text
    assert "signals" in text


def test_a_crash_leaves_nothing_behind(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(generate_module, "_write_manifest", broken)
    with pytest.raises(OSError, match="disk full"):
        generate_city(tmp_path / "city", households=50, seed=1)
    assert list(tmp_path.iterdir()) == []


def test_regenerating_replaces_an_earlier_city_but_never_a_foreign_folder(tmp_path):
    out = tmp_path / "city"
    generate_city(out, households=20, seed=1)
    summary = generate_city(out, households=30, seed=1)
    assert summary.households == 30
    assert json.loads((out / "manifest.json").read_text())["households"] == 30
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city"]

    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    with pytest.raises(FileExistsError, match="not a generated city"):
        generate_city(precious, households=20, seed=1)
    assert (precious / "thesis.txt").read_text() == "years of work"


@pytest.mark.parametrize("households", [1, 7])
def test_tiny_cities_are_complete(tmp_path, households):
    summary = generate_city(tmp_path / "city", households=households, seed=3)
    assert summary.households == households
    assert (tmp_path / "city" / "manifest.json").is_file()


def test_invalid_sizes_are_refused(tmp_path):
    with pytest.raises(ValueError, match="at least one household"):
        generate_city(tmp_path / "city", households=0, seed=1)
    with pytest.raises(ValueError, match="seed"):
        generate_city(tmp_path / "city", households=1, seed=-1)


def test_chunks_join_into_one_consistent_city(tmp_path, monkeypatch):
    monkeypatch.setattr(generate_module, "CHUNK_HOUSEHOLDS", 1_000)
    summary = generate_city(tmp_path / "city", households=3_500, seed=5)
    persons = pq.read_table(tmp_path / "city" / "persons.parquet")
    households = pq.read_table(tmp_path / "city" / "households.parquet")
    addresses = pq.read_table(tmp_path / "city" / "addresses.parquet")
    assert households.column("household_id").to_pylist() == list(range(1, 3_501))
    assert persons.column("person_id").to_pylist() == list(range(1, summary.persons + 1))
    assert len(set(persons.column("resident_number").to_pylist())) == summary.persons
    phones = [p for p in persons.column("phone").to_pylist() if p]
    assert len(set(phones)) == len(phones)
    keys = list(zip(addresses.column("road_address").to_pylist(), addresses.column("detail").to_pylist(), strict=True))
    assert len(set(keys)) == len(keys)
    assert pq.ParquetFile(tmp_path / "city" / "persons.parquet").metadata.num_row_groups == 4
    consents = pq.read_table(tmp_path / "city" / "consents.parquet").column("consent_id").to_pylist()
    assert consents == list(range(1, len(consents) + 1))


def test_resident_numbers_taken_earlier_are_drawn_again():
    birth = np.array(["1980-01-01", "1980-01-01", "1990-05-05", "2021-03-03"], dtype="datetime64[D]")
    male = np.array([True, True, False, True])
    foreign = np.zeros(4, dtype=bool)
    _, key = people.resident_numbers(np.random.default_rng(1), birth, male, foreign)
    key[1] = key[0]  # a clash inside the chunk
    used = np.array([key[2]])  # and one with an earlier chunk
    pop = SimpleNamespace(rrn_key=key.copy(), nationality=np.zeros(4, dtype=np.int16), birth=birth)
    now_used = generate_module._make_unique(np.random.default_rng(2), pop, used)
    assert len(set(pop.rrn_key.tolist())) == 4
    assert pop.rrn_key[0] == key[0] and pop.rrn_key[3] == key[3]  # the first holder keeps its number
    assert pop.rrn_key[2] != key[2]
    assert len(now_used) == 5
    for number, day, is_male in zip(pop.resident_number.to_pylist(), birth.tolist(), male, strict=True):
        parsed = parse_rrn(number)
        assert parsed.birth_date == day and parsed.sex == ("M" if is_male else "F")
