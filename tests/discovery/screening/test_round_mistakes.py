"""Rounds run by mistake, from the outside: a period with files from fewer agencies than the district's last round
warns before it runs, and a round can be withdrawn, with a reason, until a visit is assigned from its list."""

from __future__ import annotations

import re
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.discovery.models import ItemStatus, ListingEvent, OutreachItem, RoundStatus, ScreeningRound
from dolbom.discovery.services.outreach import assign_visit
from dolbom.discovery.services.rounds import run_round, withdraw_round
from dolbom.intake.models import WorkItem
from tests.conftest import PASSWORD, work_off_queue
from tests.discovery.screening.support import PERIOD, import_telecom
from tests.discovery.test_import_files import run_import, write_csv
from tests.row_locks import ROW_LOCKS, in_transaction_elsewhere, release_once_waiting

LATER = "2026-11"
REASON = "기간을 잘못 골라 실행함"


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    return settings.HOME


@pytest.fixture
def ready(city, home, tmp_path):
    """Room for visits; period 2026-09 has telecom and electricity files, 2026-11 only a telecom file."""
    for dong in city.dongs:
        dong.visit_capacity = 5
        dong.save(update_fields=["visit_capacity"])
    manager = city.users["district_manager"]
    import_telecom(manager, tmp_path / "files", [(city.persons[0], 12), (city.persons[1], 9)])
    kepco = [
        {
            "record_id": "KEPCO-1",
            "kind": "electricity_arrears",
            "resident_number": city.persons[1].resident_number(),
            "name": "이철수",
            "observed_on": "2026-09-03",
            "months_overdue": "4",
            "amount_overdue": "180000",
        }
    ]
    run_import(manager, write_csv(tmp_path / "kepco.csv", kepco))
    import_telecom(manager, tmp_path / "later", [(city.persons[0], 14)], period=LATER)
    return city


def login(client: Client, username: str = "manager") -> Client:
    assert client.login(username=username, password=PASSWORD)
    return client


def form(period: str, **extra: str) -> dict[str, str]:
    return {"district": "9911000000", "period": period, "scorer": "scorecard", "cooldown_days": "0", **extra}


# ------------------------------------------------------------------------------------------------- too few files


def test_a_period_with_fewer_agencies_than_the_last_round_warns_before_it_runs(ready):
    manager = ready.users["district_manager"]
    first = run_round(user=manager, district_code="9911000000", period=PERIOD)
    assert first.status == RoundStatus.DONE
    with pytest.raises(ValidationError) as caught:
        run_round(user=manager, district_code="9911000000", period=LATER)
    message = caught.value.message_dict["confirm_few_files"][0]
    assert "제공기관 1곳" in message and "2곳" in message and "한국전력공사 (kepco)" in message
    assert f"{PERIOD} #{first.pk}" in message
    assert ScreeningRound.objects.count() == 1
    later = run_round(user=manager, district_code="9911000000", period=LATER, confirm_few_files=True)
    assert later.status == RoundStatus.DONE


def test_the_first_round_of_a_district_has_nothing_to_compare_with(ready):
    manager = ready.users["district_manager"]
    assert run_round(user=manager, district_code="9911000000", period=LATER).status == RoundStatus.DONE


def test_the_form_shows_the_warning_and_runs_once_the_box_is_ticked(ready, client):
    c = login(client)
    assert c.post(reverse("round_new"), form(PERIOD)).status_code == 302
    work_off_queue()
    response = c.post(reverse("round_new"), form(LATER))
    html = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in html and "kepco" in html
    assert re.search(
        rf'<input type="checkbox" id="id_confirm_few_files" name="confirm_few_files" value="{LATER}">', html
    )
    assert ScreeningRound.objects.count() == 1
    # the box ticked for another period does not confirm this one
    assert c.post(reverse("round_new"), form(LATER, confirm_few_files=PERIOD)).status_code == 200
    assert ScreeningRound.objects.count() == 1
    response = c.post(reverse("round_new"), form(LATER, confirm_few_files=LATER))
    assert response.status_code == 302
    work_off_queue()
    assert ScreeningRound.objects.filter(status="done").count() == 2


@pytest.mark.parametrize("period", ["9999-12", "0001-01", "1999-12"])
def test_a_period_out_of_this_century_is_a_typing_error(ready, client, period):
    c = login(client)
    response = c.post(reverse("round_new"), form(period))
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    assert c.get(reverse("signal_files"), {"period": period}).status_code == 400
    assert not ScreeningRound.objects.exists()


# ------------------------------------------------------------------------------------------------- withdrawal


def test_a_round_is_withdrawn_and_its_list_disappears(ready, client):
    manager = ready.users["district_manager"]
    first = run_round(user=manager, district_code="9911000000", period=PERIOD)
    mistaken = run_round(user=manager, district_code="9911000000", period=LATER, confirm_few_files=True)
    listed = OutreachItem.objects.filter(round=mistaken).count()
    assert listed > 0

    c = login(client)
    page = c.get(reverse("round_detail", args=[mistaken.pk])).content.decode()
    assert reverse("round_withdraw", args=[mistaken.pk]) in page
    assert 'name="reason"' in c.get(reverse("round_withdraw", args=[mistaken.pk])).content.decode()
    mistaken_work_items = list(WorkItem.objects.filter(outreach_item__round=mistaken).values_list("pk", flat=True))
    assert mistaken_work_items  # the round had put its listings on the worklist
    response = c.post(reverse("round_withdraw", args=[mistaken.pk]), {"reason": REASON})
    assert response.status_code == 302 and response.url == reverse("round_detail", args=[mistaken.pk])

    mistaken.refresh_from_db()
    assert mistaken.status == RoundStatus.WITHDRAWN and mistaken.withdrawal_reason == REASON
    assert mistaken.withdrawn_by == manager and mistaken.withdrawn_at is not None
    assert set(OutreachItem.objects.filter(round=mistaken).values_list("status", flat=True)) == {"withdrawn"}
    assert ListingEvent.objects.filter(item__round=mistaken, to_status="withdrawn").count() == listed
    event = AuditEvent.objects.get(action="discovery.withdraw_round")
    assert event.reason == REASON and event.detail["items"] == listed
    assert "철회된 차수입니다" in c.get(reverse("round_detail", args=[mistaken.pk])).content.decode()
    assert "철회됨" in c.get(reverse("round_list")).content.decode()

    # The officer's list is the earlier round's again; the withdrawn one shows nothing and is not offered.
    officer = Client()
    login(officer, "officer")
    html = officer.get(reverse("outreach_list")).content.decode()
    assert f'<option value="{first.pk}" selected>' in html and f'<option value="{mistaken.pk}"' not in html
    html = officer.get(reverse("outreach_list"), {"round": mistaken.pk}).content.decode()
    assert "철회되어 명단이 없습니다" in html and "item-" not in html
    # and its listings left the dong's worklist: nothing to assign from it any more
    assert not WorkItem.objects.filter(outreach_item__round=mistaken).exists()
    worklist = officer.get(reverse("worklist")).content.decode()
    assert all(f'id="work-{pk}"' not in worklist for pk in mistaken_work_items)


def test_a_round_from_which_a_visit_was_assigned_stays(ready, client):
    manager = ready.users["district_manager"]
    screening_round = run_round(user=manager, district_code="9911000000", period=PERIOD)
    item = OutreachItem.objects.filter(round=screening_round, dong=ready.dongs[0]).first()
    officer = ready.users["dong_officer"]
    assign_visit(user=officer, item_id=item.pk, visitor_id=officer.staff.pk)

    c = login(client)
    page = c.get(reverse("round_detail", args=[screening_round.pk])).content.decode()
    assert reverse("round_withdraw", args=[screening_round.pk]) not in page and "새 차수" in page
    response = c.post(reverse("round_withdraw", args=[screening_round.pk]), {"reason": REASON})
    assert response.status_code == 422 and "1곳에 이미 방문 배정" in response.content.decode()
    screening_round.refresh_from_db()
    assert screening_round.status == RoundStatus.DONE
    assert not OutreachItem.objects.filter(status=ItemStatus.WITHDRAWN).exists()
    assert not AuditEvent.objects.filter(action="discovery.withdraw_round").exists()


@pytest.mark.parametrize("reason", ["", "실수", "\u200b\u200b\u200b\u200b\u200b"])
def test_a_withdrawal_needs_a_reason(ready, client, reason):
    screening_round = run_round(user=ready.users["district_manager"], district_code="9911000000", period=PERIOD)
    response = login(client).post(reverse("round_withdraw", args=[screening_round.pk]), {"reason": reason})
    assert response.status_code == 422
    screening_round.refresh_from_db()
    assert screening_round.status == RoundStatus.DONE


@pytest.mark.parametrize("username", ["officer", "worker", "tongjang", "analyst"])
def test_only_district_staff_withdraw_rounds(ready, client, username):
    screening_round = run_round(user=ready.users["district_manager"], district_code="9911000000", period=PERIOD)
    response = login(client, username).post(reverse("round_withdraw", args=[screening_round.pk]), {"reason": REASON})
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        withdraw_round(user=ready.users[_role(username)], round_id=screening_round.pk, reason=REASON)
    screening_round.refresh_from_db()
    assert screening_round.status == RoundStatus.DONE


def _role(username: str) -> str:
    return {"officer": "dong_officer", "worker": "agency_worker", "tongjang": "safety_net", "analyst": "analyst"}[
        username
    ]


def test_another_districts_round_is_not_found(ready, client):
    other = ScreeningRound.objects.create(
        district=ready.districts[1], period=PERIOD, scorer="scorecard", status=RoundStatus.DONE
    )
    c = login(client, "admin1")
    assert c.get(reverse("round_withdraw", args=[other.pk])).status_code == 404
    assert c.post(reverse("round_withdraw", args=[other.pk]), {"reason": REASON}).status_code == 404
    other.refresh_from_db()
    assert other.status == RoundStatus.DONE


def test_a_running_or_failed_round_is_not_withdrawn(ready):
    running = ScreeningRound.objects.create(district=ready.districts[0], period=PERIOD, scorer="scorecard")
    with pytest.raises(ValidationError):
        withdraw_round(user=ready.users["district_manager"], round_id=running.pk, reason=REASON)
    running.refresh_from_db()
    assert running.status == RoundStatus.RUNNING


# ------------------------------------------------------------------------------------------------- at the same time


@ROW_LOCKS
@pytest.mark.django_db(transaction=True)
def test_an_assignment_during_a_withdrawal_waits_and_finds_the_item_gone(ready):
    manager, officer = ready.users["district_manager"], ready.users["dong_officer"]
    screening_round = run_round(user=manager, district_code="9911000000", period=PERIOD)
    item = OutreachItem.objects.filter(round=screening_round, dong=ready.dongs[0]).first()
    held, release = threading.Event(), threading.Event()
    withdrawing = in_transaction_elsewhere(
        lambda: withdraw_round(user=manager, round_id=screening_round.pk, reason=REASON), held, release
    )
    watcher = release_once_waiting(release)
    try:
        with pytest.raises(Http404):
            assign_visit(user=officer, item_id=item.pk, visitor_id=officer.staff.pk)
    finally:
        release.set()  # had it not waited, the test fails here rather than hangs
    withdrawing.join()
    watcher.join()
    item.refresh_from_db()
    assert item.status == ItemStatus.WITHDRAWN and item.assigned_to is None


@ROW_LOCKS
@pytest.mark.django_db(transaction=True)
def test_a_withdrawal_during_an_assignment_waits_and_is_refused(ready):
    manager, officer = ready.users["district_manager"], ready.users["dong_officer"]
    screening_round = run_round(user=manager, district_code="9911000000", period=PERIOD)
    item = OutreachItem.objects.filter(round=screening_round, dong=ready.dongs[0]).first()
    held, release = threading.Event(), threading.Event()
    assigning = in_transaction_elsewhere(
        lambda: assign_visit(user=officer, item_id=item.pk, visitor_id=officer.staff.pk), held, release
    )
    watcher = release_once_waiting(release)
    try:
        with pytest.raises(ValidationError) as caught:
            withdraw_round(user=manager, round_id=screening_round.pk, reason=REASON)
    finally:
        release.set()
    assigning.join()
    watcher.join()
    assert "1곳에 이미 방문 배정" in caught.value.messages[0]
    screening_round.refresh_from_db()
    assert screening_round.status == RoundStatus.DONE
    assert not OutreachItem.objects.filter(round=screening_round, status=ItemStatus.WITHDRAWN).exists()
