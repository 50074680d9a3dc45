"""Withdrawing an import made by mistake, from the outside: by its importer or an administrator of the district,
with a reason, audited, before any round read the file; the stored Parquet goes, the row stays, and the same
bytes can be imported again."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.core.roles import Role
from dolbom.discovery.importing import store
from dolbom.discovery.models import ScreeningRound, SignalFile
from dolbom.discovery.selectors import signal_periods_for
from dolbom.discovery.services.leftovers import remove_leftovers
from dolbom.discovery.services.rounds import run_round, withdraw_round
from dolbom.registry.models import Staff
from tests.conftest import PASSWORD
from tests.discovery.test_import_files import PERIOD, ktoa_rows, stored_files, write_csv
from tests.discovery.uploads import upload as upload_file

REASON = "차수를 잘못 입력함"


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    return settings.HOME


@pytest.fixture
def csv_file(city, tmp_path):
    return write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))


@pytest.fixture
def colleague(city):
    """A second case manager of the same district, who did not import the file."""
    user = get_user_model().objects.create_user(username="manager_b", password=PASSWORD)
    staff = Staff.objects.create(
        user=user, agency=city.agencies["district"], role=Role.DISTRICT_MANAGER, display_name="박사례"
    )
    staff.areas.set([city.districts[0]])
    return user


def login(client: Client, username: str) -> Client:
    client.logout()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def upload():
    """Upload through the page and run its import job."""

    def upload_one(client: Client, path, period: str = PERIOD):
        return upload_file(client, path, period=period, agency="ktoa")

    return upload_one


@pytest.fixture
def withdraw(django_capture_on_commit_callbacks):
    """Withdraw through the page; `committed=False` leaves out what waits for the commit (the file's removal), as
    when the process stops right after the commit."""

    def withdraw(client: Client, signal_file: SignalFile, reason: str = REASON, *, committed: bool = True):
        url = reverse("signal_withdraw", args=[signal_file.pk])
        if not committed:
            return client.post(url, {"reason": reason})
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, {"reason": reason})

    return withdraw


def test_the_importer_withdraws_a_mistaken_import_and_imports_it_again(city, home, client, tmp_path, upload, withdraw):
    """September's signals imported as August's: no row is dated before August, so the period check lets it
    through; the importer notices and withdraws it."""
    rows = ktoa_rows(city)
    for row in rows:
        row["observed_on"] = "2026-09-15"
    csv_file = write_csv(tmp_path / "ktoa.csv", rows)
    assert upload(login(client, "manager"), csv_file, period="2026-08").job.status == "done"
    mistaken = SignalFile.objects.get()
    stored = store.parquet_path(mistaken)
    assert stored.exists()

    page = client.get(reverse("signal_withdraw", args=[mistaken.pk]))
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    response = withdraw(client, mistaken)
    assert response.status_code == 302 and response.url == reverse("signal_files") + "?period=2026-08"

    mistaken.refresh_from_db()
    assert mistaken.withdrawn_at is not None and mistaken.withdrawal_reason == REASON
    assert mistaken.withdrawn_by == city.users["district_manager"]
    assert not stored.exists() and stored_files(home) == []  # the personal data is gone from disk
    event = AuditEvent.objects.get(action="discovery.withdraw_signal_file")
    assert event.reason == REASON and event.object_id == str(mistaken.pk)
    assert event.detail["period"] == "2026-08" and event.detail["rows"] == 5
    assert "2026-08" not in signal_periods_for(city.users["district_manager"])  # no round is offered it

    # The list keeps the row, marked; the same bytes go in again, under the right period.
    listing = client.get(reverse("signal_files")).content.decode()
    assert 'class="withdrawn"' in listing and REASON in listing
    assert upload(client, csv_file).job.status == "done"
    again = SignalFile.objects.get(withdrawn_at__isnull=True)
    assert again.period == PERIOD and again.sha256 == mistaken.sha256 and store.parquet_path(again).exists()


def test_the_same_period_again_reuses_the_path_and_keeps_the_new_file(city, home, client, csv_file, upload, withdraw):
    login(client, "manager")
    upload(client, csv_file)
    first = SignalFile.objects.get()
    withdraw(client, first)
    upload(client, csv_file)
    second = SignalFile.objects.get(withdrawn_at__isnull=True)
    assert second.storage_path == first.storage_path and store.parquet_path(second).exists()
    # the cleanup does not take the new import's file for the withdrawn one's
    assert remove_leftovers().removed == []
    assert store.parquet_path(second).exists()


def test_another_case_manager_may_not_but_an_administrator_may(
    city, home, client, csv_file, colleague, upload, withdraw
):
    upload(login(client, "manager"), csv_file)
    signal_file = SignalFile.objects.get()

    login(client, "manager_b")
    page = client.get(reverse("signal_withdraw", args=[signal_file.pk])).content.decode()
    assert 'name="reason"' not in page and "가져온 사람이나 시군구 관리자만" in page
    assert "가져오기 철회" not in client.get(reverse("signal_files")).content.decode().split("</h1>")[1]
    assert withdraw(client, signal_file).status_code == 403
    signal_file.refresh_from_db()
    assert signal_file.withdrawn_at is None and store.parquet_path(signal_file).exists()

    login(client, "admin1")
    assert withdraw(client, signal_file).status_code == 302
    signal_file.refresh_from_db()
    assert signal_file.withdrawn_by == city.users["district_admin"]


@pytest.mark.parametrize("username", ["officer", "worker", "tongjang", "analyst"])
def test_other_roles_cannot_withdraw(city, home, client, csv_file, username, upload, withdraw):
    upload(login(client, "manager"), csv_file)
    signal_file = SignalFile.objects.get()
    assert withdraw(login(client, username), signal_file).status_code == 403
    assert SignalFile.objects.get().withdrawn_at is None


@pytest.mark.parametrize("reason", ["", "오류", "\u200b\u200b\u200b\u200b\u200b\u200b", "  a b  "])
def test_a_withdrawal_needs_a_reason_that_says_something(city, home, client, csv_file, reason, upload, withdraw):
    upload(login(client, "manager"), csv_file)
    signal_file = SignalFile.objects.get()
    response = withdraw(client, signal_file, reason)
    assert response.status_code == 422 and 'role="alert"' in response.content.decode()
    signal_file.refresh_from_db()
    assert signal_file.withdrawn_at is None and store.parquet_path(signal_file).exists()
    assert not AuditEvent.objects.filter(action="discovery.withdraw_signal_file").exists()


def test_a_file_a_round_read_stays_until_the_round_is_withdrawn(city, home, client, csv_file, upload, withdraw):
    manager = city.users["district_manager"]
    upload(login(client, "manager"), csv_file)
    signal_file = SignalFile.objects.get()
    screening_round = run_round(user=manager, district_code=city.districts[0].code, period=PERIOD)
    assert screening_round.signal_file_ids == [signal_file.pk]

    listing = client.get(reverse("signal_files")).content.decode()
    assert f"{PERIOD} #{screening_round.pk}" in listing
    assert reverse("signal_withdraw", args=[signal_file.pk]) not in listing
    page = client.get(reverse("signal_withdraw", args=[signal_file.pk])).content.decode()
    assert "새 차수" in page and 'name="reason"' not in page
    response = withdraw(client, signal_file)
    assert response.status_code == 422 and f"{PERIOD} #{screening_round.pk}" in response.content.decode()
    assert SignalFile.objects.get().withdrawn_at is None

    withdraw_round(user=manager, round_id=screening_round.pk, reason="기간을 잘못 골라 실행함")
    assert withdraw(client, signal_file).status_code == 302
    assert SignalFile.objects.get().withdrawn_at is not None


def test_a_new_round_does_not_read_a_withdrawn_file(city, home, client, tmp_path, upload, withdraw):
    manager = city.users["district_manager"]
    upload(login(client, "manager"), write_csv(tmp_path / "ktoa.csv", ktoa_rows(city)))
    kept = SignalFile.objects.get()
    rows = ktoa_rows(city)
    for row in rows:
        row["record_id"] += "-B"
    upload(client, write_csv(tmp_path / "ktoa-b.csv", rows))
    mistaken = SignalFile.objects.exclude(pk=kept.pk).get()
    withdraw(client, mistaken)
    screening_round = run_round(user=manager, district_code=city.districts[0].code, period=PERIOD)
    assert screening_round.signal_file_ids == [kept.pk]


def test_a_file_the_withdrawal_could_not_remove_is_cleaned_up(city, home, client, csv_file, upload, withdraw):
    """The process stopped between the commit and the removal (here: the callback never runs): the file has no
    standing row, so `dolbom cleanup` removes it."""
    upload(login(client, "manager"), csv_file)
    signal_file = SignalFile.objects.get()
    assert withdraw(client, signal_file, committed=False).status_code == 302
    assert store.parquet_path(signal_file).exists()
    removed = remove_leftovers().removed
    assert [r.path for r in removed] == [signal_file.storage_path]
    assert not store.parquet_path(signal_file).exists()


def test_another_districts_file_is_not_found(city, home, client, csv_file, upload, withdraw):
    upload(login(client, "manager"), csv_file)
    signal_file = SignalFile.objects.get()
    other = get_user_model().objects.create_user(username="admin2", password=PASSWORD)
    staff = Staff.objects.create(user=other, agency=city.agencies["other"], role=Role.DISTRICT_ADMIN, display_name="a2")
    staff.areas.set([city.districts[1]])
    login(client, "admin2")
    assert client.get(reverse("signal_withdraw", args=[signal_file.pk])).status_code == 404
    assert withdraw(client, signal_file).status_code == 404
    assert SignalFile.objects.get().withdrawn_at is None


def test_a_withdrawal_twice_says_when_it_was_done(city, home, client, csv_file, upload, withdraw):
    upload(login(client, "manager"), csv_file)
    signal_file = SignalFile.objects.get()
    withdraw(client, signal_file)
    page = client.get(reverse("signal_withdraw", args=[signal_file.pk])).content.decode()
    assert "철회된 가져오기입니다" in page and REASON in page
    response = withdraw(client, signal_file)
    assert response.status_code == 422
    assert re.search(r"이미 \d{4}-\d\d-\d\d \d\d:\d\d에 철회", response.content.decode())
    assert AuditEvent.objects.filter(action="discovery.withdraw_signal_file").count() == 1
    assert not ScreeningRound.objects.exists()
