"""The file readers moved to `dolbom.core.tabular.readers`, shared with the registry import; this name stays for the
import's own modules."""

from dolbom.core.tabular.readers import (
    BadRowHandler,
    Batch,
    ReadError,
    Source,
    check_size,
    detect_encoding,
    file_format_of,
    open_source,
)

__all__ = [
    "BadRowHandler",
    "Batch",
    "ReadError",
    "Source",
    "check_size",
    "detect_encoding",
    "file_format_of",
    "open_source",
]
