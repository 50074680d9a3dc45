"""A district's signals kept for the household page are found by person or by hash through their sorted index, as
filtering the whole table found them."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dolbom.discovery.selectors import DistrictSignals

H = [f"{c * 64}" for c in "abcdef"]  # keyed hashes are 64 hex characters


def _table(rows):
    names = ("signal_file_id", "kind", "observed_on", "person_id", "rrn_hash")
    types = (pa.int64(), pa.string(), pa.date32(), pa.int64(), pa.string())
    return pa.table({n: pa.array([r[i] for r in rows], t) for i, (n, t) in enumerate(zip(names, types, strict=True))})


ROWS = [
    (1, "rent_arrears", date(2026, 10, 1), 7, None),
    (1, "utility_cut", date(2026, 10, 2), 3, None),
    (2, "rent_arrears", date(2026, 10, 3), 7, None),
    (2, "health_insurance", date(2026, 10, 4), None, H[1]),  # matched nobody at import
    (2, "utility_cut", date(2026, 10, 5), None, H[0]),
    (3, "utility_cut", date(2026, 10, 6), None, H[1]),
    (3, "utility_cut", date(2026, 10, 7), None, None),  # no number at all: never found
    (3, "rent_arrears", date(2026, 10, 8), 12, None),
]


def _filtered(table, person_ids, hashes):
    """What the page found before: the whole table filtered."""
    return table.filter(
        pc.or_kleene(
            pc.is_in(table["person_id"], value_set=pa.array(person_ids, pa.int64())),
            pc.is_in(table["rrn_hash"], value_set=pa.array(hashes, pa.string())),
        )
    )


def _dates(table):
    return sorted(table["observed_on"].to_pylist())


@pytest.mark.parametrize(
    ("person_ids", "hashes"),
    [([7], []), ([3, 12], []), ([], [H[1]]), ([7], [H[0], H[1]]), ([99], [H[5]]), ([], []), ([3], ["", H[2]])],
)
def test_a_households_signals_are_the_rows_filtering_found(person_ids, hashes):
    table = _table(ROWS)
    signals = DistrictSignals(table)
    assert _dates(signals.of(person_ids, hashes)) == _dates(_filtered(table, person_ids, [h for h in hashes if h]))


def test_tables_of_only_matched_only_unmatched_or_no_rows():
    matched = DistrictSignals(_table([r for r in ROWS if r[3] is not None]))
    assert _dates(matched.of([7], [H[1]])) == [date(2026, 10, 1), date(2026, 10, 3)]
    unmatched = DistrictSignals(_table([r for r in ROWS if r[3] is None]))
    assert _dates(unmatched.of([7], [H[1]])) == [date(2026, 10, 4), date(2026, 10, 6)]
    empty = DistrictSignals(_table([]))
    assert empty.of([7], [H[1]]).num_rows == 0 and empty.table.column_names == matched.table.column_names
