"""The scorecard file: valid and versioned as shipped, monotone by construction, strict about its own form."""

from __future__ import annotations

import copy
import tomllib
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dolbom.discovery.catalogue import load_catalogue
from dolbom.discovery.screening.scorecard import (
    DEFAULT_PATH,
    Increment,
    ScorecardError,
    format_won,
    level_of,
    load_scorecard,
    parse_scorecard,
    render,
)


@pytest.fixture
def raw() -> dict:
    return tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def parse(data: dict):
    return parse_scorecard(data, catalogue=load_catalogue(), origin="test.toml")


def rule(raw: dict, code: str) -> dict:
    return next(k for k in raw["kind"] if k["code"] == code)


def test_the_packaged_scorecard_is_valid_versioned_and_covers_the_catalogue():
    scorecard = load_scorecard()
    assert scorecard.version and scorecard.source and isinstance(scorecard.updated, date)
    assert scorecard.cooldown_days == 180 and scorecard.min_score >= 0
    assert {k.code for k in scorecard.kinds} == {k.code for k in load_catalogue().kinds}
    assert {m.code for m in scorecard.modifiers} == {
        "elderly_alone", "disability", "severe_disability", "children", "single_parent", "large_household",
    }  # fmt: skip
    assert load_scorecard() is scorecard  # read once per process


def test_reason_texts_read_as_officers_write_them():
    scorecard = load_scorecard()
    health = scorecard.kind("health_insurance_arrears")
    assert render(health.reason, {"months_overdue": 7}, 18) == "건강보험료 7개월 체납 (+18점)"
    elderly = scorecard.modifier("elderly_alone")
    assert render(elderly.reason, {"age": 65}, 10) == "65세 이상 1인 가구 (+10점)"
    delinquency = scorecard.kind("financial_delinquency")
    assert render(delinquency.reason, {"amount_overdue": 12_345_678}, 15) == "금융 연체 1234만원 (+15점)"


@pytest.mark.parametrize(
    ("won", "text"),
    [(0, "0원"), (9_999, "9999원"), (10_000, "1만원"), (385_000, "38만원"), (100_000_000, "1억원"),
     (123_456_789, "1억 2345만원"), (1_500_000_000, "15억원")],
)  # fmt: skip
def test_amounts_in_man_and_eok_units(won, text):
    assert format_won(won) == text


def test_increments_interpolate_floor_and_cap():
    inc = Increment("months_overdue", ((3, 0), (24, 14)))
    assert [inc.points(v) for v in (None, 1, 3, 4, 6, 17, 22, 24, 99)] == [0, 0, 0, 0, 2, 9, 12, 14, 14]
    steps = Increment("x", ((0, 0), (10, 5), (20, 5), (30, 9)))
    assert [steps.points(v) for v in (5, 10, 15, 20, 25, 30, 31)] == [2, 5, 5, 5, 7, 9, 9]


def test_seventeen_months_never_outscore_twenty_two():
    """docs/facts.md: a person 17 months in arrears was selected while one 22 months in arrears was not."""
    scorecard, catalogue = load_scorecard(), load_catalogue()
    for rule_ in scorecard.kinds:
        kind = catalogue.kind(rule_.code)
        if "months_overdue" not in {f.name for f in kind.fields}:
            continue
        values = {"amount_overdue": 1_000_000}

        def points(months: int, rule_=rule_, kind=kind, values=values) -> int:
            level = level_of(kind.severity, months if kind.severity.field == "months_overdue" else 1_000_000)
            return rule_.points(level, {**values, "months_overdue": months})

        assert points(22) >= points(17), rule_.code
    health = scorecard.kind("health_insurance_arrears")
    assert health.points(3, {"months_overdue": 22}) > health.points(3, {"months_overdue": 17})


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_more_months_or_money_never_lowers_a_signals_points(data):
    """Every kind's points are non-decreasing in each of its integer fields, severity level included."""
    scorecard, catalogue = load_scorecard(), load_catalogue()
    rule_ = data.draw(st.sampled_from(scorecard.kinds))
    kind = catalogue.kind(rule_.code)
    ints = [f for f in kind.fields if f.type == "int"]
    if not ints:
        return
    values = {f.name: data.draw(st.integers(f.min or 0, (f.max or 400_000_000))) for f in ints}
    grown = dict(values)
    target = data.draw(st.sampled_from(ints))
    grown[target.name] = data.draw(st.integers(values[target.name], target.max or 500_000_000))

    def points(v: dict) -> int:
        return rule_.points(level_of(kind.severity, v.get(kind.severity.field or "")), v)

    assert points(grown) >= points(values)


# ------------------------------------------------------------------------------------------------- malformed


def test_a_non_monotone_increment_is_refused_with_where_and_why(raw):
    rule(raw, "health_insurance_arrears")["increments"][0]["knots"] = [[3, 0], [12, 10], [24, 6]]
    with pytest.raises(ScorecardError) as caught:
        parse(raw)
    message = str(caught.value)
    assert "kind 'health_insurance_arrears', increment on 'months_overdue'" in message
    assert "not monotone" in message and "10 points at 12 but 6 at 24" in message


def test_points_falling_with_severity_are_refused(raw):
    rule(raw, "telecom_arrears")["points"] = [10, 8, 14]
    with pytest.raises(ScorecardError, match=r"kind 'telecom_arrears': points \[10, 8, 14\] decrease"):
        parse(raw)


def test_every_problem_is_reported_at_once(raw):
    broken = copy.deepcopy(raw)
    broken["cooldown_days"] = -1
    rule(broken, "water_arrears")["points"] = [-1, 2, 3]
    rule(broken, "gas_arrears")["increments"][0]["knots"] = [[5, 0], [5, 3]]
    rule(broken, "job_loss")["reason"] = "실직 {lost_on}"
    rule(broken, "electricity_arrears")["increments"].append({"field": "months_overdue", "knots": [[1, 0], [2, 1]]})
    broken["kind"].append({"code": "lottery_win", "points": 1, "reason": "복권 당첨"})
    broken["modifier"].append({"code": "pets", "points": 1, "reason": "반려동물"})
    with pytest.raises(ScorecardError) as caught:
        parse(broken)
    message = str(caught.value)
    for expected in (
        "'cooldown_days' must be a whole number",
        "kind 'water_arrears': points must not be negative",
        "knot values must increase strictly (5 then 5)",
        "reason placeholder {lost_on} is not available",
        "increment on field 'months_overdue' is defined twice",
        "kind 'lottery_win': not a kind of the signal catalogue",
        "modifier 'pets': unknown modifier",
    ):
        assert expected in message
    assert message.startswith("test.toml: 7 problem(s)")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: rule(r, "job_loss").update(increments=[{"field": "reason", "knots": [[0, 0], [1, 1]]}]),
         "increments apply to int fields only"),
        (lambda r: rule(r, "job_loss").update(reason="실직 {months_insured}"), "{months_insured} is not available"),
        (lambda r: rule(r, "telecom_arrears").update(reason="통신비 {months_overdue|won}"), "'|won' applies"),
        (lambda r: rule(r, "telecom_arrears").update(reason="통신비 {months_overdue"), "brace"),
        (lambda r: rule(r, "telecom_arrears").update(reason="it's"), "apostrophe"),
        (lambda r: r["modifier"][0].pop("age"), "modifier 'elderly_alone': 'age' must be a positive whole number"),
        (lambda r: r.update(updated="yesterday"), "'updated' must be a date"),
        (lambda r: r.update(colour="blue"), "unknown top-level keys: colour"),
    ],
)  # fmt: skip
def test_malformed_entries_are_refused(raw, change, expected):
    change(raw)
    with pytest.raises(ScorecardError) as caught:
        parse(raw)
    assert expected in str(caught.value)


def test_unreadable_files_say_so(tmp_path):
    with pytest.raises(ScorecardError, match="file not found"):
        load_scorecard(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("version = ", encoding="utf-8")
    with pytest.raises(ScorecardError, match=r"bad\.toml: not valid TOML"):
        load_scorecard(bad)
