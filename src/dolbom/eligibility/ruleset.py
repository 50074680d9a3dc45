"""The year's eligibility rules, read from `rules/<year>.toml`: the standard median income, the selection lines, the
income and property rules and the emergency-support criteria, each figure with its source and how sure it is.

The figures change every year by notice, so they are data files an administrator can read and a reviewer can check
against the notice, never constants in the code. A file is checked twice before anything uses it: its shape against
`rules/schema.json` (jsonschema, a library the project already uses for HSDS), then what a schema cannot say — every
source named exists, one certainty per household size, the median and every line grow with the household, and every
published line equals median × percent rounded as the file says. A file failing any of it is refused whole, with
the file and the key named: a wrong line would tell a family at the door it is eligible when it is not.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

RULES_DIR = Path(__file__).with_name("rules")
SCHEMA_PATH = RULES_DIR / "schema.json"


class Benefit(models.TextChoices):
    """The four customised benefits and the near-poor level (차상위), in the order the tables print them."""

    LIVELIHOOD = "livelihood", gettext_lazy("Livelihood benefit")
    MEDICAL = "medical", gettext_lazy("Medical benefit")
    HOUSING = "housing", gettext_lazy("Housing benefit")
    EDUCATION = "education", gettext_lazy("Education benefit")
    NEAR_POOR = "near_poor", gettext_lazy("Near-poor")


class Region(models.TextChoices):
    """Regions of the basic property deduction and the housing-property cap."""

    SEOUL = "seoul", gettext_lazy("Seoul")
    GYEONGGI = "gyeonggi", gettext_lazy("Gyeonggi")
    METRO = "metro", gettext_lazy("Metropolitan city, Sejong or Changwon")
    OTHER = "other", gettext_lazy("Other areas")


class EmergencyRegion(models.TextChoices):
    """Regions of the emergency-support property limit."""

    BIG_CITY = "big_city", gettext_lazy("Large city")
    SMALL_CITY = "small_city", gettext_lazy("Small or medium city")
    RURAL = "rural", gettext_lazy("Rural area")


class Certainty(models.TextChoices):
    """How sure a figure is, from the most to the least (docs/facts.md: V, V2, I)."""

    VERIFIED = "verified", gettext_lazy("official text")
    SECONDARY = "secondary", gettext_lazy("secondary source only")
    INFERRED = "inferred", gettext_lazy("inferred")
    UNVERIFIED = "unverified", gettext_lazy("no source found")


CERTAINTY_ORDER = [Certainty.VERIFIED, Certainty.SECONDARY, Certainty.INFERRED, Certainty.UNVERIFIED]


def least_sure(*certainties: str) -> Certainty:
    """The weakest of several certainties: a figure computed from others is no surer than the least sure of them."""
    return max((Certainty(c) for c in certainties), key=CERTAINTY_ORDER.index)


class DeductionGroup(models.TextChoices):
    """Who gets which earned-income deduction (근로·사업소득 공제)."""

    YOUTH = "youth", gettext_lazy("youth")
    STUDENT = "student", gettext_lazy("student")
    DISABLED = "disabled", pgettext_lazy("deduction group", "disabled")
    ELDERLY = "elderly", gettext_lazy("elderly")
    GENERAL = "general", gettext_lazy("general")


class PropertyKind(models.TextChoices):
    HOUSING = "housing", gettext_lazy("housing property")
    GENERAL = "general", gettext_lazy("general property")
    FINANCIAL = "financial", gettext_lazy("financial assets")


class CommitteeCase(models.TextChoices):
    """What the calculator leaves to a committee instead of answering yes or no."""

    UNSELLABLE_PROPERTY = (
        "unsellable_property",
        gettext_lazy("over the line only because of property that cannot be sold"),
    )
    OVER_EMERGENCY_CRITERIA = "over_emergency_criteria", gettext_lazy("over an emergency-support criterion")


def round_won(value: Decimal) -> int:
    """Half up to the won: the published tables' rounding (the only mode the schema accepts)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(amount: int, percent: Decimal) -> Decimal:
    """amount × percent %, exact (Decimal): rounded only where a rule says how."""
    return Decimal(amount) * percent / Decimal(100)


class RulesError(ValueError):
    """A rules file that cannot be used, with the file and the key that are wrong."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file, self.key, self.problem = file, key, problem
        super().__init__(f"{file}: {key}: {problem}")

    def __str__(self) -> str:
        message = _("The eligibility rules file %(file)s is refused at %(key)s: %(problem)s")
        return message % {"file": self.file, "key": self.key, "problem": self.problem}


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    notice: str
    url: str
    note: str


@dataclass(frozen=True)
class Basis:
    """Where a figure comes from and how sure it is: what the calculator shows beside a figure not verified."""

    certainty: Certainty
    source: str  # a key of RuleSet.sources
    what: str  # the figure, as the rules file names it ("median[7]", "property.debt_order")

    @property
    def verified(self) -> bool:
        return self.certainty == Certainty.VERIFIED


@dataclass(frozen=True)
class Amount:
    """One figure in won, with its basis."""

    won: int
    basis: Basis


@dataclass(frozen=True)
class Rate:
    """One percentage (exact), with its basis."""

    percent: Decimal
    basis: Basis


@dataclass(frozen=True)
class Months:
    """A period in whole months, with its basis."""

    months: int
    basis: Basis


@dataclass(frozen=True)
class Deduction:
    group: DeductionGroup
    fixed_won: int
    percent: Decimal
    min_age: int | None
    max_age: int | None
    basis: Basis

    def applies_to(self, age: int) -> bool:
        return (self.min_age is None or age >= self.min_age) and (self.max_age is None or age <= self.max_age)

    def of(self, earned: int) -> int:
        """The deduction from `earned` won: the fixed part first, then the percentage of the rest, half up."""
        fixed = min(earned, self.fixed_won)
        return fixed + round_won(percent_of(earned - fixed, self.percent))


@dataclass(frozen=True)
class Committee:
    case: CommitteeCase
    benefits: frozenset[str]
    basis: Basis


@dataclass(frozen=True)
class LineFigure:
    """A selection line for one benefit and household size: the won, the median and percent it is, its basis."""

    benefit: str
    size: int
    won: int
    percent: Decimal
    median: Amount
    basis: Basis


@dataclass(frozen=True)
class RuleSet:
    year: int
    version: str
    checked: date
    file: str
    sources: dict[str, Source]
    medians: tuple[Amount, ...]  # sizes 1 … len
    larger: Basis  # the rule for households larger than the table
    lines: dict[str, tuple[Rate, tuple[Amount, ...]]]  # benefit → (percent, published lines by size)
    deductions: dict[str, Deduction]
    conversion: dict[str, Rate]  # housing, general, financial, vehicle: percent a month
    basic_deduction: dict[str, Amount]  # by Region
    housing_cap: dict[str, Amount]  # by Region
    financial_living_expense: Amount
    basic_deduction_order: tuple[tuple[str, ...], Basis]
    debt_order: tuple[tuple[str, ...], Basis]
    conversion_rounding: Basis
    emergency_income: Rate
    emergency_income_basis: Basis
    emergency_property_limit: dict[str, Amount]  # by EmergencyRegion
    emergency_housing_deduction: dict[str, Amount]
    emergency_living: Rate  # percent of one month's median
    emergency_financial_extra: Amount
    emergency_housing_extra: Amount
    committee: tuple[Committee, ...]
    reverify: Months  # after-care: a recipient's re-verification, months after the grant or the last one

    @property
    def table_sizes(self) -> int:
        return len(self.medians)

    def median(self, size: int) -> Amount:
        """The standard median income of a household of `size` (at least 1): the table, then its rule beyond."""
        if size < 1:
            raise ValueError("a household has at least one member")
        if size <= len(self.medians):
            return self.medians[size - 1]
        last, before = self.medians[-1], self.medians[-2]
        won = last.won + (size - len(self.medians)) * (last.won - before.won)
        certainty = least_sure(last.basis.certainty, before.basis.certainty, self.larger.certainty)
        return Amount(won, Basis(certainty, self.larger.source, f"median[{size}]"))

    def line(self, benefit: str, size: int) -> LineFigure:
        """The selection line: the published figure within the table, median × percent (half up) beyond it."""
        rate, published = self.lines[benefit]
        median = self.median(size)
        if size <= len(published):
            figure = published[size - 1]
            return LineFigure(benefit, size, figure.won, rate.percent, median, figure.basis)
        certainty = least_sure(median.basis.certainty, published[-1].basis.certainty)
        basis = Basis(certainty, self.larger.source, f"lines.{benefit}[{size}]")
        return LineFigure(benefit, size, round_won(percent_of(median.won, rate.percent)), rate.percent, median, basis)

    def emergency_income_line(self, size: int) -> LineFigure:
        median = self.median(size)
        rate = self.emergency_income
        certainty = least_sure(median.basis.certainty, rate.basis.certainty)
        basis = Basis(certainty, rate.basis.source, f"emergency.income[{size}]")
        won = round_won(percent_of(median.won, rate.percent))
        return LineFigure("emergency", size, won, rate.percent, median, basis)

    def committee_for(self, case: CommitteeCase, benefit: str) -> Committee | None:
        return next((c for c in self.committee if c.case == case and benefit in c.benefits), None)

    def source_title(self, source_id: str) -> str:
        return self.sources[source_id].title


# --------------------------------------------------------------------------------------------------- loading
@lru_cache(maxsize=1)
def _schema_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def _plain(value: Any) -> Any:
    """TOML's dates as ISO strings, so that the JSON Schema (which knows no dates) can check them."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _key(path: Any) -> str:
    """A JSON path as the file writes it: lines.livelihood.published[3]."""
    key = ""
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or _("(the whole file)")


class _Reader:
    """Turns the checked raw data into a RuleSet, refusing what the schema cannot see."""

    def __init__(self, raw: dict[str, Any], file: str) -> None:
        self.raw, self.file = raw, file

    def refuse(self, key: str, problem: str) -> RulesError:
        return RulesError(self.file, key, problem)

    def basis(
        self, table: dict[str, Any], key: str, certainty_key: str = "certainty", source_key: str = "source"
    ) -> Basis:
        source = table[source_key]
        if source not in self.raw["sources"]:
            raise self.refuse(f"{key}.{source_key}", _("no source %(source)s under [sources]") % {"source": source})
        return Basis(Certainty(table[certainty_key]), source, key)

    def by_size(self, table: dict[str, Any], values_key: str, key: str) -> tuple[Amount, ...]:
        values = table[values_key]
        certainty = table["certainty"]
        if isinstance(certainty, list):
            if len(certainty) != len(values):
                raise self.refuse(
                    f"{key}.certainty",
                    _("give one certainty per household size (%(sizes)s), or one for all") % {"sizes": len(values)},
                )
            certainties = certainty
        else:
            certainties = [certainty] * len(values)
        source = self.basis({"certainty": certainties[0], "source": table["source"]}, key).source
        amounts = tuple(
            Amount(won, Basis(Certainty(c), source, f"{key}[{size}]"))
            for size, (won, c) in enumerate(zip(values, certainties, strict=True), start=1)
        )
        for size in range(2, len(amounts) + 1):
            if amounts[size - 1].won <= amounts[size - 2].won:
                problem = _("a household of %(size)s has %(won)s won, no more than one of %(smaller)s (%(less)s won)")
                raise self.refuse(
                    f"{key}.{values_key}[{size}]",
                    problem
                    % {
                        "size": size,
                        "won": f"{amounts[size - 1].won:,}",
                        "smaller": size - 1,
                        "less": f"{amounts[size - 2].won:,}",
                    },
                )
        return amounts

    def rate(self, table: dict[str, Any], percent_key: str, key: str) -> Rate:
        certainty = table["certainty"]
        if isinstance(certainty, list):
            # A line's percent is as sure as its line for one person: the larger sizes may be less sure.
            table = {**table, "certainty": certainty[0]}
        return Rate(Decimal(table[percent_key]), self.basis(table, key))

    def by_region(self, table: dict[str, Any], regions: list[str], key: str) -> dict[str, Amount]:
        basis = self.basis(table, key)
        return {region: Amount(table[region], basis) for region in regions}

    def order(self, table: dict[str, Any], key: str) -> tuple[tuple[str, ...], Basis]:
        return tuple(table["order"]), self.basis(table, key)

    def read(self) -> RuleSet:
        raw = self.raw
        median_table = raw["median"]
        medians = self.by_size(median_table, "won", "median")
        larger = self.basis(median_table["larger"], "median.larger")
        lines = {}
        for benefit in Benefit.values:
            table = raw["lines"][benefit]
            key = f"lines.{benefit}"
            rate = self.rate(table, "percent", key)
            published = self.by_size(table, "published", key)
            if len(published) != len(medians):
                problem = _("give a line for each size of the median table (%(sizes)s)") % {"sizes": len(medians)}
                raise self.refuse(f"{key}.published", problem)
            for size, (line, median) in enumerate(zip(published, medians, strict=True), start=1):
                computed = round_won(percent_of(median.won, rate.percent))
                if computed != line.won:
                    problem = _("%(won)s won is not median %(median)s × %(percent)s%% = %(computed)s won") % {
                        "won": f"{line.won:,}",
                        "median": f"{median.won:,}",
                        "percent": rate.percent,
                        "computed": f"{computed:,}",
                    }
                    raise self.refuse(f"{key}.published[{size}]", problem)
            lines[benefit] = (rate, published)
        deductions = {}
        for group in DeductionGroup.values:
            table = raw["earned_deduction"][group]
            key = f"earned_deduction.{group}"
            if table.get("min_age", 0) > table.get("max_age", 200):
                raise self.refuse(f"{key}.min_age", _("the lowest age is above the highest"))
            deductions[group] = Deduction(
                group=DeductionGroup(group),
                fixed_won=table["fixed_won"],
                percent=Decimal(table["percent"]),
                min_age=table.get("min_age"),
                max_age=table.get("max_age"),
                basis=self.basis(table, key),
            )
            if deductions[group].percent > 100:
                raise self.refuse(f"{key}.percent", _("a deduction cannot exceed 100 %"))
        prop = raw["property"]
        conversion_basis = self.basis(prop["conversion_percent"], "property.conversion_percent")
        conversion = {
            kind: Rate(Decimal(prop["conversion_percent"][kind]), conversion_basis)
            for kind in ("housing", "general", "financial", "vehicle")
        }
        emergency = raw["emergency"]
        income = emergency["income"]
        financial_basis = self.basis(emergency["financial"], "emergency.financial")
        emergency_income = self.rate(income, "percent", "emergency.income")
        for size_text, thousands in income.get("published_thousand_won", {}).items():
            size = int(size_text)
            median = self.by_size_median(medians, larger, size)
            computed = round_won(percent_of(median, emergency_income.percent))
            if round_won(Decimal(computed) / 1000) != thousands:
                problem = _(
                    "%(thousands)s thousand won is not median %(median)s × %(percent)s%% = %(computed)s won"
                ) % {
                    "thousands": f"{thousands:,}",
                    "median": f"{median:,}",
                    "percent": emergency_income.percent,
                    "computed": f"{computed:,}",
                }
                raise self.refuse(f"emergency.income.published_thousand_won.{size_text}", problem)
        financial = emergency["financial"]
        committee = tuple(
            Committee(CommitteeCase(entry["case"]), frozenset(entry["benefits"]), self.basis(entry, f"committee[{i}]"))
            for i, entry in enumerate(raw["committee"])
        )
        return RuleSet(
            year=raw["year"],
            version=raw["version"],
            checked=date.fromisoformat(raw["checked"]),
            file=self.file,
            sources={key: Source(id=key, **value) for key, value in raw["sources"].items()},
            medians=medians,
            larger=larger,
            lines=lines,
            deductions=deductions,
            conversion=conversion,
            basic_deduction=self.by_region(prop["basic_deduction"], Region.values, "property.basic_deduction"),
            housing_cap=self.by_region(prop["housing_cap"], Region.values, "property.housing_cap"),
            financial_living_expense=Amount(
                prop["financial_living_expense"]["won"],
                self.basis(prop["financial_living_expense"], "property.financial_living_expense"),
            ),
            basic_deduction_order=self.order(prop["basic_deduction_order"], "property.basic_deduction_order"),
            debt_order=self.order(prop["debt_order"], "property.debt_order"),
            conversion_rounding=self.basis(prop["rounding"], "property.rounding"),
            emergency_income=emergency_income,
            emergency_income_basis=self.basis(emergency["income_basis"], "emergency.income_basis"),
            emergency_property_limit=self.by_region(
                emergency["property_limit"], EmergencyRegion.values, "emergency.property_limit"
            ),
            emergency_housing_deduction=self.by_region(
                emergency["housing_deduction"], EmergencyRegion.values, "emergency.housing_deduction"
            ),
            emergency_living=Rate(
                Decimal(financial["living_percent"]),
                self.basis(financial, "emergency.financial.living", "living_certainty", "living_source"),
            ),
            emergency_financial_extra=Amount(financial["extra_won"], financial_basis),
            emergency_housing_extra=Amount(financial["housing_extra_won"], financial_basis),
            committee=committee,
            reverify=Months(raw["aftercare"]["reverify_months"], self.basis(raw["aftercare"], "aftercare")),
        )

    @staticmethod
    def by_size_median(medians: tuple[Amount, ...], larger: Basis, size: int) -> int:
        if size <= len(medians):
            return medians[size - 1].won
        return medians[-1].won + (size - len(medians)) * (medians[-1].won - medians[-2].won)


def parse_rules(text: str, file: str = "rules.toml", *, year: int | None = None) -> RuleSet:
    """Read and check one rules file; RulesError names the file and the key of the first problem found."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesError(file, _("(the whole file)"), _("not valid TOML: %(error)s") % {"error": error}) from error
    raw = _plain(raw)
    errors = sorted(_schema_validator().iter_errors(raw), key=lambda e: (list(e.absolute_path), e.message))
    if errors:
        first = errors[0]
        raise RulesError(file, _key(first.absolute_path), first.message)
    if year is not None and raw["year"] != year:
        problem = _("the file is named for %(named)s but says %(says)s") % {"named": year, "says": raw["year"]}
        raise RulesError(file, "year", problem)
    if not raw["version"].startswith(f"{raw['year']}."):
        problem = _("the version starts with the year: %(year)s.1, %(year)s.2 …") % {"year": raw["year"]}
        raise RulesError(file, "version", problem)
    return _Reader(raw, file).read()


def available_years(folder: Path = RULES_DIR) -> list[int]:
    """The years that have a rules file, oldest first."""
    return sorted(int(path.stem) for path in folder.glob("*.toml") if path.stem.isdigit())


@lru_cache(maxsize=16)
def load_rules(year: int, folder: Path = RULES_DIR) -> RuleSet:
    """The rules of `year`. LookupError when there is no file for it; RulesError when its file is refused."""
    path = folder / f"{year}.toml"
    if not path.is_file():
        years = ", ".join(str(y) for y in available_years(folder)) or "-"
        raise LookupError(
            _("No eligibility rules for %(year)s; the years with rules: %(years)s.")
            % {
                "year": year,
                "years": years,
            }
        )
    return parse_rules(path.read_text(encoding="utf-8"), path.name, year=year)
