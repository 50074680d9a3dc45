"""The recognised-income calculator (소득인정액): from what a household earns and owns to which benefits it likely
gets, with every step of the arithmetic as a line an officer can read to the family and check by hand.

Pure: no database, no clock, no floats. Money is integer won; a percentage is a Decimal and a product is rounded
half up to the won where it falls between two (the published tables' rounding; for deductions and conversions the
rules file says how sure that is). Each step records how it was made from earlier steps (a sum, a rate, the lesser
of two, a deduction), so that `check_steps` can redo every line and the tests can prove that what is shown adds up
to the result.

    소득평가액 = Σ (근로·사업소득 − 공제) + 그 밖의 소득
    재산의 소득환산액 = 주거용 × 1.04% + 일반 × 4.17% + 금융 × 6.26% + 자동차 × 100%
                        (기본재산액·부채·생활준비금을 뺀 뒤)
    소득인정액 = 소득평가액 + 재산의 소득환산액

Every figure the calculation uses that the rules file does not mark `verified` comes back in `flags`, so that the
page, the command and the stored record all say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from dolbom.eligibility.ruleset import (
    Basis,
    Benefit,
    Certainty,
    CommitteeCase,
    DeductionGroup,
    EmergencyRegion,
    LineFigure,
    PropertyKind,
    Region,
    RuleSet,
    percent_of,
    round_won,
)

EMERGENCY = "emergency"


class Outcome(models.TextChoices):
    LIKELY = "likely", pgettext_lazy("eligibility outcome", "Likely eligible")
    COMMITTEE = "committee", pgettext_lazy("eligibility outcome", "Needs the committee")
    NOT = "not", pgettext_lazy("eligibility outcome", "Not eligible")


# How good an outcome is for the household: more income or property never moves a benefit up this order.
OUTCOME_RANK = {Outcome.NOT: 0, Outcome.COMMITTEE: 1, Outcome.LIKELY: 2}


class Op(models.TextChoices):
    """How a step's won is made. The values are stored with a calculation: never rename one."""

    INPUT = "input", "input"  # what the officer entered
    FIGURE = "figure", "figure"  # a figure of the rules file
    SUM = "sum", "sum"  # Σ coefficient × step
    RATE = "rate", "rate"  # step × percent, half up
    LESSER = "lesser", "lesser"  # the lesser of two steps
    DEDUCTION = "deduction", "deduction"  # min(step, fixed) + (step − that) × percent, half up


# ------------------------------------------------------------------------------------------------------ inputs
@dataclass(frozen=True)
class Member:
    """One member of the household as the calculation needs them: age, situation, monthly earned income."""

    age: int
    earned_income: int = 0  # 근로·사업소득, won a month
    disabled: bool = False
    student: bool = False


@dataclass(frozen=True)
class HouseholdFacts:
    """What the household earns and owns, monthly income and property values in won."""

    members: tuple[Member, ...]
    region: str = Region.OTHER  # of the basic property deduction
    emergency_region: str = EmergencyRegion.SMALL_CITY  # of the emergency-support property limit
    other_income: int = 0  # 그 밖의 소득 (재산소득, 이전소득 …), counted in full, won a month
    housing_property: int = 0  # 주거용재산: the home, a deposit on it
    general_property: int = 0  # 일반재산: land, buildings, other deposits
    financial_assets: int = 0  # 금융재산
    vehicles: int = 0  # 자동차 converted at the vehicle rate (100 %)
    vehicles_as_general: int = 0  # 자동차 the guidance treats as general property (생업용, 장애인 …)
    debts: int = 0  # 부채
    unsellable_property: int = 0  # of the general property, what the officer finds cannot be sold (처분 곤란)

    def __post_init__(self) -> None:
        if not self.members:
            raise ValueError("a household has at least one member")
        amounts = [
            self.other_income,
            self.housing_property,
            self.general_property,
            self.financial_assets,
            self.vehicles,
            self.vehicles_as_general,
            self.debts,
            self.unsellable_property,
        ]
        amounts += [m.earned_income for m in self.members]
        if any(a < 0 for a in amounts) or any(m.age < 0 for m in self.members):
            raise ValueError("amounts and ages are never negative")
        if self.unsellable_property > self.general_property:
            raise ValueError("the unsellable property is part of the general property")
        if self.region not in Region.values or self.emergency_region not in EmergencyRegion.values:
            raise ValueError("unknown region")

    @property
    def size(self) -> int:
        return len(self.members)


# ------------------------------------------------------------------------------------------------------- steps
@dataclass(frozen=True)
class Step:
    """One line of the arithmetic: its won, the Korean line shown, and how it is made from earlier steps."""

    key: str
    won: int
    text: str
    op: str = Op.INPUT
    terms: tuple[tuple[int, str], ...] = ()  # SUM: (coefficient, key)
    of: str = ""  # RATE, LESSER, DEDUCTION: the step it starts from
    other: str = ""  # LESSER: the step it is compared with
    percent: str = ""  # RATE, DEDUCTION (a Decimal as text, so the step stores as JSON)
    fixed: int = 0  # DEDUCTION: the fixed part before the percentage
    section: str = ""  # income, property, property_without, emergency, <benefit>

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "won": self.won,
            "text": self.text,
            "op": self.op,
            "terms": [list(t) for t in self.terms],
            "of": self.of,
            "other": self.other,
            "percent": self.percent,
            "fixed": self.fixed,
            "section": self.section,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Step:
        terms = tuple((int(c), str(k)) for c, k in data.get("terms", []))  # type: ignore[union-attr]
        return cls(**{**data, "terms": terms})  # type: ignore[arg-type]


def expected_won(step: Step, done: dict[str, int]) -> int | None:
    """What a step's won must be from the steps it names; None for an input or a figure, which stand alone."""
    if step.op == Op.SUM:
        return sum(coefficient * done[key] for coefficient, key in step.terms)
    if step.op == Op.RATE:
        return round_won(percent_of(done[step.of], Decimal(step.percent)))
    if step.op == Op.LESSER:
        return min(done[step.of], done[step.other])
    if step.op == Op.DEDUCTION:
        base = done[step.of]
        fixed = min(base, step.fixed)
        return fixed + round_won(percent_of(base - fixed, Decimal(step.percent)))
    return None


def check_steps(steps: list[Step] | tuple[Step, ...]) -> list[str]:
    """Every step redone from the steps before it: the problems found (none when the arithmetic holds). Also
    checks that each line shows the amounts it is made of and its result."""
    problems: list[str] = []
    done: dict[str, int] = {}
    for step in steps:
        names = [key for _c, key in step.terms] + [k for k in (step.of, step.other) if k]
        missing = [key for key in names if key not in done]
        if missing:
            problems.append(f"{step.key}: uses {missing} before they are computed")
            continue
        expected = expected_won(step, done)
        if expected is not None and expected != step.won:
            problems.append(f"{step.key}: shows {step.won} but its terms make {expected}")
        for key in [step.key, *names]:
            amount = step.won if key == step.key else done[key]
            if _won(amount) not in step.text:
                problems.append(f"{step.key}: the line does not show {key} ({amount})")
        if step.key in done:
            problems.append(f"{step.key}: computed twice")
        done[step.key] = step.won
    return problems


def _won(amount: int) -> str:
    return _("%(amount)s won") % {"amount": f"{amount:,}"}


def _percent(value: Decimal | str) -> str:
    return f"{Decimal(value).normalize():f}%"


@dataclass(frozen=True)
class Flag:
    """A figure used that the rules file does not mark verified."""

    what: str
    certainty: str
    source: str
    text: str


@dataclass
class _Book:
    """The steps of one calculation as they are written, and the bases of the figures they use."""

    rules: RuleSet
    steps: list[Step] = field(default_factory=list)
    values: dict[str, int] = field(default_factory=dict)
    bases: dict[str, Basis] = field(default_factory=dict)
    # While true, the figures used are not flagged: they are multiplied by nothing the household has (no property
    # at all), so however unsure they are, they change no result.
    muted: bool = False

    def add(self, step: Step) -> str:
        self.steps.append(step)
        self.values[step.key] = step.won
        return step.key

    def use(self, basis: Basis) -> None:
        if basis.certainty != Certainty.VERIFIED and not self.muted:
            self.bases.setdefault(basis.what, basis)

    def input(self, key: str, label: str, won: int, section: str) -> str:
        return self.add(Step(key, won, f"{label}: {_won(won)}", Op.INPUT, section=section))

    def figure(self, key: str, label: str, won: int, basis: Basis, section: str) -> str:
        self.use(basis)
        mark = "" if basis.certainty == Certainty.VERIFIED else f" ({Certainty(basis.certainty).label})"
        return self.add(Step(key, won, f"{label}: {_won(won)}{mark}", Op.FIGURE, section=section))

    def sum(self, key: str, label: str, terms: list[tuple[int, str]], section: str) -> str:
        won = sum(c * self.values[k] for c, k in terms)
        parts = []
        for index, (coefficient, term) in enumerate(terms):
            amount = _won(self.values[term])
            shown = amount if abs(coefficient) == 1 else f"{abs(coefficient)} × {amount}"
            if index == 0:
                parts.append(shown if coefficient > 0 else f"− {shown}")
            else:
                parts.append(f"{'+' if coefficient > 0 else '−'} {shown}")
        text = f"{label}: {' '.join(parts)} = {_won(won)}"
        return self.add(Step(key, won, text, Op.SUM, terms=tuple(terms), section=section))

    def rate(
        self,
        key: str,
        label: str,
        of: str,
        percent: Decimal,
        section: str,
        basis: Basis | None = None,
        *,
        published_rounding: bool = False,
    ) -> str:
        """`of` × percent, half up. A line (median × rate) rounds as the published tables do, which is verified; any
        other product that falls between two won flags the rounding, which is not."""
        exact = percent_of(self.values[of], percent)
        won = round_won(exact)
        if basis is not None:
            self.use(basis)
        if exact != won and not published_rounding:
            self.use(self.rules.conversion_rounding)
        text = f"{label}: {_won(self.values[of])} × {_percent(percent)} = {_won(won)}"
        return self.add(Step(key, won, text, Op.RATE, of=of, percent=str(percent), section=section))

    def lesser(self, key: str, label: str, of: str, other: str, section: str) -> str:
        won = min(self.values[of], self.values[other])
        text = _("%(label)s: the lesser of %(a)s and %(b)s = %(won)s") % {
            "label": label,
            "a": _won(self.values[of]),
            "b": _won(self.values[other]),
            "won": _won(won),
        }
        return self.add(Step(key, won, text, Op.LESSER, of=of, other=other, section=section))


# ------------------------------------------------------------------------------------------------------ results
@dataclass(frozen=True)
class BenefitResult:
    benefit: str
    outcome: str
    line: int
    compared: int  # the recognised income (or the emergency measure) set against the line
    text: str
    verified: bool  # every figure behind the line is verified

    @property
    def label(self) -> str:
        return str(Benefit(self.benefit).label) if self.benefit in Benefit.values else str(_("Emergency support"))

    @property
    def outcome_label(self) -> str:
        return str(Outcome(self.outcome).label)

    @property
    def eligible(self) -> bool:
        return self.outcome == Outcome.LIKELY


@dataclass(frozen=True)
class Calculation:
    year: int
    rule_version: str
    size: int
    income_evaluation: int  # 소득평가액
    property_income: int  # 재산의 소득환산액
    recognised_income: int  # 소득인정액
    steps: tuple[Step, ...]
    benefits: tuple[BenefitResult, ...]  # the five of Benefit, then emergency support
    flags: tuple[Flag, ...]
    recognised_without_unsellable: int | None = None

    def benefit(self, name: str) -> BenefitResult:
        return next(result for result in self.benefits if result.benefit == name)

    def section(self, name: str) -> list[Step]:
        return [step for step in self.steps if step.section == name]


# ------------------------------------------------------------------------------------------------- the labels
_GROUP_LABELS = {
    DeductionGroup.YOUTH: gettext_lazy("youth"),
    DeductionGroup.STUDENT: gettext_lazy("student"),
    DeductionGroup.DISABLED: gettext_lazy("disabled person"),
    DeductionGroup.ELDERLY: gettext_lazy("aged 65 or more"),
    DeductionGroup.GENERAL: gettext_lazy("general"),
}


def figure_label(what: str) -> str:
    """A figure of the rules file (as `Basis.what` names it) in words."""
    size = re.search(r"\[(\d+)\]$", what)
    persons = size.group(1) if size else ""
    if what.startswith("median["):
        return _("standard median income, %(n)s persons") % {"n": persons}
    if what == "median.larger":
        return _("rule for households larger than the table")
    if what.startswith("lines."):
        benefit = what.split(".")[1].split("[")[0]
        return _("%(benefit)s line, %(n)s persons") % {"benefit": Benefit(benefit).label, "n": persons}
    if what.startswith("earned_deduction."):
        group = DeductionGroup(what.split(".")[1])
        return _("earned-income deduction (%(group)s)") % {"group": _GROUP_LABELS[group]}
    labels = {
        "property.conversion_percent": _("monthly conversion rates of property"),
        "property.basic_deduction": _("basic property deduction by region"),
        "property.housing_cap": _("cap of housing property by region"),
        "property.financial_living_expense": _("living-expense deduction from financial assets"),
        "property.basic_deduction_order": _("order in which the basic property deduction is taken"),
        "property.debt_order": _("order in which debts are taken off property"),
        "property.rounding": _("rounding of deductions and conversions to the won"),
        "emergency.income_basis": _("income measure of the emergency-support income criterion"),
        "emergency.property_limit": _("emergency-support property limit by region"),
        "emergency.housing_deduction": _("emergency-support housing property deduction by region"),
        "emergency.financial.living": _("emergency-support living expense (one month of the median)"),
        "emergency.financial": _("emergency-support financial asset limit"),
    }
    if what in labels:
        return labels[what]
    if what.startswith("emergency.income"):
        return _("emergency-support income criterion, %(n)s persons") % {"n": persons}
    if what.startswith("committee"):
        return _("what the rules leave to the committee")
    return what


def _flags(book: _Book) -> tuple[Flag, ...]:
    flags = []
    for basis in book.bases.values():
        source = book.rules.sources[basis.source]
        text = _("Check: %(what)s — %(certainty)s; source: %(source)s") % {
            "what": figure_label(basis.what),
            "certainty": Certainty(basis.certainty).label,
            "source": source.title,
        }
        flags.append(Flag(basis.what, str(basis.certainty), basis.source, text))
    return tuple(flags)


# ------------------------------------------------------------------------------------------------- the income
def _deduction_for(rules: RuleSet, member: Member) -> tuple[DeductionGroup, int]:
    """The group whose deduction is largest for this member (a member may be in several), and that deduction."""
    groups = [DeductionGroup.GENERAL]
    youth = rules.deductions[DeductionGroup.YOUTH]
    elderly = rules.deductions[DeductionGroup.ELDERLY]
    if youth.applies_to(member.age):
        groups.append(DeductionGroup.YOUTH)
    if elderly.applies_to(member.age):
        groups.append(DeductionGroup.ELDERLY)
    if member.disabled:
        groups.append(DeductionGroup.DISABLED)
    if member.student:
        groups.append(DeductionGroup.STUDENT)
    best = max(groups, key=lambda g: (rules.deductions[g].of(member.earned_income), -list(DeductionGroup).index(g)))
    return best, rules.deductions[best].of(member.earned_income)


def _income(book: _Book, facts: HouseholdFacts) -> str:
    rules, section = book.rules, "income"
    counted = []
    for number, member in enumerate(facts.members, start=1):
        if member.earned_income == 0:
            continue
        group, _deduction = _deduction_for(rules, member)
        rule = rules.deductions[group]
        earned = book.input(
            f"m{number}.earned",
            _("Earned and business income of member %(n)s (aged %(age)s)") % {"n": number, "age": member.age},
            member.earned_income,
            section,
        )
        book.use(rule.basis)
        won = rule.of(member.earned_income)
        fixed = min(member.earned_income, rule.fixed_won)
        if fixed and member.earned_income > rule.fixed_won:
            formula = f"{_won(fixed)} + ({_won(member.earned_income)} − {_won(fixed)}) × {_percent(rule.percent)}"
        elif fixed:
            formula = _("all of %(earned)s (under %(fixed)s)") % {
                "earned": _won(member.earned_income),
                "fixed": _won(rule.fixed_won),
            }
        else:
            formula = f"{_won(member.earned_income)} × {_percent(rule.percent)}"
        exact = percent_of(member.earned_income - fixed, rule.percent)
        if exact != round_won(exact):
            book.use(rules.conversion_rounding)
        label = _("Deduction for member %(n)s (%(group)s)") % {"n": number, "group": _GROUP_LABELS[group]}
        deduction = book.add(
            Step(
                f"m{number}.deduction",
                won,
                f"{label}: {formula} = {_won(won)}",
                Op.DEDUCTION,
                of=earned,
                percent=str(rule.percent),
                fixed=rule.fixed_won,
                section=section,
            )
        )
        counted.append(
            book.sum(
                f"m{number}.counted",
                _("Earned income counted for member %(n)s") % {"n": number},
                [(1, earned), (-1, deduction)],
                section,
            )
        )
    other = book.input(
        "other_income", _("Other income (property, transfers and the like, in full)"), facts.other_income, section
    )
    return book.sum("income_evaluation", _("Income evaluation"), [(1, key) for key in counted] + [(1, other)], section)


# ----------------------------------------------------------------------------------------------- the property
_KIND_LABELS = {
    PropertyKind.HOUSING: gettext_lazy("housing property"),
    PropertyKind.GENERAL: gettext_lazy("general property"),
    PropertyKind.FINANCIAL: gettext_lazy("financial assets"),
}


def _property(book: _Book, facts: HouseholdFacts, section: str, general_property: int) -> str:
    """The income-converted property (재산의 소득환산액), its steps under `section`; the key of its total."""
    p = f"{section}."
    owned = (
        facts.housing_property,
        general_property,
        facts.vehicles_as_general,
        facts.financial_assets,
        facts.vehicles,
        facts.debts,
    )
    book.muted = not any(owned)
    try:
        return _property_steps(book, facts, section, general_property, p)
    finally:
        book.muted = False


def _property_steps(book: _Book, facts: HouseholdFacts, section: str, general_property: int, p: str) -> str:
    rules = book.rules
    region = facts.region
    region_label = Region(region).label
    housing = book.input(p + "housing", _("Housing property"), facts.housing_property, section)
    general = book.input(p + "general", _("General property"), general_property, section)
    vehicles_general = book.input(
        p + "vehicles_general", _("Vehicles counted as general property"), facts.vehicles_as_general, section
    )
    financial = book.input(p + "financial", _("Financial assets"), facts.financial_assets, section)
    vehicles = book.input(p + "vehicles", _("Vehicles"), facts.vehicles, section)
    debts = book.input(p + "debts", _("Debts"), facts.debts, section)

    cap = rules.housing_cap[region]
    cap_key = book.figure(
        p + "housing_cap",
        _("Cap of housing property (%(region)s)") % {"region": region_label},
        cap.won,
        cap.basis,
        section,
    )
    within = book.lesser(p + "housing_within", _("Housing property within the cap"), housing, cap_key, section)
    over = book.sum(
        p + "housing_over",
        _("Housing property over the cap, counted as general property"),
        [(1, housing), (-1, within)],
        section,
    )
    general_total = book.sum(
        p + "general_total", _("General property in all"), [(1, general), (1, vehicles_general), (1, over)], section
    )
    living = rules.financial_living_expense
    living_key = book.figure(
        p + "living", _("Living-expense deduction from financial assets"), living.won, living.basis, section
    )
    living_applied = book.lesser(
        p + "living_applied", _("Living-expense deduction applied"), financial, living_key, section
    )
    financial_net = book.sum(
        p + "financial_after_living",
        _("Financial assets after the living-expense deduction"),
        [(1, financial), (-1, living_applied)],
        section,
    )
    pools = {PropertyKind.HOUSING: within, PropertyKind.GENERAL: general_total, PropertyKind.FINANCIAL: financial_net}

    basic = rules.basic_deduction[region]
    remaining = book.figure(
        p + "basic",
        _("Basic property deduction (%(region)s)") % {"region": region_label},
        basic.won,
        basic.basis,
        section,
    )
    order, order_basis = rules.basic_deduction_order
    if any(book.values[key] for key in pools.values()):
        book.use(order_basis)
    for kind in order:
        label = _KIND_LABELS[PropertyKind(kind)]
        applied = book.lesser(
            p + f"basic_{kind}",
            _("Basic property deduction taken from %(kind)s") % {"kind": label},
            pools[kind],
            remaining,
            section,
        )
        pools[kind] = book.sum(
            p + f"{kind}_after_basic",
            _("%(kind)s after the basic deduction") % {"kind": label},
            [(1, pools[kind]), (-1, applied)],
            section,
        )
        remaining = book.sum(
            p + f"basic_left_{kind}", _("Basic property deduction left"), [(1, remaining), (-1, applied)], section
        )

    order, order_basis = rules.debt_order
    if facts.debts:
        book.use(order_basis)
    remaining = debts
    for kind in order:
        label = _KIND_LABELS[PropertyKind(kind)]
        applied = book.lesser(
            p + f"debt_{kind}", _("Debts taken from %(kind)s") % {"kind": label}, pools[kind], remaining, section
        )
        pools[kind] = book.sum(
            p + f"{kind}_net", _("%(kind)s counted") % {"kind": label}, [(1, pools[kind]), (-1, applied)], section
        )
        remaining = book.sum(p + f"debt_left_{kind}", _("Debts left"), [(1, remaining), (-1, applied)], section)

    rate = rules.conversion
    converted = [
        book.rate(
            p + f"{kind}_income",
            _("%(kind)s converted a month") % {"kind": _KIND_LABELS[PropertyKind(kind)]},
            pools[kind],
            rate[kind].percent,
            section,
            rate[kind].basis,
        )
        for kind in (PropertyKind.HOUSING, PropertyKind.GENERAL, PropertyKind.FINANCIAL)
    ]
    converted.append(
        book.rate(
            p + "vehicle_income",
            _("Vehicles converted a month"),
            vehicles,
            rate["vehicle"].percent,
            section,
            rate["vehicle"].basis,
        )
    )
    return book.sum(
        p + "property_income",
        _("Income-converted property"),
        [(1, key) for key in converted],
        section,
    )


# ------------------------------------------------------------------------------------------------ the benefits
def _line_steps(book: _Book, line: LineFigure, section: str) -> str:
    """The median and the line as steps: a figure each (beyond the table, the median's extension shown)."""
    rules = book.rules
    size = line.size
    if size <= rules.table_sizes:
        median = book.figure(
            f"{section}.median",
            _("Standard median income, %(n)s persons") % {"n": size},
            line.median.won,
            line.median.basis,
            section,
        )
    else:
        last, before = rules.medians[-1], rules.medians[-2]
        top = book.figure(
            f"{section}.median_top",
            _("Standard median income, %(n)s persons") % {"n": len(rules.medians)},
            last.won,
            last.basis,
            section,
        )
        below = book.figure(
            f"{section}.median_below",
            _("Standard median income, %(n)s persons") % {"n": len(rules.medians) - 1},
            before.won,
            before.basis,
            section,
        )
        step = book.sum(f"{section}.median_step", _("Each further person adds"), [(1, top), (-1, below)], section)
        book.use(rules.larger)
        extra = size - len(rules.medians)
        median = book.sum(
            f"{section}.median",
            _("Standard median income, %(n)s persons") % {"n": size},
            [(1, top), (extra, step)],
            section,
        )
    book.use(line.basis)
    return book.rate(f"{section}.line", _("Selection line"), median, line.percent, section, published_rounding=True)


def _decide(recognised: int, line: int, without: int | None, committee: bool) -> str:
    if recognised <= line:
        return Outcome.LIKELY
    if committee and without is not None and without <= line:
        return Outcome.COMMITTEE
    return Outcome.NOT


def _benefits(book: _Book, facts: HouseholdFacts, recognised: str, without: str | None) -> list[BenefitResult]:
    rules = book.rules
    results = []
    for benefit in Benefit.values:
        line = rules.line(benefit, facts.size)
        line_key = _line_steps(book, line, benefit)
        committee = rules.committee_for(CommitteeCase.UNSELLABLE_PROPERTY, benefit)
        compared = book.values[recognised]
        without_won = book.values[without] if without else None
        outcome = _decide(compared, book.values[line_key], without_won, committee is not None)
        if outcome == Outcome.COMMITTEE and committee is not None:
            book.use(committee.basis)
        values = {
            "income": _won(compared),
            "line": _won(book.values[line_key]),
            "outcome": Outcome(outcome).label,
        }
        if outcome == Outcome.LIKELY:
            text = _("Recognised income %(income)s is at or under the line %(line)s: %(outcome)s") % values
        elif outcome == Outcome.COMMITTEE:
            text = _(
                "Recognised income %(income)s is over the line %(line)s, but not without the property that "
                "cannot be sold (%(without)s): %(outcome)s"
            ) % {**values, "without": _won(without_won or 0)}
        else:
            text = _("Recognised income %(income)s is over the line %(line)s: %(outcome)s") % values
        if benefit == Benefit.LIVELIHOOD and outcome == Outcome.LIKELY:
            # What the livelihood benefit pays: the line less the recognised income (docs/facts.md).
            paid = book.sum(
                f"{benefit}.paid", _("Livelihood benefit a month, at most"), [(1, line_key), (-1, recognised)], benefit
            )
            text += " " + _("(at most %(paid)s a month)") % {"paid": _won(book.values[paid])}
        verified = line.basis.certainty == Certainty.VERIFIED and line.median.basis.certainty == Certainty.VERIFIED
        results.append(BenefitResult(benefit, outcome, book.values[line_key], compared, text, verified))
    return results


def _emergency(book: _Book, facts: HouseholdFacts, income_key: str) -> BenefitResult:
    """Emergency support (긴급복지지원): income, property and financial assets against the year's criteria. Over a
    criterion, the committee may still decide support (if the rules file says so): support first, verify after."""
    rules, section = book.rules, EMERGENCY
    line = rules.emergency_income_line(facts.size)
    income_line = _line_steps(book, line, section)
    book.use(rules.emergency_income_basis)
    income = book.values[income_key]

    region = facts.emergency_region
    region_label = EmergencyRegion(region).label
    p = section + "."
    book.muted = not any(
        (
            facts.housing_property,
            facts.general_property,
            facts.vehicles_as_general,
            facts.vehicles,
            facts.financial_assets,
        )
    )
    housing = book.input(p + "housing", _("Housing property"), facts.housing_property, section)
    deduction = rules.emergency_housing_deduction[region]
    deduction_key = book.figure(
        p + "housing_deduction",
        _("Housing property deduction (%(region)s)") % {"region": region_label},
        deduction.won,
        deduction.basis,
        section,
    )
    deducted = book.lesser(p + "housing_deducted", _("Housing property deducted"), housing, deduction_key, section)
    others = [
        book.input(p + "general", _("General property"), facts.general_property, section),
        book.input(
            p + "vehicles_general", _("Vehicles counted as general property"), facts.vehicles_as_general, section
        ),
        book.input(p + "vehicles", _("Vehicles"), facts.vehicles, section),
        book.input(p + "financial", _("Financial assets"), facts.financial_assets, section),
    ]
    gross = book.sum(
        p + "gross", _("Property before debts"), [(1, housing), (-1, deducted)] + [(1, key) for key in others], section
    )
    debts = book.input(p + "debts", _("Debts"), facts.debts, section)
    debts_taken = book.lesser(p + "debts_taken", _("Debts taken off"), debts, gross, section)
    total = book.sum(p + "property", _("Property compared with the limit"), [(1, gross), (-1, debts_taken)], section)
    limit = rules.emergency_property_limit[region]
    limit_key = book.figure(
        p + "property_limit",
        _("Property limit (%(region)s)") % {"region": region_label},
        limit.won,
        limit.basis,
        section,
    )

    book.muted = facts.financial_assets == 0
    living = book.rate(
        p + "living",
        _("Living expense: one month of the median"),
        f"{section}.median",
        rules.emergency_living.percent,
        section,
        rules.emergency_living.basis,
    )
    extra = book.figure(
        p + "financial_extra",
        _("Financial assets allowed beyond it"),
        rules.emergency_financial_extra.won,
        rules.emergency_financial_extra.basis,
        section,
    )
    financial_limit = book.sum(p + "financial_limit", _("Financial asset limit"), [(1, living), (1, extra)], section)
    housing_extra = book.figure(
        p + "housing_extra",
        _("More for housing support"),
        rules.emergency_housing_extra.won,
        rules.emergency_housing_extra.basis,
        section,
    )
    book.sum(
        p + "financial_limit_housing",
        _("Financial asset limit for housing support"),
        [(1, financial_limit), (1, housing_extra)],
        section,
    )

    book.muted = False
    within = {
        "income": income <= book.values[income_line],
        "property": book.values[total] <= book.values[limit_key],
        "financial": facts.financial_assets <= book.values[financial_limit],
    }
    committee = rules.committee_for(CommitteeCase.OVER_EMERGENCY_CRITERIA, EMERGENCY)
    if all(within.values()):
        outcome = Outcome.LIKELY
    elif committee is not None:
        outcome = Outcome.COMMITTEE
        book.use(committee.basis)
    else:
        outcome = Outcome.NOT
    over = [
        str(label)
        for key, label in (("income", _("income")), ("property", _("property")), ("financial", _("financial assets")))
        if not within[key]
    ]
    values = {
        "income": _won(income),
        "line": _won(book.values[income_line]),
        "property": _won(book.values[total]),
        "limit": _won(book.values[limit_key]),
        "financial": _won(facts.financial_assets),
        "financial_limit": _won(book.values[financial_limit]),
        "outcome": Outcome(outcome).label,
    }
    text = (
        _(
            "Income %(income)s against %(line)s, property %(property)s against %(limit)s, financial assets "
            "%(financial)s against %(financial_limit)s: %(outcome)s"
        )
        % values
    )
    if over:
        text += " " + _("(over: %(what)s)") % {"what": ", ".join(over)}
    verified = line.basis.certainty == Certainty.VERIFIED
    return BenefitResult(EMERGENCY, outcome, book.values[income_line], income, text, verified)


def calculate(rules: RuleSet, facts: HouseholdFacts) -> Calculation:
    """The whole calculation for one household under one year's rules."""
    book = _Book(rules)
    income = _income(book, facts)
    property_income = _property(book, facts, "property", facts.general_property)
    recognised = book.sum(
        "recognised_income", _("Recognised income"), [(1, income), (1, property_income)], "recognised"
    )
    without = None
    if facts.unsellable_property:
        book.input(
            "property_without.unsellable",
            _("Property that cannot be sold, left out below"),
            facts.unsellable_property,
            "property_without",
        )
        property_without = _property(
            book, facts, "property_without", facts.general_property - facts.unsellable_property
        )
        without = book.sum(
            "recognised_without",
            _("Recognised income without the property that cannot be sold"),
            [(1, income), (1, property_without)],
            "property_without",
        )
    results = _benefits(book, facts, recognised, without)
    results.append(_emergency(book, facts, income))
    return Calculation(
        year=rules.year,
        rule_version=rules.version,
        size=facts.size,
        income_evaluation=book.values[income],
        property_income=book.values[property_income],
        recognised_income=book.values[recognised],
        steps=tuple(book.steps),
        benefits=tuple(results),
        flags=_flags(book),
        recognised_without_unsellable=book.values[without] if without else None,
    )


def check_lines(rules: RuleSet, size: int, recognised_income: int) -> list[BenefitResult]:
    """The five lines for a recognised income already known (the command line's `check`): no property, no steps."""
    results = []
    for benefit in Benefit.values:
        line = rules.line(benefit, size)
        outcome = Outcome.LIKELY if recognised_income <= line.won else Outcome.NOT
        verified = line.basis.certainty == Certainty.VERIFIED and line.median.basis.certainty == Certainty.VERIFIED
        results.append(BenefitResult(benefit, outcome, line.won, recognised_income, "", verified))
    return results


# ------------------------------------------------------------------------------------------------ as stored
def facts_as_dict(facts: HouseholdFacts) -> dict[str, object]:
    """The inputs as a calculation stores them (JSON): amounts, ages and situations, nothing that names a person."""
    return {
        "members": [
            {"age": m.age, "earned_income": m.earned_income, "disabled": m.disabled, "student": m.student}
            for m in facts.members
        ],
        **{name: getattr(facts, name) for name in FACT_FIELDS},
    }


def facts_from_dict(data: dict[str, object]) -> HouseholdFacts:
    members = tuple(Member(**member) for member in data["members"])  # type: ignore[union-attr, arg-type]
    return HouseholdFacts(members=members, **{name: data[name] for name in FACT_FIELDS})  # type: ignore[arg-type]


FACT_FIELDS = (
    "region",
    "emergency_region",
    "other_income",
    "housing_property",
    "general_property",
    "financial_assets",
    "vehicles",
    "vehicles_as_general",
    "debts",
    "unsellable_property",
)


def calculation_as_dict(calculation: Calculation) -> dict[str, object]:
    """What was shown, as a calculation stores it: the steps, each benefit's answer, the flags."""
    return {
        "steps": [step.as_dict() for step in calculation.steps],
        "benefits": [
            {
                "benefit": r.benefit,
                "outcome": r.outcome,
                "line": r.line,
                "compared": r.compared,
                "text": r.text,
                "verified": r.verified,
            }
            for r in calculation.benefits
        ],
        "flags": [
            {"what": f.what, "certainty": f.certainty, "source": f.source, "text": f.text} for f in calculation.flags
        ],
        "recognised_without_unsellable": calculation.recognised_without_unsellable,
    }
