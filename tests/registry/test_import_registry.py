"""`dolbom import registry`: the district's registry from the national system's export (files 행정구역, 세대원).

A valid export creates areas, households, people (numbers encrypted, found by the search) and memberships; every
rule refuses the whole import naming file, row and column, and leaves the database as it was; a re-import is a new
snapshot; `--check` writes nothing."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from dolbom.core.crypto import decrypt_rrn, rrn_hash
from dolbom.core.models import AuditEvent
from dolbom.registry.importing import extract
from dolbom.registry.importing.services import RegistryImportRefused, import_registry
from dolbom.registry.models import AdministrativeArea, Household, Membership, Person
from dolbom.registry.selectors import search_households
from tests.registry.export_files import AS_OF, DISTRICT, MEMBER_HEADER, NUMBERS, members, write_export

COLUMN = {name.replace(" ", ""): i for i, name in enumerate(MEMBER_HEADER)}


def _set(rows: list[list], row: int, column: str, value: str) -> list[list]:
    """`row` as the spreadsheet numbers it (header = 1)."""
    rows[row - 2][COLUMN[column]] = value
    return rows


def _import(city, folder, *, role="district_admin", as_of=AS_OF, check=False):
    return import_registry(user=city.users[role], folder=folder, district_code=DISTRICT, as_of=as_of, check=check)


def _refused(city, folder, **kwargs) -> extract.Problems:
    with translation.override("en"), pytest.raises(RegistryImportRefused) as refused:
        _import(city, folder, **kwargs)
    return refused.value.problems


def _state() -> dict:
    """Everything an import may change, to compare before and after a refused or dry run."""
    return {
        "areas": sorted(AdministrativeArea.objects.values_list("code", "name", "parent_id")),
        "households": sorted(Household.objects.values_list("pk", "address_id", "dong_id", "registry_number")),
        "persons": sorted(Person.objects.values_list("pk", "name", "phone", "nationality", "disability")),
        "memberships": sorted(
            Membership.objects.values_list("pk", "household_id", "person_id", "relationship", "moved_in", "moved_out")
        ),
    }


# ------------------------------------------------------------------------------------------------ a valid import


@pytest.mark.parametrize("file_format", ["csv", "csv-bom", "cp949", "xlsx", "parquet"])
def test_a_valid_export_creates_the_district_registry(city, tmp_path, file_format):
    folder = write_export(tmp_path / "export", file_format=file_format)
    before = Person.objects.count()
    result = _import(city, folder)

    assert result.counts.areas_added == 1  # 다온동; 옛터동 was retired, 강변구 and 종로구 are other districts
    assert AdministrativeArea.objects.get(code="9911053000").parent_id == DISTRICT
    assert not AdministrativeArea.objects.filter(code="9911059000").exists()
    assert result.counts.households_added == 2 and result.counts.persons_added == 5
    assert Person.objects.count() == before + 5  # 김영희 was found again by her number, not created twice
    hong = Person.objects.get(rrn_hash=rrn_hash(NUMBERS[0]))
    assert hong.name == "홍길동" and hong.phone == "010-1234-5678" and hong.birth_date == date(1980, 1, 1)
    assert decrypt_rrn(hong.rrn_cipher) == NUMBERS[0] and NUMBERS[0] not in repr(hong.rrn_cipher)
    child = Person.objects.get(rrn_hash=rrn_hash(NUMBERS[2]))  # born 2005: the leading zero kept in every format
    assert child.birth_date == date(2005, 5, 5) and child.sex == "M"
    assert Person.objects.get(rrn_hash=rrn_hash(NUMBERS[1])).disability == "severe"
    assert Person.objects.get(rrn_hash=rrn_hash(NUMBERS[3])).nationality == "VN"

    household = Household.objects.get(registry_district=DISTRICT, registry_number="1001")
    assert household.dong_id == "9911053000" and household.registered_on == date(2010, 5, 1)
    assert (household.address.road_address, household.address.detail) == ("한빛시 중앙구 새솔로 1", "101동 1203호")
    assert (household.address.postal_code, household.address.tong, household.address.ban) == ("12345", 3, 2)
    current = dict(household.memberships.filter(moved_out__isnull=True).values_list("person__name", "relationship"))
    assert current == {"홍길동": "head", "김순희": "spouse", "홍하늘": "child"}
    past = Membership.objects.get(person__rrn_hash=rrn_hash(NUMBERS[5]))
    assert (past.relationship, past.moved_out, past.ended_by) == ("member", date(2018, 1, 1), "moved_away")
    # The tiny city's own households were registered on the pages, not by an export: their members the export does
    # not list are kept and counted for review, never closed by it; 김영희, whom it lists, moves to its household.
    assert result.counts.memberships_added == 6 and result.counts.memberships_closed == 1
    assert result.counts.memberships_kept == 2 and "2명" in result.render().replace(" ", "")
    assert Membership.objects.filter(household__in=city.households[:2], moved_out__isnull=True).count() == 2
    assert Membership.objects.filter(household=city.households[2], moved_out__isnull=True).exists()  # 강변구

    # Searchable by number, like a household registered on the page.
    hits = search_households(city.users["district_admin"], "800101-1234567").hits
    assert [hit.household.pk for hit in hits] == [household.pk]
    # Audited with the files' hashes and the counts, never a number.
    event = AuditEvent.objects.get(action="registry.import_registry")
    text = json.dumps(event.detail, ensure_ascii=False)
    assert event.detail["persons_added"] == 5 and len(event.detail["files"]) == 2
    assert all(len(f["sha256"]) == 64 for f in event.detail["files"])
    assert not any(number in text or number[:6] in text for number in NUMBERS)


def test_full_width_digits_and_every_kind_of_dash_are_read(city, tmp_path):
    rows = members()
    _set(rows, 2, "주민등록번호", "８００１０１−１２３４５６７")  # full-width digits, minus sign
    _set(rows, 3, "주민등록번호", "820202ㅡ2345678")  # the Hangul letter typed for a dash
    _set(rows, 4, "주민등록번호", "050505 3456789\u200b")  # a space, a zero-width space
    _import(city, write_export(tmp_path / "export", rows))
    assert Person.objects.filter(rrn_hash__in=[rrn_hash(n) for n in NUMBERS[:3]]).count() == 3


def test_the_generic_label_is_kept_as_a_member_not_guessed(city, tmp_path):
    rows = _set(members(), 4, "세대주와의관계", "세대원")
    _import(city, write_export(tmp_path / "export", rows))
    assert Membership.objects.get(person__rrn_hash=rrn_hash(NUMBERS[2])).relationship == "member"


# ---------------------------------------------------------------------------------------------- rules of §3


RRN = "주민등록번호"


@pytest.mark.parametrize(
    ("row", "column", "value", "reason"),
    [
        (3, RRN, "820202-2******", "masked"),
        (3, RRN, "820202-2●●●●●●", "masked"),
        (3, RRN, "8.20202E+12", "exponent form"),
        (4, RRN, "505053456789", "leading zeros"),
        (3, RRN, "821302-2345678", "not a real date"),
        (3, RRN, "820202-234567", "13 digits"),
        (3, "전입일", "12.03.01", "two-digit years"),
        (3, "전입일", "2012-02-30", "does not exist"),
        (3, "세대주와의관계", "하숙인", "Unknown value"),
        (3, "전출사유", "이사", "Unknown value"),
        (3, "우편번호", "1234", "5 digits"),
        (3, "통", "0", "whole number"),
        (3, "휴대전화", "12345", "phone number"),
        (3, "성명", "", "required"),
        (3, "행정기관코드", "9912051000", "outside the district"),
        (3, "행정기관코드", "9911059000", "retired on 2019-12-31"),
        (3, "행정기관코드", "9911010100", "legal dong"),
        (3, "전입일", "1981-01-01", "before the birth date"),
        (3, "전입일", "2026-11-02", "after the import's date"),
        (7, "전출일", "2014-12-31", "before the move-in date"),
        (7, "전출일", "2026-12-01", "after the import's date"),
        (3, "전출사유", "관외전출", "without a move-out date"),
        (3, "사망일", "1970-01-01", "between the birth date"),
        (3, "장애정도", "7급", "Unknown value"),
        (5, "국적", "", "nationality"),
        (5, "국적", "화성", "Unknown nationality"),
    ],
)
def test_each_cell_rule_names_file_row_and_column(city, tmp_path, row, column, value, reason):
    folder = write_export(tmp_path / "export", _set(members(), row, column, value))
    before = _state()
    problems = _refused(city, folder)
    found = [(p.file, p.row, p.column.replace(" ", "")) for p in problems.errors]
    assert ("세대원.csv", row, column) in found, problems.errors
    assert any(reason in p.message for p in problems.errors), problems.errors
    assert not any(n in p.message or n[:6] + "-" + n[6:] in p.message for p in problems.errors for n in NUMBERS)
    assert _state() == before


def test_death_with_an_open_membership_is_refused(city, tmp_path):
    rows = _set(members(), 3, "사망일", "2025-01-01")
    problems = _refused(city, write_export(tmp_path / "export", rows))
    assert [(p.row, p.column) for p in problems.errors] == [(3, "전출일")]
    assert "after the date of death" in problems.errors[0].message


def test_birth_date_and_sex_given_must_agree_with_the_number(city, tmp_path):
    header = [*MEMBER_HEADER, "생년월일", "성별"]
    rows = [[*row, "", ""] for row in members()]
    rows[0][-2:] = ["1980-01-02", "남"]
    rows[1][-2:] = ["1982-02-02", "남"]
    problems = _refused(city, write_export(tmp_path / "export", rows, member_header=header))
    assert [(p.row, p.column) for p in problems.errors] == [(2, "생년월일"), (3, "성별")]


@pytest.mark.parametrize(
    ("row", "column", "value", "where", "reason"),
    [
        # One number, one person: the same number under another name.
        (4, "주민등록번호", "800101-1234567", (4, "성명"), "same resident registration number"),
        # One household, one address: a row of household 1001 at another address.
        (3, "도로명주소", "한빛시 중앙구 새솔로 2", (3, "도로명주소"), "same household number"),
        # Exactly one current head: two, or none.
        (3, "세대주와의 관계", "본인", (2, "세대주와의 관계"), "2 current heads"),
        (2, "세대주와의 관계", "배우자", (2, "세대주와의 관계"), "0 current heads"),
    ],
)
def test_each_rule_across_rows_names_row_and_column(city, tmp_path, row, column, value, where, reason):
    rows = _set(members(), row, column.replace(" ", ""), value)
    if column == "주민등록번호":  # the same person in a past membership of another household, named differently
        rows[row - 2][COLUMN["전출일"]] = "2011-01-01"
        rows[row - 2][COLUMN["전입일"]] = "2010-01-01"
        rows[row - 2][COLUMN["세대주와의관계"]] = "자"
    problems = _refused(city, write_export(tmp_path / "export", rows))
    assert where in [(p.row, p.column) for p in problems.errors], problems.errors
    assert any(reason in p.message for p in problems.errors), problems.errors


def test_a_person_lives_in_one_household_at_a_time(city, tmp_path):
    rows = members()
    twice = list(rows[1])  # 김순희, also a current member of household 1002
    twice[:8] = rows[3][:8]
    twice[COLUMN["세대주와의관계"]] = "동거인"
    problems = _refused(city, write_export(tmp_path / "export", [*rows, twice]))
    assert (8, "전출일") in [(p.row, p.column) for p in problems.errors]
    # and a past membership overlapping a later one
    rows = members()
    earlier = list(rows[5])  # 박과거 in 1002 until 2018; again in 1001 from 2017
    earlier[:8] = rows[0][:8]
    earlier[COLUMN["전입일"]], earlier[COLUMN["전출일"]], earlier[COLUMN["전출사유"]] = "2017-01-01", "2017-06-01", ""
    problems = _refused(city, write_export(tmp_path / "export", [*rows, earlier]))
    assert any("overlaps" in p.message for p in problems.errors), problems.errors


def test_columns_not_in_the_layout_and_missing_columns_are_refused(city, tmp_path):
    header = [*MEMBER_HEADER, "소득"]
    rows = [[*row, "1000000"] for row in members()]
    problems = _refused(city, write_export(tmp_path / "export", rows, member_header=header))
    assert [(p.row, p.column) for p in problems.errors] == [(1, "소득")]
    header = [h for h in MEMBER_HEADER if h != "전입일"]
    rows = [[v for i, v in enumerate(row) if i != COLUMN["전입일"]] for row in members()]
    problems = _refused(city, write_export(tmp_path / "export", rows, member_header=header))
    assert [(p.row, p.column) for p in problems.errors] == [(1, "전입일")]


def test_a_file_neither_utf8_nor_cp949_is_refused(city, tmp_path):
    folder = write_export(tmp_path / "export")
    members_file = folder / "세대원.csv"
    members_file.write_bytes(members_file.read_bytes() + b"1003,\xff\xfe\xfa\n")
    problems = _refused(city, folder)
    assert problems.errors[0].file == "세대원.csv" and "neither UTF-8 nor CP949" in problems.errors[0].message


def test_a_missing_file_is_named(city, tmp_path):
    folder = write_export(tmp_path / "export")
    (folder / "행정구역.csv").unlink()
    problems = _refused(city, folder)
    assert [p.file for p in problems.errors] == ["행정구역"]


def test_excel_numbers_that_lost_their_zeros_and_several_sheets_are_refused(city, tmp_path):
    from openpyxl import load_workbook

    folder = write_export(tmp_path / "export", file_format="xlsx")
    workbook = load_workbook(folder / "세대원.xlsx")
    workbook.active.cell(row=4, column=COLUMN["주민등록번호"] + 1).value = 505053456789  # typed as a number
    workbook.save(folder / "세대원.xlsx")
    problems = _refused(city, folder)
    assert [(p.row, p.column) for p in problems.errors] == [(4, "주민등록번호")]
    assert "leading zeros" in problems.errors[0].message
    workbook.create_sheet("메모")
    workbook.save(folder / "세대원.xlsx")
    problems = _refused(city, folder)
    assert problems.errors[0].file == "세대원.xlsx" and "2 sheets" in problems.errors[0].message


def test_every_error_is_counted_and_the_listed_ones_capped(city, tmp_path, monkeypatch):
    monkeypatch.setattr(extract, "LISTED", 2)
    rows = members()
    for row in (2, 3, 4, 5):
        _set(rows, row, "우편번호", "1")
    problems = _refused(city, write_export(tmp_path / "export", rows))
    assert problems.count == 4 and len(problems.errors) == 2
    with translation.override("en"):
        report = RegistryImportRefused(problems).report()
    assert "4 problem(s)" in report and "2 more not listed" in report


def test_a_bad_row_at_the_end_leaves_the_database_unchanged(city, tmp_path):
    rows = members()
    last = list(rows[-1])
    last[COLUMN["주민등록번호"]], last[COLUMN["성명"]] = "991231-1******", "마지막"
    before = _state()
    audit_before = AuditEvent.objects.exclude(action="registry.import_registry_refused").count()
    problems = _refused(city, write_export(tmp_path / "export", [*rows, last]))
    assert problems.count == 1 and problems.errors[0].row == len(rows) + 2
    assert _state() == before
    assert AuditEvent.objects.exclude(action="registry.import_registry_refused").count() == audit_before
    refused = AuditEvent.objects.get(action="registry.import_registry_refused")
    assert refused.detail["problems"] == 1 and "991231" not in json.dumps(refused.detail)


# ---------------------------------------------------------------------------------------- scope and permission


@pytest.mark.parametrize("role", ["district_manager", "dong_officer", "agency_worker", "analyst"])
def test_only_the_districts_administrator_imports(city, tmp_path, role):
    folder = write_export(tmp_path / "export")
    before = _state()
    with pytest.raises(PermissionDenied):
        _import(city, folder, role=role)
    assert _state() == before


def test_an_administrator_cannot_import_another_district(city, tmp_path):
    folder = write_export(tmp_path / "export")
    with pytest.raises(PermissionDenied):
        import_registry(user=city.users["district_admin"], folder=folder, district_code="9912000000", as_of=AS_OF)


# ------------------------------------------------------------------------------------------ snapshots and check


def test_reimport_closes_a_missing_membership_and_deletes_nothing(city, tmp_path):
    _import(city, write_export(tmp_path / "first"))
    counts = {model: model.objects.count() for model in (Person, Household, Membership)}
    rows = [row for row in members() if row[COLUMN["성명"]] != "김순희"]
    rows[0][COLUMN["휴대전화"]] = "010-9999-0000"
    result = _import(city, write_export(tmp_path / "second", rows), as_of=date(2026, 11, 20))

    gone = Membership.objects.get(person__rrn_hash=rrn_hash(NUMBERS[1]))
    assert (gone.moved_out, gone.ended_by) == (date(2026, 11, 20), "")
    assert result.counts.memberships_closed == 1 and result.counts.memberships_added == 0
    assert result.counts.persons_added == 0 and result.counts.persons_changed == 1
    assert Person.objects.get(rrn_hash=rrn_hash(NUMBERS[0])).phone == "010-9999-0000"
    assert {model: model.objects.count() for model in (Person, Household, Membership)} == counts


def test_check_reports_what_would_change_and_writes_nothing(city, tmp_path):
    folder = write_export(tmp_path / "export")
    before = _state()
    checked = _import(city, folder, check=True)
    assert _state() == before
    assert AuditEvent.objects.filter(action="registry.import_registry_check").count() == 1
    assert not AuditEvent.objects.filter(action="registry.import_registry").exists()
    done = _import(city, folder)
    assert checked.counts == done.counts and checked.check and not done.check
    assert replace(done.counts, areas_added=0).persons_added == 5


def test_a_person_living_in_another_district_is_refused(city, tmp_path):
    rows = members()
    # 박민지 (tiny city) lives in 강변구; the export puts her in a household here as well.
    rows.append([*rows[0][:8], "박민지", "011231-4000102", "자", "2020-01-01", "", "", "", "", "", ""])
    before = _state()
    problems = _refused(city, write_export(tmp_path / "export", rows))
    assert [(p.row, "another district" in p.message) for p in problems.errors] == [(8, True)]
    assert _state() == before


def test_parquet_with_typed_columns_is_read_as_text(city, tmp_path):
    """Dates as dates, 통 and 반 as integers: read as the text a CSV would hold. A resident number typed as an
    integer lost its leading zero and is refused like a spreadsheet's."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = write_export(tmp_path / "export", file_format="parquet")
    table = pq.read_table(folder / "세대원.parquet")

    def typed(name: str, values: list) -> pa.Table:
        return table.set_column(table.schema.get_field_index(name), name, pa.array(values))

    table = typed("전입일", [date.fromisoformat(r[COLUMN["전입일"]]) for r in members()])
    table = typed("통", [int(r[COLUMN["통"]]) if r[COLUMN["통"]] else None for r in members()])
    pq.write_table(table, folder / "세대원.parquet")
    assert _import(city, folder).counts.persons_added == 5

    table = typed("주민등록번호", [int(n) for n in NUMBERS])
    pq.write_table(table, folder / "세대원.parquet")
    problems = _refused(city, folder)
    assert [(p.row, p.column) for p in problems.errors] == [(4, "주민등록번호")]
    assert "leading zeros" in problems.errors[0].message


def test_reimport_records_a_move_between_two_households(city, tmp_path):
    _import(city, write_export(tmp_path / "first"))
    rows = members()
    moved = list(rows[2])  # 홍하늘 leaves 1001 on 2026-11-10 and joins 1002 the same day
    _set(rows, 4, "전출일", "2026-11-10")
    _set(rows, 4, "전출사유", "세대이동")
    moved[:8] = rows[3][:8]
    moved[COLUMN["세대주와의관계"]], moved[COLUMN["전입일"]] = "동거인", "2026-11-10"
    result = _import(city, write_export(tmp_path / "second", [*rows, moved]), as_of=date(2026, 11, 20))
    assert (result.counts.memberships_changed, result.counts.memberships_added) == (1, 1)
    history = Membership.objects.filter(person__rrn_hash=rrn_hash(NUMBERS[2])).order_by("moved_in")
    assert [(m.household.registry_number, m.moved_out, m.ended_by) for m in history] == [
        ("1001", date(2026, 11, 10), "moved_within"),
        ("1002", None, ""),
    ]


def test_a_file_without_its_header_row_shows_no_number(city, tmp_path):
    """The first row is then taken as the header: its values, a resident number among them, are "unknown
    columns". Shifted columns put a number where a label is quoted. Neither reaches the report."""
    folder = write_export(tmp_path / "export", members()[1:], member_header=members()[0])
    problems = _refused(city, folder)
    assert problems.count > 0
    report = RegistryImportRefused(problems).report()
    assert NUMBERS[0][:6] not in report and "800101" not in report
    rows = _set(members(), 3, "세대주와의관계", "820202-2345678")
    report = RegistryImportRefused(_refused(city, write_export(tmp_path / "export", rows))).report()
    assert "820202" not in report and "2345678" not in report


def test_the_district_administrator_renames_their_areas_but_not_the_province(city, tmp_path):
    from tests.registry.export_files import AREAS

    areas = [list(row) for row in AREAS]
    areas[0][1] = areas[1][1] = areas[2][1] = "한빛광역시"  # the 시도, as every row of KIKcd_H names it
    areas[2][3] = "가온1동"
    result = _import(city, write_export(tmp_path / "export", area_rows=areas))
    assert AdministrativeArea.objects.get(code="9900000000").name == "한빛시"  # shared by the other districts
    assert AdministrativeArea.objects.get(code="9911051000").name == "가온1동"
    assert result.counts.areas_renamed == 1
