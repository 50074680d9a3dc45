"""Files built to hurt the importer: zip-bomb and far-cell workbooks, a Parquet whose rows unpack to far more than
its metadata says, CSV with one endless line, and a valid CSV large enough to kill an import half-way. Imported by
the test modules and the upload benchmark; it holds no tests itself."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def write_workbook(
    path: Path, sheet_data: bytes, shared: bytes = b"", shared_count: int = 0, *, dimension: str = ""
) -> Path:
    """A minimal .xlsx (one sheet, shared strings) from raw XML, as Excel lays it out; `dimension` is the sheet's
    used range as Excel writes it before the data ("A1:H100001"), left out if empty."""
    extent = f'<dimension ref="{dimension}"/>' if dimension else ""
    root = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}">{extent}'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _RELS)
        package.writestr("xl/workbook.xml", _WORKBOOK)
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        package.writestr(
            "xl/worksheets/sheet1.xml",
            f"{root}<sheetData>".encode() + sheet_data + b"</sheetData></worksheet>",
        )
        head = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{_MAIN}" '
        head += f'count="{shared_count}" uniqueCount="{shared_count}">'
        package.writestr("xl/sharedStrings.xml", head.encode() + shared + b"</sst>")
    return path


def inline_row(number: int, values: list[str]) -> bytes:
    cells = "".join(f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'.encode()


def zip_bomb_xlsx(path: Path, *, unpacked_mb: int = 360) -> Path:
    """The attack of the security review: about 1 MB on disk, `unpacked_mb` of short shared strings inside (one
    Python object each for openpyxl)."""
    item = b"<si><t>" + b"A" * 20 + b"</t></si>"
    count = (unpacked_mb << 20) // len(item)
    header = inline_row(1, ["record_id", "kind", "resident_number", "name", "observed_on"])
    return write_workbook(path, header + b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>', item * count, count)


def far_cell_xlsx(path: Path) -> Path:
    """Two cells, A1 and XFD1048576: 2 KB on disk, a 17-billion-cell grid for a reader that builds the sheet
    densely (calamine asks for 400 GB and aborts its process)."""
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return write_workbook(path, inline_row(1, ["record_id"]) + far)


def long_line_csv(path: Path, *, megabytes: int = 64) -> Path:
    """A header, then one row whose name field never ends."""
    with path.open("wb") as handle:
        handle.write(b"record_id,kind,resident_number,name,observed_on,months_overdue,amount_overdue,carrier\n")
        handle.write(b"KTOA-1,telecom_arrears,900101-1234567,")
        block = b"x" * (1 << 20)
        for _ in range(megabytes):
            handle.write(block)
        handle.write(b",2026-09-01,3,100000,SKT\n")
    return path


def long_header_csv(path: Path, *, megabytes: int = 64) -> Path:
    """A file whose first line (the header) never ends."""
    with path.open("wb") as handle:
        block = b"y" * (1 << 20)
        for _ in range(megabytes):
            handle.write(block)
        handle.write(b"\nA\n")
    return path


def nhis_parquet_with_long_values(path: Path, *, rows: int, value_bytes: int, dictionary: bool) -> Path:
    """Valid NHIS columns whose `insured_type` holds one very long value on every row, in one row group. As a
    dictionary the metadata counts only indices (a few KB); plain, it counts the full size, but zstd still packs
    it into a small file."""
    table = pa.table(
        {
            "record_id": pa.array([f"NHIS-{i}" for i in range(rows)]),
            "kind": pa.array(["health_insurance_arrears"] * rows),
            "resident_number": pa.array(["900101-1234567"] * rows),
            "name": pa.array(["홍길동"] * rows),
            "observed_on": pa.array(["2026-09-01"] * rows),
            "months_overdue": pa.array(np.full(rows, 3)),
            "amount_overdue": pa.array(np.full(rows, 100_000)),
            "insured_type": pa.array(["지" * (value_bytes // 3)] * rows),
        }
    )
    pq.write_table(table, path, row_group_size=rows, use_dictionary=dictionary, compression="zstd")
    return path


def valid_ktoa_csv(path: Path, *, rows: int, rrns: list[str] | None = None) -> Path:
    """A valid telecom-arrears file of `rows` rows (numbers not in any registry unless `rrns` are given), written
    by Arrow: a million rows in about a second."""
    rng = np.random.default_rng(7)
    index = np.arange(rows)
    if rrns:
        numbers = pa.array([rrns[i % len(rrns)] for i in range(rows)])
    else:
        years = rng.integers(40, 99, rows)
        serial = rng.integers(0, 999_999, rows)
        numbers = pa.array([f"{y:02d}0101-1{s:06d}" for y, s in zip(years.tolist(), serial.tolist(), strict=True)])
    table = pa.table(
        {
            "record_id": pa.array([f"KTOA-{i:08d}" for i in index.tolist()]),
            "kind": pa.array(["telecom_arrears"] * rows),
            "resident_number": numbers,
            "name": pa.array(["홍길동"] * rows),
            "observed_on": pa.array(["2026-09-15"] * rows),
            "months_overdue": pa.array((3 + index % 20).astype(str)),
            "amount_overdue": pa.array((100_000 + index % 1000).astype(str)),
            "carrier": pa.array(["SKT"] * rows),
        }
    )
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))
    return path
