"""How big a signal file may be, in every sense that costs the server memory, disk or time.

One upload must not be able to take the service down for everyone, so every file is bounded before the expensive
work: its size per format (while the upload is received, and again by the import for files given to the command
line), its rows, and what it unpacks to (Excel parts, Parquet row groups) as far as the file's own directory or
metadata can tell before anything is decompressed. The Excel reader, whose memory grows with the sheet whatever
the checks say, runs in a separate process with its own memory cap (see `excel`).

The values come from the DOLBOM_* settings listed at the top of settings.py and explained in docs/operations.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings

# Room for the form's other fields and the multipart framing around the file, in the request ceiling.
FORM_OVERHEAD = 1 << 20
FORMAT_LABELS = {"csv": "CSV", "xlsx": "엑셀(.xlsx)", "parquet": "Parquet"}


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


def too_large_reason(file_format: str, limit: int, size: int | None = None) -> str:
    """Korean, naming the limit and what to do."""
    label = FORMAT_LABELS.get(file_format, "이 형식의")
    sent = f"(보낸 파일: {megabytes(size)})" if size is not None else ""
    return (
        f"파일이 너무 큽니다{sent}. {label} 파일은 {megabytes(limit)}까지 받습니다. "
        "파일을 나누어 올리거나, 더 큰 파일이 필요하면 시스템 관리자에게 한도 조정을 요청하세요."
    )


def too_many_rows_reason(limit: int) -> str:
    return (
        f"자료 행이 너무 많습니다: 한 파일에 {limit:,}행까지 받습니다. "
        "파일을 나누어 올리거나 시스템 관리자에게 한도 조정을 요청하세요."
    )
