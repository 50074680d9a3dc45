"""An import job's bar moves within the step that checks every row, as far through the file as the rows read; a stop
asked for in the middle of the rows ends the job there with nothing kept; a stored upload changed on disk is not
imported."""

from __future__ import annotations

import csv

import pytest
from django.test import Client

from dolbom.core.jobs.runtime import Progress
from dolbom.core.models import Job
from dolbom.core.tabular import excel, readers
from dolbom.discovery.models import SignalFile
from tests.conftest import PASSWORD
from tests.discovery.hostile_files import valid_ktoa_csv
from tests.discovery.test_import_files import PERIOD, assert_nothing_kept, write_xlsx
from tests.discovery.uploads import upload


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    return settings.HOME


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 8 KB instead of 8 MB: a file of a thousand rows is read in a dozen batches."""
    monkeypatch.setattr(readers, "CSV_BLOCK_BYTES", 8 << 10)


@pytest.fixture
def bar(monkeypatch):
    """The job's percentage as its page would show it, read back from the database after each step of the rows."""
    seen: list[int] = []
    check = Progress.check

    def watched(self: Progress, share: float | None = None) -> None:
        check(self, share)
        seen.append(Job.objects.get(pk=self.job.pk).percent)

    monkeypatch.setattr(Progress, "check", watched)
    return seen


def _manager(client: Client) -> Client:
    assert client.login(username="manager", password=PASSWORD)
    return client


def test_the_bar_moves_while_the_rows_are_checked(city, home, client, tmp_path, small_blocks, bar):
    path = valid_ktoa_csv(tmp_path / "ktoa.csv", rows=1000)
    response = upload(_manager(client), path, period=PERIOD)
    assert response.job.status == "done" and response.job.percent == 100
    # Checking the rows is the third of four steps: the bar climbs through its quarter batch by batch.
    assert len(bar) >= 5 and bar == sorted(bar) and len(set(bar)) >= 4, bar
    assert 50 <= bar[0] < bar[-1] < 75, bar


@pytest.fixture
def small_sheet_batches(monkeypatch):
    """Batches of 100 rows instead of 50 000 from the Excel reader's child process (told through its limits)."""
    start = excel.SheetReader.__init__

    def with_small_batches(self, handle, limits, **kwargs) -> None:
        start(self, handle, {**limits, "batch_rows": 100}, **kwargs)

    monkeypatch.setattr(excel.SheetReader, "__init__", with_small_batches)


def test_the_bar_moves_while_the_rows_of_an_excel_file_are_checked(
    city, home, client, tmp_path, small_sheet_batches, bar
):
    with valid_ktoa_csv(tmp_path / "ktoa.csv", rows=1000).open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    path = write_xlsx(tmp_path / "ktoa.xlsx", header, rows)  # every cell as text, as an officer's sheet holds it
    response = upload(_manager(client), path, period=PERIOD)
    assert response.job.status == "done" and response.job.percent == 100, response.job.error
    # Ten batches of a hundred rows: the bar climbs through the checking step's quarter as the rows are reached.
    assert len(bar) >= 5 and bar == sorted(bar) and len(set(bar)) >= 4, bar
    assert 50 <= bar[0] < bar[-1] < 75 and bar[-1] >= 70, bar


def test_a_stop_in_the_middle_of_the_rows_keeps_nothing(city, home, client, tmp_path, small_blocks, monkeypatch):
    check = Progress.check

    def stop_after_three(self: Progress, share: float | None = None) -> None:
        calls.append(share)
        if len(calls) == 3:
            Job.objects.filter(pk=self.job.pk).update(cancel_requested=True)
        check(self, share)

    calls: list[float | None] = []
    monkeypatch.setattr(Progress, "check", stop_after_three)
    response = upload(_manager(client), valid_ktoa_csv(tmp_path / "ktoa.csv", rows=1000), period=PERIOD)
    assert response.job.status == "cancelled" and len(calls) == 3
    assert not SignalFile.objects.exists()
    assert_nothing_kept(home)


def test_a_stored_upload_changed_on_disk_is_refused_in_korean_and_not_imported(city, home, client, tmp_path):
    from django.urls import reverse

    from tests.discovery.uploads import follow_job

    with valid_ktoa_csv(tmp_path / "ktoa.csv", rows=100).open("rb") as handle:
        response = _manager(client).post(reverse("signal_upload"), {"file": handle, "period": PERIOD, "agency": ""})
    [held] = (home / "jobs" / "uploads").iterdir()
    tampered = bytearray(held.read_bytes())
    tampered[100] ^= 1
    held.write_bytes(bytes(tampered))
    page = follow_job(client, response)
    assert page.job.status == "failed" and "다시 올려" in page.job.error
    assert not SignalFile.objects.exists() and not held.exists()
