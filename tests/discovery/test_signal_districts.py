"""A signal file belongs to the district that imported it, tried from the outside as another district would:
its rows are matched against that district's residents only, its report tells nothing about other districts, and
only that district's rounds read it."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dolbom.core.roles import Role
from dolbom.discovery.models import OutreachItem, ScreeningRound, SignalFile
from dolbom.registry.models import Staff
from tests.conftest import PASSWORD, work_off_queue
from tests.discovery.screening.support import PERIOD, TELECOM_COLUMNS
from tests.discovery.uploads import upload

STRANGER = "900101-1234567"


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    return settings.HOME


@pytest.fixture
def district2_manager(city):
    user = get_user_model().objects.create_user(username="manager2", password=PASSWORD)
    staff = Staff.objects.create(
        user=user, agency=city.agencies["other"], role=Role.DISTRICT_MANAGER, display_name="m2"
    )
    staff.areas.set([city.districts[1]])
    return user


def _telecom_csv(rows: list[tuple[str, int]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TELECOM_COLUMNS)
    for i, (number, months) in enumerate(rows):
        writer.writerow([f"KTOA-{i:04d}", "telecom_arrears", number, "홍길동", "2026-09-15", months, 650_000, "SKT"])
    return buffer.getvalue().encode()


def _upload(client, username: str, content: bytes, tmp_path, name: str = "ktoa.csv"):
    assert client.login(username=username, password=PASSWORD)
    path = tmp_path / name
    path.write_bytes(content)
    return upload(client, path, period=PERIOD, agency="ktoa")


def test_another_district_cannot_test_whether_a_number_is_registered(city, home, client, district2_manager, tmp_path):
    """District 2 uploads a district-1 resident's number beside a stranger's: both are 'unmatched' to district 2, so
    the report cannot tell which of the two is registered somewhere."""
    resident_of_district1 = city.persons[0].resident_number()
    response = _upload(client, "manager2", _telecom_csv([(resident_of_district1, 12), (STRANGER, 12)]), tmp_path)
    assert response.job.status == "done"
    signal_file = SignalFile.objects.get()
    assert signal_file.district == city.districts[1]
    assert (signal_file.matched_rows, signal_file.unmatched_rows) == (0, 2)
    html = response.content.decode()
    assert "일치 1" not in html and "<td>1</td><td>1</td>" not in html


def test_a_districts_round_reads_only_its_own_files(city, home, client, district2_manager, tmp_path):
    for dong in city.dongs:
        dong.visit_capacity = 5
        dong.save(update_fields=["visit_capacity"])
    target = city.persons[1]  # a district-1 resident, injected by district 2
    _upload(client, "manager2", _telecom_csv([(target.resident_number(), 24)]), tmp_path, "injected.csv")
    client.logout()
    own = city.persons[0]
    _upload(client, "manager", _telecom_csv([(own.resident_number(), 12)]), tmp_path, "own.csv")

    response = client.post(
        reverse("round_new"),
        {"district": city.districts[0].code, "period": PERIOD, "scorer": "scorecard", "cooldown_days": 180},
    )
    assert response.status_code == 302
    work_off_queue()
    screening_round = ScreeningRound.objects.get(district=city.districts[0])
    listed = set(OutreachItem.objects.filter(round=screening_round).values_list("household_id", flat=True))
    assert city.household_in(0).pk in listed
    assert city.household_in(1).pk not in listed, "listed from another district's file"
    assert screening_round.params["signal_file_ids"] == [SignalFile.objects.get(district=city.districts[0]).pk]


def test_the_same_bytes_in_two_districts_neither_fail_nor_reveal_each_other(
    city, home, client, district2_manager, tmp_path
):
    content = _telecom_csv([(city.persons[0].resident_number(), 12)])
    assert _upload(client, "manager", content, tmp_path).job.status == "done"
    client.logout()
    response = _upload(client, "manager2", content, tmp_path)
    assert response.job.status == "done"  # imported, not "already imported by manager"
    assert "manager" not in response.content.decode().replace("manager2", "")
    assert SignalFile.objects.count() == 2
    # the file list shows each district its own import only
    listing = client.get(reverse("signal_files")).content.decode()
    assert listing.count('<tr id="file-') == 1 and "ktoa.csv" in listing


def test_a_district_may_not_import_into_another_district(city, home, client, tmp_path):
    assert client.login(username="manager", password=PASSWORD)
    path = tmp_path / "ktoa.csv"
    path.write_bytes(_telecom_csv([(STRANGER, 3)]))
    with path.open("rb") as handle:
        response = client.post(
            reverse("signal_upload"),
            {"file": handle, "period": PERIOD, "agency": "ktoa", "district": city.districts[1].code},
        )
    assert response.status_code in (403, 422)
    assert not SignalFile.objects.exists()
