"""Excel (.xlsx) signal files, read by calamine in a separate, capped process.

Why a separate process. An .xlsx is a zip of XML parts, and every reader has a way to be made to use memory out
of all proportion to the file: openpyxl keeps all shared strings as Python objects (a 1 MB file with 360 MB of
them took the server from 180 MB to 2 GB in three minutes); calamine, the Rust reader we use because it reads
about ten times faster, builds the first sheet as one dense grid from its first to its last cell, so a 2 KB file
with a cell in A1 and one in XFD1048576 asks for 400 GB and *aborts the process*, and so would take the whole
web server with it. The zip directory checks below stop the common bombs with a precise message, but they cannot
see a grid's shape, nor a directory that lies about sizes. So the reading happens in a child process started
for the file, with an address-space cap (`DOLBOM_SHEET_READER_MEMORY_MB`), a CPU-time cap and no core dumps, with
no secrets in its environment; it sends text columns back as an Arrow IPC stream on a pipe. Whatever the file
does, the worst case is that this child dies and the file is refused; the server's own memory does not move.

The child reads the file through a descriptor it inherits (an upload has no name on disk, see `upload`), checks
the zip directory (number of parts, each part's and the total unpacked size, and the compression ratio) before any
XML is parsed, then the sheet's height against the row limit, and streams 50 000 rows a batch.

Before calamine parses the sheet (most of the child's time), the child sends the last row the sheet's own
`<dimension>` element announces. It is only a hint, never checked against a limit, but it comes a fraction of a
second after the start: the caller can prepare for a large file meanwhile (the signal import reads the district's
residents while the sheet is parsed, see `readers.open_source`).

Rows keep their spreadsheet numbers (the header is row 1, whatever is empty), and cells become the text a person
sees: whole numbers without ".0", dates as YYYY-MM-DD.

The child is `python -I -m dolbom.core.tabular.excel FD LIMITS`: it must not import Django or anything
beyond pyarrow and calamine, so that it starts in a fraction of a second and holds nothing but the file. Its
refusals therefore cross the pipe as English msgids with their values, and the parent translates them.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import signal
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dolbom.core.processes import end_child
from dolbom.core.without_pandas import forbid_pandas

BATCH_ROWS = 50_000
MAX_PARTS = 10_000  # an Excel workbook has tens; thousands only in a file built to hurt
MAX_COLUMNS = 1_000
RATIO_FROM = 1 << 20  # tiny parts (a few KB of repeated spaces) legitimately compress more than any ratio
CPU_SECONDS = 300  # a million rows take about ten; anything longer is a file built to hurt
REFUSAL = "DOLBOM-REFUSAL "
PEAK = "DOLBOM-PEAK-KIB "
ROW_COLUMN = "__row"
ANNOUNCED = struct.Struct("<q")  # the first bytes on the pipe: the announced last row, or -1; then the Arrow stream
ANNOUNCE_HEAD = 4096  # where a sheet's <dimension> sits: after the root element and the short <sheetPr>
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]{1,3}(\d{1,7})(?::[A-Z]{1,3}(\d{1,7}))?"')
_SAFE_PART = re.compile(r"^[A-Za-z0-9_./\[\]-]{1,120}$")


def gettext_noop(message: str) -> str:
    """Mark a message for the catalogue (`makemessages` looks for this name) without translating it here: Django's
    own `gettext_noop` would import Django into the child. The parent translates (readers.ExcelSource)."""
    return message


UNREADABLE = gettext_noop("The Excel file cannot be opened (it is not an .xlsx file, or it is damaged).")


class Refused(Exception):
    """A refusal from either side of the pipe: the message (an English msgid) and the values its placeholders
    take, the kind for the audit log, and the row if any."""

    def __init__(
        self, message: str, *, kind: str, row: int | None = None, values: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message, self.values, self.kind, self.row = message, values or {}, kind, row


# ---------------------------------------------------------------------------------------------------------- checks


def _mb(size: float) -> str:
    value = size / 2**20
    return f"{value:,.0f} MB" if value >= 10 or value == int(value) else f"{value:.1f} MB"


def _part_name(name: str) -> str:
    """A part's name, if it is safe to repeat (the names are the file's own text): plain ASCII, no long digits."""
    return f" '{name}'" if _SAFE_PART.match(name) and not re.search(r"\d{6}", name) else ""


def check_package(handle: IO[bytes], limits: dict[str, Any]) -> None:
    """Refuse a zip whose directory announces more than the limits: read before any part is decompressed."""
    try:
        parts = zipfile.ZipFile(handle).infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise Refused(UNREADABLE, kind="unreadable") from exc
    if len(parts) > MAX_PARTS:
        raise Refused(
            gettext_noop("The Excel file has too many parts (%(parts)s). Save it again in Excel and upload it."),
            kind="unpacked_too_large",
            values={"parts": f"{len(parts):,}"},
        )
    total = 0
    for part in parts:
        total += part.file_size
        if part.file_size > limits["xlsx_part"]:
            raise Refused(
                gettext_noop(
                    "A part%(part)s of the Excel file unpacks to %(size)s, over the limit of %(limit)s for one part. "
                    "Split the file and upload the parts."
                ),
                kind="unpacked_too_large",
                values={
                    "part": _part_name(part.filename),
                    "size": _mb(part.file_size),
                    "limit": _mb(limits["xlsx_part"]),
                },
            )
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FROM and ratio > limits["xlsx_ratio"]:
            raise Refused(
                gettext_noop(
                    "A part%(part)s of the Excel file is compressed unusually tightly (%(ratio)s times, limit "
                    "%(limit)s times). It may be a zip bomb, so it was not opened. Save the file again in Excel, or "
                    "upload it as CSV."
                ),
                kind="unpacked_too_large",
                values={
                    "part": _part_name(part.filename),
                    "ratio": f"{ratio:,.0f}",
                    "limit": f"{limits['xlsx_ratio']:,.0f}",
                },
            )
    if total > limits["xlsx_unpacked"]:
        raise Refused(
            gettext_noop(
                "The Excel file unpacks to %(size)s, over the limit of %(limit)s. Split the file, or upload it as CSV."
            ),
            kind="unpacked_too_large",
            values={"size": _mb(total), "limit": _mb(limits["xlsx_unpacked"])},
        )


# ----------------------------------------------------------------------------------------------------------- child


def announced_last_row(handle: IO[bytes]) -> int | None:
    """The last row a workbook's only worksheet announces in its `<dimension ref="A1:H100001">`, or None (several
    worksheets, no such element near the start). Read from the first bytes of the worksheet's XML with a regular
    expression, not an XML parser: a hint for preparing, which nothing is refused on."""
    archive = zipfile.ZipFile(handle)
    sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/") and name.endswith(".xml")]
    if len(sheets) != 1:
        return None
    with archive.open(sheets[0]) as part:
        found = _DIMENSION.search(part.read(ANNOUNCE_HEAD))
    return int(found.group(2) or found.group(1)) if found else None


def cell_text(value: object) -> str | None:
    """A cell as the text a person sees: whole numbers without '.0', dates as YYYY-MM-DD, empty as None."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _column(values: tuple[Any, ...]) -> pa.Array:
    """One column of a batch as text. Arrow converts a column of strings (the common case) or of numbers in C;
    a column with any other cell (a date, a truth value, a number among text) takes `cell_text` cell by cell."""
    try:
        text = pa.array(values, pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        pass
    else:  # calamine gives an empty cell as ""
        return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    if all(type(v) is float for v in values):
        return _number_text(np.array(values, dtype=np.float64))
    return pa.array([cell_text(v) for v in values], pa.string())


def _number_text(numbers: np.ndarray) -> pa.Array:
    """Numbers as `cell_text` writes them: whole ones (exactly representable, below 2**53) through an int64 cast
    in C, the others one by one."""
    whole = (numbers == np.floor(numbers)) & (np.abs(numbers) < 2**53)
    if whole.all():
        return pa.array(numbers.astype(np.int64)).cast(pa.string())
    return pa.array([cell_text(v) for v in numbers.tolist()], pa.string())


def _cap_resources(memory: int) -> None:
    import resource

    # RLIMIT_AS counts address space that is only reserved (allocator arenas, thread stacks) and would refuse a
    # small file; RLIMIT_DATA counts what the process actually maps for data, which is what a bomb inflates.
    resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash must not write the sheet's cells to a core file


def _child(fd: int, limits: dict[str, Any], out: IO[bytes]) -> None:
    with os.fdopen(fd, "rb") as handle:
        check_package(handle, limits)
        handle.seek(0)
        try:
            announced = announced_last_row(handle)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error):  # calamine below names a damaged file
            announced = None
        out.write(ANNOUNCED.pack(-1 if announced is None else announced))
        out.flush()
        handle.seek(0)
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(handle).get_sheet_by_index(0)
        except MemoryError:
            raise
        except Exception as exc:  # calamine's errors: zip, XML, or a workbook without sheets
            raise Refused(UNREADABLE, kind="unreadable") from exc
    start = sheet.start
    if start is None:
        raise Refused(gettext_noop("The file is empty (the first sheet has no header row)."), kind="empty", row=1)
    first_row, first_col = start
    rows_after_header = sheet.height - (1 if first_row == 0 else 0)
    if rows_after_header > limits["max_rows"]:
        raise Refused(
            gettext_noop(
                "The file has too many rows: its first sheet runs to row %(last)s, and one file may hold up to "
                "%(limit)s rows. Split the file or ask the system administrator to raise the limit."
            ),
            kind="too_many_rows",
            values={"last": f"{first_row + sheet.height:,}", "limit": f"{limits['max_rows']:,}"},
        )
    if first_col + sheet.width > MAX_COLUMNS:
        raise Refused(
            gettext_noop(
                "The file has too many columns (%(columns)s). A crisis-signal file may have up to %(limit)s columns."
            ),
            kind="unreadable",
            row=1,
            values={"columns": f"{first_col + sheet.width:,}", "limit": f"{MAX_COLUMNS:,}"},
        )
    pad = [""] * first_col  # calamine starts each row at the first used column; the header starts at column A
    rows = sheet.iter_rows()  # from row 1, empty rows included
    header = [cell_text(v) or "" for v in [*pad, *next(rows, [])]]
    while header and not header[-1]:
        header.pop()  # formatted but empty cells at the right of the header are not columns
    width = len(header)
    # The sheet's last row (calamine's range, which the rows below run through to its end), so that the parent can
    # say how far through the sheet a batch is: an import job's bar moves while the rows are checked.
    last_row = first_row + sheet.height
    schema = pa.schema(
        [pa.field(f"c{i}", pa.string()) for i in range(width)] + [pa.field(ROW_COLUMN, pa.int64())],
        metadata={"header": json.dumps(header, ensure_ascii=False), "last_row": str(last_row)},
    )
    batch_rows = int(limits.get("batch_rows", BATCH_ROWS))  # smaller in a test that watches the bar move
    with pa.ipc.new_stream(out, schema) as writer:
        number = 2
        # A batch's cells are turned into columns as a whole (a row is a list of sheet.width cells, from the first
        # used column), not row by row: the child's own work on a 100,000-row sheet went from ~0.55 to ~0.38 s, the
        # rest being calamine's parsing.
        while chunk := list(itertools.islice(rows, batch_rows)):
            empty = pa.nulls(len(chunk), pa.string())
            used = itertools.islice(zip(*chunk, strict=True), max(width - first_col, 0))
            columns = [empty] * min(first_col, width) + [_column(cells) for cells in used]
            columns += [empty] * (width - len(columns))
            numbers = pa.array(np.arange(number, number + len(chunk), dtype=np.int64))
            number += len(chunk)
            # Empty rows (often trailing, formatted but blank) are not records; a row of zeros is one.
            if not columns:
                continue
            blank = functools.reduce(pc.and_kleene, [pc.is_null(c) for c in columns])
            batch = pa.RecordBatch.from_arrays([*columns, numbers], schema=schema)
            if pc.any(blank).as_py():
                batch = batch.filter(pc.invert(blank))
            if batch.num_rows:
                writer.write_batch(batch)


def main(argv: list[str]) -> int:
    fd, limits = int(argv[0]), json.loads(argv[1])
    forbid_pandas()
    _cap_resources(limits["sheet_memory"])
    try:
        _child(fd, limits, sys.stdout.buffer)
    except Refused as refused:
        refusal = {"message": refused.message, "values": refused.values, "kind": refused.kind, "row": refused.row}
        sys.stderr.write(REFUSAL + json.dumps(refusal))
        sys.stderr.write("\n")
        return 3
    except MemoryError:
        return 4
    # The child's own high-water mark (VmHWM starts afresh at exec; getrusage would count the parent it forked from).
    status = Path("/proc/self/status")
    found = re.search(r"^VmHWM:\s+(\d+) kB", status.read_text(), re.M) if status.exists() else None
    if found:
        sys.stderr.write(f"{PEAK}{found.group(1)}\n")
    return 0


# ---------------------------------------------------------------------------------------------------------- parent


class SheetReader:
    """The parent's end: start the child on an open file, read the header, then batches of text columns."""

    def __init__(
        self,
        handle: IO[bytes],
        limits: dict[str, Any],
        *,
        errors: IO[bytes],
        on_announced: Callable[[int], None] | None = None,
    ) -> None:
        """Start the child and wait for the sheet's header; `on_announced` is called, before that wait, with the
        data rows the sheet announces (see the module's docstring), if it announces any."""
        self._errors = errors
        self._memory = limits["sheet_memory"]
        fd = handle.fileno()
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-I", "-m", __name__, str(fd), json.dumps(limits)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            pass_fds=(fd,),
            # Nothing from the server's environment: the keys have no business in a process parsing a stranger's
            # file. The child needs only its interpreter and packages, which -I finds from sys.executable.
            env={"LANG": "C.UTF-8", "RUST_BACKTRACE": "0"},
        )
        try:
            self._stream = self._open_stream(on_announced)
        except BaseException:  # a refusal, or the caller's preparation failing: the child must not outlive us
            self.close()
            raise
        metadata = self._stream.schema.metadata or {}
        self.header: list[str] = json.loads(metadata.get(b"header", b"[]"))
        self.last_row = int(metadata.get(b"last_row", b"0"))
        self.reached = 1  # the spreadsheet row of the last record handed over (the header is row 1)

    def _open_stream(self, on_announced: Callable[[int], None] | None) -> pa.ipc.RecordBatchStreamReader:
        assert self._process.stdout is not None
        announced = self._process.stdout.read(ANNOUNCED.size)
        if len(announced) < ANNOUNCED.size:  # the child refused the zip, or died, before reading the sheet
            raise self._failure()
        (last_row,) = ANNOUNCED.unpack(announced)
        if on_announced is not None and last_row > 1:
            on_announced(last_row - 1)
        try:
            return pa.ipc.open_stream(self._process.stdout)
        except (pa.ArrowInvalid, OSError):
            raise self._failure() from None

    def batches(self) -> Iterator[tuple[pa.Table, np.ndarray]]:
        try:
            for batch in self._stream:
                table = pa.Table.from_batches([batch])
                rows = table.column(ROW_COLUMN).to_numpy()
                if len(rows):
                    self.reached = int(rows[-1])
                yield table.drop_columns([ROW_COLUMN]).rename_columns(self.header), rows
        except (pa.ArrowInvalid, OSError):
            raise self._failure() from None
        if self._process.wait() != 0:
            raise self._failure()

    def share_read(self) -> float | None:
        """How far through the sheet the batches so far reached (0..1), by row number; None if the sheet's end is
        unknown."""
        return min(1.0, self.reached / self.last_row) if self.last_row > 1 else None

    def _failure(self) -> Refused:
        """Why the child stopped: its own refusal, or the cap that ended it."""
        try:
            code = self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            code = self._process.wait()
        self._errors.seek(0)
        for line in self._errors.read().decode("utf-8", "replace").splitlines():
            if line.startswith(REFUSAL):
                found = json.loads(line[len(REFUSAL) :])
                return Refused(found["message"], values=found["values"], kind=found["kind"], row=found["row"])
        if code == -signal.SIGXCPU:
            return Refused(
                gettext_noop(
                    "Reading the Excel file took longer than allowed (%(seconds)s seconds). Split the file, or upload "
                    "it as CSV."
                ),
                kind="reader_limit",
                values={"seconds": str(CPU_SECONDS)},
            )
        return Refused(
            gettext_noop(
                "Reading the Excel file needed more memory than allowed (%(limit)s), or the file is damaged. Check "
                "that no cell far outside the data (e.g. XFD1048576) is filled in on the sheet, and split the file or "
                "upload it as CSV."
            ),
            kind="reader_limit",
            values={"limit": _mb(self._memory)},
        )

    def peak_kib(self) -> int | None:
        """The child's peak resident memory, once it has finished (for benchmarks and the logs)."""
        self._errors.seek(0)
        for line in self._errors.read().decode("utf-8", "replace").splitlines():
            if line.startswith(PEAK):
                return int(line[len(PEAK) :])
        return None

    def close(self) -> None:
        end_child(self._process)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
