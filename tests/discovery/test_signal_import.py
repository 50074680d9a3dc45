"""Importing crisis-signal files: good files in every format and encoding, and every way a file can be wrong."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.exceptions import PermissionDenied

from dolbom.core.models import AuditEvent
from dolbom.core.tabular import excel
from dolbom.discovery.importing import match, store
from dolbom.discovery.models import SignalFile
from tests.discovery.test_import_files import (
    KTOA_COLUMNS,
    PERIOD,
    STRANGER_RRN,
    assert_nothing_kept,
    city_rrns,
    kepco_rows,
    ktoa_rows,
    nhis_columns,
    rejected,
    run_import,
    stored_files,
    write_csv,
    write_parquet,
    write_xlsx,
)


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    return settings.HOME


@pytest.fixture
def manager(city):
    return city.users["district_manager"]


def stored_table(signal_file: SignalFile) -> pa.Table:
    return pq.read_table(store.parquet_path(signal_file))


# ------------------------------------------------------------------------------------------------- good files


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949"])
def test_csv_in_each_encoding_imports_with_counts_and_matches(city, home, manager, tmp_path, encoding):
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city), encoding=encoding)
    result = run_import(manager, path)

    # The third person lives in the other district: unmatched here, exactly like the stranger.
    assert (result.rows, result.matched, result.unmatched) == (5, 3, 2)
    assert result.encoding == encoding and result.file_format == "csv"
    sf = result.signal_file
    assert (sf.agency_code, sf.period, sf.rows, sf.matched_rows, sf.unmatched_rows) == ("ktoa", PERIOD, 5, 3, 2)
    assert sf.district == city.districts[0]
    assert sf.encoding == encoding and sf.imported_by == manager and sf.catalogue_version
    unmatched = [(u.row, u.record_id, u.kind) for u in result.unmatched_sample]
    assert unmatched == [(4, "KTOA-0003", "telecom_arrears"), (6, "KTOA-9000", "telecom_arrears")]

    table = stored_table(sf)
    assert table.column("signal_file_id").to_pylist() == [sf.pk] * 5
    assert table.column("person_id").to_pylist() == [p.pk if i != 2 else None for i, p in enumerate(city.persons)] + [
        None
    ]
    assert table.column("rrn_hash").to_pylist()[:4] == [p.rrn_hash for p in city.persons]
    assert table.column("amount_overdue").to_pylist() == [120_000, 240_000, 360_000, 480_000, 1_250_000]
    assert table.column("observed_on").to_pylist()[-1] == date(2026, 10, 1)
    assert table.column("carrier").to_pylist() == ["SKT", "KT", "LGU+", None, "알뜰폰"]
    assert table.column("cutoff_on").null_count == 5  # another agency's field: present, typed, empty
    assert "ktoa" in str(result) and "5" in str(result) and encoding in str(result)


def test_stored_schema_is_the_documented_one(city, home, manager, tmp_path):
    result = run_import(manager, write_csv(tmp_path / "ktoa.csv", ktoa_rows(city)))
    schema = pq.read_schema(store.parquet_path(result.signal_file))
    assert schema.names[:6] == list(store.IDENTITY_COLUMNS)
    assert schema.field("signal_file_id").type == pa.int64() and not schema.field("signal_file_id").nullable
    assert schema.field("person_id").type == pa.int64() and schema.field("person_id").nullable
    assert schema.field("observed_on").type == pa.date32()
    assert schema.field("months_overdue").type == pa.int64()
    assert schema.field("cutoff_on").type == pa.date32()
    assert schema.field("measure").type == pa.string()
    assert schema.names == store.storage_schema(city_catalogue()).names
    assert schema.metadata[b"dolbom.signals.schema"] == store.SCHEMA_VERSION.encode()
    district = city.districts[0].code
    assert result.signal_file.storage_path == f"signals/{district}/{PERIOD}/{result.signal_file.sha256[:16]}.parquet"


def city_catalogue():
    from dolbom.discovery.catalogue import load_catalogue

    return load_catalogue()


def test_stored_parquet_holds_no_resident_number_or_name(city, home, manager, tmp_path):
    rows = ktoa_rows(city)
    result = run_import(manager, write_csv(tmp_path / "ktoa.csv", rows))
    path = store.parquet_path(result.signal_file)
    table = pq.read_table(path)
    assert "resident_number" not in table.column_names and "name" not in table.column_names
    secrets = [r["resident_number"] for r in rows] + [r["resident_number"].replace("-", "") for r in rows]
    secrets += [r["name"] for r in rows]
    text = "\n".join(str(v) for column in table.columns for v in column.to_pylist())
    raw = path.read_bytes()
    for secret in secrets:
        assert secret not in text
        assert secret.encode() not in raw
    for event in AuditEvent.objects.all():
        assert not any(secret in str(event.detail) for secret in secrets)


def test_cp949_file_with_two_kinds_imports(city, home, manager, tmp_path):
    path = write_csv(tmp_path / "kepco.csv", kepco_rows(city), encoding="cp949")
    result = run_import(manager, path)
    assert (result.rows, result.matched, result.encoding) == (2, 2, "cp949")
    table = stored_table(result.signal_file)
    assert table.column("kind").to_pylist() == ["electricity_arrears", "electricity_cutoff"]
    assert table.column("measure").to_pylist() == [None, "단전"]
    assert table.column("last_paid_on").to_pylist() == [date(2026, 5, 2), None]
    assert table.column("cutoff_on").to_pylist() == [None, date(2026, 9, 18)]
    assert table.column("amount_overdue").to_pylist() == [180_000, None]


def test_resident_numbers_without_hyphen_match(city, home, manager, tmp_path):
    rows = [
        {
            "record_id": f"W-{i}",
            "kind": "water_arrears",
            "resident_number": rrn.replace("-", ""),
            "name": "x",
            "observed_on": "2026-09-10",
            "months_overdue": "2",
            "amount_overdue": "60000",
        }
        for i, rrn in enumerate(city_rrns(city))
    ]
    result = run_import(manager, write_csv(tmp_path / "waterworks.csv", rows, encoding="cp949"))
    assert result.matched == 3
    in_district = [p.pk if i != 2 else None for i, p in enumerate(city.persons)]
    assert stored_table(result.signal_file).column("person_id").to_pylist() == in_district


def test_parquet_with_typed_columns_imports(city, home, manager, tmp_path):
    path = write_parquet(tmp_path / "nhis.parquet", nhis_columns(city))
    result = run_import(manager, path)
    assert (result.rows, result.matched, result.unmatched, result.file_format) == (3, 1, 2, "parquet")
    assert result.encoding == ""
    table = stored_table(result.signal_file)
    # persons[2] lives in the other district
    assert table.column("person_id").to_pylist() == [None, city.persons[3].pk, None]
    assert table.column("months_overdue").to_pylist() == [3, 14, 6]
    assert table.column("insured_type").to_pylist() == ["지역가입자", "직장가입자", "지역가입자"]


def test_parquet_float_integers_are_integers(city, home, manager, tmp_path):
    columns = nhis_columns(city)
    columns["months_overdue"] = pa.array([3.0, 14.0, None])
    columns["amount_overdue"] = pa.array([330_000.0, 1.5, 0.0])
    report = rejected(manager, write_parquet(tmp_path / "nhis.parquet", columns))
    assert [(e.row, e.column) for e in report.errors] == [(3, "amount_overdue"), (4, "months_overdue")]


def test_excel_file_imports(city, home, manager, tmp_path):
    rrns = city_rrns(city)
    header = ["record_id", "kind", "resident_number", "name", "observed_on", "lost_on", "reason", "months_insured"]
    rows = [
        ["KEIS-1", "job_loss", rrns[1], "이철수", date(2026, 9, 2), date(2026, 8, 31), "권고사직", 48],
        [None] * 8,  # a blank row between records, as spreadsheets have them
        ["KEIS-2", "job_loss", rrns[3], "김민수", "2026-09-05", "20260901", "계약 만료", None],
    ]
    result = run_import(manager, write_xlsx(tmp_path / "keis.xlsx", header, rows))
    assert (result.rows, result.matched, result.file_format, result.encoding) == (2, 2, "xlsx", "")
    table = stored_table(result.signal_file)
    assert table.column("lost_on").to_pylist() == [date(2026, 8, 31), date(2026, 9, 1)]
    assert table.column("months_insured").to_pylist() == [48, None]


def test_a_workbook_announcing_many_rows_has_the_residents_read_while_its_sheet_is_parsed(
    city, home, manager, tmp_path, monkeypatch
):
    """The sheet announces its rows before the reader parses it: past SCAN_AT, the district's residents are read
    then, not after the header and the first batch have come."""
    monkeypatch.setattr(match, "SCAN_AT", 2)
    events: list[str] = []
    load, open_stream = match.RegistryIndex.load.__func__, excel.pa.ipc.open_stream

    def registry_read(cls, pairs, *, limit):
        events.append("residents read")
        return load(cls, pairs, limit=limit)

    def header_came(source):
        stream = open_stream(source)
        events.append("header")
        return stream

    monkeypatch.setattr(match.RegistryIndex, "load", classmethod(registry_read))
    monkeypatch.setattr(excel.pa.ipc, "open_stream", header_came)
    rrns = city_rrns(city)
    header = ["record_id", "kind", "resident_number", "name", "observed_on", "lost_on", "reason"]
    rows = [
        ["KEIS-1", "job_loss", rrns[1], "이철수", date(2026, 9, 2), date(2026, 8, 31), "권고사직"],
        ["KEIS-2", "job_loss", rrns[3], "김민수", date(2026, 9, 5), date(2026, 9, 1), "계약 만료"],
    ]
    result = run_import(manager, write_xlsx(tmp_path / "keis.xlsx", header, rows))
    assert events == ["residents read", "header"]
    assert (result.rows, result.matched) == (2, 2)


def test_excel_errors_name_the_sheet_row(city, home, manager, tmp_path):
    rrns = city_rrns(city)
    header = ["record_id", "kind", "resident_number", "name", "observed_on", "lost_on", "reason"]
    rows = [
        ["KEIS-1", "job_loss", rrns[1], "이철수", date(2026, 9, 2), date(2026, 8, 31), "권고사직"],
        [None] * 7,
        ["KEIS-2", "job_loss", rrns[3], "김민수", date(2026, 9, 2), "2026-13-01", "권고사직"],
    ]
    report = rejected(manager, write_xlsx(tmp_path / "keis.xlsx", header, rows))
    assert [(e.row, e.column) for e in report.errors] == [(4, "lost_on")]


def test_korean_column_labels_are_understood(city, home, manager, tmp_path):
    rows = ktoa_rows(city, n_stranger=0)
    labels = {
        "record_id": "기관 자료 번호",
        "kind": "위기정보 종류",
        "resident_number": "주민(외국인)등록번호",
        "name": "성명",
        "observed_on": "기준일",
        "months_overdue": "체납개월수",  # spaces do not matter
        "amount_overdue": "체납액",
        "carrier": "통신사",
    }
    relabelled = [{labels[k]: v for k, v in row.items()} for row in rows]
    result = run_import(manager, write_csv(tmp_path / "ktoa.csv", relabelled))
    assert result.rows == 4 and result.matched == 3


def test_unknown_columns_are_ignored_with_a_note(city, home, manager, tmp_path):
    rows = [{**row, "비고": "메모"} for row in ktoa_rows(city)]
    result = run_import(manager, write_csv(tmp_path / "ktoa.csv", rows))
    assert result.rows == 5
    assert any("비고" in w for w in result.warnings)
    assert "비고" not in stored_table(result.signal_file).column_names


def test_values_a_kind_does_not_have_are_dropped_with_a_note(city, home, manager, tmp_path):
    rows = kepco_rows(city)
    rows[0]["measure"] = "단전"  # electricity_arrears has no `measure`
    result = run_import(manager, write_csv(tmp_path / "kepco.csv", rows, encoding="cp949"))
    assert stored_table(result.signal_file).column("measure").to_pylist() == [None, "단전"]
    assert any("'measure'의 값 1건" in w for w in result.warnings)


def test_header_only_file_is_refused(city, home, manager, tmp_path):
    path = tmp_path / "moj.csv"
    path.write_text("record_id,kind,resident_number,name,observed_on,released_on\n", encoding="utf-8")
    report = rejected(manager, path)
    assert report.kind == "no_rows" and report.errors[0].reason.startswith("자료 행이 없습니다")
    assert_nothing_kept(home)


def test_agency_option_overrides_the_file_name(city, home, manager, tmp_path):
    path = write_csv(tmp_path / "telecom-2026-09-final.csv", ktoa_rows(city))
    assert run_import(manager, path, agency="ktoa").signal_file.agency_code == "ktoa"


def test_agency_code_before_a_separator_in_the_file_name(city, home, manager, tmp_path):
    path = write_csv(tmp_path / "KTOA_202609.csv", ktoa_rows(city))
    assert run_import(manager, path).signal_file.agency_code == "ktoa"


def test_import_is_audited_with_counts(city, home, manager, tmp_path):
    result = run_import(manager, write_csv(tmp_path / "ktoa.csv", ktoa_rows(city)))
    event = AuditEvent.objects.get(action="discovery.import_signals")
    assert event.actor == manager and event.object_id == str(result.signal_file.pk)
    assert event.detail["rows"] == 5 and event.detail["matched"] == 3 and event.detail["unmatched"] == 2
    assert event.detail["sha256"] == result.signal_file.sha256 and event.detail["encoding"] == "utf-8"


def test_dong_officer_may_not_import(city, home, tmp_path):
    with pytest.raises(PermissionDenied):
        run_import(city.users["dong_officer"], write_csv(tmp_path / "ktoa.csv", ktoa_rows(city)))
    assert_nothing_kept(home)


# -------------------------------------------------------------------------------------------- refused files


def test_same_file_twice_is_refused_naming_the_earlier_import(city, home, manager, tmp_path):
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))
    first = run_import(manager, path)
    copy = tmp_path / "copy-of-ktoa.csv"
    copy.write_bytes(path.read_bytes())
    report = rejected(manager, copy, agency="ktoa")
    assert report.error_count == 1
    reason = report.errors[0].reason
    assert "이미 가져온 파일" in reason and f"#{first.signal_file.pk}" in reason and "manager" in reason
    assert "ktoa.csv" in reason and PERIOD in reason
    assert SignalFile.objects.count() == 1
    assert stored_files(home) == [store.parquet_path(first.signal_file)]


def test_same_file_imported_concurrently_is_refused_at_commit(city, home, manager, tmp_path, monkeypatch):
    from dolbom.discovery.services import signals

    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))
    first = run_import(manager, path)
    real_filter = SignalFile.objects.filter
    calls = []

    def earlier_not_yet_committed(*args, **kwargs):  # the other import commits between our check and our insert
        calls.append(kwargs)
        found = real_filter(*args, **kwargs)
        return found.none() if len(calls) == 1 else found

    monkeypatch.setattr(signals.SignalFile.objects, "filter", earlier_not_yet_committed)
    report = rejected(manager, path)
    assert "이미 가져온 파일" in report.errors[0].reason
    assert SignalFile.objects.count() == 1
    assert stored_files(home) == [store.parquet_path(first.signal_file)]  # the earlier import's file is intact


def test_bytes_neither_utf8_nor_cp949_are_refused(city, home, manager, tmp_path):
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))
    data = path.read_bytes().replace("홍길동".encode(), b"\x80\xff\x80")
    path.write_bytes(data)
    report = rejected(manager, path)
    assert report.error_count == 1
    assert "UTF-8도 CP949" in report.errors[0].reason
    assert report.errors[0].row == 6  # the line of the stranger's row
    assert_nothing_kept(home)


def test_broken_utf8_after_a_byte_order_mark_is_not_read_as_cp949(city, home, manager, tmp_path):
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city), encoding="utf-8-sig")
    path.write_bytes(path.read_bytes() + "김".encode("cp949"))
    report = rejected(manager, path)
    assert "UTF-8도 CP949" in report.errors[0].reason
    assert_nothing_kept(home)


def test_missing_column_is_a_file_level_error_naming_it(city, home, manager, tmp_path):
    columns = [c for c in KTOA_COLUMNS if c != "observed_on"]
    report = rejected(manager, write_csv(tmp_path / "ktoa.csv", ktoa_rows(city), columns=columns))
    assert [(e.row, e.column, e.label) for e in report.errors] == [(1, "observed_on", "기준일")]
    assert "필수 열이 없습니다" in report.errors[0].reason
    assert "기준일 (observed_on)" in report.render()
    assert_nothing_kept(home)


def test_missing_column_a_kind_needs_is_reported_once(city, home, manager, tmp_path):
    rows = kepco_rows(city)
    columns = [c for c in rows[0] if c != "measure"]
    report = rejected(manager, write_csv(tmp_path / "kepco.csv", rows, columns=columns))
    assert [(e.row, e.column) for e in report.errors] == [(1, "measure")]
    assert "electricity_cutoff" in report.errors[0].reason
    assert_nothing_kept(home)


def test_optional_kind_column_may_be_absent(city, home, manager, tmp_path):
    rows = kepco_rows(city)[:1]
    columns = ["record_id", "kind", "resident_number", "name", "observed_on", "months_overdue", "amount_overdue"]
    assert run_import(manager, write_csv(tmp_path / "kepco.csv", rows, columns=columns)).rows == 1


def test_duplicate_column_is_refused(city, home, manager, tmp_path):
    rows = [{**row, "기준일": row["observed_on"]} for row in ktoa_rows(city)]
    report = rejected(manager, write_csv(tmp_path / "ktoa.csv", rows))
    assert [(e.row, e.column) for e in report.errors] == [(1, "observed_on")]
    assert "두 번" in report.errors[0].reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-02-30", "실제 날짜"),
        ("2026/09/01", "YYYY-MM-DD"),
        ("26-09-01", "YYYY-MM-DD"),
        ("2024-09-01", "조회 범위(2025-09-01~2026-10-31)"),
        ("2026-11-01", "조회 범위"),
    ],
)
def test_bad_or_out_of_window_observed_on(city, home, manager, tmp_path, value, reason):
    rows = ktoa_rows(city)
    rows[1]["observed_on"] = value
    report = rejected(manager, write_csv(tmp_path / "ktoa.csv", rows))
    assert [(e.row, e.column, e.label) for e in report.errors] == [(3, "observed_on", "기준일")]
    assert reason in report.errors[0].reason
    assert_nothing_kept(home)


def test_negative_amount_is_below_the_minimum(city, home, manager, tmp_path):
    rows = ktoa_rows(city)
    rows[2]["amount_overdue"] = "-500"
    report = rejected(manager, write_csv(tmp_path / "ktoa.csv", rows))
    assert [(e.row, e.column, e.label) for e in report.errors] == [(4, "amount_overdue", "체납액")]
    assert report.errors[0].reason == "0 이상이어야 합니다 (값: -500)."
    assert_nothing_kept(home)


def test_minimum_and_maximum_of_the_kind_apply(city, home, manager, tmp_path):
    rows = ktoa_rows(city)
    rows[0]["months_overdue"] = "2"  # telecom arrears count from 3 months (Social Security Benefits Act art. 12)
    report = rejected(manager, write_csv(tmp_path / "ktoa.csv", rows))
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "months_overdue", "3 이상이어야 합니다 (값: 2).")
    ]
    columns = nhis_columns(city)
    columns["kind"] = pa.array(["financial_delinquency"] * 3)
    del columns["insured_type"]
    columns["amount_overdue"] = pa.array([1_000_000, 25_000_000, 999_999], pa.int64())
    report = rejected(manager, write_parquet(tmp_path / "kcis.parquet", columns))
    assert [(e.row, e.reason) for e in report.errors] == [
        (3, "20,000,000 이하여야 합니다 (값: 25000000)."),
        (4, "1,000,000 이상이어야 합니다 (값: 999999)."),
    ]


def test_not_an_integer(city, home, manager, tmp_path):
    rows = ktoa_rows(city)
    rows[0]["months_overdue"] = "3개월"
    rows[1]["amount_overdue"] = "12.5"
    report = rejected(manager, write_csv(tmp_path / "ktoa.csv", rows))
    assert [(e.row, e.column) for e in report.errors] == [(2, "months_overdue"), (3, "amount_overdue")]
    assert report.errors[0].reason == "정수가 아닙니다."  # not plain ASCII: the value is not repeated
    assert report.errors[1].reason == "정수가 아닙니다 (값: 12.5)."


def test_value_not_among_the_choices(city, home, manager, tmp_path):
    rows = ktoa_rows(city)
    rows[0]["carrier"] = "SK텔레콤"
    report = rejected(manager, write_csv(tmp_path / "ktoa.csv", rows))
    assert [(e.row, e.column, e.label) for e in report.errors] == [(2, "carrier", "통신사")]
    assert "허용된 값이 아닙니다" in report.errors[0].reason and "SKT, KT, LGU+, 알뜰폰" in report.errors[0].reason


def test_required_field_empty(city, home, manager, tmp_path):
    rows = ktoa_rows(city)
    rows[0]["amount_overdue"] = " "
    rows[1]["name"] = ""
    report = rejected(manager, write_csv(tmp_path / "ktoa.csv", rows))
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "amount_overdue", "필수 항목이 비어 있습니다."),
        (3, "name", "필수 항목이 비어 있습니다."),
    ]


def test_unknown_kind(city, home, manager, tmp_path):
    rows = ktoa_rows(city)
    rows[0]["kind"] = "telecom_arrear"
    report = rejected(manager, write_csv(tmp_path / "ktoa.csv", rows))
    assert [(e.row, e.column, e.label) for e in report.errors] == [(2, "kind", "위기정보 종류")]
    assert report.errors[0].reason == "위기정보 목록에 없는 종류입니다 (값: telecom_arrear)."
    assert_nothing_kept(home)


def test_kind_of_another_agency(city, home, manager, tmp_path):
    rows = ktoa_rows(city)
    rows[3]["kind"] = "health_insurance_arrears"
    report = rejected(manager, write_csv(tmp_path / "ktoa.csv", rows))
    assert [(e.row, e.column) for e in report.errors] == [(5, "kind")]
    reason = report.errors[0].reason
    assert "국민건강보험공단(nhis)" in reason and "한국통신사업자연합회(ktoa)" in reason
    assert_nothing_kept(home)


def test_duplicate_record_id_names_the_first_row(city, home, manager, tmp_path):
    rows = ktoa_rows(city, n_stranger=2)
    rows[3]["record_id"] = rows[0]["record_id"]
    rows[5]["record_id"] = rows[0]["record_id"]
    report = rejected(manager, write_csv(tmp_path / "ktoa.csv", rows))
    assert [(e.row, e.column) for e in report.errors] == [(5, "record_id"), (7, "record_id")]
    assert all("2행과 같습니다" in e.reason for e in report.errors)
    assert_nothing_kept(home)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("50030-42000100", "숫자 13자리"),
        ("500304-200010", "숫자 13자리"),
        ("5003O4-2000100", "숫자 13자리"),
        ("501304-2000100", "생년월일이 올바른 날짜가 아닙니다"),  # month 13
        ("010229-3000100", "생년월일이 올바른 날짜가 아닙니다"),  # 2001-02-29 does not exist
    ],
)
def test_bad_resident_number(city, home, manager, tmp_path, value, reason):
    rows = ktoa_rows(city)
    rows[0]["resident_number"] = value
    report = rejected(manager, write_csv(tmp_path / "ktoa.csv", rows))
    assert [(e.row, e.column, e.label) for e in report.errors] == [(2, "resident_number", "주민(외국인)등록번호")]
    assert reason in report.errors[0].reason
    assert value not in report.render() and value.replace("-", "") not in report.render()
    assert_nothing_kept(home)


def test_leap_day_of_a_leap_year_is_a_valid_birth_date(city, home, manager, tmp_path):
    rows = ktoa_rows(city)
    rows[4]["resident_number"] = "000229-3123456"  # 2000-02-29
    assert run_import(manager, write_csv(tmp_path / "ktoa.csv", rows)).unmatched == 2  # and the other district's


def test_row_with_the_wrong_number_of_cells(city, home, manager, tmp_path):
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2] + ",extra"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = rejected(manager, path)
    assert [e.row for e in report.errors] == [3]
    assert "칸 수" in report.errors[0].reason
    assert_nothing_kept(home)


def test_identical_problems_are_one_line_with_their_rows_and_the_true_count(city, home, manager, tmp_path):
    rrn = city_rrns(city)[0]
    rows = [
        {
            "record_id": f"K-{i}",
            "kind": "telecom_arrears",
            "resident_number": rrn,
            "name": "김영희",
            "observed_on": "2026-09-15",
            "months_overdue": "3",
            "amount_overdue": "-1" if i % 2 == 0 else "1",
            "carrier": "SKT" if i % 2 == 0 else "?",
        }
        for i in range(250)
    ]
    report = rejected(manager, write_csv(tmp_path / "ktoa.csv", rows))
    assert report.error_count == 250 and len(report.errors) == 250
    amounts, carriers = report.groups
    assert (amounts.column, amounts.count, amounts.rows[:3]) == ("amount_overdue", 125, (2, 4, 6))
    assert (carriers.column, carriers.count, carriers.rows[:3]) == ("carrier", 125, (3, 5, 7))
    assert amounts.rows_display == "2, 4, 6 … 외 122행"
    assert report.shown == 250 and report.hidden == 0
    rendered = report.render()
    assert "250" in rendered and len(rendered.splitlines()) == 3 and "행 2, 4, 6 … 외 122행" in rendered
    assert_nothing_kept(home)


def test_beyond_the_problems_kept_the_rest_are_counted(city, home, manager, tmp_path, monkeypatch):
    from dolbom.discovery.importing import report as report_module

    monkeypatch.setattr(report_module, "LIMIT", 100)
    rrn = city_rrns(city)[0]
    rows = [
        {
            "record_id": f"K-{i}",
            "kind": "telecom_arrears",
            "resident_number": rrn,
            "name": "김영희",
            "observed_on": "2026-09-15",
            "months_overdue": "3",
            "amount_overdue": "-1",
            "carrier": "SKT",
        }
        for i in range(250)
    ]
    report = rejected(manager, write_csv(tmp_path / "ktoa.csv", rows))
    assert report.error_count == 250 and len(report.errors) == 100
    [group] = report.groups
    assert group.count == 100 and group.rows_display == "2, 3, 4 … 외 97행"
    assert report.hidden == 150
    assert "나머지 150건" in report.render()


def test_errors_across_batches_keep_row_order_and_true_count(city, home, manager, tmp_path, monkeypatch):
    from dolbom.core.tabular import readers

    monkeypatch.setattr(readers, "PARQUET_BATCH_ROWS", 7)
    n = 300
    rrn = city_rrns(city)[0]
    columns = {
        "record_id": pa.array([f"N-{i}" for i in range(n)]),
        "kind": pa.array(["health_insurance_arrears"] * n),
        "resident_number": pa.array([rrn] * n),
        "name": pa.array(["김영희"] * n),
        "observed_on": pa.array([date(2026, 9, 1)] * n, pa.date32()),
        "months_overdue": pa.array([2 if i % 3 == 0 else 5 for i in range(n)], pa.int64()),
        "amount_overdue": pa.array([1000] * n, pa.int64()),
        "insured_type": pa.array(["지역가입자"] * n),
    }
    columns["record_id"] = pa.array([f"N-{i % 290}" for i in range(n)])  # 10 repeats at the end
    report = rejected(manager, write_parquet(tmp_path / "nhis.parquet", columns))
    assert report.error_count == 100 + 10
    assert [e.row for e in report.errors] == sorted(e.row for e in report.errors)
    assert report.errors[0].row == 2 and len(report.errors) == 110


def test_unsupported_format_and_old_excel_are_refused(city, home, manager, tmp_path):
    path = tmp_path / "ktoa.json"
    path.write_text("[]")
    assert "지원하지 않는 파일 형식" in rejected(manager, path).errors[0].reason
    old = tmp_path / "ktoa.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    assert ".xlsx로 저장" in rejected(manager, old).errors[0].reason
    assert_nothing_kept(home)


def test_corrupt_parquet_and_excel_are_refused(city, home, manager, tmp_path):
    (tmp_path / "nhis.parquet").write_bytes(b"not parquet at all")
    assert "Parquet 파일을 열 수 없습니다" in rejected(manager, tmp_path / "nhis.parquet").errors[0].reason
    (tmp_path / "keis.xlsx").write_bytes(b"PK\x03\x04 broken")
    assert "엑셀 파일을 열 수 없습니다" in rejected(manager, tmp_path / "keis.xlsx").errors[0].reason
    assert_nothing_kept(home)


def test_empty_file_is_refused(city, home, manager, tmp_path):
    path = tmp_path / "ktoa.csv"
    path.write_bytes(b"")
    assert "빈 파일" in rejected(manager, path).errors[0].reason
    assert_nothing_kept(home)


def test_unknown_agency_and_bad_period_are_refused(city, home, manager, tmp_path):
    path = write_csv(tmp_path / "signals.csv", ktoa_rows(city))
    report = rejected(manager, path)
    assert "'signals'" in report.errors[0].reason and "ktoa" in report.errors[0].reason
    assert "찾을 수 없습니다" in rejected(manager, path, agency="nope").errors[0].reason
    assert "YYYY-MM" in rejected(manager, path, agency="ktoa", period="2026-9").errors[0].reason
    assert "YYYY-MM" in rejected(manager, path, agency="ktoa", period="2026-13").errors[0].reason
    # a year out of this century is a typing error; its window would run past the last date there is
    assert "YYYY-MM" in rejected(manager, path, agency="ktoa", period="9999-12").errors[0].reason
    assert "YYYY-MM" in rejected(manager, path, agency="ktoa", period="0001-01").errors[0].reason
    assert_nothing_kept(home)


def test_failure_while_committing_leaves_nothing(city, home, manager, tmp_path, monkeypatch):
    from dolbom.core import audit

    def broken(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        run_import(manager, write_csv(tmp_path / "ktoa.csv", ktoa_rows(city)))
    assert_nothing_kept(home)


def test_failure_while_writing_parquet_leaves_nothing(city, home, manager, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store.pq.ParquetWriter, "write_batch", broken)
    with pytest.raises(OSError, match="disk full"):
        run_import(manager, write_csv(tmp_path / "ktoa.csv", ktoa_rows(city)))
    assert_nothing_kept(home)


def test_report_never_repeats_a_resident_number_or_name_found_in_another_column(city, home, manager, tmp_path):
    rows = ktoa_rows(city)
    rows[0]["amount_overdue"] = rows[0]["resident_number"]  # a shifted column
    rows[1]["months_overdue"] = rows[1]["name"]
    rows[2]["amount_overdue"] = "-" + rows[2]["resident_number"].replace("-", "")  # negative: shown? never
    report = rejected(manager, write_csv(tmp_path / "ktoa.csv", rows))
    rendered = report.render()
    assert report.error_count == 3
    for row in rows[:3]:
        assert row["resident_number"] not in rendered
        assert row["resident_number"].replace("-", "") not in rendered
        assert row["name"] not in rendered


def test_stranger_numbers_count_as_unmatched_and_are_kept(city, home, manager, tmp_path):
    result = run_import(manager, write_csv(tmp_path / "ktoa.csv", ktoa_rows(city, n_stranger=30)))
    assert (result.rows, result.matched, result.unmatched) == (34, 3, 31)  # 30 strangers, 1 of the other district
    assert len(result.unmatched_sample) == 20
    assert [u.row for u in result.unmatched_sample[:2]] == [4, 6]
    table = stored_table(result.signal_file)
    assert table.column("person_id").null_count == 31
    assert STRANGER_RRN not in str(result)
