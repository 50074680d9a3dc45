"""The calculator against worked examples from public guidance, and exactly at each line: one won under, at, and one
won over, for every benefit, household size and year.

Worked examples, with where they come from:
- 찾기쉬운 생활법령정보 「재산의 소득환산율」 (easylaw.go.kr, 2026), 문답의 세종시 사례: housing property
  166,000,000 and general property 30,000,000 in 세종 — the housing cap 146,000,000 leaves 20,000,000 to general
  property (50,000,000 × 4.17 %), and 146,000,000 − the basic property 77,000,000 = 69,000,000 × 1.04 %. Read as
  quoted by a public guide (gov.jjyu.co.kr/guide/property-conversion), which follows the 문답 step by step.
- healthforyou.tistory.com, 기초수급자 재산·소득환산과정: deposits of 10,000,000 less the living-expense
  deduction of 5,000,000 convert to 5,000,000 × 6.26 % = 313,000 won (the basic property taken by other property first).
- 울산 남구 신정1동, 2026년 기초생활보장제도 개선사항 (보건복지부 안내 게시): youth earned income, 2025 ages 29
  and under 400,000 + 30 %, 2026 ages 19–34 600,000 + 30 %.
- 보건복지부 2026년도 기준 중위소득 발표 (중앙뉴스, 연합뉴스): "4인 가구 생계급여 최대 월 207만 8,316원" — the
  livelihood benefit is the line less the recognised income.
- A 2025 summary of 긴급복지지원 (yong-yong-i.com, 2025-05-13): 4 persons, income at most 4,573,330 (75 %), financial
  assets at most 1,209만 7,000원 (one month of the median, 6,097,773, + 6,000,000).
"""

from __future__ import annotations

import pytest

from dolbom.eligibility.calculator import (
    EMERGENCY,
    HouseholdFacts,
    Member,
    Outcome,
    calculate,
    check_lines,
    check_steps,
)
from dolbom.eligibility.ruleset import Benefit, load_rules

YEARS = [2025, 2026]


def _adults(size: int) -> tuple[Member, ...]:
    return tuple(Member(age=40) for _ in range(size))


def _facts(size: int = 1, **values) -> HouseholdFacts:
    return HouseholdFacts(members=_adults(size), **values)


def _run(year: int, facts: HouseholdFacts):
    calculation = calculate(load_rules(year), facts)
    assert check_steps(calculation.steps) == []
    return calculation


# ---------------------------------------------------------------------------------------------- worked examples
@pytest.mark.parametrize("year", YEARS)
def test_easylaw_sejong_example(year):
    calculation = _run(year, _facts(region="metro", housing_property=166_000_000, general_property=30_000_000))
    values = {step.key: step.won for step in calculation.steps}
    assert values["property.housing_over"] == 20_000_000
    assert values["property.general_total"] == 50_000_000
    assert values["property.housing_after_basic"] == 69_000_000
    assert values["property.general_income"] == 2_085_000  # 50,000,000 × 4.17 %
    assert values["property.housing_income"] == 717_600  # 69,000,000 × 1.04 %
    assert calculation.property_income == 2_802_600
    assert calculation.recognised_income == 2_802_600


@pytest.mark.parametrize("year", YEARS)
def test_financial_assets_less_the_living_expense_deduction(year):
    # The basic property of "other areas" (53,000,000) is taken by the general property first.
    calculation = _run(year, _facts(region="other", general_property=53_000_000, financial_assets=10_000_000))
    values = {step.key: step.won for step in calculation.steps}
    assert values["property.financial_after_living"] == 5_000_000
    assert values["property.financial_income"] == 313_000
    assert calculation.property_income == 313_000


@pytest.mark.parametrize(
    ("year", "age", "counted"),
    [(2026, 34, 280_000), (2026, 35, 1_000_000), (2025, 29, 420_000), (2025, 30, 1_000_000), (2026, 18, 1_000_000)],
)
def test_youth_earned_income_deduction(year, age, counted):
    # 1,000,000 won earned: 2026 600,000 + 30 % of 400,000 = 720,000 off; 2025 400,000 + 30 % of 600,000 = 580,000.
    calculation = _run(year, HouseholdFacts(members=(Member(age=age, earned_income=1_000_000),)))
    assert calculation.income_evaluation == counted


def test_students_disabled_and_elderly_keep_seventy_percent_and_the_largest_deduction_wins():
    members = (
        Member(age=70, earned_income=500_000),
        Member(age=45, earned_income=500_000, disabled=True),
        Member(age=22, earned_income=500_000, student=True),
    )
    calculation = _run(2026, HouseholdFacts(members=members))
    # 350,000 + 350,000 + (500,000 − 600,000 off, all of it): the youth and student deduction wins for the third.
    assert calculation.income_evaluation == 350_000 + 350_000 + 0
    texts = " ".join(step.text for step in calculation.section("income"))
    assert "30%" in texts


@pytest.mark.parametrize(("size", "paid"), [(4, 2_078_316), (1, 820_556)])
def test_livelihood_benefit_is_the_line_less_the_recognised_income(size, paid):
    calculation = _run(2026, _facts(size))
    assert {s.key: s.won for s in calculation.steps}["livelihood.paid"] == paid
    with_income = _run(2026, _facts(size, other_income=500_000))
    assert {s.key: s.won for s in with_income.steps}["livelihood.paid"] == paid - 500_000


def test_emergency_2025_example_for_four_persons():
    calculation = _run(2025, _facts(4, other_income=4_573_330, financial_assets=12_097_773))
    values = {step.key: step.won for step in calculation.steps}
    assert values["emergency.line"] == 4_573_330
    assert values["emergency.financial_limit"] == 12_097_773  # published as 1,209만 7,000원
    assert calculation.benefit(EMERGENCY).outcome == Outcome.LIKELY


# ------------------------------------------------------------------------------------------ exactly at the line
@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("benefit", Benefit.values)
@pytest.mark.parametrize("size", range(1, 9))
def test_at_the_line_one_won_under_and_one_won_over(year, benefit, size):
    line = load_rules(year).line(benefit, size).won
    for income, outcome in ((line - 1, Outcome.LIKELY), (line, Outcome.LIKELY), (line + 1, Outcome.NOT)):
        calculation = _run(year, _facts(size, other_income=income))
        assert calculation.recognised_income == income
        result = calculation.benefit(benefit)
        assert (result.line, result.outcome) == (line, outcome), (year, benefit, size, income)
        assert [r.eligible for r in check_lines(load_rules(year), size, income) if r.benefit == benefit] == [
            outcome == Outcome.LIKELY
        ]


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("size", [1, 4, 7, 8])
def test_emergency_income_at_the_line(year, size):
    line = load_rules(year).emergency_income_line(size).won
    assert _run(year, _facts(size, other_income=line)).benefit(EMERGENCY).outcome == Outcome.LIKELY
    over = _run(year, _facts(size, other_income=line + 1)).benefit(EMERGENCY)
    assert over.outcome == Outcome.COMMITTEE  # over a criterion: the committee may still decide support


@pytest.mark.parametrize("year", YEARS)
def test_emergency_property_and_financial_limits_at_the_won(year):
    rules = load_rules(year)
    limit = rules.emergency_property_limit["big_city"].won
    at = _run(year, _facts(1, emergency_region="big_city", general_property=limit))
    assert at.benefit(EMERGENCY).outcome == Outcome.LIKELY
    over = _run(year, _facts(1, emergency_region="big_city", general_property=limit + 1))
    assert over.benefit(EMERGENCY).outcome == Outcome.COMMITTEE
    # The home up to the housing deduction is left out; debts come off.
    home = rules.emergency_housing_deduction["big_city"].won
    assert (
        _run(year, _facts(1, emergency_region="big_city", housing_property=home + limit)).benefit(EMERGENCY).outcome
        == Outcome.LIKELY
    )
    assert (
        _run(year, _facts(1, emergency_region="big_city", general_property=limit + 5, debts=5))
        .benefit(EMERGENCY)
        .outcome
        == Outcome.LIKELY
    )
    financial = rules.median(1).won + rules.emergency_financial_extra.won
    assert _run(year, _facts(1, financial_assets=financial)).benefit(EMERGENCY).outcome == Outcome.LIKELY
    assert _run(year, _facts(1, financial_assets=financial + 1)).benefit(EMERGENCY).outcome == Outcome.COMMITTEE


# --------------------------------------------------------------------------------------------- the committee
def test_property_that_cannot_be_sold_sends_the_household_to_the_committee():
    line = load_rules(2026).line("livelihood", 1).won
    # Income 100,000 won under the line; 10,000,000 of land beyond the basic property converts to 417,000 won.
    base = {"region": "other", "other_income": line - 100_000, "general_property": 53_000_000 + 10_000_000}
    plain = _run(2026, _facts(1, **base))
    assert plain.benefit("livelihood").outcome == Outcome.NOT
    marked = _run(2026, _facts(1, unsellable_property=10_000_000, **base))
    assert marked.recognised_income == plain.recognised_income
    assert marked.recognised_without_unsellable == line - 100_000
    assert marked.benefit("livelihood").outcome == Outcome.COMMITTEE
    assert any(flag.what.startswith("committee") for flag in marked.flags)
    # Not when the household is over the line even without it.
    richer = _run(2026, _facts(1, unsellable_property=10_000_000, **{**base, "other_income": line + 1}))
    assert richer.benefit("livelihood").outcome == Outcome.NOT


# ------------------------------------------------------------------------------------------------- the flags
def test_a_figure_not_verified_is_flagged_where_it_is_used():
    small = _run(2026, _facts(3, other_income=1_000_000))
    flagged = {flag.what for flag in small.flags}
    assert not any(what.startswith(("median[", "lines.")) for what in flagged)  # 3 persons: all verified
    assert not any(what.startswith("property.") for what in flagged)  # no property: its figures change nothing
    seven = _run(2026, _facts(7, other_income=1_000_000))
    assert "median[7]" in {flag.what for flag in seven.flags}
    assert not seven.benefit("livelihood").verified and small.benefit("livelihood").verified
    owner = _run(2026, _facts(3, general_property=100_000_000, debts=1))
    flagged = {flag.what for flag in owner.flags}
    assert {"property.conversion_percent", "property.basic_deduction", "property.debt_order"} <= flagged
    texts = " ".join(flag.text for flag in owner.flags)
    assert "재산의 소득환산율" in texts  # the source's title


def test_every_step_shows_its_amounts_and_the_lines_are_korean():
    calculation = _run(
        2026,
        HouseholdFacts(
            members=(Member(age=45, earned_income=1_234_567), Member(age=23, earned_income=987_654, student=True)),
            region="seoul",
            emergency_region="big_city",
            other_income=111_111,
            housing_property=180_000_000,
            general_property=20_000_001,
            financial_assets=12_345_678,
            vehicles=3_000_000,
            vehicles_as_general=1_000_000,
            debts=30_000_000,
            unsellable_property=5_000_000,
        ),
    )
    assert check_steps(calculation.steps) == []
    recognised = next(step for step in calculation.steps if step.key == "recognised_income")
    assert "소득인정액" in recognised.text and f"{calculation.recognised_income:,}원" in recognised.text
    assert calculation.recognised_income == calculation.income_evaluation + calculation.property_income


def test_check_steps_finds_a_line_that_does_not_add_up():
    calculation = _run(2026, _facts(2, other_income=500_000, general_property=90_000_000))
    steps = list(calculation.steps)
    index = next(i for i, step in enumerate(steps) if step.key == "recognised_income")
    wrong = steps[index].__class__(**{**steps[index].__dict__, "won": steps[index].won + 1})
    assert check_steps([*steps[:index], wrong, *steps[index + 1 :]])


def test_inputs_are_checked():
    with pytest.raises(ValueError):
        HouseholdFacts(members=())
    with pytest.raises(ValueError):
        _facts(1, other_income=-1)
    with pytest.raises(ValueError):
        _facts(1, general_property=10, unsellable_property=11)
