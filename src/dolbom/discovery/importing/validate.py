"""Validate signal rows against the catalogue, a whole batch at a time, and turn their text into typed columns.

Every check is an Arrow or NumPy operation over a column, never a Python loop over rows: a million rows take a
second or two. A check that fails records one problem per row (row, field, Korean reason) in the collector; the
reason text is only built for the first hundred problems kept, so a file with a million bad amounts costs no more
than one with a hundred.

What is checked, per row: the common columns (record_id, kind, resident_number, name, observed_on) are present and
filled; the kind is in the catalogue and delivered by this agency; the resident number has 13 digits and a birth date
that exists (the rules of `core.rrn.parse_rrn`); observed_on lies in the period's window; each of the kind's fields
is filled if required, parses as its type (dates as YYYY-MM-DD or YYYYMMDD), respects min/max and choices; and no
record_id repeats within the file.

And for the file as a whole, whether its dates belong to the period it is imported for (`report.PeriodCheck`): a
file whose rows are mostly dated before the period is another period's file, and one with some rows dated before
it is imported only once the importer has confirmed the period (see `services.signals`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dolbom.core.rrn import RRN_DASHES, RRN_INVISIBLE, RRN_LIKE
from dolbom.discovery.catalogue import Catalogue, Field, ProvidingAgency, SignalKind
from dolbom.discovery.importing.readers import Batch
from dolbom.discovery.importing.report import Issue, IssueCollector, PeriodCheck

# observed_on must fall within the screening window: from a year before the period's first day (arrears and
# cut-offs that old are still reported as running) to the last day of the round, which covers two months.
LOOKBACK_MONTHS = 12
ROUND_MONTHS = 2
DATE_YEARS = (1900, 2100)  # any date outside is a typing error, whatever the field

INT_PATTERN = r"^[+-]?([0-9]{1,18}|[0-9]{1,3}(,[0-9]{3}){1,5})$"  # 1234567 or 1,234,567
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$|^[0-9]{8}$"
RRN_PATTERN = r"^[0-9]{6}-?[0-9]{7}$"
# A period is a month of this century: 9999-12 is a typing error, and its window would run past the last date.
PERIOD_PATTERN = re.compile(r"^(20\d{2})-(0[1-9]|1[0-2])$")

# Seventh digit of a resident number → century of birth (see core.rrn).
_CENTURY = np.array([1800, 1900, 1900, 2000, 2000, 1900, 1900, 2000, 2000, 1800], dtype=np.int64)

# The reasons the rules of core.rrn.parse_rrn give (the same msgids), so that a file and a typed-in number are
# judged alike.
RRN_MALFORMED = gettext_lazy("A resident registration number has 13 digits (YYMMDD-NNNNNNN).")
RRN_BAD_DATE = gettext_lazy("The birth date in the first part of the resident registration number is not a real date.")
REQUIRED_EMPTY = gettext_lazy("A required item is empty.")
# %(value)s is "" or " (value: …)" from `shown_value`, glued to the sentence before its full stop.
BAD_DATE = gettext_lazy("A date must be a real date written YYYY-MM-DD or YYYYMMDD%(value)s.")
NOT_INT = gettext_lazy("Not a whole number%(value)s.")

_EPOCH = np.datetime64("1970-01-01", "D")
_SAFE_VALUE = re.compile(r"^[0-9A-Za-z_.,:/+\- ]{1,30}$")
_NULL_TEXT = pa.scalar(None, pa.string())


def period_window(period: str) -> tuple[date, date]:
    """First and last acceptable observed_on for a period "YYYY-MM"."""
    match = PERIOD_PATTERN.match(period)
    if not match:
        raise ValueError(f"period must be YYYY-MM, got {period!r}")
    year, month = int(match.group(1)), int(match.group(2))
    first = _add_months(date(year, month, 1), -LOOKBACK_MONTHS)
    last = _add_months(date(year, month, 1), ROUND_MONTHS) - timedelta(days=1)
    return first, last


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def shown_value(value: object) -> str:
    """' (value: …)' for a value that is safe to repeat in a report: short, plain ASCII, not a resident number.
    Names and resident numbers that slipped into another column are therefore never echoed."""
    if value is None:
        return ""
    text = str(value)
    if not _SAFE_VALUE.match(text) or RRN_LIKE.search(text) or re.search(r"\d{12,}", text.replace(",", "")):
        return ""
    return " " + _("(value: %(value)s)") % {"value": text}


@dataclass(frozen=True)
class Column:
    """A catalogue field and the file's column holding it (None when the file lacks it)."""

    field: Field
    header: str | None
    order: int


@dataclass
class Validated:
    """One batch's rows, typed: record_id, kind, observed_on and the agency's fields, plus the 13-digit resident
    numbers, which the caller turns into keyed hashes and drops."""

    rows: np.ndarray
    record_id: pa.Array
    kind: pa.Array
    rrn_digits: pa.Array
    observed_on: pa.Array
    fields: dict[str, pa.Array]

    def __len__(self) -> int:
        return len(self.rows)


class Validator:
    """Checks one file: first its header (`check_header`), then each batch (`validate`), then what needs the whole
    file (`finish`: repeated record_ids). Problems go to `collector`; unknown columns to `warnings`."""

    def __init__(
        self,
        *,
        catalogue: Catalogue,
        agency: ProvidingAgency,
        header: list[str],
        period: str,
        collector: IssueCollector,
    ) -> None:
        self.catalogue = catalogue
        self.agency = agency
        self.kinds = {k.code: k for k in catalogue.kinds_of(agency.code)}
        self.common = {f.name: f for f in catalogue.common_fields}
        self.header = header
        self.collector = collector
        self.warnings: list[str] = []
        self.period = period
        self.window = period_window(period)
        self.period_first = _add_months(self.window[0], LOOKBACK_MONTHS)
        self._dated = 0  # rows dated inside the window, and how many of them before the period's first day
        self._before = 0
        self._earliest: int | None = None
        self._latest: int | None = None
        self.columns: dict[str, Column] = {}
        self._all_kinds = pa.array([k.code for k in catalogue.kinds], pa.string())
        self._own_kinds = pa.array(list(self.kinds), pa.string())
        self._missing_reported: set[str] = set()
        self._ignored: dict[str, int] = {}  # values in columns the row's kind does not have
        self._ids: list[pa.Array] = []
        self._id_rows: list[np.ndarray] = []

    # ---------------------------------------------------------------------------------------------------- header

    def check_header(self) -> bool:
        """Map the file's columns to catalogue fields (by name, or by the Korean label); False if a required column
        is missing or a field appears twice."""
        fields = self.catalogue.columns_for(self.agency.code)
        by_name = {f.name: f for f in fields}
        names_by_label: dict[str, set[str]] = {}
        for f in [*fields, *(f for kind in self.kinds.values() for f in kind.fields)]:
            names_by_label.setdefault(_label_key(f.label), set()).add(f.name)
        # A Korean label names a column only if it means one field in this agency's file.
        by_label = {key: by_name[next(iter(names))] for key, names in names_by_label.items() if len(names) == 1}
        ok = True
        found: dict[str, str] = {}
        for position, name in enumerate(self.header):
            f = by_name.get(name.lower()) or by_label.get(_label_key(name))
            if f is None:
                shown = name or _("column %(position)s (no title)") % {"position": position + 1}
                message = _("Column '%(column)s' is not in this agency's crisis-signal list and was not imported.")
                self.warnings.append(message % {"column": shown})
                continue
            if f.name in found:
                ok = False
                self.collector.add(
                    Issue(
                        row=1,
                        column=f.name,
                        label=f.label,
                        reason=_("The same item has two columns ('%(first)s', '%(second)s').")
                        % {"first": found[f.name], "second": name},
                        order=position,
                    )
                )
                continue
            found[f.name] = name
        for order, f in enumerate(fields):
            self.columns[f.name] = Column(field=f, header=found.get(f.name), order=order)
        for f in self.catalogue.common_fields:
            if f.name not in found:
                ok = False
                reason = _("A required column is missing.")
                self.collector.add(Issue(row=1, column=f.name, label=f.label, reason=reason, order=-1))
        return ok

    # ----------------------------------------------------------------------------------------------------- batch

    def validate(self, batch: Batch) -> Validated:
        """Check every row of a batch; return its typed columns (meaningful only while no problem was found)."""
        rows = batch.rows
        text = {name: _clean(batch.table.column(c.header)) for name, c in self.columns.items() if c.header}

        record_id = text["record_id"]
        self._required(record_id, rows, "record_id")
        self._ids.append(record_id)
        self._id_rows.append(rows)
        self._required(text["name"], rows, "name")

        kind = text["kind"]
        own = self._check_kind(kind, rows)
        digits = self._check_rrn(text["resident_number"], rows)
        observed_on = self._check_observed_on(text["observed_on"], rows)

        parsed: dict[str, tuple[pa.Array, np.ndarray]] = {}
        for name, column in self.columns.items():
            if name in self.common or name not in text:
                continue
            parsed[name] = _parse(text[name], column.field.type)

        keep: dict[str, np.ndarray] = {name: np.zeros(len(rows), dtype=bool) for name in parsed}
        present_kinds = [k for k in pc.unique(kind).to_pylist() if k in self.kinds]
        for code in present_kinds:
            signal_kind = self.kinds[code]
            in_kind = _np(pc.equal(kind, code)) & own
            for f in signal_kind.fields:
                if f.name in parsed:
                    values, ok = parsed[f.name]
                    self._check_field(f, text[f.name], values, ok, in_kind, rows)
                    keep[f.name] |= in_kind
                elif f.required and in_kind.any():
                    self._missing_column(f, signal_kind)

        for name in parsed:
            stray = int((_np(pc.is_valid(text[name])) & own & ~keep[name]).sum())
            if stray:
                self._ignored[name] = self._ignored.get(name, 0) + stray
        fields = {name: _masked(values, keep[name] & ok) for name, (values, ok) in parsed.items() if keep[name].any()}
        return Validated(
            rows=rows, record_id=record_id, kind=kind, rrn_digits=digits, observed_on=observed_on, fields=fields
        )

    def _order(self, name: str) -> int:
        return self.columns[name].order

    def _label(self, name: str) -> str:
        return self.columns[name].field.label

    def _report(
        self,
        mask: np.ndarray,
        rows: np.ndarray,
        name: str,
        reason: str | Promise | Callable[[int], str],
        *,
        label: str = "",
    ) -> None:
        if isinstance(reason, Promise):
            reason = str(reason)  # translated now, in the language of whoever imports the file
        self.collector.add_rows(
            mask, rows, column=name, label=label or self._label(name), reason=reason, order=self._order(name)
        )

    def _required(self, values: pa.Array, rows: np.ndarray, name: str) -> np.ndarray:
        """Report the empty cells of a common column (all of which are required); return where they are."""
        empty = _np(pc.is_null(values))
        self._report(empty, rows, name, REQUIRED_EMPTY)
        return empty

    def _check_kind(self, kind: pa.Array, rows: np.ndarray) -> np.ndarray:
        """Return the mask of rows whose kind this agency delivers."""
        self._required(kind, rows, "kind")
        present = _np(pc.is_valid(kind))
        known = _np(pc.is_in(kind, value_set=self._all_kinds))
        own = _np(pc.is_in(kind, value_set=self._own_kinds))

        def unknown(i: int) -> str:
            return _("This kind is not in the crisis-signal list%(value)s.") % {"value": shown_value(kind[i].as_py())}

        def foreign(i: int) -> str:
            other = self.catalogue.kind(kind[i].as_py())
            message = _(
                "'%(label)s' (%(code)s) is a kind delivered by %(agency)s (%(agency_code)s). This file holds data of "
                "%(own)s (%(own_code)s)."
            )
            return message % {
                "label": other.label,
                "code": other.code,
                "agency": other.agency.name,
                "agency_code": other.agency.code,
                "own": self.agency.name,
                "own_code": self.agency.code,
            }

        self._report(present & ~known, rows, "kind", unknown)
        self._report(known & ~own, rows, "kind", foreign)
        return own

    def _check_rrn(self, values: pa.Array, rows: np.ndarray) -> pa.Array:
        """Return the 13 digits of each valid resident number (null where invalid). Never echoes a number."""
        empty = self._required(values, rows, "resident_number")
        well_formed = _np(pc.match_substring_regex(values, RRN_PATTERN))
        if (~empty & ~well_formed).any():  # another dash, full-width digits, an invisible character: look again
            values = _plain_dashes(values)
            well_formed = _np(pc.match_substring_regex(values, RRN_PATTERN))
        self._report(~empty & ~well_formed, rows, "resident_number", RRN_MALFORMED)
        digits = pc.replace_substring(pc.if_else(well_formed, values, _NULL_TEXT), "-", "")
        number = _as_int(digits)  # YYMMDD S NNNNNN as one integer: the parts by arithmetic, not by slicing text
        yy, mm, dd, seventh = number // 10**11, number // 10**9 % 100, number // 10**7 % 100, number // 10**6 % 10
        real = _days(_CENTURY[seventh] + yy, mm, dd)[1]
        self._report(well_formed & ~real, rows, "resident_number", RRN_BAD_DATE)
        return _masked(digits, well_formed & real)

    def _check_observed_on(self, values: pa.Array, rows: np.ndarray) -> pa.Array:
        empty = self._required(values, rows, "observed_on")
        dates, ok = _parse(values, "date")
        self._report(~empty & ~ok, rows, "observed_on", lambda i: BAD_DATE % {"value": shown_value(values[i].as_py())})
        first, last = self.window
        days = pc.fill_null(dates.cast(pa.int32()), 0).to_numpy(zero_copy_only=False).astype(np.int64)
        outside = ok & ((days < _day_number(first)) | (days > _day_number(last)))
        outside_window = _("The reference date lies outside this round's window (%(first)s to %(last)s)%(value)s.")
        self._report(
            outside,
            rows,
            "observed_on",
            lambda i: outside_window % {"first": first, "last": last, "value": shown_value(values[i].as_py())},
        )
        inside = ok & ~outside
        self._count_dates(days[inside])
        return _masked(dates, inside)

    def _count_dates(self, days: np.ndarray) -> None:
        if len(days) == 0:
            return
        self._dated += len(days)
        self._before += int((days < _day_number(self.period_first)).sum())
        low, high = int(days.min()), int(days.max())
        self._earliest = low if self._earliest is None else min(self._earliest, low)
        self._latest = high if self._latest is None else max(self._latest, high)

    def period_check(self) -> PeriodCheck:
        """How the dates of the rows read so far sit against the period."""

        def day(number: int | None) -> date | None:
            return None if number is None else date(1970, 1, 1) + timedelta(days=number)

        return PeriodCheck(
            period=self.period,
            first=self.period_first,
            last=self.window[1],
            rows=self._dated,
            before=self._before,
            earliest=day(self._earliest),
            latest=day(self._latest),
        )

    def _check_field(
        self, f: Field, text: pa.Array, values: pa.Array, ok: np.ndarray, among: np.ndarray, rows: np.ndarray
    ) -> None:
        present = _np(pc.is_valid(text)) & among
        if f.required:
            self._report(among & ~present, rows, f.name, REQUIRED_EMPTY, label=f.label)
        if f.type == "int":
            self._report(
                present & ~ok, rows, f.name, lambda i: NOT_INT % {"value": shown_value(text[i].as_py())}, label=f.label
            )
            numbers = pc.fill_null(values, 0).to_numpy(zero_copy_only=False)
            if f.min is not None:
                self._report(
                    present & ok & (numbers < f.min),
                    rows,
                    f.name,
                    lambda i: (
                        _("Must be %(min)s or more%(value)s.")
                        % {"min": f"{f.min:,}", "value": shown_value(text[i].as_py())}
                    ),
                    label=f.label,
                )
            if f.max is not None:
                self._report(
                    present & ok & (numbers > f.max),
                    rows,
                    f.name,
                    lambda i: (
                        _("Must be %(max)s or less%(value)s.")
                        % {"max": f"{f.max:,}", "value": shown_value(text[i].as_py())}
                    ),
                    label=f.label,
                )
        elif f.type == "date":
            self._report(
                present & ~ok, rows, f.name, lambda i: BAD_DATE % {"value": shown_value(text[i].as_py())}, label=f.label
            )
        elif f.choices:
            allowed = _np(pc.is_in(text, value_set=pa.array(f.choices, pa.string())))
            self._report(
                present & ~allowed,
                rows,
                f.name,
                lambda i: (
                    _("Not an allowed value%(value)s. Allowed values: %(choices)s.")
                    % {"value": shown_value(text[i].as_py()), "choices": ", ".join(f.choices)}
                ),
                label=f.label,
            )

    def _missing_column(self, f: Field, kind: SignalKind) -> None:
        if f.name in self._missing_reported:
            return
        self._missing_reported.add(f.name)
        self.collector.add(
            Issue(
                row=1,
                column=f.name,
                label=f.label,
                reason=_("The column is missing. Data of '%(label)s' (%(code)s) must have this item.")
                % {"label": kind.label, "code": kind.code},
                order=self._order(f.name),
            )
        )

    # ------------------------------------------------------------------------------------------------ whole file

    def finish(self) -> None:
        """Report every record_id that repeats an earlier row's, naming that row. Sorting (stable, so the first
        occurrence of a value comes first) finds repeats as equal neighbours, with less memory than hashing."""
        for name, count in self._ignored.items():
            column = self.columns[name]
            message = _(
                "%(count)s values in column '%(column)s' belong to no field of their row's kind of signal and were "
                "not stored."
            )
            self.warnings.append(message % {"count": f"{count:,}", "column": column.header})
        if not self._ids:
            return
        ids = pa.concat_arrays([a.cast(pa.string()) for a in self._ids])
        rows = np.concatenate(self._id_rows)
        self._ids, self._id_rows = [], []
        present = _np(pc.is_valid(ids))
        ids, rows = ids.filter(pa.array(present)), rows[present]
        if len(ids) < 2:
            return
        order = pc.sort_indices(ids).to_numpy()
        ordered = ids.take(pa.array(order))
        repeat = np.concatenate([[False], _np(pc.equal(ordered[1:], ordered[:-1]))])
        if not repeat.any():
            return
        group = np.cumsum(~repeat) - 1
        first_position = np.flatnonzero(~repeat)[group]  # where each value's group starts in sorted order
        dup_rows = rows[order[repeat]]
        first_rows = rows[order[first_position[repeat]]]
        by_row = np.argsort(dup_rows, kind="stable")
        dup_rows, first_rows = dup_rows[by_row], first_rows[by_row]
        self._report(
            np.ones(len(dup_rows), dtype=bool),
            dup_rows,
            "record_id",
            lambda i: (
                _("The agency's record number is the same as in row %(row)s (repeated within one file).")
                % {"row": f"{int(first_rows[i]):,}"}
            ),
        )


# ------------------------------------------------------------------------------------------------------- helpers


def _label_key(label: str) -> str:
    return "".join(label.split())


def _clean(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Trim spaces; an empty cell is a missing value."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    column = pc.utf8_trim_whitespace(column)
    return pc.if_else(pc.equal(pc.utf8_length(column), 0), _NULL_TEXT, column)


def _plain_dashes(values: pa.Array) -> pa.Array:
    """Resident numbers with full-width digits made ASCII (NFKC), invisible characters removed and any dash, ㅡ
    included, written "-" (core.rrn). Only for a batch where some number is not plain YYMMDD-NNNNNNN."""
    normalized = pc.utf8_normalize(values, "NFKC")
    return pc.replace_substring_regex(pc.replace_substring_regex(normalized, RRN_INVISIBLE, ""), RRN_DASHES, "-")


def _np(mask: pa.Array) -> np.ndarray:
    """A boolean Arrow array as NumPy, null counting as false."""
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)


def _masked(values: pa.Array, keep: np.ndarray) -> pa.Array:
    """`values` with null wherever `keep` is false."""
    return pc.if_else(pa.array(keep, pa.bool_()), values, pa.scalar(None, values.type))


def _as_int(text: pa.Array) -> np.ndarray:
    """Each string of digits as an int64 (0 where null)."""
    return pc.fill_null(pc.cast(text, pa.int64()), 0).to_numpy(zero_copy_only=False)


def _days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 of each (year, month, day), and whether the date exists."""
    month_ok = (month >= 1) & (month <= 12)
    month_index = (year - 1970) * 12 + np.where(month_ok, month - 1, 0)
    start = month_index.astype("datetime64[M]").astype("datetime64[D]")
    length = ((month_index + 1).astype("datetime64[M]").astype("datetime64[D]") - start).astype(np.int64)
    real = month_ok & (day >= 1) & (day <= length)
    return (start - _EPOCH).astype(np.int64) + day - 1, real


def _day_number(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def _parse(text: pa.Array, type_: str) -> tuple[pa.Array, np.ndarray]:
    """Typed values of a text column and the mask of cells that parsed (False for empty cells too)."""
    if type_ == "int":
        # Most cells are plain digits: check those cheaply, and only the rest against the full pattern.
        plain = _np(pc.ascii_is_decimal(text)) & (_np(pc.less_equal(pc.utf8_length(text), 18)))
        present = _np(pc.is_valid(text))
        if (plain | ~present).all():
            return pc.cast(text, pa.int64()), plain
        ok = _np(pc.match_substring_regex(text, INT_PATTERN))
        bare = pc.replace_substring(pc.utf8_ltrim(text, characters="+"), ",", "")
        return pc.cast(pc.if_else(pa.array(ok), bare, _NULL_TEXT), pa.int64()), ok
    if type_ == "date":
        shaped = _np(pc.match_substring_regex(text, DATE_PATTERN))
        number = _as_int(pc.replace_substring(pc.if_else(shaped, text, _NULL_TEXT), "-", ""))
        year, month, day = number // 10_000, number // 100 % 100, number % 100
        number, real = _days(year, month, day)
        ok = shaped & real & (year >= DATE_YEARS[0]) & (year <= DATE_YEARS[1])
        return pa.array(np.where(ok, number, 0).astype(np.int32), pa.date32(), mask=~ok), ok
    return text, _np(pc.is_valid(text))
