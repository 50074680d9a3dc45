"""The sheet reader's child turns cells into text a batch at a time; each cell must read as `cell_text` says."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tempfile
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from dolbom.core.tabular import excel

openpyxl = pytest.importorskip("openpyxl")

LIMITS = {"max_rows": 1_000, "xlsx_part": 2**30, "xlsx_unpacked": 2**30, "xlsx_ratio": 1_000, "sheet_memory": 2**31}


def _sheet(path: Path, cells: dict[str, object]) -> Path:
    book = openpyxl.Workbook()
    for ref, value in cells.items():
        book.active[ref] = value
    book.save(path)
    return path


def _read(path: Path, **limits: int) -> tuple[list[str], list[dict[str, object]]]:
    """The header and the rows the child sends for a file, each row as {"row": its sheet number, "c0": …}."""
    out = io.BytesIO()
    excel._child(os.open(path, os.O_RDONLY), {**LIMITS, **limits}, out)
    out.seek(excel.ANNOUNCED.size)  # the announced last row comes first
    with pa.ipc.open_stream(out) as stream:
        header = json.loads(stream.schema.metadata[b"header"])
        table = stream.read_all()
    return header, [{"row": r.pop(excel.ROW_COLUMN), **r} for r in table.to_pylist()]


def test_cells_read_as_a_person_sees_them_whatever_the_column_holds(tmp_path):
    cells = {"A1": "text", "B1": "number", "C1": "mixed", "D1": "date", "E1": "big"}
    column_values = {
        "A": ["가나다", "", "  x  ", "0", "end"],
        "B": [1.0, 2.5, -3.0, 0.0, 1e20],
        "C": [7.0, "seven", True, datetime(2026, 9, 1, 13, 5), None],
        "D": [date(2026, 9, 1), datetime(2026, 10, 2), None, None, date(2026, 1, 31)],
        "E": [2.0**53 + 2, 123456789012.0, 8701011182561.0, 1234.5678, 1e-7],
    }
    for column, values in column_values.items():
        for i, value in enumerate(values, start=2):
            if value not in ("", None):
                cells[f"{column}{i}"] = value
    header, rows = _read(_sheet(tmp_path / "a.xlsx", cells))
    assert header == ["text", "number", "mixed", "date", "big"]
    assert [r["c0"] for r in rows] == ["가나다", None, "  x  ", "0", "end"]
    assert [r["c1"] for r in rows] == ["1", "2.5", "-3", "0", "100000000000000000000"]
    assert [r["c2"] for r in rows] == ["7", "seven", "TRUE", "2026-09-01 13:05:00", None]
    assert [r["c3"] for r in rows] == ["2026-09-01", "2026-10-02", None, None, "2026-01-31"]
    assert [r["c4"] for r in rows] == [str(2**53 + 2), "123456789012", "8701011182561", "1234.5678", "1e-07"]
    assert [r["row"] for r in rows] == [2, 3, 4, 5, 6]


def test_blank_rows_are_skipped_and_rows_keep_their_sheet_numbers_across_batches(tmp_path):
    cells = {"A1": "id", "B1": "n", "A2": "a", "B3": 0.0, "A6": "f", "B9": "z"}
    header, rows = _read(_sheet(tmp_path / "b.xlsx", cells), batch_rows=2)
    assert header == ["id", "n"]
    assert rows == [
        {"row": 2, "c0": "a", "c1": None},
        {"row": 3, "c0": None, "c1": "0"},  # a row of zeros is a record
        {"row": 6, "c0": "f", "c1": None},
        {"row": 9, "c0": None, "c1": "z"},
    ]


def test_a_sheet_that_starts_right_of_column_a_keeps_its_columns(tmp_path):
    cells = {"B1": "id", "C1": "n", "B2": "x", "C2": 4.0, "D2": "beyond the header", "C4": 5.0}
    header, rows = _read(_sheet(tmp_path / "c.xlsx", cells))
    assert header == ["", "id", "n"]
    assert rows == [{"row": 2, "c0": None, "c1": "x", "c2": "4"}, {"row": 4, "c0": None, "c1": None, "c2": "5"}]


def test_a_header_row_left_empty_gives_no_columns_and_no_rows(tmp_path):
    header, rows = _read(_sheet(tmp_path / "d.xlsx", {"C3": "x"}))
    assert (header, rows) == ([], [])


def _announced(path: Path) -> int:
    out = io.BytesIO()
    excel._child(os.open(path, os.O_RDONLY), LIMITS, out)
    return excel.ANNOUNCED.unpack(out.getvalue()[: excel.ANNOUNCED.size])[0]


def test_the_child_announces_the_last_row_of_the_sheets_dimension_before_parsing_it(tmp_path):
    assert _announced(_sheet(tmp_path / "e.xlsx", {"A1": "id", "B1": "n", "A2": "a", "C40": 4.0})) == 40
    assert _announced(_sheet(tmp_path / "f.xlsx", {"A1": "id"})) == 1
    book = openpyxl.Workbook()
    book.active["A1"] = "id"
    book.create_sheet("other")["A900"] = "x"
    book.save(tmp_path / "g.xlsx")
    assert _announced(tmp_path / "g.xlsx") == -1  # which worksheet calamine reads first is not guessed


def test_the_parent_hears_the_announcement_before_the_header_and_stops_the_child_if_preparing_fails(
    tmp_path, monkeypatch
):
    path = _sheet(tmp_path / "h.xlsx", {"A1": "id", "A2": "a", "A7": "b"})
    heard: list[int] = []
    with path.open("rb") as handle, tempfile.TemporaryFile() as errors:
        reader = excel.SheetReader(handle, LIMITS, errors=errors, on_announced=heard.append)
        assert (heard, reader.header) == ([6], ["id"])
        reader.close()

    started: list[subprocess.Popen] = []
    popen = subprocess.Popen

    def recorded(*args, **kwargs):
        started.append(popen(*args, **kwargs))
        return started[-1]

    def fails(rows: int) -> None:
        raise RuntimeError("the database is gone")

    monkeypatch.setattr(subprocess, "Popen", recorded)
    with path.open("rb") as handle, tempfile.TemporaryFile() as errors, pytest.raises(RuntimeError):
        excel.SheetReader(handle, LIMITS, errors=errors, on_announced=fails)
    assert len(started) == 1 and started[0].returncode is not None and started[0].stdout.closed
