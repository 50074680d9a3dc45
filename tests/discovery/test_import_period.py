"""The period of an import against the dates in the file, from the outside: the upload page has no default period,
a file of another period is refused, one with a few older rows waits for an explicit confirmation of that very
file, and the command line asks for --confirm-period."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from dolbom.cli import main
from dolbom.core.models import AuditEvent, Job
from dolbom.discovery.importing.report import SignalFileRejected
from dolbom.discovery.models import SignalFile
from dolbom.discovery.services.signals import PeriodNotConfirmed
from tests.conftest import PASSWORD
from tests.discovery.test_import_files import (
    PERIOD,
    assert_nothing_kept,
    ktoa_rows,
    rejected,
    run_import,
    write_csv,
)
from tests.discovery.uploads import follow_job, upload


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    return settings.HOME


@pytest.fixture
def manager(city):
    return city.users["district_manager"]


def dated(city, *days: str) -> list[dict[str, str]]:
    """The telecom rows of the tiny city (five), with the given reference dates in order."""
    rows = ktoa_rows(city)
    for row, day in zip(rows, days, strict=False):
        row["observed_on"] = day
    return rows


def login(client: Client, username: str = "manager") -> Client:
    assert client.login(username=username, password=PASSWORD)
    return client


def post_file(client: Client, path, period: str, **data):
    return upload(client, path, period=period, agency="ktoa", **data)


# ------------------------------------------------------------------------------------------------- the rule


def test_a_september_file_under_november_is_refused_as_another_periods(city, home, manager, tmp_path):
    """The mistake of the issue: September's file under the month of the upload. The dates lie inside the
    twelve-month window, so before the check it was accepted without a word."""
    path = write_csv(tmp_path / "ktoa.csv", dated(city, *["2026-09-15"] * 4, "2026-10-01"))
    report = rejected(manager, path, period="2026-11")
    assert report.kind == "wrong_period" and report.error_count == 1
    reason = report.errors[0].reason
    assert "행 5개 중 5개" in reason and "2026-11-01" in reason and "2026-09-15 ~ 2026-10-01" in reason
    assert_nothing_kept(home)
    refusal = AuditEvent.objects.get(action="discovery.import_refused")
    assert refusal.detail["reason"] == "wrong_period" and refusal.detail["period"] == "2026-11"


def test_more_than_half_before_is_refused_half_asks(city, home, manager, tmp_path):
    three_before = write_csv(tmp_path / "ktoa-a.csv", dated(city, *["2026-08-20"] * 3, "2026-09-15", "2026-09-16"))
    assert rejected(manager, three_before).kind == "wrong_period"
    rows = dated(city, "2026-08-20", "2026-08-21", "2026-09-15", "2026-09-16")[:4]  # two of four: half
    report = rejected(manager, write_csv(tmp_path / "ktoa-b.csv", rows))
    assert report.kind == "period_unconfirmed"
    assert (report.period_check.before, report.period_check.rows) == (2, 4)


def test_a_few_older_rows_wait_for_the_confirmation_of_that_file(city, home, manager, tmp_path):
    path = write_csv(tmp_path / "ktoa.csv", dated(city, "2026-08-20"))
    with pytest.raises(PeriodNotConfirmed) as caught:
        run_import(manager, path)
    report = caught.value.report
    assert report.needs_confirmation and (report.period_check.before, report.period_check.rows) == (1, 5)
    assert "행 5개 중 1개(20%)" in report.errors[0].reason and "2026-08-20" in report.errors[0].reason
    assert_nothing_kept(home)
    assert AuditEvent.objects.get(action="discovery.import_refused").detail["reason"] == "period_unconfirmed"

    # The confirmation of another file, or of this file under another period, does not carry over.
    other = write_csv(tmp_path / "ktoa-other.csv", dated(city, "2026-08-21"))
    with pytest.raises(PeriodNotConfirmed):
        run_import(manager, other, confirm_period=report.confirmation)
    with pytest.raises(SignalFileRejected):
        run_import(manager, path, period="2026-10", confirm_period=report.confirmation)
    assert not SignalFile.objects.exists()

    result = run_import(manager, path, confirm_period=report.confirmation)
    assert result.signal_file.period == PERIOD and result.rows == 5


def test_rows_all_in_the_period_need_no_confirmation(city, home, manager, tmp_path):
    """A round covers its month and the next: October's dates belong to period 2026-09."""
    path = write_csv(tmp_path / "ktoa.csv", dated(city, "2026-09-01", "2026-10-31"))
    assert run_import(manager, path).rows == 5


# ------------------------------------------------------------------------------------------------- the page


def test_the_upload_form_has_no_default_period(city, home, client):
    html = login(client).get(reverse("signal_upload")).content.decode()
    field = re.search(r'<input[^>]*name="period"[^>]*>', html).group()
    assert "value=" not in field
    assert "절반" in html  # the rule is written on the page


def held_uploads(home) -> list:
    folder = home / "jobs" / "uploads"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_the_job_asks_then_imports_once_the_period_is_confirmed(city, home, client, tmp_path):
    rows = dated(city, "2026-08-20")
    path = write_csv(tmp_path / "ktoa.csv", rows)
    response = post_file(login(client), path, PERIOD)
    assert response.job.status == "failed"
    html = response.content.decode()
    assert "2026-09 기간으로 가져오기" in html and "행 5개 중 1개" in html and "차수 확인 대기" in html
    assert "작업이 실패했습니다" not in html and reverse("job_retry", args=[response.job.pk]) not in html
    confirm = reverse("signal_import_confirm", args=[response.job.pk])
    assert f'action="{confirm}"' in html
    assert not SignalFile.objects.exists()
    # The file waits for the answer sealed: no resident number in clear on disk.
    [held] = held_uploads(home)
    assert rows[0]["resident_number"].encode() not in held.read_bytes() and oct(held.stat().st_mode & 0o777) == "0o600"

    # Someone else's answer: a dong officer may not; another kind of job is not an import to confirm.
    assert login(Client(), "officer").post(confirm).status_code == 403
    other = Job.objects.create(kind="screening_round", target="round:x", district_code=city.districts[0].code)
    assert client.post(reverse("signal_import_confirm", args=[other.pk])).status_code == 404
    assert not SignalFile.objects.exists()

    again = follow_job(client, client.post(confirm))
    assert again.job.status == "done" and again.job.retry_of_id == response.job.pk
    assert 'id="result-title"' in again.content.decode()
    assert SignalFile.objects.get().period == PERIOD
    assert held_uploads(home) == []  # imported: the sealed copy is gone

    # A second click on the old page's button imports nothing twice.
    twice = client.post(confirm, follow=True)
    assert "다시 실행할 수 없습니다" in twice.content.decode()
    assert SignalFile.objects.count() == 1


def test_a_plain_run_again_asks_again(city, home, client, tmp_path):
    path = write_csv(tmp_path / "ktoa.csv", dated(city, "2026-08-20"))
    first = post_file(login(client), path, PERIOD)
    again = follow_job(client, client.post(reverse("job_retry", args=[first.job.pk])))
    assert again.job.status == "failed" and again.job.result["report"]["kind"] == "period_unconfirmed"
    assert not SignalFile.objects.exists()


def test_the_page_refuses_another_periods_file_without_a_question(city, home, client, tmp_path):
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))
    response = post_file(login(client), path, "2026-11")
    assert response.job.status == "failed"
    html = response.content.decode()
    assert "다른 차수의 파일로 보입니다" in html and "signals/jobs/" not in html
    assert_nothing_kept(home)
    assert held_uploads(home) == []  # the file's own fault: nothing kept to run again


# ------------------------------------------------------------------------------------------------- the command


def test_the_command_line_asks_for_confirm_period(city, home, tmp_path, capsys):
    path = write_csv(tmp_path / "ktoa.csv", dated(city, "2026-08-20"))
    assert main(["import", "signals", str(path), "--period", PERIOD, "--as", "manager"]) == 1
    out = capsys.readouterr().out
    assert "--confirm-period" in out and "행 5개 중 1개" in out
    assert not SignalFile.objects.exists()
    assert main(["import", "signals", str(path), "--period", PERIOD, "--as", "manager", "--confirm-period"]) == 0
    assert SignalFile.objects.count() == 1
