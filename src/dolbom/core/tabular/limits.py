"""How big a signal file may be, in every sense that costs the server memory, disk or time.

One upload must not be able to take the service down for everyone, so every file is bounded before the expensive
work: its size per format (while the upload is received, and again by the import for files given to the command
line), its rows, and what it unpacks to (Excel parts, Parquet row groups) as far as the file's own directory or
metadata can tell before anything is decompressed. The Excel reader, whose memory grows with the sheet whatever
the checks say, runs in a separate process with its own memory cap (see `excel`).

The values come from the DOLBOM_* settings listed at the top of settings.py and explained in docs/operations.md.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dolbom.core.files import one_of_slots

# Room for the form's other fields and the multipart framing around the file, in the request ceiling.
FORM_OVERHEAD = 1 << 20
FORMAT_LABELS = {
    "csv": gettext_lazy("CSV files"),
    "xlsx": gettext_lazy("Excel (.xlsx) files"),
    "parquet": gettext_lazy("Parquet files"),
}


def megabytes(size: int) -> str:
    """A size as people read it in the messages: "64 MB" (2**20 bytes), "1.5 MB", never "0 MB"."""
    value = size / 2**20
    if value >= 10 or value == int(value):
        return f"{value:,.0f} MB"
    return f"{value:.1f} MB"


@dataclass(frozen=True)
class Limits:
    max_bytes: dict[str, int]
    max_rows: int
    xlsx_unpacked: int
    xlsx_part: int
    xlsx_ratio: float
    parquet_row_group: int
    sheet_memory: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_bytes=dict(settings.SIGNAL_MAX_BYTES),
            max_rows=settings.SIGNAL_MAX_ROWS,
            xlsx_unpacked=settings.XLSX_MAX_UNPACKED_BYTES,
            xlsx_part=settings.XLSX_MAX_PART_BYTES,
            xlsx_ratio=settings.XLSX_MAX_RATIO,
            parquet_row_group=settings.PARQUET_MAX_ROW_GROUP_BYTES,
            sheet_memory=settings.SHEET_READER_MEMORY_BYTES,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def max_bytes_for(self, file_format: str) -> int:
        """The size limit of a format; an unknown format gets the smallest (it is refused anyway, unread)."""
        return self.max_bytes.get(file_format, min(self.max_bytes.values()))

    @property
    def request_ceiling(self) -> int:
        """The largest request body worth receiving at all: the largest file plus the form around it."""
        return max(self.max_bytes.values()) + FORM_OVERHEAD


@contextlib.contextmanager
def import_turn() -> Iterator[bool]:
    """Whether this import may run now: one of DOLBOM_IMPORTS_AT_ONCE turns of this machine, held until the block
    ends; False (at once, no waiting) when every turn is taken.

    Lock files (core.files.one_of_slots) in DOLBOM_HOME/locks/imports/<host> rather than rows in the database:
    the memory being protected is one machine's, while the database may serve several (and DOLBOM_HOME may be
    shared by them, hence the host's own folder); and the kernel frees a lock when its process dies, where a row
    would keep a killed import's turn until a timeout."""
    folder = Path(settings.HOME) / "locks" / "imports" / socket.gethostname()
    with one_of_slots(folder, settings.IMPORTS_AT_ONCE) as slot:
        yield slot is not None


def busy_reason() -> str:
    message = _(
        "Another file is being imported right now (%(count)s at a time on this server). Nothing of this file was "
        "kept: send it again in a moment."
    )
    return message % {"count": settings.IMPORTS_AT_ONCE}


def too_large_reason(file_format: str, limit: int, size: int | None = None) -> str:
    """The refusal, naming the limit and what to do."""
    values = {"files": FORMAT_LABELS.get(file_format) or _("Files of this format"), "limit": megabytes(limit)}
    if size is None:
        message = _(
            "The file is too large. %(files)s are accepted up to %(limit)s. Split the file, or if you need a larger "
            "one, ask the system administrator to raise the limit."
        )
    else:
        values["size"] = megabytes(size)
        message = _(
            "The file is too large (file sent: %(size)s). %(files)s are accepted up to %(limit)s. Split the file, or "
            "if you need a larger one, ask the system administrator to raise the limit."
        )
    return message % values


def too_many_rows_reason(limit: int) -> str:
    message = _(
        "The file has too many rows: one file may hold up to %(limit)s rows. Split the file or ask the system "
        "administrator to raise the limit."
    )
    return message % {"limit": f"{limit:,}"}
