"""What a screening round reads: the period's signal files and a registry snapshot, all as Parquet files.

Both engines read the same files, so a round can move from the embedded DuckDB to a Spark cluster by pointing the
cluster at the same folder. The snapshot's schemas are fixed here; `snapshot.py` writes them from the database and
`dolbom.lab.from_city` from a generated city (benchmarks and model evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from dolbom.discovery.catalogue import Catalogue, load_catalogue
from dolbom.discovery.screening.scorecard import Scorecard, load_scorecard

SNAPSHOT_SCHEMAS: dict[str, pa.Schema] = {
    # Households of the district, with the dong whose list they would go to.
    "households": pa.schema([("household_id", pa.int64()), ("dong_code", pa.string()), ("district_code", pa.string())]),
    # Memberships in force on the snapshot's date (moved-out members are not there).
    "memberships": pa.schema([("person_id", pa.int64()), ("household_id", pa.int64()), ("relationship", pa.string())]),
    "persons": pa.schema(
        [
            ("person_id", pa.int64()),
            ("birth_date", pa.date32()),
            ("sex", pa.string()),
            ("disability", pa.string()),
            ("nationality", pa.string()),
            ("date_of_death", pa.date32()),
        ]
    ),
    # Households not to be listed, one row per reason that applies (cooldown, in_care).
    "excluded": pa.schema([("household_id", pa.int64()), ("reason", pa.string())]),
    # The district's dongs and how many visits each can make this round.
    "dongs": pa.schema([("dong_code", pa.string()), ("visit_capacity", pa.int64())]),
    # Residents found now for signal rows nobody in the registry matched when their file was imported (the person
    # registered since): the row's resident-number hash and the person it belongs to.
    "late_matches": pa.schema([("rrn_hash", pa.string()), ("person_id", pa.int64())]),
}

# The leading columns of every stored signal file (docs/signal-storage.md); the catalogue's typed fields follow.
SIGNAL_BASE_SCHEMA = pa.schema(
    [
        ("signal_file_id", pa.int64()),
        ("record_id", pa.string()),
        ("kind", pa.string()),
        ("person_id", pa.int64()),
        ("rrn_hash", pa.string()),
        ("observed_on", pa.date32()),
    ]
)
ARROW_TYPES = {"int": pa.int64(), "date": pa.date32(), "str": pa.string()}


@dataclass(frozen=True)
class SignalSource:
    """One committed signal file: its SignalFile id and its Parquet file."""

    file_id: int
    path: Path


@dataclass(frozen=True)
class Snapshot:
    """The registry as of a date, as Parquet files in `folder` (one per SNAPSHOT_SCHEMAS entry)."""

    folder: Path
    as_of: date
    district_code: str
    cooldown_days: int
    rows: dict[str, int] = field(default_factory=dict)
    # More files of a relation, besides `path(name)`: the memberships and persons a second process read (snapshot.py).
    parts: dict[str, tuple[Path, ...]] = field(default_factory=dict)

    def path(self, name: str) -> Path:
        """The relation's first file (its only one, unless `parts` names more)."""
        return self.folder / f"{name}.parquet"

    def paths(self, name: str) -> list[Path]:
        """Every file of the relation."""
        return [self.path(name), *self.parts.get(name, ())]

    @property
    def processes(self) -> int:
        """How many processes read the registry's members."""
        return 2 if self.parts else 1


@dataclass(frozen=True)
class ScreeningInputs:
    snapshot: Snapshot
    signals: tuple[SignalSource, ...]
    scorecard: Scorecard
    catalogue: Catalogue
    workdir: Path  # scratch space for the engines (spill files, an empty signal file when there is none)

    @property
    def as_of(self) -> date:
        return self.snapshot.as_of

    @property
    def signal_file_ids(self) -> tuple[int, ...]:
        return tuple(sorted({s.file_id for s in self.signals}))

    def signal_paths(self) -> list[Path]:
        """The period's files; when there are none, one empty file of the base schema, so that the SQL runs
        unchanged and finds nothing."""
        if self.signals:
            return sorted({s.path for s in self.signals})
        empty = self.workdir / "no-signals.parquet"
        if not empty.exists():
            self.workdir.mkdir(parents=True, exist_ok=True)
            pq.write_table(SIGNAL_BASE_SCHEMA.empty_table(), empty)
        return [empty]

    @property
    def has_late_matches(self) -> bool:
        """Whether the snapshot found residents for signal rows unmatched at import."""
        return pq.ParquetFile(self.snapshot.path("late_matches")).metadata.num_rows > 0

    def signal_columns(self) -> dict[str, pa.DataType]:
        """The union of the signal files' columns (files of different agencies carry different fields)."""
        columns: dict[str, pa.DataType] = {}
        for path in self.signal_paths():
            for f in pq.read_schema(path):
                columns.setdefault(f.name, f.type)
        return columns


def make_inputs(
    snapshot: Snapshot,
    signals: list[SignalSource] | tuple[SignalSource, ...],
    *,
    workdir: Path,
    scorecard: Scorecard | None = None,
    catalogue: Catalogue | None = None,
) -> ScreeningInputs:
    return ScreeningInputs(
        snapshot=snapshot,
        signals=tuple(signals),
        scorecard=scorecard or load_scorecard(),
        catalogue=catalogue or load_catalogue(),
        workdir=Path(workdir),
    )


def write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")
