"""Small registry exports written in a test's folder: the two files, as CSV (UTF-8, BOM, CP949), .xlsx or Parquet."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook

AS_OF = date(2026, 11, 1)
DISTRICT = "9911000000"

AREA_HEADER = ["행정동코드", "시도명", "시군구명", "읍면동명", "생성일자", "말소일자"]
AREAS = [
    ["9900000000", "한빛시", "", "", "19880423", ""],
    ["9911000000", "한빛시", "중앙구", "", "19880423", ""],
    ["9911051000", "한빛시", "중앙구", "가온동", "19880423", ""],
    ["9911052000", "한빛시", "중앙구", "나래동", "19880423", ""],
    ["9911053000", "한빛시", "중앙구", "다온동", "20200101", ""],
    ["9911059000", "한빛시", "중앙구", "옛터동", "19880423", "20191231"],
    ["9912000000", "한빛시", "강변구", "", "19880423", ""],
    ["9912051000", "한빛시", "강변구", "다솜동", "19880423", ""],
    ["1111000000", "서울특별시", "종로구", "", "19880423", ""],
]

MEMBER_HEADER = [
    "세대번호", "행정기관코드", "도로명주소", "상세주소", "우편번호", "통", "반", "세대구성일", "성명", "주민등록번호",
    "세대주와의 관계", "전입일", "전출일", "전출사유", "국적", "휴대전화", "장애정도", "사망일",
]  # fmt: skip

# 김영희 (500304-2000100) is already in the tiny city (tests/conftest.py): found again by her number.
MEMBERS = [
    ["1001", "9911053000", "한빛시 중앙구 새솔로 1", "101동 1203호", "12345", "3", "2", "2010-05-01", "홍길동",
     "800101-1234567", "본인", "2010-05-01", "", "", "", "010-1234-5678", "", ""],
    ["1001", "9911053000", "한빛시 중앙구 새솔로 1", "101동 1203호", "12345", "3", "2", "2010-05-01", "김순희",
     "820202-2345678", "처", "2012-03-01", "", "", "", "", "심한", ""],
    ["1001", "9911053000", "한빛시 중앙구 새솔로 1", "101동 1203호", "12345", "3", "2", "2010-05-01", "홍하늘",
     "050505-3456789", "자", "2010-05-01", "", "", "", "", "", ""],
    ["1002", "9911052000", "한빛시 중앙구 나래로 22", "", "", "", "", "2015-01-01", "Nguyen Thi Lan",
     "900303-6123456", "본인", "2015-01-01", "", "", "VN", "", "", ""],
    ["1002", "9911052000", "한빛시 중앙구 나래로 22", "", "", "", "", "2015-01-01", "김영희",
     "500304-2000100", "동거인", "2016-01-01", "", "", "", "", "", ""],
    ["1002", "9911052000", "한빛시 중앙구 나래로 22", "", "", "", "", "2015-01-01", "박과거",
     "700707-1111111", "세대원", "2015-01-01", "2018-01-01", "관외전출", "", "", "", ""],
]  # fmt: skip
NUMBERS = ["8001011234567", "8202022345678", "0505053456789", "9003036123456", "5003042000100", "7007071111111"]


def members() -> list[list[str]]:
    return [list(row) for row in MEMBERS]


def write_table(path: Path, header: list[str], rows: list[list], file_format: str) -> Path:
    """One file: `file_format` is csv (UTF-8), csv-bom, cp949, xlsx or parquet; returns its path."""
    if file_format in ("csv", "csv-bom", "cp949"):
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows])
        encoding = {"csv": "utf-8", "csv-bom": "utf-8-sig", "cp949": "cp949"}[file_format]
        target = path.with_suffix(".csv")
        target.write_bytes(buffer.getvalue().encode(encoding))
        return target
    if file_format == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        target = path.with_suffix(".xlsx")
        workbook.save(target)
        return target
    columns = {
        name: pa.array([str(r[i]) if r[i] != "" else None for r in rows], pa.string()) for i, name in enumerate(header)
    }
    target = path.with_suffix(".parquet")
    pq.write_table(pa.table(columns), target)
    return target


def write_export(
    folder: Path,
    member_rows: list[list] | None = None,
    *,
    file_format: str = "csv",
    member_header: list[str] | None = None,
    area_rows: list[list] | None = None,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    write_table(folder / "행정구역", AREA_HEADER, AREAS if area_rows is None else area_rows, file_format)
    write_table(
        folder / "세대원",
        member_header or MEMBER_HEADER,
        members() if member_rows is None else member_rows,
        file_format,
    )
    return folder
