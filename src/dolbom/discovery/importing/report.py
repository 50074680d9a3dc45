"""The report a person reads when a signal file is refused: which row, which field, and why, in their language.

Rows are numbered as a spreadsheet shows them (the header is row 1, the first data row is row 2), so the person
who prepared the file can go straight to the cell. Only the first `LIMIT` problems are kept, in row order, but
every problem is counted: a file with a systematic defect says "1,000,000 errors", not "100".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

LIMIT = 100


@dataclass(frozen=True)
class Issue:
    row: int | None  # spreadsheet row (header = 1); None: the file as a whole
    column: str  # column name as the catalogue spells it ("" for the file as a whole)
    label: str  # the column's Korean label
    reason: str  # translated
    order: int = 0  # column position, to list a row's problems left to right

    @property
    def field_display(self) -> str:
        if not self.column:
            return ""
        if self.label and self.label != self.column:
            return f"{self.label} ({self.column})"
        return self.column

    @property
    def row_display(self) -> str:
        return f"{self.row:,}" if self.row is not None else _("Whole file")

    def sort_key(self) -> tuple[int, int]:
        return (self.row if self.row is not None else 0, self.order)


class IssueCollector:
    """Counts every problem and keeps the first `limit` in row order, without holding more than that."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.count = 0
        self.issues: list[Issue] = []

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, issue: Issue) -> None:
        self.count += 1
        if len(self.issues) >= self.limit and issue.sort_key() >= self.issues[-1].sort_key():
            return  # a file with a million broken rows must not sort the kept list a million times
        self._merge([issue])

    def add_rows(
        self,
        mask: np.ndarray,
        rows: np.ndarray,
        *,
        column: str,
        label: str,
        reason: str | Callable[[int], str],
        order: int = 0,
    ) -> int:
        """Record one problem for each row where `mask` is true. `reason` may be a function of the row's index in
        the batch, called only for the rows kept, so that per-value messages cost nothing on a large file."""
        index = np.flatnonzero(mask)
        if len(index) == 0:
            return 0
        self.count += len(index)
        full = len(self.issues) >= self.limit
        if full and int(rows[index[0]]) > (self.issues[-1].row or 0):
            return len(index)  # all of these come after the problems already kept
        kept = [
            Issue(
                row=int(rows[i]),
                column=column,
                label=label,
                reason=reason(int(i)) if callable(reason) else reason,
                order=order,
            )
            for i in index[: self.limit]
        ]
        self._merge(kept)
        return len(index)

    def _merge(self, new: list[Issue]) -> None:
        self.issues.extend(new)
        self.issues.sort(key=Issue.sort_key)
        del self.issues[self.limit :]


@dataclass
class ImportReport:
    """Why a file was refused. `errors` holds the first problems (at most 100) and `error_count` all of them."""

    file_name: str
    agency_code: str | None = None
    period: str = ""
    file_format: str = ""
    encoding: str = ""
    errors: list[Issue] = field(default_factory=list)
    error_count: int = 0
    # Why, in a word, for the audit log: rows (problems in rows), too_large, too_many_rows, unpacked_too_large,
    # reader_limit, no_rows, empty, format, encoding, unreadable, duplicate, agency, period, missing.
    kind: str = "rows"

    @classmethod
    def single(
        cls, file_name: str, reason: str, *, row: int | None = None, kind: str = "rows", **context: str | None
    ) -> ImportReport:
        issue = Issue(row=row, column="", label="", reason=reason)
        return cls(file_name=file_name, errors=[issue], error_count=1, kind=kind, **context)  # type: ignore[arg-type]

    @property
    def shown(self) -> int:
        return len(self.errors)

    @property
    def hidden(self) -> int:
        return self.error_count - len(self.errors)

    def headline(self) -> str:
        what = [self.file_name]
        if self.agency_code:
            what.append(self.agency_code)
        if self.period:
            what.append(self.period)
        if self.encoding:
            what.append(self.encoding)
        message = ngettext(
            "Not imported: %(what)s — %(count)s error. Nothing of the file was imported.",
            "Not imported: %(what)s — %(count)s errors. Nothing of the file was imported.",
            self.error_count,
        )
        return message % {"what": " · ".join(what), "count": f"{self.error_count:,}"}

    def render(self) -> str:
        """Plain text for the command line: a headline, then one line per problem."""
        lines = [self.headline()]
        wheres = [
            _("row %(row)s") % {"row": e.row_display} if e.row is not None else e.row_display for e in self.errors
        ]
        width = max((len(where) for where in wheres), default=0)
        for e, where in zip(self.errors, wheres, strict=True):
            field_text = f"{e.field_display}: " if e.column else ""
            lines.append(f"  {where:>{width}}  {field_text}{e.reason}")
        if self.hidden > 0:
            message = _("… only the first %(shown)s problems are shown; the other %(hidden)s are left out.")
            lines.append("  " + message % {"shown": f"{self.shown:,}", "hidden": f"{self.hidden:,}"})
        return "\n".join(lines)


class SignalFileRejected(Exception):
    """The file was refused as a whole; nothing of it was kept. `report` says why."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.headline())
        self.report = report
