"""The crisis-signal catalogue: complete enough for the national system's kinds, and strict about its own form."""

from __future__ import annotations

import copy
import re
import tomllib
from datetime import date

import pytest

from dolbom.discovery.catalogue import DEFAULT_PATH, CatalogueError, load_catalogue, parse_catalogue


@pytest.fixture
def raw() -> dict:
    return tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def test_the_packaged_catalogue_is_valid_and_versioned():
    catalogue = load_catalogue()
    assert catalogue.version
    assert catalogue.source
    assert isinstance(catalogue.updated, date)
    assert len(catalogue.kinds) >= 24
    assert len(catalogue.agencies) >= 12
    assert load_catalogue() is catalogue  # read once per process


def test_it_covers_the_kinds_named_in_public_reporting():
    codes = {k.code for k in load_catalogue().kinds}
    assert {
        "electricity_cutoff", "water_cutoff", "gas_cutoff", "electricity_arrears", "health_insurance_arrears",
        "national_pension_arrears", "telecom_arrears", "public_rental_arrears", "maintenance_fee_arrears",
        "financial_delinquency", "debt_adjustment", "job_loss", "unemployment_benefit_end", "business_closure",
        "catastrophic_medical", "long_hospital_stay", "livelihood_rejection", "benefit_suspension",
        "vulnerable_dwelling", "disaster_damage", "suicide_risk",
    } <= codes  # fmt: skip


def test_every_kind_is_complete():
    catalogue = load_catalogue()
    for kind in catalogue.kinds:
        assert kind.label and not kind.label.isascii(), kind.code
        assert kind.agency.name and not kind.agency.name.isascii()
        assert kind.fields, kind.code
        if kind.severity.fixed is None:
            field = kind.field(kind.severity.field)
            assert kind.severity.level_of(field.min) >= 1
            assert kind.severity.level_of(10**12) == kind.severity.steps[-1].level


def test_statutory_thresholds_are_field_minimums():
    catalogue = load_catalogue()
    for code in ("health_insurance_arrears", "telecom_arrears", "public_rental_arrears", "maintenance_fee_arrears"):
        assert catalogue.kind(code).field("months_overdue").min == 3, code
    debt = catalogue.kind("financial_delinquency").field("amount_overdue")
    assert (debt.min, debt.max, debt.unit) == (1_000_000, 20_000_000, "won")


def test_severity_ladders():
    catalogue = load_catalogue()
    arrears = catalogue.kind("health_insurance_arrears").severity
    assert [arrears.level_of(m) for m in (3, 5, 6, 11, 12, 40)] == [1, 1, 2, 2, 3, 3]
    # Monotone: more months never lowers the level (the 17-versus-22-months complaint).
    for kind in catalogue.kinds:
        if kind.severity.field:
            levels = [kind.severity.level_of(v) for v in range(kind.field(kind.severity.field).min, 400)]
            assert levels == sorted(levels), kind.code
    assert catalogue.kind("suicide_risk").severity.level_of() == 3
    with pytest.raises(ValueError, match="below the first severity step"):
        arrears.level_of(2)


def test_columns_of_an_agency_file():
    catalogue = load_catalogue()
    columns = [f.name for f in catalogue.columns_for("nhis")]
    assert columns[:5] == ["record_id", "kind", "resident_number", "name", "observed_on"]
    assert columns.count("months_overdue") == 1
    assert {"out_of_pocket", "stay_days", "illness_group"} <= set(columns)
    assert catalogue.agency("waterworks").resident_number_format == "digits"
    assert catalogue.agency("nhis").file_name == "nhis.parquet"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c.pop("version"), "'version' is missing"),
        (lambda c: c.update(updated="yesterday"), "'updated' must be a date"),
        (lambda c: c["kind"][0].update(agency="nobody"), "agency 'nobody' is not defined"),
        (lambda c: c["kind"][0]["fields"][0].update(type="float"), "type must be one of int, date, str"),
        (lambda c: c["kind"][1].update(code=c["kind"][0]["code"]), "is defined twice"),
        (lambda c: c["kind"][0].pop("severity"), "no severity"),
        (lambda c: c["kind"][0].update(severity_fixed=2), "not both"),
        (lambda c: c["kind"][0].update(severity_field="last_paid_on"), "must be a required int field"),
        (lambda c: c["kind"][0]["severity"].reverse(), "strictly increasing"),
        (lambda c: c["kind"][0]["severity"][0].update(**{"from": 2}), "valid rows would have no severity"),
        (lambda c: c["kind"][0]["fields"][0].update(min=5, max=1), "min (5) is greater than max (1)"),
        (lambda c: c["agency"][0].update(encoding="latin-1"), "needs an encoding"),
        (lambda c: c["agency"][0].update(format="xlsx"), "format must be one of"),
        (lambda c: c["kind"][0]["fields"].append({"name": "kind", "type": "str"}), "clashes with a common field"),
        (lambda c: c["kind"][0].update(colour="red"), "unknown keys colour"),
        (lambda c: c.update(kind=[]), "defines no signal kinds"),
    ],
)
def test_a_malformed_catalogue_is_refused_with_a_clear_message(raw, mutate, message):
    broken = copy.deepcopy(raw)
    mutate(broken)
    with pytest.raises(CatalogueError, match=re.escape(message)):
        parse_catalogue(broken, origin="test.toml")


def test_every_problem_is_reported_at_once(raw):
    broken = copy.deepcopy(raw)
    broken.pop("source")
    broken["kind"][0]["fields"][0]["type"] = "float"
    broken["kind"][2]["agency"] = "nobody"
    with pytest.raises(CatalogueError) as error:
        parse_catalogue(broken, origin="test.toml")
    text = str(error.value)
    assert text.startswith("test.toml: ")
    assert "'source' is missing" in text
    assert "kind 'electricity_arrears', field 'months_overdue': type must be one of" in text
    assert "kind 'water_arrears': agency 'nobody' is not defined" in text


def test_a_shared_column_must_mean_the_same_thing_in_one_file(raw):
    broken = copy.deepcopy(raw)
    for kind in broken["kind"]:
        if kind["code"] == "electricity_cutoff":
            for field in kind["fields"]:
                if field["name"] == "amount_overdue":
                    field["unit"] = "months"
    with pytest.raises(CatalogueError, match="differs from kind 'electricity_arrears'"):
        parse_catalogue(broken)


def test_files_that_are_not_toml_or_missing(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("version = \n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"bad\.toml: not valid TOML"):
        load_catalogue(bad)
    with pytest.raises(CatalogueError, match="file not found"):
        load_catalogue(tmp_path / "missing.toml")
