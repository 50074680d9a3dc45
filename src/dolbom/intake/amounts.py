"""The amounts of emergency welfare support per year, kind and household size, read from the data file
`emergency_amounts.toml` (the figures of docs/facts.md with their certainty). They only ever suggest: the officer
types the amount decided, and the record keeps both.

The figures change every year by notice, so they are data with a year and a source, never constants in the code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from dolbom.intake.models.emergency import EmergencyKind

DEFAULT_PATH = Path(__file__).with_name("emergency_amounts.toml")


# The most won an amount typed by a person may have: twelve digits (under a trillion) is beyond any support.
class Basis(models.TextChoices):
    PER_MONTH = "per_month", _("a month")
    ONCE = "once", _("once")
    UP_TO = "up_to", _("at most")


class Region(models.TextChoices):
    BIG_CITY = "big_city", _("large city")
    SMALL_CITY = "small_city", _("small or medium city")
    RURAL = "rural", _("rural area")


class AmountOption(models.TextChoices):
    ELEMENTARY = "elementary", _("elementary school")
    MIDDLE = "middle", _("middle school")
    HIGH = "high", _("high school")
    BIRTH = "birth", _("childbirth")
    FUNERAL = "funeral", _("funeral")


class Certainty(models.TextChoices):
    """How sure the figure is (docs/facts.md)."""

    V = "V", _("official text")
    V2 = "V2", _("secondary source only: check it")
    I = "I", _("inferred: check it")  # noqa: E741 - the mark docs/facts.md uses


class AmountsError(ValueError):
    """The data file is wrong: the application refuses it whole rather than suggest a wrong amount."""


@dataclass(frozen=True)
class Suggestion:
    """What the data file says one kind of support amounts to, for one household in one year."""

    kind: str
    year: int
    basis: str
    certainty: str
    won: int | None = None  # None when the figure depends on a case (`options`)
    options: tuple[tuple[str, int], ...] = ()
    months: int | None = None
    region: str = ""

    @property
    def basis_label(self) -> str:
        return str(Basis(self.basis).label)

    @property
    def certainty_label(self) -> str:
        return str(Certainty(self.certainty).label)

    @property
    def kind_label(self) -> str:
        return str(EmergencyKind(self.kind).label)

    @property
    def region_label(self) -> str:
        return str(Region(self.region).label) if self.region else ""

    @property
    def option_labels(self) -> list[tuple[str, int]]:
        return [(str(AmountOption(name).label), won) for name, won in self.options]


@dataclass(frozen=True)
class _Entry:
    year: int
    kind: str
    basis: str
    certainty: str | tuple[str, ...]
    by_size: tuple[int, ...] = ()
    each_further: int | None = None
    won: int | None = None
    options: tuple[tuple[str, int], ...] = ()
    months: int | None = None
    region: str = ""

    def for_size(self, size: int) -> Suggestion:
        won, certainty = self.won, self.certainty
        if self.by_size:
            index = min(size, len(self.by_size)) - 1
            won = self.by_size[index]
            if size > len(self.by_size):
                # Beyond the table only the notice's increment per person says more; without it there is no figure.
                won = None if self.each_further is None else won + self.each_further * (size - len(self.by_size))
            if isinstance(certainty, tuple):
                certainty = certainty[index]
        assert isinstance(certainty, str)
        return Suggestion(
            kind=self.kind, year=self.year, basis=self.basis, certainty=certainty, won=won, options=self.options,
            months=self.months, region=self.region,
        )  # fmt: skip


@dataclass(frozen=True)
class AmountTable:
    version: str
    checked: date
    source: str
    entries: tuple[_Entry, ...] = field(default_factory=tuple)

    def for_household(self, year: int, size: int) -> list[Suggestion]:
        """Every kind the file has a figure for in `year`, for a household of `size` persons (at least one)."""
        size = max(1, size)
        return [entry.for_size(size) for entry in self.entries if entry.year == year]

    def suggest(self, kind: str, year: int, size: int) -> Suggestion | None:
        return next((s for s in self.for_household(year, size) if s.kind == kind), None)

    @property
    def years(self) -> list[int]:
        return sorted({entry.year for entry in self.entries})


def _positive_int(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise AmountsError(f"{where}: expected a positive whole number of won, got {value!r}")
    return value


def _entry(raw: dict[str, Any], number: int) -> _Entry:
    where = f"[[amount]] #{number}"
    allowed = {"year", "kind", "basis", "by_household_size", "each_further_person", "won", "options", "certainty",
               "months", "region", "note"}  # fmt: skip
    unknown = set(raw) - allowed
    if unknown:
        raise AmountsError(f"{where}: unknown keys {sorted(unknown)}")
    kind = raw.get("kind")
    if kind not in EmergencyKind.values:
        raise AmountsError(f"{where}: unknown kind {kind!r}")
    if raw.get("basis") not in Basis.values:
        raise AmountsError(f"{where}: basis must be one of {Basis.values}")
    year = raw.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise AmountsError(f"{where}: year must be a year such as 2026")
    by_size = tuple(_positive_int(v, f"{where} by_household_size") for v in raw.get("by_household_size", []))
    options = tuple((name, _positive_int(v, f"{where} options")) for name, v in raw.get("options", {}).items())
    if any(name not in AmountOption.values for name, _won in options):
        raise AmountsError(f"{where}: options must be among {AmountOption.values}")
    won = _positive_int(raw["won"], f"{where} won") if "won" in raw else None
    if sum((bool(by_size), won is not None, bool(options))) != 1:
        raise AmountsError(f"{where}: give exactly one of by_household_size, won, options")
    certainty = raw.get("certainty")
    if isinstance(certainty, list):
        if len(certainty) != len(by_size) or not set(certainty) <= set(Certainty.values):
            raise AmountsError(f"{where}: certainty must list V, V2 or I for each household size")
        certainty = tuple(certainty)
    elif certainty not in Certainty.values:
        raise AmountsError(f"{where}: certainty must be V, V2 or I (docs/facts.md)")
    region = raw.get("region", "")
    if region and region not in Region.values:
        raise AmountsError(f"{where}: region must be one of {Region.values}")
    months = _positive_int(raw["months"], f"{where} months") if "months" in raw else None
    each_further = raw.get("each_further_person")
    return _Entry(
        year=year, kind=kind, basis=raw["basis"], certainty=certainty, by_size=by_size,
        each_further=_positive_int(each_further, f"{where} each_further_person") if each_further is not None else None,
        won=won, options=options, months=months, region=region,
    )  # fmt: skip


def parse_amounts(text: str) -> AmountTable:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AmountsError(f"not valid TOML: {exc}") from exc
    for key in ("version", "checked", "source"):
        if key not in raw:
            raise AmountsError(f"the file has no {key!r}")
    entries = tuple(_entry(item, number) for number, item in enumerate(raw.get("amount", []), start=1))
    seen = [(e.year, e.kind, e.region) for e in entries]
    if len(seen) != len(set(seen)):
        raise AmountsError("one kind appears twice for the same year and region")
    return AmountTable(version=str(raw["version"]), checked=raw["checked"], source=str(raw["source"]), entries=entries)


@lru_cache(maxsize=4)
def load_amounts(path: Path = DEFAULT_PATH) -> AmountTable:
    return parse_amounts(path.read_text(encoding="utf-8"))
