"""Read a signal file as batches of text columns, whatever its format, with the spreadsheet row of every row.

Every column is read as text: the validator, not the reader, decides what a bad number or date is, so it can say
which row and why; and resident numbers keep their leading zeros. CSV is read by Arrow's streaming reader, Excel by
calamine in a separate capped process (`excel`), Parquet one row group at a time: a file of millions of rows never
sits in memory whole.

Memory stays bounded whatever the file (see `limits`): the size of the file is checked before it is read, the
rows as they are read; a CSV row, the header included, longer than a block (8 MB) is refused rather than buffered;
a Parquet file's metadata (rows, uncompressed size of each row group, footer size) is checked before any data
page is read.

CSV encodings: a byte-order mark means UTF-8; otherwise the whole file is first checked as strict UTF-8, and if that
fails as strict CP949 (the Korean Windows code page many agencies still export), which Arrow then decodes as it
reads — no decoded copy of the file, with its resident numbers, is ever written to disk. A file that is neither is
refused, naming the row where the bytes stop making sense.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.conf import settings
from django.utils.translation import gettext as _

from dolbom.core.files import anonymous_file
from dolbom.core.tabular import excel
from dolbom.core.tabular.limits import Limits, megabytes, too_large_reason, too_many_rows_reason

CSV_BLOCK_BYTES = 8 << 20  # ≈ 80 k rows of a typical agency file per batch; a row may span two blocks, no more
HEADER_MAX_BYTES = 1 << 20
PARQUET_MAX_FOOTER = 16 << 20  # the metadata of a signal file is kilobytes; megabytes mean thousands of columns
MAX_COLUMNS = excel.MAX_COLUMNS
PARQUET_BATCH_ROWS = 100_000
EXCEL_BATCH_ROWS = 50_000
READ_CHUNK = 4 << 20

FORMATS_BY_SUFFIX = {
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
}
BOM = codecs.BOM_UTF8


class ReadError(Exception):
    """The file cannot be read at all; `reason` is translated and never quotes the file's content. `kind` names the
    reason for the audit log (too_large, too_many_rows, unpacked_too_large, reader_limit, format, encoding, empty,
    unreadable)."""

    def __init__(self, reason: str, *, row: int | None = None, kind: str = "unreadable") -> None:
        super().__init__(reason)
        self.reason = reason
        self.row = row
        self.kind = kind


@dataclass
class Batch:
    table: pa.Table  # text columns named as in the file's header
    rows: np.ndarray  # int64: spreadsheet row of each table row (header = 1)


# A reader calls this for a row it had to skip (wrong number of cells): row number, expected and actual cells.
BadRowHandler = Callable[[int, int, int], None]


class Source:
    file_format: str = ""
    encoding: str = ""
    header: list[str]

    def batches(self) -> Iterator[Batch]:
        raise NotImplementedError

    def share_read(self) -> float | None:
        """How much of the file the batches so far covered (0..1), for a job's progress bar; None if unknown."""
        return None

    def expected_rows(self) -> int | None:
        """How many data rows the file holds at most, known before the first batch; None if unknown."""
        return None

    def close(self) -> None:
        """Release the file."""


def file_format_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        message = _("Old Excel files (.xls) are not accepted. Save the file as .xlsx in Excel, then upload it.")
        raise ReadError(message, kind="format")
    try:
        return FORMATS_BY_SUFFIX[suffix]
    except KeyError:
        message = _(
            "This file format is not supported (%(suffix)s). Only CSV (.csv), Excel (.xlsx) and Parquet (.parquet) "
            "files are accepted."
        )
        raise ReadError(message % {"suffix": suffix or _("no extension")}, kind="format") from None


def check_size(path: Path, *, original_name: str, limits: Limits) -> None:
    """Refuse a file larger than its format's limit, before a byte of it is read."""
    file_format = file_format_of(original_name)
    size = path.stat().st_size
    if size > limits.max_bytes_for(file_format):
        raise ReadError(too_large_reason(file_format, limits.max_bytes_for(file_format), size), kind="too_large")


def open_source(
    path: Path,
    *,
    original_name: str,
    on_bad_row: BadRowHandler,
    limits: Limits | None = None,
    on_announced: Callable[[int], None] | None = None,
) -> Source:
    """Open a file for reading; raise ReadError if it cannot be read at all. A workbook's sheet is parsed before its
    header is known, in the reader's own process: `on_announced` is called meanwhile with the data rows the sheet
    announces, so that the caller can prepare for them while it waits."""
    limits = limits or Limits.from_settings()
    file_format = file_format_of(original_name)
    if file_format == "csv":
        return CsvSource(path, on_bad_row=on_bad_row, max_rows=limits.max_rows)
    if file_format == "xlsx":
        return ExcelSource(path, limits, on_announced=on_announced)
    return ParquetSource(path, limits)


# ------------------------------------------------------------------------------------------------------------- CSV


def detect_encoding(path: Path) -> str:
    """The encoding the whole file decodes in strictly: "utf-8", "utf-8-sig" (with a byte-order mark) or
    "cp949"; raise ReadError otherwise."""
    with path.open("rb") as handle:
        has_bom = handle.read(len(BOM)) == BOM
        handle.seek(0)
        failed_at = _first_invalid_utf8(handle)
    if failed_at is None:
        return "utf-8-sig" if has_bom else "utf-8"
    if has_bom:  # a byte-order mark promises UTF-8; CP949 is not a fallback for a broken UTF-8 file
        raise ReadError(_encoding_reason(failed_at), row=_row_at(path, failed_at), kind="encoding")
    with path.open("rb") as handle:
        cp949_failed_at = _first_undecodable(handle, "cp949")
    if cp949_failed_at is not None:
        # The encoding that read further is the one the file was meant to be in: point at its first bad byte.
        where = max(failed_at, cp949_failed_at)
        raise ReadError(_encoding_reason(where), row=_row_at(path, where), kind="encoding")
    return "cp949"


def _first_invalid_utf8(handle: Any) -> int | None:
    """Byte offset of the first byte that is not valid UTF-8, or None. Arrow validates each block (SIMD, about
    ten times faster than decoding it in Python); a multi-byte character cut by the block's end is carried over to
    the next block, and only a block that fails is decoded in Python, to find the exact offset."""
    offset, carry = 0, b""
    while block := handle.read(READ_CHUNK):
        data = carry + block
        cut = _complete_prefix(data)
        if not _valid_utf8(data[:cut]):
            try:
                data[:cut].decode("utf-8")
            except UnicodeDecodeError as exc:
                return offset + exc.start
        offset += cut
        carry = data[cut:]
    return offset if carry else None


def _complete_prefix(data: bytes) -> int:
    """Length of `data` without a multi-byte UTF-8 sequence left incomplete at its end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return len(data)
        if byte >= 0xC0:  # the lead byte of the last sequence: is the sequence whole?
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) if back >= need else len(data) - back
    return len(data)


def _valid_utf8(data: bytes) -> bool:
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    try:
        pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _first_undecodable(handle: Any, encoding: str) -> int | None:
    """Decode the stream strictly, block by block; return the byte offset of the first bad byte, or None."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    while True:
        block = handle.read(READ_CHUNK)
        final = not block
        try:
            decoder.decode(block, final=final)
        except UnicodeDecodeError as exc:
            return offset + max(exc.start, 0)
        if final:
            return None
        offset += len(block)


def _row_at(path: Path, offset: int) -> int:
    """The 1-based line holding byte `offset` (CSV rows rarely span lines, so this is the spreadsheet row)."""
    lines = 1
    with path.open("rb") as handle:
        remaining = offset
        while remaining > 0:
            block = handle.read(min(READ_CHUNK, remaining))
            if not block:
                break
            lines += block.count(b"\n")
            remaining -= len(block)
    return lines


def _encoding_reason(offset: int) -> str:
    message = _(
        "The character encoding is unknown: the file is neither UTF-8 nor CP949 (EUC-KR) (at byte %(offset)s). "
        "Save it as UTF-8 and upload it again."
    )
    return message % {"offset": f"{offset:,}"}


def _too_many_columns(count: int) -> ReadError:
    message = _("The file has too many columns (%(columns)s). Up to %(limit)s columns are accepted.")
    return ReadError(message % {"columns": f"{count:,}", "limit": f"{MAX_COLUMNS:,}"}, row=1)


def _parquet_unreadable() -> str:
    return _("The Parquet file cannot be opened (it is not a Parquet file, or it is damaged).")


class CsvSource(Source):
    file_format = "csv"

    def __init__(self, path: Path, *, on_bad_row: BadRowHandler, max_rows: int) -> None:
        self.encoding = detect_encoding(path)
        self._path = path
        self._size = path.stat().st_size
        self._blocks = 0
        self._on_bad_row = on_bad_row
        self._max_rows = max_rows
        self._skipped: list[int] = []
        self._reader: pacsv.CSVStreamingReader | None = None
        self._raw_header = _csv_header(path, "cp949" if self.encoding == "cp949" else "utf-8-sig")
        if len(self._raw_header) > MAX_COLUMNS:
            raise _too_many_columns(len(self._raw_header))
        self.header = [name.strip() for name in self._raw_header]

    def batches(self) -> Iterator[Batch]:
        def skip(row: pacsv.InvalidRow) -> str:
            number = row.number if row.number is not None else -1
            self._skipped.append(number)
            self._on_bad_row(number, row.expected_columns, row.actual_columns)
            return "skip"

        try:
            self._reader = reader = pacsv.open_csv(
                self._path,
                # Single-threaded, the reader knows the row number of a row it skips.
                read_options=pacsv.ReadOptions(
                    use_threads=False,
                    block_size=CSV_BLOCK_BYTES,
                    encoding="cp949" if self.encoding == "cp949" else "utf8",  # Arrow skips a UTF-8 BOM itself
                ),
                parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=skip),
                convert_options=pacsv.ConvertOptions(
                    column_types={name: pa.string() for name in self._raw_header},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            parsed = 0
            for record_batch in reader:
                n = record_batch.num_rows
                rows = _rows_after_skips(parsed, n, self._skipped)
                parsed += n
                if parsed > self._max_rows:  # stop reading: the rest of the file is not worth the time
                    raise ReadError(too_many_rows_reason(self._max_rows), kind="too_many_rows")
                table = pa.Table.from_batches([record_batch]).rename_columns(self.header)
                self._blocks += 1
                yield Batch(table, rows)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            # Arrow's message quotes the offending line, which may hold a resident number: never pass it on.
            if "straddl" in str(exc):  # a row longer than a whole block: Arrow refuses it rather than buffer it
                message = _(
                    "A row is too long (a row may be at most %(limit)s). A quotation mark is not closed, or line "
                    "breaks are missing."
                )
                raise ReadError(message % {"limit": megabytes(CSV_BLOCK_BYTES)}) from exc
            message = _("The CSV file is malformed (a quotation mark is not closed, or the format is broken).")
            raise ReadError(message) from exc
        finally:
            self._close_reader()

    def share_read(self) -> float | None:
        # Each batch is one block of the file (Arrow's own read position runs far ahead of the batches it hands
        # over, so it says nothing of the rows checked).
        return min(1.0, self._blocks * CSV_BLOCK_BYTES / self._size) if self._size else None

    def close(self) -> None:
        self._close_reader()

    def _close_reader(self) -> None:
        # Arrow's streaming reader reads ahead on its own threads. One left open when a refusal stops the import
        # half way may still be running as the interpreter exits, and then the process aborts (SIGABRT) after the
        # refusal was printed: a command that refused cleanly must exit with its own status.
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()


def _csv_header(path: Path, encoding: str) -> list[str]:
    """The first record, read from at most HEADER_MAX_BYTES: a file of one 500 MB line must not become a 500 MB
    string (and four times that once decoded)."""
    with path.open("rb") as handle:
        head = handle.read(HEADER_MAX_BYTES)
    complete = len(head) < HEADER_MAX_BYTES
    if not complete and b"\n" not in head and b"\r" not in head:
        too_long = _("The header row is too long (%(limit)s or more). Check that this is a CSV file.")
        raise ReadError(too_long % {"limit": megabytes(HEADER_MAX_BYTES)}, row=1)
    text = codecs.getincrementaldecoder(encoding)(errors="strict").decode(head, final=complete)
    try:
        header = next(csv.reader(io.StringIO(text, newline="")))
    except StopIteration:
        raise ReadError(_("The file is empty (it has no header row)."), row=1, kind="empty") from None
    except csv.Error as exc:
        raise ReadError(_("The header row cannot be read."), row=1) from exc
    return header


def _rows_after_skips(parsed: int, n: int, skipped: list[int]) -> np.ndarray:
    """Spreadsheet rows of records parsed+0 … parsed+n-1, given the rows the reader skipped so far: a record's row
    is its position plus 2 (header, 1-based) plus the skipped rows before it."""
    rows = np.arange(parsed + 2, parsed + 2 + n, dtype=np.int64)
    if not skipped:
        return rows
    skips = np.sort(np.array([s for s in skipped if s > 0], dtype=np.int64))
    shift = np.zeros(n, dtype=np.int64)
    while True:  # fixed point: skipped rows before a record push it further down
        new = np.searchsorted(skips, rows + shift, side="right")
        if np.array_equal(new, shift):
            return rows + shift
        shift = new


# ----------------------------------------------------------------------------------------------------------- Excel


class ExcelSource(Source):
    """The first sheet of a workbook, read by the capped child process of `excel` through an inherited descriptor."""

    file_format = "xlsx"
    encoding = ""

    def __init__(self, path: Path, limits: Limits, *, on_announced: Callable[[int], None] | None = None) -> None:
        self._file = path.open("rb")
        # The child's error output may quote the workbook: it goes to a nameless private file, not to a log.
        self._errors = anonymous_file(settings.FILE_UPLOAD_TEMP_DIR)
        try:
            self._reader = excel.SheetReader(
                self._file, limits.as_dict(), errors=self._errors, on_announced=on_announced
            )
        except excel.Refused as refused:
            self.close()
            raise _excel_refusal(refused) from None
        except BaseException:  # the caller's preparation failed (`on_announced`)
            self.close()
            raise
        self.header = self._reader.header

    def batches(self) -> Iterator[Batch]:
        try:
            for table, rows in self._reader.batches():
                yield Batch(table, rows)
        except excel.Refused as refused:
            raise _excel_refusal(refused) from None

    def share_read(self) -> float | None:
        # calamine knows the sheet's extent before its first row is sent: the rows reached against its last row.
        return self._reader.share_read()

    def expected_rows(self) -> int | None:
        # The sheet's extent (blank rows inside it, which are skipped, included).
        return max(self._reader.last_row - 1, 0) or None

    def close(self) -> None:
        reader = getattr(self, "_reader", None)
        if reader is not None:
            reader.close()
        self._errors.close()
        self._file.close()


def _excel_refusal(refused: excel.Refused) -> ReadError:
    """The reader's refusal in the user's language: it names its msgid (marked in `excel`) and the values."""
    return ReadError(_(refused.message) % refused.values, row=refused.row, kind=refused.kind)


# --------------------------------------------------------------------------------------------------------- Parquet


class ParquetSource(Source):
    file_format = "parquet"
    encoding = ""

    def __init__(self, path: Path, limits: Limits) -> None:
        _check_parquet_footer(path)
        try:
            schema = pq.read_schema(path)
            # Text columns are read as dictionaries: the metadata's sizes count a dictionary-encoded column as its
            # indices, so one long value repeated a million times looks small there; kept as a dictionary, its
            # unpacked size can be counted (`_unpacked_bytes`) before anything is unpacked.
            text = [f.name for f in schema if _is_text(f.type)]
            self._file = pq.ParquetFile(path, read_dictionary=text)
        except (pa.ArrowException, OSError) as exc:
            raise ReadError(_parquet_unreadable()) from exc
        _check_parquet_metadata(self._file.metadata, limits)
        self._batch_limit = limits.parquet_row_group
        self.header = [name.strip() for name in self._file.schema_arrow.names]
        for f in self._file.schema_arrow:
            if not _textual(f.type):
                message = _(
                    "Column '%(column)s' has a type that cannot be read (%(type)s). Only text, number and date "
                    "columns are accepted."
                )
                raise ReadError(message % {"column": f.name, "type": f.type}, row=1)

    _parsed = 0

    def batches(self) -> Iterator[Batch]:
        parsed = 0
        try:
            for record_batch in self._file.iter_batches(batch_size=PARQUET_BATCH_ROWS):
                n = record_batch.num_rows
                unpacked = sum(_unpacked_bytes(column) for column in record_batch.columns)
                if unpacked > self._batch_limit:
                    message = _(
                        "The %(count)s rows of the Parquet file from row %(first)s unpack to %(size)s, over the limit "
                        "of %(limit)s. Check for a column with unusually long values."
                    )
                    values = {
                        "first": f"{parsed + 2:,}",
                        "count": f"{n:,}",
                        "size": megabytes(unpacked),
                        "limit": megabytes(self._batch_limit),
                    }
                    raise ReadError(message % values, kind="unpacked_too_large")
                arrays = [_as_text(column) for column in record_batch.columns]
                self._parsed = parsed + n
                yield Batch(
                    pa.Table.from_arrays(arrays, names=self.header),
                    np.arange(parsed + 2, parsed + 2 + n, dtype=np.int64),
                )
                parsed += n
        except (pa.ArrowException, OSError) as exc:
            raise ReadError(_("The Parquet file cannot be read to the end (it is damaged).")) from exc

    def share_read(self) -> float | None:
        total = self._file.metadata.num_rows
        return min(1.0, self._parsed / total) if total else None

    def expected_rows(self) -> int | None:
        return self._file.metadata.num_rows

    def close(self) -> None:
        self._file.close()


def _is_text(t: pa.DataType) -> bool:
    return any(
        check(t)
        for check in (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary, pa.types.is_large_binary)
    )


def _unpacked_bytes(column: pa.Array) -> int:
    """What a column takes once its dictionary is unpacked: the length of the value each row points to."""
    if pa.types.is_dictionary(column.type) and len(column):
        lengths = pc.binary_length(column.dictionary.cast(pa.binary()))
        return int(pc.sum(pc.take(lengths, column.indices)).as_py() or 0)
    return column.nbytes


def _check_parquet_footer(path: Path) -> None:
    """The footer's length, from the file's last 8 bytes (4-byte little-endian length, then b"PAR1", as the format
    defines them), before Arrow parses the footer into memory."""
    with path.open("rb") as handle:
        handle.seek(0, io.SEEK_END)
        if handle.tell() < 12:
            raise ReadError(_parquet_unreadable())
        handle.seek(-8, io.SEEK_END)
        trailer = handle.read(8)
    if trailer[4:] == b"PAR1" and int.from_bytes(trailer[:4], "little") > PARQUET_MAX_FOOTER:
        message = _(
            "The Parquet file's metadata is too large (%(size)s). Save it again with only the columns of the "
            "crisis-signal file."
        )
        raise ReadError(message % {"size": megabytes(int.from_bytes(trailer[:4], "little"))}, kind="unpacked_too_large")


def _check_parquet_metadata(metadata: pq.FileMetaData, limits: Limits) -> None:
    """Rows and the uncompressed size of each row group, as the file declares them, before any page is read."""
    if metadata.num_columns > MAX_COLUMNS:
        raise _too_many_columns(metadata.num_columns)
    if metadata.num_rows > limits.max_rows:
        raise ReadError(too_many_rows_reason(limits.max_rows), kind="too_many_rows")
    for i in range(metadata.num_row_groups):
        group = metadata.row_group(i)
        unpacked = max(
            group.total_byte_size, sum(group.column(j).total_uncompressed_size for j in range(group.num_columns))
        )
        if unpacked > limits.parquet_row_group:
            message = _(
                "Row group %(group)s of the Parquet file unpacks to %(size)s, over the limit of %(limit)s. Save the "
                "file again in smaller row groups (e.g. 100,000 rows)."
            )
            values = {"group": i + 1, "size": megabytes(unpacked), "limit": megabytes(limits.parquet_row_group)}
            raise ReadError(message % values, kind="unpacked_too_large")


def _textual(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _textual(t.value_type)
    return (
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_date(t)
        or pa.types.is_timestamp(t)
        or pa.types.is_boolean(t)
        or pa.types.is_null(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
    )


def _as_text(column: pa.Array) -> pa.Array:
    """A typed Parquet column as the text a CSV would have held."""
    t = column.type
    if pa.types.is_dictionary(t):
        column = column.dictionary_decode()
        t = column.type
    if pa.types.is_floating(t):
        # Writers such as pandas turn integer columns with gaps into floats: 3.0 is the integer 3.
        whole = pc.all(pc.or_kleene(pc.is_null(column), pc.equal(pc.floor(column), column))).as_py()
        if whole is not False:
            try:
                return pc.cast(pc.cast(column, pa.int64()), pa.string())
            except pa.ArrowInvalid:
                pass
    if pa.types.is_timestamp(t):
        text = pc.cast(column, pa.string())
        return pc.replace_substring_regex(text, r"[ T]00:00:00(\.0+)?Z?$", "")
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        try:
            return pc.cast(column, pa.string())
        except pa.ArrowInvalid as exc:
            raise ReadError(_("The Parquet file has a text column that is not UTF-8.")) from exc
    return pc.cast(column, pa.string())
