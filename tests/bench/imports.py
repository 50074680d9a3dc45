"""Reading Excel signal files: the capped calamine reader against the openpyxl read-only reader it replaced,
measured side by side in one run on the same workbook, with the reader process's peak memory."""

from __future__ import annotations

import resource
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np

from dolbom.core.tabular import readers
from tests.bench.report import Section
from tests.discovery.hostile_files import write_workbook

HEADER = ["record_id", "kind", "resident_number", "name", "observed_on", "lost_on", "reason", "months_insured"]


def agency_workbook(path: Path, rows: int) -> Path:
    """A job-loss file as Excel writes it: text in shared strings (one per distinct value), numbers inline."""
    rng = np.random.default_rng(3)
    shared: dict[str, int] = {}

    def s(text: str) -> int:
        return shared.setdefault(text, len(shared))

    def cell(ref: str, text: str) -> str:
        return f'<c r="{ref}" t="s"><v>{s(text)}</v></c>'

    lines = ['<row r="1">' + "".join(cell(f"{chr(65 + i)}1", h) for i, h in enumerate(HEADER)) + "</row>"]
    years, serials = rng.integers(40, 99, rows).tolist(), rng.integers(0, 999_999, rows).tolist()
    days, months = rng.integers(1, 29, rows).tolist(), rng.integers(1, 120, rows).tolist()
    for i in range(rows):
        n = i + 2
        values = [
            f"KEIS-{i:07d}", "job_loss", f"{years[i]:02d}0101-1{serials[i]:06d}", "김철수",
            f"2026-09-{days[i]:02d}", f"2026-08-{days[i]:02d}", "권고사직",
        ]  # fmt: skip
        cells = "".join(cell(f"{chr(65 + j)}{n}", v) for j, v in enumerate(values))
        lines.append(f'<row r="{n}">{cells}<c r="H{n}"><v>{months[i]}</v></c></row>')
    items = "".join(f"<si><t>{text}</t></si>" for text in shared)
    return write_workbook(path, "".join(lines).encode(), items.encode(), len(shared))


def _openpyxl_rows(path: Path) -> int:
    """The reader as it was: openpyxl read-only, one Python call per cell."""
    import openpyxl

    def text(value: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = book.worksheets[0].iter_rows(values_only=True)
    width = len(next(rows))
    count = 0
    columns: list[list[str | None]] = [[] for _ in range(width)]
    for values in rows:
        cells = [text(v) for v in values[:width]]
        if any(cells):
            for column, value in zip(columns, cells, strict=False):
                column.append(value)
            count += 1
    book.close()
    return count


def _calamine_rows(path: Path) -> tuple[int, float]:
    """Rows read, and the reading process's peak resident memory in MiB."""
    source = readers.open_source(path, original_name="keis.xlsx", on_bad_row=lambda *_: None)
    try:
        rows = sum(batch.table.num_rows for batch in source.batches())
        return rows, (source._reader.peak_kib() or 0) / 1024  # type: ignore[attr-defined]
    finally:
        source.close()


def run(home: Path, *, quick: bool) -> Section:
    rows = 20_000 if quick else 200_000
    path = agency_workbook(home / "keis.xlsx", rows)
    section = Section(
        title=f"Reading an Excel signal file of {rows:,} rows ({path.stat().st_size / 2**20:.1f} MB)",
        command="make bench (tests/bench/imports.py)",
        header=["reader", "seconds", "rows/s", "peak RSS of the reading process (MiB)"],
    )
    started = time.perf_counter()
    assert _openpyxl_rows(path) == rows
    old = time.perf_counter() - started
    old_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    read, child_rss = _calamine_rows(path)
    new = time.perf_counter() - started
    assert read == rows
    section.rows.append(["openpyxl read-only (before)", f"{old:.1f}", f"{rows / old:,.0f}", f"{old_rss:,.0f} (bench)"])
    section.rows.append(["calamine, capped child process", f"{new:.1f}", f"{rows / new:,.0f}", f"{child_rss:,.0f}"])
    section.notes.append(
        f"Ratio before/after: {old / new:.1f}× faster. The new time includes starting the reader process and its "
        "zip-directory checks; its memory is capped by DOLBOM_SHEET_READER_MEMORY_MB. The openpyxl figure is the "
        "whole benchmark process's peak."
    )
    return section
