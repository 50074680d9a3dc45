"""The report a person reads when a signal file is refused: which row, which field, and why, in their language.

Rows are numbered as a spreadsheet shows them (the header is row 1, the first data row is row 2), so the person
who prepared the file can go straight to the cell. Only the first `LIMIT` problems are kept, in row order, but
every problem is counted: a file with a systematic defect says "1,000,000 errors", not "1,000".

Identical problems (the same field, the same reason) are shown as one line with their rows — "rows 2, 3, 4 … and
97 more" — so that a file sent by the wrong agency reads as one problem, not as a hundred identical lines
(`ImportReport.groups`). Grouping is done on the problems kept; the true total is always the headline's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

LIMIT = 1000  # problems kept, in row order: what the grouped lines are made of
LINES = 100  # grouped lines shown at most
FIRST_ROWS = 3  # rows named on a grouped line before "… and N more"


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


@dataclass(frozen=True)
class IssueGroup:
    """Identical problems (one field, one reason) on one line, with the rows they were found in."""

    column: str
    label: str
    reason: str
    rows: tuple[int | None, ...]

    @property
    def field_display(self) -> str:
        return Issue(row=None, column=self.column, label=self.label, reason=self.reason).field_display

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def whole_file(self) -> bool:
        return self.rows[0] is None

    @property
    def rows_display(self) -> str:
        """'2' · '2, 5' · '2, 5, 9' · '2, 3, 4 … and 97 more rows' (the Korean: '2, 3, 4 … 외 97행')."""
        if self.whole_file:
            return _("Whole file")
        named = ", ".join(f"{row:,}" for row in self.rows[:FIRST_ROWS] if row is not None)
        more = self.count - FIRST_ROWS
        if more <= 0:
            return named
        message = ngettext("%(rows)s … and %(more)s more row", "%(rows)s … and %(more)s more rows", more)
        return message % {"rows": named, "more": f"{more:,}"}


def group_issues(issues: list[Issue]) -> list[IssueGroup]:
    """Identical problems together, in the order of their first row."""
    rows: dict[tuple[str, str, str, bool], list[int | None]] = {}
    for issue in sorted(issues, key=Issue.sort_key):
        # A problem of the whole file never merges with rows that have the same reason.
        rows.setdefault((issue.column, issue.label, issue.reason, issue.row is None), []).append(issue.row)
    return [
        IssueGroup(column=column, label=label, reason=reason, rows=tuple(found))
        for (column, label, reason, _whole), found in rows.items()
    ]


class IssueCollector:
    """Counts every problem and keeps the first `limit` in row order, without holding more than that."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = LIMIT if limit is None else limit
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


@dataclass(frozen=True)
class PeriodCheck:
    """How the reference dates (observed_on) of a file's rows sit against the period it is imported for.

    The rule, kept simple enough to say on the upload page: a round of period P covers P's month and the next
    (`first`..`last`). Rows dated in the year before `first` are accepted (arrears and cut-offs still running),
    but they are a sign of the wrong period:
    - more than half of the rows dated before `first` → the file is refused: it is another period's file;
    - some rows, at most half, dated before `first` → imported once the importer confirms the period;
    - none → imported.
    Rows outside the window altogether (after `last`, or more than a year before `first`) are errors of their own
    rows, reported by `Validator`."""

    period: str
    first: date
    last: date
    rows: int  # rows with a valid date inside the window
    before: int  # of which dated before `first`
    earliest: date | None = None
    latest: date | None = None

    @property
    def wrong_period(self) -> bool:
        return self.before * 2 > self.rows > 0

    @property
    def needs_confirmation(self) -> bool:
        return self.before > 0 and not self.wrong_period

    @property
    def percent_before(self) -> int:
        """The share of rows dated before the period, in whole percent; at least 1 when there is any."""
        return max(1, round(100 * self.before / self.rows)) if self.before else 0

    def refusal(self) -> str:
        message = _(
            "%(before)s of the %(rows)s rows are dated before period %(period)s starts (%(first)s); the reference "
            "dates run from %(earliest)s to %(latest)s. The file looks like another period's: choose the period "
            "its dates belong to and upload it again."
        )
        return message % self._values()

    def question(self) -> str:
        message = _(
            "%(before)s of the %(rows)s rows (%(percent)s%%) are dated before period %(period)s starts (%(first)s), "
            "the earliest on %(earliest)s. Older rows are accepted when what they report is still running "
            "(arrears, a cut-off), but they may also mean that the period is wrong."
        )
        return message % self._values()

    def _values(self) -> dict[str, object]:
        return {
            "before": f"{self.before:,}",
            "rows": f"{self.rows:,}",
            "percent": self.percent_before,
            "period": self.period,
            "first": self.first.isoformat(),
            "earliest": self.earliest.isoformat() if self.earliest else "-",
            "latest": self.latest.isoformat() if self.latest else "-",
        }


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
    # reader_limit, no_rows, empty, format, encoding, unreadable, duplicate, agency, period, missing, wrong_period
    # (most rows dated before the period), period_unconfirmed (some rows dated before it, not yet confirmed).
    kind: str = "rows"
    # How the rows' reference dates sit against the period (when the rows were read), and, when the importer must
    # confirm the period, the value that confirms it for this file and this period only.
    period_check: PeriodCheck | None = None
    confirmation: str = ""

    @classmethod
    def single(
        cls, file_name: str, reason: str, *, row: int | None = None, kind: str = "rows", **context: str | None
    ) -> ImportReport:
        issue = Issue(row=row, column="", label="", reason=reason)
        return cls(file_name=file_name, errors=[issue], error_count=1, kind=kind, **context)  # type: ignore[arg-type]

    @property
    def needs_confirmation(self) -> bool:
        return self.kind == "period_unconfirmed"

    @property
    def groups(self) -> list[IssueGroup]:
        """The problems kept, identical ones on one line: at most `LINES` lines."""
        return group_issues(self.errors)[:LINES]

    @property
    def shown(self) -> int:
        """How many problems the grouped lines account for."""
        return sum(group.count for group in self.groups)

    @property
    def hidden(self) -> int:
        return self.error_count - self.shown

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
        """Plain text for the command line: a headline, then one line per problem (identical ones together)."""
        if self.needs_confirmation:
            reason = self.errors[0].reason if self.errors else ""
            message = _(
                "Not imported yet: %(name)s — %(reason)s If the period is right, import the file again with "
                "--confirm-period."
            )
            return message % {"name": self.file_name, "reason": reason}
        lines = [self.headline()]
        groups = self.groups
        wheres = [_where(group) for group in groups]
        width = max((len(where) for where in wheres), default=0)
        for group, where in zip(groups, wheres, strict=True):
            field_text = f"{group.field_display}: " if group.column else ""
            lines.append(f"  {where:<{width}}  {field_text}{group.reason}")
        if self.hidden > 0:
            message = _("… only the first %(shown)s problems are shown; the other %(hidden)s are left out.")
            lines.append("  " + message % {"shown": f"{self.shown:,}", "hidden": f"{self.hidden:,}"})
        return "\n".join(lines)


def _where(group: IssueGroup) -> str:
    """'2행' for one row, '행 2, 3, 4 … 외 97행' for several: two sentences, since Korean has one plural form."""
    if group.whole_file:
        return group.rows_display
    if group.count == 1:
        return _("row %(row)s") % {"row": group.rows_display}
    return _("rows %(rows)s") % {"rows": group.rows_display}


class SignalFileRejected(Exception):
    """The file was refused as a whole; nothing of it was kept. `report` says why."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.headline())
        self.report = report


_CHECK_DATES = ("first", "last", "earliest", "latest")


def report_as_dict(report: ImportReport) -> dict[str, object]:
    """The report as JSON-ready data, kept on an import job for its page (`report_from_dict` reads it back)."""
    data = dataclasses.asdict(report)
    if report.period_check is not None:
        check = data["period_check"]
        for name in _CHECK_DATES:
            value = getattr(report.period_check, name)
            check[name] = value.isoformat() if value else None
    return data


def report_from_dict(data: dict[str, object]) -> ImportReport:
    values = dict(data)
    values["errors"] = [Issue(**issue) for issue in values.get("errors") or []]  # type: ignore[union-attr]
    check = values.get("period_check")
    if isinstance(check, dict):
        dates = {k: date.fromisoformat(v) if v else None for k, v in check.items() if k in _CHECK_DATES}
        values["period_check"] = PeriodCheck(**{**check, **dates})
    return ImportReport(**values)  # type: ignore[arg-type]
