"""The vectorised checks agree with the one-value rules they stand for, and the fast paths with the plain ones."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dolbom.core import crypto
from dolbom.core.crypto import rrn_hash
from dolbom.core.rrn import InvalidResidentNumber, parse_rrn
from dolbom.core.tabular import readers
from dolbom.core.tabular.readers import Batch
from dolbom.discovery.catalogue import load_catalogue
from dolbom.discovery.importing import match
from dolbom.discovery.importing.report import IssueCollector
from dolbom.discovery.importing.validate import Validator, _parse, period_window
from tests.discovery.test_import_files import city_rrns


def _validator() -> tuple[Validator, IssueCollector]:
    catalogue = load_catalogue()
    collector = IssueCollector()
    header = ["record_id", "kind", "resident_number", "name", "observed_on", "months_overdue", "amount_overdue"]
    validator = Validator(
        catalogue=catalogue, agency=catalogue.agency("ktoa"), header=header, period="2026-09", collector=collector
    )
    assert validator.check_header()
    return validator, collector


def _rrn_rows(numbers: list[str]) -> Batch:
    n = len(numbers)
    table = pa.table(
        {
            "record_id": [f"R{i}" for i in range(n)],
            "kind": ["telecom_arrears"] * n,
            "resident_number": numbers,
            "name": ["x"] * n,
            "observed_on": ["2026-09-01"] * n,
            "months_overdue": ["3"] * n,
            "amount_overdue": ["0"] * n,
        }
    )
    return Batch(table, np.arange(2, n + 2))


rrn_text = st.one_of(
    st.text(alphabet="0123456789-", min_size=11, max_size=15),
    st.builds(
        lambda y, m, d, s, rest, hyphen: f"{y:02d}{m:02d}{d:02d}{'-' if hyphen else ''}{s}{rest:06d}",
        st.integers(0, 99),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 9),
        st.integers(0, 999_999),
        st.booleans(),
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(rrn_text, min_size=1, max_size=30))
def test_resident_number_checks_agree_with_parse_rrn(numbers):
    validator, collector = _validator()
    validator.collector.limit = 10_000
    rows = validator.validate(_rrn_rows(numbers))
    bad_rows = {i.row for i in collector.issues if i.column == "resident_number"}
    for i, value in enumerate(numbers):
        try:
            expected = parse_rrn(value).digits
        except InvalidResidentNumber:
            expected = None
        assert (i + 2 not in bad_rows) == (expected is not None), value
        assert rows.rrn_digits[i].as_py() == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1890, 2110), st.integers(0, 13), st.integers(0, 32), st.booleans()), max_size=30))
def test_date_parsing_agrees_with_the_calendar(parts):
    texts = [f"{y:04d}-{m:02d}-{d:02d}" if hyphen else f"{y:04d}{m:02d}{d:02d}" for y, m, d, hyphen in parts]
    values, ok = _parse(pa.array(texts, pa.string()), "date")
    for i, (y, m, d, _) in enumerate(parts):
        try:
            expected = date(y, m, d) if 1900 <= y <= 2100 else None
        except ValueError:
            expected = None
        assert bool(ok[i]) == (expected is not None)
        assert values[i].as_py() == expected


def test_integer_parsing():
    texts = ["0", "+7", "-12", "1,234,567", "12,34", "1.0", "", None, "９", "123456789012345678", "1234567890123456789"]
    values, ok = _parse(pa.array(texts, pa.string()), "int")
    assert ok.tolist() == [True, True, True, True, False, False, False, False, False, True, False]
    assert values.to_pylist()[:4] == [0, 7, -12, 1_234_567]


def test_period_window():
    assert period_window("2026-09") == (date(2025, 9, 1), date(2026, 10, 31))
    assert period_window("2026-12") == (date(2025, 12, 1), date(2027, 1, 31))
    with pytest.raises(ValueError):
        period_window("2026-9")


def test_resident_numbers_with_any_dash_full_width_digits_or_invisible_characters_are_read():
    validator, collector = _validator()
    typed = ["800101‒1234567", "800101－1234567", "800101ㅡ1234567", "800101–1234567", "８００１０１-１２３４５６７",
             "800101\u200b-1234567", "8001011234567"]  # fmt: skip
    rows = validator.validate(_rrn_rows([*typed, "800101--1234567", "800101 1234567", "800101-1******"]))
    assert rows.rrn_digits.to_pylist() == ["8001011234567"] * len(typed) + [None, None, None]
    assert sorted(i.row for i in collector.issues if i.column == "resident_number") == [9, 10, 11]


def test_fast_hasher_equals_core_rrn_hash():
    hasher = crypto.rrn_hasher()
    for digits in ["5003042000100", "0001013000000", "9912319999999"]:
        assert hasher(digits) == rrn_hash(digits)


def test_registry_index_matches_like_the_database(city, monkeypatch):
    rrns = [r.replace("-", "") for r in city_rrns(city)] + ["9001011234567"]
    digits = pa.array([*rrns, None, rrns[0]], pa.string())
    district = city.districts[0].code
    by_query = match.Matcher(district).hash_and_match(digits)
    monkeypatch.setattr(match, "SCAN_AT", 1)
    scanning = match.Matcher(district)
    by_scan = scanning.hash_and_match(digits)
    assert scanning._registry is not None
    assert by_scan[0].equals(by_query[0]) and by_scan[1].equals(by_query[1])
    # persons[2] lives in the other district: matched by neither route
    residents = [p.pk if i != 2 else None for i, p in enumerate(city.persons)]
    expected = [*residents, None, None, city.persons[0].pk]
    assert by_query[1].to_pylist() == expected
    assert by_query[0].to_pylist()[:4] == [p.rrn_hash for p in city.persons]


def test_registry_index_tells_apart_hashes_that_share_their_first_sixteen_digits():
    shared = "0123456789abcdef"
    hashes = [shared + "0" * 48, shared + "f" * 48, "f" * 64, "0" * 64, "8" * 16 + "1" * 48]
    index = match.RegistryIndex(np.array(hashes, dtype=match.HASH_DTYPE), np.arange(10, 15, dtype=np.int64))
    asked = [shared + "f" * 48, shared + "0" * 48, shared + "7" * 48, "f" * 64, "0" * 64, "e" * 64, "8" * 16 + "1" * 48]
    assert index.lookup(asked).tolist() == [11, 10, -1, 12, 13, -1, 14]
    assert index.lookup([]).tolist() == []


def test_hashes_become_fixed_width_strings_whatever_the_arrow_array():
    a, b = "a" * 64, "b" * 64
    assert match.fixed_width(pa.array([a, b, a]).slice(1)).tolist() == [b.encode(), a.encode()]
    assert match.fixed_width(pa.array([a, None, "short"])).tolist() == [a.encode(), b"", b"short"]
    assert match.fixed_width(pa.array([], pa.string())).tolist() == []


def test_a_small_file_asks_for_its_numbers_without_listing_every_resident(city, monkeypatch):
    """Each chunk is one query that finds the numbers by the hash's index and joins them to their memberships: a
    persons-`IN`-residents form made the database list the whole district again per chunk (0.2 s each at 100 k)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(match, "QUERY_CHUNK", 2)
    digits = pa.array([r.replace("-", "") for r in city_rrns(city)], pa.string())
    with CaptureQueriesContext(connection) as queries:
        ids = match.Matcher(city.districts[0].code).hash_and_match(digits)[1]
    assert ids.to_pylist() == [p.pk if i != 2 else None for i, p in enumerate(city.persons)]
    assert len(queries) == -(-len(city.persons) // 2)
    assert not any("(SELECT" in q["sql"].upper() for q in queries.captured_queries)


def test_a_file_known_to_be_large_reads_the_registry_from_its_first_batch(city, monkeypatch):
    """The first batch projects the file's distinct numbers (its own share of distinct numbers, times the file's
    rows): a file projected past SCAN_AT reads the registry at once instead of querying its first batch in chunks."""
    monkeypatch.setattr(match, "SCAN_AT", 50)
    rrns = [r.replace("-", "") for r in city_rrns(city)][:4]
    district = city.districts[0].code
    distinct = match.Matcher(district, expected_rows=100)
    by_scan = distinct.hash_and_match(pa.array(rrns))  # 4 numbers in 4 rows: 100 projected
    assert distinct._registry is not None
    assert by_scan[1].equals(match.Matcher(district).hash_and_match(pa.array(rrns))[1])
    repeated = match.Matcher(district, expected_rows=100)
    repeated.hash_and_match(pa.array([rrns[0]] * 4))  # one number in 4 rows: 25 projected
    assert repeated._registry is None
    unknown = match.Matcher(district)
    unknown.hash_and_match(pa.array(rrns))
    assert unknown._registry is None


def test_a_file_announcing_scan_at_rows_reads_the_registry_before_its_first_batch(city, monkeypatch):
    monkeypatch.setattr(match, "SCAN_AT", 50)
    rrns = [r.replace("-", "") for r in city_rrns(city)][:4]
    district = city.districts[0].code
    fewer = match.Matcher(district)
    fewer.prepare_for(49)
    assert fewer._registry is None
    announced = match.Matcher(district)
    announced.prepare_for(50)
    assert announced._registry is not None
    assert announced.hash_and_match(pa.array(rrns))[1].equals(match.Matcher(district).hash_and_match(pa.array(rrns))[1])


def test_registry_too_large_falls_back_to_queries(city, monkeypatch):
    monkeypatch.setattr(match, "SCAN_AT", 1)
    monkeypatch.setattr(match, "SCAN_MAX_PERSONS", 2)
    matcher = match.Matcher(city.districts[0].code)
    ids = matcher.hash_and_match(pa.array([city_rrns(city)[1].replace("-", "")]))[1]
    assert ids.to_pylist() == [city.persons[1].pk] and matcher._registry is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("record_id\n가나다\n".encode(), None),
        (b"abc\xffdef", 3),
        ("가나".encode() + b"\xea\xb0", 6),  # a character cut off at the end of the file
        (b"", None),
    ],
)
def test_utf8_check_finds_the_first_bad_byte_across_blocks(data, expected, monkeypatch):
    monkeypatch.setattr(readers, "READ_CHUNK", 4)  # every multi-byte character straddles a block boundary
    assert readers._first_invalid_utf8(io.BytesIO(data)) == expected


def test_rows_after_skipped_rows():
    assert readers._rows_after_skips(0, 4, []).tolist() == [2, 3, 4, 5]
    assert readers._rows_after_skips(0, 4, [3]).tolist() == [2, 4, 5, 6]
    assert readers._rows_after_skips(2, 3, [3, 5]).tolist() == [6, 7, 8]


def test_collector_keeps_the_first_rows_and_counts_all():
    collector = IssueCollector(limit=3)
    collector.add_rows(
        np.array([False, True, True, True]), np.array([10, 11, 12, 13]), column="a", label="", reason="r"
    )
    collector.add_rows(np.array([True, True]), np.array([2, 3]), column="b", label="", reason=lambda i: f"#{i}")
    collector.add_rows(np.array([True]), np.array([99]), column="c", label="", reason="late")
    assert collector.count == 6
    assert [(i.row, i.reason) for i in collector.issues] == [(2, "#0"), (3, "#1"), (11, "r")]
