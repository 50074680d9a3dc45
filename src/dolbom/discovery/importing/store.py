"""Columnar storage of imported signals: one Parquet file per imported file, under DOLBOM_HOME/signals/<period>/.

The schema (see docs/signal-storage.md) is fixed by the catalogue: identity and matching columns first, then one
typed column for every field of every kind in the catalogue, null where a row's kind lacks the field. Every file
therefore has the same columns for a given catalogue version, and DuckDB can read a period's files in one
`read_parquet([...], union_by_name = true)` even across catalogue versions.

Writing happens in two steps so that the database transaction stays short. While the file is validated, its rows go
to a staging file (Arrow IPC, quick to write and to read back). Once the file is accepted, inside the transaction
that creates its `SignalFile` row, the staging file is rewritten as Parquet with that row's id in `signal_file_id`
and moved into place; if anything fails, the Parquet is removed and the row is rolled back. Resident numbers and
names are never written: only the keyed hash of the number.

Nothing is left behind by a crash, and nothing is readable by other users: the staging file has no name (it
lives only as long as the process that writes it); the Parquet is written under a temporary `.part` name that
its writer holds locked, through the rename and until the row is committed, so that `leftovers` can tell a file
being committed right now from one abandoned by a killed process. Files are 0600, folders 0700 (core.files).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings

from dolbom.core.files import LockedFile, ScratchFile, private_dir
from dolbom.discovery.catalogue import Catalogue
from dolbom.discovery.importing.validate import Validated
from dolbom.discovery.models import SignalFile

SCHEMA_VERSION = "1"
ARROW_TYPES = {"int": pa.int64(), "date": pa.date32(), "str": pa.string()}
# zstd level 1 and dictionaries only where values repeat (kind, choice columns): dictionary attempts on unique
# columns such as rrn_hash cost more than they save, and this write happens inside the import's transaction.
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 1,
    "write_statistics": True,
    "version": "2.6",
}

IDENTITY_COLUMNS = ("signal_file_id", "record_id", "kind", "person_id", "rrn_hash", "observed_on")


def field_types(catalogue: Catalogue) -> dict[str, str]:
    """Every kind-specific field of the catalogue, in catalogue order, with its type."""
    types: dict[str, str] = {}
    for kind in catalogue.kinds:
        for f in kind.fields:
            known = types.setdefault(f.name, f.type)
            if known != f.type:
                raise ValueError(f"catalogue field '{f.name}' is {known} in one kind and {f.type} in '{kind.code}'")
    return types


def storage_schema(catalogue: Catalogue) -> pa.Schema:
    """The schema of every stored signal file (documented in docs/signal-storage.md)."""
    columns = [
        pa.field("signal_file_id", pa.int64(), nullable=False),
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("person_id", pa.int64()),
        pa.field("rrn_hash", pa.string(), nullable=False),
        pa.field("observed_on", pa.date32(), nullable=False),
    ]
    columns += [pa.field(name, ARROW_TYPES[type_]) for name, type_ in field_types(catalogue).items()]
    return pa.schema(columns)


def staging_schema(catalogue: Catalogue) -> pa.Schema:
    schema = storage_schema(catalogue)
    return schema.remove(schema.get_field_index("signal_file_id"))


def signals_root() -> Path:
    return Path(settings.HOME) / "signals"


def staging_dir() -> Path:
    """Where rows are staged: inside DOLBOM_HOME, on the disk of the final files, for this user only."""
    return private_dir(signals_root() / ".staging")


def relative_path(district_code: str, period: str, sha256: str) -> str:
    """`SignalFile.storage_path`: relative to DOLBOM_HOME, so that a restored or moved home keeps working. Per
    district, since two districts may import the same bytes."""
    return f"signals/{district_code}/{period}/{sha256[:16]}.parquet"


def under_home(relative: str) -> Path:
    return Path(settings.HOME) / relative


def parquet_path(signal_file: Any) -> Path:
    """The Parquet file of a committed `SignalFile` row."""
    return under_home(signal_file.storage_path)


def committed_paths(district_code: str, period: str) -> list[Path]:
    """The Parquet files of every committed import of a district's period that stands (not withdrawn), oldest
    first: what its round reads."""
    files = SignalFile.objects.filter(district_id=district_code, period=period, withdrawn_at__isnull=True)
    files = files.order_by("imported_at", "pk")
    return [parquet_path(f) for f in files]


class StagingWriter:
    """Accepted rows of one file, batch by batch, in an Arrow IPC file under the staging folder. The file has no
    name (core.files.ScratchFile): `path` reopens it while this writer lives, and a crash leaves nothing."""

    def __init__(self, catalogue: Catalogue, directory: Path) -> None:
        self.schema = staging_schema(catalogue)
        self._scratch = ScratchFile(directory, suffix=".arrow")
        self._sink = self._scratch.file
        self.path = self._scratch.path
        options = pa.ipc.IpcWriteOptions(compression="lz4")
        self._writer: pa.ipc.RecordBatchFileWriter | None = pa.ipc.new_file(self._sink, self.schema, options=options)
        self.rows = 0

    def write(self, rows: Validated, rrn_hash: pa.Array, person_id: pa.Array) -> None:
        n = len(rows)
        if n == 0 or self._writer is None:
            return
        given = {
            "record_id": rows.record_id,
            "kind": rows.kind,
            "person_id": person_id,
            "rrn_hash": rrn_hash,
            "observed_on": rows.observed_on,
            **rows.fields,
        }
        arrays = []
        for f in self.schema:
            value = given.get(f.name)
            arrays.append(pa.nulls(n, f.type) if value is None else value.cast(f.type))
        self._writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=self.schema))
        self.rows += n

    def close(self) -> None:
        """Finish the file; it stays readable through `path` until `discard`."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._sink.flush()

    def discard(self) -> None:
        try:
            self.close()
        finally:
            self._scratch.close()


PART_SUFFIX = ".part"


def publish(
    staging: Path, final: Path, *, catalogue: Catalogue, signal_file_id: int, metadata: dict[str, str]
) -> LockedFile:
    """Write the staged rows as the final Parquet, with `signal_file_id`, atomically (temporary name, then rename).
    Raises on any failure, leaving no file at `final`.

    Returns the lock on the final file: release it once its `SignalFile` row is committed (or the file removed),
    never before, or `dolbom cleanup` running beside this process would take the file for an orphan."""
    schema = storage_schema(catalogue).with_metadata(
        {"dolbom.signals.schema": SCHEMA_VERSION, **{f"dolbom.{k}": v for k, v in metadata.items()}}
    )
    private_dir(final.parent.parent)
    private_dir(final.parent)
    part = final.with_name(f".{final.name}.{secrets.token_hex(4)}{PART_SUFFIX}")
    repeating = [f.name for f in schema if f.name not in IDENTITY_COLUMNS and pa.types.is_string(f.type)]
    options = {**PARQUET_OPTIONS, "use_dictionary": ["kind", *repeating]}
    # Created empty, private and locked here; Arrow then opens the same (existing) file by name and truncates it,
    # which keeps its mode and our lock, and writes with its own native file rather than through Python.
    lock = LockedFile.create(part)
    try:
        with pa.memory_map(str(staging)) as source, pq.ParquetWriter(part, schema, **options) as writer:
            reader = pa.ipc.open_file(source)
            for i in range(reader.num_record_batches):
                batch = reader.get_batch(i)
                ids = pa.array(np.full(batch.num_rows, signal_file_id, dtype=np.int64))
                writer.write_batch(pa.RecordBatch.from_arrays([ids, *batch.columns], schema=schema))
        os.replace(part, final)
        lock.path = final
    except BaseException:
        part.unlink(missing_ok=True)
        lock.release()
        raise
    return lock
