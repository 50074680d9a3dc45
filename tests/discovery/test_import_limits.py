"""One upload must not take the service down: size limits per format while the body arrives, Excel bombs refused
before or without hurting the server, Parquet and CSV bounded by their metadata and block size, a row limit, a
header without rows refused; every refusal audited without a row's content. From the outside: the upload page
through Django's test client, and `dolbom import signals` as a command."""

from __future__ import annotations

import html

import pyarrow as pa
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.discovery.models import SignalFile
from tests.conftest import PASSWORD
from tests.discovery.hostile_files import (
    far_cell_xlsx,
    long_header_csv,
    long_line_csv,
    nhis_parquet_with_long_values,
    zip_bomb_xlsx,
)
from tests.discovery.test_import_files import (
    PERIOD,
    STRANGER_RRN,
    city_rrns,
    ktoa_rows,
    nhis_columns,
    write_csv,
    write_parquet,
    write_xlsx,
)
from tests.discovery.uploads import follow_job

MB = 2**20


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    settings.FILE_UPLOAD_TEMP_DIR = settings.HOME / "uploads"
    return settings.HOME


@pytest.fixture
def manager_client(city, home) -> Client:
    client = Client()
    assert client.login(username="manager", password=PASSWORD)
    return client


def post(client: Client, path, name: str | None = None):
    """Upload as the importer does and run the import job; the page they end on (core.jobs)."""
    if name:  # the name the browser sends, whatever the file is called here
        upload = SimpleUploadedFile(name, path.read_bytes())
        return follow_job(
            client, client.post(reverse("signal_upload"), {"file": upload, "period": PERIOD, "agency": ""})
        )
    with path.open("rb") as handle:
        return follow_job(
            client, client.post(reverse("signal_upload"), {"file": handle, "period": PERIOD, "agency": ""})
        )


def refused(response) -> bool:
    """Refused with a report: on the upload page at once, or by the import job, on its page."""
    if response.job is None:
        return response.status_code == 422
    return response.job.status == "failed" and "report" in response.job.result


def refusal(**match) -> dict:
    events = AuditEvent.objects.filter(action="discovery.import_refused")
    assert events.count() == 1, list(events.values_list("detail", flat=True))
    detail = events.get().detail
    for key, value in match.items():
        assert detail[key] == value, (key, detail)
    return detail


def nothing_on_disk(home) -> None:
    assert not SignalFile.objects.exists()
    # The import turns' lock files stay (empty: removing one while another process opens it would let two imports
    # share a turn).
    locks = home / "locks"
    leftovers = [p for p in home.rglob("*") if p.is_file() and p.name != "keys.env" and locks not in p.parents]
    assert leftovers == []
    assert all(p.stat().st_size == 0 for p in locks.rglob("*") if p.is_file())


# ------------------------------------------------------------------------------------------------------- size


def test_a_file_over_its_formats_limit_is_stopped_while_it_arrives(manager_client, home, settings, tmp_path, city):
    settings.SIGNAL_MAX_BYTES = {"csv": 1 * MB, "xlsx": 1 * MB, "parquet": 4 * MB}
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city) * 5_000)  # about 2 MB, under the request ceiling
    assert 1 * MB < path.stat().st_size < 4 * MB

    response = post(manager_client, path)

    assert response.status_code == 413
    page = response.content.decode()
    assert "파일이 너무 큽니다" in page and "CSV 파일은 1 MB까지 받습니다" in page
    detail = refusal(reason="too_large", format="csv", file_name="ktoa.csv", limit_bytes=1 * MB)
    assert detail["bytes"] <= 1 * MB + 2 * 64 * 1024  # stopped within a chunk or two of the limit, not at the end
    nothing_on_disk(home)


def test_a_request_larger_than_any_file_is_refused_unread(manager_client, home, settings, tmp_path, city):
    settings.SIGNAL_MAX_BYTES = {"csv": 1 * MB, "xlsx": 1 * MB, "parquet": 1 * MB}
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city) * 10_000)  # about 4 MB, over 1 MB + the form

    response = post(manager_client, path)

    assert response.status_code == 413
    assert "1 MB까지 받습니다" in response.content.decode()
    refusal(reason="too_large")
    nothing_on_disk(home)


def test_the_command_line_refuses_a_file_over_the_limit(city, home, settings, tmp_path, capsys):
    from dolbom.cli import main

    settings.SIGNAL_MAX_BYTES = {"csv": 1 * MB, "xlsx": 1 * MB, "parquet": 1 * MB}
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city) * 5_000)
    assert main(["import", "signals", str(path), "--period", PERIOD, "--as", "manager"]) == 1
    assert "파일이 너무 큽니다" in capsys.readouterr().out
    refusal(reason="too_large", format="csv")


def test_the_upload_page_states_the_limits(manager_client, settings):
    settings.SIGNAL_MAX_BYTES = {"csv": 256 * MB, "xlsx": 64 * MB, "parquet": 128 * MB}
    page = manager_client.get(reverse("signal_upload")).content.decode()
    assert "CSV 256 MB, 엑셀 64 MB, Parquet 128 MB" in page


# ------------------------------------------------------------------------------------------------------ Excel


def test_a_zip_bomb_workbook_is_refused_before_any_xml_is_parsed(manager_client, home, tmp_path):
    path = zip_bomb_xlsx(tmp_path / "keis.xlsx", unpacked_mb=40)
    assert path.stat().st_size < 1 * MB

    response = post(manager_client, path)

    assert refused(response)
    page = response.content.decode()
    assert "압축률이 비정상적으로 높습니다" in page and "sharedStrings.xml" in page
    refusal(reason="unpacked_too_large", format="xlsx")
    nothing_on_disk(home)


def test_a_workbook_over_the_unpacked_limits_is_refused(manager_client, home, settings, tmp_path, city):
    settings.XLSX_MAX_PART_BYTES = 1 * MB
    header = ["record_id", "kind", "resident_number", "name", "observed_on", "lost_on", "reason"]
    rrn = city_rrns(city)[0]
    rows = [[f"KEIS-{i}", "job_loss", rrn, "이철수", "2026-09-02", "2026-08-31", "권고사직"] for i in range(5000)]
    path = write_xlsx(tmp_path / "keis.xlsx", header, rows)

    response = post(manager_client, path)

    assert refused(response)
    text = html.unescape(response.content.decode())
    assert "'xl/worksheets/sheet1.xml'가 압축을 풀면" in text and "한 구성 요소의 한도 1 MB를 넘습니다" in text
    refusal(reason="unpacked_too_large")


def test_a_far_cell_workbook_is_refused_and_the_server_lives(manager_client, home, tmp_path):
    # The reader that builds the sheet densely asks for 400 GB here and aborts: its own process, not the server.
    path = far_cell_xlsx(tmp_path / "keis.xlsx")

    response = post(manager_client, path)

    assert refused(response)
    assert "메모리가 한도" in response.content.decode()
    refusal(reason="reader_limit", format="xlsx")
    assert manager_client.get(reverse("signal_upload")).status_code == 200


def test_the_row_limit_holds_in_every_format(manager_client, home, settings, tmp_path, city):
    settings.SIGNAL_MAX_ROWS = 3
    header = ["record_id", "kind", "resident_number", "name", "observed_on", "lost_on", "reason"]
    rrns = city_rrns(city)
    rows = [[f"KEIS-{i}", "job_loss", rrns[i], "이철수", "2026-09-02", "2026-08-31", "권고사직"] for i in range(4)]
    files = [
        write_csv(tmp_path / "ktoa.csv", ktoa_rows(city)),
        write_xlsx(tmp_path / "keis.xlsx", header, rows),
        write_parquet(tmp_path / "nhis.parquet", {**nhis_columns(city), "x": pa.array([1, 2, 3])} | _fourth(city)),
    ]
    for path in files:
        response = post(manager_client, path)
        assert refused(response), path
        assert "자료 행이 너무 많습니다" in response.content.decode() and "3행까지" in response.content.decode()
    reasons = AuditEvent.objects.filter(action="discovery.import_refused").values_list("detail__reason", flat=True)
    assert list(reasons) == ["too_many_rows"] * 3
    assert not SignalFile.objects.exists()


def _fourth(city) -> dict[str, pa.Array]:
    """nhis_columns with a fourth row."""
    columns = nhis_columns(city)
    return {name: pa.concat_arrays([column, column[:1]]) for name, column in columns.items()} | {
        "record_id": pa.array(["NHIS-1", "NHIS-2", "NHIS-3", "NHIS-4"]),
        "x": pa.array([1, 2, 3, 4]),
    }


# ---------------------------------------------------------------------------------------------- Parquet, CSV


def test_a_parquet_row_group_too_large_by_its_metadata_is_refused_unread(manager_client, home, settings, tmp_path):
    settings.PARQUET_MAX_ROW_GROUP_BYTES = 8 * MB
    path = nhis_parquet_with_long_values(tmp_path / "nhis.parquet", rows=20_000, value_bytes=1_000, dictionary=False)
    assert path.stat().st_size < 1 * MB

    response = post(manager_client, path)

    assert refused(response)
    assert "1번째 행 그룹이 압축을 풀면" in response.content.decode()
    refusal(reason="unpacked_too_large", format="parquet")


def test_a_parquet_whose_dictionary_unpacks_too_large_is_refused(manager_client, home, settings, tmp_path):
    # Dictionary-encoded, the long value counts once in the metadata: the batch is measured before it is unpacked.
    settings.PARQUET_MAX_ROW_GROUP_BYTES = 8 * MB
    path = nhis_parquet_with_long_values(tmp_path / "nhis.parquet", rows=20_000, value_bytes=1_000, dictionary=True)

    response = post(manager_client, path)

    assert refused(response)
    assert "값이 비정상적으로 긴 열" in response.content.decode()
    refusal(reason="unpacked_too_large", format="parquet")


def test_a_csv_row_longer_than_a_block_is_refused_not_buffered(manager_client, home, tmp_path):
    # Arrow reads a row spanning two blocks (up to 16 MB) and refuses a longer one rather than buffer it.
    response = post(manager_client, long_line_csv(tmp_path / "ktoa.csv", megabytes=40))
    assert refused(response)
    assert "한 행이 너무 깁니다" in response.content.decode()
    refusal(reason="unreadable", format="csv")


def test_a_csv_header_without_end_is_refused_not_buffered(manager_client, home, tmp_path):
    response = post(manager_client, long_header_csv(tmp_path / "ktoa.csv", megabytes=2))
    assert refused(response)
    assert "제목 행이 너무 깁니다(1 MB 이상)" in response.content.decode()


# ----------------------------------------------------------------------------------------- header only, audit


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "parquet"])
def test_a_header_without_rows_is_refused(manager_client, home, tmp_path, suffix):
    header = ["record_id", "kind", "resident_number", "name", "observed_on", "months_overdue", "amount_overdue"]
    if suffix == "csv":
        path = tmp_path / "ktoa.csv"
        path.write_text(",".join(header) + "\n", encoding="utf-8")
    elif suffix == "xlsx":
        path = write_xlsx(tmp_path / "ktoa.xlsx", header, [[None] * len(header)])
    else:
        path = write_parquet(tmp_path / "ktoa.parquet", {name: pa.array([], pa.string()) for name in header})

    response = post(manager_client, path)

    assert refused(response)
    assert "자료 행이 없습니다" in response.content.decode()
    refusal(reason="no_rows", format=suffix, errors=1)
    nothing_on_disk(home)


def test_the_refusal_event_names_the_file_never_a_resident_number(manager_client, home, tmp_path, city):
    rows = ktoa_rows(city)
    rows[1]["observed_on"] = "2020-01-01"  # outside the period: the file is refused for this row
    path = write_csv(tmp_path / f"ktoa {STRANGER_RRN}.csv", rows)

    response = post(manager_client, path, name=f"ktoa {STRANGER_RRN.replace('-', '－')}.csv")

    assert refused(response)
    detail = refusal(reason="rows", format="csv", errors=1, agency="ktoa", period=PERIOD)
    text = str(AuditEvent.objects.get(action="discovery.import_refused").__dict__)
    for rrn in [STRANGER_RRN, *city_rrns(city)]:
        for shape in (rrn, rrn.replace("-", ""), rrn[7:]):
            assert shape not in text
    assert "홍길동" not in text and "2020-01-01" not in text
    assert detail["file_name"].startswith("ktoa ") and "*" in detail["file_name"]
