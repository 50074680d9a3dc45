"""The file limits moved to `dolbom.core.tabular.limits`, shared with the registry import; this name stays for the
import's own modules and pages."""

from dolbom.core.tabular.limits import (
    FORMAT_LABELS,
    Limits,
    busy_reason,
    import_turn,
    megabytes,
    too_large_reason,
    too_many_rows_reason,
)

__all__ = [
    "FORMAT_LABELS",
    "Limits",
    "busy_reason",
    "import_turn",
    "megabytes",
    "too_large_reason",
    "too_many_rows_reason",
]
