"""Agency signal files: delivered to each district about its own residents only, readable in their declared formats
and encodings, shaped by the catalogue, about real residents, and correlated with the hidden crisis without giving
it away."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dolbom.core.rrn import parse_rrn
from dolbom.discovery.catalogue import load_catalogue
from dolbom.synth.areas import DISTRICTS, DONGS
from dolbom.synth.signals import HANGUL_NAME_AGENCIES, PERIODS

from .conftest import read

CATALOGUE = load_catalogue()
ARROW = {"int": pa.int64(), "date": pa.date32(), "str": pa.string()}


def read_signals(city, district: str, period: str, agency_code: str) -> list[dict]:
    """Read one agency file as an importer would: by the catalogue, typed, empty cells as None."""
    agency = CATALOGUE.agency(agency_code)
    path = city.path / "signals" / district / period / agency.file_name
    columns = CATALOGUE.columns_for(agency_code)
    if agency.format == "parquet":
        table = pq.read_table(path)
        assert table.schema == pa.schema([(f.name, ARROW[f.type]) for f in columns])
        return table.to_pylist()
    raw = path.read_bytes()
    if agency.encoding == "utf-8-sig":
        assert raw.startswith(b"\xef\xbb\xbf")
    if agency.encoding == "cp949" and len(raw) > 200:
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
    reader = csv.DictReader(io.StringIO(raw.decode(agency.encoding)))
    assert reader.fieldnames == [f.name for f in columns]
    types = {f.name: f.type for f in columns}
    rows = []
    for row in reader:
        typed = {}
        for name, text in row.items():
            if text == "":
                typed[name] = None
            elif types[name] == "int":
                typed[name] = int(text)
            elif types[name] == "date":
                typed[name] = date.fromisoformat(text)
            else:
                typed[name] = text
        rows.append(typed)
    return rows


@pytest.fixture(scope="module")
def deliveries(big_city) -> dict[tuple[str, str, str], list[dict]]:
    """Every file the districts received, by (district, period, agency)."""
    return {
        (district.code, period.code, agency.code): read_signals(big_city, district.code, period.code, agency.code)
        for district in DISTRICTS
        for period in PERIODS
        for agency in CATALOGUE.agencies
    }


@pytest.fixture(scope="module")
def signals(deliveries) -> dict[tuple[str, str], list[dict]]:
    """What each agency sent for a period, over both districts."""
    merged: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for (_, period, agency_code), rows in deliveries.items():
        merged[(period, agency_code)] += rows
    return dict(merged)


@pytest.fixture(scope="module")
def persons(big_city) -> dict[str, dict]:
    return {p["resident_number"].replace("-", ""): p for p in read(big_city, "persons").to_pylist()}


def test_one_file_per_district_period_and_agency_in_a_mix_of_formats(big_city):
    manifest = json.loads((big_city.path / "manifest.json").read_text(encoding="utf-8"))
    files = [f for f in manifest["files"] if f["path"].startswith("signals/")]
    assert len(files) == len(DISTRICTS) * len(PERIODS) * len(CATALOGUE.agencies)
    assert manifest["signals_without_rows"] == []  # a city this size gives every agency something everywhere
    assert {f.get("encoding") for f in files} == {None, "utf-8", "utf-8-sig", "cp949"}
    assert big_city.signal_files == len(files)


def test_each_district_receives_its_own_residents_only(big_city, deliveries, persons):
    households = read(big_city, "households")
    dong_of_household = dict(
        zip(households.column("household_id").to_pylist(), households.column("dong_code").to_pylist(), strict=True)
    )
    district_of_dong = {d.code: DISTRICTS[d.district].code for d in DONGS}
    received: Counter[str] = Counter()
    for (district, _, _), rows in deliveries.items():
        for row in rows:
            household = persons[row["resident_number"].replace("-", "")]["household_id"]
            assert district_of_dong[dong_of_household[household]] == district
            received[district] += 1
    assert set(received) == {d.code for d in DISTRICTS}
    assert min(received.values()) > 0.3 * sum(received.values())  # both districts get a fair share


def test_record_numbers_are_the_agencys_own_and_unique_across_districts(signals):
    for (period, agency_code), rows in signals.items():
        numbers = sorted(int(r["record_id"].rsplit("-", 1)[1]) for r in rows)
        assert numbers == list(range(1, len(rows) + 1)), (period, agency_code)


def test_every_row_follows_the_catalogue(signals, persons):
    period_of = {p.code: p for p in PERIODS}
    for (period, agency_code), rows in signals.items():
        kinds = {k.code: k for k in CATALOGUE.kinds_of(agency_code)}
        digits_only = CATALOGUE.agency(agency_code).resident_number_format == "digits"
        for row in rows:
            kind = kinds[row["kind"]]
            assert row["record_id"].startswith(f"{agency_code.upper()}-{period.replace('-', '')}-")
            number = row["resident_number"]
            assert ("-" not in number) if digits_only else (number[6] == "-")
            person = persons[number.replace("-", "")]
            assert parse_rrn(number).birth_date == person["birth_date"]
            assert period_of[period].start <= row["observed_on"] <= period_of[period].end
            own = {f.name for f in kind.fields}
            for f in CATALOGUE.columns_for(agency_code)[len(CATALOGUE.common_fields) :]:
                value = row[f.name]
                if f.name not in own:
                    assert value is None, (kind.code, f.name)
                    continue
                field = kind.field(f.name)
                if field.required:
                    assert value is not None, (kind.code, f.name)
                if value is None:
                    continue
                if field.min is not None:
                    assert value >= field.min, (kind.code, f.name, value)
                if field.max is not None:
                    assert value <= field.max, (kind.code, f.name, value)
                if field.choices:
                    assert value in field.choices
                if field.type == "date":
                    assert value <= row["observed_on"]
            severity_value = row[kind.severity.field] if kind.severity.field else None
            assert kind.severity.level_of(severity_value) in (1, 2, 3)


def test_every_kind_occurs(signals):
    seen = {row["kind"] for rows in signals.values() for row in rows}
    assert seen == {k.code for k in CATALOGUE.kinds}


def test_one_row_per_person_and_kind_in_a_delivery(signals):
    for rows in signals.values():  # per agency and period over both districts, so within each delivery too
        keys = Counter((r["resident_number"], r["kind"]) for r in rows)
        assert max(keys.values(), default=1) == 1


def test_volume_is_about_three_signals_per_household(big_city, signals, targets):
    total = sum(len(rows) for rows in signals.values())
    assert total == big_city.signals
    t = targets["signals"]
    assert total / big_city.households == pytest.approx(t["per_household"], abs=t["tolerance"])


def test_foreign_names_appear_in_hangul_where_agencies_write_them_so(signals, persons):
    for (_, agency_code), rows in signals.items():
        for row in rows:
            person = persons[row["resident_number"].replace("-", "")]
            if person["nationality"] == "KR":
                assert row["name"] == person["name"]
            elif agency_code in HANGUL_NAME_AGENCIES and person["name"].isascii():
                assert not row["name"].isascii()


def test_running_arrears_carry_over_to_the_next_period(signals):
    first, second = PERIODS[0].code, PERIODS[1].code
    earlier = {(r["resident_number"], r["kind"]): r for r in signals[(first, "nhis")]}
    carried = [
        (earlier[(r["resident_number"], r["kind"])], r)
        for r in signals[(second, "nhis")]
        if (r["resident_number"], r["kind"]) in earlier and r["kind"] == "health_insurance_arrears"
    ]
    assert len(carried) > 50
    grew = sum(later["months_overdue"] == before["months_overdue"] + 2 for before, later in carried)
    assert grew > 0.5 * len(carried)


def test_signals_track_the_hidden_crisis_but_imperfectly(big_city, signals, persons, targets):
    truth = {t["household_id"]: t for t in read(big_city, "truth").to_pylist()}
    t = targets["crisis"]
    share = sum(t_["in_crisis"] for t_ in truth.values()) / len(truth) * 100
    assert share == pytest.approx(t["share_of_households"], abs=t["tolerance"])
    kinds = {k.code: k for k in CATALOGUE.kinds}
    score: dict[int, int] = defaultdict(int)
    for rows in signals.values():
        for row in rows:
            kind = kinds[row["kind"]]
            value = row[kind.severity.field] if kind.severity.field else None
            score[persons[row["resident_number"].replace("-", "")]["household_id"]] += kind.severity.level_of(value)
    crisis = np.array([score[h] for h, t_ in truth.items() if t_["in_crisis"] and t_["detectable"]])
    hidden = np.array([score[h] for h, t_ in truth.items() if t_["in_crisis"] and not t_["detectable"]])
    calm = np.array([score[h] for h, t_ in truth.items() if not t_["in_crisis"]])
    assert crisis.mean() > 2.5 * calm.mean()  # informative …
    assert hidden.mean() < 0.5 * crisis.mean()  # … some crises leave no trace in data …
    assert (calm >= np.percentile(crisis, 50)).sum() > len(crisis)  # … and false positives outnumber the cases
    # A ranking by raw severity points beats chance by far, but is far from perfect.
    labels = np.r_[np.ones(len(crisis) + len(hidden)), np.zeros(len(calm))]
    scores = np.r_[crisis, hidden, calm]
    order = np.argsort(-scores, kind="stable")
    top = labels[order][: len(crisis) + len(hidden)]
    precision = top.mean()
    assert 0.15 < precision < 0.8
