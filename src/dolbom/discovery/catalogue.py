"""The crisis-signal catalogue: which kinds of signal agencies deliver, in which columns, and how severe each is.

The catalogue is data (`signal_catalogue.toml`), versioned, so that a district can follow the national system as it
adds kinds without a code change. This module only reads and validates it; it imports nothing from Django, so the
batch engines and the synthetic-city generator can use it too. Every defect is reported with its location
(`kind 'x', field 'y': …`), and all defects are reported at once.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from dolbom.discovery.datafile import header, no_duplicates, read_toml, refuse_if_any, tables, text, unknown_keys

DEFAULT_PATH = Path(__file__).with_name("signal_catalogue.toml")

FIELD_TYPES = ("int", "date", "str")
FORMATS = ("csv", "parquet")
ENCODINGS = ("utf-8", "utf-8-sig", "cp949")
RRN_FORMATS = ("hyphen", "digits")
LEVELS = (1, 2, 3)


class CatalogueError(ValueError):
    """The catalogue file is malformed; the message lists every problem found, each with where it is."""


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str  # int | date | str
    unit: str = ""
    required: bool = False
    min: int | None = None
    max: int | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeverityStep:
    from_value: int
    level: int


@dataclass(frozen=True)
class Severity:
    """Either a fixed level, or a ladder over one integer field: the last step whose `from_value` the value
    reaches gives the level."""

    fixed: int | None = None
    field: str | None = None
    steps: tuple[SeverityStep, ...] = ()

    def level_of(self, value: int | None = None) -> int:
        if self.fixed is not None:
            return self.fixed
        if value is None:
            raise ValueError(f"severity depends on '{self.field}', which is missing")
        level = 0
        for step in self.steps:
            if value >= step.from_value:
                level = step.level
        if level == 0:
            raise ValueError(f"{self.field}={value} is below the first severity step")
        return level


@dataclass(frozen=True)
class ProvidingAgency:
    code: str
    name: str
    format: str  # csv | parquet
    encoding: str | None  # csv only
    resident_number_format: str = "hyphen"

    @property
    def file_name(self) -> str:
        return f"{self.code}.{self.format}"


@dataclass(frozen=True)
class SignalKind:
    code: str
    label: str
    agency: ProvidingAgency
    group: str
    fields: tuple[Field, ...]
    severity: Severity

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"kind '{self.code}' has no field '{name}'")


@dataclass(frozen=True)
class Catalogue:
    version: str
    source: str
    updated: date
    common_fields: tuple[Field, ...]
    agencies: tuple[ProvidingAgency, ...]
    kinds: tuple[SignalKind, ...]

    def kind(self, code: str) -> SignalKind:
        for k in self.kinds:
            if k.code == code:
                return k
        raise KeyError(f"unknown signal kind '{code}'")

    def agency(self, code: str) -> ProvidingAgency:
        for a in self.agencies:
            if a.code == code:
                return a
        raise KeyError(f"unknown providing agency '{code}'")

    def kinds_of(self, agency_code: str) -> tuple[SignalKind, ...]:
        return tuple(k for k in self.kinds if k.agency.code == agency_code)

    def columns_for(self, agency_code: str) -> tuple[Field, ...]:
        """The columns of one agency's file: the common fields, then each of its kinds' fields once, in catalogue
        order. A field shared by several kinds (e.g. `months_overdue`) is one column; in a row it is filled only
        if the row's kind has it. Every kind-specific column is therefore optional at file level."""
        columns = list(self.common_fields)
        seen = {f.name for f in columns}
        for kind in self.kinds_of(agency_code):
            for f in kind.fields:
                if f.name not in seen:
                    seen.add(f.name)
                    columns.append(f)
        return tuple(columns)


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and validate a catalogue (the packaged one by default; that one is read once per process)."""
    if path is None:
        return _default_catalogue()
    return _read(Path(path))


@cache
def _default_catalogue() -> Catalogue:
    return _read(DEFAULT_PATH)


def _read(path: Path) -> Catalogue:
    return parse_catalogue(read_toml(path, CatalogueError), origin=path.name)


def parse_catalogue(data: dict[str, Any], *, origin: str = "catalogue") -> Catalogue:
    """Validate a catalogue already parsed from TOML; raise CatalogueError listing every problem."""
    problems: list[str] = []
    version, source, updated = header(data, problems)
    unknown_keys(data, {"version", "source", "updated", "common", "agency", "kind"}, problems)

    raw_common = tables(data, "common", problems)
    common = tuple(f for i, raw in enumerate(raw_common) if (f := _field(raw, f"common field #{i + 1}", problems)))
    no_duplicates((f.name for f in common), "common field", problems)

    agencies: dict[str, ProvidingAgency] = {}
    for i, raw in enumerate(tables(data, "agency", problems)):
        agency = _agency(raw, f"agency #{i + 1}", problems)
        if agency is None:
            continue
        if agency.code in agencies:
            problems.append(f"agency '{agency.code}' is defined twice")
        agencies[agency.code] = agency

    kinds: list[SignalKind] = []
    common_names = {f.name for f in common}
    for i, raw in enumerate(tables(data, "kind", problems)):
        kind = _kind(raw, f"kind #{i + 1}", agencies, common_names, problems)
        if kind is not None:
            kinds.append(kind)
    no_duplicates((k.code for k in kinds), "kind", problems)
    if not kinds:
        problems.append("the catalogue defines no signal kinds")
    used = {k.agency.code for k in kinds}
    for code in agencies:
        if code not in used:
            problems.append(f"agency '{code}' provides no kind")
    _check_shared_columns(kinds, problems)

    refuse_if_any(origin, problems, CatalogueError)
    return Catalogue(
        version=version,
        source=source,
        updated=updated,
        common_fields=common,
        agencies=tuple(agencies.values()),
        kinds=tuple(kinds),
    )


def _int_or_none(raw: dict[str, Any], key: str, where: str, problems: list[str]) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"{where}: '{key}' must be an integer")
        return None
    return value


def _field(raw: dict[str, Any], where: str, problems: list[str]) -> Field | None:
    name = text(raw, "name", where, problems)
    if not name:
        return None
    where = f"{where.split(' #')[0]} '{name}'" if where.startswith("common") else f"{where}, field '{name}'"
    if not name.isidentifier() or name != name.lower():
        problems.append(f"{where}: the name must be a lower-case identifier (letters, digits, _)")
    known = {"name", "label", "type", "unit", "required", "min", "max", "choices"}
    extra = set(raw) - known
    if extra:
        problems.append(f"{where}: unknown keys {', '.join(sorted(extra))}")
    type_ = raw.get("type")
    if type_ not in FIELD_TYPES:
        problems.append(f"{where}: type must be one of {', '.join(FIELD_TYPES)} (got {type_!r})")
        return None
    required = raw.get("required", False)
    if not isinstance(required, bool):
        problems.append(f"{where}: 'required' must be true or false")
        required = False
    lo = _int_or_none(raw, "min", where, problems)
    hi = _int_or_none(raw, "max", where, problems)
    if (lo is not None or hi is not None) and type_ != "int":
        problems.append(f"{where}: min/max apply to int fields only")
    if lo is not None and hi is not None and lo > hi:
        problems.append(f"{where}: min ({lo}) is greater than max ({hi})")
    choices = raw.get("choices", [])
    if not isinstance(choices, list) or not all(isinstance(c, str) and c for c in choices):
        problems.append(f"{where}: 'choices' must be a list of non-empty strings")
        choices = []
    if choices and type_ != "str":
        problems.append(f"{where}: choices apply to str fields only")
    if len(set(choices)) != len(choices):
        problems.append(f"{where}: choices repeat a value")
    unit = raw.get("unit", "")
    if not isinstance(unit, str):
        problems.append(f"{where}: 'unit' must be a string")
        unit = ""
    label = text(raw, "label", where, problems, required=False) or name
    return Field(
        name=name, label=label, type=type_, unit=unit, required=required, min=lo, max=hi, choices=tuple(choices)
    )


def _agency(raw: dict[str, Any], where: str, problems: list[str]) -> ProvidingAgency | None:
    code = text(raw, "code", where, problems)
    if not code:
        return None
    where = f"agency '{code}'"
    if not code.isidentifier() or code != code.lower():
        problems.append(f"{where}: the code must be a lower-case identifier (it names the agency's file)")
    name = text(raw, "name", where, problems)
    fmt = raw.get("format")
    if fmt not in FORMATS:
        problems.append(f"{where}: format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    encoding = raw.get("encoding")
    if fmt == "csv" and encoding not in ENCODINGS:
        problems.append(f"{where}: a csv agency needs an encoding, one of {', '.join(ENCODINGS)} (got {encoding!r})")
    if fmt == "parquet" and encoding is not None:
        problems.append(f"{where}: parquet files have no text encoding; remove 'encoding'")
    rrn_format = raw.get("resident_number_format", "hyphen")
    if rrn_format not in RRN_FORMATS:
        problems.append(f"{where}: resident_number_format must be one of {', '.join(RRN_FORMATS)}")
    extra = set(raw) - {"code", "name", "format", "encoding", "resident_number_format"}
    if extra:
        problems.append(f"{where}: unknown keys {', '.join(sorted(extra))}")
    return ProvidingAgency(
        code=code, name=name, format=str(fmt), encoding=encoding, resident_number_format=str(rrn_format)
    )


def _kind(
    raw: dict[str, Any],
    where: str,
    agencies: dict[str, ProvidingAgency],
    common_names: set[str],
    problems: list[str],
) -> SignalKind | None:
    code = text(raw, "code", where, problems)
    if not code:
        return None
    where = f"kind '{code}'"
    if not code.isidentifier() or code != code.lower():
        problems.append(f"{where}: the code must be a lower-case identifier")
    label = text(raw, "label", where, problems)
    group = text(raw, "group", where, problems)
    agency_code = text(raw, "agency", where, problems)
    agency = agencies.get(agency_code)
    if agency_code and agency is None:
        problems.append(f"{where}: agency '{agency_code}' is not defined in [[agency]]")
    extra = set(raw) - {"code", "label", "agency", "group", "fields", "severity", "severity_field", "severity_fixed"}
    if extra:
        problems.append(f"{where}: unknown keys {', '.join(sorted(extra))}")
    raw_fields = raw.get("fields", [])
    if not isinstance(raw_fields, list) or not all(isinstance(f, dict) for f in raw_fields):
        problems.append(f"{where}: 'fields' must be a list of tables")
        raw_fields = []
    fields = tuple(f for f in (_field(r, where, problems) for r in raw_fields) if f)
    no_duplicates((f.name for f in fields), f"{where}: field", problems)
    for f in fields:
        if f.name in common_names:
            problems.append(f"{where}, field '{f.name}': clashes with a common field")
    severity = _severity(raw, where, {f.name: f for f in fields}, problems)
    if agency is None or severity is None:
        return None
    return SignalKind(code=code, label=label, agency=agency, group=group, fields=fields, severity=severity)


def _severity(raw: dict[str, Any], where: str, fields: dict[str, Field], problems: list[str]) -> Severity | None:
    fixed = raw.get("severity_fixed")
    ladder = raw.get("severity")
    field_name = raw.get("severity_field")
    if fixed is not None:
        if ladder is not None or field_name is not None:
            problems.append(f"{where}: give either severity_fixed or severity_field with severity, not both")
            return None
        if fixed not in LEVELS or isinstance(fixed, bool):
            problems.append(f"{where}: severity_fixed must be 1, 2 or 3")
            return None
        return Severity(fixed=fixed)
    if ladder is None or field_name is None:
        problems.append(f"{where}: no severity (give severity_fixed, or severity_field and severity steps)")
        return None
    field = fields.get(field_name)
    if field is None:
        problems.append(f"{where}: severity_field '{field_name}' is not one of the kind's fields")
        return None
    if field.type != "int" or not field.required or field.min is None:
        problems.append(f"{where}: severity_field '{field_name}' must be a required int field with a min")
        return None
    if not isinstance(ladder, list) or not ladder:
        problems.append(f"{where}: severity must be a non-empty list of {{ from = N, level = L }}")
        return None
    steps: list[SeverityStep] = []
    for i, step in enumerate(ladder):
        if not isinstance(step, dict) or set(step) != {"from", "level"}:
            problems.append(f"{where}: severity step #{i + 1} must be {{ from = N, level = L }}")
            return None
        value, level = step["from"], step["level"]
        if isinstance(value, bool) or not isinstance(value, int) or level not in LEVELS or isinstance(level, bool):
            problems.append(f"{where}: severity step #{i + 1}: 'from' must be an integer and 'level' 1, 2 or 3")
            return None
        steps.append(SeverityStep(from_value=value, level=level))
    if any(b.from_value <= a.from_value for a, b in itertools.pairwise(steps)):
        problems.append(f"{where}: severity steps must have strictly increasing 'from' values")
    if any(b.level < a.level for a, b in itertools.pairwise(steps)):
        problems.append(f"{where}: severity levels must not decrease along the ladder")
    if steps[0].from_value > field.min:
        problems.append(
            f"{where}: the first severity step starts at {steps[0].from_value}, above the minimum {field.min} of "
            f"'{field_name}': valid rows would have no severity"
        )
    return Severity(field=field_name, steps=tuple(steps))


def _check_shared_columns(kinds: list[SignalKind], problems: list[str]) -> None:
    """Kinds of one agency share its file: a column name must mean the same type and unit in all of them."""
    by_agency: dict[str, dict[str, tuple[str, str, str]]] = {}
    for kind in kinds:
        columns = by_agency.setdefault(kind.agency.code, {})
        for f in kind.fields:
            seen = columns.setdefault(f.name, (f.type, f.unit, kind.code))
            if seen[:2] != (f.type, f.unit):
                problems.append(
                    f"kind '{kind.code}', field '{f.name}': {f.type}/{f.unit or '-'} differs from kind '{seen[2]}' "
                    f"({seen[0]}/{seen[1] or '-'}) in the same agency file '{kind.agency.code}'"
                )
