"""Excel files of personal data, written safely: every text cell neutralised against formula injection, the sheet
streamed (openpyxl's write-only mode) and never left on disk.

**Formula injection** (CSV/Excel injection). A value that starts with `=`, `+`, `-` or `@` is taken by Excel, or by
LibreOffice on editing, as a formula: a name or a note typed as `=HYPERLINK("http://…", "클릭")` becomes a link
that sends the sheet's data elsewhere, `=cmd|…` a command (DDE). A tab or a carriage return in front hides the
same in a CSV made from the sheet. Every cell that carries text from users or files goes through `text_cell`,
which stores such a value as a string (never as a formula) and marks it with Excel's "quote prefix", which is
what Excel itself does for a cell typed with a leading apostrophe: it shows the text as typed and stays text
when someone edits the cell and presses Enter. The text itself is kept as it was (a note "-3만원 체납" reads the
same), rather than prefixed with a visible apostrophe. Characters XML cannot hold (control characters a pasted
text may carry) are dropped, since openpyxl refuses them and the whole download would fail.

**Nothing on disk.** openpyxl writes each sheet's XML into a named file in the shared temporary folder before
zipping it, and a process killed in between leaves it there, readable as plain text. The sheet is written into
a `core.files.ScratchFile` under DOLBOM_HOME instead: on Linux a file without a name that disappears with the
process, elsewhere a private, locked one that `dolbom cleanup` removes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from django.conf import settings
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.worksheet import Worksheet

from dolbom.core.files import ScratchFile

# What makes a spreadsheet read a text as a formula, or hides one from the eye (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def csv_text(value: Any) -> Any:
    """A value for a CSV cell: a text a spreadsheet would read as a formula gets OWASP's leading apostrophe, which
    Excel and LibreOffice hide and which makes the cell text. A CSV has no quote-prefix style as a sheet has, so the
    apostrophe is the only way to keep it text. Full-width signs (＝1+1) are caught too: some spreadsheets fold
    them to ASCII when they read the file."""
    if not isinstance(value, str):
        return value
    if is_formula_like(value.lstrip(" ")) or is_formula_like(unicodedata.normalize("NFKC", value).lstrip(" ")):
        return "'" + value
    return value


def clean_text(text: str) -> str:
    """The text without the characters an XML file cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def text_cell(sheet: Any, value: Any, *, bold: bool = False) -> WriteOnlyCell:
    """A cell of a write-only sheet holding `value`; a text that could be read as a formula is stored as text."""
    cell = WriteOnlyCell(sheet)
    if isinstance(value, str):
        value = clean_text(value)
        cell.value = value or None  # an empty cell, not an empty string
        if is_formula_like(value):
            # openpyxl took it for a formula when it was assigned; it is a string, shown and edited as typed.
            cell.data_type = "s"
            cell.quotePrefix = True
    else:
        cell.value = value
    if bold:
        cell.font = Font(bold=True)
    return cell


@dataclass
class Sheet:
    """One sheet: title lines above a header row, then the rows. Widths in characters, one per column."""

    title: str
    heading: list[str]
    header: list[str]
    widths: list[int]
    rows: Iterable[Sequence[Any]] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)


class _ScratchWriter(WorksheetWriter):
    """openpyxl's sheet writer, writing into a scratch file of DOLBOM_HOME instead of a named file in /tmp."""

    def __init__(self, sheet: Any, scratch: ScratchFile) -> None:
        self._scratch = scratch
        super().__init__(sheet, out=str(scratch.path))

    def cleanup(self) -> None:
        self._scratch.close()


def scratch_folder() -> Path:
    return Path(settings.HOME) / "tmp" / "exports"


def write_workbook(sheet: Sheet) -> bytes:
    """The .xlsx file of one sheet, as bytes. Every text cell goes through `text_cell`."""
    book = Workbook(write_only=True)
    ws = book.create_sheet(title=sheet.title[:31])
    scratch = ScratchFile(scratch_folder(), suffix=".xml")
    try:
        for index, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = f"A{len(sheet.heading) + 2}"
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = f"{len(sheet.heading) + 1}:{len(sheet.heading) + 1}"
        # Set before the first row: the write-only sheet creates its writer (and its temporary file) only when it
        # has none, and the writer writes the columns and panes set so far at once. This relies on openpyxl's
        # internal `_writer` (pinned by uv.lock; tests/core/test_spreadsheet.py checks that nothing reaches the
        # temporary folder).
        ws._writer = _ScratchWriter(ws, scratch)
        ws._writer.write_top()
        for index, line in enumerate(sheet.heading):
            ws.append([text_cell(ws, line, bold=index == 0)])
        header = []
        fill = PatternFill("solid", fgColor="DDE4EE")
        for title in sheet.header:
            cell = text_cell(ws, title, bold=True)
            cell.fill = fill
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            ws.append([text_cell(ws, value) for value in row])
        for line in sheet.footer:
            ws.append([text_cell(ws, line, bold=True)])
        out = BytesIO()
        book.save(out)
    finally:
        scratch.close()
    return out.getvalue()
