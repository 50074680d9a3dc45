"""Deterministic file writers: the same tables always give the same bytes.

Parquet written by pyarrow carries no timestamp; what could vary is the writer version string and the row-group
layout, so every option is pinned here and row groups follow the generator's fixed chunks. CSV files are written
by Arrow (UTF-8) and transcoded when an agency delivers another encoding.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
    "store_schema": True,
}


class ParquetSink:
    """One Parquet file written in row groups, one per write."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.schema = schema.remove_metadata()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(path, self.schema, **PARQUET_OPTIONS)
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self._writer.write_table(table.select(self.schema.names).cast(self.schema))
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()


class CsvSink:
    """One CSV file appended chunk by chunk: header once, then rows, in the agency's encoding."""

    def __init__(self, path: Path, schema: pa.Schema, encoding: str) -> None:
        self.path = path
        self.schema = schema.remove_metadata()
        self.encoding = encoding
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("wb")
        self._header_written = False
        self.rows = 0
        if encoding == "utf-8-sig":
            self._file.write("\ufeff".encode())

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0 and self._header_written:
            return
        buffer = io.BytesIO()
        options = pacsv.WriteOptions(include_header=not self._header_written, quoting_style="needed")
        pacsv.write_csv(table.select(self.schema.names).cast(self.schema), buffer, write_options=options)
        data = buffer.getvalue()
        if self.encoding == "cp949":
            # Strict: a character CP949 cannot hold must fail here, not turn into '?' in an agency file.
            data = data.decode("utf-8").encode("cp949")
        self._file.write(data)
        self._header_written = True
        self.rows += table.num_rows

    def close(self) -> None:
        if not self._header_written:
            self.write(self.schema.empty_table())
        self._file.close()


def write_table(path: Path, table: pa.Table) -> int:
    sink = ParquetSink(path, table.schema)
    sink.write(table)
    sink.close()
    return table.num_rows


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
