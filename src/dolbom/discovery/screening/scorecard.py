"""The points scorecard (배점표): rules as data, in `scorecard.toml`, read and validated here.

A household's score is the sum of
* per signal kind, the points of its **strongest** signal of that kind (repeated deliveries and several members with
  the same kind count once): the points of the signal's severity level (from the catalogue's ladder) plus
  monotone increments over its integer fields (months overdue, amounts, days), each a piecewise-linear function
  given by knots, flat before the first and after the last knot (the cap);
* household modifiers (elderly living alone, disability, children, single parent, many members), which count only
  for households that have at least one scored signal.

Every rule is non-decreasing by construction: level points may not fall as the level rises, knot points may not fall
as the value rises, and nothing is negative. The reader refuses a file that breaks this, so more months or a larger
amount can never lower a score (the public complaint of docs/facts.md: 17 months selected, 22 not). Increments are
floored to whole points (a floor of a non-decreasing function stays non-decreasing) so that the reasons' points add
up to the score exactly.

The reader imports nothing from Django: the engines, the benchmark and the tests use it on plain files.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from dolbom.discovery.catalogue import Catalogue, Severity, SignalKind, load_catalogue
from dolbom.discovery.datafile import header, no_duplicates, read_toml, refuse_if_any, tables, text, unknown_keys

DEFAULT_PATH = Path(__file__).with_name("scorecard.toml")

# Household modifiers the SQL knows how to compute: their parameters and the placeholders their reason may use.
# `age` is the parameter itself; the others are counts of the household's living members on the round's date.
MODIFIERS: dict[str, dict[str, frozenset[str]]] = {
    "elderly_alone": {"params": frozenset({"age"}), "placeholders": frozenset({"age"})},
    "disability": {"params": frozenset(), "placeholders": frozenset({"disabled"})},
    "severe_disability": {"params": frozenset(), "placeholders": frozenset({"severe"})},
    "children": {"params": frozenset({"age"}), "placeholders": frozenset({"age", "children"})},
    "single_parent": {"params": frozenset({"age"}), "placeholders": frozenset({"age", "children"})},
    "large_household": {"params": frozenset({"min_members"}), "placeholders": frozenset({"members"})},
}
FORMATS = ("won",)
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)(?:\|([a-z]+))?\}")


class ScorecardError(ValueError):
    """The scorecard file is malformed or not monotone; the message lists every problem and where it is."""


@dataclass(frozen=True)
class Placeholder:
    name: str
    format: str = ""  # "" (the value as is) or "won" (만원/억 units)


# A parsed reason template: literal text and placeholders, in order.
Template = tuple[str | Placeholder, ...]


@dataclass(frozen=True)
class Increment:
    """Points added for an integer field: piecewise-linear through `knots` (value, points), floored to whole
    points; the first knot's points below it (and when the value is missing), the last knot's points above it."""

    field: str
    knots: tuple[tuple[int, int], ...]

    def points(self, value: int | None) -> int:
        (x0, p0), (xn, pn) = self.knots[0], self.knots[-1]
        if value is None or value <= x0:
            return p0
        if value >= xn:
            return pn
        for (xa, pa), (xb, pb) in zip(self.knots, self.knots[1:], strict=False):
            if value < xb:
                return pa + (value - xa) * (pb - pa) // (xb - xa)
        raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class KindRule:
    code: str
    level_points: tuple[int, int, int]  # points at severity level 1, 2, 3
    increments: tuple[Increment, ...]
    reason: Template

    def points(self, level: int, values: Mapping[str, Any]) -> int:
        """Points of one signal of this kind (the reference the SQL is tested against)."""
        return self.level_points[level - 1] + sum(inc.points(values.get(inc.field)) for inc in self.increments)


@dataclass(frozen=True)
class Modifier:
    code: str
    points: int
    reason: Template
    params: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Scorecard:
    version: str
    source: str
    updated: date
    cooldown_days: int
    min_score: int
    kinds: tuple[KindRule, ...]
    modifiers: tuple[Modifier, ...]
    origin: str = "scorecard.toml"

    def kind(self, code: str) -> KindRule:
        for rule in self.kinds:
            if rule.code == code:
                return rule
        raise KeyError(f"the scorecard does not score kind '{code}'")

    def modifier(self, code: str) -> Modifier | None:
        return next((m for m in self.modifiers if m.code == code), None)

    def fields_used(self, catalogue: Catalogue) -> dict[str, str]:
        """Signal columns the scoring reads, with their catalogue type (int or str)."""
        used: dict[str, str] = {}
        for rule in self.kinds:
            kind = catalogue.kind(rule.code)
            names = [inc.field for inc in rule.increments]
            names += [p.name for p in rule.reason if isinstance(p, Placeholder)]
            if kind.severity.field:
                names.append(kind.severity.field)
            for name in names:
                used[name] = kind.field(name).type
        return dict(sorted(used.items()))


def level_of(severity: Severity, value: int | None) -> int:
    """The severity level as the SQL computes it: the last ladder step the value reaches; a missing value or one
    below the ladder (the import refuses both for required fields) gets the first step's level."""
    if severity.fixed is not None:
        return severity.fixed
    level = severity.steps[0].level
    if value is None:
        return level
    for step in severity.steps:
        if value >= step.from_value:
            level = step.level
    return level


# Reason text is data in the catalogue's language, not msgids: see the comment above `sql.won_sql`.
def format_won(value: int) -> str:
    """Amounts as officers say them: 5000원, 38만원, 1억 2000만원 (floored to the unit shown)."""
    if value >= 100_000_000:
        eok, man = divmod(value // 10_000, 10_000)
        return f"{eok}억 {man}만원" if man else f"{eok}억원"
    if value >= 10_000:
        return f"{value // 10_000}만원"
    return f"{value}원"


def render(template: Template, values: Mapping[str, Any], points: int) -> str:
    """A reason's text, e.g. '건강보험료 7개월 체납 (+18점)' (the reference the SQL is tested against)."""
    shown = "".join(
        part if isinstance(part, str) else _render_value(values.get(part.name), part.format) for part in template
    )
    return f"{shown} (+{points}점)"


def _render_value(value: Any, fmt: str) -> str:
    if value is None:
        return "?"
    return format_won(int(value)) if fmt == "won" else str(value)


def load_scorecard(path: Path | None = None, *, catalogue: Catalogue | None = None) -> Scorecard:
    """Read and validate a scorecard (the packaged one by default; that one is read once per process)."""
    if path is None and catalogue is None:
        return _default_scorecard()
    path = Path(path) if path is not None else DEFAULT_PATH
    data = read_toml(path, ScorecardError)
    return parse_scorecard(data, catalogue=catalogue or load_catalogue(), origin=path.name)


@cache
def _default_scorecard() -> Scorecard:
    return load_scorecard(DEFAULT_PATH, catalogue=load_catalogue())


def parse_scorecard(data: dict[str, Any], *, catalogue: Catalogue, origin: str = "scorecard") -> Scorecard:
    """Validate a scorecard already parsed from TOML against the catalogue; raise ScorecardError listing every
    problem found."""
    problems: list[str] = []
    unknown_keys(data, {"version", "source", "updated", "cooldown_days", "min_score", "kind", "modifier"}, problems)
    version, source, updated = header(data, problems)
    cooldown_days = _count(data, "cooldown_days", "", problems)
    min_score = _count(data, "min_score", "", problems)

    kinds: list[KindRule] = []
    for i, raw in enumerate(tables(data, "kind", problems)):
        rule = _kind_rule(raw, f"kind #{i + 1}", catalogue, problems)
        if rule is not None:
            kinds.append(rule)
    no_duplicates([k.code for k in kinds], "kind", problems)
    if not kinds and "kind" in data:
        problems.append("the scorecard scores no signal kind")

    modifiers: list[Modifier] = []
    for i, raw in enumerate(tables(data, "modifier", problems)):
        modifier = _modifier(raw, f"modifier #{i + 1}", problems)
        if modifier is not None:
            modifiers.append(modifier)
    no_duplicates([m.code for m in modifiers], "modifier", problems)

    refuse_if_any(origin, problems, ScorecardError)
    return Scorecard(
        version=version,
        source=source,
        updated=updated,
        cooldown_days=cooldown_days,
        min_score=min_score,
        kinds=tuple(kinds),
        modifiers=tuple(modifiers),
        origin=origin,
    )


def _kind_rule(raw: dict[str, Any], where: str, catalogue: Catalogue, problems: list[str]) -> KindRule | None:
    code = text(raw, "code", where, problems)
    if not code:
        return None
    where = f"kind '{code}'"
    try:
        kind = catalogue.kind(code)
    except KeyError:
        problems.append(f"{where}: not a kind of the signal catalogue (version {catalogue.version})")
        return None
    extra = set(raw) - {"code", "points", "increments", "reason"}
    if extra:
        problems.append(f"{where}: unknown keys {', '.join(sorted(extra))}")
    level_points = _level_points(raw.get("points"), where, kind, problems)
    increments = []
    raw_increments = raw.get("increments", [])
    if not isinstance(raw_increments, list) or not all(isinstance(r, dict) for r in raw_increments):
        problems.append(f"{where}: 'increments' must be a list of {{ field = …, knots = […] }}")
        raw_increments = []
    for raw_increment in raw_increments:
        increment = _increment(raw_increment, where, kind, problems)
        if increment is not None:
            increments.append(increment)
    no_duplicates([inc.field for inc in increments], f"{where}: increment on field", problems)
    reason = _template(raw.get("reason"), where, _kind_placeholders(kind), problems)
    if level_points is None or reason is None:
        return None
    return KindRule(code=code, level_points=level_points, increments=tuple(increments), reason=reason)


def _level_points(value: Any, where: str, kind: SignalKind, problems: list[str]) -> tuple[int, int, int] | None:
    """`points = N` (every level) or `points = [level 1, level 2, level 3]`, never decreasing."""
    if _is_int(value):
        value = [value] * 3
    if not isinstance(value, list) or len(value) != 3 or not all(_is_int(v) for v in value):
        problems.append(f"{where}: 'points' must be a whole number or a list of three (severity levels 1, 2, 3)")
        return None
    if any(v < 0 for v in value):
        problems.append(f"{where}: points must not be negative")
        return None
    if any(b < a for a, b in itertools.pairwise(value)):
        problems.append(
            f"{where}: points {value} decrease with the severity level: a more severe signal would score less"
        )
        return None
    return (value[0], value[1], value[2])


def _increment(raw: dict[str, Any], where: str, kind: SignalKind, problems: list[str]) -> Increment | None:
    name = raw.get("field")
    extra = set(raw) - {"field", "knots"}
    if extra:
        problems.append(f"{where}: increment: unknown keys {', '.join(sorted(extra))}")
    if not isinstance(name, str):
        problems.append(f"{where}: every increment needs a 'field'")
        return None
    where = f"{where}, increment on '{name}'"
    try:
        f = kind.field(name)
    except KeyError:
        problems.append(f"{where}: the kind has no such field")
        return None
    if f.type != "int":
        problems.append(f"{where}: increments apply to int fields only ('{name}' is {f.type})")
        return None
    knots = raw.get("knots")
    if (
        not isinstance(knots, list)
        or len(knots) < 2
        or not all(isinstance(k, list) and len(k) == 2 and all(_is_int(v) for v in k) for k in knots)
    ):
        problems.append(f"{where}: 'knots' must be at least two [value, points] pairs of whole numbers")
        return None
    pairs = [(int(v), int(p)) for v, p in knots]
    ok = True
    for (xa, pa), (xb, pb) in itertools.pairwise(pairs):
        if xb <= xa:
            problems.append(f"{where}: knot values must increase strictly ({xa} then {xb})")
            ok = False
        if pb < pa:
            problems.append(
                f"{where}: not monotone: {pa} points at {xa} but {pb} at {xb}; more {f.label} would lower the score"
            )
            ok = False
    if any(p < 0 for _, p in pairs):
        problems.append(f"{where}: points must not be negative")
        ok = False
    return Increment(field=name, knots=tuple(pairs)) if ok else None


def _kind_placeholders(kind: SignalKind) -> dict[str, str]:
    """Fields a kind's reason may show: required int and str fields (a missing optional value would print '?')."""
    return {f.name: f.unit for f in kind.fields if f.required and f.type in ("int", "str")}


def _template(value: Any, where: str, allowed: Mapping[str, str], problems: list[str]) -> Template | None:
    """Parse a reason template; `allowed` maps each usable placeholder to its unit ('won' allows `|won`)."""
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: 'reason' must be a non-empty text")
        return None
    parts: list[str | Placeholder] = []
    position = 0
    ok = True
    for match in _PLACEHOLDER.finditer(value):
        parts.append(value[position : match.start()])
        name, fmt = match.group(1), match.group(2) or ""
        if name not in allowed:
            usable = ", ".join(sorted(allowed)) or "none"
            problems.append(f"{where}: reason placeholder {{{name}}} is not available (usable: {usable})")
            ok = False
        elif fmt and (fmt not in FORMATS or allowed[name] != "won"):
            problems.append(f"{where}: reason placeholder {{{name}|{fmt}}}: '|won' applies to amounts in won only")
            ok = False
        parts.append(Placeholder(name, fmt))
        position = match.end()
    parts.append(value[position:])
    literal = "".join(p for p in parts if isinstance(p, str))
    if "{" in literal or "}" in literal:
        problems.append(f"{where}: reason has a brace that is not a placeholder like {{months_overdue}}")
        ok = False
    if "'" in value or "\\" in value:
        # Reasons become SQL string literals, which DuckDB and Spark escape differently; Korean text needs neither.
        problems.append(f"{where}: reason must not contain an apostrophe (') or a backslash")
        ok = False
    return tuple(p for p in parts if p != "") if ok else None


def _modifier(raw: dict[str, Any], where: str, problems: list[str]) -> Modifier | None:
    code = text(raw, "code", where, problems)
    if not code:
        return None
    where = f"modifier '{code}'"
    spec = MODIFIERS.get(code)
    if spec is None:
        problems.append(f"{where}: unknown modifier (known: {', '.join(MODIFIERS)})")
        return None
    extra = set(raw) - {"code", "points", "reason"} - spec["params"]
    if extra:
        problems.append(f"{where}: unknown keys {', '.join(sorted(extra))}")
    params: dict[str, int] = {}
    for name in sorted(spec["params"]):
        value = raw.get(name)
        if not _is_int(value) or value <= 0:
            problems.append(f"{where}: '{name}' must be a positive whole number")
        else:
            params[name] = value
    points = raw.get("points")
    if not _is_int(points) or points < 0:
        problems.append(f"{where}: 'points' must be a whole number, not negative")
        return None
    reason = _template(raw.get("reason"), where, dict.fromkeys(spec["placeholders"], ""), problems)
    if reason is None or len(params) != len(spec["params"]):
        return None
    return Modifier(code=code, points=points, reason=reason, params=params)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _count(raw: dict[str, Any], key: str, where: str, problems: list[str]) -> int:
    value = raw.get(key)
    if not _is_int(value) or value < 0:
        problems.append(f"{where}'{key}' must be a whole number, 0 or more")
        return 0
    return value
