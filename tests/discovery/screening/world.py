"""A hand-made district for screening tests: households, members and signals written as the round's Parquet
inputs (snapshot files and signal files in the storage schema of docs/signal-storage.md)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from dolbom.discovery.catalogue import load_catalogue
from dolbom.discovery.screening.inputs import (
    ARROW_TYPES,
    SIGNAL_BASE_SCHEMA,
    SNAPSHOT_SCHEMAS,
    ScreeningInputs,
    SignalSource,
    Snapshot,
    make_inputs,
    write_parquet,
)
from dolbom.discovery.screening.scorecard import Scorecard

AS_OF = date(2026, 11, 1)
DISTRICT = "9911000000"
DONG_A, DONG_B = "9911051000", "9911052000"
ADULT = date(1980, 5, 5)


def signal_schema() -> pa.Schema:
    """Base columns, then every typed catalogue field once (a file lacking a kind's field leaves it null)."""
    fields = list(SIGNAL_BASE_SCHEMA)
    seen = {f.name for f in fields}
    for kind in load_catalogue().kinds:
        for f in kind.fields:
            if f.name not in seen:
                seen.add(f.name)
                fields.append(pa.field(f.name, ARROW_TYPES[f.type]))
    return pa.schema(fields)


def write_signal_file(path: Path, rows: list[dict[str, Any]], schema: pa.Schema | None = None) -> None:
    schema = schema or signal_schema()
    columns = {name: [row.get(name) for row in rows] for name in schema.names}
    write_parquet(pa.table(columns, schema=schema), path)


@dataclass
class World:
    root: Path
    as_of: date = AS_OF
    capacities: dict[str, int] = field(default_factory=lambda: {DONG_A: 10, DONG_B: 10})
    households: list[tuple[int, str]] = field(default_factory=list)
    members: list[tuple[int, int, str]] = field(default_factory=list)
    persons: list[dict[str, Any]] = field(default_factory=list)
    excluded: list[tuple[int, str]] = field(default_factory=list)
    late: list[tuple[str, int]] = field(default_factory=list)  # (rrn_hash, person_id) found at the round
    signals: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # file id → rows
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _records: itertools.count = field(default_factory=lambda: itertools.count(1))

    def household(
        self, dong: str = DONG_A, *people: dict[str, Any], household_id: int | None = None
    ) -> tuple[int, list[int]]:
        """A household with the given members (dicts of birth, relationship, disability, nationality, died);
        by default one adult head."""
        household_id = household_id or 1000 + len(self.households) + 1
        self.households.append((household_id, dong))
        ids = []
        for i, person in enumerate(people or ({},)):
            person_id = household_id * 10 + i
            self.persons.append(
                {
                    "person_id": person_id,
                    "birth_date": person.get("birth", ADULT),
                    "sex": person.get("sex", "F"),
                    "disability": person.get("disability", ""),
                    "nationality": person.get("nationality", "KR"),
                    "date_of_death": person.get("died"),
                }
            )
            if not person.get("moved_out"):
                self.members.append(
                    (person_id, household_id, person.get("relationship", "head" if i == 0 else "child"))
                )
            ids.append(person_id)
        return household_id, ids

    def signal(self, person_id: int | None, kind: str, *, file_id: int = 1, **values: Any) -> None:
        row = {
            "signal_file_id": file_id,
            "record_id": f"R-{next(self._records):06d}",
            "kind": kind,
            "person_id": person_id,
            "rrn_hash": "0" * 64,
            "observed_on": self.as_of,
            **values,
        }
        self.signals.setdefault(file_id, []).append(row)

    def inputs(self, *, scorecard: Scorecard | None = None, files: list[int] | None = None) -> ScreeningInputs:
        folder = self.root / f"snapshot-{next(self._ids)}"
        tables = {
            "households": {
                "household_id": [h for h, _ in self.households],
                "dong_code": [d for _, d in self.households],
                "district_code": [DISTRICT] * len(self.households),
            },
            "memberships": {
                "person_id": [m[0] for m in self.members],
                "household_id": [m[1] for m in self.members],
                "relationship": [m[2] for m in self.members],
            },
            "persons": {name: [p[name] for p in self.persons] for name in SNAPSHOT_SCHEMAS["persons"].names},
            "excluded": {"household_id": [e[0] for e in self.excluded], "reason": [e[1] for e in self.excluded]},
            "dongs": {"dong_code": list(self.capacities), "visit_capacity": list(self.capacities.values())},
            "late_matches": {"rrn_hash": [m[0] for m in self.late], "person_id": [m[1] for m in self.late]},
        }
        for name, columns in tables.items():
            write_parquet(pa.table(columns, schema=SNAPSHOT_SCHEMAS[name]), folder / f"{name}.parquet")
        sources = []
        for file_id, rows in sorted(self.signals.items()):
            if files is not None and file_id not in files:
                continue
            path = folder / "signals" / f"{file_id}.parquet"
            write_signal_file(path, rows)
            sources.append(SignalSource(file_id, path))
        snapshot = Snapshot(folder=folder, as_of=self.as_of, district_code=DISTRICT, cooldown_days=180)
        return make_inputs(snapshot, sources, workdir=folder / "work", scorecard=scorecard)
