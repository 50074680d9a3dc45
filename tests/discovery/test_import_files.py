"""Building agency files for the import tests: rows about the tiny city's people, written as CSV (any encoding),
Excel or Parquet. Imported by the test modules; it holds no tests itself."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dolbom.core.models import AuditEvent
from dolbom.discovery.importing.report import ImportReport, SignalFileRejected
from dolbom.discovery.models import SignalFile
from dolbom.discovery.services.signals import ImportResult, import_signal_file
from tests.conftest import make_rrn

PERIOD = "2026-09"
KTOA_COLUMNS = [
    "record_id",
    "kind",
    "resident_number",
    "name",
    "observed_on",
    "months_overdue",
    "amount_overdue",
    "carrier",
]
# Nobody in the tiny city has this number (a real date, so it is valid).
STRANGER_RRN = "900101-1234567"


def city_rrns(city) -> list[str]:
    """The resident numbers of the tiny city's persons, in `city.persons` order (see tests/conftest.py)."""
    serials = [100, 101, 102, 200]
    return [make_rrn(p.birth_date, p.sex, s) for p, s in zip(city.persons, serials, strict=True)]


def ktoa_rows(city, n_stranger: int = 1) -> list[dict[str, str]]:
    rrns = city_rrns(city)
    rows = [
        {
            "record_id": f"KTOA-{i + 1:04d}",
            "kind": "telecom_arrears",
            "resident_number": rrn,
            "name": person.name,
            "observed_on": "2026-09-15",
            "months_overdue": str(3 + i),
            "amount_overdue": str(120_000 * (i + 1)),
            "carrier": ["SKT", "KT", "LGU+", ""][i],
        }
        for i, (person, rrn) in enumerate(zip(city.persons, rrns, strict=True))
    ]
    for j in range(n_stranger):
        rows.append(
            {
                "record_id": f"KTOA-9{j:03d}",
                "kind": "telecom_arrears",
                "resident_number": STRANGER_RRN,
                "name": "홍길동",
                "observed_on": "20261001",
                "months_overdue": "3",
                "amount_overdue": "1,250,000",
                "carrier": "알뜰폰",
            }
        )
    return rows


def kepco_rows(city) -> list[dict[str, str]]:
    rrns = city_rrns(city)
    return [
        {
            "record_id": "KEPCO-1",
            "kind": "electricity_arrears",
            "resident_number": rrns[0],
            "name": "김영희",
            "observed_on": "2026-09-03",
            "months_overdue": "4",
            "amount_overdue": "180000",
            "last_paid_on": "2026-05-02",
            "cutoff_on": "",
            "measure": "",
        },
        {
            "record_id": "KEPCO-2",
            "kind": "electricity_cutoff",
            "resident_number": rrns[1],
            "name": "이철수",
            "observed_on": "2026-09-20",
            "months_overdue": "7",
            "amount_overdue": "",
            "last_paid_on": "",
            "cutoff_on": "2026-09-18",
            "measure": "단전",
        },
    ]


def write_csv(
    path: Path, rows: list[dict[str, str]], *, encoding: str = "utf-8", columns: list[str] | None = None
) -> Path:
    columns = columns or list(rows[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_parquet(path: Path, columns: dict[str, pa.Array]) -> Path:
    pq.write_table(pa.table(columns), path)
    return path


def nhis_columns(city) -> dict[str, pa.Array]:
    rrns = city_rrns(city)
    return {
        "record_id": pa.array(["NHIS-1", "NHIS-2", "NHIS-3"]),
        "kind": pa.array(["health_insurance_arrears"] * 3),
        "resident_number": pa.array([rrns[2], rrns[3], STRANGER_RRN]),
        "name": pa.array(["박민지", "김민수", "홍길동"]),
        "observed_on": pa.array([date(2026, 9, 1), date(2026, 10, 2), date(2026, 10, 31)], pa.date32()),
        "months_overdue": pa.array([3, 14, 6], pa.int64()),
        "amount_overdue": pa.array([330_000, 1_540_000, 0], pa.int64()),
        "insured_type": pa.array(["지역가입자", "직장가입자", "지역가입자"]),
    }


def run_import(user, path: Path, *, period: str = PERIOD, agency: str | None = None, **kwargs) -> ImportResult:
    return import_signal_file(user=user, path=path, period=period, agency_code=agency, **kwargs)


def rejected(user, path: Path, *, period: str = PERIOD, agency: str | None = None, **kwargs) -> ImportReport:
    with pytest.raises(SignalFileRejected) as caught:
        run_import(user, path, period=period, agency=agency, **kwargs)
    return caught.value.report


def stored_files(home: Path) -> list[Path]:
    root = home / "signals"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def assert_nothing_kept(home: Path) -> None:
    assert not SignalFile.objects.exists()
    assert stored_files(home) == []
    assert not AuditEvent.objects.filter(action="discovery.import_signals").exists()
