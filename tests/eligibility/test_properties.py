"""Properties of the calculator over random households, for both years: more income or more property never makes a
household eligible for more; a larger household never has a lower line; the arithmetic shown adds up to the result;
and the loader refuses any file in which a larger household gets a lower median or line."""

from __future__ import annotations

import re
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from dolbom.eligibility.calculator import OUTCOME_RANK, HouseholdFacts, Member, Outcome, calculate, check_steps
from dolbom.eligibility.ruleset import RULES_DIR, Benefit, EmergencyRegion, Region, RulesError, load_rules, parse_rules

YEARS = st.sampled_from([2025, 2026])
WON = st.integers(min_value=0, max_value=2_000_000_000)
INCOME = st.integers(min_value=0, max_value=8_000_000)

members = st.builds(
    Member,
    age=st.integers(min_value=0, max_value=100),
    earned_income=st.one_of(st.just(0), INCOME),
    disabled=st.booleans(),
    student=st.booleans(),
)


@st.composite
def households(draw: st.DrawFn) -> HouseholdFacts:
    general = draw(WON)
    return HouseholdFacts(
        members=tuple(draw(st.lists(members, min_size=1, max_size=9))),
        region=draw(st.sampled_from(Region.values)),
        emergency_region=draw(st.sampled_from(EmergencyRegion.values)),
        other_income=draw(INCOME),
        housing_property=draw(WON),
        general_property=general,
        financial_assets=draw(st.integers(min_value=0, max_value=200_000_000)),
        vehicles=draw(st.one_of(st.just(0), st.integers(min_value=0, max_value=30_000_000))),
        vehicles_as_general=draw(st.one_of(st.just(0), st.integers(min_value=0, max_value=10_000_000))),
        debts=draw(st.one_of(st.just(0), WON)),
        unsellable_property=draw(st.integers(min_value=0, max_value=general)),
    )


MORE = st.sampled_from(
    [
        "other_income",
        "earned_income",
        "housing_property",
        "general_property",
        "financial_assets",
        "vehicles",
        "vehicles_as_general",
    ]
)


def _more(facts: HouseholdFacts, what: str, amount: int, who: int) -> HouseholdFacts:
    if what == "earned_income":
        index = who % facts.size
        members = list(facts.members)
        members[index] = replace(members[index], earned_income=members[index].earned_income + amount)
        return replace(facts, members=tuple(members))
    return replace(facts, **{what: getattr(facts, what) + amount})


@settings(max_examples=200, deadline=None)
@given(
    year=YEARS,
    facts=households(),
    what=MORE,
    amount=st.integers(min_value=1, max_value=300_000_000),
    who=st.integers(min_value=0, max_value=8),
)
def test_more_income_or_property_never_makes_a_household_eligible_for_more(year, facts, what, amount, who):
    rules = load_rules(year)
    before = calculate(rules, facts)
    after = calculate(rules, _more(facts, what, amount, who))
    assert after.recognised_income >= before.recognised_income
    assert after.income_evaluation >= before.income_evaluation
    for old, new in zip(before.benefits, after.benefits, strict=True):
        assert OUTCOME_RANK[Outcome(new.outcome)] <= OUTCOME_RANK[Outcome(old.outcome)], (what, old.benefit)


@settings(max_examples=150, deadline=None)
@given(year=YEARS, facts=households())
def test_the_arithmetic_shown_adds_up_to_the_result(year, facts):
    calculation = calculate(load_rules(year), facts)
    assert check_steps(calculation.steps) == []
    values = {step.key: step.won for step in calculation.steps}
    assert values["income_evaluation"] == calculation.income_evaluation
    assert values["property.property_income"] == calculation.property_income
    assert calculation.recognised_income == calculation.income_evaluation + calculation.property_income
    for result in calculation.benefits:
        assert values[f"{result.benefit}.line"] == result.line
    assert all(value >= 0 for value in values.values())


@settings(max_examples=100, deadline=None)
@given(year=YEARS, size=st.integers(min_value=1, max_value=30))
def test_a_larger_household_never_has_a_lower_line(year, size):
    rules = load_rules(year)
    assert rules.median(size + 1).won > rules.median(size).won
    for benefit in Benefit.values:
        assert rules.line(benefit, size + 1).won > rules.line(benefit, size).won
    assert rules.emergency_income_line(size + 1).won > rules.emergency_income_line(size).won


def _swapped(text: str, key: str, first: int, second: int) -> str:
    """The file with two sizes of one table exchanged: `key` is "won" (the median) or a line's benefit."""
    if key == "won":
        pattern = r"^won = \[([\d, ]+)\]"
    else:
        pattern = rf"^\[lines\.{key}\]\npercent = \"\d+\"\npublished = \[([\d, ]+)\]"
    match = re.search(pattern, text, flags=re.MULTILINE)
    assert match
    values = match.group(1).split(", ")
    values[first], values[second] = values[second], values[first]
    return text[: match.start(1)] + ", ".join(values) + text[match.end(1) :]


@settings(max_examples=60, deadline=None)
@given(
    year=YEARS,
    key=st.sampled_from(["won", *Benefit.values]),
    pair=st.lists(st.integers(min_value=0, max_value=6), min_size=2, max_size=2, unique=True),
)
def test_the_loader_refuses_a_file_that_is_not_monotone(year, key, pair):
    text = (RULES_DIR / f"{year}.toml").read_text(encoding="utf-8")
    broken = _swapped(text, key, *sorted(pair))
    try:
        parse_rules(broken, f"{year}.toml")
    except RulesError as refused:
        assert refused.file == f"{year}.toml"
        assert refused.key.startswith("median.won[" if key == "won" else f"lines.{key}.published[")
    else:
        raise AssertionError("a table in which a larger household has less was accepted")
