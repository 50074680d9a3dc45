"""The upload page and the list of imported files, from the outside, and the command line."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from dolbom.cli import main
from dolbom.discovery.models import SignalFile
from tests.conftest import PASSWORD
from tests.discovery.test_import_files import (
    PERIOD,
    assert_nothing_kept,
    ktoa_rows,
    stored_files,
    write_csv,
)
from tests.discovery.uploads import upload


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    return settings.HOME


def login(client: Client, username: str) -> Client:
    assert client.login(username=username, password=PASSWORD)
    return client


def post_file(client: Client, path, **data):
    return upload(client, path, period=PERIOD, **data)


def assert_no_inline_code(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert "<style" not in html and " style=" not in html, "inline style"


def test_manager_sees_the_upload_form(city, home, client):
    response = login(client, "manager").get(reverse("signal_upload"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    for name in ("file", "period", "agency"):
        assert f'for="id_{name}"' in html and f'id="id_{name}"' in html
    assert 'aria-describedby="id_file_helptext"' in html
    assert_no_inline_code(html)


def test_good_upload_shows_the_summary(city, home, client, tmp_path):
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city), encoding="cp949")
    response = post_file(login(client, "manager"), path)
    assert response.status_code == 200 and response.job.status == "done"
    html = response.content.decode()
    assert 'role="status"' in html and "KTOA-9000" in html and "cp949" in html
    assert f'href="{reverse("signal_files")}?period={PERIOD}"' in html
    signal_file = SignalFile.objects.get()
    assert (signal_file.rows, signal_file.matched_rows, signal_file.unmatched_rows) == (5, 3, 2)
    assert signal_file.original_name == "ktoa.csv" and signal_file.imported_by == city.users["district_manager"]
    assert stored_files(home) == [home / signal_file.storage_path]
    assert_no_inline_code(html)


def test_bad_upload_shows_the_report_as_a_table(city, home, client, tmp_path):
    rows = ktoa_rows(city)
    rows[1]["amount_overdue"] = "-500"
    rows[2]["kind"] = "nonsense"
    response = post_file(login(client, "manager"), write_csv(tmp_path / "ktoa.csv", rows))
    assert response.job.status == "failed"
    html = re.sub(r"<td [^>]*>", "<td>", response.content.decode())
    assert 'role="alert"' in html and "작업이 실패했습니다" not in html
    assert "<td>3</td><td>체납액 (amount_overdue)</td><td>0 이상이어야 합니다 (값: -500).</td>" in html
    assert "<td>4</td><td>위기정보 종류 (kind)</td>" in html
    assert_nothing_kept(home)


def test_upload_without_a_file_lists_the_problem(city, home, client):
    response = login(client, "manager").post(reverse("signal_upload"), {"period": "2026-9"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'role="alert"' in html and 'href="#id_file"' in html and 'href="#id_period"' in html
    assert 'aria-invalid="true"' in html
    assert_nothing_kept(home)


def test_upload_chooses_the_agency(city, home, client, tmp_path):
    path = write_csv(tmp_path / "export.csv", ktoa_rows(city))
    response = post_file(login(client, "manager"), path, agency="ktoa")
    assert response.job.status == "done"
    assert SignalFile.objects.get().agency_code == "ktoa"


def test_dong_officer_gets_403_and_nothing_is_imported(city, home, client, tmp_path):
    login(client, "officer")
    assert client.get(reverse("signal_upload")).status_code == 403
    assert client.get(reverse("signal_files")).status_code == 403
    assert post_file(client, write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))).status_code == 403
    assert_nothing_kept(home)


def test_upload_requires_the_csrf_token(city, home, tmp_path):
    client = login(Client(enforce_csrf_checks=True), "manager")
    response = post_file(client, write_csv(tmp_path / "ktoa.csv", ktoa_rows(city)))
    assert response.status_code == 403
    assert_nothing_kept(home)


def test_list_shows_imported_files(city, home, client, tmp_path):
    login(client, "admin1")
    post_file(client, write_csv(tmp_path / "ktoa.csv", ktoa_rows(city)))
    response = client.get(reverse("signal_files"))
    assert response.status_code == 200
    html = re.sub(r">\s+<", "><", response.content.decode())
    assert "한국통신사업자연합회 (ktoa)" in html and "ktoa.csv" in html and PERIOD in html
    assert "<td>5</td><td>3</td><td>2</td><td>admin1</td>" in html
    assert client.get(reverse("signal_files"), {"period": "2026-07"}).content.decode().count("ktoa.csv") == 0
    assert_no_inline_code(html)


def test_cli_exit_codes(city, home, tmp_path, capsys):
    good = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))
    rows = ktoa_rows(city)
    rows[0]["observed_on"] = "2026-02-30"
    bad = write_csv(tmp_path / "export.csv", rows)

    assert main(["import", "signals", str(good), "--period", PERIOD, "--as", "manager"]) == 0
    out = capsys.readouterr().out
    assert "ktoa" in out and "5" in out

    assert main(["import", "signals", str(good), "--period", PERIOD, "--as", "manager"]) == 1
    assert "이미 가져온 파일" in capsys.readouterr().out

    assert main(["import", "signals", str(bad), "--period", PERIOD, "--as", "manager", "--agency", "ktoa"]) == 1
    out = capsys.readouterr().out
    assert "2행" in out and "기준일 (observed_on)" in out
    assert SignalFile.objects.count() == 1


def test_a_wrong_agency_file_is_one_line_with_its_count(city, home, client, tmp_path):
    """The electricity company's file sent as the telecom association's: a hundred identical problems read as one
    line naming the first rows, with the true total kept."""
    rrn = city.persons[0].resident_number()
    rows = [
        {
            "record_id": f"KEPCO-{i}",
            "kind": "electricity_arrears",
            "resident_number": rrn,
            "name": "김영희",
            "observed_on": "2026-09-03",
            "months_overdue": "4",
            "amount_overdue": "180000",
        }
        for i in range(100)
    ]
    response = post_file(login(client, "manager"), write_csv(tmp_path / "export.csv", rows), agency="ktoa")
    assert response.job.status == "failed" and response.job.result["report"]["error_count"] == 100
    html = re.sub(r"<td [^>]*>", "<td>", re.sub(r">\s+<", "><", response.content.decode()))
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == 1
    assert "<td>2, 3, 4 … 외 97행</td><td>위기정보 종류 (kind)</td>" in body and "한국전력공사" in body
    assert "100건" in html or "100개" in html
    assert_nothing_kept(home)
